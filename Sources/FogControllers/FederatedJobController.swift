import FogModel
import FogRuntime

/// The job's first steps: resolve its tier and privacy policy. Quoting,
/// admission, allocation and training build on this (marketplace and training
/// milestones); until then a job with resolved references waits in `Pending`.
public struct FederatedJobController: Controller {
    public let name = "federated-job"
    public let kind = "FederatedJob"

    public init() {}

    public var sources: [WatchSource] {
        [.kind("FederatedJob"),
         .mapped("Tier") { tier, cache in
             cache.list("FederatedJob").filter { $0.spec?["tier"]?.stringValue == tier.name }.map(\.key)
         },
         .mapped("PrivacyPolicy") { policy, cache in
             cache.list("FederatedJob").filter { ($0.spec?["privacy"]?.stringValue ?? "low") == policy.name }.map(\.key)
         }]
    }

    public func reconcile(_ key: ObjectKey, _ ctx: ReconcileContext) async throws -> ReconcileResult {
        guard let job = ctx.cache.get(key), job.metadata.deletionTimestamp == nil else { return .done }
        let tierName = job.spec?["tier"]?.stringValue ?? ""
        let privacyName = job.spec?["privacy"]?.stringValue ?? "low"
        let tier = ctx.cache.get(ObjectKey(kind: "Tier", namespace: "", name: tierName))
        let privacy = ctx.cache.get(ObjectKey(kind: "PrivacyPolicy", namespace: "", name: privacyName))
        let tierCondition = tier == nil
            ? Condition(type: "TierResolved", status: .false, reason: "TierNotFound", message: "tier \"\(tierName)\" does not exist")
            : Condition(type: "TierResolved", status: .true, reason: "Found", message: "")
        let privacyCondition = privacy == nil
            ? Condition(type: "PrivacyResolved", status: .false, reason: "PrivacyPolicyNotFound", message: "privacy policy \"\(privacyName)\" does not exist")
            : Condition(type: "PrivacyResolved", status: .true, reason: "Found", message: "")
        try await ctx.updateStatus(job, { s in
            if s["phase"] == nil { s["phase"] = "Pending" }
        }, conditions: [tierCondition, privacyCondition])
        return .done
    }
}
