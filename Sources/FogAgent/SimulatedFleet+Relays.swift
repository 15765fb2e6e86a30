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
        let r = try OnionRelay(name: name, address: "sim://" + name, client: fleet.client, clock: fleet.clock, forward: fleet.relayTransport)
        lock.withLock { relays[name] = r }
    }
}

extension SimulatedFleet {
    /// How origins and relays reach the fleet's relays (`sim://NODE`).
    public var relayTransport: RelayTransport {
        { [weak self] address, link, kind, cells in
            guard let self, address.hasPrefix("sim://") else { throw CircuitError.unreachable("no simulated relay at \(address)") }
            let name = String(address.dropFirst(6))
            guard let relay = self.relays.relay(name), self.isOnline(name) else { throw CircuitError.unreachable("no relay answers at \(address)") }
            return try await relay.node.receive(link: link, kind: kind, cells: cells)
        }
    }

    /// The names of the fleet's relay nodes.
    public var relayNames: [String] { relays.names }

    /// `name`'s relay (tests read its counters and keys).
    public func relay(_ name: String) -> OnionRelay? { relays.relay(name) }
}
