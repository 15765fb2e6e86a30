import FogFleet
import FogMarket
import FogModel
import FogRuntime
import Foundation

/// The eligible nodes and their selection scores for one shape of job (what eligibility and
/// scoring read from a job and its tier), shared by the jobs of that shape and kept current
/// from the `NodeIndex` change log: an allocation (first or failover) looks again only at the
/// nodes changed since the pool was last used, not at the whole fleet. A thousand copies of one
/// job over ten thousand nodes check ten thousand nodes once, then a few dozen per job.
///
/// A job then takes only the candidates it could need: those that fewer than its participant
/// count of others dominate (`CandidateDominance`: same region and aggregator role, no dearer,
/// better ranked). The pool keeps its nodes by region, role and ask, each in rank order, so that
/// is at most a participant count per ask level, whatever the size of the fleet; selection over
/// them gives the same best selection as over every eligible node.
///
/// Eligibility is judged counting every reservation a node holds, which is the job's own
/// judgement of every node it holds none on: a first allocation's whole fleet, a failover's
/// nodes outside the job. Scores come from `NodeIndex.stats`, which reuses a node's scoring
/// inputs for `NodeIndex.statsLifetime`; a pool older than that is rebuilt from every node, so
/// a score is at most twice that lifetime old (a pass over every node: at most once).
final class CandidatePools: @unchecked Sendable {
    /// Everything `Eligibility.exclusion` (with `keeping: false`, no capacity of the job's own)
    /// and the job's scoring algorithm read from a job and its tier.
    struct Shape: Hashable {
        var tier: String
        var tierGeneration: Int64
        var type: FederatedJobSpec.JobType
        var privacyBits: UInt8
        var cpu: Double
        var memoryGiB: Double
        var gpu: Bool
        var regions: [String]
        var deviceClasses: [String]
        var selector: LabelSelector
        var minTrust: Double
        var algorithm: String

        init(_ job: JobView, tier: String, tierGeneration: Int64) {
            self.tier = tier
            self.tierGeneration = tierGeneration
            type = job.type
            privacyBits = job.privacyBits
            cpu = job.cpu
            memoryGiB = job.memoryGiB
            gpu = job.gpu
            regions = job.regions.sorted()
            deviceClasses = job.deviceClasses.sorted()
            selector = job.selector
            minTrust = job.minTrust
            algorithm = job.algorithm.rawValue
        }
    }

    struct Entry {
        var name: String
        var node: NodeFacts
        var score: Double
        /// `Eligibility.ask` for the shape's type of job.
        var ask: Double
        var aggregator: Bool

        init(_ node: NodeFacts, score: Double, type: FederatedJobSpec.JobType) {
            name = node.name
            self.node = node
            self.score = score
            ask = Eligibility.ask(node, type: type)
            aggregator = node.roles.contains("aggregator")
        }

        /// Rank order within a level: score descending, then name (`CandidateDominance`).
        func ranksBefore(_ other: Entry) -> Bool {
            CandidateDominance.ranksBefore(score, name, other.score, other.name)
        }
    }

    /// Which of a pool's candidates a job takes.
    enum Take {
        /// Every eligible node, in name order.
        case all
        /// Those that fewer than `count` others dominate (a job choosing at most `count`).
        case undominated(count: Int)
    }

    final class Pool {
        /// Where an entry sits: its region and aggregator role (a group), and its ask (a level).
        struct Level: Hashable, Comparable {
            var region: String
            var aggregator: Bool
            var ask: Double

            init(_ e: Entry) { region = e.node.region; aggregator = e.aggregator; ask = e.ask }

            /// Groups in region order, aggregators first; levels by ask within a group.
            static func < (a: Level, b: Level) -> Bool {
                if a.region != b.region { return a.region < b.region }
                if a.aggregator != b.aggregator { return a.aggregator }
                return a.ask < b.ask
            }
            func sameGroup(_ other: Level) -> Bool { region == other.region && aggregator == other.aggregator }
        }

        var version: UInt64 = 0
        var builtAt = -Double.infinity
        var entries: [String: Entry] = [:]
        /// Every entry by level, each level in rank order.
        var levels: [Level: [Entry]] = [:]
        /// `levels`' keys in order, nil after one was added or removed.
        var order: [Level]?

