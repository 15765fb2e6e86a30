import FogCircuits
import FogModel
import Foundation

/// The simulated fleet's onion relays: each node with the `relay` role runs the same
/// `OnionRelay` (keys, `RelayNode`, blob-store exit) a real agent runs, reached in process at
/// `sim://NODE` with the same cells an HTTP link carries. An offline node's relay does not
/// answer (its circuits fail and the pools rebuild around it).
final class SimulatedRelays: @unchecked Sendable {
    private let lock = NSLock()
    private var relays: [String: OnionRelay] = [:]

    func relay(_ name: String) -> OnionRelay? { lock.withLock { relays[name] } }
    var names: [String] { lock.withLock { relays.keys.sorted() } }

    func add(_ name: String, fleet: SimulatedFleet) throws {
        guard relay(name) == nil else { return }
        let r = try OnionRelay(name: name, address: fleet.relayAddress(of: name), client: fleet.client, clock: fleet.clock, forward: fleet.relayTransport)
        lock.withLock { relays[name] = r }
    }
}

extension SimulatedFleet {
    /// Where `name`'s relay is published: `sim://NODE`, or `<relayBaseURL>/relays/NODE` when
    /// the fleet's relays are served over HTTP.
    func relayAddress(of name: String) -> String {
        options.relayBaseURL.map { $0 + "/relays/" + name } ?? "sim://" + name
    }

    /// The fleet's relay node an address names, if it is one of the fleet's.
    func localRelayName(_ address: String) -> String? {
        if address.hasPrefix("sim://") { return String(address.dropFirst(6)) }
        if let base = options.relayBaseURL, address.hasPrefix(base + "/relays/") { return String(address.dropFirst(base.count + 8)) }
        return nil
    }

    /// How origins and relays reach relays: the fleet's own in process (an offline node's relay
    /// does not answer), others through `options.externalRelays`.
    public var relayTransport: RelayTransport {
        { [weak self] address, link, kind, cells in
            guard let self else { throw CircuitError.unreachable("no simulated fleet") }
            guard let name = self.localRelayName(address) else {
                guard let external = self.options.externalRelays else { throw CircuitError.unreachable("no simulated relay at \(address)") }
                return try await external(address, link, kind, cells)
            }
            return try await self.receive(relay: name, link: link, kind: kind, cells: cells)
        }
    }

    /// Cells for the fleet's relay `name` (what its HTTP endpoint calls, `/relays/NODE/onion/v1/KIND`).
    public func receive(relay name: String, link: LinkCircuitID, kind: CellBatchKind, cells: [Data]) async throws -> [Data] {
        guard let relay = relays.relay(name), isOnline(name) else { throw CircuitError.unreachable("no relay answers at \(relayAddress(of: name))") }
        return try await relay.node.receive(link: link, kind: kind, cells: cells)
    }

    /// The names of the fleet's relay nodes.
    public var relayNames: [String] { relays.names }

    /// `name`'s relay (tests read its counters and keys).
    public func relay(_ name: String) -> OnionRelay? { relays.relay(name) }
}
