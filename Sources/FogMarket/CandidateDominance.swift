import Foundation

/// Which candidates a selection of at most `k` participants can do without.
///
/// Candidate `d` **dominates** candidate `c` when both are in the same region with the same
/// aggregator role, `d` costs no more, and `d` ranks before `c`: a higher score, or the same
/// score and a smaller id (the order `ParticipantSelection` breaks ties by). Exchanging `c` for
/// `d` in any selection keeps every rule (the count, the required regions, a region's
/// aggregator, the budget) and loses no score; for every value the selection ranks by
/// (score − λ·price for λ ≥ 0, with score, −price and the id as tie-breaks) `d` comes first.
///
/// A candidate that at least `k` others dominate is never needed: a selection of at most `k`
/// that holds it leaves one of its dominators out, which can take its place. Domination is
/// transitive, so repeating the exchange ends, with a selection of the rest that is as good.
/// The candidates left therefore give the same best selection and the same cheapest one: the
/// same answer without a binding budget, the same failure (minus the candidate counts in its
/// message), and, with a binding budget, the same optimum for the heuristic to look for.
///
/// Per group, with its candidates in levels of equal price (cheapest first) and each level in
/// rank order, the sweep keeps a candidate unless the `k`-th best of those kept so far ranks
/// before it, and leaves a level at its first dominated member: at most `k` per level. With a
/// few price levels (a fleet's asks come from a few device classes and offers) that is a few
/// hundred candidates out of tens of thousands; with every price distinct it keeps more, and
/// never fewer than it must.
public enum CandidateDominance {
    /// Appends to `kept` the members of one group that fewer than `k` others of the group
    /// dominate. `levels`: the group's members by price, cheapest level first, each level in
    /// rank order (score descending, then id ascending). Members for which `skip` holds are
    /// treated as absent.
    public static func undominated<Levels: Sequence, Member>(
        _ levels: Levels, k: Int, score: (Member) -> Double, id: (Member) -> String,
        skip: (Member) -> Bool = { _ in false }, into kept: inout [Member]
    ) where Levels.Element: Collection, Levels.Element.Element == Member {
        let k = max(1, k)
        // The best k kept so far, best first.
        var best: [(score: Double, id: String)] = []
        best.reserveCapacity(k + 1)
        for level in levels {
            for member in level where !skip(member) {
                let s = score(member), name = id(member)
                if best.count == k, !ranksBefore(s, name, best[k - 1].score, best[k - 1].id) { break }
                kept.append(member)
                var i = best.count
                while i > 0, ranksBefore(s, name, best[i - 1].score, best[i - 1].id) { i -= 1 }
                best.insert((s, name), at: i)
                if best.count > k { best.removeLast() }
            }
        }
    }

    /// Rank order: the higher score first, then the smaller id.
    @inline(__always) public static func ranksBefore(_ s: Double, _ id: String, _ t: Double, _ other: String) -> Bool {
        s != t ? s > t : id < other
    }

    /// The candidates of `candidates` that fewer than `k` others dominate, grouped by region and
    /// aggregator role (regions in name order, aggregators first), each group by price and rank.
    /// Candidates with a score or price the selection rejects are all kept, for it to report.
    public static func undominated(_ candidates: [Candidate], k: Int) -> [Candidate] {
        guard candidates.allSatisfy({ $0.score.isFinite && $0.price.isFinite && $0.price >= 0 }) else { return candidates }
        struct Group: Hashable { var region: String; var aggregator: Bool }
        var groups: [Group: [Double: [Candidate]]] = [:]
        for c in candidates { groups[Group(region: c.region, aggregator: c.aggregator), default: [:]][c.price, default: []].append(c) }
        var kept: [Candidate] = []
        let order = groups.keys.sorted { $0.region != $1.region ? $0.region < $1.region : ($0.aggregator && !$1.aggregator) }
        for g in order {
            let levels = groups[g]!.sorted { $0.key < $1.key }.map { level in
                level.value.sorted { ranksBefore($0.score, $0.id, $1.score, $1.id) }
            }
            undominated(levels, k: k, score: \.score, id: \.id, into: &kept)
        }
        return kept
    }
}
