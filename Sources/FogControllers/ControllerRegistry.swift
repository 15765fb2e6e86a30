import FogModel
import FogRuntime

/// Every controller fog runs. A new controller is added here, and only here.
public enum ControllerRegistry {
    public struct Options: Sendable {
        /// A node whose last heartbeat is older than this is not Ready.
        public var heartbeatTimeout: Double = 15
        /// Where data sets live (`<dir>/<name>.csv`), for training.
        public var dataDirectory = "examples/data"
        public init() {}
    }

    public static func all(_ options: Options = Options()) -> [any Controller] {
        // Admission and allocation read the same decoded view of the nodes.
        let nodes = NodeIndex()
        return [
            NodeLifecycleController(heartbeatTimeout: options.heartbeatTimeout),
            TierController(),
            PrivacyPolicyController(),
            FederatedJobController(nodes: nodes),
            AllocationController(nodes: nodes),
            TrainingController(dataDirectory: options.dataDirectory),
            InferenceController(),
            HarvestController(),
            HarvestPolicyController(),
        ]
    }

    public static var names: [String] { all().map(\.name) + ["garbage-collector"] }

    /// Kinds whose controller reports a `Ready` condition.
    public static let readyKinds: Set<String> = ["FogNode", "Tier", "PrivacyPolicy", "HarvestPolicy"]

    /// Kinds some controller reconciles (and so writes `status.observedGeneration`).
    public static var controlledKinds: Set<String> { Set(all().map(\.kind)) }
}
