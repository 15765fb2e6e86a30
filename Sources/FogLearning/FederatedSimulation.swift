import FogModel

/// A simulated attack by the Byzantine clients of a `FederatedSimulation`.
/// Each attacker first trains honestly, then corrupts what it sends.
public enum Attack: Sendable, Hashable, CustomStringConvertible {
    case none
    /// Sends w_global + scale · (w − w_global): the delta reversed and
    /// amplified (scale −4 by default).
    case signFlip(scale: Float = -4)
    /// Adds N(0, σ²) noise to every parameter (σ = 1 by default).
    case gaussian(sigma: Float = 1)

    /// `none`, `sign-flip`, `gaussian` (with the default strengths).
    public init?(name: String) {
        switch name {
        case "none": self = .none
        case "sign-flip": self = .signFlip()
        case "gaussian": self = .gaussian()
        default: return nil
        }
    }

    public var name: String {
        switch self {
        case .none: return "none"
        case .signFlip: return "sign-flip"
        case .gaussian: return "gaussian"
        }
    }

    public var description: String {
        switch self {
        case .none: return "none"
        case .signFlip(let s): return "sign-flip ×\(s)"
        case .gaussian(let s): return "gaussian σ=\(s)"
        }
    }

    /// Corrupts `parameters` (trained from `global`).
    public func apply(to parameters: inout [Float], global: [Float], seed: UInt64) {
        switch self {
        case .none:
            return
        case .signFlip(let scale):
            for i in parameters.indices { parameters[i] = global[i] + scale * (parameters[i] - global[i]) }
        case .gaussian(let sigma):
            var rng = Xoshiro256(seed: seed)
            for i in parameters.indices { parameters[i] += sigma * Float(rng.nextGaussian()) }
        }
    }
}

/// Marketplace failover in a simulation, as the allocation controller does it
/// for a job with `placement.minTrust`: every flagged update is a failed task
/// for its node and every accepted one a success; a node whose trust — the
/// mean of a Beta(1, 1) prior over those outcomes, (successes + 1) /
/// (successes + failures + 2), as `TrustScore` in FogFleet — falls below
/// `minTrust` leaves the job, and the next spare node takes over its shard
/// from the next round. In a fog marketplace the job owner's data is dealt to
/// rented nodes, so the shard outlives the node that misused it.
public struct Replacement: Sendable, Hashable {
    public var minTrust: Double
    /// Spare nodes the fleet can offer, used in order.
    public var spares: Int
    /// How many of the spares attack too (chosen at random from the seed).
    public var byzantineSpares: Int

    public init(minTrust: Double = 0.5, spares: Int = 10, byzantineSpares: Int = 0) {
        self.minTrust = minTrust
        self.spares = spares
        self.byzantineSpares = byzantineSpares
    }

    /// The trust of a node with these outcomes.
    public static func trust(successes: Int, failures: Int) -> Double {
        TrustScore(successes: successes, failures: failures).value
    }
}

/// Everything a simulated federated job needs besides the data.
public struct SimulationConfig: Sendable {
    public var clients: Int
    public var partition: PartitionScheme
    /// Each client gets at least this many training rows (see `Partition`).
    public var minimumSamples: Int
    public var model: ModelKind
    public var training: LocalTrainingConfig
    public var aggregator: Aggregator
    /// Byzantine detection before aggregation; `nil` to aggregate everything.
    public var detector: ByzantineDetector?
    public var attack: Attack
    /// How many clients attack (chosen at random from the seed).
    public var byzantineCount: Int
    /// Replace nodes whose trust falls below a minimum (needs `detector`); `nil` to keep every node.
    public var replacement: Replacement?
    public var rounds: Int
    /// Aggregate by region first (client id → region), as a hierarchical job does; nil: flat.
    public var region: (@Sendable (String) -> String)?
    /// Differential privacy on the aggregate (DP-FedAvg); nil: none. The noise comes from the seed
    /// here, so runs repeat; the product draws it from the system generator.
    public var privacy: GaussianMechanism?
    /// Stop early once the test accuracy reaches this (for tests that ask
    /// "within N rounds").
    public var stopAtAccuracy: Float?
    public var seed: UInt64

    public init(clients: Int = 10, partition: PartitionScheme = .iid, minimumSamples: Int = 10,
                model: ModelKind = .logisticRegression, training: LocalTrainingConfig = LocalTrainingConfig(),
                aggregator: Aggregator = Aggregator(strategy: .fedavg), detector: ByzantineDetector? = nil,
                attack: Attack = .none, byzantineCount: Int = 0, replacement: Replacement? = nil, rounds: Int = 30,
                stopAtAccuracy: Float? = nil, seed: UInt64 = 1) {
        self.clients = clients
        self.partition = partition
        self.minimumSamples = minimumSamples
        self.model = model
        self.training = training
        self.aggregator = aggregator
        self.detector = detector
        self.attack = attack
        self.byzantineCount = byzantineCount
        self.replacement = replacement
        self.rounds = rounds
        self.stopAtAccuracy = stopAtAccuracy
        self.seed = seed
        region = nil
        privacy = nil
    }
}

