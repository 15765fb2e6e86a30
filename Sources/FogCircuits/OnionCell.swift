import Crypto
import Foundation

/// The wire format's fixed sizes. Every cell on every link — a circuit's create cell, its
/// data cells forwards and its reply cells backwards — is exactly `OnionCell.size` bytes, so
/// a cell's length says nothing about what it carries, which hop sent it or how many hops
/// the circuit has. See docs/circuits.md for the construction.
public enum OnionCell {
    /// Bytes of every cell on the wire.
    public static let size = 4096
    /// Bytes a ChaCha20-Poly1305 layer adds (its tag).
    public static let tagSize = 16
    /// Bytes of an X25519 public key.
    public static let publicKeySize = 32
    /// Bytes of a link circuit id (random, one per link of a circuit).
    public static let circuitIDSize = 16
    /// Most hops a circuit may have (the CircuitPool schema's `hops` maximum).
    public static let maxHops = 8
    /// Bytes of the routing header each hop finds in its layer of a create cell.
    public static let routingHeaderSize = 160
    /// Longest next-hop or exit address a routing header carries (UTF-8 bytes).
    public static let maxAddressBytes = 128
    /// Bytes of the framing (flags, length) in front of a message fragment.
    static let fragmentHeaderSize = 3

    /// Bytes of a create cell that hop `position` can read (its ephemeral key and its layer);
    /// the rest of the cell is padding its predecessors appended.
    static func createSpan(position: Int) -> Int {
        size - position * (publicKeySize + tagSize + routingHeaderSize)
    }

    /// Bytes of a data cell that hop `position` can read; the rest is padding.
    static func dataSpan(position: Int) -> Int { size - position * tagSize }

    /// Message bytes one data cell carries on a circuit of `hops` hops.
    public static func fragmentCapacity(hops: Int) -> Int { dataSpan(position: hops) - fragmentHeaderSize }

    /// Cells a message of `bytes` bytes takes on a circuit of `hops` hops (at least one: an
    /// empty message is one cell).
    public static func cellCount(messageBytes bytes: Int, hops: Int) -> Int {
        max(1, (bytes + fragmentCapacity(hops: hops) - 1) / fragmentCapacity(hops: hops))
    }
}

/// A random link circuit id: names one circuit on one link (origin→first hop, hop→hop); each
/// link of a circuit has its own, so two relays never see the same id unless adjacent.
public struct LinkCircuitID: Hashable, Sendable, CustomStringConvertible {
    public let bytes: Data

    public init(bytes: Data) throws {
        guard bytes.count == OnionCell.circuitIDSize else { throw CircuitError.malformed("circuit id of \(bytes.count) bytes, expected \(OnionCell.circuitIDSize)") }
        self.bytes = bytes
    }

    public static func random() -> LinkCircuitID {
        // Force-try: the size is right by construction.
        try! LinkCircuitID(bytes: OnionBytes.random(OnionCell.circuitIDSize))
    }

    /// Lower-case hex, as links carry it in a header.
    public var description: String { bytes.map { String(format: "%02x", $0) }.joined() }

    public init(hex: String) throws {
        var out = Data()
        var chars = Array(hex.utf8)
        guard chars.count == OnionCell.circuitIDSize * 2 else { throw CircuitError.malformed("circuit id \"\(hex)\" is not \(OnionCell.circuitIDSize * 2) hex digits") }
        while !chars.isEmpty {
            guard let byte = UInt8(String(decoding: chars.prefix(2), as: UTF8.self), radix: 16) else {
                throw CircuitError.malformed("circuit id \"\(hex)\" is not hex")
            }
            out.append(byte)
            chars.removeFirst(2)
        }
        try self.init(bytes: out)
    }
}

/// Why a cell or a circuit was refused.
public enum CircuitError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A layer failed to authenticate: a byte changed on the way, a cell was replayed or
    /// reordered (the per-circuit counter no longer matches), or the cell is for another key.
    case authenticationFailed(String)
    case malformed(String)
    /// A relay refused a new circuit or more traffic (its limits).
    case overloaded(String)
    case unknownCircuit(String)
    /// The next hop did not answer.
    case unreachable(String)

    public var description: String {
        switch self {
        case .authenticationFailed(let why): "refused: \(why)"
        case .malformed(let why): "malformed: \(why)"
        case .overloaded(let why): "relay overloaded: \(why)"
        case .unknownCircuit(let id): "unknown circuit \(id)"
        case .unreachable(let why): "unreachable: \(why)"
        }
    }
}

/// Random bytes from the system generator (padding must look like ciphertext).
enum OnionBytes {
    static func random(_ count: Int) -> Data {
        var g = SystemRandomNumberGenerator()
        var bytes = [UInt8](repeating: 0, count: count)
        var i = 0
        while i < count {
            var word = g.next()
            for _ in 0..<min(8, count - i) {
                bytes[i] = UInt8(truncatingIfNeeded: word)
                word >>= 8
                i += 1
            }
        }
        let out = Data(bytes)
        return out
    }
}
