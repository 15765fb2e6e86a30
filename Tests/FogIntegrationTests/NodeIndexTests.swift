import FogClient
import FogManifest
@testable import FogControllers
import FogMarket
import FogModel
import FogRuntime
import FogStore
import FogTesting
import Foundation
import Logging
import Testing

/// The node index that admission and allocation share follows a real informer on a
/// real store: nodes added, changed and deleted show up in its snapshots, in name order.
@Suite struct NodeIndexTests {
    @Test func followsTheInformerThroughAddsUpdatesAndDeletes() async throws {
        let dir = NSTemporaryDirectory() + "fog-index-" + UUID().uuidString.lowercased()
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let store = try SQLiteStore(path: dir + "/state.db")
        let client = EmbeddedClient(store: store)
        func node(_ name: String, cpu: Double) -> Resource {
            Resource(kind: "FogNode", metadata: ObjectMeta(name: name),
                     content: ["spec": ["region": "eu-west", "class": "edge", "capacity": ["cpu": .double(cpu), "memoryGiB": 16]]])
        }
        _ = try store.apply([node("b", cpu: 4), node("a", cpu: 8)], dryRun: false)
        let cache = InformerSet(kinds: ["FogNode"], client: client, logger: Logger(label: "test"))
        let informers = Task { await withTaskGroup(of: Void.self) { g in for i in cache.informers.values { g.addTask { await i.run() } } } }
        defer { informers.cancel() }
        try await eventually("synced", wakingOn: [cache.activity]) { cache.allSynced }

        let index = NodeIndex()
        var snap = index.snapshot(cache)
        #expect(snap.nodes.map(\.name) == ["a", "b"])
        #expect(snap["b"]?.capacityCpu == 4)

        // An update replaces the node in place; a reservation is decoded; a new node joins in order.
        var b = try #require(try store.get(ObjectKey(kind: "FogNode", namespace: "", name: "b")))
        b.status = ["reservations": ["ns/job": ["cpu": 2, "memoryGiB": 1, "gpu": 0]]]
        _ = try store.updateStatus(b)
        _ = try store.apply([node("c", cpu: 2)], dryRun: false)
        let head = try store.currentRevision()
        try await eventually("caught up", wakingOn: [cache.activity]) { cache.revision >= head }
        snap = index.snapshot(cache)
        #expect(snap.nodes.map(\.name) == ["a", "b", "c"])
        #expect(snap["b"]?.reservedCpu == 2)
        #expect(NodeCapacity(try #require(snap["b"])).freeCpu == 2)
        #expect(NodeCapacity(try #require(snap["b"]), excluding: "ns/job").freeCpu == 4)

        // A deleted node leaves; an earlier snapshot is unchanged (copy on write).
        let before = snap
        _ = try store.delete(ObjectKey(kind: "FogNode", namespace: "", name: "a"))
        let head2 = try store.currentRevision()
        try await eventually("caught up", wakingOn: [cache.activity]) { cache.revision >= head2 }
        snap = index.snapshot(cache)
        #expect(snap.nodes.map(\.name) == ["b", "c"])
        #expect(snap["a"] == nil)
        #expect(before.nodes.map(\.name) == ["a", "b", "c"])
    }