        func insert(_ e: Entry) {
            entries[e.name] = e
            let key = Level(e)
            var level = levels.removeValue(forKey: key) ?? []
            if level.isEmpty { order = nil }
            level.insert(e, at: position(of: e, in: level))
            levels[key] = level
        }

        func remove(_ name: String) {
            guard let e = entries.removeValue(forKey: name) else { return }
            let key = Level(e)
            guard var level = levels.removeValue(forKey: key) else { return }
            let i = position(of: e, in: level)
            if i < level.count, level[i].name == name { level.remove(at: i) }
            if level.isEmpty { order = nil } else { levels[key] = level }
        }

        func rebuild(_ all: [Entry]) {
            entries = Dictionary(all.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
            levels = Dictionary(grouping: all, by: Level.init).mapValues { $0.sorted { $0.ranksBefore($1) } }
            order = nil
        }

        /// Where `e` sits (or would) in `level`, by rank.
        private func position(of e: Entry, in level: [Entry]) -> Int {
            var lo = 0, hi = level.count
            while lo < hi {
                let mid = (lo + hi) / 2
                if level[mid].ranksBefore(e) { lo = mid + 1 } else { hi = mid }
            }
            return lo
        }

        func take(_ take: Take, excluding: Set<String>) -> [Entry] {
            switch take {
            case .all:
                return entries.values.filter { !excluding.contains($0.name) }.sorted { $0.name < $1.name }
            case .undominated(let count):
                if order == nil { order = levels.keys.sorted() }
                let order = order!
                // An ask the selection would reject (negative, not a number): every entry, for it to report.
                if order.contains(where: { !$0.ask.isFinite || $0.ask < 0 }) { return self.take(.all, excluding: excluding) }
                var kept: [Entry] = []
                var g = order.startIndex
                while g < order.endIndex {
                    var end = g + 1
                    while end < order.endIndex, order[end].sameGroup(order[g]) { end += 1 }
                    CandidateDominance.undominated(order[g..<end].lazy.map { self.levels[$0]! }, k: count,
                                                   score: \.score, id: \.name, skip: { excluding.contains($0.name) }, into: &kept)
                    g = end
                }
                return kept
            }
        }
    }

    private let lock = NSLock()
    private var pools: [Shape: Pool] = [:]
    /// Pools kept at most; beyond, the least recently used goes.
    static let limit = 32
    private var lastUse: [Shape: UInt64] = [:]
    private var uses: UInt64 = 0

    /// The eligible nodes for a job of `shape` that `take` asks for, with their selection
    /// scores, leaving out the nodes in `excluding` (a failover's own). `eligible` says whether
    /// a node qualifies, `score` scores one at `now`. `rescored`: the nodes looked at.
    func candidates(_ shape: Shape, index: NodeIndex, cache: InformerSet, now: Double,
                    eligible: (NodeFacts) -> Bool, score: (NodeFacts) -> Double,
                    take: Take = .all, excluding: Set<String> = []) -> (entries: [Entry], rescored: Int) {
        lock.withLock {
            uses += 1
            lastUse[shape] = uses
            let pool: Pool
            if let p = pools[shape] { pool = p } else {
                pool = Pool()
                pools[shape] = pool
                if pools.count > Self.limit, let oldest = lastUse.min(by: { $0.value < $1.value })?.key {
                    pools.removeValue(forKey: oldest)
                    lastUse.removeValue(forKey: oldest)
                }
            }
            let (snapshot, changed) = index.snapshot(cache, changedSince: pool.version)
            var rescored = 0
            if let changed, now - pool.builtAt <= NodeIndex.statsLifetime {
                for name in changed {
                    pool.remove(name)
                    guard let node = snapshot[name], eligible(node) else { continue }
                    pool.insert(Entry(node, score: score(node), type: shape.type))
                    rescored += 1
                }
            } else {
                pool.rebuild(snapshot.nodes.compactMap { node in
                    eligible(node) ? Entry(node, score: score(node), type: shape.type) : nil
                })
                pool.builtAt = now
                rescored = snapshot.nodes.count
            }
            pool.version = snapshot.version
            return (pool.take(take, excluding: excluding), rescored)
        }
    }
}
