import FogCircuits
import FogRemote

/// How the CLI's controllers and origins reach relays: `sim://NODE` through the simulated
/// fleet (in process), anything else over HTTP.
enum RelayTransports {
    static func combined(simulated: @escaping RelayTransport, http: @escaping RelayTransport = RelayClient.shared.transport) -> RelayTransport {
        { address, link, kind, cells in
            address.hasPrefix("sim://") ? try await simulated(address, link, kind, cells) : try await http(address, link, kind, cells)
        }
    }
}
