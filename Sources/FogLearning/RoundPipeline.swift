/// The server side of one federated round, in one copy: the training controller, the
/// in-process runner (`FederatedSimulation`) and the benchmarks all call it, so the
/// robustness grid measures the pipeline the product runs.
///
/// Screen (Byzantine detection) → aggregate with the strategy (by region first when the
/// job is hierarchical) → or, under differential privacy, DP-FedAvg over the clipped
/// changes with Gaussian noise (the strategy's robust rule does not apply under DP).
///
///     let pipeline = RoundPipeline(aggregator: Aggregator(strategy: .fedavg), detector: ByzantineDetector())
///     var rng = SystemRandomNumberGenerator()
///     let outcome = try pipeline.run(updates, global: global, using: &rng)
///     global = outcome.parameters
public struct RoundPipeline: Sendable {
    public var aggregator: Aggregator
    /// Byzantine detection before aggregation; nil aggregates every update.
    public var detector: ByzantineDetector?
    /// Aggregate by region first (`region` maps an update's id to its region), then globally
    /// over the regional aggregates weighted by their samples. Applies to fedavg and fedprox,
    /// for which it equals flat aggregation; other strategies aggregate flat.
    public var region: (@Sendable (String) -> String)?
    /// Differential privacy: clip each update's change to the clip norm, average, add noise.
    public var privacy: GaussianMechanism?

    /// Detection's fences come from quartiles of the updates: with fewer it does not screen.
    public static let minimumUpdatesForDetection = 4

    public init(aggregator: Aggregator, detector: ByzantineDetector? = nil, region: (@Sendable (String) -> String)? = nil,
                privacy: GaussianMechanism? = nil) {
        self.aggregator = aggregator
        self.detector = detector
        self.region = region
        self.privacy = privacy
    }

    public struct Outcome: Sendable {
        /// The next global model (the current one when nothing was accepted).
        public var parameters: [Float]
        /// Updates that went into the aggregate.
        public var accepted: [Update]
        /// Updates detection removed, with why.
        public var flags: [ByzantineDetector.Flag]
        public var flaggedIDs: [String] { flags.map(\.id) }
    }

    /// The aggregator as it applies to `count` accepted updates: Krum's f below the count,
    /// Multi-Krum's m within it.
    public func aggregator(for count: Int) -> Aggregator {
        var a = aggregator
        a.byzantineCount = max(0, min(a.byzantineCount, count - 1))
        if let m = a.selectionCount { a.selectionCount = max(1, min(m, count)) }
        return a
    }

    /// Runs the round over `updates` (each from the current `global` model); `noise` draws
    /// the DP noise (pass the system generator in production: noise a seed could recompute
    /// could be subtracted).
    public func run<G: RandomNumberGenerator>(_ updates: [Update], global: [Float], using noise: inout G) throws -> Outcome {
        var accepted = updates
        var flags: [ByzantineDetector.Flag] = []
        if let detector, updates.count >= Self.minimumUpdatesForDetection {
            let report = try detector.inspect(updates, global: global)
            accepted = report.accepted
            flags = report.flagged
        }
        guard !accepted.isEmpty else { return Outcome(parameters: global, accepted: [], flags: flags) }
        let next: [Float]
        if let privacy {
            let deltas = accepted.map { u in zip(u.parameters, global).map { $0 - $1 } }
            let noisy = privacy.noisyMean(of: deltas, using: &noise).mean
            next = zip(global, noisy).map { $0 + $1 }
        } else if let region, aggregator.strategy == .fedavg || aggregator.strategy == .fedprox {
            next = try HierarchicalAggregation.aggregate(accepted, region: region, with: aggregator(for: accepted.count))
        } else {
            next = try aggregator(for: accepted.count).aggregate(accepted).parameters
        }
        return Outcome(parameters: next, accepted: accepted, flags: flags)
    }
}
