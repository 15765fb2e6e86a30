import FogCircuits
import Foundation
import Testing

/// Three relays on a simulated wire: every cell each one receives is recorded with the link it
/// came from, so the tests can say exactly what a hop (or an observer of its link) saw.
struct RecordedWire {
    struct Reception { var relay: String; var from: String; var cell: Data }
    let relays: [(name: String, address: String, key: RelayKeyPair)]
    var circuits: [String: RelayCircuit] = [:]
    var received: [Reception] = []
    var delivered: [Data] = []

    init(hops: Int) {
        relays = (0..<hops).map { ("relay-\($0)", "127.0.0.1:\(9100 + $0)", RelayKeyPair()) }
    }

    var path: [HopDescriptor] { relays.map { HopDescriptor(name: $0.name, address: $0.address, onionKey: $0.key.publicKey) } }

    /// Sends the create cell along, hop by hop, as the relays forward it.
    mutating func build(_ origin: OriginCircuit, from originAddress: String) throws {
        var cell = origin.createCell, from = originAddress
        for (i, r) in relays.enumerated() {
            received.append(Reception(relay: r.name, from: from, cell: cell))
            let (state, next) = try RelayCircuit.accept(createCell: cell, keys: [r.key])
            circuits[r.name] = state
            if i < relays.count - 1 {
                #expect(state.next == .relay(address: relays[i + 1].address, link: (state.next.link)!))
                cell = try #require(next)
            } else {
                #expect(state.next == .exit("blob-store") && next == nil)
            }
            from = r.address
        }
    }

    /// Carries one data cell through every hop; the exit's message, when this cell ended one.
    mutating func send(_ cell: Data, from originAddress: String, tamperAt hop: Int? = nil, byte: Int = 0) throws -> Data? {
        var cell = cell, from = originAddress
        for (i, r) in relays.enumerated() {
            if hop == i { cell[cell.startIndex + byte] ^= 0x01 }
            received.append(Reception(relay: r.name, from: from, cell: cell))
            switch try circuits[r.name]!.peel(cell) {
            case .forward(let next): cell = next
            case .delivered(let message):
                if let message { delivered.append(message) }
                return message
            }
            from = r.address
        }
        return nil
    }

    /// The exit replies; each hop wraps the reply cells on their way back.
    mutating func reply(_ message: Data) throws -> [Data] {
        var cells = try circuits[relays.last!.name]!.reply(message)
        for r in relays.dropLast().reversed() {
            cells = try cells.map { try circuits[r.name]!.wrapBackward($0) }
        }
        return cells
    }
}

extension RelayCircuit.Next {
    var link: LinkCircuitID? { if case .relay(_, let l) = self { l } else { nil } }
}

extension Data {
    func contains(_ needle: Data) -> Bool { range(of: needle) != nil }
}

@Suite struct CellConstructionTests {
    let originAddress = "10.9.8.7:5555 (trainer node-a, task job-1-r1-node-a)"

    func update(bytes: Int) -> Data {
        var d = Data("MODEL-UPDATE job-1 round 1 from node-a;".utf8)
        while d.count < bytes { d.append(contentsOf: "weights:0.1250,-0.0625;".utf8) }
        return d.prefix(bytes)
    }

