import FogModel
import Foundation

/// How an agent carries out one type of `TrainingTask`. Each family whose controllers create
/// tasks of a type supplies its handler here, in its own file, and adds it to `TaskHandlers.all`
/// (one line); `TaskExecutor` decodes the task's spec and hands it to the handler of its type.
public protocol TaskHandler: Sendable {
    /// Carries out `task` (its `spec` decoded) on `executor`'s node, started at `startedAt` on
    /// the node's clock, and returns the status patch that reports it: Succeeded with its
    /// figures, Skipped, or Failed with the reason. Only transport failures (the server away)
    /// are thrown, for the caller to retry.
    func outcome(of task: Resource, spec: TrainingTaskSpec, device: TaskExecutor.DeviceState, on executor: TaskExecutor,
                 startedAt: Date) async throws -> JSONValue
}

/// The task handlers an agent has, by task type. `aggregate` tasks have none here: a node's
/// `RegionalAggregator` takes them, and an executor without one reports them Failed.
public enum TaskHandlers {
    public static let all: [TrainingTaskSpec.TaskType: any TaskHandler] = [
        .train: TrainTaskHandler(),
        .infer: InferTaskHandler(),
    ]
}