/// One round of a simulation.
public struct RoundRecord: Sendable, Hashable {
    /// 1-based.
    public var round: Int
    /// Test-set loss and accuracy of the new global model.
    public var loss: Float
    public var accuracy: Float
    /// Sample-weighted mean of the clients' local training losses.
    public var trainingLoss: Float
    /// Updates removed by detection before aggregation.
    public var excluded: [String]
    /// Nodes that left the job after this round, and who took over their shards ("old → new").
    public var replaced: [String]
    public var flags: [ByzantineDetector.Flag]
    /// Wall-clock time of local training, attacks, detection and aggregation
    /// (not the evaluation).
    public var seconds: Double
}

/// Detection outcomes summed over a run.
public struct DetectionSummary: Sendable, Hashable {
    public var byzantineUpdates = 0
    public var byzantineFlagged = 0
    public var honestUpdates = 0
    public var honestFlagged = 0

    /// Fraction of Byzantine updates flagged (1 when there were none).
    public var detectionRate: Double { byzantineUpdates == 0 ? 1 : Double(byzantineFlagged) / Double(byzantineUpdates) }
    /// Fraction of honest updates flagged.
    public var falseFlagRate: Double { honestUpdates == 0 ? 0 : Double(honestFlagged) / Double(honestUpdates) }
}

/// The outcome of a simulation.
public struct SimulationResult: Sendable {
    public var rounds: [RoundRecord]
    /// The nodes that started the job, one per shard.
    public var clientIDs: [String]
    /// Attacking nodes, spares included.
    public var byzantineIDs: [String]
    /// Which node held each shard at the end.
    public var holders: [String]
    public var parameters: [Float]
    public var detection: DetectionSummary

    public var finalAccuracy: Float { rounds.last?.accuracy ?? 0 }
    /// Mean time per round (seconds).
    public var secondsPerRound: Double { rounds.isEmpty ? 0 : rounds.map(\.seconds).reduce(0, +) / Double(rounds.count) }
}

/// A federated job run in-process, round by round, with the same code the
/// product's agents and training controller run (`LocalTraining.train` on each
/// shard, `RoundPipeline` for screening, aggregation and privacy): for tests and
/// benchmarks.
///
/// Each round every client trains from the global model on its shard; the
/// Byzantine clients then corrupt their result with `attack`; detection (if
/// any) removes flagged updates; the strategy aggregates the rest into the
/// next global model, which is evaluated on the test set. With
/// `config.replacement`, a node whose trust falls below the minimum hands its
/// shard to the next spare for the following rounds.
///
///     let data = try Dataset(contentsOfCSV: "examples/data/digits.csv").scaled(by: 16)
///     let (train, test) = data.split(testFraction: 0.2, seed: 1)
///     let sim = try FederatedSimulation(train: train, test: test,
///                                       config: SimulationConfig(clients: 10, rounds: 30))
///     let result = try sim.run()
///     print(result.finalAccuracy)
public struct FederatedSimulation: Sendable {
    public let train: Dataset
    public let test: Dataset
    public let config: SimulationConfig
    public let partition: Partition
    public let clientIDs: [String]
    public let byzantineIDs: [String]

