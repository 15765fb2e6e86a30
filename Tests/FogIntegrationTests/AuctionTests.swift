import FogAgent
import FogClient
@testable import FogControllers
import FogFleet
import FogManifest
import FogMarket
import FogModel
import FogRuntime
import FogStore
import FogTesting
import Foundation
import Logging
import Testing

/// A job in auction mode (the `job(...)` fixture with `allocation.mode: auction`).
func auctionJob(_ name: String, namespace: String = "default", min: Int = 2, max: Int? = nil, budget: Double = 1000, cpu: Double = 1,
                window: String = "2s", rounds: Int = 3) -> String {
    job(name, namespace: namespace, min: min, max: max, budget: budget, cpu: cpu)
        .replacingOccurrences(of: "  budget: {max: \(budget)}\n",
                              with: "  budget: {max: \(budget)}\n  allocation: {mode: auction, auction: {duration: \(window), maxRounds: \(rounds)}}\n")
}

extension MarketHarness {
    func auction(_ name: String, namespace: String = "default") throws -> Resource {
        try #require(try store.get(ObjectKey(kind: "Auction", namespace: namespace, name: name)))
    }

    func bids(_ auction: String? = nil) throws -> [Resource] {
        try store.list(kind: "Bid", namespace: nil, selector: LabelSelector()).items.filter { auction == nil || $0.spec?["auction"]?.stringValue == auction }
    }

    /// Sets a node's `spec.privacyCapabilities` (what its operator declares).
    func declarePrivacy(_ node: String, _ mechanisms: [String]) throws {
        var n = try #require(try store.get(ObjectKey(kind: "FogNode", namespace: "", name: node)))
        n.content["spec"]?["privacyCapabilities"] = .array(mechanisms.map { .string($0) })
        _ = try store.update(n)
    }

    /// Advances the clock in `step`s, the fleet bidding on whatever is open before each step.
    func runBidding(seconds: Double, step: Double = 1) async throws {
        var t = 0.0
        while t < seconds {
            try await sim.bidOnOpenAuctions()
            try await fleet.settle()
            fleet.clock.advance(by: step)
            t += step
            try await sim.tick()
            try await fleet.settle()
        }
    }
}

@Suite(.serialized) struct AuctionTests {
    /// Open → bids (digests recorded at receipt) → Closed at the window's end → the winners are
    /// the job's participants (Allocated, their payments within the budget), booked on their nodes;
    /// every bid has an outcome; a bid after close is closed as late; the reserve came from the quote.
    @Test func anAuctionJobIsOpenedClearedAndAllocated() async throws {
        let h = try await MarketHarness(nodes: 12)
        try h.apply(auctionJob("bought", min: 2, max: 3, budget: 50))
        try await h.fleet.settle()
        var a = try h.auction("bought")
        #expect(a.status?["phase"] == "Open")
        #expect(a.metadata.ownerReferences.first?.name == "bought")
        let job = try h.job("bought")
        #expect(job.conditions[type: "Allocated"]?.reason == "AwaitingAuction")
        let quote = try #require(job.status?["quote"]?["total"]?.numberValue)
        let spec = try a.decodeSpec(AuctionSpec.self)
        #expect(abs((spec.reservePrice ?? 0) * 3 * spec.units - quote) < 1e-3 * max(1, quote))
        #expect(spec.reserveCeiling! * 3 * spec.units <= 50 + 1e-9)
        #expect(spec.duration == "2s")

        try await h.sim.bidOnOpenAuctions()
        try await h.fleet.settle()
        a = try h.auction("bought")
        let bids = try h.bids("bought")
        #expect(!bids.isEmpty)
        #expect(a.status?["bidCount"]?.intValue == Int64(bids.count))
        for b in bids {
            #expect(a.status?["bids"]?[b.name]?["digest"]?.stringValue == AuctionController.digest(b))
            #expect(b.status?["outcome"] == "Pending")
        }
        try await h.runBidding(seconds: 2)
        a = try h.auction("bought")
        #expect(a.status?["phase"] == "Closed")
        #expect(a.condition("Cleared")?.status == .true)
        let j = try h.job("bought")
        #expect(j.status?["phase"] == "Allocated" || j.status?["phase"] == "Running")
        #expect(j.conditions[type: "Allocated"]?.status == .true)
        let participants = j.status?["allocation"]?["participants"]?.arrayValue ?? []
        #expect(participants.count >= 2 && participants.count <= 3)
        #expect((j.status?["allocation"]?["totalPrice"]?.numberValue ?? .infinity) <= 50)
        let winners = Set(try h.bids("bought").filter { $0.status?["outcome"] == "Won" }.compactMap { $0.spec?["node"]?.stringValue })
        #expect(Set(participants.compactMap { $0["node"]?.stringValue }) == winners)
        for p in participants {
            let node = try #require(try h.store.get(ObjectKey(kind: "FogNode", namespace: "", name: p["node"]!.stringValue!)))
            #expect(node.status?["reservations"]?["default/bought"] != nil)
            #expect(p["bid"]?.stringValue != nil && (p["unitPrice"]?.numberValue ?? .infinity) <= spec.reservePrice! + 1e-9)
        }
        #expect(try h.bids("bought").allSatisfy { ["Won", "Lost"].contains($0.status?["outcome"]?.stringValue ?? "") })

        // A late bid (in-process, where no server refuses it) is closed as such.
        _ = try h.store.create(Resource(kind: "Bid", metadata: ObjectMeta(name: "late", namespace: "default"),
                                        content: ["spec": ["auction": "bought", "node": "node-000", "price": 0.01]]))
        try await eventually("the late bid closed", watching: h.store) {
            try h.store.get(ObjectKey(kind: "Bid", namespace: "default", name: "late"))?.status?["reason"] == "AuctionClosed"
        }
        await h.shutdown()
    }

