import FogAgent
import FogClient
@testable import FogControllers
import FogLearning
import FogModel
import FogStore
import FogTesting
import Foundation
import Testing

/// Hierarchical aggregation on the simulated fleet's aggregator nodes (the same
/// `RegionalAggregator` a real agent runs behind its peer endpoint): three regions, each
/// aggregator combining its region's updates and uploading one aggregate.
@Suite(.serialized) struct RegionalAggregationTests {
    static func tasks(_ h: TrainingHarness, job: String, round: Int) throws -> [Resource] {
        try h.store.list(kind: "TrainingTask", namespace: "default", selector: LabelSelector()).items
            .filter { $0.spec?["job"]?.stringValue == job && $0.spec?["round"]?.intValue == Int64(round) }
    }

    @Test func aggregatorNodesCombineTheirRegionsAndTheModelIsFlatFedAvg() async throws {
        let h = try await TrainingHarness(nodes: 6)
        _ = try h.store.apply(try manifests(trainingJob("flat", participants: 6, rounds: 4, learningRate: 0.5)), dryRun: false)
        try await h.train("flat")
        _ = try h.store.apply(try manifests(trainingJob("regional", participants: 6, rounds: 4, hierarchy: true, learningRate: 0.5)), dryRun: false)
        try await h.train("regional")
        let flat = try h.job("flat"), regional = try h.job("regional")
        #expect(flat.status?["phase"] == "Succeeded" && regional.status?["phase"] == "Succeeded")
        let aggregators = regional.status?["allocation"]?["aggregators"]?.objectValue ?? [:]
        #expect(aggregators.count == 3, "\(aggregators)")

        // The last round: one aggregate task per region, carried out on its aggregator node, which
        // combined its region's two updates; the participants sent their updates there, not to the server.
        let last = try Self.tasks(h, job: "regional", round: 4)
        let aggregates = last.filter { $0.spec?["type"] == "aggregate" }
        #expect(aggregates.count == 3)
        for a in aggregates {
            let node = try #require(a.spec?["node"]?.stringValue)
            #expect(aggregators[a.spec?["region"]?.stringValue ?? ""]?.stringValue == node)
            #expect(a.status?["phase"] == "Succeeded", "\(a.status ?? .null)")
            #expect(a.status?["contributors"]?.arrayValue?.count == 2)
            #expect(a.status?["aggregate"]?.stringValue?.hasPrefix("sha256:") == true)
            #expect((a.status?["bytesReceived"]?.intValue ?? 0) > 0)
            // Counted once, by the node that made the request: the aggregate's upload (and the model, on a miss) here, the updates by their senders.
            #expect((a.status?["traffic"]?["server"]?.intValue ?? 0) >= a.status?["bytesSent"]?.intValue ?? 1)
            #expect(a.status?["traffic"]?["withinRegion"] == 0)
            #expect(h.sim.logLines(of: node).contains { $0.contains("aggregate task default/\(a.name): Succeeded, 2 updates combined") })
        }
        let train = last.filter { $0.spec?["type"] != "aggregate" }
        #expect(train.count == 6)
        #expect(train.allSatisfy { t in t.status?["uploadedTo"]?.stringValue == aggregators[t.spec?["aggregator"]?["region"]?.stringValue ?? ""]?.stringValue
            && t.status?["update"] == nil })
        let rounds = regional.status?["training"]?["rounds"]?.arrayValue ?? []
        #expect(rounds.count == 4 && rounds.allSatisfy { $0["aggregators"]?.arrayValue?.count == 3 && $0["participants"] == 6 })

        // Nothing screened out: the global model is flat FedAvg's, to floating-point tolerance.
        let client = EmbeddedClient(store: h.store)
        let a = try ParameterBlob.decode(try await client.getBlob(flat.status?["training"]?["model"]?.stringValue ?? ""))
        let b = try ParameterBlob.decode(try await client.getBlob(regional.status?["training"]?["model"]?.stringValue ?? ""))
        let difference = zip(a, b).map { abs($0 - $1) }.max() ?? .infinity
        #expect(a.count == b.count && difference <= 1e-5, "max absolute difference \(difference)")

        // Bytes measured by the nodes: the server moved less with regional aggregation.
        let flatTraffic = TaskTraffic(json: flat.status?["training"]?["traffic"])
        let regionalTraffic = TaskTraffic(json: regional.status?["training"]?["traffic"])
        print("simulated fleet, 6 nodes in 3 regions, 4 rounds: bytes to/from the server flat \(flatTraffic.server), regional \(regionalTraffic.server); within regions \(regionalTraffic.withinRegion)")
        #expect(flatTraffic.withinRegion == 0 && flatTraffic.server > 0)
        #expect(regionalTraffic.server < flatTraffic.server && regionalTraffic.withinRegion > 0)
        // The same fetches and uploads, moved from the server's links to the regions' own.
        #expect(regionalTraffic.withinRegion == flatTraffic.server)
        #expect(regional.status?["training"]?["bytesCrossRegion"] == nil)
        await h.shutdown()
    }

    @Test func anAggregatorLostMidJobDoesNotStopIt() async throws {
        let h = try await TrainingHarness(nodes: 6)
        var job = try manifests(trainingJob("survives", participants: 6, rounds: 6, hierarchy: true, learningRate: 0.5))[0]
        job.content["spec"]?["participants"] = ["min": 4, "max": 6]
        _ = try h.store.apply([job], dryRun: false)
        // Two rounds with every aggregator.
        var steps = 0
        while try h.job("survives").status?["training"]?["round"]?.intValue ?? 0 < 3, steps < 200 {
            steps += 1
            try await h.sim.tick()
            try await h.sim.runTasks()
            try await h.fleet.settle()
        }
        let started = try h.job("survives")
        #expect(started.status?["training"]?["round"] == 3)
        let aggregators = started.status?["allocation"]?["aggregators"]?.objectValue ?? [:]
        let lost = try #require(aggregators.sorted { $0.key < $1.key }.first?.value.stringValue)
        // Round 3's tasks exist (the aggregator's among them); its node goes silent before doing them.
        h.sim.force(lost, online: false)
        try await h.train("survives", advance: 1)
        let done = try h.job("survives")
        #expect(done.status?["phase"] == "Succeeded", "\(done.status?["conditions"] ?? .null)")
        let rounds = done.status?["training"]?["rounds"]?.arrayValue ?? []
        #expect(rounds.count == 6)
        // Round 3: the lost region's other participant could not reach its aggregator and sent its update to the server.
        #expect(rounds[2]["dropped"]?.arrayValue?.contains(.string(lost)) == true, "\(rounds[2])")
        #expect((rounds[2]["participants"]?.intValue ?? 0) >= 5, "\(rounds[2])")
        #expect((done.status?["training"]?["accuracy"]?.numberValue ?? 0) > 0.8)
        await h.shutdown()
    }

    /// Under differential privacy the aggregators upload sums of clipped changes, never a
    /// model, and the controller adds the noise once.
    @Test func underPrivacyAggregatorsUploadClippedSums() async throws {
        let h = try await TrainingHarness(nodes: 6)
        _ = try h.store.apply(try manifests(trainingJob("private", participants: 6, rounds: 3, privacy: "medium", hierarchy: true, learningRate: 0.5)),
                              dryRun: false)
        try await h.train("private")
        let job = try h.job("private")
        #expect(job.status?["phase"] == "Succeeded", "\(job.status?["conditions"] ?? .null)")
        let privacy = try #require(job.status?["training"]?["privacy"])
        #expect((privacy["epsilon"]?.numberValue ?? 99) <= (privacy["epsilonBudget"]?.numberValue ?? 0))
        let aggregates = try Self.tasks(h, job: "private", round: 3).filter { $0.spec?["type"] == "aggregate" }
        #expect(aggregates.count == 3)
        for a in aggregates {
            #expect(a.spec?["aggregation"]?["clipNorm"]?.numberValue == privacy["clipNorm"]?.numberValue)
            #expect(a.status?["form"] == "clipped-sum", "\(a.status ?? .null)")
            // A sum of two changes each clipped to the clip norm.
            let sum = try ParameterBlob.decode(try await EmbeddedClient(store: h.store).getBlob(a.status?["aggregate"]?.stringValue ?? ""))
            #expect(Double(GaussianMechanism.l2Norm(sum)) <= 2 * (privacy["clipNorm"]?.numberValue ?? 0) + 1e-4)
        }
        await h.shutdown()
    }

    /// An aggregator lost after it accepted a participant's update and before it combined it:
    /// once its node is NotReady, the controller sends that participant's task again without the
    /// aggregator, and the round keeps the update.
    @Test func updatesALostAggregatorHeldAreSentAgainToTheServer() async throws {
        let h = try await TrainingHarness(nodes: 9)
        var job = try manifests(trainingJob("resent", participants: 9, rounds: 4, hierarchy: true, learningRate: 0.5))[0]
        job.content["spec"]?["participants"] = ["min": 6, "max": 9]
        _ = try h.store.apply([job], dryRun: false)
        var steps = 0
        while try h.job("resent").status?["training"]?["round"]?.intValue ?? 0 < 2, steps < 200 {
            steps += 1
            try await h.sim.tick()
            try await h.sim.runTasks()
            try await h.fleet.settle()
        }
        // Round 2's tasks exist and have not run. In a region with three participants, one stays silent,
        // so the aggregator holds the others' updates, waiting for it; then the aggregator is lost too.
        let allocation = try h.job("resent").status?["allocation"]
        let regionOf = Dictionary(uniqueKeysWithValues: (allocation?["participants"]?.arrayValue ?? []).compactMap { p -> (String, String)? in
            guard let n = p["node"]?.stringValue, let r = p["region"]?.stringValue else { return nil }
            return (n, r)
        })
        let candidates = (allocation?["aggregators"]?.objectValue ?? [:]).compactMap { r, n -> (String, String)? in
            guard let n = n.stringValue, regionOf.values.filter({ $0 == r }).count >= 3 else { return nil }
            return (r, n)
        }.sorted { $0.0 < $1.0 }
        let (region, aggregatorNode) = try #require(candidates.first)
        let silent = try #require(regionOf.filter { $0.value == region && $0.key != aggregatorNode }.keys.sorted().first)
        h.sim.force(silent, online: false)
        try await h.sim.runTasks()
        let round2 = try Self.tasks(h, job: "resent", round: 2)
        let held = round2.filter { $0.spec?["type"] != "aggregate" && $0.status?["uploadedTo"]?.stringValue == aggregatorNode && $0.spec?["node"]?.stringValue != aggregatorNode }
        #expect(!held.isEmpty, "\(round2.map { ($0.name, $0.status?["uploadedTo"] ?? .null) })")
        #expect(round2.first { $0.spec?["type"] == "aggregate" && $0.spec?["node"]?.stringValue == aggregatorNode }?.status == nil)
        h.sim.force(aggregatorNode, online: false)
        try await h.train("resent", advance: 1)

        let done = try h.job("resent")
        #expect(done.status?["phase"] == "Succeeded", "\(done.status?["conditions"] ?? .null)")
        let record = try #require((done.status?["training"]?["rounds"]?.arrayValue ?? []).first { $0["round"] == 2 })
        let dropped = Set((record["dropped"]?.arrayValue ?? []).compactMap(\.stringValue))
        #expect(dropped == [aggregatorNode, silent], "\(record)")
        #expect(record["participants"]?.intValue == 7, "\(record)")
        let events = try h.store.list(kind: "Event", namespace: "default", selector: LabelSelector()).items
        #expect(events.contains { $0.content["reason"] == "UpdatesResent" && ($0.content["message"]?.stringValue ?? "").contains("round 2") })
        await h.shutdown()
    }
}
