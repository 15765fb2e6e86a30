import FogMarket
import FogModel
import FogRuntime

/// Checks a tier's price ranges and counts the jobs under it.
public struct TierController: Controller {
    public let name = "tier"
    public let kind = "Tier"

    public init() {}

    public var sources: [WatchSource] {
        Watches.for("Tier")
            // Only what moves the counts: a job appearing or going, its tier, its phase.
            .watches("FederatedJob", when: [.changed("spec.tier"), .changed("status.phase")]) { job, _ in
                job.spec?["tier"]?.stringValue.map { [ObjectKey(kind: "Tier", namespace: "", name: $0)] } ?? []
            }
            .sources
    }

    public var conditionTypes: Set<String> { ["Ready"] }

    public func reconcile(_ key: ObjectKey, _ ctx: ReconcileContext) async throws -> ReconcileResult {
        guard let tier = ctx.cache.get(key), tier.metadata.deletionTimestamp == nil else { return .done }
        let spec = try tier.reconciledSpec(TierSpec.self)
        var problems: [String] = []
        for (path, range) in [("inference.pricePerRequest", spec.inference.pricePerRequest), ("training.pricePerHour", spec.training.pricePerHour)] {
            if let max = range.max, range.min > max {
                problems.append("\(path): min \(range.min) is above max \(max)")
            }
        }
        // One pass over the cached jobs, none copied.
        var running = 0
        var jobs = 0
        ctx.cache.forEach("FederatedJob") { job in
            guard job.spec?["tier"]?.stringValue == key.name else { return }
            jobs += 1
            if JobPhase(status: job.status).holdsSlot { running += 1 }
        }
        let ready = problems.isEmpty
            ? Condition(type: "Ready", status: .true, reason: "Valid", message: "")
            : Condition(type: "Ready", status: .false, reason: "InvalidPriceRange", message: problems.joined(separator: "; "))
        try await ctx.updateStatus(tier, { s in
            s["jobs"] = .int(Int64(jobs))
            s["runningJobs"] = .int(Int64(running))
        }, conditions: [ready])
        return .done
    }
}

/// Checks that a privacy policy's mechanisms meet its level.
public struct PrivacyPolicyController: Controller {
    public let name = "privacy-policy"
    public let kind = "PrivacyPolicy"

    public init() {}

    public var conditionTypes: Set<String> { ["Ready"] }

    public func reconcile(_ key: ObjectKey, _ ctx: ReconcileContext) async throws -> ReconcileResult {
        guard let policy = ctx.cache.get(key), policy.metadata.deletionTimestamp == nil else { return .done }
        let (level, mechanisms, missing) = PrivacyLevel.missing(try policy.reconciledSpec(PrivacyPolicySpec.self))
        let ready = missing.isEmpty
            ? Condition(type: "Ready", status: .true, reason: "Valid", message: "")
            : Condition(type: "Ready", status: .false, reason: "WeakerThanLevel",
                        message: "level \(level.rawValue) needs \(missing.joined(separator: ", "))")
        try await ctx.updateStatus(policy, { s in
            s["mechanisms"] = .array(mechanisms.map { .string($0) })
        }, conditions: [ready])
        return .done
    }
}
