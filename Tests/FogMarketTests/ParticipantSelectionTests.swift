import FogModel
import Foundation
import Testing
@testable import FogMarket

// MARK: - Helpers

/// Draws from FogModel's seeded SplitMix64, so every random instance is reproducible.
private extension SplitMix64 {
    /// Uniform in [0, 1).
    mutating func unit() -> Double { Double(next() >> 11) / Double(1 << 53) }
    mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
    mutating func chance(_ p: Double) -> Bool { unit() < p }
}

/// The exact optimum by depth-first enumeration of subsets with bounds (for n ≤ 20).
enum ExactSelection {
    struct Answer { var score: Double; var members: [Int] }

    static func solve(_ problem: SelectionProblem) -> Answer? {
        let cs = problem.candidates
        let n = cs.count
        // Highest score first makes the bound bite early.
        let order = cs.indices.sorted { cs[$0].score > cs[$1].score }
        var regionNumber: [String: Int] = [:]
        for c in cs where regionNumber[c.region] == nil { regionNumber[c.region] = regionNumber.count }
        var required = Set<Int>()
        for r in problem.requiredRegions {
            guard let number = regionNumber[r] else { return nil }
            required.insert(number)
        }
        let region = order.map { regionNumber[cs[$0].region]! }
        let score = order.map { cs[$0].score }
        let price = order.map { cs[$0].price }
        let aggregator = order.map { cs[$0].aggregator }
        var positiveAfter = [Double](repeating: 0, count: n + 1)
        for t in stride(from: n - 1, through: 0, by: -1) { positiveAfter[t] = positiveAfter[t + 1] + max(0, score[t]) }
        let limit = problem.budget.map { $0 + 1e-9 * max(1, abs($0)) } ?? .infinity
        var members = [Int](repeating: 0, count: regionNumber.count)
        var aggregators = [Int](repeating: 0, count: regionNumber.count)
        var chosen: [Int] = []
        var best: Answer?

        func feasible() -> Bool {
            guard chosen.count >= problem.minCount else { return false }
            for r in required where members[r] == 0 { return false }
            if problem.hierarchy {
                for r in members.indices where members[r] > 0 && aggregators[r] == 0 { return false }
            }
            return true
        }
        func visit(_ t: Int, _ s: Double, _ p: Double) {
            if let best, s + positiveAfter[t] <= best.score + 1e-12 { return }
            if chosen.count + (n - t) < problem.minCount { return }
            if t == n {
                if feasible() { best = Answer(score: s, members: chosen.map { order[$0] }) }
                return
            }
            if chosen.count < problem.maxCount && p + price[t] <= limit {
                chosen.append(t); members[region[t]] += 1; if aggregator[t] { aggregators[region[t]] += 1 }
                visit(t + 1, s + score[t], p + price[t])
                chosen.removeLast(); members[region[t]] -= 1; if aggregator[t] { aggregators[region[t]] -= 1 }
            }
            visit(t + 1, s, p)
        }
        guard problem.minCount >= 0, problem.maxCount >= problem.minCount else { return nil }
        visit(0, 0, 0)
        return best
    }
}

/// A random instance: 1–4 regions, about 30 % aggregators, prices 1–50 (a few
/// free), sometimes integer scores (ties), sometimes required regions.
private func randomProblem(_ rng: inout SplitMix64, n: Int, binding: Bool, hierarchy: Bool,
                           prices: PriceModel = .independent) -> SelectionProblem {
    let regionCount = 1 + rng.below(4)
    let integral = rng.chance(0.2)
    var candidates: [Candidate] = []
    for i in 0..<n {
        var score = rng.unit() * 100
        if integral { score = Double(Int(score / 10) * 10) }
        let price: Double
        switch prices {
        case .independent: price = rng.chance(0.05) ? 0 : 1 + rng.unit() * 49
        case .correlated: price = score / 2 + rng.unit() * 10
        case .proportional: price = score / 2 + 5
        }
        candidates.append(Candidate(id: "n\(i)", score: score, price: price, region: "r\(rng.below(regionCount))",
                                    aggregator: rng.chance(0.3)))
    }
    let lo = rng.below(min(3, n) + 1)
    let hi = lo + rng.below(min(8, n - lo) + 1)
    var required: [String] = []
    if rng.chance(0.35) {
        for _ in 0..<(1 + rng.below(2)) { required.append("r\(rng.below(regionCount))") }
        if rng.chance(0.05) { required.append("r9") }
    }
    var budget: Double?
    if binding {
        let top = candidates.sorted { $0.score > $1.score }.prefix(max(hi, 1))
        budget = top.reduce(0) { $0 + $1.price } * (0.2 + 0.7 * rng.unit())
    } else if rng.chance(0.5) {
        budget = 1e6
    }
    return SelectionProblem(candidates: candidates, minCount: lo, maxCount: hi, budget: budget,
                            hierarchy: hierarchy, requiredRegions: required)
}