    @Test func eachRelayReceivesOnlyFixedSizeCellsFromThePreviousHopAndNoPlaintext() throws {
        var wire = RecordedWire(hops: 3)
        var origin = try OriginCircuit(path: wire.path, exit: "blob-store")
        try wire.build(origin, from: originAddress)
        let message = update(bytes: 20_000)
        let cells = origin.wrap(message)
        #expect(cells.count == OnionCell.cellCount(messageBytes: message.count, hops: 3) && cells.count > 1)
        var got: Data?
        for cell in cells { got = try wire.send(cell, from: originAddress) }
        #expect(got == message)

        // What each relay received: cells of one size only, from the previous hop only.
        #expect(Set(wire.received.map(\.cell.count)) == [OnionCell.size])
        for (i, r) in wire.relays.enumerated() {
            let froms = Set(wire.received.filter { $0.relay == r.name }.map(\.from))
            #expect(froms == [i == 0 ? originAddress : wire.relays[i - 1].address])
        }
        // No plaintext and no origin in any cell any relay (or link observer) saw.
        let marker = Data("MODEL-UPDATE".utf8), weights = Data("weights:0.1250".utf8)
        for r in wire.received {
            #expect(!r.cell.contains(marker) && !r.cell.contains(weights))
            #expect(!r.cell.contains(Data("10.9.8.7".utf8)) && !r.cell.contains(Data("node-a".utf8)))
        }
        // The middle and exit never learn the origin's address: only the guard's link sees it.
        #expect(wire.received.filter { $0.from == originAddress }.allSatisfy { $0.relay == "relay-0" })
        // Positions: each hop learns only how many hops precede it.
        #expect(wire.relays.map { wire.circuits[$0.name]!.position } == [0, 1, 2])

        // The reply comes back through the same hops and only the origin can read it.
        let ack = Data("{\"digest\":\"sha256:abc\"}".utf8)
        let replies = try wire.reply(ack)
        #expect(replies.allSatisfy { $0.count == OnionCell.size })
        #expect(try origin.unwrap(replyCells: replies) == ack)
    }

    @Test func everyCircuitLengthCarriesMessagesOfEverySize() throws {
        for hops in 1...OnionCell.maxHops {
            var wire = RecordedWire(hops: hops)
            var origin = try OriginCircuit(path: wire.path, exit: "blob-store")
            try wire.build(origin, from: originAddress)
            let capacity = OnionCell.fragmentCapacity(hops: hops)
            for size in [0, 1, capacity - 1, capacity, capacity + 1, 3 * capacity + 7] {
                let message = update(bytes: size)
                var got: Data?
                for cell in origin.wrap(message) { got = try wire.send(cell, from: originAddress) }
                #expect(got == message, "hops \(hops), \(size) bytes")
                #expect(try origin.unwrap(replyCells: wire.reply(message)) == message)
            }
            #expect(Set(wire.received.map(\.cell.count)) == [OnionCell.size])
        }
    }

    @Test func changingAnyByteAtAnyHopIsRefusedThere() throws {
        var g = SystemRandomNumberGenerator()
        for hop in 0..<3 {
            // Offsets in the layer, in the padding behind it, first and last.
            for byte in [0, OnionCell.size / 2, OnionCell.size - 1, OnionCell.size - 16 * hop, Int.random(in: 0..<OnionCell.size, using: &g)] where byte < OnionCell.size {
                var wire = RecordedWire(hops: 3)
                var origin = try OriginCircuit(path: wire.path, exit: "blob-store")
                try wire.build(origin, from: originAddress)
                let cells = origin.wrap(update(bytes: 100))
                let before = wire.received.count
                #expect(throws: CircuitError.self, "hop \(hop) byte \(byte)") { try wire.send(cells[0], from: originAddress, tamperAt: hop, byte: byte) }
                // Refused at the hop where it changed: the hops after it saw nothing.
                #expect(wire.received.count - before == hop + 1 && wire.received.last!.relay == "relay-\(hop)")
                if hop == 0 {
                    // Refused at the guard, nothing moved: the genuine cell still goes through.
                    #expect(try wire.send(cells[0], from: originAddress) == update(bytes: 100))
                } else {
                    // The hops before it have moved on: the same cell again is a replay to them,
                    // and the circuit is out of step (the origin builds another, as Tor does).
                    #expect(throws: CircuitError.self) { try wire.send(cells[0], from: originAddress) }
                }
            }
        }
    }

