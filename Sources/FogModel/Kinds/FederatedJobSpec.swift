/// `FederatedJob.spec` (schemas/federatedjob.json): what to train or serve, under which tier and
/// privacy policy, how to aggregate and where to place it.
public struct FederatedJobSpec: KindSpec {
    public static let kind = "FederatedJob"

    public enum JobType: String, SchemaEnum {
        case training, inference
    }

    public enum Architecture: String, SchemaEnum {
        case logisticRegression = "logistic-regression"
        case mlp
    }

    public struct Model: Decodable, Sendable, Equatable {
        public enum SizeClass: String, SchemaEnum {
            case small, medium, large, xlarge
        }

        public var architecture: Architecture
        public var sizeClass: SizeClass
        /// Used by `mlp` only.
        public var hiddenUnits: Int
        /// Inference: serve the final model of this training job (same namespace).
        public var fromJob: String?
        /// Inference: serve the model blob with this content address.
        public var digest: String?
    }

    public struct DataSet: Decodable, Sendable, Equatable {
        public struct Partition: Decodable, Sendable, Equatable {
            public enum Scheme: String, SchemaEnum {
                case iid, dirichlet
            }

            public var type: Scheme
            /// Used by `dirichlet` only.
            public var alpha: Double
        }

        public var dataset: String
        /// Absent for built-in data sets.
        public var path: String?
        public var testFraction: Double
        public var partition: Partition
    }

    public struct Training: Decodable, Sendable, Equatable {
        public var rounds: Int
        public var localEpochs: Int
        public var learningRate: Double
        public var batchSize: Int
        /// Used by `fedprox` only.
        public var proximalMu: Double
        /// A duration such as 30s, 10m, 1h30m (`DurationText`).
        public var roundTimeout: String
        /// Absent: run every round.
        public var targetAccuracy: Double?
    }

    public struct Inference: Decodable, Sendable, Equatable {
        public var requests: Int
        public var batchSize: Int
        /// Absent: the tier's SLA.
        public var maxLatencyMs: Double?
    }

    public struct Aggregation: Decodable, Sendable, Equatable {
        public enum Strategy: String, SchemaEnum {
            case fedavg, fedprox, fedmedian
            case trimmedMean = "trimmed-mean"
            case krum
            case multiKrum = "multi-krum"
        }

        public enum Compression: String, SchemaEnum {
            case auto, none, int8, topk
        }

        public var strategy: Strategy
        /// Used by `trimmed-mean` only.
        public var trimBeta: Double
        /// Used by `krum` and `multi-krum` only.
        public var byzantineF: Int
        public var byzantineDetection: Bool
        public var compression: Compression
        /// Used by `topk` only.
        public var topkFraction: Double
    }

    public struct Participants: Decodable, Sendable, Equatable {
        public var min: Int
        /// Absent: equal to `min` (`maxOrMin`).
        public var max: Int?

        /// How many the job wants at most: `max`, never below `min`. The schema cannot
        /// default `max`, which follows `min`.
        public var maxOrMin: Int { Swift.max(min, max ?? min) }
    }

    public struct Hierarchy: Decodable, Sendable, Equatable {
        public var enabled: Bool
    }

    public struct Placement: Decodable, Sendable, Equatable {
        public typealias Algorithm = ScoringAlgorithm

        public struct Requirements: Decodable, Sendable, Equatable {
            public var cpu: Double
            public var memoryGiB: Double
            public var gpu: Bool
        }

        public var algorithm: Algorithm
        /// Absent or empty: any region.
        public var regions: [String]?
        /// Absent: the tier's.
        public var deviceClasses: [DeviceClass]?
        /// Labels a node must carry.
        public var nodeSelector: [String: String]?
        public var minTrust: Double
        public var requirements: Requirements
    }

    public struct Allocation: Decodable, Sendable, Equatable {
        public enum Mode: String, SchemaEnum {
            case direct, auction
        }

        public struct Auction: Decodable, Sendable, Equatable {
            public enum Mechanism: String, SchemaEnum {
                case criticalValue = "critical-value"
                case firstPrice = "first-price"
            }

            public var mechanism: Mechanism
            public var duration: String
            /// Absent: the job's quote spread over its participants and units.
            public var reservePrice: Double?
            public var trustWeight: Double
            public var maxRounds: Int
        }

        public var mode: Mode
        public var auction: Auction?
    }

    public struct Budget: Decodable, Sendable, Equatable {
        public var max: Double
        public var currency: String
    }

    public var type: JobType
    public var tier: String
    /// The PrivacyPolicy's name.
    public var privacy: String
    public var model: Model
    public var data: DataSet
    public var training: Training
    public var inference: Inference
    public var aggregation: Aggregation
    public var participants: Participants
    public var hierarchy: Hierarchy
    public var placement: Placement
    public var allocation: Allocation
    /// Absent: no limit.
    public var budget: Budget?
    /// RFC 3339.
    public var deadline: String?
    public var seed: Int64
}
