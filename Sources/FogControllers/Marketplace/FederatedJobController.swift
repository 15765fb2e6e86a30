import FogFleet
import FogLearning
import FogManifest
import FogMarket
import FogModel
import FogRuntime
import Foundation

/// A job's way in: resolve its tier and privacy policy, quote it, and admit it.
/// `Pending` → `Admitted` when the tier allows its device classes and privacy
/// level, the quote is within `spec.budget.max`, and the tier has a free slot in
/// the job's namespace (queued jobs are admitted oldest first). The quote is
/// locked at admission; allocation (`AllocationController`) takes over from there.
public struct FederatedJobController: Controller {
    public let name = "federated-job"
    public let kind = "FederatedJob"

    let nodes: NodeIndex

    /// Where data sets live: a job naming one that is not there is refused at admission.
    let data: DataCatalog?

    public init(dataDirectory: String? = nil) { nodes = NodeIndex(); data = dataDirectory.map { DataCatalog(directory: $0) } }
    init(nodes: NodeIndex, dataDirectory: String?) { self.nodes = nodes; data = dataDirectory.map { DataCatalog(directory: $0) } }

    public var sources: [WatchSource] {
        Watches.for("FederatedJob")
         // A job leaving a slot (or changing) lets the jobs queued behind it in.
         .watches("FederatedJob") { job, cache in
             let tier = job.spec?["tier"]?.stringValue
             return cache.keys("FederatedJob", namespace: job.namespace) {
                 $0.key != job.key && $0.spec?["tier"]?.stringValue == tier
                     && JobPhase(status: $0.status) == .pending
             }
         }
         // A tier or policy that appears or changes decides the jobs still waiting on it (an
         // admitted job's quote is locked; its tier's status counts change with every job).
         // Only a new or changed spec counts: its own controller's status writes (job counts) do not.
         .watches("Tier") { tier, cache in
             guard Self.specChanged(tier) || cache.get(tier.key) == nil else { return [] }
             return cache.keys("FederatedJob") { $0.spec?["tier"]?.stringValue == tier.name && JobPhase(status: $0.status) == .pending }
         }
         .watches("PrivacyPolicy") { policy, cache in
             guard Self.specChanged(policy) || cache.get(policy.key) == nil else { return [] }
             // The phase first: only the pending jobs' specs are decoded.
             return cache.keys("FederatedJob") {
                 JobPhase(status: $0.status) == .pending && (try? $0.decodeSpec(FederatedJobSpec.self))?.privacy == policy.name
             }
         }
         .sources
    }

    public var conditionTypes: Set<String> { ["Admitted", "TierResolved", "PrivacyResolved", "Stopped"] }

    /// Whether `object`'s spec is newer than what its controller has observed (or it is being
    /// deleted, or not observed yet).
    /// A new run of a Failed job: the old run's tasks go, its run state is cleared, and it is
    /// admitted again from Pending (quoted anew: prices and the fleet may have moved).
    func retry(_ job: Resource, requested: String, _ ctx: ReconcileContext) async throws -> ReconcileResult {
        let tasks = try await ctx.client.list(kind: "TrainingTask", namespace: job.namespace,
                                              selector: LabelSelector([.equals("fog/job", job.name)])).items
        for t in tasks { _ = try? await ctx.client.delete(t.key) }
        let runs = (job.status?["retry"]?["runs"]?.intValue ?? 1) + 1
        // A stopped run is over once the next one is asked for.
        let stopped = job.condition("Stopped")?.status == .true
            ? [Condition(type: "Stopped", status: .false, reason: "Retried", message: "a new run was asked for at \(requested)")] : []
        try await ctx.updateStatus(job, as: FederatedJobStatus.self, fields: [\.phase, \.training, \.inference, \.allocation, \.quote, \.cost, \.retry], { s in
            JobPhase.move(&s, to: .pending)
            (s.training, s.inference, s.allocation, s.quote, s.cost) = (nil, nil, nil, nil, nil)
            s.retry = .init(requested: requested, runs: Int(runs))
        }, conditions: stopped)
        await ctx.events.record(job, .normal, reason: "Retried", message: "run \(runs), as asked at \(requested)")
        return .requeue(after: 0)
    }

