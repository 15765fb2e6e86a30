import FogFleet
import FogManifest
import FogModel
import FogRuntime
import Foundation

/// A harvest policy's selector and checked rules; failed rules when the spec is
/// invalid in a way its schema cannot catch.
struct HarvestPolicyView {
    var name: String
    var selector: LabelSelector
    var rules: Result<HarvestRules, HarvestRules.Invalid>

    init(name: String, spec: HarvestPolicySpec) {
        self.name = name
        selector = spec.nodeSelector ?? LabelSelector()
        do { rules = .success(try HarvestRules(spec: spec)) } catch let e as HarvestRules.Invalid { rules = .failure(e) } catch {
            rules = .failure(.init(description: "\(error)"))
        }
    }

    /// The policies in name order. One whose spec does not decode is left out (its own
    /// controller reports it): it cannot fail every node's reconcile.
    static func all(_ cache: InformerSet) -> [HarvestPolicyView] {
        cache.list("HarvestPolicy").filter { $0.metadata.deletionTimestamp == nil }.sorted { $0.name < $1.name }.compactMap { p in
            (try? p.decodeSpec(HarvestPolicySpec.self)).map { HarvestPolicyView(name: p.name, spec: $0) }
        }
    }
}

/// Sets each node's `Harvestable` condition from the harvest policies that match
/// it (eligible under any of them, else the first one's reason, by name), its
/// allocatable CPU share (`status.harvest`), and accumulates the core-seconds it
/// has offered per policy. A node no policy matches carries neither.
/// When a node stops being harvestable, a `HarvestRevoked` warning is recorded:
/// the allocation controller moves work off nodes whose condition turns False.
public struct HarvestController: Controller {
    public let name = "harvest"
    public let kind = "FogNode"
    /// Longest time between two accountings of a harvestable node's core-seconds.
    public let accountingInterval: Double

    public init(accountingInterval: Double = 60) { self.accountingInterval = accountingInterval }

    public var sources: [WatchSource] {
        Watches.for("FogNode")
            // A policy's rules or selector changing concerns every node; its status (the totals
            // the policy controller writes on node changes) concerns none: mapping those to
            // every node made each node change cost a pass over the fleet.
            .watches("HarvestPolicy", when: [.generationChanged, .lifecycleChanged]) { _, cache in cache.keys("FogNode") { _ in true } }
            .sources
    }

    public var conditionTypes: Set<String> { ["Harvestable"] }

    public func reconcile(_ key: ObjectKey, _ ctx: ReconcileContext) async throws -> ReconcileResult {
        guard let node = ctx.cache.get(key), node.metadata.deletionTimestamp == nil else { return .done }
        let cores = try node.reconciledSpec(FogNodeSpec.self).capacity.cpu
        let labels = node.metadata.labels
        let policies = HarvestPolicyView.all(ctx.cache).filter { $0.selector.matches(labels) }
        let previous = node.status?["harvest"]
        let previousCondition = node.condition("Harvestable")
        let now = ctx.now
        let t = now.timeIntervalSince1970

        var coreSeconds = (previous?["coreSeconds"]?.objectValue ?? [:]).compactMapValues(\.numberValue)
        // Time since the last accounting is credited to the policy that was lending.
        if let lastPolicy = previous?["policy"]?.stringValue, let share = previous?["cpuShare"]?.numberValue, share > 0,
           let since = Timestamp.seconds(previous?["accountedUntil"]), t > since {
            coreSeconds[lastPolicy, default: 0] += (t - since) * share * cores
        }

        guard !policies.isEmpty else {
            if previous == nil && previousCondition == nil { return .done }
            try await ctx.updateStatus(node, as: FogNodeStatus.self, fields: [\.harvest, \.conditions], { s in
                s.harvest = nil
                s.conditions?.removeAll { $0.type == "Harvestable" }
            })
            return .done
        }

        let telemetry = NodeTelemetry(json: node.status?["telemetry"])
        let ready = node.condition("Ready")?.status == .true
        var decisions: [(String, HarvestDecision)] = []
        for p in policies {
            switch p.rules {
            case .success(let rules):
                let d = ready ? rules.evaluate(telemetry, at: now)
                    : HarvestDecision(reason: .noTelemetry, message: "the node is not Ready, so its telemetry is stale", cpuShare: 0)
                decisions.append((p.name, d))
            case .failure:
                continue
            }
        }
        guard let (policy, decision) = decisions.first(where: { $0.1.eligible }) ?? decisions.first else { return .done }

        let share = (decision.cpuShare * 1000).rounded() / 1000
        let changed = previous?["policy"]?.stringValue != policy || previous?["reason"]?.stringValue != decision.reason.rawValue
            || abs((previous?["cpuShare"]?.numberValue ?? -1) - share) >= 0.05
        let due = t - (Timestamp.seconds(previous?["accountedUntil"]) ?? 0) >= accountingInterval
        guard changed || due || previousCondition?.reason != decision.reason.rawValue else {
            return decision.eligible ? .requeue(after: accountingInterval) : .done
        }
        let condition = Condition(type: "Harvestable", status: decision.eligible ? .true : .false,
                                  reason: decision.reason.rawValue, message: "\(policy): \(decision.message)")
        let reason = decision.reason
        try await ctx.updateStatus(node, as: FogNodeStatus.self, fields: [\.harvest], { s in
            s.harvest = FogNodeStatus.Harvest(accountedUntil: Timestamp.formatMicro(seconds: t), allocatableCpu: (share * cores * 1000).rounded() / 1000,
                                              coreSeconds: coreSeconds, cpuShare: share, policy: policy, reason: reason)
        }, conditions: [condition])
        if previousCondition?.status == .true && !decision.eligible {
            await ctx.events.record(node, .warning, reason: "HarvestRevoked", message: "\(decision.reason.rawValue): \(decision.message)")
        }
        return decision.eligible ? .requeue(after: accountingInterval) : .done
    }
}

