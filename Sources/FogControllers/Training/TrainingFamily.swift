import FogModel
import FogRuntime

extension ControllerFamily {
    /// Federated training: rounds as TrainingTasks bound to the participants, their updates
    /// screened, aggregated (by region when hierarchical), noised and evaluated.
    public static let training = ControllerFamily(
        name: "training",
        kinds: ["TrainingTask"],
        access: [
            // The tasks bound to its node: read them, report in their status.
            AccessRule(.agent, kind: "TrainingTask", verbs: [.get, .list, .watch, .updateStatus], scope: .boundToNode(field: "spec.node")),
            // A tenant follows its jobs' tasks; the training controller alone creates and deletes them.
            .tenantReads("TrainingTask"),
        ],
        controllers: { settings in [TrainingController(dataDirectory: settings.dataDirectory)] })
}
