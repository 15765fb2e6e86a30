import Foundation

/// What a link carries: a create cell (building a circuit), data cells, or a destroy (no
/// cells: the circuit on that link is closed, and the relay passes the destroy on).
public enum CellBatchKind: String, Sendable { case create, data, destroy }

/// How a relay (or an origin) hands cells to the next hop and gets the reply cells back:
/// over HTTP between real agents (`RelayClient`), in process between the simulated fleet's
/// relays (`RelayDirectory`). The cells are exactly what goes on the wire either way.
public typealias RelayTransport = @Sendable (_ address: String, _ link: LinkCircuitID, _ kind: CellBatchKind, _ cells: [Data]) async throws -> [Data]

/// One relay: the circuits passing through it, their limits, and what it has relayed. The
/// same code serves `fogctl agent --roles relay` (behind its HTTP endpoint) and the simulated
/// fleet's relays (behind an in-process directory). It peels one layer, learns only the next
/// hop, and forwards; at the exit it hands the message to the exit named in the circuit
/// (for example the server's blob store) and sends the answer back.
public actor RelayNode {
    public struct Limits: Sendable {
        /// Circuits open at once; a create beyond is refused (`overloaded`).
        public var maxCircuits = 64
        /// Bytes per second one circuit may push through this relay; a faster circuit waits,
        /// so one circuit cannot starve the others.
        public var circuitBytesPerSecond: Double = 32 * 1_048_576
        /// A circuit with no traffic for this long is closed.
        public var idleSeconds: Double = 600
        public init() {}
    }

    /// What a relay has done (published in its node's status).
    public struct Counters: Sendable, Equatable {
        public var openCircuits = 0
        public var circuitsBuilt = 0
        public var bytesRelayed = 0
        public var cellsRefused = 0
        public var createsRefused = 0
    }

    public typealias Exit = @Sendable (_ exit: String, _ message: Data) async throws -> Data
    public typealias Sleep = @Sendable (_ seconds: Double) async throws -> Void

    struct Entry {
        var circuit: RelayCircuit
        var lastUsed: Double
        /// Token bucket: bytes it may still send now, refilled at the circuit rate.
        var allowance: Double
        var refilled: Double
    }

    public let name: String
    /// The onion keys accepted now (current first): read at every create, so a rotation
    /// takes effect at once while open circuits keep the keys they were built with.
    private let keys: @Sendable () -> [RelayKeyPair]
    public var limits: Limits
    private let forward: RelayTransport
    private let exit: Exit
    private let now: @Sendable () -> Double
    private let sleep: Sleep
    private var circuits: [LinkCircuitID: Entry] = [:]
    public private(set) var counters = Counters()

    public init(name: String, keys: @escaping @Sendable () -> [RelayKeyPair], limits: Limits = Limits(), forward: @escaping RelayTransport, exit: @escaping Exit,
                now: @escaping @Sendable () -> Double, sleep: @escaping Sleep) {
        self.name = name
        self.keys = keys
        self.limits = limits
        self.forward = forward
        self.exit = exit
        self.now = now
        self.sleep = sleep
    }

    public func setLimits(_ limits: Limits) { self.limits = limits }

    /// Handles one batch from the previous hop on `link`.
    public func receive(link: LinkCircuitID, kind: CellBatchKind, cells: [Data]) async throws -> [Data] {
        switch kind {
        case .create:
            guard cells.count == 1 else { throw CircuitError.malformed("a create carries one cell, not \(cells.count)") }
            return try await create(link: link, cell: cells[0])
        case .data:
            return try await relay(link: link, cells: cells)
        case .destroy:
            guard let entry = circuits.removeValue(forKey: link) else { return [] }
            counters.openCircuits = circuits.count
            if case .relay(let address, let nextLink) = entry.circuit.next { _ = try? await forward(address, nextLink, .destroy, []) }
            return []
        }
    }

    private func create(link: LinkCircuitID, cell: Data) async throws -> [Data] {
        let t = now()
        closeIdle(at: t)
        guard circuits[link] == nil else { counters.createsRefused += 1; throw CircuitError.malformed("circuit \(link) exists on this link") }
        guard circuits.count < limits.maxCircuits else {
            counters.createsRefused += 1
            throw CircuitError.overloaded("\(name) has \(circuits.count) circuits open (limit \(limits.maxCircuits))")
        }
        let (circuit, nextCell): (RelayCircuit, Data?)
        do { (circuit, nextCell) = try RelayCircuit.accept(createCell: cell, keys: keys()) } catch {
            counters.createsRefused += 1
            throw error
        }
        var entry = Entry(circuit: circuit, lastUsed: t, allowance: limits.circuitBytesPerSecond, refilled: t)
        let replies: [Data]
        switch circuit.next {
        case .exit:
            replies = try entry.circuit.reply(OriginCircuit.createdMessage)
        case .relay(let address, let nextLink):
            // Held while the rest of the circuit is built; a failure downstream frees it.
            circuits[link] = entry
            let downstream: [Data]
            do { downstream = try await forward(address, nextLink, .create, [nextCell!]) } catch {
                circuits[link] = nil
                counters.openCircuits = circuits.count
                throw error
            }
            guard var held = circuits[link] else { throw CircuitError.unknownCircuit(link.description) }
            replies = try downstream.map { try held.circuit.wrapBackward($0) }
            entry = held
        }
        circuits[link] = entry
        counters.circuitsBuilt += 1
        counters.openCircuits = circuits.count
        counters.bytesRelayed += OnionCell.size * (1 + replies.count)
        return replies
    }

    private func relay(link: LinkCircuitID, cells: [Data]) async throws -> [Data] {
        guard var entry = circuits[link] else {
            counters.cellsRefused += cells.count
            throw CircuitError.unknownCircuit(link.description)
        }
        // The circuit's share of the relay: wait for its allowance.
        let bytes = Double(cells.count * OnionCell.size)
        let t = now()
        entry.allowance = min(limits.circuitBytesPerSecond, entry.allowance + (t - entry.refilled) * limits.circuitBytesPerSecond)
        entry.refilled = t
        entry.allowance -= bytes
        entry.lastUsed = t
        circuits[link] = entry
        if entry.allowance < 0 { try await sleep(-entry.allowance / limits.circuitBytesPerSecond) }
        guard var current = circuits[link] else { throw CircuitError.unknownCircuit(link.description) }
        var peeled: [Data] = []
        var message: Data?
        do {
            for cell in cells {
                switch try current.circuit.peel(cell) {
                case .forward(let out): peeled.append(out)
                case .delivered(let m): if let m { message = m }
                }
            }
        } catch {
            circuits[link] = current
            counters.cellsRefused += cells.count - peeled.count
            throw error
        }
        circuits[link] = current
        var replies: [Data] = []
        switch current.circuit.next {
        case .exit(let exitName):
            if let message {
                let answer = try await self.exit(exitName, message)
                guard var held = circuits[link] else { throw CircuitError.unknownCircuit(link.description) }
                replies = try held.circuit.reply(answer)
                circuits[link] = held
            }
        case .relay(let address, let nextLink):
            let downstream = try await forward(address, nextLink, .data, peeled)
            guard var held = circuits[link] else { throw CircuitError.unknownCircuit(link.description) }
            replies = try downstream.map { try held.circuit.wrapBackward($0) }
            circuits[link] = held
        }
        counters.bytesRelayed += OnionCell.size * (cells.count + replies.count)
        return replies
    }

    /// Closes circuits idle longer than the limit.
    private func closeIdle(at t: Double) {
        circuits = circuits.filter { t - $0.value.lastUsed < limits.idleSeconds }
        counters.openCircuits = circuits.count
    }

    /// Closes the circuit on `link` (its origin is done with it).
    public func close(link: LinkCircuitID) {
        circuits[link] = nil
        counters.openCircuits = circuits.count
    }
}

/// The simulated fleet's wire: relays registered by address, reached in process. The cells
/// passed are the same bytes an HTTP link carries.
public actor RelayDirectory {
    private var relays: [String: RelayNode] = [:]
    public init() {}

    public func register(_ relay: RelayNode, at address: String) { relays[address] = relay }
    public func remove(address: String) { relays[address] = nil }
    public func relay(at address: String) -> RelayNode? { relays[address] }

    /// A transport over this directory.
    public nonisolated var transport: RelayTransport {
        { address, link, kind, cells in
            guard let relay = await self.relay(at: address) else { throw CircuitError.unreachable("no relay answers at \(address)") }
            return try await relay.receive(link: link, kind: kind, cells: cells)
        }
    }
}