    /// `fogctl stop`: the run ends as Failed (reason Stopped); its unfinished tasks go, and the
    /// allocation controller releases its participants as for any finished job.
    func stop(_ job: Resource, requested: String, _ ctx: ReconcileContext) async throws -> ReconcileResult {
        let tasks = try await ctx.client.list(kind: "TrainingTask", namespace: job.namespace,
                                              selector: LabelSelector([.equals("fog/job", job.name)])).items
        for t in tasks where !["Succeeded", "Failed"].contains(t.status?["phase"]?.stringValue ?? "") { _ = try? await ctx.client.delete(t.key) }
        let from = JobPhase(status: job.status)
        try await ctx.updateStatus(job, as: FederatedJobStatus.self, fields: [\.phase, \.stop], { s in
            JobPhase.move(&s, to: .failed)
            s.stop = .init(from: from, requested: requested)
        }, conditions: [Condition(type: "Stopped", status: .true, reason: "Stopped", message: "stopped while \(from.rawValue), as asked at \(requested)")])
        await ctx.events.record(job, .normal, reason: "Stopped", message: "stopped while \(from.rawValue), as asked at \(requested); `fogctl retry` runs it again")
        return .done
    }

    static func specChanged(_ object: Resource) -> Bool {
        guard object.metadata.deletionTimestamp == nil, let observed = object.status?["observedGeneration"]?.intValue else { return true }
        return observed < object.metadata.generation
    }

    public func reconcile(_ key: ObjectKey, _ ctx: ReconcileContext) async throws -> ReconcileResult {
        guard let job = ctx.cache.get(key), job.metadata.deletionTimestamp == nil else { return .done }
        let view = JobView(key: job.key, spec: try job.reconciledSpec(FederatedJobSpec.self))
        let tier = ctx.cache.get(ObjectKey(kind: "Tier", namespace: "", name: view.tier))
        let privacy = ctx.cache.get(ObjectKey(kind: "PrivacyPolicy", namespace: "", name: view.privacy))
        var conditions = [
            tier == nil
                ? Condition(type: "TierResolved", status: .false, reason: "TierNotFound", message: "tier \"\(view.tier)\" does not exist")
                : Condition(type: "TierResolved", status: .true, reason: "Found", message: ""),
            privacy == nil
                ? Condition(type: "PrivacyResolved", status: .false, reason: "PrivacyPolicyNotFound", message: "privacy policy \"\(view.privacy)\" does not exist")
                : Condition(type: "PrivacyResolved", status: .true, reason: "Found", message: ""),
        ]
        let phase = JobPhase(status: job.status)
        if phase == .failed, let requested = job.metadata.annotations[JobPhase.retryAnnotation],
           requested != job.status?["retry"]?["requested"]?.stringValue {
            return try await retry(job, requested: requested, ctx)
        }
        if !phase.isFinal, let asked = job.metadata.annotations[JobPhase.stopAnnotation],
           asked != job.status?["stop"]?["requested"]?.stringValue {
            return try await stop(job, requested: asked, ctx)
        }
        guard phase == .pending, let tier, let privacy else {
            let written = try await ctx.updateStatus(job, as: FederatedJobStatus.self, fields: [\.phase], { s in if s.phase == nil { JobPhase.move(&s, to: .pending) } }, conditions: conditions)
            if phase == .pending, let refusal = AdmissionReason.refusal(of: written) {
                await ctx.events.record(job, .warning, reason: refusal.reason, message: refusal.message)
            }
            return .done
        }

        let terms = TierTerms(name: tier.name, spec: try tier.reconciledSpec(TierSpec.self))
        let decision: Admission
        if let data, let problem = data.problem(with: view.spec.data.dataset) {
            decision = .refused(reason: "DataUnavailable", message: problem, quote: nil)
        } else {
            decision = Self.admission(job: job, view: view, terms: terms, privacy: try privacy.reconciledSpec(PrivacyPolicySpec.self), cache: ctx.cache,
                                      market: nodes.market(ctx.cache, deviceClasses: terms.deviceClasses))
        }
        var quoted: Quote?
        switch decision {
        case .quoteFailed(let reason, let message):
            conditions.append(Condition(type: "Admitted", status: .false, reason: reason, message: message))
        case .refused(let reason, let message, let quote):
            quoted = quote
            conditions.append(Condition(type: "Admitted", status: .false, reason: reason, message: message))
        case .queued(let message, let quote):
            quoted = quote
            conditions.append(Condition(type: "Admitted", status: .false, reason: AdmissionReason.queued, message: message))
        case .admitted(let quote):
            quoted = quote
            conditions.append(Condition(type: "Admitted", status: .true, reason: "Admitted",
                                        message: String(format: "quoted %.2f %@ (%@), within budget", quote.total, quote.currency, Self.unitText(quote))))
        }
        let admitted: Bool
        if case .admitted = decision { admitted = true } else { admitted = false }
        let quote = try quoted?.status()
        let written = try await ctx.updateStatus(job, as: FederatedJobStatus.self, fields: [\.phase, \.quote], { s in
            JobPhase.move(&s, to: admitted ? .admitted : .pending)
            if let quote { s.quote = quote }
        }, conditions: conditions)
        if let refusal = AdmissionReason.refusal(of: written) {
            // A refusal is a failure the tenant must act on: a Warning event, as Kubernetes reports one.
            await ctx.events.record(job, .warning, reason: refusal.reason, message: refusal.message)
        }
        if admitted {
            await ctx.events.record(job, .normal, reason: "Admitted", message: conditions.last!.message)
        }
        return .done
    }

