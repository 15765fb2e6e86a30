import FogMarket
import FogModel
import Foundation

/// Failover for an auction-mode job: a winner lost mid-job (NotReady, drained, deleted…) is
/// replaced first by the next-best bid of the job's closed auction, at that bid's own price,
/// before direct allocation's failover takes over (the allocation controller calls this).
enum AuctionFailover {
    struct RunnerUp: Equatable {
        let bid: String
        let node: String
        /// The runner-up's own unit price × the auction's units.
        let price: Double
        let unitPrice: Double
    }

    /// For each lost participant, in order: the best-ranked bid of the closed auction that lost
    /// only because it was outbid, whose node is eligible now (`eligible`), not already in the
    /// job or chosen for another; under a hierarchy, in the lost participant's region (and
    /// aggregator-capable when the lost one aggregated). Lost participants with no such bid are left out.
    static func replacements(lost: [(node: String, region: String, aggregator: Bool)], auction: Resource?,
                             eligible: [String: NodeFacts], taken: Set<String>, hierarchy: Bool) -> [String: RunnerUp] {
        guard let auction, auction.status?["phase"]?.stringValue == "Closed" else { return [:] }
        let units = auction.spec?["units"]?.numberValue ?? 1
        let rows = (auction.status?["ranking"]?.arrayValue ?? [])
            .filter { $0["outcome"]?.stringValue == "Lost" && $0["reason"]?.stringValue == "Outbid" && $0["rank"]?.intValue != nil }
            .sorted { ($0["rank"]?.intValue ?? 0) < ($1["rank"]?.intValue ?? 0) }
        var used = taken
        var out: [String: RunnerUp] = [:]
        for l in lost {
            for row in rows {
                guard let node = row["node"]?.stringValue, !used.contains(node), let facts = eligible[node],
                      let bid = row["bid"]?.stringValue, let price = row["price"]?.numberValue else { continue }
                if hierarchy && !l.region.isEmpty && facts.region != l.region { continue }
                if l.aggregator && !facts.roles.contains("aggregator") { continue }
                used.insert(node)
                out[l.node] = RunnerUp(bid: bid, node: node, price: (price * units * 10000).rounded(.up) / 10000, unitPrice: price)
                break
            }
        }
        return out
    }

    /// The allocation with each runner-up's price, unit price and bid recorded.
    static func withRunnerUps(_ allocation: JSONValue, _ runnerUps: [String: RunnerUp]) -> JSONValue {
        guard !runnerUps.isEmpty, var o = allocation.objectValue else { return allocation }
        let byNode = Dictionary(uniqueKeysWithValues: runnerUps.values.map { ($0.node, $0) })
        var total = 0.0
        o["participants"] = .array((o["participants"]?.arrayValue ?? []).map { p in
            guard var q = p.objectValue, let n = q["node"]?.stringValue else { return p }
            if let r = byNode[n] {
                q["price"] = .double(r.price)
                q["unitPrice"] = .double(r.unitPrice)
                q["bid"] = .string(r.bid)
            }
            total += q["price"]?.numberValue ?? 0
            return .object(q)
        })
        o["totalPrice"] = .double((total * 10000).rounded() / 10000)
        return .object(o)
    }
}
