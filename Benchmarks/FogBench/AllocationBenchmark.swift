import FogModel
import FogMarket
import Foundation

/// `fog-bench allocation`: participant selection (`ParticipantSelection.select`).
/// (a) Time to choose 50–100 of 10,000 candidates (4 regions, 10 % aggregators,
/// prices rising with the score), with and without a binding budget and a
/// hierarchy, against a full sort by score in the same run; the score reached
/// against an upper bound (the Lagrangian dual of the linear relaxation, which
/// ignores the regions). (b) The score reached against the exact optimum on 200
/// random instances of 10–16 candidates, with prices independent of scores and
/// with prices that follow them (the harder knapsack).
enum AllocationBenchmark {
    static func run() {
        timing()
        quality()
    }

    // MARK: Timing

    static func timing() {
        let count = 10_000, k = 100, repeats = 5
        var rng = SplitMix64(seed: 2026)
        let regions = ["eu-west", "eu-central", "us-east", "ap-south"]
        let candidates = (0..<count).map { i in
            let score = rng.unit() * 100
            return Candidate(id: String(format: "node-%05d", i), score: score, price: 0.5 + score / 20 + rng.unit() * 3,
                             region: regions[rng.below(4)], aggregator: rng.unit() < 0.1)
        }
        let topPrice = candidates.sorted { $0.score > $1.score }.prefix(k).reduce(0) { $0 + $1.price }
        let budget = 0.6 * topPrice

        // Baseline: a full sort by score (equal scores by id), then the first k.
        var sortBest = Double.infinity
        var sink = 0.0
        for _ in 0..<repeats {
            let t0 = now()
            let sorted = candidates.sorted { $0.score != $1.score ? $0.score > $1.score : $0.id < $1.id }
            sink += sorted.prefix(k).reduce(0) { $0 + $1.score }
            sortBest = min(sortBest, now() - t0)
        }
        print("allocation: choose up to \(k) of \(count) candidates (4 regions, 10 % aggregators), best of \(repeats)")
        print("  baseline full sort by score: \(ms(sortBest)) ms")
        print("  budget        hierarchy   ms       selections/s   × sort   chosen   score      price     of bound")

        for binding in [false, true] {
            for hierarchy in [false, true] {
                let problem = SelectionProblem(
                    candidates: candidates, minCount: k / 2, maxCount: k, budget: binding ? budget : nil,
                    hierarchy: hierarchy, requiredRegions: hierarchy ? regions : [])
                var best = Double.infinity
                var result: Result<Selection, SelectionFailure>?
                for _ in 0..<repeats {
                    let t0 = now()
                    result = ParticipantSelection.select(problem)
                    best = min(best, now() - t0)
                }
                guard case let .success(s)? = result else {
                    print("  failed: \(String(describing: result))")
                    continue
                }
                let bound = binding ? dualBound(candidates, maxCount: k, budget: budget)
                    : candidates.map(\.score).sorted(by: >).prefix(k).reduce(0, +)
                let label = binding ? "60 % of top" : "none"
                print("  " + pad(label, 14) + pad(hierarchy ? "on" : "off", 12) + pad(ms(best), 9)
                      + pad(String(Int((1 / best).rounded())), 15) + pad(String(format: "%.2f", best / sortBest), 9)
                      + pad(String(s.chosen.count), 9) + pad(String(format: "%.1f", s.totalScore), 11)
                      + pad(String(format: "%.1f", s.totalPrice), 10) + String(format: "%.4f", s.totalScore / bound))
            }
        }
        if sink < 0 { print(sink) }
        print("  (budget \(String(format: "%.1f", budget)) = 60 % of the top \(k)'s price \(String(format: "%.1f", topPrice)); "
              + "with the hierarchy all 4 regions are required; bound: Lagrangian dual of the relaxation)")
    }

    /// An upper bound on the total score within `budget`: min over λ ≥ 0 of
    /// λ·budget + the `maxCount` largest positive (score − λ·price).
    static func dualBound(_ cs: [Candidate], maxCount: Int, budget: Double) -> Double {
        func value(_ lambda: Double) -> Double {
            let reduced = cs.map { $0.score - lambda * $0.price }.filter { $0 > 0 }.sorted(by: >).prefix(maxCount)
            return lambda * budget + reduced.reduce(0, +)
        }
        var a = 0.0, b = 1000.0
        let g = (sqrt(5.0) - 1) / 2
        for _ in 0..<80 {
            let x = b - g * (b - a), y = a + g * (b - a)
            if value(x) < value(y) { b = y } else { a = x }
        }
        return value((a + b) / 2)
    }

    // MARK: Quality

