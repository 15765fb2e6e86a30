import FogModel
import FogRuntime

extension ControllerFamily {
    /// Federated training: rounds as TrainingTasks bound to the participants, their updates
    /// screened, aggregated (by region when hierarchical), noised and evaluated.
    public static let training = ControllerFamily(
        name: "training",
        kinds: ["TrainingTask"],
        agentPermissions: [
            // The tasks bound to its node: read them, report in their status.
            AgentPermission(kind: "TrainingTask", verbs: [.get, .list, .watch, .updateStatus], scope: .boundToNode(field: "spec.node")),
        ],
        controllers: { settings in [TrainingController(dataDirectory: settings.dataDirectory)] })
}
