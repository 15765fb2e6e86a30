/// `GitSource.spec` (schemas/gitsource.json): a repository of manifests kept applied.
public struct GitSourceSpec: KindSpec {
    public static let kind = "GitSource"

    public enum DriftPolicy: String, SchemaEnum {
        /// Put an owned object back as git says, as soon as the watch shows the change.
        case repair
        /// Record the difference (status.drift, an event) and leave the object as it is.
        case report
    }

    public struct PruneSafety: Decodable, Sendable, Equatable {
        public var maxDeleteShare: Double
        public var allowEmpty: Bool
        public var allowMissingPath: Bool
    }

    public struct Dependency: Decodable, Sendable, Equatable, Hashable {
        public var name: String
        /// Absent: the dependent's namespace.
        public var namespace: String?
    }

    public var url: String
    public var ref: String
    public var path: String
    public var interval: String
    public var timeout: String
    public var prune: Bool
    public var pruneSafety: PruneSafety
    public var driftPolicy: DriftPolicy
    public var suspend: Bool
    /// Absent: the source's own namespace.
    public var targetNamespace: String?
    public var secretRef: SecretRef?
    public var dependsOn: [Dependency]?

    public struct SecretRef: Decodable, Sendable, Equatable {
        public var name: String
    }
}
