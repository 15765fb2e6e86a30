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

/// Counts the nodes each harvest policy selects. Eligibility (battery,
/// thermal, idle time, windows) needs node telemetry and comes with the fleet milestone.
public struct HarvestPolicyController: Controller {
    public let name = "harvest-policy"
    public let kind = "HarvestPolicy"

    public init() {}

    public var sources: [WatchSource] {
        [.kind("HarvestPolicy"),
         .mapped("FogNode") { _, cache in cache.list("HarvestPolicy").map(\.key) }]
    }

    /// The policy's `nodeSelector` (matchLabels and matchExpressions) as a label selector.
    static func selector(_ spec: JSONValue?) -> LabelSelector {
        var reqs: [LabelSelector.Requirement] = []
        for (k, v) in (spec?.value(at: "nodeSelector.matchLabels")?.objectValue ?? [:]).sorted(by: { $0.key < $1.key }) {
            if let s = v.stringValue { reqs.append(.equals(k, s)) }
        }
        for e in spec?.value(at: "nodeSelector.matchExpressions")?.arrayValue ?? [] {
            guard let key = e["key"]?.stringValue, let op = e["operator"]?.stringValue else { continue }
            let values = Set((e["values"]?.arrayValue ?? []).compactMap(\.stringValue))
            switch op {
            case "In": reqs.append(.isIn(key, values))
            case "NotIn": reqs.append(.notIn(key, values))
            case "Exists": reqs.append(.exists(key))
            case "DoesNotExist": reqs.append(.doesNotExist(key))
            default: break
            }
        }
        return LabelSelector(reqs)
    }

    public func reconcile(_ key: ObjectKey, _ ctx: ReconcileContext) async throws -> ReconcileResult {
        guard let policy = ctx.cache.get(key), policy.metadata.deletionTimestamp == nil else { return .done }
        let matched = ctx.cache.list("FogNode", selector: Self.selector(policy.spec))
        try await ctx.updateStatus(policy, { s in
            s["matchedNodes"] = .int(Int64(matched.count))
        }, conditions: [Condition(type: "Ready", status: .true, reason: "Valid", message: "")])
        return .done
    }
}
