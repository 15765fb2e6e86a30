import FogAgent
import FogClient
import FogControllers
import FogFleet
import FogManifest
import FogMarket
import FogModel
import FogRuntime
import FogStore
import Foundation

/// `fog-bench auctions`: (1) clearing 10,000 sealed bids for 100 winners with FogMarket's
/// `AuctionClearing` (critical-value payments; without and with 3 required regions under a
/// hierarchy), beside sorting the same bids alone; goal ≤ 20 ms. (2) On the real path, 1,000
/// simulated nodes in an embedded store with every controller running: an auction job for 20
/// participants, every Ready node bidding at once; the time from the auction's `closesAt` to the
/// job's `Allocated` in the store (goal ≤ 100 ms), and from the job's creation to `Allocated`
/// with the default 2 s window. Akash, for scale: 5 minutes of bidding, at most 20 bids per order.
enum AuctionBenchmark {
    static func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }

    static func median(_ xs: [Double]) -> Double { let s = xs.sorted(); return s[s.count / 2] }

    static func randomBids(_ n: Int, seed: UInt64) -> [SealedBid] {
        var g = SplitMix64(seed: seed)
        func unit() -> Double { Double(g.next() >> 11) / Double(1 << 53) }
        let regions = ["eu-west", "us-east", "ap-south"]
        return (0..<n).map { i in
            SealedBid(id: "bid-\(i)", node: "node-\(i)", price: 0.1 + unit() * 2, trust: (unit() * 100).rounded() / 100,
                      region: regions[i % 3], aggregator: unit() < 0.2)
        }
    }

    static func run(dir: String) async throws {
        print("auctions: clearing 10,000 bids for 100 winners (critical value), median of 20")
        let bids = randomBids(10_000, seed: 15)
        for (label, rules) in [
            ("no regions", AuctionRules(reserve: 2.5, units: 1, minCount: 100, maxCount: 100)),
            ("3 regions, hierarchy", AuctionRules(reserve: 2.5, units: 1, minCount: 100, maxCount: 100, hierarchy: true,
                                                  requiredRegions: ["eu-west", "us-east", "ap-south"])),
        ] {
            var times: [Double] = []
            var winners = 0
            for _ in 0..<20 {
                let t0 = now()
                let o = AuctionClearing.clear(bids, rules: rules)
                times.append(now() - t0)
                winners = o.winners.count
            }
            print("  " + label.padding(toLength: 22, withPad: " ", startingAt: 0) + String(format: " %7.2f ms  (%d winners)", median(times) * 1000, winners))
        }
        var sortTimes: [Double] = []
        for _ in 0..<20 {
            let t0 = now()
            let sorted = bids.sorted { $0.price / (0.7 + 0.3 * $0.trust) < $1.price / (0.7 + 0.3 * $1.trust) }
            sortTimes.append(now() - t0)
            precondition(sorted.count == bids.count)
        }
        print(String(format: "  baseline: sorting the 10,000 bids alone %.2f ms", median(sortTimes) * 1000))

        try await endToEnd(dir: dir, nodes: 1_000)
    }

    static func endToEnd(dir: String, nodes: Int) async throws {
        let market = try BenchMarket(path: dir + "/auctions.db")
        let (store, client, logger) = (market.store, market.client, market.logger)
        var options = SimulatedFleet.Options()
        options.seed = 15
        options.bidding = false  // bids are placed below, at a known moment
        let fleet = SimulatedFleet(client: client, clock: SystemClock(), options: options)
        try await fleet.createNodes(count: nodes, profiles: [.stable, .lowLatency, .loadBalanced])
        for n in fleet.nodeNames { fleet.force(n, online: true) }
        try await fleet.tick()
        let manager = Manager(client: client, controllers: ControllerFamilies.controllers(), registry: SchemaSet.builtIn.registry, logger: logger)
        let managerTask = Task { try await manager.run() }
        let fleetTask = Task { try await fleet.run() }
        defer { managerTask.cancel(); fleetTask.cancel() }
        let waitStart = now()
        while try store.list(kind: "FogNode", namespace: nil, selector: LabelSelector()).items.filter({ $0.condition("Ready")?.status == .true }).count < nodes {
            if now() - waitStart > 60 { print("  end to end: the nodes were not Ready within 60 s"); return }
            try await Task.sleep(for: .milliseconds(20))
        }
        let job = """
            apiVersion: fog/v1alpha1
            kind: FederatedJob
            metadata: {name: bench, namespace: default}
            spec:
              type: training
              tier: medium
              data: {dataset: digits}
              training: {rounds: 10, roundTimeout: 60s}
              participants: {min: 20, max: 20}
              placement: {requirements: {cpu: 1, memoryGiB: 1}}
              allocation: {mode: auction}
              budget: {max: 1000}
            """
        let created = now()
        _ = try store.apply(try BenchMarket.objects(job), dryRun: false)
        let jobKey = ObjectKey(kind: "FederatedJob", namespace: "default", name: "bench")
        let auctionKey = ObjectKey(kind: "Auction", namespace: "default", name: "bench")
        while try store.get(auctionKey)?.status?["phase"]?.stringValue != "Open" {
            if now() - created > 30 { print("  end to end: no open auction within 30 s"); return }
            try await Task.sleep(for: .milliseconds(1))
        }
        let opened = now()
        let placed = try await fleet.bidOnOpenAuctions()
        let bidsPlaced = now()
        guard let closesText = try store.get(auctionKey)?.status?["closesAt"]?.stringValue, let closesAt = Timestamp.parse(closesText) else { return }
        while try store.get(jobKey)?.status?["allocation"]?["participants"]?.arrayValue?.isEmpty ?? true {
            if now() - created > 60 { print("  end to end: not allocated within 60 s"); return }
            try await Task.sleep(for: .milliseconds(1))
        }
        let allocatedWall = Date()
        let allocated = now()
        let auction = try store.get(auctionKey)
        print("auctions: end to end, \(nodes) simulated nodes, every controller in-process (embedded store)")
        print(String(format: "  job created → auction Open   %8.1f ms", (opened - created) * 1000))
        print(String(format: "  %d bids placed (one batch)  %8.1f ms", placed, (bidsPlaced - opened) * 1000))
        print(String(format: "  closesAt → job Allocated     %8.1f ms  (%@ winners, clearing %@)",
                     allocatedWall.timeIntervalSince(closesAt) * 1000,
                     auction?.status?["winnerCount"]?.intValue.map(String.init) ?? "?",
                     auction?.status?["clearingPrice"]?.numberValue.map { String(format: "%.4f", $0) } ?? "?"))
        print(String(format: "  job created → Allocated      %8.1f ms  (default window 2 s)", (allocated - created) * 1000))
        print("  Akash, for scale: bids wait 5 min (300,000 ms) per order, at most 20 open bids per order")
    }
}
