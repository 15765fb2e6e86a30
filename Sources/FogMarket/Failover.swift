/// Replacing lost participants of a running job, with the same selection as its first
/// allocation (`ParticipantSelection`): the score, the budget, and under a hierarchy an
/// aggregator in every region the job uses.
///
/// The participants that are still eligible stay: they enter the selection *pinned*, with a
/// score above what all newcomers together could add, so every selection the solver prefers
/// keeps them whenever one can. The places of the lost ones (and any shortfall below the
/// job's minimum) go to the best eligible candidates within what the budget leaves. When no
/// selection meets the hierarchy's aggregator rule, the places are filled without it (a
/// region then aggregates through the job's other aggregators) rather than left empty.
public enum Failover {
    public struct Problem: Sendable {
        /// Participants that are still eligible, priced and scored as candidates.
        public var kept: [Candidate]
        /// Participants that left, with the region each held.
        public var lost: [(id: String, region: String)]
        /// Eligible nodes not in the job.
        public var candidates: [Candidate]
        /// The job's minimum, and how many it should have (its size before the loss).
        public var minCount: Int
        public var target: Int
        public var budget: Double?
        public var hierarchy: Bool
        public var requiredRegions: [String]

        public init(kept: [Candidate], lost: [(id: String, region: String)], candidates: [Candidate], minCount: Int, target: Int,
                    budget: Double?, hierarchy: Bool, requiredRegions: [String] = []) {
            self.kept = kept
            self.lost = lost
            self.candidates = candidates
            self.minCount = minCount
            self.target = target
            self.budget = budget
            self.hierarchy = hierarchy
            self.requiredRegions = requiredRegions
        }
    }

    public struct Plan: Sendable, Equatable {
        /// Every participant after failover: the kept ones, then the newcomers.
        public var chosen: [String]
        /// Which newcomer took which lost participant's place (same region first).
        public var replaced: [Replacement]
        /// Fewer participants than the job's minimum.
        public var short: Bool
        /// Aggregator per region, when the selection met the hierarchy's rule.
        public var aggregators: [String: String]
    }

    public struct Replacement: Sendable, Equatable {
        public var old: String
        public var new: String
    }

    public static func plan(_ p: Problem) -> Plan {
        let keptIDs = Set(p.kept.map(\.id))
        // Above what every newcomer together could add: pinned members outweigh any exchange.
        let pin = 1 + p.candidates.reduce(0) { $0 + max(0, $1.score) }
        let pinned = p.kept.map { Candidate(id: $0.id, score: $0.score + pin, price: $0.price, region: $0.region, aggregator: $0.aggregator) }
        let pool = pinned + p.candidates.filter { !keptIDs.contains($0.id) }
        let target = max(p.target, p.kept.count)
        func attempt(hierarchy: Bool) -> Selection? {
            let problem = SelectionProblem(candidates: pool, minCount: min(max(p.minCount, p.kept.count), pool.count, target), maxCount: target,
                                           budget: p.budget, hierarchy: hierarchy, requiredRegions: hierarchy ? p.requiredRegions : [])
            guard case .success(let s) = ParticipantSelection.select(problem), keptIDs.isSubset(of: Set(s.chosen.map(\.id))) else { return nil }
            return s
        }
        let selection = (p.hierarchy ? attempt(hierarchy: true) : nil) ?? attempt(hierarchy: false)
        let newcomers = (selection?.chosen ?? []).filter { !keptIDs.contains($0.id) }
        let chosen = p.kept.map(\.id) + newcomers.map(\.id)
        // Pair each lost participant with a newcomer, one of its region first.
        var left = newcomers
        var replaced: [Replacement] = []
        for lost in p.lost {
            guard let i = left.firstIndex(where: { $0.region == lost.region }) ?? left.indices.first else { continue }
            replaced.append(Replacement(old: lost.id, new: left.remove(at: i).id))
        }
        return Plan(chosen: chosen, replaced: replaced, short: chosen.count < p.minCount,
                    aggregators: (p.hierarchy ? selection?.aggregators : nil) ?? [:])
    }
}
