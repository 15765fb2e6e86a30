import Foundation
import FogModel
import FogRuntime

extension ControllerFamily {
    /// The marketplace: tiers and privacy policies checked, jobs quoted and admitted,
    /// participants allocated (and replaced on failover).
    public static let marketplace = ControllerFamily(
        name: "marketplace",
        kinds: ["Tier", "PrivacyPolicy", "FederatedJob"],
        access: [
            // Tiers and privacy policies are the operator's (cluster-scoped): everyone reads them.
            .readsAll(.tenant, "Tier"), .readsAll(.tenant, "PrivacyPolicy"),
            .readsAll(.agent, "Tier"), .readsAll(.agent, "PrivacyPolicy"),
            // Jobs are the tenant's; their status is the controllers'.
            .tenantOwns("FederatedJob"),
            // Auction and Bid are the auctions family's (Auction/AuctionFamily.swift).
        ],
        readiness: ["Tier": .readyCondition, "PrivacyPolicy": .readyCondition, "FederatedJob": .observedGeneration],
        controllers: { settings in
            // Admission and allocation read the same decoded view of the nodes.
            let nodes = NodeIndex()
            return [TierController(), PrivacyPolicyController(), FederatedJobController(nodes: nodes, dataDirectory: settings.dataDirectory),
                    AllocationController(nodes: nodes)]
        },
        summary: { cache in cache.list("FederatedJob").map(JobSummary.line) })

/// One line per job for `fogctl up`: phase, quote, what training or inference reached,
/// participants, and the conditions that hold it back.
enum JobSummary {
static func line(_ job: Resource) -> String {
    let phase = job.status?["phase"]?.stringValue ?? "-"
    // Conditions that hold the job back (Degraded=False is good news).
    let waiting = job.conditions.filter {
        $0.type == "Degraded" ? $0.status == .true : $0.status != .true && !($0.type == "Training" && $0.reason == "Completed")
    }
        .map { "\($0.type)=\($0.status.rawValue) (\($0.reason))" }
    var facts: [String] = []
    if let q = job.status?["quote"], let total = q["total"]?.numberValue {
        facts.append(String(format: "quote %.2f %@", total, q["currency"]?.stringValue ?? "USD"))
    }
    if let i = job.status?["inference"], let served = i["served"]?.intValue {
        facts.append(String(format: "%lld requests served, accuracy %.4f, p50 %.1f ms, p99 %.1f ms", served,
                            i["accuracy"]?.numberValue ?? 0, i["p50Millis"]?.numberValue ?? 0, i["p99Millis"]?.numberValue ?? 0)
                     + (i["slaMillis"]?.numberValue.map { String(format: " (SLA %.0f ms)", $0) } ?? ""))
    }
    if let t = job.status?["training"], let accuracy = t["accuracy"]?.numberValue {
        facts.append(String(format: "round %lld, test accuracy %.4f", t["round"]?.intValue ?? 0, accuracy))
    }
    if let a = job.status?["allocation"], let ps = a["participants"]?.arrayValue {
        let regions = Set(ps.compactMap { $0["region"]?.stringValue })
        facts.append("\(ps.count) participants in \(regions.count) region\(regions.count == 1 ? "" : "s")")
    }
    return "job \(job.namespace)/\(job.name): \(phase)" + (facts.isEmpty ? "" : " (" + facts.joined(separator: "; ") + ")")
        + (waiting.isEmpty ? "" : "; " + waiting.joined(separator: ", "))
}
}
}