    /// A pool of candidates for one shape of job follows the index's change log: after nodes
    /// change it looks at those nodes only, and holds exactly what a pass over every node finds;
    /// once older than the scoring inputs' lifetime it is rebuilt from every node.
    @Test func candidatePoolsFollowTheChangesAndMatchAPassOverEveryNode() async throws {
        let dir = NSTemporaryDirectory() + "fog-pools-" + UUID().uuidString.lowercased()
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let store = try SQLiteStore(path: dir + "/state.db")
        let client = EmbeddedClient(store: store)
        var rng = SplitMix64(seed: 7)
        func below(_ n: Int) -> Int { Int(rng.next() % UInt64(n)) }
        func node(_ name: String) -> Resource {
            Resource(kind: "FogNode", metadata: ObjectMeta(name: name),
                     content: ["spec": ["region": .string(["eu-west", "us-east"][below(2)]), "class": "edge",
                                        "roles": below(3) == 0 ? ["compute", "aggregator"] : ["compute"],
                                        "price": ["askPerHour": .double(Double(below(3)) / 10)],
                                        "capacity": ["cpu": .int(Int64(1 + below(8))), "memoryGiB": 16]]])
        }
        _ = try store.apply((0..<40).map { node(String(format: "n%02d", $0)) }, dryRun: false)
        let cache = InformerSet(kinds: ["FogNode"], client: client, logger: Logger(label: "test"))
        let informers = Task { await withTaskGroup(of: Void.self) { g in for i in cache.informers.values { g.addTask { await i.run() } } } }
        defer { informers.cancel() }
        try await eventually("synced", wakingOn: [cache.activity]) { cache.allSynced }

        let job = try ManifestDecoder().decode([ManifestInput(name: "job.yaml", bytes: Array("""
            apiVersion: fog/v1alpha1
            kind: FederatedJob
            metadata: {name: j, namespace: team}
            spec:
              type: training
              tier: medium
              data: {dataset: digits}
              participants: {min: 3, max: 5}
              placement: {requirements: {cpu: 3, memoryGiB: 1}}
            """.utf8))])[0].resource
        let shape = CandidatePools.Shape(JobView(key: job.key, spec: try job.decodeSpec(FederatedJobSpec.self)), tier: "medium", tierGeneration: 1)
        let index = NodeIndex()
        let pools = CandidatePools()
        let eligible: (NodeFacts) -> Bool = { NodeCapacity($0).freeCpu >= 3 }
        let score: (NodeFacts) -> Double = { $0.capacityCpu * 10 - $0.reservedCpu }
        func everyNode() -> [String] { index.snapshot(cache).nodes.filter(eligible).map { "\($0.name)=\(score($0))" } }
        let t0 = TestEpoch.date.timeIntervalSince1970

        let first = pools.candidates(shape, index: index, cache: cache, now: t0, eligible: eligible, score: score)
        #expect(first.rescored == 40)
        #expect(first.entries.map { "\($0.name)=\($0.score)" } == everyNode())
        for step in 1...6 {
            // Three changes: a reservation on one node, a new node, a node deleted.
            let names = index.snapshot(cache).nodes.map(\.name)
            var reserved = try #require(try store.get(ObjectKey(kind: "FogNode", namespace: "", name: names[below(names.count)])))
            reserved.status = ["reservations": ["team/other-\(step)": ["cpu": .int(Int64(1 + below(3))), "memoryGiB": 1, "gpu": 0]]]
            _ = try store.updateStatus(reserved)
            _ = try store.create(node("m\(step)"))
            let gone = names.filter { $0 != reserved.name }[below(names.count - 1)]
            _ = try store.delete(ObjectKey(kind: "FogNode", namespace: "", name: gone))
            let head = try store.currentRevision()
            try await eventually("caught up", wakingOn: [cache.activity]) { cache.revision >= head }
            let pooled = pools.candidates(shape, index: index, cache: cache, now: t0 + 0.1 * Double(step), eligible: eligible, score: score)
            #expect(pooled.rescored <= 3, "step \(step): \(pooled.rescored) nodes looked at")
            #expect(pooled.entries.map { "\($0.name)=\($0.score)" } == everyNode(), "step \(step)")
            // A job choosing at most three takes the undominated ones among them, from the levels kept.
            let best = pools.candidates(shape, index: index, cache: cache, now: t0 + 0.1 * Double(step), eligible: eligible, score: score,
                                        take: .undominated(count: 3), excluding: [names[0]])
            let expected = CandidateDominance.undominated(pooled.entries.filter { $0.name != names[0] }.map {
                Candidate(id: $0.name, score: $0.score, price: $0.ask, region: $0.node.region, aggregator: $0.aggregator)
            }, k: 3)
            #expect(best.rescored == 0)
            #expect(best.entries.map(\.name).sorted() == expected.map(\.id).sorted(), "step \(step)")
            #expect(best.entries.count < pooled.entries.count)
        }
        let late = pools.candidates(shape, index: index, cache: cache, now: t0 + 1 + NodeIndex.statsLifetime, eligible: eligible, score: score)
        #expect(late.rescored == index.snapshot(cache).nodes.count)
        #expect(late.entries.map { "\($0.name)=\($0.score)" } == everyNode())
    }
}
