import FogFleet
import FogMarket
import FogModel
import FogRuntime
import Foundation

/// What admission and allocation read of a `FogNode`, decoded once per version
/// of the node instead of once per job: with 10,000 nodes and 1,000 jobs,
/// decoding conditions, capacity, reservations and scoring inputs from JSON for
/// every job was most of the time of a cold start.
final class NodeFacts: Sendable {
    /// What a node has reserved for one job (`status.reservations[namespace/name]`).
    struct Reservation: Sendable {
        let cpu: Double
        let memoryGiB: Double
        let gpus: Int
    }

    let key: ObjectKey
    let name: String
    let resourceVersion: Int64
    let deleting: Bool
    let ready: Bool
    let harvestable: Bool
    let unschedulable: Bool
    /// `spec.roles`, `[compute]` when absent.
    let roles: [String]
    let deviceClass: String
    /// `spec.class` as written (null when absent), for participant records.
    let classJSON: JSONValue
    let region: String
    let labels: [String: String]
    let trust: Double
    let capacityCpu: Double
    let capacityMemoryGiB: Double
    let gpus: Int
    let reservations: [String: Reservation]
    /// `status.reservations` as stored: the value a compare-and-swap expects.
    let reservationsJSON: JSONValue?
    /// `status.harvest.allocatableCpu` (what a phone lends).
    let harvestCpu: Double?
    let rttMillis: Double?
    let weightedUptime: Double?
    let askPerHour: Double
    let askPerRequest: Double?
    /// Scoring inputs with the availability history as stored; `stats(now:)` brings it up to date.
    let baseStats: NodeStats
    let availability: Availability?
    let readyStatus: Condition.Status?

    init(_ node: Resource) {
        key = node.key
        name = node.name
        resourceVersion = node.metadata.resourceVersion
        deleting = node.metadata.deletionTimestamp != nil
        readyStatus = node.condition("Ready")?.status
        ready = readyStatus == .true
        harvestable = node.condition("Harvestable")?.status == .true
        let spec = node.spec
        unschedulable = spec?["unschedulable"]?.boolValue == true
        roles = (spec?["roles"]?.arrayValue ?? ["compute"]).compactMap(\.stringValue)
        deviceClass = spec?["class"]?.stringValue ?? ""
        classJSON = spec?["class"] ?? .null
        region = spec?["region"]?.stringValue ?? ""
        labels = node.metadata.labels
        trust = TrustScore(outcomes: node.status?["taskOutcomes"]).value
        let c = spec?["capacity"]
        capacityCpu = c?["cpu"]?.numberValue ?? 0
        capacityMemoryGiB = c?["memoryGiB"]?.numberValue ?? 0
        gpus = c?["gpu"] == nil ? 0 : Int(c?["gpu"]?["count"]?.intValue ?? 1)
        reservationsJSON = node.status?["reservations"]
        var r: [String: Reservation] = [:]
        for (k, v) in reservationsJSON?.objectValue ?? [:] {
            r[k] = Reservation(cpu: v["cpu"]?.numberValue ?? 0, memoryGiB: v["memoryGiB"]?.numberValue ?? 0, gpus: Int(v["gpu"]?.intValue ?? 0))
        }
        reservations = r
        harvestCpu = node.status?["harvest"]?["allocatableCpu"]?.numberValue
        let telemetry = NodeTelemetry(json: node.status?["telemetry"])
        rttMillis = telemetry?.rttAverageMillis ?? telemetry?.rttMillis
        availability = Availability(json: node.status?["availability"])
        weightedUptime = availability?.weightedUptime
        askPerHour = spec?.value(at: "price.askPerHour")?.numberValue ?? 0
        askPerRequest = spec?.value(at: "price.askPerRequest")?.numberValue
        baseStats = NodeStats(node: node, availability: availability, trust: trust)
    }

    /// Scoring inputs with the availability history brought up to `now` (seconds
    /// since the epoch) from the node's `Ready` condition, as ranking wants it.
    func stats(now: Double) -> NodeStats {
        guard let availability else { return baseStats }
        return baseStats.with(availability: availability.observed(now: now, ready: readyStatus))
    }

    var reservedCpu: Double { reservations.values.reduce(0) { $0 + $1.cpu } }
}

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
    private var stats: [String: (version: Int64, at: Double, stats: NodeStats)] = [:]

    init() {}

    /// Every node of one moment, in name order, and where each one is.
    struct Snapshot {
        var nodes: [NodeFacts]
        var position: [String: Int]
        subscript(name: String) -> NodeFacts? { position[name].map { nodes[$0] } }
    }

    /// Every node of `cache`, in name order (a copy-on-write view: no node is copied).
    func snapshot(_ cache: InformerSet) -> Snapshot {
        lock.withLock {
            bind(cache)
            if orderStale {
                ordered = facts.values.sorted { $0.name < $1.name }
                position = Dictionary(uniqueKeysWithValues: ordered.enumerated().map { ($1.name, $0) })
                orderStale = false
            }
            return Snapshot(nodes: ordered, position: position)
        }
    }

    /// `node`'s scoring inputs at `now`, reused for `statsLifetime` while the node is unchanged.
    func stats(_ node: NodeFacts, now: Double) -> NodeStats {
        lock.withLock {
            if let s = stats[node.name], s.version == node.resourceVersion, abs(now - s.at) <= Self.statsLifetime { return s.stats }
            let fresh = node.stats(now: now)
            stats[node.name] = (node.resourceVersion, now, fresh)
            return fresh
        }
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
        stats = [:]
        informer.addHandler { [weak self] change in self?.apply(change, from: id) }
        informer.forEach { node in
            if let old = facts[node.name], old.resourceVersion >= node.metadata.resourceVersion { return }
            facts[node.name] = NodeFacts(node)
        }
    }

    private func apply(_ change: Informer.Change, from id: ObjectIdentifier) {
        switch change {
        case .upsert(_, let node):
            let f = NodeFacts(node)
            lock.withLock {
                guard bound == id else { return }
                if let old = facts[f.name] {
                    guard old.resourceVersion < f.resourceVersion else { return }
                    if !orderStale, let i = position[f.name] { ordered[i] = f }
                } else {
                    orderStale = true
                }
                facts[f.name] = f
            }
        case .delete(let node):
            lock.withLock {
                guard bound == id, facts.removeValue(forKey: node.name) != nil else { return }
                orderStale = true
                stats[node.name] = nil
            }
        }
    }
}

extension MarketState {
    /// Demand and supply among the nodes a tier may use: CPU reserved
    /// (`status.reservations`) versus CPU offered by the Ready ones (for phones,
    /// only their harvestable share, `status.harvest.allocatableCpu`).
    init(facts: [NodeFacts], tier: TierTerms) {
        var allocated = 0.0, allocatable = 0.0
        for n in facts where n.ready && (tier.deviceClasses.isEmpty || tier.deviceClasses.contains(n.deviceClass)) {
            allocatable += n.deviceClass == "mobile" ? (n.harvestCpu ?? 0) : n.capacityCpu
            allocated += n.reservedCpu
        }
        self.init(allocatedCpu: allocated, allocatableCpu: allocatable)
    }

    /// The same, from `FogNode` objects.
    public init(fogNodes: [Resource], tier: TierTerms) {
        self.init(facts: fogNodes.map { NodeFacts($0) }, tier: tier)
    }
}