    static func quality() {
        print("allocation quality: ours / exact optimum on 200 instances of 10–16 candidates per price model "
              + "(3/4 with a binding budget, 1/2 with a hierarchy)")
        for (label, correlated) in [("independent prices", false), ("prices follow scores", true)] {
            var rng = SplitMix64(seed: correlated ? 8 : 7)
            var ratios: [Double] = []
            var infeasible = 0, disagreements = 0
            for round in 0..<200 {
                let problem = smallProblem(&rng, n: 10 + rng.below(7), binding: round % 4 < 3, hierarchy: round % 2 == 0,
                                           correlated: correlated)
                let optimum = exact(problem)
                switch (ParticipantSelection.select(problem), optimum) {
                case let (.success(s), optimum?): ratios.append(optimum <= 1e-9 ? 1 : s.totalScore / optimum)
                case (.failure, nil): infeasible += 1
                default: disagreements += 1
                }
            }
            let mean = ratios.reduce(0, +) / Double(max(ratios.count, 1))
            let atOptimum = ratios.filter { $0 >= 1 - 1e-9 }.count
            print("  " + pad(label, 22) + "feasible \(ratios.count): mean \(String(format: "%.4f", mean)), "
                  + "min \(String(format: "%.4f", ratios.min() ?? 1)), at optimum \(atOptimum) "
                  + "(\(String(format: "%.1f", 100 * Double(atOptimum) / Double(max(ratios.count, 1)))) %); "
                  + "infeasible by both \(infeasible), disagreements \(disagreements)")
        }
    }

    /// A random instance: 1–4 regions, about 30 % aggregators, prices 1–50 (a few
    /// free) or score/2 + 0–10, sometimes a required region; a binding budget is
    /// 20–90 % of the top maxCount's price.
    static func smallProblem(_ rng: inout SplitMix64, n: Int, binding: Bool, hierarchy: Bool, correlated: Bool) -> SelectionProblem {
        let regionCount = 1 + rng.below(4)
        let candidates = (0..<n).map { i in
            let score = rng.unit() * 100
            let price = correlated ? score / 2 + rng.unit() * 10 : (rng.unit() < 0.05 ? 0 : 1 + rng.unit() * 49)
            return Candidate(id: "n\(i)", score: score, price: price, region: "r\(rng.below(regionCount))",
                             aggregator: rng.unit() < 0.3)
        }
        let lo = rng.below(4)
        let hi = lo + rng.below(min(10, n - lo) + 1)
        let required = rng.unit() < 0.35 ? ["r\(rng.below(regionCount))"] : []
        var budget: Double?
        if binding {
            let top = candidates.sorted { $0.score > $1.score }.prefix(max(hi, 1))
            budget = top.reduce(0) { $0 + $1.price } * (0.2 + 0.7 * rng.unit())
        }
        return SelectionProblem(candidates: candidates, minCount: lo, maxCount: hi, budget: budget,
                                hierarchy: hierarchy, requiredRegions: required)
    }

    /// The optimal total score by depth-first enumeration of subsets with a
    /// bound, or nil when nothing is feasible. For n ≤ 20.
    static func exact(_ problem: SelectionProblem) -> Double? {
        let cs = problem.candidates.sorted { $0.score > $1.score }
        let n = cs.count
        var regionNumber: [String: Int] = [:]
        for c in cs where regionNumber[c.region] == nil { regionNumber[c.region] = regionNumber.count }
        var required: [Int] = []
        for r in Set(problem.requiredRegions) {
            guard let number = regionNumber[r] else { return nil }
            required.append(number)
        }
        let region = cs.map { regionNumber[$0.region]! }
        var positiveAfter = [Double](repeating: 0, count: n + 1)
        for t in stride(from: n - 1, through: 0, by: -1) { positiveAfter[t] = positiveAfter[t + 1] + max(0, cs[t].score) }
        let limit = problem.budget.map { $0 + 1e-9 * max(1, abs($0)) } ?? .infinity
        var members = [Int](repeating: 0, count: regionNumber.count)
        var aggregators = [Int](repeating: 0, count: regionNumber.count)
        var chosen = 0
        var best: Double?

        func feasible() -> Bool {
            if chosen < problem.minCount { return false }
            for r in required where members[r] == 0 { return false }
            if problem.hierarchy {
                for r in members.indices where members[r] > 0 && aggregators[r] == 0 { return false }
            }
            return true
        }
        func visit(_ t: Int, _ s: Double, _ p: Double) {
            if let best, s + positiveAfter[t] <= best + 1e-12 { return }
            if chosen + (n - t) < problem.minCount { return }
            if t == n {
                if feasible() { best = s }
                return
            }
            if chosen < problem.maxCount && p + cs[t].price <= limit {
                chosen += 1; members[region[t]] += 1; if cs[t].aggregator { aggregators[region[t]] += 1 }
                visit(t + 1, s + cs[t].score, p + cs[t].price)
                chosen -= 1; members[region[t]] -= 1; if cs[t].aggregator { aggregators[region[t]] -= 1 }
            }
            visit(t + 1, s, p)
        }
        guard problem.minCount >= 0, problem.maxCount >= problem.minCount else { return nil }
        visit(0, 0, 0)
        return best
    }

    // MARK: Helpers


    static func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }
    static func ms(_ seconds: Double) -> String { String(format: "%.3f", seconds * 1000) }
    static func pad(_ s: String, _ width: Int) -> String { s.count >= width ? s + " " : s + String(repeating: " ", count: width - s.count) }
}

/// Draws from FogModel's seeded SplitMix64, so every run sees the same instances.
private extension SplitMix64 {
    mutating func unit() -> Double { Double(next() >> 11) / Double(1 << 53) }
    mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
}
