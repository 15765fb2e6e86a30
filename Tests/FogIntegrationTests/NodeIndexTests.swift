import FogClient
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
}
