/// `TrainingTask.spec` (schemas/trainingtask.json): one participant's work in one round (or one
/// batch of an inference job), written by the training and inference controllers and read by
/// the node's executor.
public struct TrainingTaskSpec: KindSpec {
    public static let kind = "TrainingTask"

    public enum TaskType: String, SchemaEnum {
        case train, infer, aggregate
    }

    public enum Compression: String, SchemaEnum {
        case none, int8, topk
    }

    public struct Shard: Decodable, Sendable, Equatable {
        public var index: Int
        public var count: Int
    }

    /// An aggregator node's regional model cache and where it serves.
    public struct ModelCacheRef: Decodable, Sendable, Equatable {
        public var node: String
        public var address: String
    }

    /// train, under hierarchy: the region's aggregator node the update goes to.
    public struct AggregatorRef: Decodable, Sendable, Equatable {
        public var node: String
        public var region: String?
        public var address: String
        /// The aggregate task (same namespace).
        public var task: String
        /// The round's upload token for that task.
        public var token: String
    }

    /// aggregate: a participant whose update the aggregator waits for.
    public struct Participant: Decodable, Sendable, Equatable {
        public var node: String
        public var task: String
    }

    /// aggregate: the job's screening, strategy and clipping.
    public struct Aggregation: Decodable, Sendable, Equatable {
        public var strategy: FederatedJobSpec.Aggregation.Strategy
        public var trimBeta: Double
        public var byzantineF: Int
        public var byzantineDetection: Bool
        /// Under differential privacy.
        public var clipNorm: Double?
    }

    /// Through which CircuitPool the update travels (a privacy policy with onion routing).
    public struct OnionRoute: Decodable, Sendable, Equatable {
        /// NAMESPACE/NAME.
        public var pool: String
        public var hops: Int
    }

    public struct Rows: Decodable, Sendable, Equatable {
        public var start: Int
        public var count: Int
    }

    public var job: String
    public var round: Int
    public var node: String
    public var type: TaskType
    /// The global model blob to start from.
    public var model: String?
    public var dataset: String?
    public var shard: Shard
    public var partition: FederatedJobSpec.DataSet.Partition.Scheme
    /// Used by `dirichlet` only.
    public var alpha: Double
    public var testFraction: Double
    public var architecture: FederatedJobSpec.Architecture
    /// Used by `mlp` only.
    public var hiddenUnits: Int
    public var learningRate: Double
    public var batchSize: Int
    public var localEpochs: Int
    public var proximalMu: Double
    public var compression: Compression
    /// Used by `topk` only.
    public var topkFraction: Double
    public var seed: Int64
    /// RFC 3339.
    public var deadline: String?
    /// train, under hierarchy: the regional model cache to fetch the global model from first.
    public var modelCache: ModelCacheRef?
    /// train, under hierarchy: the aggregator to upload the update to.
    public var aggregator: AggregatorRef?
    /// aggregate: the region it combines.
    public var region: String?
    /// aggregate: the participants it waits for.
    public var participants: [Participant]?
    /// aggregate: SHA-256 (hex) of the round's upload token.
    public var uploadTokenSHA256: String?
    /// aggregate: seconds it waits for updates, on its own clock from pick-up.
    public var collectSeconds: Double?
    /// aggregate: the job's screening, strategy and clipping.
    public var aggregation: Aggregation?
    /// train, under onion routing: upload through a circuit of this pool, never directly.
    public var onion: OnionRoute?
    /// infer: rows of the test part to predict.
    public var rows: Rows?
    /// infer: a blob of raw feature rows to predict.
    public var input: String?
}