/// How prices relate to scores. Knapsacks are hardest when price follows value:
/// `proportional` (price = score/2 + 5) is close to subset sum.
private enum PriceModel { case independent, correlated, proportional }

/// Every rule the selection must follow; returns what is broken, or nil.
private func violation(_ s: Selection, _ p: SelectionProblem) -> String? {
    if s.chosen.count < p.minCount || s.chosen.count > p.maxCount { return "count \(s.chosen.count)" }
    let price = s.chosen.reduce(0) { $0 + $1.price }
    if let budget = p.budget, price > budget + 1e-9 * max(1, abs(budget)) { return "price \(price) > \(budget)" }
    if abs(price - s.totalPrice) > 1e-6 { return "totalPrice" }
    if abs(s.chosen.reduce(0) { $0 + $1.score } - s.totalScore) > 1e-6 { return "totalScore" }
    let regions = Set(s.chosen.map(\.region))
    for r in p.requiredRegions where !regions.contains(r) { return "required \(r) uncovered" }
    if p.hierarchy {
        for r in regions {
            guard let a = s.aggregators[r], s.chosen.contains(where: { $0.id == a && $0.aggregator && $0.region == r })
            else { return "region \(r) without aggregator" }
        }
        if s.aggregators.count != regions.count { return "aggregators" }
    } else if !s.aggregators.isEmpty {
        return "aggregators without hierarchy"
    }
    for (x, y) in zip(s.chosen, s.chosen.dropFirst()) where x.score < y.score || (x.score == y.score && x.id > y.id) {
        return "order"
    }
    if Set(s.chosen.map(\.id)).count != s.chosen.count { return "duplicate" }
    return nil
}

private extension Result {
    var failure: Failure? { if case let .failure(f) = self { return f } else { return nil } }
}

// MARK: - Tests

@Suite struct ParticipantSelectionTests {
    // MARK: Random instances

    @Test func rulesHoldOnRandomInstances() {
        var rng = SplitMix64(seed: 7)
        var solved = 0
        for round in 0..<600 {
            let n = 5 + rng.below(80)
            let p = randomProblem(&rng, n: n, binding: round % 2 == 0, hierarchy: round % 3 != 0)
            switch ParticipantSelection.select(p) {
            case let .success(s):
                solved += 1
                #expect(violation(s, p) == nil, "round \(round): \(violation(s, p) ?? "")")
            case let .failure(f):
                // Failures must be real: a required region that does not exist, or the exact reasons below.
                switch f {
                case .overBudget(let cheapest, let budget): #expect(cheapest > budget)
                case .regionUncovered(let r): #expect(!p.candidates.contains { $0.region == r })
                case .noAggregator(let r): #expect(p.hierarchy && !p.candidates.contains { $0.region == r && $0.aggregator })
                case .tooManyRequiredRegions(let required, let maxCount):
                    #expect(required == Set(p.requiredRegions).count && required > maxCount)
                default: Issue.record("round \(round): unexpected \(f)")
                }
            }
        }
        #expect(solved > 400)
    }

