import Crypto
import Foundation

/// A relay as a circuit's origin sees it: where to reach it and its published onion key.
public struct HopDescriptor: Sendable, Equatable {
    public var name: String
    public var address: String
    public var onionKey: Curve25519.KeyAgreement.PublicKey

    public init(name: String, address: String, onionKey: Curve25519.KeyAgreement.PublicKey) {
        self.name = name
        self.address = address
        self.onionKey = onionKey
    }

    public static func == (a: HopDescriptor, b: HopDescriptor) -> Bool {
        a.name == b.name && a.address == b.address && a.onionKey.rawRepresentation == b.onionKey.rawRepresentation
    }
}

/// The origin's end of one circuit: it alone knows every hop and holds every hop's keys.
///
/// `createCell` goes to the first hop (on link `firstLink`) and sets the circuit up hop by
/// hop; then `wrap` turns a message into data cells that each hop peels one layer of, and
/// `unwrap` reads the reply cells that came back, each hop having added one layer.
public struct OriginCircuit: Sendable {
    public let path: [HopDescriptor]
    /// Where the exit hands the messages (for example "blob-store").
    public let exit: String
    /// The circuit's id on the link from the origin to the first hop.
    public let firstLink: LinkCircuitID
    /// The cell that builds the circuit: one layer per hop, each opened only with that hop's
    /// onion key, telling it the next hop (or that it is the exit) and nothing else.
    public let createCell: Data
    private let keys: [HopKeys]
    private var forwardCounter: UInt64 = 0
    private var backwardCounter: UInt64 = 0

    public var hops: Int { path.count }

    public init(path: [HopDescriptor], exit: String) throws {
        guard (1...OnionCell.maxHops).contains(path.count) else {
            throw CircuitError.malformed("a circuit has 1 to \(OnionCell.maxHops) hops, not \(path.count)")
        }
        for hop in path where hop.address.utf8.count > OnionCell.maxAddressBytes {
            throw CircuitError.malformed("relay address of \(hop.name) is longer than \(OnionCell.maxAddressBytes) bytes")
        }
        guard exit.utf8.count <= OnionCell.maxAddressBytes else { throw CircuitError.malformed("exit \"\(exit.prefix(40))…\" is longer than \(OnionCell.maxAddressBytes) bytes") }
        self.path = path
        self.exit = exit
        let links = (0..<path.count).map { _ in LinkCircuitID.random() }
        firstLink = links[0]
        var keys: [HopKeys] = []
        var ephemerals: [Curve25519.KeyAgreement.PublicKey] = []
        for hop in path {
            let (k, e) = try HopKeys.origin(relay: hop.onionKey)
            keys.append(k)
            ephemerals.append(e)
        }
        self.keys = keys
        // Innermost first: the exit's layer, then each earlier hop's around it.
        var inner = Data()
        for p in stride(from: path.count - 1, through: 0, by: -1) {
            let header: RoutingHeader = p == path.count - 1
                ? .exit(exit)
                : .forward(address: path[p + 1].address, link: links[p + 1])
            var plaintext = header.encoded()
            if p == path.count - 1 {
                plaintext.append(Data(count: OnionCell.createSpan(position: p) - OnionCell.publicKeySize - OnionCell.tagSize - plaintext.count))
            } else {
                plaintext.append(inner)
            }
            // The padding hop p will find behind its layer: what hop p − 1 appends.
            let padding = p == 0 ? Data() : Layer.padding(OnionCell.size - OnionCell.createSpan(position: p), key: keys[p - 1].padding, counter: 0, .create)
            inner = ephemerals[p].rawRepresentation + Layer.seal(plaintext, key: keys[p].create, counter: 0, .create, padding: padding)
        }
        createCell = inner
    }

    /// The data cells that carry `message` to the exit, in order; each must be sent once, in
    /// this order (the hops' counters advance with every cell).
    public mutating func wrap(_ message: Data) -> [Data] {
        let capacity = OnionCell.fragmentCapacity(hops: hops)
        let count = OnionCell.cellCount(messageBytes: message.count, hops: hops)
        var cells: [Data] = []
        cells.reserveCapacity(count)
        var offset = message.startIndex
        for i in 0..<count {
            let end = min(offset + capacity, message.endIndex)
            var cell = Fragment.encode(message[offset..<end], last: i == count - 1, span: OnionCell.dataSpan(position: hops))
            for p in stride(from: hops - 1, through: 0, by: -1) {
                let padding = p == 0 ? Data() : Layer.padding(OnionCell.size - OnionCell.dataSpan(position: p), key: keys[p - 1].padding, counter: forwardCounter, .forward)
                cell = Layer.seal(cell, key: keys[p].forward, counter: forwardCounter, .forward, padding: padding)
            }
            forwardCounter += 1
            cells.append(cell)
            offset = end
        }
        return cells
    }

