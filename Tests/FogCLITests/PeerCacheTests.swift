import FogCLI
import FogModel
import FogStore
import FogTesting
import Foundation
import Testing

/// The regional model cache on real processes: in two regions, each region's aggregator agent
/// serves the global model to its region's participants over HTTP; the server sends each model
/// to a region once a round, and the job trains as it would without the caches.
@Suite(.serialized) struct PeerCacheTests {
    @Test func aggregatorAgentsServeTheirRegionsTheGlobalModel() async throws {
        let binary = try #require(Harness.fogctlBinary())
        let h = try Harness()
        let nodes = [("eu-agg", "eu-west", true), ("eu-1", "eu-west", false), ("us-agg", "us-east", true), ("us-1", "us-east", false)]
        let tokens = "tokens:\n- {token: admin-token, user: me, role: admin}\n"
            + nodes.map { "- {token: \($0.0)-agent-token, user: \($0.0), role: agent, node: \($0.0)}\n" }.joined()
        let (store, server) = try await h.serverWithControllers(tokens: tokens)
        defer { Task { await server.stop() } }
        var agents: [Process] = []
        defer { for p in agents where p.isRunning { p.terminate() } }
        for (name, region, aggregator) in nodes {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: binary)
            p.arguments = ["agent", "--server", server.baseURL, "--token", "\(name)-agent-token", "--node", name, "--class", "fog",
                           "--region", region, "--interval", "200ms", "--data", Harness.root + "/examples/data",
                           "--roles", aggregator ? "compute,aggregator" : "compute"] + (aggregator ? ["--peer-listen", "127.0.0.1:0"] : [])
            p.standardOutput = FileHandle.nullDevice
            p.standardError = FileHandle.nullDevice
            try p.run()
            agents.append(p)
        }
        // Both aggregators have published where they serve.
        try await eventually("peer addresses published", limit: 60, watching: store) {
            try ["eu-agg", "us-agg"].allSatisfy { try store.get(ObjectKey(kind: "FogNode", namespace: "", name: $0))?.status?["peer"]?["address"] != nil }
        }
        var job = try Harness.digitsJob("cached-digits", roundTimeout: "30s")[0]
        job.content["spec"]?["participants"] = ["min": 4, "max": 4]
        job.content["spec"]?["hierarchy"] = ["enabled": true]
        _ = try store.apply([job], dryRun: false)
        try await eventually("cached-digits Succeeded", limit: 90, watching: store) { try store.get(job.key)?.status?["phase"] == "Succeeded" }
        let done = try #require(try store.get(job.key))
        let aggregators = done.status?["allocation"]?["aggregators"]?.objectValue ?? [:]
        #expect(aggregators == ["eu-west": "eu-agg", "us-east": "us-agg"], "\(aggregators)")
        let cache = try #require(done.status?["training"]?["modelCache"])
        let hits = cache["hits"]?.intValue ?? 0, misses = cache["misses"]?.intValue ?? 0, direct = cache["direct"]?.intValue ?? 0
        // 3 rounds × 4 participants: every fetch is counted once; the regions' caches took most.
        #expect(hits + misses + direct == 12, "\(cache)")
        #expect(hits >= 3 && misses >= 1, "\(cache)")
        #expect((cache["serverBytes"]?.intValue ?? 0) < (cache["bytesWithoutCache"]?.intValue ?? 0))
        #expect((done.status?["training"]?["accuracy"]?.numberValue ?? 0) > 0.8)
        // Counted at the server's socket: the model bytes agents downloaded are those the
        // participants reported the server sent (the caches' misses; nothing went direct).
        let metrics = server.api.metrics.render()
        let line = metrics.split(separator: "\n").first { $0.hasPrefix("fog_blob_bytes_total{") && $0.contains("direction=\"out\"") && $0.contains("role=\"agent\"") }
        let out = Int(line?.split(separator: " ").last ?? "") ?? -1
        #expect(direct > 0 || out == Int(cache["serverBytes"]?.intValue ?? 0), "\(line ?? "no blob metric") against \(cache)")
        // The aggregators count what they served (reported with their heartbeats).
        try await eventually("the caches' counters reported", limit: 30, watching: store) {
            let served = try ["eu-agg", "us-agg"].map { try store.get(ObjectKey(kind: "FogNode", namespace: "", name: $0))?.status?["modelCache"]?["hits"]?.intValue ?? 0 }
            return served.reduce(0, +) >= hits
        }
    }
}