    @Test func qualityAgainstTheExactOptimum() {
        var rng = SplitMix64(seed: 2026)
        var ratios: [Double] = []
        var bindingRatios: [Double] = []
        var infeasibleAgree = 0, disagree = 0
        for round in 0..<400 {
            let binding = round % 2 == 0, hierarchy = (round / 2) % 2 == 0
            let p = randomProblem(&rng, n: 8 + rng.below(11), binding: binding, hierarchy: hierarchy)
            let exact = ExactSelection.solve(p)
            switch (ParticipantSelection.select(p), exact) {
            case let (.success(s), exact?):
                #expect(violation(s, p) == nil)
                let ratio = exact.score <= 1e-9 ? 1 : s.totalScore / exact.score
                #expect(ratio <= 1 + 1e-9)
                ratios.append(ratio)
                if binding { bindingRatios.append(ratio) } else { #expect(ratio >= 1 - 1e-9, "round \(round)") }
            case (.failure, nil): infeasibleAgree += 1
            default: disagree += 1
            }
        }
        let mean = ratios.reduce(0, +) / Double(ratios.count)
        let worst = ratios.min() ?? 1
        let optimal = ratios.filter { $0 >= 1 - 1e-9 }.count
        let bindingMean = bindingRatios.reduce(0, +) / Double(bindingRatios.count)
        print("quality over \(ratios.count) feasible instances: mean \(mean), min \(worst), optimal \(optimal); "
              + "binding budget: mean \(bindingMean), min \(bindingRatios.min() ?? 1); "
              + "infeasible (agreeing) \(infeasibleAgree), disagreements \(disagree)")
        #expect(ratios.count >= 300)
        #expect(mean >= 0.97)
        #expect(worst >= 0.90)
        // Feasibility is decided exactly (the cheapest feasible selection is computed exactly).
        #expect(disagree == 0)
    }

    @Test func qualityWhenPricesFollowScores() {
        var rng = SplitMix64(seed: 31)
        for model in [PriceModel.correlated, .proportional] {
            var ratios: [Double] = []
            for round in 0..<300 {
                let p = randomProblem(&rng, n: 12 + rng.below(7), binding: true, hierarchy: round % 2 == 0, prices: model)
                guard let exact = ExactSelection.solve(p) else {
                    #expect(ParticipantSelection.select(p).failure != nil)
                    continue
                }
                let s = try? ParticipantSelection.select(p).get()
                #expect(s != nil)
                ratios.append(exact.score <= 1e-9 ? 1 : (s?.totalScore ?? 0) / exact.score)
            }
            let mean = ratios.reduce(0, +) / Double(ratios.count)
            let optimal = ratios.filter { $0 >= 1 - 1e-9 }.count
            print("\(model) prices, binding budget: \(ratios.count) instances, mean \(mean), min \(ratios.min() ?? 1), optimal \(optimal)")
            #expect(mean >= 0.99)
            #expect((ratios.min() ?? 1) >= 0.93)
        }
    }

    @Test func sameAnswerWhateverTheOrder() {
        var rng = SplitMix64(seed: 99)
        for round in 0..<100 {
            let p = randomProblem(&rng, n: 10 + rng.below(40), binding: round % 2 == 0, hierarchy: round % 3 == 0)
            var shuffled = p
            shuffled.candidates.shuffle(using: &rng)
            #expect(ParticipantSelection.select(p) == ParticipantSelection.select(shuffled), "round \(round)")
        }
    }

    /// An upper bound on the total score with a budget, from the Lagrangian dual of
    /// the linear relaxation: min over λ ≥ 0 of λ·budget + the k largest positive (score − λ·price).
    static func dualBound(_ cs: [Candidate], maxCount: Int, budget: Double) -> Double {
        func value(_ lambda: Double) -> Double {
            let reduced = cs.map { $0.score - lambda * $0.price }.filter { $0 > 0 }.sorted(by: >).prefix(maxCount)
            return lambda * budget + reduced.reduce(0, +)
        }
        // Convex in λ: golden-section search.
        var a = 0.0, b = 1000.0
        let g = (sqrt(5.0) - 1) / 2
        for _ in 0..<100 {
            let x = b - g * (b - a), y = a + g * (b - a)
            if value(x) < value(y) { b = y } else { a = x }
        }
        return value((a + b) / 2)
    }

    @Test func hundredOfTwoThousandNearTheBound() throws {
        var rng = SplitMix64(seed: 5)
        let regions = ["eu-west", "eu-central", "us-east", "ap-south"]
        let candidates = (0..<2000).map { i in
            let score = rng.unit() * 100
            return Candidate(id: "node-\(i)", score: score, price: 0.5 + score / 20 + rng.unit() * 3,
                             region: regions[rng.below(4)], aggregator: rng.chance(0.1))
        }
        let top = candidates.sorted { $0.score > $1.score }.prefix(100).reduce(0) { $0 + $1.price }
        let bound = Self.dualBound(candidates, maxCount: 100, budget: 0.6 * top)
        for hierarchy in [false, true] {
            let p = SelectionProblem(candidates: candidates, minCount: 50, maxCount: 100, budget: 0.6 * top,
                                     hierarchy: hierarchy, requiredRegions: hierarchy ? regions : [])
            let s = try ParticipantSelection.select(p).get()
            #expect(violation(s, p) == nil)
            // The bound ignores the regions, so it holds under the hierarchy too.
            #expect(s.totalScore >= 0.995 * bound, "\(s.totalScore) of bound \(bound)")
        }
    }

    // MARK: Worked cases

    @Test func documentationExample() throws {
        let problem = SelectionProblem(
            candidates: [
                Candidate(id: "a", score: 90, price: 6, region: "eu-west", aggregator: true),
                Candidate(id: "b", score: 80, price: 5, region: "eu-west"),
                Candidate(id: "c", score: 70, price: 1, region: "us-east"),
                Candidate(id: "d", score: 60, price: 1, region: "us-east", aggregator: true),
            ],
            minCount: 2, maxCount: 3, budget: 10, hierarchy: true)
        let s = try ParticipantSelection.select(problem).get()
        #expect(s.chosen.map(\.id) == ["a", "c", "d"])
        #expect(s.totalScore == 220)
        #expect(s.totalPrice == 8)
        #expect(s.aggregators == ["eu-west": "a", "us-east": "d"])
    }

    @Test func withoutBudgetTheTopScoresWin() throws {
        let cs = (0..<10).map { Candidate(id: "n\($0)", score: Double($0 * 10), price: Double(100 - $0), region: "r") }
        let s = try ParticipantSelection.select(SelectionProblem(candidates: cs, minCount: 1, maxCount: 3)).get()
        #expect(s.chosen.map(\.id) == ["n9", "n8", "n7"])
        #expect(s.totalScore == 240)
        #expect(s.aggregators.isEmpty)
    }

    @Test func bindingBudgetTradesScoreForPrice() throws {
        // One star (100, price 10) or three cheap nodes (3 × 40, price 3 each).
        let cs = [Candidate(id: "star", score: 100, price: 10, region: "r")]
            + (0..<3).map { Candidate(id: "c\($0)", score: 40, price: 3, region: "r") }
        let s = try ParticipantSelection.select(SelectionProblem(candidates: cs, minCount: 1, maxCount: 3, budget: 10)).get()
        #expect(s.chosen.map(\.id) == ["c0", "c1", "c2"])
        #expect(s.totalScore == 120)
        let t = try ParticipantSelection.select(SelectionProblem(candidates: cs, minCount: 1, maxCount: 2, budget: 10)).get()
        #expect(t.chosen.map(\.id) == ["star"])
    }

    @Test func zeroBudgetTakesOnlyFreeCandidates() throws {
        let cs = [
            Candidate(id: "paid", score: 99, price: 1, region: "r"),
            Candidate(id: "free-1", score: 50, price: 0, region: "r"),
            Candidate(id: "free-2", score: 40, price: 0, region: "r"),
        ]
        let s = try ParticipantSelection.select(SelectionProblem(candidates: cs, minCount: 1, maxCount: 3, budget: 0)).get()
        #expect(s.chosen.map(\.id) == ["free-1", "free-2"])
        #expect(s.totalPrice == 0)
        let none = ParticipantSelection.select(SelectionProblem(candidates: Array(cs.prefix(1)), minCount: 1, maxCount: 1, budget: 0))
        #expect(none.failure == .overBudget(cheapest: 1, budget: 0))
    }

    @Test func minCountZeroMayChooseNobody() throws {
        let cs = [Candidate(id: "a", score: 50, price: 5, region: "r")]
        let s = try ParticipantSelection.select(SelectionProblem(candidates: cs, minCount: 0, maxCount: 1, budget: 1)).get()
        #expect(s.chosen.isEmpty && s.totalScore == 0 && s.totalPrice == 0)
        let empty = try ParticipantSelection.select(SelectionProblem(candidates: [], minCount: 0, maxCount: 5)).get()
        #expect(empty.chosen.isEmpty)
        // Without a reason to pay, a zero score is not worth a price.
        let zero = [Candidate(id: "z", score: 0, price: 1, region: "r")]
        #expect(try ParticipantSelection.select(SelectionProblem(candidates: zero, minCount: 0, maxCount: 1)).get().chosen.isEmpty)
        #expect(try ParticipantSelection.select(SelectionProblem(candidates: zero, minCount: 1, maxCount: 1)).get().chosen.count == 1)
    }

    @Test func badCountRangesFail() throws {
        let cs = [Candidate(id: "a", score: 50, region: "r")]
        #expect(ParticipantSelection.select(SelectionProblem(candidates: cs, minCount: 3, maxCount: 2)).failure
                == .invalidCountRange(minCount: 3, maxCount: 2))
        #expect(ParticipantSelection.select(SelectionProblem(candidates: cs, minCount: -1, maxCount: 2)).failure
                == .invalidCountRange(minCount: -1, maxCount: 2))
        #expect(ParticipantSelection.select(SelectionProblem(candidates: cs, minCount: 2, maxCount: 4)).failure
                == .notEnoughCandidates(needed: 2, available: 1))
        // A huge maxCount is capped by the candidates.
        #expect(try ParticipantSelection.select(SelectionProblem(candidates: cs, minCount: 0, maxCount: .max)).get().chosen.count == 1)
    }

    @Test func invalidNumbersFail() {
        let nan = [Candidate(id: "x", score: .nan, region: "r")]
        #expect(ParticipantSelection.select(SelectionProblem(candidates: nan, minCount: 0, maxCount: 1)).failure
                == .invalidCandidate(id: "x", reason: "score nan is not finite"))
        let negative = [Candidate(id: "y", score: 1, price: -2, region: "r")]
        #expect(ParticipantSelection.select(SelectionProblem(candidates: negative, minCount: 0, maxCount: 1)).failure
                == .invalidCandidate(id: "y", reason: "price -2.0 is not a finite number ≥ 0"))
        let ok = [Candidate(id: "z", score: 1, price: 2, region: "r")]
        guard case .invalidBudget? = ParticipantSelection.select(
            SelectionProblem(candidates: ok, minCount: 0, maxCount: 1, budget: .nan)).failure
        else { Issue.record("NaN budget accepted"); return }
    }

    @Test func oneRegionWithoutAggregatorUnderHierarchy() throws {
        let cs = (0..<5).map { Candidate(id: "n\($0)", score: 50, price: 1, region: "eu-west") }
        let p = SelectionProblem(candidates: cs, minCount: 1, maxCount: 3, hierarchy: true)
        #expect(ParticipantSelection.select(p).failure == .noAggregator(region: "eu-west"))
        // Without a hierarchy the same nodes are fine.
        var flat = p; flat.hierarchy = false
        #expect(try ParticipantSelection.select(flat).get().chosen.count == 3)
        // With minCount 0 nobody is a valid answer.
        var optional = p; optional.minCount = 0
        #expect(try ParticipantSelection.select(optional).get().chosen.isEmpty)
    }

    @Test func hierarchyAddsAnAggregatorPerRegion() throws {
        let cs = [
            Candidate(id: "w1", score: 95, price: 1, region: "west"),
            Candidate(id: "w2", score: 90, price: 1, region: "west"),
            Candidate(id: "wa", score: 10, price: 1, region: "west", aggregator: true),
            Candidate(id: "e1", score: 85, price: 1, region: "east"),
            Candidate(id: "ea", score: 15, price: 1, region: "east", aggregator: true),
            Candidate(id: "solo", score: 60, price: 1, region: "south", aggregator: true),
        ]
        func best(_ maxCount: Int) throws -> Selection {
            let p = SelectionProblem(candidates: cs, minCount: 1, maxCount: maxCount, hierarchy: true)
            let s = try ParticipantSelection.select(p).get()
            #expect(violation(s, p) == nil)
            return s
        }
        // Four: west's two best with its aggregator, and south's lone aggregator (255);
        // east would cost two places for 100.
        let four = try best(4)
        #expect(four.chosen.map(\.id) == ["w1", "w2", "solo", "wa"])
        #expect(four.aggregators == ["west": "wa", "south": "solo"])
        #expect(try best(3).chosen.map(\.id) == ["w1", "w2", "wa"])
        #expect(try best(2).chosen.map(\.id) == ["w1", "wa"])
        #expect(try best(6).totalScore == 355)
    }

    @Test func requiredRegions() throws {
        let cs = [
            Candidate(id: "a", score: 90, price: 1, region: "big"),
            Candidate(id: "b", score: 80, price: 1, region: "big", aggregator: true),
            Candidate(id: "c", score: 70, price: 1, region: "big"),
            Candidate(id: "d", score: 5, price: 1, region: "small"),
            Candidate(id: "e", score: 1, price: 1, region: "small", aggregator: true),
        ]
        let flat = try ParticipantSelection.select(
            SelectionProblem(candidates: cs, minCount: 1, maxCount: 3, requiredRegions: ["small"])).get()
        #expect(flat.chosen.map(\.id) == ["a", "b", "d"])
        let tree = try ParticipantSelection.select(
            SelectionProblem(candidates: cs, minCount: 1, maxCount: 3, hierarchy: true, requiredRegions: ["small", "small"])).get()
        #expect(tree.chosen.map(\.id) == ["a", "b", "e"])
        #expect(tree.aggregators == ["big": "b", "small": "e"])
        #expect(ParticipantSelection.select(SelectionProblem(candidates: cs, minCount: 1, maxCount: 3, requiredRegions: ["mars"])).failure
                == .regionUncovered("mars"))
        let noAgg = cs.filter { $0.id != "e" }
        #expect(ParticipantSelection.select(SelectionProblem(candidates: noAgg, minCount: 1, maxCount: 3, hierarchy: true,
                                                             requiredRegions: ["small"])).failure
                == .noAggregator(region: "small"))
        #expect(ParticipantSelection.select(SelectionProblem(candidates: cs, minCount: 1, maxCount: 1,
                                                             requiredRegions: ["big", "small"])).failure
                == .tooManyRequiredRegions(required: 2, maxCount: 1))
        // Covering a required region can be over budget on its own.
        #expect(ParticipantSelection.select(SelectionProblem(candidates: cs, minCount: 3, maxCount: 3, budget: 2.5,
                                                             requiredRegions: ["small"])).failure
                == .overBudget(cheapest: 3, budget: 2.5))
    }

    @Test func tiesGoToTheSmallerId() throws {
        let cs = ["d", "b", "e", "a", "c"].map { Candidate(id: $0, score: 50, price: 2, region: "r", aggregator: true) }
        let s = try ParticipantSelection.select(SelectionProblem(candidates: cs, minCount: 1, maxCount: 3)).get()
        #expect(s.chosen.map(\.id) == ["a", "b", "c"])
        let t = try ParticipantSelection.select(SelectionProblem(candidates: cs, minCount: 1, maxCount: 5, budget: 7)).get()
        #expect(t.chosen.map(\.id) == ["a", "b", "c"])
        let u = try ParticipantSelection.select(SelectionProblem(candidates: cs, minCount: 1, maxCount: 2, hierarchy: true)).get()
        #expect(u.aggregators == ["r": "a"])
    }

    @Test func duplicateIdsAreDistinctCandidates() throws {
        // Not expected from callers; documented: each entry is its own candidate.
        let cs = [Candidate(id: "x", score: 50, price: 1, region: "r"), Candidate(id: "x", score: 50, price: 1, region: "r")]
        let s = try ParticipantSelection.select(SelectionProblem(candidates: cs, minCount: 2, maxCount: 2)).get()
        #expect(s.chosen.count == 2 && s.totalScore == 100)
    }

    @Test func messagesCarryTheNumbers() {
        #expect(SelectionFailure.notEnoughCandidates(needed: 5, available: 3).description
                == "not enough candidates: the job needs at least 5 participants, 3 available")
        #expect(SelectionFailure.overBudget(cheapest: 12.5, budget: 10).description
                == "over budget: the cheapest selection meeting the other rules costs 12.5, the budget is 10")
        #expect(SelectionFailure.noAggregator(region: "eu-west").description.contains("region eu-west"))
        #expect(SelectionFailure.regionUncovered("mars").description == "region uncovered: required region mars has no candidate")
        #expect(SelectionFailure.tooManyRequiredRegions(required: 4, maxCount: 3).description.contains("4 regions"))
        #expect(SelectionFailure.invalidCountRange(minCount: 3, maxCount: 2).description.contains("minCount 3, maxCount 2"))
    }

    @Test func unlimitedBudgetNeedsOneOracleCall() throws {
        var rng = SplitMix64(seed: 1)
        let p = randomProblem(&rng, n: 50, binding: false, hierarchy: true)
        guard case let .success(solver) = SelectionSolver.make(p) else { return }
        _ = solver.solve()
        #expect(solver.oracleCalls == 1)
    }

    @Test func divideAndConquerMatchesTheFullProgramme() {
        var rng = SplitMix64(seed: 11)
        for round in 0..<400 {
            let hi = 1 + rng.below(80)
            let reach = rng.below(hi + 1)
            let floor = rng.below(reach + 1)
            var best1 = [Double](repeating: -.infinity, count: hi + 1), best2 = best1
            for c in floor...reach { best1[c] = rng.unit() * 100 - 50; best2[c] = rng.unit() }
            // A group's values: an anchor, then the others in descending value.
            let m = rng.below(60)
            let values = [rng.unit() * 40 - 20] + (0..<max(0, m - 1)).map { _ in rng.unit() * 60 - 30 }.sorted(by: >)
            var v1 = [0.0], v2 = [0.0]
            for x in values.prefix(m) { v1.append(v1.last! + x); v2.append(v2.last! + rng.unit()) }
            let required = rng.chance(0.3)
            if required { v1[0] = -.infinity }
            let step = SelectionSolver.extend(best1, best2, reach: reach, v1: v1, v2: v2, required: required, hi: hi)
            #expect(step.reach == min(hi, reach + m))
            for c in 0...hi {
                var expected = -Double.infinity
                for j in 0...min(m, c) where c - j <= reach && best1[c - j] != -.infinity && v1[j] != -.infinity {
                    expected = max(expected, best1[c - j] + v1[j])
                }
                if expected == -.infinity {
                    #expect(step.best1[c] == -.infinity && step.choice[c] < 0, "round \(round) count \(c)")
                } else {
                    let j = step.choice[c]
                    #expect(abs(step.best1[c] - expected) <= 1e-9, "round \(round) count \(c)")
                    #expect(j >= 0 && abs(best1[c - j] + v1[j] - step.best1[c]) <= 1e-9)
                }
            }
        }
    }

    @Test func narrowingKeepsTheOracleAnswers() {
        var rng = SplitMix64(seed: 12)
        for round in 0..<40 {
            let regions = 1 + rng.below(4)
            let candidates = (0..<300).map { i in
                Candidate(id: "n\(i)", score: rng.unit() * 100, price: 1 + rng.unit() * 20,
                          region: "r\(rng.below(regions))", aggregator: rng.chance(0.2))
            }
            let p = SelectionProblem(candidates: candidates, minCount: rng.below(5), maxCount: 5 + rng.below(20),
                                     budget: 100, hierarchy: round % 2 == 0, requiredRegions: rng.chance(0.5) ? ["r0"] : [])
            guard case let .success(solver) = SelectionSolver.make(p) else { Issue.record("infeasible"); continue }
            let low = rng.unit() * 5, high = low * (1 + rng.unit()) + 0.01
            let lambdas = [low, high] + (0..<6).map { _ in low + (high - low) * rng.unit() }
            let before = lambdas.map { solver.oracle(.lagrangian($0))!.members.sorted() }
            let size = solver.groups.reduce(0) { $0 + $1.members.count }
            solver.narrow(low: low, high: high)
            #expect(solver.groups.reduce(0) { $0 + $1.members.count } < size, "round \(round): nothing dropped")
            #expect(lambdas.map { solver.oracle(.lagrangian($0))!.members.sorted() } == before, "round \(round)")
        }
    }

    @Test func partialSelectionMatchesAFullSort() {
        var rng = SplitMix64(seed: 3)
        for _ in 0..<50 {
            let n = 1 + rng.below(300)
            let primary = (0..<n).map { _ in Double(rng.below(20)) }
            let ranking = SelectionRanking(primary: primary, secondary: primary.map { -$0 },
                                           ids: (0..<n).map { "id\(($0 * 7919) % 37)" })
            let k = rng.below(n + 1)
            var items = Array(0..<n)
            ranking.selectTop(&items, k)
            let sorted = (0..<n).sorted { ranking.precedes($0, $1) }
            #expect(Array(items[0..<k]) == Array(sorted[0..<k]))
        }
    }
}

