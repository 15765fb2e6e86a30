import FogModel
import FogRuntime
import Foundation

extension ControllerFamily {
    /// Auctions: a job with `allocation.mode: auction` opens an Auction it owns; nodes bid
    /// (sealed) from their typed bid policies; at close the trust-weighted critical-value
    /// mechanism (FogMarket's `AuctionClearing`) picks the winners, who are booked with the same
    /// compare-and-swap reservations as direct allocation and become the job's participants.
    public static let auctions = ControllerFamily(
        name: "auctions",
        kinds: ["Auction", "Bid"],
        access: [
            // A tenant opens and withdraws its own auctions (their status is the controllers');
            // it reads bids in its namespaces, but only once their auction is no longer open (seal below).
            .tenantOwns("Auction"), .tenantReads("Bid"),
            // Agents read every auction (to bid) and create and read bids as their own node only.
            AccessRule(.agent, kind: "Auction", verbs: AccessRule.readVerbs, scope: .any),
            AccessRule(.agent, kind: "Bid", verbs: [.get, .list, .watch, .create], scope: .boundToNode(field: "spec.node")),
        ],
        seals: [
            // Until its auction is Closed (or Failed), a bid is seen only by admins and its node's
            // agent; the server also refuses new bids on an auction in one of these phases.
            SealRule(kind: "Bid", writerField: "spec.node", parentKind: "Auction", parentField: "spec.auction",
                     unsealedPhases: ["Closed", "Cleared", "Failed"]),
        ],
        readiness: ["Auction": .observedGeneration],
        controllers: { _ in
            let nodes = NodeIndex()
            return [AuctionJobController(), AuctionController(nodes: nodes)]
        },
        summary: { cache in cache.list("Auction").map(AuctionSummary.line) })
}

/// One line per auction for `fogctl up`.
enum AuctionSummary {
    static func line(_ a: Resource) -> String {
        let s = a.status
        var facts = ["\(s?["bidCount"]?.intValue ?? 0) bids"]
        if let w = s?["winnerCount"]?.intValue { facts.append("\(w) winners") }
        if let c = s?["clearingPrice"]?.numberValue { facts.append(String(format: "clearing %.4f/%@", c, a.spec?["unit"]?.stringValue ?? "hour")) }
        if let r = s?["round"]?.intValue, r > 1 { facts.append("round \(r)") }
        if let why = s?["reason"]?.stringValue { facts.append(why) }
        return "auction \(a.namespace)/\(a.name): \(s?["phase"]?.stringValue ?? "-") (" + facts.joined(separator: ", ") + ")"
    }
}