/// A harvest policy's status: nodes matched and eligible, core-seconds offered
/// under it, and `Ready=False` when its time zone or windows cannot be read.
///
/// The totals are a count over the fleet, so they are recounted at most once per
/// `recountInterval` (and at once when the policy itself changes): node changes only mark
/// the totals stale. Each node change then costs O(1), not a pass over the fleet.
public struct HarvestPolicyController: Controller {
    public let name = "harvest-policy"
    public let kind = "HarvestPolicy"
    /// Shortest time between two counts of one policy's totals (controller clock, seconds).
    public let recountInterval: Double
    private let counted = CountTimes()

    /// The totals, kept by the node cache's change handler (no pass over the fleet per count).
    private let tally = HarvestTally()

    public init(recountInterval: Double = 5) { self.recountInterval = recountInterval }

    public func prepare(_ cache: InformerSet) { tally.follow(cache) }

    public var sources: [WatchSource] {
        Watches.for("HarvestPolicy")
            // What moves the totals: a node's labels (matching) and its harvest status.
            .watches("FogNode", when: [.metadataChanged, .changed("status.harvest")]) { _, cache in cache.keys("HarvestPolicy") { _ in true } }
            .sources
    }

    /// When each policy (at which generation) was last counted.
    final class CountTimes: @unchecked Sendable {
        private let lock = NSLock()
        private var last: [String: (at: Date, generation: Int64)] = [:]
        func get(_ name: String) -> (at: Date, generation: Int64)? { lock.withLock { last[name] } }
        func set(_ name: String, _ at: Date, _ generation: Int64) { lock.withLock { last[name] = (at, generation) } }
    }

    public var conditionTypes: Set<String> { ["Ready"] }

    public func reconcile(_ key: ObjectKey, _ ctx: ReconcileContext) async throws -> ReconcileResult {
        guard let policy = ctx.cache.get(key), policy.metadata.deletionTimestamp == nil else { return .done }
        let now = ctx.now
        if let last = counted.get(key.name), last.generation == policy.metadata.generation,
           now.timeIntervalSince(last.at) < recountInterval {
            return .requeue(after: recountInterval - now.timeIntervalSince(last.at))
        }
        counted.set(key.name, now, policy.metadata.generation)
        let view = HarvestPolicyView(name: policy.name, spec: try policy.reconciledSpec(HarvestPolicySpec.self))
        let (matched, eligible, offered) = tally.totals(view, in: ctx.cache)
        let ready: Condition
        switch view.rules {
        case .success: ready = Condition(type: "Ready", status: .true, reason: "Valid", message: "")
        case .failure(let e): ready = Condition(type: "Ready", status: .false, reason: "InvalidSpec", message: e.description)
        }
        try await ctx.updateStatus(policy, as: HarvestPolicyStatus.self, { s in
            s.matchedNodes = matched
            s.eligibleNodes = eligible
            s.harvestedCoreSeconds = offered.rounded()
        }, conditions: [ready])
        return .done
    }
}

