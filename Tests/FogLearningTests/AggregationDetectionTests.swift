import Foundation
import Testing
@testable import FogLearning

private func close(_ a: [Float], _ b: [Float], _ tolerance: Float = 1e-5) -> Bool {
    a.count == b.count && zip(a, b).allSatisfy { abs($0 - $1) <= tolerance * max(1, abs($1)) }
}

private func update(_ id: String, _ p: [Float], _ samples: Int = 1) -> Update {
    Update(id: id, parameters: p, samples: samples)
}

@Suite("Aggregation strategies")
struct AggregationTests {
    @Test("strategy names are the manifest names")
    func names() {
        #expect(AggregationStrategy.allCases.map(\.rawValue) == ["fedavg", "fedprox", "fedmedian", "trimmed-mean", "krum", "multi-krum"])
        #expect(AggregationStrategy(rawValue: "trimmed-mean") == .trimmedMean)
    }

    @Test("fedavg and fedprox: the sample-weighted mean")
    func fedavg() throws {
        let ups = [update("a", [1, 2, -1], 1), update("b", [3, 6, 1], 3)]
        for s in [AggregationStrategy.fedavg, .fedprox] {
            let r = try Aggregator(strategy: s).aggregate(ups)
            #expect(r.parameters == [2.5, 5, 0.5])
            #expect(r.selected == ["a", "b"])
        }
        // No samples at all: equal weights.
        let r = try Aggregator(strategy: .fedavg).aggregate([update("a", [1], 0), update("b", [2], 0)])
        #expect(r.parameters == [1.5])
    }

    @Test("fedmedian: the coordinate-wise median (mean of the middle two for an even count)")
    func median() throws {
        let odd = [update("a", [1, 10]), update("b", [2, 20]), update("c", [100, -5])]
        #expect(try Aggregator(strategy: .fedmedian).aggregate(odd).parameters == [2, 10])
        let even = odd + [update("d", [3, 0])]
        #expect(try Aggregator(strategy: .fedmedian).aggregate(even).parameters == [2.5, 5])
    }

    @Test("trimmed-mean drops ⌊β·n⌋ values at each end of each coordinate")
    func trimmedMean() throws {
        let ups = [update("a", [1, 5]), update("b", [2, -100]), update("c", [3, 5]), update("d", [4, 7]), update("e", [100, 6])]
        // β = 0.2, n = 5: one value dropped at each end.
        #expect(close(try Aggregator(strategy: .trimmedMean, trimFraction: 0.2).aggregate(ups).parameters, [3, 16.0 / 3]))
        // β = 0.1: ⌊0.5⌋ = 0, the plain (unweighted) mean.
        #expect(close(try Aggregator(strategy: .trimmedMean, trimFraction: 0.1).aggregate(ups).parameters, [22, -77.0 / 5]))
    }

    @Test("krum picks the update closest to its n − f − 2 neighbours; multi-krum averages the m best")
    func krum() throws {
        let ups = [update("a", [0, 0], 1), update("b", [1, 0], 1), update("c", [2, 0], 2), update("d", [3, 0], 1),
                   update("e", [100, 50], 1)]
        // f = 1: 2 neighbours. Scores: a 1+4, b 1+1, c 1+1, d 1+4, e ≫.
        let k = try Aggregator(strategy: .krum, byzantineCount: 1).aggregate(ups)
        #expect(k.parameters == [1, 0])
        #expect(k.selected == ["b"])
        let farthest: Double = 97 * 97 + 50 * 50 + 98 * 98 + 50 * 50
        #expect(k.scores == [5, 2, 2, 5, farthest])
        // m = n − f = 4: a, b, c, d, weighted by samples: (0 + 1 + 2·2 + 3) / 5.
        let m = try Aggregator(strategy: .multiKrum, byzantineCount: 1).aggregate(ups)
        #expect(m.selected == ["a", "b", "c", "d"])
        #expect(close(m.parameters, [1.6, 0]))
        let two = try Aggregator(strategy: .multiKrum, byzantineCount: 1, selectionCount: 2).aggregate(ups)
        #expect(two.selected == ["b", "c"])
        #expect(abs(two.parameters[0] - 5.0 / 3) < 1e-6)
    }

