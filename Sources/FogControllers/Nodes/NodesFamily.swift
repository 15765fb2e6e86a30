import FogModel
import FogRuntime

extension ControllerFamily {
    /// Node lifecycle and peer scoring: heartbeats make a node Ready (or not), telemetry
    /// becomes availability, scores per algorithm and trust.
    public static let nodes = ControllerFamily(
        name: "nodes",
        kinds: ["FogNode"],
        access: [
            // An agent registers its own node, reads it, and heartbeats into its status.
            AccessRule(.agent, kind: "FogNode", verbs: [.get, .create, .updateStatus], scope: .ownNode),
            // Tenants see the fleet they buy from (nodes are cluster-scoped; operators register them).
            .readsAll(.tenant, "FogNode"),
        ],
        readiness: ["FogNode": .readyCondition],
        controllers: { settings in [NodeLifecycleController(heartbeatTimeout: settings.heartbeatTimeout)] },
        summary: { cache in
            let nodes = cache.list("FogNode")
            guard !nodes.isEmpty else { return [] }
            let ready = nodes.filter { $0.condition("Ready")?.status == .true }.count
            let notReady = nodes.filter { $0.condition("Ready")?.status == .false }.count
            let unknown = nodes.count - ready - notReady
            let harvestable = nodes.filter { $0.condition("Harvestable")?.status == .true }.count
            let harvestMatched = nodes.filter { $0.condition("Harvestable") != nil }.count
            return ["nodes: \(nodes.count) (\(ready) Ready, \(notReady) NotReady, \(unknown) without heartbeat)"
                + (harvestMatched > 0 ? "; harvestable: \(harvestable) of \(harvestMatched) under harvest policies" : "")]
        })
}