/// Each harvest policy's totals over the node cache (nodes its selector matches, nodes
/// eligible under it, core-seconds offered under it), kept by the cache's change handler:
/// each node change moves them by that node's share. Core-seconds are summed in fixed point
/// (2⁻¹⁰ s) so that taking a node's share away again is exact. A policy's matched count is
/// made by one pass over the nodes the first time it is asked for with a selector, then kept.
final class HarvestTally: @unchecked Sendable {
    struct Share {
        var labels: [String: String]
        var offered: [String: Int64]
        var eligibleUnder: String?
    }
    private let lock = NSLock()
    private var cache: ObjectIdentifier?
    private var nodes: [String: Share] = [:]
    private var offered: [String: Int64] = [:]
    private var eligible: [String: Int] = [:]
    private var matched: [String: (selector: LabelSelector, count: Int)] = [:]

    static let coreSeconds = FixedPoint(scale: 1024, limit: 1e12)

    static func share(_ node: Resource) -> Share {
        let h = node.status?["harvest"]
        var offered: [String: Int64] = [:]
        for (policy, v) in h?["coreSeconds"]?.objectValue ?? [:] {
            if let x = v.numberValue { offered[policy] = coreSeconds.units(x) }
        }
        let eligible = h?["reason"]?.stringValue == HarvestReason.eligible.rawValue ? h?["policy"]?.stringValue : nil
        return Share(labels: node.metadata.labels, offered: offered, eligibleUnder: eligible)
    }

    func follow(_ cache: InformerSet) {
        guard let informer = cache["FogNode"] else { return }
        let id = ObjectIdentifier(cache)
        lock.withLock { self.cache = id; nodes = [:]; offered = [:]; eligible = [:]; matched = [:] }
        informer.addHandler { [weak self] change in
            switch change {
            case .upsert(_, let node): self?.set(node.name, Self.share(node), from: id)
            case .delete(let node): self?.set(node.name, nil, from: id)
            }
        }
    }

    private func set(_ name: String, _ new: Share?, from id: ObjectIdentifier) {
        lock.withLock {
            guard cache == id else { return }
            let old = nodes[name]
            for (p, u) in old?.offered ?? [:] { offered[p, default: 0] -= u }
            for (p, u) in new?.offered ?? [:] { offered[p, default: 0] += u }
            if let p = old?.eligibleUnder { eligible[p, default: 0] -= 1 }
            if let p = new?.eligibleUnder { eligible[p, default: 0] += 1 }
            for (p, m) in matched {
                let delta = (new.map { m.selector.matches($0.labels) } == true ? 1 : 0) - (old.map { m.selector.matches($0.labels) } == true ? 1 : 0)
                if delta != 0 { matched[p] = (m.selector, m.count + delta) }
            }
            nodes[name] = new
        }
    }

    /// `view`'s totals: from the tally when it follows `cache`, else one pass over the cached nodes.
    func totals(_ view: HarvestPolicyView, in cache: InformerSet) -> (matched: Int, eligible: Int, offered: Double) {
        let name = view.name
        let kept = lock.withLock { () -> (matched: Int, eligible: Int, offered: Double)? in
            guard self.cache == ObjectIdentifier(cache) else { return nil }
            if self.matched[name]?.selector != view.selector {
                self.matched[name] = (view.selector, nodes.values.reduce(0) { $0 + (view.selector.matches($1.labels) ? 1 : 0) })
            }
            return (self.matched[name]!.count, self.eligible[name] ?? 0, Self.coreSeconds.value(self.offered[name] ?? 0))
        }
        if let kept { return kept }
        var matched = 0, eligible = 0
        var offered: Int64 = 0
        cache.forEach("FogNode") { n in
            let s = Self.share(n)
            if view.selector.matches(s.labels) { matched += 1 }
            offered += s.offered[name] ?? 0
            if s.eligibleUnder == name { eligible += 1 }
        }
        return (matched, eligible, Self.coreSeconds.value(offered))
    }
}