    /// The reply message carried by `cells` (the exit's reply, each hop having added a layer).
    /// Throws when any layer fails to authenticate or the cells do not end a message.
    public mutating func unwrap(replyCells cells: [Data]) throws -> Data {
        var assembler = MessageAssembler()
        for (i, cell) in cells.enumerated() {
            guard cell.count == OnionCell.size else { throw CircuitError.malformed("reply cell of \(cell.count) bytes, expected \(OnionCell.size)") }
            var body = cell
            for p in 0..<hops {
                let span = OnionCell.dataSpan(position: p)
                guard let opened = Layer.open(body.prefix(span), key: keys[p].backward, counter: backwardCounter, .backward) else {
                    throw CircuitError.authenticationFailed("reply cell \(i) does not authenticate at hop \(p + 1) (\(path[p].name))")
                }
                body = opened
            }
            backwardCounter += 1
            if let message = try assembler.add(body) {
                guard i == cells.count - 1 else { throw CircuitError.malformed("reply cells after the end of the reply") }
                return message
            }
        }
        throw CircuitError.malformed("reply ended before its last cell")
    }
}

/// What a hop finds in its layer of a create cell.
enum RoutingHeader: Equatable {
    case forward(address: String, link: LinkCircuitID)
    case exit(String)

    func encoded() -> Data {
        var out = Data(count: OnionCell.routingHeaderSize)
        let address: String
        switch self {
        case .forward(let a, let link):
            out[0] = 1
            out.replaceSubrange(1..<(1 + OnionCell.circuitIDSize), with: link.bytes)
            address = a
        case .exit(let a):
            out[0] = 2
            address = a
        }
        let bytes = Data(address.utf8)
        let at = 1 + OnionCell.circuitIDSize
        out[at] = UInt8(bytes.count)
        out.replaceSubrange((at + 1)..<(at + 1 + bytes.count), with: bytes)
        return out
    }

    static func decode(_ data: Data) throws -> RoutingHeader {
        let d = Data(data.prefix(OnionCell.routingHeaderSize))
        guard d.count == OnionCell.routingHeaderSize else { throw CircuitError.malformed("short routing header") }
        let at = 1 + OnionCell.circuitIDSize
        let length = Int(d[at])
        guard length <= OnionCell.maxAddressBytes, let address = String(data: d[(at + 1)..<(at + 1 + length)], encoding: .utf8) else {
            throw CircuitError.malformed("routing header address")
        }
        switch d[0] {
        case 1: return .forward(address: address, link: try LinkCircuitID(bytes: d[1..<(1 + OnionCell.circuitIDSize)]))
        case 2: return .exit(address)
        default: throw CircuitError.malformed("routing header kind \(d[0])")
        }
    }
}

/// The framing of one message fragment inside a data or reply cell's innermost layer:
/// flags (bit 0: last fragment), a big-endian length, the bytes, zeros to the span.
enum Fragment {
    static func encode(_ bytes: Data, last: Bool, span: Int) -> Data {
        var out = Data(capacity: span)
        out.append(last ? 1 : 0)
        out.append(UInt8(bytes.count >> 8))
        out.append(UInt8(bytes.count & 0xff))
        out.append(bytes)
        out.append(Data(count: span - out.count))
        return out
    }
}

/// Puts fragments back together into a message.
struct MessageAssembler: Sendable {
    /// Largest message accepted (a model update is far smaller).
    static let maxBytes = 256 << 20
    private(set) var buffer = Data()

    /// The message when `fragment` was its last, else nil.
    mutating func add(_ fragment: Data) throws -> Data? {
        let f = fragment.startIndex
        guard fragment.count >= OnionCell.fragmentHeaderSize else { throw CircuitError.malformed("short fragment") }
        let length = Int(fragment[f + 1]) << 8 | Int(fragment[f + 2])
        guard OnionCell.fragmentHeaderSize + length <= fragment.count else { throw CircuitError.malformed("fragment length \(length) beyond its cell") }
        guard buffer.count + length <= Self.maxBytes else { throw CircuitError.overloaded("message longer than \(Self.maxBytes) bytes") }
        buffer.append(fragment[(f + 3)..<(f + 3 + length)])
        guard fragment[f] & 1 == 1 else { return nil }
        defer { buffer = Data() }
        return buffer
    }
}
