import FogModel
import FogRuntime

extension ControllerFamily {
    /// Federated inference: a trained model served in batches of infer tasks, with latency
    /// against the SLA and the cost per request.
    public static let inference = ControllerFamily(
        name: "inference",
        kinds: [],
        access: [
            // Infer tasks are TrainingTasks bound to the node, as training's are.
            AccessRule(.agent, kind: "TrainingTask", verbs: [.get, .list, .watch, .updateStatus], scope: .boundToNode(field: "spec.node")),
            .tenantReads("TrainingTask"),
        ],
        controllers: { _ in [InferenceController()] })
}
