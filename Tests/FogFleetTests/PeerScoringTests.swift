import FogModel
import Foundation
import Testing
@testable import FogFleet

@Suite struct PeerScoringTests {
    // MARK: Latency

    @Test func latencyScoreKeepsTheSeedAnchors() {
        #expect(PeerScoring.latencyScore(ms: 10) == 100)
        #expect(PeerScoring.latencyScore(ms: 100) == 50)
        #expect(PeerScoring.latencyScore(ms: 1000) == 0)
        #expect(abs(PeerScoring.latencyScore(ms: 31.62) - 75) < 0.01)
        #expect(PeerScoring.latencyScore(ms: 5000) == 0)
        // Below 10 ms the balanced scale is saturated.
        #expect(PeerScoring.latencyScore(ms: 5) == 100)
        #expect(PeerScoring.latencyScore(ms: 0) == 100)
        #expect(PeerScoring.latencyScore(ms: -1) == 0)
        #expect(PeerScoring.latencyScore(ms: .nan) == 0)
    }

    @Test func latencyOptimizedGradesOneDecadeFiner() {
        #expect(ScoringAlgorithm.latencyOptimized.latencyTargetMillis == 1)
        for a in ScoringAlgorithm.allCases where a != .latencyOptimized { #expect(a.latencyTargetMillis == 10) }
        #expect(PeerScoring.latencyScore(ms: 1, targetMillis: 1) == 100)
        #expect(PeerScoring.latencyScore(ms: 10, targetMillis: 1) == 50)
        #expect(PeerScoring.latencyScore(ms: 100, targetMillis: 1) == 0)
        #expect(PeerScoring.latencyScore(ms: 0.5, targetMillis: 1) == 100)
        // 100 − 50·log10(6) = 61.09; 100 − 50·log10(12.5) = 45.15.
        #expect(abs(PeerScoring.latencyScore(ms: 6, targetMillis: 1) - 61.0924) < 0.001)
        #expect(abs(PeerScoring.latencyScore(ms: 12.5, targetMillis: 1) - 45.1545) < 0.001)
        let s = PeerScoring.score(NodeStats(latencyMillis: 10), algorithm: .latencyOptimized)
        #expect(s.latency == 50)
    }

    @Test func ewmaWeighsRecentSamplesMore() {
        #expect(PeerScoring.ewma(previous: nil, sample: 20) == 20)
        #expect(abs(PeerScoring.ewma(previous: 20, sample: 10) - 17) < 1e-12)
        #expect(abs(PeerScoring.ewma(previous: 20, sample: 10, alpha: 0.5) - 15) < 1e-12)
        var e = LatencyEWMA()
        #expect(e.value == nil)
        for sample in [20.0, 10, 10, -5, .nan] { e.record(sample) }
        #expect(e.samples == 3)
        #expect(abs(e.value! - 14.9) < 1e-12)
    }

    @Test func telemetryFeedsLatencyAndLoad() {
        var stats = NodeStats()
        stats.record(NodeTelemetry(cpu: .init(utilization: 0.4), rttMillis: 20))
        stats.record(NodeTelemetry(rttMillis: 10))
        #expect(abs(stats.latencyMillis! - 17) < 1e-12)
        #expect(stats.load == 0.4)
    }

    // MARK: Uptime

    @Test func uptimeScoreHandComputed() {
        // Steady windows: the full consistency bonus, 100 · 0.98 · 1.
        #expect(abs(PeerScoring.uptimeScore(uptime: 0.98, windows: [0.98, 0.98, 0.98]) - 98) < 1e-9)
        // Windows 1, 0, 1, 1: σ = √0.1875 = 0.4330, consistency 0.1340; 90 · (0.9 + 0.01340) = 82.206.
        #expect(abs(PeerScoring.consistency([1, 0, 1, 1])! - 0.133975) < 1e-6)
        #expect(abs(PeerScoring.uptimeScore(uptime: 0.9, windows: [1, 0, 1, 1]) - 82.2058) < 1e-3)
        // No windows: no bonus.
        #expect(abs(PeerScoring.uptimeScore(uptime: 1, windows: []) - 90) < 1e-9)
        #expect(PeerScoring.uptimeScore(uptime: nil, windows: []) == 0)
    }

    @Test func uptimeFallsBackToWeightedWindows() {
        // Newest window weight 1, the one before 2^(−1/12) = 0.94387: (1 + 0.5 · 0.94387) / 1.94387 = 0.757218.
        let u = PeerScoring.weightedUptime([0.5, 1.0])!
        #expect(abs(u - 0.757218) < 1e-6)
        // σ = 0.25, consistency 0.5: 100 · 0.757218 · 0.95 = 71.9357.
        #expect(abs(PeerScoring.uptimeScore(uptime: nil, windows: [0.5, 1.0]) - 71.9357) < 1e-3)
        #expect(PeerScoring.weightedUptime([]) == nil)
        #expect(PeerScoring.consistency([1]) == nil)
    }

    // MARK: Performance

    @Test func gpuWeightsMatchWholeWords() {
        #expect(PeerScoring.gpuWeight(model: "RTX 4090") == 1.2)
        #expect(PeerScoring.gpuWeight(model: "NVIDIA GeForce RTX 4090") == 1.2)
        #expect(PeerScoring.gpuWeight(model: "rtx4090") == 1.2)
        #expect(PeerScoring.gpuWeight(model: "RTX 4080") == 1.1)
        #expect(PeerScoring.gpuWeight(model: "RTX 3090") == 1.0)
        #expect(PeerScoring.gpuWeight(model: "GeForce RTX 3080 Ti") == 0.9)
        #expect(PeerScoring.gpuWeight(model: "RTX 3070") == 0.8)
        #expect(PeerScoring.gpuWeight(model: "GTX 1080") == 0.6)
        #expect(PeerScoring.gpuWeight(model: "NVIDIA A100-SXM4-80GB") == 1.3)
        #expect(PeerScoring.gpuWeight(model: "H100 PCIe") == 1.5)
        #expect(PeerScoring.gpuWeight(model: "RTX A1000") == PeerScoring.unknownGPUWeight)
        #expect(PeerScoring.gpuWeight(model: "RTX") == PeerScoring.unknownGPUWeight)
        #expect(PeerScoring.gpuWeight(model: nil) == PeerScoring.cpuWeight)
        #expect(PeerScoring.gpuWeight(model: "RTX 4090", count: 0) == PeerScoring.cpuWeight)
    }

    @Test func performanceScoreHandComputed() {
        // 100 · 150/150 · 1.2 = 120, clamped.
        #expect(PeerScoring.performanceScore(tokensPerSecond: 150, gpuModel: "RTX 4090", load: 0) == 100)
        // 100 · 75/150 · 1.0 · e^−0.5 = 30.327.
        #expect(abs(PeerScoring.performanceScore(tokensPerSecond: 75, gpuModel: "RTX 3090", load: 0.5) - 30.3265) < 1e-3)
        // CPU: 100 · 60/150 · 0.5 = 20.
        #expect(abs(PeerScoring.performanceScore(tokensPerSecond: 60, gpuModel: nil, load: 0) - 20) < 1e-9)
        // Unknown load counts as full: 100 · 1.1 · e^−1 = 40.467.
        #expect(abs(PeerScoring.performanceScore(tokensPerSecond: 150, gpuModel: "RTX 4080", load: nil) - 40.4667) < 1e-3)
        #expect(PeerScoring.performanceScore(tokensPerSecond: nil, gpuModel: "H100", load: 0) == 0)
    }

    // MARK: Reliability

    @Test func reliabilityScoreHandComputed() {
        // Never disconnects, 30 days old: 60 + 20 + 20.
        #expect(PeerScoring.reliabilityScore(disconnectionsPerDay: 0, meanRecoverySeconds: nil, ageSeconds: 30 * 86_400) == 100)
        // 60/e + 20/e + 20 · 0.5 = 22.073 + 7.358 + 10 = 39.430.
        #expect(abs(PeerScoring.reliabilityScore(disconnectionsPerDay: 1, meanRecoverySeconds: 600, ageSeconds: 15 * 86_400)
                    - 39.4304) < 1e-3)
        // Unknown recovery earns nothing; longevity saturates: 60 · e^−2 + 20 = 28.120.
        #expect(abs(PeerScoring.reliabilityScore(disconnectionsPerDay: 2, meanRecoverySeconds: nil, ageSeconds: 60 * 86_400)
                    - 28.1201) < 1e-3)
        #expect(PeerScoring.reliabilityScore(disconnectionsPerDay: nil, meanRecoverySeconds: nil, ageSeconds: 0) == 0)
    }

    // MARK: Extra components

    @Test func proximityScoreHandComputed() {
        let ctx = ScoringContext(requesterRegion: "eu-west", requesterZone: "eu-west-1a")
        func p(_ region: String?, _ zone: String?, _ ms: Double? = nil, _ c: ScoringContext? = nil) -> Double {
            PeerScoring.proximityScore(region: region, zone: zone, latencyMillis: ms, context: c ?? ctx)
        }
        #expect(p("eu-west", "eu-west-1a") == 100)
        #expect(p("eu-west", "eu-west-1b") == 70)
        #expect(p("eu-central", nil) == 40)
        #expect(p("us-east", nil) == 0)
        // Same zone name in another region is not the same zone.
        #expect(p("us-east", "eu-west-1a") == 0)
        // Not comparable: the round trip stands in, capped at a same-region match.
        #expect(p(nil, nil, 31.62) == 70)
        #expect(p(nil, nil, 100) == 50)
        #expect(p(nil, nil) == 0)
        #expect(p(nil, "eu-west-1a", nil, ScoringContext(requesterZone: "eu-west-1a")) == 100)
        #expect(p("eu-west", nil, 100, ScoringContext()) == 50)
    }

    @Test func loadEfficiencyAndReputationHandComputed() {
        #expect(PeerScoring.loadScore(load: 0.25) == 75)
        #expect(PeerScoring.loadScore(load: 1.2) == 0)
        #expect(PeerScoring.loadScore(load: nil) == 0)
        // ρ = 1 → 50; ρ = 0.6 · 0.5/0.1 = 3 → 75.
        #expect(abs(PeerScoring.efficiencyScore(performance: 100, pricePerHour: 0.5, referencePricePerHour: 0.5) - 50) < 1e-9)
        #expect(abs(PeerScoring.efficiencyScore(performance: 60, pricePerHour: 0.1, referencePricePerHour: 0.5) - 75) < 1e-9)
        #expect(PeerScoring.efficiencyScore(performance: 60, pricePerHour: nil) == 0)
        #expect(PeerScoring.efficiencyScore(performance: 60, pricePerHour: 0) == 100)
        #expect(PeerScoring.efficiencyScore(performance: 0, pricePerHour: 0) == 0)
        #expect(PeerScoring.reputationScore(trust: 0.75) == 75)
        #expect(PeerScoring.reputationScore(trust: 1.5) == 100)
    }

    // MARK: Weights and totals

    @Test func everyAlgorithmsWeightsSumToOneHundred() {
        #expect(ScoringAlgorithm.allCases.count == 8)
        for a in ScoringAlgorithm.allCases {
            #expect(a.weights.sum == 100, "\(a.rawValue)")
            #expect(a.weights.normalized == a.weights)
            #expect(!a.summary.isEmpty)
            let extra = a.weights.extra
            #expect((extra == nil) == [.standard, .latencyOptimized, .throughputOptimized, .reliabilityOptimized].contains(a))
        }
        #expect(ScoringAlgorithm(rawValue: "geographic-proximity") == .geographicProximity)
        let custom = ScoreWeights(latency: 1, uptime: 1, performance: 1, reliability: 1).normalized
        #expect(custom == ScoreWeights(latency: 25, uptime: 25, performance: 25, reliability: 25))
    }

    @Test func totalIsTheWeightedMeanOfTheComponents() {
        let stats = NodeStats(latencyMillis: 100, uptime: 1, uptimeWindows: [1, 1], tokensPerSecond: 75, gpuModel: "RTX 3090",
                              load: 0.5, disconnectionsPerDay: 0, ageSeconds: 30 * 86_400)
        let standard = PeerScoring.score(stats, algorithm: .standard)
        #expect(standard.latency == 50 && standard.uptime == 100 && standard.reliability == 100)
        #expect(standard.extra == nil && standard[.load] == nil)
        // (25·50 + 25·100 + 30·30.327 + 20·100) / 100 = 66.598.
        #expect(abs(standard.total - 66.5980) < 1e-3)
        let balanced = PeerScoring.score(stats, algorithm: .loadBalanced)
        #expect(balanced.extraComponent == .load && balanced[.load] == 50)
        // (20·50 + 20·100 + 20·30.327 + 20·100 + 20·50) / 100 = 66.065.
        #expect(abs(balanced.total - 66.0653) < 1e-3)
    }

    // MARK: Seed profiles

    private func ranking(_ algorithm: ScoringAlgorithm) -> [SeedProfile] {
        SeedProfile.allCases
            .map { ($0, PeerScoring.score($0.typicalStats, algorithm: algorithm).total) }
            .sorted { $0.1 > $1.1 }
            .map(\.0)
    }

    @Test func eachOptimisedAlgorithmPicksItsProfile() {
        #expect(ranking(.latencyOptimized).first == .lowLatency)
        #expect(ranking(.reliabilityOptimized).first == .stable)
        #expect(ranking(.throughputOptimized).first == .highPerformance)
        #expect(ranking(.standard).first == .highPerformance)
        for a in ScoringAlgorithm.allCases { #expect(ranking(a).last == .unreliable, "\(a.rawValue)") }
    }

    /// Why latency-optimized grades on the finer scale: with the balanced one,
    /// LowLatency's 6 ms and HighPerformance's 12.5 ms score 100 and 95.2, a
    /// 2.9-point edge at 60 % that HighPerformance's throughput outweighs.
    @Test func theBalancedLatencyScaleCannotSeparateSubTenMillisecondNodes() {
        func total(_ p: SeedProfile, target: Double) -> Double {
            PeerScoring.score(p.typicalStats, algorithm: .latencyOptimized, weights: ScoringAlgorithm.latencyOptimized.weights,
                              latencyTargetMillis: target, context: ScoringContext()).total
        }
        #expect(total(.highPerformance, target: 10) > total(.lowLatency, target: 10))
        #expect(total(.lowLatency, target: 1) > total(.highPerformance, target: 1))
    }

    @Test func typicalStatsAreConsistent() {
        for p in SeedProfile.allCases {
            let s = p.typicalStats
            #expect(s.latencyMillis == (p.latencyRange.lowerBound + p.latencyRange.upperBound) / 2)
            #expect(s.uptimeWindows.count == 24)
            // The windows carry the same uptime, and outages times recovery the same downtime.
            #expect(abs(s.uptimeWindows.reduce(0, +) / 24 - p.uptime) < 1e-9)
            #expect(abs(p.disconnectionsPerDay * p.meanRecoverySeconds / 86_400 - (1 - p.uptime)) < 1e-9)
            #expect(s.trust == p.taskHistory.value)
        }
        #expect(SeedProfile.stable.taskHistory == TrustScore(successes: 100, failures: 0))
        #expect(SeedProfile(rawValue: "LowLatency") == .lowLatency)
    }

    /// The seed's numbers, as the issue quotes them.
    @Test func profilesCarryTheSeedsNumbers() {
        let seed: [(SeedProfile, String, Double, Double, ClosedRange<Double>)] = [
            (.highPerformance, "RTX 4090", 150, 0.98, 5...20), (.lowLatency, "RTX 3080", 80, 0.95, 2...10),
            (.unreliable, "GTX 1080", 40, 0.75, 50...200), (.stable, "RTX 3070", 90, 0.999, 25...40),
            (.loadBalanced, "RTX 4080", 110, 0.96, 30...50),
        ]
        for (p, gpu, tps, uptime, latency) in seed {
            #expect(p.gpuModel == gpu && p.tokensPerSecond == tps && p.uptime == uptime && p.latencyRange == latency)
            #expect(FleetProfile.named(p.rawValue) == p.fleet)
        }
    }

    @Test func loadBalancedPrefersTheLeastLoadedOtherwiseEqual() {
        var idle = SeedProfile.loadBalanced.typicalStats, busy = idle
        idle.load = 0.1; busy.load = 0.7
        let ranked = PeerScoring.top([(id: "busy", stats: busy), (id: "idle", stats: idle)], k: 2, algorithm: .loadBalanced)
        #expect(ranked.map(\.id) == ["idle", "busy"])
        #expect(ranked[0].score[.load]! > ranked[1].score[.load]!)
    }

    @Test func economicPrefersTheCheaperAtEqualPerformance() {
        var cheap = SeedProfile.highPerformance.typicalStats, dear = cheap
        cheap.pricePerHour = 0.3; dear.pricePerHour = 0.9
        let c = PeerScoring.score(cheap, algorithm: .economic), d = PeerScoring.score(dear, algorithm: .economic)
        #expect(c.performance == d.performance)
        #expect(c.total > d.total)
        // Unpriced capacity is no bargain.
        var unpriced = cheap; unpriced.pricePerHour = nil
        #expect(PeerScoring.score(unpriced, algorithm: .economic).total < d.total)
    }

    @Test func consensusPrefersTheBetterTrackRecord() {
        var trusted = SeedProfile.stable.typicalStats, doubted = trusted
        trusted.trust = TrustScore(successes: 50, failures: 0).value
        doubted.trust = TrustScore(successes: 25, failures: 25).value
        #expect(PeerScoring.score(trusted, algorithm: .consensus).total > PeerScoring.score(doubted, algorithm: .consensus).total)
        // Trust only matters to consensus.
        #expect(PeerScoring.score(trusted, algorithm: .standard) == PeerScoring.score(doubted, algorithm: .standard))
    }

    @Test func geographicProximityPrefersTheRequestersZoneThenRegion() {
        let ctx = ScoringContext(requesterRegion: "eu-west", requesterZone: "eu-west-1a")
        var base = SeedProfile.stable.typicalStats
        base.region = "eu-west"
        var zone = base; zone.zone = "eu-west-1a"
        var region = base; region.zone = "eu-west-1b"
        var near = base; near.region = "eu-central"
        var far = base; far.region = "us-east"
        let ranked = PeerScoring.top([(id: "far", stats: far), (id: "near", stats: near), (id: "region", stats: region), (id: "zone", stats: zone)],
                                     k: 4, algorithm: .geographicProximity, context: ctx)
        #expect(ranked.map(\.id) == ["zone", "region", "near", "far"])
    }

    @Test func anUnmeasuredNodeNeverOutranksAMeasuredOne() {
        let unknown = NodeStats(gpuModel: "H100")
        for a in ScoringAlgorithm.allCases {
            let blank = PeerScoring.score(unknown, algorithm: a).total
            for p in SeedProfile.allCases {
                #expect(PeerScoring.score(p.typicalStats, algorithm: a).total > blank, "\(a.rawValue) \(p.rawValue)")
            }
        }
    }

    // MARK: Top k

    @Test func topKEqualsTheFullSortsPrefix() {
        var rng = SplitMix64(seed: 0x5EED)
        let gpus: [String?] = [nil, "RTX 4090", "RTX 3080", "GTX 1080", "A100", "Radeon VII"]
        var nodes: [(id: String, stats: NodeStats)] = []
        for i in 0..<400 {
            // Coarse values so equal totals happen, and some exact duplicates.
            let stats = NodeStats(
                latencyMillis: rng.pick([nil, 3, 10, 25, 100, 400]),
                uptime: rng.pick([nil, 0.75, 0.9, 0.99, 1]),
                uptimeWindows: rng.pick([[], [1, 1], [1, 0, 1]]),
                tokensPerSecond: rng.pick([nil, 20, 80, 150]),
                gpuModel: rng.pick(gpus),
                load: rng.pick([nil, 0, 0.5, 0.9]),
                disconnectionsPerDay: rng.pick([nil, 0, 1, 5]),
                meanRecoverySeconds: rng.pick([nil, 60, 600]),
                ageSeconds: rng.pick([0, 86_400, 40 * 86_400]),
                region: rng.pick([nil, "eu-west", "eu-central", "us-east"]),
                zone: rng.pick([nil, "eu-west-1a"]),
                pricePerHour: rng.pick([nil, 0.1, 0.5, 1]),
                trust: rng.pick([0.5, 0.9]))
            nodes.append((id: "node-\(String(i, radix: 36))", stats: stats))
            if i % 10 == 0 { nodes.append((id: "twin-\(i)", stats: stats)) }
        }
        let ctx = ScoringContext(requesterRegion: "eu-west", requesterZone: "eu-west-1a")
        for a in ScoringAlgorithm.allCases {
            let full = nodes.map { RankedNode(id: $0.id, score: PeerScoring.score($0.stats, algorithm: a, context: ctx)) }
                .sorted { $0.score.total != $1.score.total ? $0.score.total > $1.score.total : $0.id < $1.id }
            #expect(Set(full.map(\.score.total)).count < full.count, "expected ties")
            for k in [0, 1, 7, 100, nodes.count, nodes.count + 5] {
                let top = PeerScoring.top(nodes, k: k, algorithm: a, context: ctx)
                #expect(top == Array(full.prefix(k)), "\(a.rawValue) k=\(k)")
            }
        }
    }

    @Test func topTakesAnySequenceOfNodes() {
        let lazy = SeedProfile.allCases.lazy.map { (id: $0.rawValue, stats: $0.typicalStats) }
        let best = PeerScoring.top(lazy, k: 2, algorithm: .reliabilityOptimized)
        #expect(best.map(\.id) == ["Stable", "HighPerformance"])
        #expect(best[0].score.total > best[1].score.total)
    }

    // MARK: Trust

    @Test func trustIsTheBayesianSuccessRate() {
        #expect(TrustScore().value == 0.5)
        #expect(NodeStats().trust == 0.5)
        #expect(TrustScore(successes: 9, failures: 1).value == 10.0 / 12.0)
        var t = TrustScore()
        for outcome in [true, true, false] { t.record(success: outcome) }
        #expect(t == TrustScore(successes: 2, failures: 1))
        #expect(t.value == 3.0 / 5.0)
    }
}

/// Picks from FogModel's seeded SplitMix64, for reproducible random inputs.
private extension SplitMix64 {
    mutating func pick<T>(_ choices: [T]) -> T { choices[Int(next() % UInt64(choices.count))] }
}
