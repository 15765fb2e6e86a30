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
/// The same candidates, in the same order, as a pass over every node. Eligibility is judged
/// counting every reservation a node holds, which is the job's own judgement of every node it
/// holds none on: a first allocation's whole fleet, a failover's nodes outside the job. Scores
/// come from `NodeIndex.stats`, which reuses a node's scoring inputs for
/// `NodeIndex.statsLifetime`; a pool older than that is rebuilt from every node, so a score is
/// at most twice that lifetime old (a pass over every node: at most once).
final class CandidatePools: @unchecked Sendable {
    /// Everything `Eligibility.exclusion` (with `keeping: false`, no capacity of the job's own)
    /// and the job's scoring algorithm read from a job and its tier.
    struct Shape: Hashable {
        var tier: String
        var tierGeneration: Int64
        var type: String
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
            type = job.type.rawValue
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
        var aggregator: Bool

        init(_ node: NodeFacts, score: Double) {
            name = node.name
            self.node = node
            self.score = score
            aggregator = node.roles.contains("aggregator")
        }
    }

    final class Pool {
        var version: UInt64 = 0
        var builtAt = -Double.infinity
        /// Eligible nodes in name order.
        var entries: [Entry] = []

        func index(of name: String) -> (Int, found: Bool) {
            var lo = 0, hi = entries.count
            while lo < hi {
                let mid = (lo + hi) / 2
                if entries[mid].name < name { lo = mid + 1 } else { hi = mid }
            }
            return (lo, lo < entries.count && entries[lo].name == name)
        }
    }

    private let lock = NSLock()
    private var pools: [Shape: Pool] = [:]
    /// Pools kept at most; beyond, the least recently used goes.
    static let limit = 32
    private var lastUse: [Shape: UInt64] = [:]
    private var uses: UInt64 = 0

    /// The eligible nodes for a job of `shape`, in name order, with their selection scores.
    /// `eligible` says whether a node qualifies, `score` scores one at `now`.
    func candidates(_ shape: Shape, index: NodeIndex, cache: InformerSet, now: Double,
                    eligible: (NodeFacts) -> Bool, score: (NodeFacts) -> Double) -> (entries: [Entry], rescored: Int) {
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
                    let (i, found) = pool.index(of: name)
                    if found { pool.entries.remove(at: i) }
                    guard let node = snapshot[name], eligible(node) else { continue }
                    pool.entries.insert(Entry(node, score: score(node)), at: i)
                    rescored += 1
                }
            } else {
                pool.entries = snapshot.nodes.compactMap { node in
                    eligible(node) ? Entry(node, score: score(node)) : nil
                }
                pool.builtAt = now
                rescored = snapshot.nodes.count
            }
            pool.version = snapshot.version
            return (pool.entries, rescored)
        }
    }
}
