import Foundation
import Testing
@testable import FogLearning

/// The robustness criteria at learning rate 0.5 (the issue fixes no learning
/// rate for them; at 0.1 the model is still far from converged after 30 rounds, see
/// FederatedSimulationTests for those runs). Seed 1, 10 clients, 3 Byzantine, 30 rounds.
@Suite("Federated digits at lr 0.5")
struct RobustnessAtHalfTests {
    static func run(_ strategy: AggregationStrategy, _ partition: PartitionScheme = .iid, _ attack: Attack, detection: Bool = false) throws -> SimulationResult {
        var c = Job.config(strategy: strategy, partition: partition, attack: attack, detection: detection)
        c.training.learningRate = 0.5
        return try Job.run(c)
    }

    @Test(arguments: [Attack.signFlip(), Attack.gaussian()])
    func robustStrategiesHoldWhileFedAvgCollapses(attack: Attack) throws {
        // Measured: sign-flip krum 0.936, multi-krum 0.939, fedmedian 0.925, trimmed-mean (β 0.3) 0.925;
        // gaussian fedmedian and trimmed-mean 0.936.
        var worst: Float = 1
        for strategy in [AggregationStrategy.krum, .multiKrum, .fedmedian, .trimmedMean] {
            let r = try Self.run(strategy, .iid, attack)
            #expect(r.finalAccuracy >= 0.88, "\(strategy) under \(attack): \(r.finalAccuracy)")
            worst = min(worst, r.finalAccuracy)
        }
        // FedAvg collapses under sign-flip (0.100); Gaussian noise on 3 of 10 models only
        // degrades it (0.755, against ≥ 0.936 for every robust strategy).
        let fedavg = try Self.run(.fedavg, .iid, attack).finalAccuracy
        if case .signFlip = attack { #expect(fedavg < 0.2) } else { #expect(fedavg < worst - 0.15, "fedavg \(fedavg) against \(worst)") }
    }

    @Test(arguments: [Attack.signFlip(), Attack.gaussian()])
    func detectionFlagsTheByzantineUpdatesOnIIDData(attack: Attack) throws {
        let r = try Self.run(.fedavg, .iid, attack, detection: true)
        #expect(r.detection.detectionRate >= 0.95 && r.detection.falseFlagRate <= 0.05,
                "flagged \(r.detection.detectionRate), false \(r.detection.falseFlagRate)")
        #expect(r.finalAccuracy >= 0.88)
    }

    /// Goal: Dirichlet(0.5) with detection keeps ≥ 0.90 without attack (reached: 0.942) and
    /// ≥ 0.88 under sign-flip. Keeping every node: 0.841, every Byzantine update flagged (the
    /// attackers' shards hold classes the others barely see). With failover on trust
    /// (minTrust 0.5, spares take over the attackers' shards): reached, 0.939.
    @Test func nonIIDWithDetection() throws {
        let clean = try Self.run(.fedavg, .dirichlet(alpha: 0.5), .none, detection: true)
        #expect(clean.finalAccuracy >= 0.90)
        let attacked = try Self.run(.fedavg, .dirichlet(alpha: 0.5), .signFlip(), detection: true)
        #expect(attacked.detection.detectionRate == 1)
        #expect(attacked.finalAccuracy >= 0.83)
        var c = Job.config(strategy: .fedavg, partition: .dirichlet(alpha: 0.5), attack: .signFlip(), detection: true)
        c.training.learningRate = 0.5
        c.replacement = Replacement()
        let replaced = try Job.run(c)
        #expect(replaced.finalAccuracy >= 0.88)
        #expect(replaced.detection.detectionRate == 1)
    }
}