    static func unitText(_ q: Quote) -> String {
        String(format: "%.4g per %@ × %.4g", q.unitPrice, q.unit, q.quantity)
    }

    enum Admission {
        case admitted(Quote)
        case queued(String, Quote)
        case refused(reason: String, message: String, quote: Quote?)
        case quoteFailed(reason: String, message: String)
    }

    /// The admission decision for a Pending job (pure over the cache).
    static func admission(job: Resource, view: JobView, terms: TierTerms, privacy: PrivacyPolicySpec, cache: InformerSet, market: MarketState) -> Admission {
        let level = privacy.level.rawValue
        if !terms.allowedPrivacyLevels.isEmpty && !terms.allowedPrivacyLevels.contains(level) {
            return .refused(reason: "PrivacyLevelNotAllowed",
                            message: "tier \(terms.name) allows privacy levels \(terms.allowedPrivacyLevels.joined(separator: ", ")); the job asks for \(level)", quote: nil)
        }
        let outside = view.deviceClasses.subtracting(terms.deviceClasses)
        if !terms.deviceClasses.isEmpty && !outside.isEmpty {
            return .refused(reason: "DeviceClassNotAllowed",
                            message: "tier \(terms.name) allows device classes \(terms.deviceClasses.joined(separator: ", ")); the job asks for \(outside.sorted().joined(separator: ", "))", quote: nil)
        }
        let quote: Quote
        do {
            let request = try QuoteRequest(job: view.spec, privacy: privacy)
            quote = try Pricing.quote(request, tier: terms, market: market)
        } catch {
            return .quoteFailed(reason: error.reason, message: error.message)
        }
        if let budget = view.budget, quote.total > budget + 1e-9 {
            return .refused(reason: "OverBudget",
                            message: String(format: "quote %.2f %@ (%@) exceeds spec.budget.max %.2f", quote.total, quote.currency, unitText(quote), budget),
                            quote: quote)
        }
        if let limit = terms.maxConcurrentJobs {
            let peers = cache.list("FederatedJob", namespace: view.key.namespace).filter {
                $0.spec?["tier"]?.stringValue == view.tier && $0.metadata.deletionTimestamp == nil
            }
            let active = peers.filter { JobPhase(status: $0.status).holdsSlot }.count
            // Queued jobs are admitted oldest first (creation time, then name).
            let ahead = peers.filter {
                JobPhase(status: $0.status) == .pending && $0.key != view.key
                    && ($0.metadata.creationTimestamp ?? "", $0.name) < (job.metadata.creationTimestamp ?? "", job.name)
                    && $0.condition("Admitted").map { $0.status == .false && $0.reason != AdmissionReason.queued } != true
            }.count
            if active + ahead >= limit {
                return .queued("tier \(terms.name) allows \(limit) concurrent job\(limit == 1 ? "" : "s") in namespace \(view.key.namespace): \(active) active, \(ahead) queued ahead", quote)
            }
        }
        return .admitted(quote)
    }
}
