import FogFleet
import FogManifest
import FogMarket
import FogModel
import FogRuntime
import Foundation

/// `NodeFacts` for every node of one informer cache, kept current by the
/// cache's change handler (each change decodes one node once), so that a
/// reconcile reads 10,000 nodes without decoding any. Shared by the
/// controllers of one registry; safe from any worker.
final class NodeIndex: @unchecked Sendable {
    /// Scoring inputs older than this (seconds of the controllers' clock) are
    /// brought up to date again: a node's uptime record moves with time even
    /// when the node does not change.
    static let statsLifetime = 1.0

    private let lock = NSLock()
    private var bound: ObjectIdentifier?
    private var facts: [String: NodeFacts] = [:]
    /// Every node in name order, and where each sits; an update replaces its entry in
    /// place, and only an added or removed node sends the order to be rebuilt.
    private var ordered: [NodeFacts] = []
    private var position: [String: Int] = [:]
    private var orderStale = false
    /// Supply and demand by device class over `facts`, kept with it (admission's market).
    private var tally = MarketTally()
    /// Counts the changes taken; `changeLog` names the nodes of the latest ones, so that a
    /// `CandidatePool` brings itself up to date by looking at those nodes only.
    private var version: UInt64 = 0
    private var changeLog: [(version: UInt64, name: String)] = []
    /// The oldest version `changeLog` still answers for.
    private var logStart: UInt64 = 0
    static let changeLogLimit = 1 << 16

    init() {}

    /// `node`'s facts, nil when its spec does not decode: such a node is left out of the
    /// index (nothing can be placed on it), and its own reconciles report why.
    static func facts(_ node: Resource) -> NodeFacts? {
        guard let spec = try? node.decodeSpec(FogNodeSpec.self) else { return nil }
        return NodeFacts(node, spec: spec)
    }

    /// Every node of one moment, in name order, and where each one is.
    struct Snapshot {
        var nodes: [NodeFacts]
        var position: [String: Int]
        /// The index's version when the snapshot was taken.
        var version: UInt64
        subscript(name: String) -> NodeFacts? { position[name].map { nodes[$0] } }
    }

    /// Demand and supply among `cache`'s nodes that a tier accepting `deviceClasses` may use,
    /// from the tally kept with every change (no pass over the nodes).
    func market(_ cache: InformerSet, deviceClasses: [String]) -> MarketState {
        lock.withLock {
            bind(cache)
            return tally.market(deviceClasses: deviceClasses)
        }
    }

    /// Every node of `cache`, in name order (a copy-on-write view: no node is copied).
    func snapshot(_ cache: InformerSet) -> Snapshot {
        lock.withLock { current(cache) }
    }

    /// A snapshot, and the names of the nodes changed after version `since` up to it (nil when
    /// the log no longer reaches back that far: look at every node).
    func snapshot(_ cache: InformerSet, changedSince since: UInt64) -> (Snapshot, changed: Set<String>?) {
        lock.withLock {
            let snap = current(cache)
            guard since >= logStart else { return (snap, nil) }
            var names = Set<String>()
            var i = changeLog.endIndex
            while i > changeLog.startIndex, changeLog[i - 1].version > since {
                i -= 1
                names.insert(changeLog[i].name)
            }
            return (snap, names)
        }
    }

    /// Called with the lock held.
    private func current(_ cache: InformerSet) -> Snapshot {
        bind(cache)
        if orderStale {
            ordered = facts.values.sorted { $0.name < $1.name }
            position = Dictionary(uniqueKeysWithValues: ordered.enumerated().map { ($1.name, $0) })
            orderStale = false
        }
        return Snapshot(nodes: ordered, position: position, version: version)
    }

    /// Records that `name` changed (lock held).
    private func changed(_ name: String) {
        version += 1
        changeLog.append((version, name))
        if changeLog.count > Self.changeLogLimit {
            let drop = changeLog.count / 2
            logStart = changeLog[drop - 1].version
            changeLog.removeFirst(drop)
        }
    }

    /// `node`'s scoring inputs at `now`, reused for `statsLifetime` while the node is unchanged.
    func stats(_ node: NodeFacts, now: Double) -> NodeStats {
        node.stats(now: now, reusingWithin: Self.statsLifetime)
    }

    /// Follows `cache`'s nodes (called with the lock held). The handler is added
    /// before the cache is read, so no change falls between the two; a change
    /// seen twice is ignored by its resource version.
    private func bind(_ cache: InformerSet) {
        let id = ObjectIdentifier(cache)
        guard bound != id, let informer = cache["FogNode"] else { return }
        bound = id
        facts = [:]
        orderStale = true
        version += 1
        logStart = version
        changeLog.removeAll()
        informer.addHandler { [weak self] change in self?.apply(change, from: id) }
        informer.forEach { node in
            if let old = facts[node.name], old.resourceVersion >= node.metadata.resourceVersion { return }
            facts[node.name] = Self.facts(node)
        }
        tally = MarketTally(facts.values)
    }

    private func apply(_ change: Informer.Change, from id: ObjectIdentifier) {
        switch change {
        case .upsert(_, let node):
            guard let f = Self.facts(node) else {
                lock.withLock {
                    guard bound == id, let old = facts.removeValue(forKey: node.name) else { return }
                    tally.remove(old)
                    orderStale = true
                    changed(node.name)
                }
                return
            }
            lock.withLock {
                guard bound == id else { return }
                if let old = facts[f.name] {
                    guard old.resourceVersion < f.resourceVersion else { return }
                    tally.remove(old)
                    if !orderStale, let i = position[f.name] { ordered[i] = f }
                } else {
                    orderStale = true
                }
                tally.add(f)
                facts[f.name] = f
                changed(f.name)
            }
        case .delete(let node):
            lock.withLock {
                guard bound == id, let old = facts.removeValue(forKey: node.name) else { return }
                tally.remove(old)
                orderStale = true
                changed(node.name)
            }
        }
    }
}

extension MarketState {
    /// The same, from `FogNode` objects (those whose spec does not decode offer nothing).
    public init(fogNodes: [Resource], tier: TierTerms) {
        self.init(facts: fogNodes.compactMap(NodeIndex.facts), tier: tier)
    }
}
