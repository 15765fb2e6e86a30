import FogModel
import FogRuntime

/// Which CircuitPool a training job's updates travel through: none when its privacy policy
/// asks for no onion routing; else a Ready pool with at least the policy's hops (the job's
/// namespace first); else the round waits, and this says why. Never a silent direct upload.
enum CircuitRoute: Equatable {
    case direct
    case pool(String, hops: Int)
    case waiting(String)

    static func forJob(_ spec: FederatedJobSpec, namespace: String, _ ctx: ReconcileContext) async throws -> CircuitRoute {
        guard let policy = ctx.cache.get(ObjectKey(kind: "PrivacyPolicy", namespace: "", name: spec.privacy)),
              let onion = (try? policy.decodeSpec(PrivacyPolicySpec.self))?.onionRouting, onion.enabled else { return .direct }
        // From the store: the pools' readiness moves on its own controller's writes.
        let pools = try await ctx.client.list(kind: "CircuitPool", namespace: nil, selector: LabelSelector()).items
            .filter { Int($0.status?["hops"]?.intValue ?? 0) >= onion.hops && $0.metadata.deletionTimestamp == nil }
            .sorted { ($0.namespace == namespace ? 0 : 1, $0.namespace, $0.name) < ($1.namespace == namespace ? 0 : 1, $1.namespace, $1.name) }
        if let ready = pools.first(where: { $0.condition("Ready")?.status == .true && ($0.status?["readyCircuits"]?.intValue ?? 0) > 0 }) {
            return .pool("\(ready.namespace)/\(ready.name)", hops: onion.hops)
        }
        let asks = "privacy policy \(spec.privacy) asks for \(onion.hops) onion hops"
        guard !pools.isEmpty else { return .waiting("\(asks); no CircuitPool has \(onion.hops) or more hops") }
        let why = pools.prefix(3).map { p in
            let c = p.condition("Ready")
            return "circuitpool \(p.namespace)/\(p.name): \(c?.reason ?? "not reconciled yet")" + (c.map { ": " + $0.message } ?? "")
        }
        return .waiting("\(asks); no CircuitPool with \(onion.hops)+ hops is Ready (" + why.joined(separator: "; ") + ")")
    }

    /// The task's `spec.onion`.
    var taskJSON: JSONValue? {
        if case .pool(let pool, let hops) = self { return ["pool": .string(pool), "hops": .int(Int64(hops))] }
        return nil
    }
}