    /// Seeds: every random choice (partition, attackers, initial weights,
    /// minibatch order, attack noise) draws from its own stream derived from
    /// `config.seed`.
    public init(train: Dataset, test: Dataset, config: SimulationConfig) throws {
        guard train.featureCount == test.featureCount else {
            throw LearningError.shapeMismatch("train has \(train.featureCount) features, test \(test.featureCount)")
        }
        guard config.byzantineCount >= 0, config.byzantineCount <= config.clients else {
            throw LearningError.invalidArgument("byzantineCount must be in 0...\(config.clients)")
        }
        guard config.rounds >= 0 else { throw LearningError.invalidArgument("rounds must be ≥ 0") }
        self.train = train
        self.test = test
        self.config = config
        partition = try Partition(labels: train.labels, classCount: train.classCount, clients: config.clients,
                                  scheme: config.partition, seed: SplitMix64.mix(config.seed, 1),
                                  minimumSamples: config.minimumSamples)
        let width = String(config.clients - 1).count
        let ids = (0..<config.clients).map { i in
            let digits = String(i)
            return "client-" + String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        var rng = Xoshiro256(seed: SplitMix64.mix(config.seed, 2))
        var order = Array(0..<config.clients)
        rng.shuffle(&order)
        clientIDs = ids
        var attackers = order.prefix(config.byzantineCount).sorted().map { ids[$0] }
        if let r = config.replacement {
            guard r.spares >= 0, r.byzantineSpares >= 0, r.byzantineSpares <= r.spares else {
                throw LearningError.invalidArgument("replacement needs 0 ≤ byzantineSpares ≤ spares")
            }
            let spares = Self.spareIDs(r.spares)
            var spareRNG = Xoshiro256(seed: SplitMix64.mix(config.seed, 6))
            var spareOrder = Array(0..<r.spares)
            spareRNG.shuffle(&spareOrder)
            attackers += spareOrder.prefix(r.byzantineSpares).sorted().map { spares[$0] }
        }
        byzantineIDs = attackers
    }

    static func spareIDs(_ count: Int) -> [String] {
        let width = String(max(0, count - 1)).count
        return (0..<count).map { i in
            let digits = String(i)
            return "spare-" + String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
    }

    /// Runs the rounds; `onRound` sees each round's record as it completes.
    public func run(onRound: ((RoundRecord) -> Void)? = nil) throws -> SimulationResult {
        let model = config.model.make(featureCount: train.featureCount, classCount: max(train.classCount, test.classCount))
        let shards = partition.shards.map { train.rows($0) }
        let byzantine = Set(byzantineIDs)
        var global = model.initialParameters(seed: SplitMix64.mix(config.seed, 3))
        var training = config.training
        if config.aggregator.strategy == .fedprox && training.proximalMu == 0 { training.proximalMu = 0.01 }
        var records = [RoundRecord]()
        var summary = DetectionSummary()
        // Who holds each shard, their task outcomes, and the spares not yet used.
        var holders = clientIDs
        var outcomes: [String: (successes: Int, failures: Int)] = [:]
        var spares = Self.spareIDs(config.replacement?.spares ?? 0)[...]
        let pipeline = RoundPipeline(aggregator: config.aggregator, detector: config.detector, region: config.region,
                                     privacy: config.privacy)
        var noise = Xoshiro256(seed: SplitMix64.mix(config.seed, 7))
        let clock = ContinuousClock()
        for round in stride(from: 1, through: config.rounds, by: 1) {
            let started = clock.now
            var updates = [Update]()
            var lossSum = 0.0, sampleSum = 0
            for (k, shard) in shards.enumerated() {
                let result = LocalTraining.train(model: model, from: global, on: shard, config: training,
                                                 seed: SplitMix64.mix(config.seed, 4, round, k))
                lossSum += Double(result.meanLoss) * Double(result.samples)
                sampleSum += result.samples
                var parameters = result.parameters
                if byzantine.contains(holders[k]) {
                    config.attack.apply(to: &parameters, global: global, seed: SplitMix64.mix(config.seed, 5, round, k))
                }
                updates.append(Update(id: holders[k], parameters: parameters, samples: result.samples))
            }
            // The product's round: the same pipeline the training controller runs.
            let outcome = try pipeline.run(updates, global: global, using: &noise)
            let flags = outcome.flags
            let flagged = Set(flags.map(\.id))
            for u in updates {
                if byzantine.contains(u.id) {
                    summary.byzantineUpdates += 1
                    if flagged.contains(u.id) { summary.byzantineFlagged += 1 }
                } else {
                    summary.honestUpdates += 1
                    if flagged.contains(u.id) { summary.honestFlagged += 1 }
                }
            }
            global = outcome.parameters
            // Failover: nodes whose trust fell below the minimum hand their shards to spares.
            var replaced = [String]()
            if let r = config.replacement, config.detector != nil {
                for u in updates {
                    if flagged.contains(u.id) { outcomes[u.id, default: (0, 0)].failures += 1 } else { outcomes[u.id, default: (0, 0)].successes += 1 }
                }
                for k in holders.indices {
                    let o = outcomes[holders[k], default: (0, 0)]
                    guard Replacement.trust(successes: o.successes, failures: o.failures) < r.minTrust, let spare = spares.popFirst() else { continue }
                    replaced.append("\(holders[k]) → \(spare)")
                    holders[k] = spare
                }
            }
            let elapsed = clock.now - started
            let evaluation = model.evaluate(parameters: global, on: test)
            let record = RoundRecord(
                round: round, loss: evaluation.loss, accuracy: evaluation.accuracy,
                trainingLoss: sampleSum > 0 ? Float(lossSum / Double(sampleSum)) : 0,
                excluded: updates.map(\.id).filter { flagged.contains($0) }, replaced: replaced, flags: flags,
                seconds: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18)
            records.append(record)
            onRound?(record)
            if let target = config.stopAtAccuracy, evaluation.accuracy >= target { break }
        }
        return SimulationResult(rounds: records, clientIDs: clientIDs, byzantineIDs: byzantineIDs, holders: holders,
                                parameters: global, detection: summary)
    }
}
