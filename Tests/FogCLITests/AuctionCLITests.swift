import FogModel
import FogStore
import Foundation
import Testing

/// `fogctl bid`, `get auctions` and `describe auction` on the embedded store.
@Suite struct AuctionCLITests {
    static func auction(phase: String) -> Resource {
        var a = Resource(kind: "Auction", metadata: ObjectMeta(name: "a1", namespace: "default"),
                         content: ["spec": ["participantsWanted": 1, "unit": "hour", "currency": "USD"]])
        a.status = ["phase": .string(phase), "closesAt": "2026-12-06T20:00:00Z", "bidCount": 1, "winnerCount": 1, "clearingPrice": 0.5,
                    "ranking": [["bid": "a1-edge-1", "node": "edge-1", "rank": 1, "price": 0.4, "trust": 0.9, "effectivePrice": 0.4124,
                                 "region": "eu-west", "outcome": "Won", "payment": 0.5],
                                ["bid": "a1-edge-2", "node": "edge-2", "rank": 2, "price": 0.5, "trust": 1, "effectivePrice": 0.5,
                                 "region": "eu-west", "outcome": "Lost", "reason": "Outbid"]]]
        return a
    }

    @Test func bidCreatesASealedBidWhileOpenAndIsRefusedAfterClose() async throws {
        let h = try Harness()
        let store = try h.store()
        let created = try store.create(Self.auction(phase: "Open"))
        var open = created
        open.status = Self.auction(phase: "Open").status
        _ = try store.updateStatus(open)
        let r = await h.fogctl(["bid", "--auction", "a1", "--node", "edge-1", "--price", "0.4"])
        #expect(r.code == 0, "\(r.stderr)")
        #expect(r.stdout.contains("bid/a1-edge-1 created: edge-1 asks 0.4 USD per hour in auction default/a1"), "\(r.stdout)")
        let bid = try #require(try store.get(ObjectKey(kind: "Bid", namespace: "default", name: "a1-edge-1")))
        #expect(bid.spec?["price"]?.numberValue == 0.4 && bid.spec?["node"] == "edge-1")

        var closed = try #require(try store.get(created.key))
        closed.status = Self.auction(phase: "Closed").status
        closed.status?["closedAt"] = "2026-12-06T20:00:01Z"
        _ = try store.updateStatus(closed)
        let late = await h.fogctl(["bid", "--auction", "a1", "--node", "edge-2", "--price", "0.3"])
        #expect(late.code == 1)
        #expect(late.stderr.contains("auction default/a1 is Closed: it no longer takes bids (closed at 2026-12-06T20:00:01Z)"), "\(late.stderr)")
        let missing = await h.fogctl(["bid", "--auction", "nope", "--node", "edge-2", "--price", "0.3"])
        #expect(missing.code == 1 && missing.stderr.contains("auction default/nope does not exist"))

        // get: phase, bids, winners, clearing price; describe: the ranked table.
        let get = await h.fogctl(["get", "auctions"])
        #expect(get.stdout.contains("PHASE") && get.stdout.contains("BIDS") && get.stdout.contains("WINNERS") && get.stdout.contains("CLEARING"))
        #expect(get.stdout.contains("Closed"), "\(get.stdout)")
        let describe = await h.fogctl(["describe", "auction", "a1"])
        #expect(describe.stdout.contains("Ranked Bids:"), "\(describe.stdout)")
        #expect(describe.stdout.contains("RANK") && describe.stdout.contains("EFFECTIVE") && describe.stdout.contains("Outbid"))
    }
}