    @Test("median and trimmed mean agree with sorting, on random vectors with ties")
    func orderStatistics() throws {
        var rng = Xoshiro256(seed: 9)
        for n in [1, 2, 3, 4, 5, 16, 17, 33, 100] {
            let length = 150
            let ups = (0..<n).map { i in
                update("u\(i)", (0..<length).map { _ in Float(rng.nextInt(below: 7)) - 3 + (rng.nextInt(below: 4) == 0 ? 0 : Float(rng.nextGaussian())) })
            }
            let med = try Aggregator(strategy: .fedmedian).aggregate(ups).parameters
            let beta = 0.3
            let trim = Int(beta * Double(n))
            let tm = try Aggregator(strategy: .trimmedMean, trimFraction: beta).aggregate(ups).parameters
            for j in 0..<length {
                let column = ups.map { $0.parameters[j] }.sorted()
                let expectedMedian = n % 2 == 1 ? column[n / 2] : (column[n / 2 - 1] + column[n / 2]) / 2
                #expect(med[j] == expectedMedian)
                let kept = column[trim..<(n - trim)]
                #expect(abs(tm[j] - kept.reduce(0, +) / Float(kept.count)) < 1e-5)
            }
        }
    }

    @Test("quickselect terminates and stays a permutation with NaN and equal values")
    func selectWithNaN() {
        var values: [Float] = (0..<64).map { $0 % 5 == 0 ? .nan : Float($0 % 3) }
        let before = values.filter { !$0.isNaN }.sorted()
        values.withUnsafeMutableBufferPointer { Aggregation.select($0.baseAddress!, 0, 64, 32) }
        #expect(values.filter { !$0.isNaN }.sorted() == before)
        #expect(values.filter(\.isNaN).count == 13)
    }

    @Test("bad input is refused")
    func invalid() {
        #expect(throws: LearningError.self) { try Aggregator(strategy: .fedavg).aggregate([]) }
        #expect(throws: LearningError.self) { try Aggregator(strategy: .fedavg).aggregate([update("a", [1]), update("b", [1, 2])]) }
        #expect(throws: LearningError.self) { try Aggregator(strategy: .fedavg).aggregate([update("a", [1], -1)]) }
        #expect(throws: LearningError.self) { try Aggregator(strategy: .trimmedMean, trimFraction: 0.5).aggregate([update("a", [1])]) }
        #expect(throws: LearningError.self) { try Aggregator(strategy: .krum, byzantineCount: 2).aggregate([update("a", [1]), update("b", [1])]) }
        #expect(throws: LearningError.self) {
            try Aggregator(strategy: .multiKrum, selectionCount: 0).aggregate([update("a", [1]), update("b", [1])])
        }
    }
}

@Suite("Byzantine detection")
struct ByzantineDetectionTests {
    /// Ten clients around a common delta; `attackers` of them corrupted.
    static func round(attackers: Int, attack: Attack, seed: UInt64 = 1, length: Int = 200) -> (updates: [Update], global: [Float]) {
        var rng = Xoshiro256(seed: seed)
        let global = (0..<length).map { _ in Float(rng.nextGaussian()) }
        let common = (0..<length).map { _ in Float(rng.nextGaussian() * 0.05) }
        let updates = (0..<10).map { i -> Update in
            var p = (0..<length).map { j in global[j] + common[j] + Float(rng.nextGaussian() * 0.03) }
            if i < attackers { attack.apply(to: &p, global: global, seed: UInt64(i)) }
            return update(i < attackers ? "byz-\(i)" : "honest-\(i)", p, 100)
        }
        return (updates, global)
    }

