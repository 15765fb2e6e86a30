import FogCLI
import FogClient
import FogLearning
import FogModel
import FogStore
import FogTesting
import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Testing

/// Regional aggregation on real processes: four `fogctl agent`s in two regions, one aggregator
/// each (`--roles compute,aggregator --peer-listen`). The aggregators receive their region's
/// updates over HTTP, combine them and upload one aggregate each; the server combines the two.
@Suite(.serialized) struct RegionalAggregationCLITests {
    static let nodes = [("eu-agg", "eu-west", true), ("eu-1", "eu-west", false), ("us-agg", "us-east", true), ("us-1", "us-east", false)]

    static func startAgent(_ binary: String, _ server: TestServer, name: String, region: String, aggregator: Bool) throws -> Process {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: binary)
        p.arguments = ["agent", "--server", server.baseURL, "--token", "\(name)-agent-token", "--node", name, "--class", "fog",
                       "--region", region, "--interval", "200ms", "--data", Harness.root + "/examples/data", "--no-bid",
                       "--roles", aggregator ? "compute,aggregator" : "compute"] + (aggregator ? ["--peer-listen", "127.0.0.1:0"] : [])
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        return p
    }

    static func job(_ name: String, rounds: Int, min: Int, roundTimeout: String) throws -> Resource {
        var job = try Harness.digitsJob(name, roundTimeout: roundTimeout)[0]
        job.content["spec"]?["participants"] = ["min": .int(Int64(min)), "max": 4]
        job.content["spec"]?["hierarchy"] = ["enabled": true]
        job.content["spec"]?["training"]?["rounds"] = .int(Int64(rounds))
        return job
    }

    @Test func aggregatorAgentsCombineTheirRegionsAndLosingOneDoesNotStopTheJob() async throws {
        let binary = try #require(Harness.fogctlBinary())
        let h = try Harness()
        let tokens = "tokens:\n- {token: admin-token, user: me, role: admin}\n"
            + Self.nodes.map { "- {token: \($0.0)-agent-token, user: \($0.0), role: agent, node: \($0.0)}\n" }.joined()
        let (store, server) = try await h.serverWithControllers(tokens: tokens)
        defer { Task { await server.stop() } }
        var agents: [String: Process] = [:]
        defer { for p in agents.values where p.isRunning { p.terminate() } }
        for (name, region, aggregator) in Self.nodes {
            agents[name] = try Self.startAgent(binary, server, name: name, region: region, aggregator: aggregator)
        }
        try await eventually("peer addresses published", limit: 60, watching: store) {
            try ["eu-agg", "us-agg"].allSatisfy { try store.get(ObjectKey(kind: "FogNode", namespace: "", name: $0))?.status?["peer"]?["address"] != nil }
        }

        // 1. Every round's updates are combined on the aggregator agents.
        let job = try Self.job("regional-digits", rounds: 3, min: 4, roundTimeout: "30s")
        _ = try store.apply([job], dryRun: false)
        try await eventually("regional-digits Succeeded", limit: 90, watching: store) { try store.get(job.key)?.status?["phase"] == "Succeeded" }
        let done = try #require(try store.get(job.key))
        #expect((done.status?["allocation"]?["aggregators"]?.objectValue ?? [:]) == ["eu-west": "eu-agg", "us-east": "us-agg"])
        let last = try store.list(kind: "TrainingTask", namespace: "default", selector: LabelSelector()).items
            .filter { $0.spec?["job"] == "regional-digits" && $0.spec?["round"] == 3 }
        let aggregates = last.filter { $0.spec?["type"] == "aggregate" }
        #expect(Set(aggregates.compactMap { $0.spec?["node"]?.stringValue }) == ["eu-agg", "us-agg"])
        for a in aggregates {
            // The aggregator agent's own record: what it combined, and its log.
            #expect(a.status?["phase"] == "Succeeded", "\(a.status ?? .null)")
            #expect(a.status?["contributors"]?.arrayValue?.count == 2, "\(a.status ?? .null)")
            #expect(a.status?["aggregate"]?.stringValue != nil)
            #expect(a.status?["log"]?.arrayValue?.contains { $0.stringValue?.contains("combined 2 updates") == true } == true)
        }
        let train = last.filter { $0.spec?["type"] != "aggregate" }
        #expect(train.count == 4)
        #expect(train.allSatisfy { $0.status?["uploadedTo"]?.stringValue == $0.spec?["aggregator"]?["node"]?.stringValue && $0.status?["update"] == nil })
        let traffic = TaskTraffic(json: done.status?["training"]?["traffic"])
        #expect(traffic.withinRegion > 0 && traffic.server > 0, "\(traffic)")

        // Nothing screened out: the last round's global model is flat FedAvg over the four
        // participants' updates, recomputed here from their tasks (same model, shard and seed).
        let client = EmbeddedClient(store: store)
        let data = DataCatalog(directory: Harness.root + "/examples/data")
        var updates: [Update] = []
        for t in train {
            let spec = try t.decodeSpec(TrainingTaskSpec.self)
            let recipe = try TaskRecipe(task: spec)
            let global = try ParameterBlob.decode(try await client.getBlob(try #require(spec.model)))
            let shard = try data.shard(recipe)
            let model = recipe.model.make(featureCount: shard.featureCount, classCount: max(shard.classCount, 10))
            let result = LocalTraining.train(model: model, from: global, on: shard, config: recipe.training,
                                             seed: SplitMix64.mix(recipe.seed, 4, spec.round, recipe.shardIndex))
            #expect(Int64(result.samples) == t.status?["samples"]?.intValue)
            updates.append(Update(id: spec.node, parameters: try ParameterBlob.decodeUpdate(ParameterBlob.encodeUpdate(result.parameters, codec: recipe.codec)),
                                  samples: result.samples))
        }
        let flat = try Aggregator(strategy: .fedavg).aggregate(updates).parameters
        let trained = try ParameterBlob.decode(try await client.getBlob(done.status?["training"]?["model"]?.stringValue ?? ""))
        let difference = zip(flat, trained).map { abs($0 - $1) }.max() ?? .infinity
        #expect(flat.count == trained.count && difference <= 1e-5, "max absolute difference \(difference)")

        // 2. An aggregator killed mid-round: us-1 is paused (SIGSTOP) so that us-agg holds its own
        // update of a round it cannot combine yet; us-agg is then killed (SIGKILL) and us-1 resumed.
        let second = try Self.job("regional-survives", rounds: 6, min: 3, roundTimeout: "10s")
        _ = try store.apply([second], dryRun: false)
        try await eventually("regional-survives in round 2", limit: 60, watching: store) {
            (try store.get(second.key)?.status?["training"]?["round"]?.intValue ?? 0) >= 2
        }
        let victim = try #require(agents["us-agg"]), paused = try #require(agents["us-1"])
        kill(paused.processIdentifier, SIGSTOP)
        func tasks(round: Int) throws -> [Resource] {
            try store.list(kind: "TrainingTask", namespace: "default", selector: LabelSelector()).items
                .filter { $0.spec?["job"] == "regional-survives" && $0.spec?["round"]?.intValue == Int64(round) }
        }
        var killRound = 0
        try await eventually("us-agg holding an update it has not combined", limit: 60, watching: store) {
            let round = Int(try store.get(second.key)?.status?["training"]?["round"]?.intValue ?? 0)
            let current = try tasks(round: round)
            let collecting = current.contains { $0.spec?["type"] == "aggregate" && $0.spec?["node"] == "us-agg" && $0.status?["phase"] == nil }
            let handed = current.contains { $0.spec?["type"] != "aggregate" && $0.spec?["node"] == "us-agg" && $0.status?["uploadedTo"] == "us-agg" }
            killRound = round
            return collecting && handed
        }
        kill(victim.processIdentifier, SIGKILL)
        victim.waitUntilExit()
        kill(paused.processIdentifier, SIGCONT)
        // us-1's update of that round: its aggregator is gone, so it goes to the server.
        var fallback: JSONValue = .null
        try await eventually("us-1's task of round \(killRound) reported", limit: 60, watching: store) {
            guard let t = try tasks(round: killRound).first(where: { $0.spec?["node"] == "us-1" }), t.status?["phase"] != nil else { return false }
            fallback = t.status ?? .null
            return true
        }
        #expect(fallback["phase"] == "Succeeded" && fallback["uploadedTo"] == "server", "\(fallback)")
        try await eventually("regional-survives Succeeded", limit: 150, watching: store) {
            let phase = try store.get(second.key)?.status?["phase"]?.stringValue
            return phase == "Succeeded" || phase == "Failed"
        }
        let survived = try #require(try store.get(second.key))
        #expect(survived.status?["phase"] == "Succeeded", "\(survived.status?["conditions"] ?? .null)")
        let rounds = survived.status?["training"]?["rounds"]?.arrayValue ?? []
        #expect(rounds.count == 6)
        // The round it died in completed: us-agg's own update went with it; the three others were combined
        // (eu-agg's aggregate of its region, us-1's update at the server).
        let record = try #require(rounds.first { $0["round"]?.intValue == Int64(killRound) })
        #expect(record["dropped"] == ["us-agg"] && record["participants"] == 3, "\(record)")
        #expect((survived.status?["training"]?["accuracy"]?.numberValue ?? 0) > 0.8)
    }
}
