import FogClient
import FogMarket
import FogModel
import FogRuntime
import Foundation

/// A real agent's bidder (`fogctl agent`): it watches Auctions and bids for its own node on
/// each open one, from the node's typed bid policy (`spec.bidding`), by the same rule as the
/// simulated fleet (`SimulatedFleet.bids(on:by:existing:)`): once per auction, only while the
/// node is Ready, with the auction's requirements free on it and below its cap on concurrent
/// commitments. With an agent's token the server lets it read every auction, its own node and
/// only its own bids, and create bids only as its node.
public final class AgentBidder: @unchecked Sendable {
    let client: any FogClient
    let clock: any FogClock
    public let node: String
    private let lock = NSLock()
    private var _placed = 0
    public var placed: Int { lock.withLock { _placed } }

    public init(client: any FogClient, clock: any FogClock, node: String) {
        self.client = client
        self.clock = clock
        self.node = node
    }

    /// Bids on every open auction it has not bid on yet; returns how many bids it placed.
    @discardableResult
    public func bidOnce() async throws -> Int {
        let auctions = try await client.list(kind: "Auction", namespace: nil, selector: LabelSelector()).items
            .filter { $0.status?["phase"]?.stringValue == "Open" }
        guard !auctions.isEmpty, let me = try await client.get(ObjectKey(kind: "FogNode", namespace: "", name: node)) else { return 0 }
        let mine = try await client.list(kind: "Bid", namespace: nil, selector: LabelSelector()).items
            .filter { $0.spec?["node"]?.stringValue == node }
        var placed = 0
        for bid in SimulatedFleet.bids(on: auctions, by: [me], existing: mine) {
            // An auction that closed meanwhile refuses the bid: nothing to do about it.
            if (try? await client.create(bid)) != nil { placed += 1 }
        }
        lock.withLock { _placed += placed }
        return placed
    }

    /// Bids whenever an auction opens or reopens, until cancelled (a watch, resumed with backoff).
    public func run() async {
        await ChangeFollower.follow("Auction", client: client, clock: clock, jitter: { 0.5 },
                                    wants: { $0.object?.status?["phase"]?.stringValue == "Open" }) { _ = try await bidOnce() }
    }
}
