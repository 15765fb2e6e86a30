import FogModel
import FogRuntime

extension ControllerFamily {
    /// Onion circuits: CircuitPools keep circuits of relay nodes ready, built and probed for
    /// real through the relays' onion keys (FogCircuits), rotated at their lifetime and rebuilt
    /// when a relay fails. See docs/circuits.md.
    public static let circuits = ControllerFamily(
        name: "circuits",
        kinds: ["CircuitPool"],
        access: [
            // Operators define pools (admins); tenants see those of their namespaces.
            .tenantReads("CircuitPool"),
            // Agents read pools: an uploading node picks a circuit from a pool's status and
            // builds its own over that path.
            .readsAll(.agent, "CircuitPool"),
        ],
        readiness: ["CircuitPool": .readyCondition],
        controllers: { settings in [CircuitPoolController(transport: settings.relayTransport)] },
        summary: { cache in cache.list("CircuitPool").map(CircuitPoolSummary.line) })
}

/// One line per pool for `fogctl up`.
enum CircuitPoolSummary {
    static func line(_ p: Resource) -> String {
        let s = p.status
        let ready = s?["readyCircuits"]?.intValue ?? 0
        let wanted = p.spec?["circuits"]?.intValue ?? 0
        var facts = ["\(ready)/\(wanted) circuits of \(s?["hops"]?.intValue ?? p.spec?["hops"]?.intValue ?? 0) hops"]
        if let r = s?["rotations"]?.intValue, r > 0 { facts.append("\(r) rotations") }
        if let r = s?["rebuilds"]?.intValue, r > 0 { facts.append("\(r) rebuilds") }
        if let b = s?["bytesRelayed"]?.intValue { facts.append("\(b) bytes relayed") }
        let cond = p.condition("Ready")
        let state = cond?.status == .true ? "Ready" : (cond?.reason ?? "Pending")
        return "circuitpool \(p.namespace)/\(p.name): \(state) (" + facts.joined(separator: ", ") + ")"
    }
}