    @Test func changingAnyByteOfACreateCellIsRefused() throws {
        let wire = RecordedWire(hops: 3)
        let origin = try OriginCircuit(path: wire.path, exit: "blob-store")
        for byte in [40, 1000, OnionCell.size - 1] {
            var cell = origin.createCell
            cell[byte] ^= 0x80
            #expect(throws: CircuitError.self) { try RelayCircuit.accept(createCell: cell, keys: [wire.relays[0].key]) }
        }
        // The second hop's create cell, changed in the padding the first hop appended.
        var (_, next) = try RelayCircuit.accept(createCell: origin.createCell, keys: [wire.relays[0].key])
        next![OnionCell.size - 1] ^= 0x01
        #expect(throws: CircuitError.self) { try RelayCircuit.accept(createCell: next!, keys: [wire.relays[1].key]) }
        // A create cell for another relay's key opens with none of this relay's keys.
        #expect(throws: CircuitError.self) { try RelayCircuit.accept(createCell: origin.createCell, keys: [wire.relays[1].key]) }
    }

    @Test func aReplayedOrReorderedCellIsRefused() throws {
        var wire = RecordedWire(hops: 3)
        var origin = try OriginCircuit(path: wire.path, exit: "blob-store")
        try wire.build(origin, from: originAddress)
        let cells = origin.wrap(update(bytes: 3 * OnionCell.fragmentCapacity(hops: 3)))
        #expect(cells.count == 3)
        _ = try wire.send(cells[0], from: originAddress)
        // Replayed: the guard's counter has moved on.
        #expect(throws: CircuitError.authenticationFailed("data cell 1 does not authenticate (changed, replayed or out of order)")) {
            try wire.send(cells[0], from: originAddress)
        }
        // Reordered: the third before the second.
        #expect(throws: CircuitError.self) { try wire.send(cells[2], from: originAddress) }
        // A replay to a later hop (a cell an observer copied off the guard→middle link) is refused too.
        let copied = wire.received.filter { $0.relay == "relay-1" }[1].cell
        #expect(throws: CircuitError.self) { _ = try wire.circuits["relay-1"]!.peel(copied) }
        // In order, the message still arrives whole.
        #expect(try wire.send(cells[1], from: originAddress) == nil)
        #expect(try wire.send(cells[2], from: originAddress) == update(bytes: 3 * OnionCell.fragmentCapacity(hops: 3)))
        // Reply cells replayed to the origin are refused as well.
        let replies = try wire.reply(Data("ok".utf8))
        #expect(try origin.unwrap(replyCells: replies) == Data("ok".utf8))
        #expect(throws: CircuitError.self) { try origin.unwrap(replyCells: replies) }
    }

    @Test func aRotatedKeyStillAcceptsCircuitsBuiltWithThePreviousOne() throws {
        let old = RelayKeyPair(), new = RelayKeyPair()
        let hop = HopDescriptor(name: "r", address: "127.0.0.1:1", onionKey: old.publicKey)
        let origin = try OriginCircuit(path: [hop], exit: "blob-store")
        let (state, _) = try RelayCircuit.accept(createCell: origin.createCell, keys: [new, old])
        #expect(state.isExit)
        #expect(throws: CircuitError.self) { try RelayCircuit.accept(createCell: origin.createCell, keys: [new]) }
        // Keys survive being stored as raw bytes and published as base64.
        #expect(try RelayKeyPair(rawPrivateKey: new.rawPrivateKey).publicKeyBase64 == new.publicKeyBase64)
        #expect(try RelayKeyPair.publicKey(base64: new.publicKeyBase64).rawRepresentation == new.publicKey.rawRepresentation)
        #expect(throws: CircuitError.self) { try RelayKeyPair.publicKey(base64: "not a key") }
    }

    @Test func badPathsAreRefusedWithAReason() throws {
        #expect(throws: CircuitError.malformed("a circuit has 1 to 8 hops, not 0")) { try OriginCircuit(path: [], exit: "blob-store") }
        let long = HopDescriptor(name: "r", address: String(repeating: "a", count: 200), onionKey: RelayKeyPair().publicKey)
        #expect(throws: CircuitError.self) { try OriginCircuit(path: [long], exit: "blob-store") }
    }
}