    /// A winner lost mid-job is replaced by the next-best bid of the closed auction (the best-ranked
    /// bid that lost only because it was outbid), paid that bid's own price.
    @Test func aLostWinnerIsReplacedByTheNextBestBid() async throws {
        let h = try await MarketHarness(nodes: 12)
        try h.apply(auctionJob("kept", min: 2, max: 2, budget: 50))
        try await h.fleet.settle()
        try await h.runBidding(seconds: 2)
        let a = try h.auction("kept")
        #expect(a.status?["phase"] == "Closed")
        let ranking = a.status?["ranking"]?.arrayValue ?? []
        let winners = ranking.filter { $0["outcome"] == "Won" }.compactMap { $0["node"]?.stringValue }
        let runnerUp = try #require(ranking.first { $0["reason"] == "Outbid" })
        let victim = try #require(winners.first)
        h.sim.force(victim, online: false)
        try await h.run(seconds: 20, step: 5)
        let j = try h.job("kept")
        let participants = j.status?["allocation"]?["participants"]?.arrayValue ?? []
        let nodes = participants.compactMap { $0["node"]?.stringValue }
        #expect(!nodes.contains(victim) && nodes.contains(runnerUp["node"]!.stringValue!), "\(nodes)")
        let replacement = try #require(participants.first { $0["node"] == runnerUp["node"] })
        #expect(replacement["bid"] == runnerUp["bid"] && replacement["unitPrice"]?.numberValue == runnerUp["price"]?.numberValue)
        let events = try h.store.list(kind: "Event", namespace: "default", selector: LabelSelector()).items
        #expect(events.contains { $0.content["reason"] == "ParticipantReplaced" && ($0.content["message"]?.stringValue ?? "").contains("next-best bid") })
        await h.shutdown()
    }