    @Test("sign-flip ×−4 and Gaussian noise from 3 of 10 are flagged, honest updates are not",
          arguments: [Attack.signFlip(), .gaussian()])
    func flagsAttackers(attack: Attack) throws {
        for seed in UInt64(1)...5 {
            let (ups, global) = Self.round(attackers: 3, attack: attack, seed: seed)
            let report = try ByzantineDetector().inspect(ups, global: global)
            #expect(Set(report.flaggedIDs) == ["byz-0", "byz-1", "byz-2"])
            #expect(report.accepted.map(\.id) == (3..<10).map { "honest-\($0)" })
            #expect(report.flagged.allSatisfy { $0.reason == .size && $0.value > $0.fence })
        }
    }

    @Test("a reversed delta of honest size is caught by its direction")
    func direction() throws {
        let (ups, global) = Self.round(attackers: 2, attack: .signFlip(scale: -1))
        let report = try ByzantineDetector().inspect(ups, global: global)
        #expect(Set(report.flaggedIDs) == ["byz-0", "byz-1"])
        #expect(report.flagged.allSatisfy { $0.reason == .direction && $0.value < 0 })
        #expect(report.cosines[5] > 0.5)
    }

    @Test("no attack: nothing flagged; a short delta (fewer local steps) is never flagged")
    func quiet() throws {
        var (ups, global) = Self.round(attackers: 0, attack: .none)
        for j in global.indices { ups[4].parameters[j] = global[j] + (ups[4].parameters[j] - global[j]) * 0.1 }
        let report = try ByzantineDetector().inspect(ups, global: global)
        #expect(report.flagged.isEmpty)
        #expect(report.accepted.count == 10)
    }

    @Test("non-finite updates are always flagged; too few updates get no fences")
    func nonFinite() throws {
        var (ups, global) = Self.round(attackers: 1, attack: .gaussian(sigma: 50))
        ups[9].parameters[3] = .nan
        let report = try ByzantineDetector().inspect(ups, global: global)
        #expect(report.flagged.first { $0.id == "honest-9" }?.reason == .nonFinite)
        #expect(report.flaggedIDs.contains("byz-0"))
        let few = try ByzantineDetector().inspect(Array(ups.suffix(3)), global: global)
        #expect(few.flaggedIDs == ["honest-9"])
        #expect(few.sizeFence.isNaN)
        #expect(throws: LearningError.self) { try ByzantineDetector().inspect([update("x", [1])], global: [1, 2]) }
    }

    @Test("the fence: ordinary Tukey without outliers; from the honest core with 3 of 10 outliers")
    func fences() {
        let honest: [Double] = [1, 2, 3, 4, 5, 6, 7]
        // Quartiles of 1…7 are 2.5 and 5.5: fence 5.5 + 1.5 · 3 = 10.
        #expect(ByzantineDetector.upperFence(honest, k: 1.5) == 10)
        let tenHonest: [Double] = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]
        #expect(ByzantineDetector.upperFence(tenHonest, k: 1.5) == 7.75 + 1.5 * 4.5)
        // Three far values: plain quartiles of all ten would put the fence past them (Q3 = 75.25).
        let attacked = honest + [100, 101, 102]
        let fence = ByzantineDetector.upperFence(attacked, k: 1.5)
        #expect(fence == 10)
    }
}

@Suite struct HierarchicalAggregationTests {
    @Test func regionalThenGlobalFedAvgEqualsFlatFedAvg() throws {
        var rng = Xoshiro256(seed: 77)
        let regions = ["eu-west", "us-east", "ap-south"]
        var updates: [Update] = []
        var regionOf: [String: String] = [:]
        for i in 0..<13 {
            let id = "node-\(i)"
            regionOf[id] = regions[rng.nextInt(below: 3)]
            updates.append(Update(id: id, parameters: (0..<1000).map { _ in Float(rng.nextGaussian()) }, samples: 20 + rng.nextInt(below: 200)))
        }
        let aggregator = Aggregator(strategy: .fedavg)
        let flat = try aggregator.aggregate(updates).parameters
        let twoLevel = try HierarchicalAggregation.aggregate(updates, region: { regionOf[$0]! }, with: aggregator)
        let worst = zip(flat, twoLevel).map { abs($0 - $1) }.max() ?? 0
        #expect(worst < 1e-5, "largest difference \(worst)")
    }
}
