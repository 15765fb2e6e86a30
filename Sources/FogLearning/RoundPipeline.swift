/// The server side of one federated round, in one copy: the training controller, the
/// in-process runner (`FederatedSimulation`) and the benchmarks all call it, so the
/// robustness grid measures the pipeline the product runs.
///
/// Screen (Byzantine detection) → aggregate with the strategy → or, under differential
/// privacy, DP-FedAvg over the clipped changes with Gaussian noise (the strategy's robust rule
/// does not apply under DP). Split at the regional boundary: `regional` is what a region's
/// aggregator node runs on its region's updates (screening, strategy, clipping), `combine`
/// what the controller runs on the regions' shares (sample-weighted mean, or the DP noise,
/// added once); `run` is the two in one process, and with one region it is flat aggregation.
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
    /// over the regional aggregates weighted by their samples: for fedavg and fedprox this
    /// equals flat aggregation; a robust strategy (and screening) then applies within each
    /// region, as it does on the regions' aggregator nodes.
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
    /// could be subtracted). With `region`, each region's share is computed apart
    /// (`regional`), as its aggregator node does, and the shares are combined (`combine`), as
    /// the controller does; without, the whole round is one share.
    public func run<G: RandomNumberGenerator>(_ updates: [Update], global: [Float], using noise: inout G) throws -> Outcome {
        var groups: [String: [Update]] = [:]
        for u in updates { groups[region?(u.id) ?? "", default: []].append(u) }
        let shares = try groups.sorted { $0.key < $1.key }.map { try regional($0.value, global: global, region: $0.key) }
        let byID = Dictionary(updates.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        let accepted = shares.flatMap(\.accepted).compactMap { byID[$0] }
        return Outcome(parameters: try combine(shares, global: global, using: &noise), accepted: accepted, flags: shares.flatMap(\.flags))
    }

    /// One region's share of a round, computed where the region's updates arrive (its
    /// aggregator node, or the controller for updates uploaded to the server): the updates are
    /// screened (Byzantine detection, with at least `minimumUpdatesForDetection` of them) and
    /// aggregated with the strategy; under differential privacy the accepted updates' changes
    /// are clipped and summed instead, without noise (`combine` adds it once, to the total).
    public func regional(_ updates: [Update], global: [Float], region: String) throws -> RegionalAggregate {
        var accepted = updates
        var flags: [ByzantineDetector.Flag] = []
        if let detector, updates.count >= Self.minimumUpdatesForDetection {
            let report = try detector.inspect(updates, global: global)
            accepted = report.accepted
            flags = report.flagged
        }
        let samples = accepted.reduce(0) { $0 + $1.samples }
        guard !accepted.isEmpty else {
            return RegionalAggregate(region: region, form: privacy == nil ? .model : .clippedSum, parameters: [], samples: 0, accepted: [], flags: flags)
        }
        for u in accepted where u.parameters.count != global.count {
            throw LearningError.shapeMismatch("update \(u.id) has \(u.parameters.count) parameters, the global model \(global.count)")
        }
        if let privacy {
            var sum = [Double](repeating: 0, count: global.count)
            for u in accepted {
                var change = zip(u.parameters, global).map { $0 - $1 }
                GaussianMechanism.clip(&change, norm: privacy.clipNorm)
                for k in sum.indices { sum[k] += Double(change[k]) }
            }
            return RegionalAggregate(region: region, form: .clippedSum, parameters: sum.map { Float($0) }, samples: samples,
                                     accepted: accepted.map(\.id), flags: flags)
        }
        let parameters = try aggregator(for: accepted.count).aggregate(accepted).parameters
        return RegionalAggregate(region: region, form: .model, parameters: parameters, samples: samples, accepted: accepted.map(\.id), flags: flags)
    }

    /// The next global model from the regions' shares: their models averaged by the samples
    /// behind them (with one share, that share as it is: flat aggregation); under differential
    /// privacy the clipped sums added up, divided by the number of updates behind them, with
    /// the Gaussian noise added once. The current `global` when no share accepted anything.
    public func combine<G: RandomNumberGenerator>(_ shares: [RegionalAggregate], global: [Float], using noise: inout G) throws -> [Float] {
        let live = shares.filter { !$0.accepted.isEmpty }
        guard !live.isEmpty else { return global }
        for s in live where s.parameters.count != global.count {
            throw LearningError.shapeMismatch("the share of region \(s.region) has \(s.parameters.count) parameters, the global model \(global.count)")
        }
        if let privacy {
            guard live.allSatisfy({ $0.form == .clippedSum }) else {
                throw LearningError.invalidArgument("under differential privacy every regional share must be a clipped sum")
            }
            let n = live.reduce(0) { $0 + $1.accepted.count }
            var sum = [Double](repeating: 0, count: global.count)
            for s in live { for k in sum.indices { sum[k] += Double(s.parameters[k]) } }
            var mean = sum.map { Float($0 / Double(n)) }
            privacy.addNoise(toMean: &mean, denominator: Double(n), using: &noise)
            return zip(global, mean).map { $0 + $1 }
        }
        guard live.allSatisfy({ $0.form == .model }) else {
            throw LearningError.invalidArgument("without differential privacy every regional share must be a model")
        }
        if live.count == 1 { return live[0].parameters }
        // Σ_r (n_r/N) w_r: with fedavg in each region, exactly flat FedAvg (up to rounding).
        let total = live.reduce(0) { $0 + $1.samples }
        var sum = [Double](repeating: 0, count: global.count)
        for s in live {
            let weight = total > 0 ? Double(s.samples) / Double(total) : 1 / Double(live.count)
            for k in sum.indices { sum[k] += weight * Double(s.parameters[k]) }
        }
        return sum.map { Float($0) }
    }
}

/// One region's share of a round (`RoundPipeline.regional`): what an aggregator node uploads
/// to the server in place of its region's updates. Its parameters travel as a blob; the rest
/// in the aggregate task's status.
public struct RegionalAggregate: Sendable, Equatable {
    public enum Form: String, Sendable, Codable {
        /// The strategy's aggregate of the region's accepted updates: a model.
        case model
        /// Under differential privacy: the sum of the accepted updates' changes, each clipped
        /// to the clip norm, without noise.
        case clippedSum = "clipped-sum"
    }

    public var region: String
    public var form: Form
    /// Empty when nothing was accepted.
    public var parameters: [Float]
    /// Training rows behind the accepted updates: the share's weight.
    public var samples: Int
    /// Who contributed (update ids, i.e. nodes).
    public var accepted: [String]
    /// Updates detection removed, with why.
    public var flags: [ByzantineDetector.Flag]

    public init(region: String, form: Form, parameters: [Float], samples: Int, accepted: [String], flags: [ByzantineDetector.Flag]) {
        self.region = region; self.form = form; self.parameters = parameters
        self.samples = samples; self.accepted = accepted; self.flags = flags
    }
}
