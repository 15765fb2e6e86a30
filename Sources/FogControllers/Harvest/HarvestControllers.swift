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

    public init(recountInterval: Double = 5) { self.recountInterval = recountInterval }

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
        // One pass over the cached nodes, none copied: at most once per recount interval.
        var matched = 0
        var eligible = 0
        var offered = 0.0
        ctx.cache.forEach("FogNode") { n in
            if view.selector.matches(n.metadata.labels) { matched += 1 }
            let h = n.status?["harvest"]
            offered += h?["coreSeconds"]?[key.name]?.numberValue ?? 0
            if h?["policy"]?.stringValue == key.name && h?["reason"]?.stringValue == HarvestReason.eligible.rawValue { eligible += 1 }
        }
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