    /// No valid bids: the auction reopens with a reserve raised by half (up to the budget's
    /// share), then fails, and the job says why.
    /// Bids that reach the auction controller in the same reconcile as its close (under load the
    /// bid events and the close timer come together) are received and counted: the auction clears
    /// with them. (It once recorded them and closed on the status from before, as if none had come.)
    @Test func bidsReceivedByTheClosingReconcileCount() async throws {
        // Every controller but the auction's, which the test drives itself.
        let h = try await MarketHarness(nodes: 12, controllers: ControllerFamilies.controllers().filter { $0.name != "auction" })
        try h.apply(auctionJob("together", min: 2, max: 3, budget: 50))
        try await h.fleet.settle()
        let key = ObjectKey(kind: "Auction", namespace: "default", name: "together")
        let controller = AuctionController()
        let client = EmbeddedClient(store: h.store)
        let ctx = ReconcileContext(client: client, cache: h.fleet.manager.cache, clock: h.fleet.clock,
                                   events: EventRecorder(client: client, clock: h.fleet.clock, component: "auction"),
                                   logger: Logger(label: "direct"), registry: SchemaSet.builtIn.registry,
                                   controller: controller.name, ownedConditions: controller.conditionTypes)
        _ = try await controller.reconcile(key, ctx)
        try await h.fleet.settle()
        #expect(try h.auction("together").status?["phase"] == "Open")
        try await h.sim.bidOnOpenAuctions()
        try await h.fleet.settle()
        let bids = try h.bids("together")
        #expect(bids.count >= 2)
        #expect(try h.auction("together").status?["bids"] == nil)  // not received yet
        h.fleet.clock.advance(by: 3)  // past the 2 s window
        _ = try await controller.reconcile(key, ctx)
        let a = try h.auction("together")
        #expect(a.status?["phase"] == "Closed", "\(a.condition("Cleared")?.message ?? "")")
        #expect(a.condition("Cleared")?.status == .true)
        #expect(a.status?["bidCount"]?.intValue == Int64(bids.count))
        await h.shutdown()
    }

    @Test func noBidsReopenThenFail() async throws {
        let h = try await MarketHarness(nodes: 4)
        try h.apply(auctionJob("unwanted", min: 2, budget: 50, rounds: 2))
        try await h.fleet.settle()
        let first = try #require(try h.auction("unwanted").status?["reservePrice"]?.numberValue)
        try await h.run(seconds: 2, step: 1)
        var a = try h.auction("unwanted")
        #expect(a.status?["round"]?.intValue == 2)
        let second = try #require(a.status?["reservePrice"]?.numberValue)
        let ceiling = try #require(try a.decodeSpec(AuctionSpec.self).reserveCeiling)
        #expect(second > first && second <= ceiling + 1e-9)
        try await h.run(seconds: 2, step: 1)
        a = try h.auction("unwanted")
        #expect(a.status?["phase"] == "Failed")
        #expect(a.condition("Cleared")?.reason == "NoClearing")
        try await eventually("the job says its auction failed", watching: h.store) {
            try h.job("unwanted").conditions[type: "Allocated"]?.reason == "AuctionFailed"
        }
        await h.shutdown()
    }

    /// A job's auction requires the privacy mechanisms its PrivacyPolicy enables: bidders without
    /// them do not bid, and a bid placed anyway from such a node loses as Ineligible.
    @Test func anAuctionBuysOnlyFromNodesWithThePrivacyMechanismsItRequires() async throws {
        let h = try await MarketHarness(nodes: 8)
        let lacking = Array(h.sim.nodeNames.sorted().prefix(4))
        for name in lacking { try h.declarePrivacy(name, ["anonymization"]) }
        // `medium` enables anonymization and differential privacy.
        try h.apply(auctionJob("private", min: 2, max: 3, budget: 50).replacingOccurrences(of: "privacy: low", with: "privacy: medium"))
        try await h.fleet.settle()
        let spec = try h.auction("private").decodeSpec(AuctionSpec.self)
        #expect(spec.requiredPrivacyCapabilities == [.anonymization, .differentialPrivacy])
        try await h.sim.bidOnOpenAuctions()
        try await h.fleet.settle()
        let bidders = Set(try h.bids("private").compactMap { $0.spec?["node"]?.stringValue })
        #expect(!bidders.isEmpty && bidders.isDisjoint(with: lacking))
        // A bid placed anyway (in-process, as a misbehaving agent would) from a node without it.
        _ = try h.store.create(Resource(kind: "Bid", metadata: ObjectMeta(name: "sneaky", namespace: "default"),
                                        content: ["spec": ["auction": "private", "node": .string(lacking[0]), "price": 0.000001]]))
        try await h.runBidding(seconds: 2)
        let a = try h.auction("private")
        #expect(a.status?["phase"] == "Closed")
        let sneaky = try #require(try h.store.get(ObjectKey(kind: "Bid", namespace: "default", name: "sneaky")))
        #expect(sneaky.status?["outcome"] == "Lost")
        #expect(sneaky.status?["message"]?.stringValue == "PrivacyCapabilityMissing")
        let participants = Set(try h.job("private").status?["allocation"]?["participants"]?.arrayValue?.compactMap { $0["node"]?.stringValue } ?? [])
        #expect(participants.count >= 2 && participants.isDisjoint(with: lacking))
        await h.shutdown()
    }

