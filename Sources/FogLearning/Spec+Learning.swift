import FogModel

// The learning vocabulary of the FederatedJob and TrainingTask specs (their schemas'
// enums, in FogModel) as the types this library trains with.

extension ModelKind {
    /// The model an `architecture` names; `hiddenUnits` is used by `mlp` only.
    public init(_ architecture: FederatedJobSpec.Architecture, hiddenUnits: Int) {
        switch architecture {
        case .logisticRegression: self = .logisticRegression
        case .mlp: self = .mlp(hidden: hiddenUnits)
        }
    }
}

extension PartitionScheme {
    /// The partition a `partition` type names; `alpha` is used by `dirichlet` only.
    public init(_ scheme: FederatedJobSpec.DataSet.Partition.Scheme, alpha: Double) {
        switch scheme {
        case .iid: self = .iid
        case .dirichlet: self = .dirichlet(alpha: alpha)
        }
    }
}

extension AggregationStrategy {
    /// The strategy a job's `aggregation.strategy` names.
    public init(_ strategy: FederatedJobSpec.Aggregation.Strategy) {
        switch strategy {
        case .fedavg: self = .fedavg
        case .fedprox: self = .fedprox
        case .fedmedian: self = .fedmedian
        case .trimmedMean: self = .trimmedMean
        case .krum: self = .krum
        case .multiKrum: self = .multiKrum
        }
    }
}

extension CompressionSetting {
    /// The setting a job's `aggregation.compression` names.
    public init(_ compression: FederatedJobSpec.Aggregation.Compression) {
        switch compression {
        case .auto: self = .auto
        case .none: self = .none
        case .int8: self = .int8
        case .topk: self = .topk
        }
    }
}

extension UpdateCodec {
    /// The codec a task's `compression` names; `topkFraction` is used by `topk` only.
    public init(_ compression: TrainingTaskSpec.Compression, topkFraction: Double) {
        switch compression {
        case .none: self = .none
        case .int8: self = .int8
        case .topk: self = .topK(fraction: topkFraction)
        }
    }
}
