import FogAPI
import FogModel
import FogRemote
import Foundation
import Testing

/// Sealed bids over HTTP, by the auctions family's rules: while the auction is open only admins
/// and the bidding node's agent read a bid (not the tenant who owns the auction, not another
/// agent); once it is Closed or Failed the tenant reads them, and new bids are refused with the
/// auction's phase in the message, for every caller.
@Suite struct AuctionSealingTests {
    typealias T = AuthorizationTableTests

    @Test func anOpenAuctionsBidIsSeenOnlyByAdminsAndItsBidder() async throws {
        let (s, admin, bid) = try await T.openAuctionWithABid(price: 3.5)
        #expect(try await admin.get(bid.key) != nil)
        #expect(try await s.client("agent-edge-1-token").get(bid.key) != nil)
        for token in ["tenant-a-token", "agent-edge-2-token"] {
            let (code, text) = try await s.rawText(.GET, T.path(bid), token: token)
            #expect(code == 404 || code == 403, "\(token) read a sealed bid")
            #expect(!text.contains("3.5"))
            let (listCode, list) = try await s.rawText(.GET, T.path(bid, collection: true), token: token)
            #expect(listCode == 200 || listCode == 403)
            #expect(!list.contains("3.5") && !list.contains("\"b\""), "\(token) listed a sealed bid")
        }
        await s.shutdown()
    }

    @Test(arguments: ["Closed", "Failed"])
    func aFinishedAuctionOpensItsBidsAndRefusesNewOnes(_ phase: String) async throws {
        let (s, admin, bid) = try await T.openAuctionWithABid(price: 3.5)
        var auction = try #require(try await admin.get(ObjectKey(kind: "Auction", namespace: "team-a", name: "a1")))
        auction.status = ["phase": .string(phase), "closedAt": "2026-12-06T19:00:00Z"]
        _ = try await admin.updateStatus(auction)
        let (code, text) = try await s.rawText(.GET, T.path(bid), token: "tenant-a-token")
        #expect(code == 200 && text.contains("3.5"))
        // A late bid, from the agent of another node and from an admin alike.
        for (token, node) in [("agent-edge-2-token", "edge-2"), ("admin-token-1", "edge-3")] {
            let late = object("Bid", "late-\(node)", namespace: "team-a", spec: ["auction": "a1", "node": .string(node), "price": 1])
            let (refused, message) = try await s.rawText(.POST, T.path(late, collection: true), token: token, body: JSONCoding.encodeBytes(late.json))
            #expect(refused == 409, "\(token): \(refused) \(message)")
            #expect(message.contains("auction team-a/a1 is \(phase): it no longer takes bids"))
        }
        await s.shutdown()
    }
}
