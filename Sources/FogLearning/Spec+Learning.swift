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

extension RoundPipeline {
    /// The round pipeline of a job with `spec`: its strategy, its screening, and under
    /// differential privacy `mechanism` (from its PrivacyPolicy); by region with `region`.
    public init(job spec: FederatedJobSpec, privacy mechanism: GaussianMechanism?, region: (@Sendable (String) -> String)? = nil) {
        self.init(aggregator: Aggregator(strategy: AggregationStrategy(spec.aggregation.strategy), trimFraction: spec.aggregation.trimBeta,
                                         byzantineCount: spec.aggregation.byzantineF),
                  detector: spec.aggregation.byzantineDetection ? ByzantineDetector() : nil, region: region, privacy: mechanism)
    }

    /// The same pipeline as a region's aggregator node runs it, from its aggregate task's
    /// `aggregation` (which the controller writes from the job: `TrainingTaskSpec.Aggregation(job:clipNorm:)`).
    /// The noise multiplier does not matter there: a region's share is never noised.
    public init(regional a: TrainingTaskSpec.Aggregation) {
        self.init(aggregator: Aggregator(strategy: AggregationStrategy(a.strategy), trimFraction: a.trimBeta, byzantineCount: a.byzantineF),
                  detector: a.byzantineDetection ? ByzantineDetector() : nil,
                  privacy: a.clipNorm.map { GaussianMechanism(clipNorm: Float($0), noiseMultiplier: 0) })
    }
}

extension TrainingTaskSpec.Aggregation {
    /// What an aggregate task carries of `job`'s aggregation (and the clip norm under DP), as JSON for its spec.
    public static func json(job spec: FederatedJobSpec, clipNorm: Double?) -> JSONValue {
        var o: [String: JSONValue] = ["strategy": .string(spec.aggregation.strategy.rawValue), "trimBeta": .double(spec.aggregation.trimBeta),
                                      "byzantineF": .int(Int64(spec.aggregation.byzantineF)),
                                      "byzantineDetection": .bool(spec.aggregation.byzantineDetection)]
        if let clipNorm { o["clipNorm"] = .double(clipNorm) }
        return .object(o)
    }
}
