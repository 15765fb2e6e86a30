import FogModel
import Foundation
import Testing
@testable import FogMarket

private extension SplitMix64 {
    mutating func unit() -> Double { Double(next() >> 11) / Double(1 << 53) }
    mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
    mutating func chance(_ p: Double) -> Bool { unit() < p }
}

/// Dropping the candidates that `k` others dominate (`CandidateDominance`) leaves the best
/// selection as it is: checked against the exact optimum and against the selection itself.
@Suite struct CandidateDominanceTests {
    /// A random instance whose prices come from a few levels (a fleet's asks by device class),
    /// with ties in score, 1–3 regions, aggregators, sometimes required regions and a budget.
    static func problem(_ rng: inout SplitMix64, n: Int, budget binding: Bool, hierarchy: Bool) -> SelectionProblem {
        let regions = 1 + rng.below(3)
        let levels = [0.0, 1, 2.5, 4, 7].prefix(1 + rng.below(5))
        let integral = rng.chance(0.4)
        var candidates: [Candidate] = []
        for i in 0..<n {
            var score = rng.unit() * 100
            if integral { score = Double(Int(score / 20) * 20) }
            candidates.append(Candidate(id: "n\(rng.below(1000))-\(i)", score: score, price: levels[rng.below(levels.count)],
                                        region: "r\(rng.below(regions))", aggregator: rng.chance(0.3)))
        }
        let lo = rng.below(4)
        let hi = lo + rng.below(5)
        let required = rng.chance(0.3) ? ["r\(rng.below(regions))"] : []
        var budget: Double?
        if binding {
            let top = candidates.sorted { $0.score > $1.score }.prefix(max(hi, 1))
            budget = top.reduce(0) { $0 + $1.price } * (0.2 + 0.7 * rng.unit())
        }
        return SelectionProblem(candidates: candidates, minCount: lo, maxCount: hi, budget: budget,
                                hierarchy: hierarchy, requiredRegions: required)
    }

    @Test func theOptimumAndTheAnswerStayOnRandomInstances() {
        var rng = SplitMix64(seed: 4242)
        var dropped = 0, total = 0, sameBindingAnswers = 0, binding = 0
        for round in 0..<600 {
            let withBudget = round % 2 == 0
            var full = Self.problem(&rng, n: 10 + rng.below(9), budget: withBudget, hierarchy: (round / 2) % 2 == 0)
            full.candidates.shuffle(using: &rng)
            var reduced = full
            reduced.candidates = CandidateDominance.undominated(full.candidates, k: full.maxCount)
            total += full.candidates.count
            dropped += full.candidates.count - reduced.candidates.count
            // Exact optima: the same value (and both infeasible together).
            let a = ExactSelection.solve(full), b = ExactSelection.solve(reduced)
            #expect((a == nil) == (b == nil), "round \(round)")
            if let a, let b { #expect(abs(a.score - b.score) <= 1e-9, "round \(round): \(a.score) vs \(b.score)") }
            // The selection: without a budget the very same answer; with one, success and failure together.
            switch (ParticipantSelection.select(full), ParticipantSelection.select(reduced)) {
            case let (.success(x), .success(y)):
                if withBudget {
                    binding += 1
                    if x == y { sameBindingAnswers += 1 }
                } else {
                    #expect(x == y, "round \(round)")
                }
            case let (.failure(x), .failure(y)):
                if case .notEnoughCandidates = x, case .notEnoughCandidates = y { break }
                #expect(x == y, "round \(round)")
            default:
                Issue.record("round \(round): one succeeded, the other failed")
            }
        }
        print("dominance: dropped \(dropped) of \(total) candidates; binding budgets: \(sameBindingAnswers) of \(binding) answers identical")
        #expect(dropped > total / 10)
    }

    /// Ten thousand candidates over three regions and six asks: a choice of ten keeps at most
    /// ten per region, role and ask, and the answer is the one over all of them.
    @Test func aFewAsksKeepAFewCandidates() throws {
        var rng = SplitMix64(seed: 77)
        let asks = [0.05, 0.10, 0.15, 0.20, 0.40, 0.60]
        let candidates = (0..<10_000).map { i in
            Candidate(id: String(format: "node-%05d", i), score: Double(Int(rng.unit() * 10_000)) / 100,
                      price: asks[rng.below(asks.count)] * 3, region: ["eu", "us", "ap"][rng.below(3)], aggregator: rng.chance(0.2))
        }
        let kept = CandidateDominance.undominated(candidates, k: 10)
        #expect(kept.count <= 3 * 2 * asks.count * 10)
        #expect(kept.count >= 3 * 2 * 10)
        let problem = SelectionProblem(candidates: candidates, minCount: 8, maxCount: 10, hierarchy: true, requiredRegions: ["eu", "us", "ap"])
        var reduced = problem
        reduced.candidates = kept
        #expect(try ParticipantSelection.select(problem).get() == ParticipantSelection.select(reduced).get())
        var tight = problem
        tight.budget = 2.5
        var tightReduced = reduced
        tightReduced.budget = 2.5
        let x = try ParticipantSelection.select(tight).get(), y = try ParticipantSelection.select(tightReduced).get()
        print("dominance at 10,000: kept \(kept.count); budget 2.5: score \(x.totalScore) over all, \(y.totalScore) over the kept")
        #expect(y.totalPrice <= 2.5 + 1e-9)
        #expect(abs(x.totalScore - y.totalScore) <= 1e-6 * x.totalScore)
    }

    /// A price the selection rejects keeps every candidate, so that it reports it.
    @Test func invalidPricesKeepEveryone() {
        let cs = (0..<5).map { Candidate(id: "n\($0)", score: 50, price: $0 == 3 ? -1 : 1, region: "r") }
        #expect(CandidateDominance.undominated(cs, k: 1).count == 5)
    }
}