    /// A standalone auction (no job) books its winners' capacity for its owner under its own
    /// reservation key, so that direct jobs and other auctions cannot take it, and gives it back
    /// when deleted. One without requirements has nothing to book and fails at once.
    @Test func aStandaloneAuctionHoldsItsWinnersCapacityUntilItIsDeleted() async throws {
        let h = try await MarketHarness(nodes: 6)
        let without = h.sim.nodeNames.sorted()[0]
        try h.declarePrivacy(without, [])
        try h.apply("""
            apiVersion: fog/v1alpha1
            kind: Auction
            metadata: {name: capacity, namespace: default}
            spec:
              participantsWanted: 2
              reservePrice: 100
              requirements: {cpu: 2, memoryGiB: 1}
              requiredPrivacyCapabilities: [secureAggregation]
              duration: 2s
            ---
            apiVersion: fog/v1alpha1
            kind: Auction
            metadata: {name: nothing, namespace: default}
            spec:
              participantsWanted: 1
              duration: 2s
            """)
        try await h.fleet.settle()
        let nothing = try h.auction("nothing")
        #expect(nothing.status?["phase"] == "Failed")
        #expect(nothing.condition("Cleared")?.reason == "NothingToBook")
        try await h.sim.bidOnOpenAuctions()
        try await h.fleet.settle()
        #expect(try !h.bids("capacity").contains { $0.spec?["node"]?.stringValue == without })
        _ = try h.store.create(Resource(kind: "Bid", metadata: ObjectMeta(name: "no-masking", namespace: "default"),
                                        content: ["spec": ["auction": "capacity", "node": .string(without), "price": 0.000001]]))
        try await h.runBidding(seconds: 2)
        let a = try h.auction("capacity")
        #expect(a.status?["phase"] == "Closed")
        #expect(try h.store.get(ObjectKey(kind: "Bid", namespace: "default", name: "no-masking"))?.status?["message"]?.stringValue
                == "PrivacyCapabilityMissing: secureAggregation")
        let key = "auction:default/capacity"
        #expect(a.status?["lease"]?["reservationKey"]?.stringValue == key)
        let leased = a.status?["lease"]?["nodes"]?.arrayValue?.compactMap(\.stringValue) ?? []
        #expect(leased.count == 2 && !leased.contains(without))
        #expect(Set(leased) == Set(try h.bids("capacity").filter { $0.status?["outcome"] == "Won" }.compactMap { $0.spec?["node"]?.stringValue }))
        for name in leased {
            let node = try #require(try h.store.get(ObjectKey(kind: "FogNode", namespace: "", name: name)))
            #expect(node.status?["reservations"]?[key] == ["cpu": 2.0, "memoryGiB": 1.0, "gpu": 0])
            let facts = NodeFacts(node, spec: try node.decodeSpec(FogNodeSpec.self))
            #expect(abs(NodeCapacity(facts).freeCpu - (facts.capacityCpu - 2)) < 1e-9)
        }
        _ = try h.store.delete(ObjectKey(kind: "Auction", namespace: "default", name: "capacity"))
        try await eventually("the auction gone and its capacity given back", watching: h.store) {
            try h.store.get(ObjectKey(kind: "Auction", namespace: "default", name: "capacity")) == nil
                && h.store.list(kind: "FogNode", namespace: nil, selector: LabelSelector()).items.allSatisfy { $0.status?["reservations"]?[key] == nil }
        }
        await h.shutdown()
    }

    /// Deleting the job deletes its auction, whose bids are closed (none left Pending).
    @Test func deletingTheJobClosesEveryBid() async throws {
        let h = try await MarketHarness(nodes: 6)
        try h.apply(auctionJob("dropped", min: 2, budget: 50))
        try await h.fleet.settle()
        try await h.sim.bidOnOpenAuctions()
        try await h.fleet.settle()
        #expect(try !h.bids("dropped").isEmpty)
        _ = try h.store.delete(ObjectKey(kind: "FederatedJob", namespace: "default", name: "dropped"))
        try await eventually("the auction gone and its bids closed", watching: h.store) {
            try h.store.get(ObjectKey(kind: "Auction", namespace: "default", name: "dropped")) == nil
                && h.bids("dropped").allSatisfy { $0.status?["outcome"] == "Closed" && $0.status?["reason"] == "AuctionDeleted" }
        }
        await h.shutdown()
    }

    /// 50 auction jobs and 20 direct jobs over 200 simulated nodes, 5 of the auction jobs deleted
    /// while open: no node over-booked (read from the store), every reservation matches an
    /// allocation, and no bid is left open once its auction closed or its job was deleted.
    @Test func fiftyAuctionsAndTwentyDirectJobsNeverOverBook() async throws {
        let h = try await MarketHarness(nodes: 200, profiles: [.stable, .lowLatency, .loadBalanced])
        var yaml = ""
        for i in 0..<50 { yaml += auctionJob("auction-\(i)", namespace: "ns-\(i % 3)", min: 3, max: 4, budget: 500, cpu: 4) }
        for i in 0..<20 { yaml += job("direct-\(i)", namespace: "ns-\(i % 3)", min: 3, max: 4, budget: 500, cpu: 4) }
        try h.apply(yaml)
        try await h.fleet.settle()
        try await h.sim.bidOnOpenAuctions()
        try await h.fleet.settle()
        for i in 0..<5 { _ = try h.store.delete(ObjectKey(kind: "FederatedJob", namespace: "ns-\(i % 3)", name: "auction-\(i)")) }
        try await h.runBidding(seconds: 8, step: 1)
        try await h.fleet.settle()
        // Reconciles that lost a CAS race retry after a backoff on the manual clock.
        try await h.run(seconds: 3, step: 0.5)

        let nodes = try h.store.list(kind: "FogNode", namespace: nil, selector: LabelSelector()).items
        var holders: [String: Set<String>] = [:]
        for n in nodes {
            let c = NodeCapacity(NodeFacts(n, spec: try n.decodeSpec(FogNodeSpec.self)))
            #expect(c.reservedCpu <= c.cpu + 1e-9 && c.reservedMemoryGiB <= c.memoryGiB + 1e-9, "\(n.name) over-booked")
            for k in (n.status?["reservations"]?.objectValue ?? [:]).keys { holders[k, default: []].insert(n.name) }
        }
        var closed = 0
        for j in try h.store.list(kind: "FederatedJob", namespace: nil, selector: LabelSelector()).items {
            let participants = Set((j.status?["allocation"]?["participants"]?.arrayValue ?? []).compactMap { $0["node"]?.stringValue })
            #expect(participants == holders[j.namespace + "/" + j.name] ?? [], "\(j.name): allocation and reservations differ")
            #expect((j.status?["allocation"]?["totalPrice"]?.numberValue ?? 0) <= 500)
        }
        let auctions = try h.store.list(kind: "Auction", namespace: nil, selector: LabelSelector()).items
        #expect(auctions.count == 45)
        for a in auctions where a.status?["phase"] == "Closed" { closed += 1 }
        #expect(closed >= 40, "only \(closed) of 45 auctions cleared")
        let finished = Set(auctions.filter { $0.status?["phase"] != "Open" }.map { $0.namespace + "/" + $0.name })
        for b in try h.bids() {
            let a = b.namespace + "/" + (b.spec?["auction"]?.stringValue ?? "")
            if finished.contains(a) || !auctions.contains(where: { $0.namespace + "/" + $0.name == a }) {
                #expect(["Won", "Lost", "Closed"].contains(b.status?["outcome"]?.stringValue ?? ""), "bid \(b.name) left \(b.status?["outcome"]?.stringValue ?? "open")")
            }
        }
        await h.shutdown()
    }
}
