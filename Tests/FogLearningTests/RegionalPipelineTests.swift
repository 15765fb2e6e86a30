import Foundation
import Testing
@testable import FogLearning

/// The round pipeline split at the regional boundary: what an aggregator node computes on its
/// region's updates (`regional`) and what the controller does with the regions' shares
/// (`combine`) together give the round the pipeline gives in one piece.
@Suite struct RegionalPipelineTests {
    static func updates(seed: UInt64, count: Int, dimension: Int) -> (updates: [Update], regionOf: [String: String]) {
        var rng = Xoshiro256(seed: seed)
        let regions = ["eu-west", "us-east", "ap-south"]
        var updates: [Update] = [], regionOf: [String: String] = [:]
        for i in 0..<count {
            let id = "node-\(i)"
            regionOf[id] = regions[i % regions.count]
            updates.append(Update(id: id, parameters: (0..<dimension).map { _ in Float(rng.nextGaussian()) }, samples: 20 + rng.nextInt(below: 200)))
        }
        return (updates, regionOf)
    }

    @Test func regionalSharesCombinedEqualFlatFedAvg() throws {
        let (updates, regionOf) = Self.updates(seed: 11, count: 12, dimension: 500)
        let pipeline = RoundPipeline(aggregator: Aggregator(strategy: .fedavg))
        let global = [Float](repeating: 0, count: 500)
        var none = SystemRandomNumberGenerator()
        let flat = try pipeline.run(updates, global: global, using: &none).parameters
        let shares = try Dictionary(grouping: updates, by: { regionOf[$0.id]! }).map { try pipeline.regional($0.value, global: global, region: $0.key) }
        #expect(shares.count == 3 && shares.allSatisfy { $0.form == .model && $0.accepted.count == 4 })
        #expect(shares.map(\.samples).reduce(0, +) == updates.map(\.samples).reduce(0, +))
        let combined = try pipeline.combine(shares, global: global, using: &none)
        let worst = zip(flat, combined).map { abs($0 - $1) }.max() ?? 1
        #expect(worst < 1e-5, "largest difference \(worst)")
    }

    @Test func aShareWithoutUpdatesLeavesTheOthersAndNoShareKeepsTheModel() throws {
        let (updates, _) = Self.updates(seed: 12, count: 4, dimension: 10)
        let pipeline = RoundPipeline(aggregator: Aggregator(strategy: .fedavg))
        let global = [Float](repeating: 0.5, count: 10)
        var none = SystemRandomNumberGenerator()
        let empty = try pipeline.regional([], global: global, region: "eu-west")
        #expect(empty.accepted.isEmpty && empty.parameters.isEmpty)
        let one = try pipeline.regional(updates, global: global, region: "us-east")
        #expect(try pipeline.combine([empty, one], global: global, using: &none) == one.parameters)
        #expect(try pipeline.combine([empty], global: global, using: &none) == global)
    }

    @Test func underPrivacyRegionsSendClippedSumsAndTheNoiseIsAddedOnce() throws {
        let (updates, regionOf) = Self.updates(seed: 13, count: 9, dimension: 50)
        let global = [Float](repeating: 0.1, count: 50)
        // No noise: the combined clipped mean equals the flat clipped mean.
        let quiet = RoundPipeline(aggregator: Aggregator(strategy: .fedavg), privacy: GaussianMechanism(clipNorm: 1, noiseMultiplier: 0))
        var rng = Xoshiro256(seed: 1)
        let flat = try quiet.run(updates, global: global, using: &rng).parameters
        let shares = try Dictionary(grouping: updates, by: { regionOf[$0.id]! }).map { try quiet.regional($0.value, global: global, region: $0.key) }
        #expect(shares.allSatisfy { $0.form == .clippedSum })
        // Each region's sum of changes clipped to norm 1 is at most (its updates) in norm: no raw update leaves the region.
        for s in shares {
            let norm = GaussianMechanism.l2Norm(s.parameters)
            #expect(norm <= Float(s.accepted.count) + 1e-4)
        }
        let combined = try quiet.combine(shares, global: global, using: &rng)
        #expect(zip(flat, combined).allSatisfy { abs($0 - $1) < 1e-5 })
        // With noise: the same seed gives the same noise whether the round ran split or in one piece.
        let noisy = RoundPipeline(aggregator: Aggregator(strategy: .fedavg), privacy: GaussianMechanism(clipNorm: 1, noiseMultiplier: 1.1))
        var a = Xoshiro256(seed: 5), b = Xoshiro256(seed: 5)
        let whole = try noisy.run(updates, global: global, using: &a).parameters
        let noisyShares = try shares.map { share in
            try noisy.regional(updates.filter { regionOf[$0.id] == share.region }, global: global, region: share.region)
        }
        let split = try noisy.combine(noisyShares, global: global, using: &b)
        #expect(zip(whole, split).allSatisfy { abs($0 - $1) < 1e-4 })
        #expect(zip(whole, flat).contains { abs($0 - $1) > 1e-3 }, "noise was added")
        // A model share is refused under privacy: the server must never add noise to a model it cannot bound.
        let model = try RoundPipeline(aggregator: Aggregator(strategy: .fedavg)).regional(updates, global: global, region: "x")
        #expect(throws: LearningError.self) { try noisy.combine([model], global: global, using: &rng) }
    }

    @Test func screeningRunsWithinEachRegion() throws {
        let generated = Self.updates(seed: 14, count: 15, dimension: 40)
        var updates = generated.updates
        let regionOf = generated.regionOf
        // One poisoned update in eu-west (node-0): reversed and scaled.
        updates[0].parameters = updates[0].parameters.map { -40 * $0 }
        let pipeline = RoundPipeline(aggregator: Aggregator(strategy: .fedavg), detector: ByzantineDetector())
        let global = [Float](repeating: 0, count: 40)
        let eu = updates.filter { regionOf[$0.id] == "eu-west" }
        let share = try pipeline.regional(eu, global: global, region: "eu-west")
        #expect(share.flags.map(\.id) == ["node-0"])
        #expect(!share.accepted.contains("node-0") && share.accepted.count == eu.count - 1)
    }
}