@Suite struct FailoverTests {
    @Test func keptParticipantsStayAndTheBestEligibleCandidatesTakeTheLostPlaces() {
        let kept = [Candidate(id: "k1", score: 10, price: 1, region: "eu", aggregator: true),
                    Candidate(id: "k2", score: 5, price: 1, region: "us", aggregator: true)]
        let candidates = [Candidate(id: "eu-best", score: 90, price: 1, region: "eu"),
                          Candidate(id: "us-good", score: 80, price: 1, region: "us"),
                          Candidate(id: "us-poor", score: 20, price: 1, region: "us")]
        // Two lost, one per region: the two best newcomers come in, each paired with its region's loss,
        // and the low-scoring kept ones stay although newcomers score higher.
        let plan = Failover.plan(Failover.Problem(kept: kept, lost: [(id: "gone-us", region: "us"), (id: "gone-eu", region: "eu")],
                                                  candidates: candidates, minCount: 3, target: 4, budget: nil, hierarchy: true,
                                                  requiredRegions: ["eu", "us"]))
        #expect(plan.chosen == ["k1", "k2", "eu-best", "us-good"])
        #expect(plan.replaced == [.init(old: "gone-us", new: "us-good"), .init(old: "gone-eu", new: "eu-best")])
        #expect(!plan.short && plan.aggregators == ["eu": "k1", "us": "k2"])
    }

    @Test func theBudgetLeftAndTheMinimumDecide() {
        let kept = [Candidate(id: "k", score: 50, price: 6, region: "eu")]
        let candidates = [Candidate(id: "dear", score: 99, price: 5, region: "eu"),
                          Candidate(id: "cheap", score: 10, price: 1, region: "eu")]
        // 10 of budget, 6 spent on the kept node: only the cheap one fits.
        let plan = Failover.plan(Failover.Problem(kept: kept, lost: [(id: "gone", region: "eu")], candidates: candidates,
                                                  minCount: 2, target: 2, budget: 10, hierarchy: false))
        #expect(plan.chosen == ["k", "cheap"] && !plan.short)
        // Nobody eligible: the kept node stays alone, short of the minimum.
        let none = Failover.plan(Failover.Problem(kept: kept, lost: [(id: "gone", region: "eu")], candidates: [],
                                                  minCount: 2, target: 2, budget: 10, hierarchy: false))
        #expect(none.chosen == ["k"] && none.short && none.replaced.isEmpty)
    }
}
