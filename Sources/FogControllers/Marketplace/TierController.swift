import FogMarket
import FogModel
import FogRuntime
import Foundation

/// Checks a tier's price ranges and counts the jobs under it.
///
/// The counts come from a tally the job cache keeps current (each job change moves it in
/// O(1)), not from a pass over every job on each reconcile: a thousand jobs changing phase
/// made that a million job visits.
public struct TierController: Controller {
    public let name = "tier"
    public let kind = "Tier"
    private let tally = TierJobTally()

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

    public func prepare(_ cache: InformerSet) { tally.follow(cache) }

    public func reconcile(_ key: ObjectKey, _ ctx: ReconcileContext) async throws -> ReconcileResult {
        guard let tier = ctx.cache.get(key), tier.metadata.deletionTimestamp == nil else { return .done }
        let spec = try tier.reconciledSpec(TierSpec.self)
        var problems: [String] = []
        for (path, range) in [("inference.pricePerRequest", spec.inference.pricePerRequest), ("training.pricePerHour", spec.training.pricePerHour)] {
            if let max = range.max, range.min > max {
                problems.append("\(path): min \(range.min) is above max \(max)")
            }
        }
        let (jobs, running) = tally.counts(key.name, in: ctx.cache)
        let ready = problems.isEmpty
            ? Condition(type: "Ready", status: .true, reason: "Valid", message: "")
            : Condition(type: "Ready", status: .false, reason: "InvalidPriceRange", message: problems.joined(separator: "; "))
        try await ctx.updateStatus(tier, as: TierStatus.self, { s in
            s.jobs = jobs
            s.runningJobs = running
        }, conditions: [ready])
        return .done
    }
}

/// Jobs per tier, and of those the ones holding a slot, kept by the job cache's change handler.
final class TierJobTally: @unchecked Sendable {
    private let lock = NSLock()
    private var cache: ObjectIdentifier?
    /// What each job counts for: its tier and whether it holds a slot.
    private var jobs: [ObjectKey: (tier: String, holdsSlot: Bool)] = [:]
    private var totals: [String: (jobs: Int, running: Int)] = [:]

    func follow(_ cache: InformerSet) {
        guard let informer = cache["FederatedJob"] else { return }
        let id = ObjectIdentifier(cache)
        lock.withLock { self.cache = id; jobs = [:]; totals = [:] }
        informer.addHandler { [weak self] change in
            switch change {
            case .upsert(_, let job):
                self?.set(job.key, job.spec?["tier"]?.stringValue.map { ($0, JobPhase(status: job.status).holdsSlot) }, from: id)
            case .delete(let job):
                self?.set(job.key, nil, from: id)
            }
        }
    }

    private func set(_ key: ObjectKey, _ counts: (tier: String, holdsSlot: Bool)?, from id: ObjectIdentifier) {
        lock.withLock {
            guard cache == id else { return }
            if let old = jobs[key] {
                totals[old.tier, default: (0, 0)].jobs -= 1
                if old.holdsSlot { totals[old.tier, default: (0, 0)].running -= 1 }
            }
            jobs[key] = counts
            if let new = counts {
                totals[new.tier, default: (0, 0)].jobs += 1
                if new.holdsSlot { totals[new.tier, default: (0, 0)].running += 1 }
            }
        }
    }

    /// The tier's counts: from the tally when it follows `cache`, else one pass over the cached jobs.
    func counts(_ tier: String, in cache: InformerSet) -> (jobs: Int, running: Int) {
        if let t = lock.withLock({ self.cache == ObjectIdentifier(cache) ? totals[tier] ?? (0, 0) : nil }) { return t }
        var jobs = 0, running = 0
        cache.forEach("FederatedJob") { job in
            guard job.spec?["tier"]?.stringValue == tier else { return }
            jobs += 1
            if JobPhase(status: job.status).holdsSlot { running += 1 }
        }
        return (jobs, running)
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
        try await ctx.updateStatus(policy, as: PrivacyPolicyStatus.self, { s in
            s.mechanisms = try mechanisms.map { m in
                guard let mechanism = PrivacyMechanism(rawValue: m) else { throw TerminalError("privacy mechanism \(m) is not one its status describes") }
                return mechanism
            }
        }, conditions: [ready])
        return .done
    }
}
