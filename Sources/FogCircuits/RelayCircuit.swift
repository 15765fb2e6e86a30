import Crypto
import Foundation

/// One relay's state for one circuit: its keys with the origin, its position, and where the
/// cells go next. It knows the link the circuit came in on (kept by the caller) and the next
/// hop; not the origin, not the other hops, not what the cells carry (unless it is the exit,
/// which sees the message it delivers but not who sent it).
public struct RelayCircuit: Sendable {
    public enum Next: Sendable, Equatable {
        /// Forward to this relay address on this link id.
        case relay(address: String, link: LinkCircuitID)
        /// Deliver messages to this exit (for example "blob-store").
        case exit(String)
    }

    /// What peeling one data cell gave.
    public enum Peeled: Sendable, Equatable {
        /// The cell for the next hop (same size as every cell).
        case forward(Data)
        /// At the exit: a message, when this cell ended one (nil: more cells to come).
        case delivered(Data?)
    }

    /// 0 for the first hop. A hop learns how many hops precede it (from which layer size its
    /// key opens), never which relays they are.
    public let position: Int
    public let next: Next
    private let keys: HopKeys
    private var forwardCounter: UInt64 = 0
    private var backwardCounter: UInt64 = 0
    private var assembler = MessageAssembler()

    /// Cells peeled so far (forward) and wrapped (backward).
    public private(set) var cellsForward = 0
    public private(set) var cellsBackward = 0

    /// Accepts a create cell with one of the relay's onion keys (current first, then the
    /// previous one during rotation overlap). Returns the relay's state and, unless it is the
    /// exit, the create cell for the next hop.
    public static func accept(createCell cell: Data, keys onionKeys: [RelayKeyPair]) throws -> (RelayCircuit, nextCell: Data?) {
        guard cell.count == OnionCell.size else { throw CircuitError.malformed("create cell of \(cell.count) bytes, expected \(OnionCell.size)") }
        let ephemeralBytes = cell.prefix(OnionCell.publicKeySize)
        guard let ephemeral = try? Curve25519.KeyAgreement.PublicKey(rawRepresentation: ephemeralBytes) else {
            throw CircuitError.malformed("create cell's ephemeral key")
        }
        for key in onionKeys {
            guard let keys = try? HopKeys.relay(key, ephemeral: ephemeral) else { continue }
            for position in 0..<OnionCell.maxHops {
                let span = OnionCell.createSpan(position: position)
                let sealed = cell[OnionCell.publicKeySize..<span]
                guard let plaintext = Layer.open(sealed, key: keys.create, counter: 0, .create, padding: Data(cell[span...])) else { continue }
                let header = try RoutingHeader.decode(plaintext)
                switch header {
                case .exit(let exit):
                    return (RelayCircuit(position: position, next: .exit(exit), keys: keys), nil)
                case .forward(let address, let link):
                    let inner = plaintext.dropFirst(OnionCell.routingHeaderSize)
                    guard position + 1 < OnionCell.maxHops else { throw CircuitError.malformed("circuit longer than \(OnionCell.maxHops) hops") }
                    var nextCell = Data(inner)
                    nextCell.append(Layer.padding(OnionCell.size - nextCell.count, key: keys.padding, counter: 0, .create))
                    return (RelayCircuit(position: position, next: .relay(address: address, link: link), keys: keys), nextCell)
                }
            }
        }
        throw CircuitError.authenticationFailed("create cell opens with none of this relay's onion keys")
    }

    private init(position: Int, next: Next, keys: HopKeys) {
        self.position = position
        self.next = next
        self.keys = keys
    }

    public var isExit: Bool { if case .exit = next { true } else { false } }

    /// Peels this hop's layer off one data cell (every byte of it authenticated: the layer and
    /// the padding behind it, which the previous hop derived from a key the origin shares).
    /// A cell that was changed anywhere on its way,
    /// replayed, or delivered out of order fails to authenticate and is refused (the circuit's
    /// counter does not move, so the next genuine cell still opens).
    public mutating func peel(_ cell: Data) throws -> Peeled {
        guard cell.count == OnionCell.size else { throw CircuitError.malformed("data cell of \(cell.count) bytes, expected \(OnionCell.size)") }
        let span = OnionCell.dataSpan(position: position)
        guard let plaintext = Layer.open(cell.prefix(span), key: keys.forward, counter: forwardCounter, .forward, padding: Data(cell.dropFirst(span))) else {
            throw CircuitError.authenticationFailed("data cell \(forwardCounter) does not authenticate (changed, replayed or out of order)")
        }
        defer { forwardCounter += 1 }
        cellsForward += 1
        switch next {
        case .relay:
            var out = plaintext
            out.append(Layer.padding(OnionCell.size - out.count, key: keys.padding, counter: forwardCounter, .forward))
            return .forward(out)
        case .exit:
            return .delivered(try assembler.add(plaintext))
        }
    }

    /// Adds this hop's layer to a reply cell that came back from the next hop.
    public mutating func wrapBackward(_ cell: Data) throws -> Data {
        guard cell.count == OnionCell.size else { throw CircuitError.malformed("reply cell of \(cell.count) bytes, expected \(OnionCell.size)") }
        guard !isExit else { throw CircuitError.malformed("the exit makes replies with reply(_:), it receives none") }
        var out = Layer.seal(cell.prefix(OnionCell.dataSpan(position: position + 1)), key: keys.backward, counter: backwardCounter, .backward)
        backwardCounter += 1
        cellsBackward += 1
        out.append(OnionBytes.random(OnionCell.size - out.count))
        return out
    }

    /// At the exit: the reply cells that carry `message` back to the origin.
    public mutating func reply(_ message: Data) throws -> [Data] {
        guard isExit else { throw CircuitError.malformed("only the exit replies") }
        let hops = position + 1
        let capacity = OnionCell.fragmentCapacity(hops: hops)
        let count = OnionCell.cellCount(messageBytes: message.count, hops: hops)
        var cells: [Data] = []
        var offset = message.startIndex
        for i in 0..<count {
            let end = min(offset + capacity, message.endIndex)
            let fragment = Fragment.encode(message[offset..<end], last: i == count - 1, span: OnionCell.dataSpan(position: hops))
            var out = Layer.seal(fragment, key: keys.backward, counter: backwardCounter, .backward)
            backwardCounter += 1
            cellsBackward += 1
            out.append(OnionBytes.random(OnionCell.size - out.count))
            cells.append(out)
            offset = end
        }
        return cells
    }
}
