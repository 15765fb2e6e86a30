import FogAPI
import FogClient
import FogModel
import FogStore
import FogTesting
import Foundation
import Testing

final class TempStore {
    let dir = NSTemporaryDirectory() + "fog-store-" + UUID().uuidString.lowercased()
    var path: String { dir + "/state.db" }
    let store: SQLiteStore
    init() throws { store = try SQLiteStore(path: dir + "/state.db", now: { TestEpoch.date }) }
    deinit { try? FileManager.default.removeItem(atPath: dir) }
}

func node(_ name: String, cpu: Int64 = 4, labels: [String: String] = [:]) -> Resource {
    var meta = ObjectMeta(name: name)
    meta.labels = labels
    return Resource(kind: "FogNode", metadata: meta,
                    content: ["spec": ["region": "eu-west", "class": "edge", "capacity": ["cpu": .int(cpu), "memoryGiB": 8]]])
}

@Suite struct StoreTests {
    @Test func createSetsServerMetadataAndRevisionsIncreaseStoreWide() throws {
        let t = try TempStore()
        let a = try t.store.create(node("a"))
        let b = try t.store.create(node("b"))
        #expect(a.metadata.resourceVersion == 1)
        #expect(b.metadata.resourceVersion == 2)
        #expect(a.metadata.generation == 1)
        #expect(!a.metadata.uid.isEmpty && a.metadata.uid != b.metadata.uid)
        #expect(a.metadata.creationTimestamp == Timestamp.format(TestEpoch.date))
        #expect(try t.store.get(a.key) == a)
        #expect(throws: StoreError(.alreadyExists, "fognode \"a\" already exists")) { try t.store.create(node("a")) }
    }

    @Test func generationMovesOnlyWithSpec() throws {
        let t = try TempStore()
        var a = try t.store.create(node("a"))
        a.metadata.labels = ["x": "y"]
        a = try t.store.update(a)
        #expect(a.metadata.generation == 1)
        #expect(a.metadata.resourceVersion == 2)
        a.spec?["region"] = "us-east"
        a = try t.store.update(a)
        #expect(a.metadata.generation == 2)
        a.status = ["trust": 0.5]
        a = try t.store.updateStatus(a)
        #expect(a.metadata.generation == 2)
        #expect(a.status?["trust"] == .double(0.5))
        // A no-op write neither bumps the revision nor logs an event.
        let again = try t.store.update(a)
        #expect(again.metadata.resourceVersion == a.metadata.resourceVersion)
        #expect(try t.store.currentRevision() == a.metadata.resourceVersion)
    }

    @Test func updateNeverWritesStatusAndStatusUpdateNeverWritesSpec() throws {
        let t = try TempStore()
        var a = try t.store.create(node("a"))
        a.status = ["phase": "Ready"]
        a = try t.store.updateStatus(a)
        var viaUpdate = a
        viaUpdate.status = ["phase": "Hacked"]
        viaUpdate.spec?["class"] = "fog"
        let u = try t.store.update(viaUpdate)
        #expect(u.status?["phase"] == .string("Ready"))
        var viaStatus = u
        viaStatus.spec?["class"] = "cloud"
        viaStatus.status = ["phase": "Done"]
        let s = try t.store.updateStatus(viaStatus)
        #expect(s.spec?["class"] == .string("fog"))
        #expect(s.status?["phase"] == .string("Done"))
    }

    @Test func staleResourceVersionIsAConflictNeverAnOverwrite() throws {
        let t = try TempStore()
        let original = try t.store.create(node("a"))
        var first = original
        first.spec?["class"] = "fog"
        _ = try t.store.update(first)
        var second = original  // still carries resourceVersion 1
        second.spec?["class"] = "cloud"
        #expect {
            try t.store.update(second)
        } throws: { ($0 as? StoreError)?.code == .conflict && ($0 as? StoreError)?.httpStatus == 409 }
        #expect(throws: StoreError.self) { try t.store.updateStatus(second) }
        #expect(try t.store.get(original.key)?.spec?["class"] == .string("fog"))
    }

    @Test func finalizersHoldDeletionUntilRemoved() throws {
        let t = try TempStore()
        var n = node("a")
        n.metadata.finalizers = ["fog/cleanup"]
        let created = try t.store.create(n)
        guard case .markedForDeletion(let marked) = try t.store.delete(created.key) else {
            Issue.record("expected the object to be only marked")
            return
        }
        #expect(marked.metadata.deletionTimestamp == Timestamp.format(TestEpoch.date))
        #expect(try t.store.get(created.key) != nil)
        var cleared = marked
        cleared.metadata.finalizers = []
        _ = try t.store.update(cleared)
        #expect(try t.store.get(created.key) == nil)
        let events = try t.store.events(after: 0, limit: 100)
        #expect(events.map(\.type) == [.added, .modified, .deleted])
        #expect(events.map(\.revision) == [1, 2, 3])
    }

    @Test func applyIsIdempotentAndAllOrNothing() throws {
        let t = try TempStore()
        let first = try t.store.apply([node("a"), node("b")], dryRun: false)
        #expect(first.map(\.action) == [.created, .created])
        let rev = try t.store.currentRevision()
        let second = try t.store.apply([node("a"), node("b")], dryRun: false)
        #expect(second.map(\.action) == [.unchanged, .unchanged])
        #expect(try t.store.currentRevision() == rev)
        #expect(second.map(\.object.metadata.generation) == [1, 1])
        let third = try t.store.apply([node("a", cpu: 8), node("b")], dryRun: false)
        #expect(third.map(\.action) == [.configured, .unchanged])
        #expect(third[0].object.metadata.generation == 2)
        // Dry run reports without writing.
        let dry = try t.store.apply([node("a", cpu: 16), node("c")], dryRun: true)
        #expect(dry.map(\.action) == [.configured, .created])
        #expect(try t.store.get(node("c").key) == nil)
        #expect(try t.store.get(node("a").key)?.spec?.value(at: "capacity.cpu") == .int(8))
    }

    @Test func applyKeepsStatusAndControllerFinalizers() throws {
        let t = try TempStore()
        var a = try t.store.apply([node("a")], dryRun: false)[0].object
        a.metadata.finalizers = ["fog/allocation"]
        a = try t.store.update(a)
        a.status = ["trust": 0.9]
        a = try t.store.updateStatus(a)
        let again = try t.store.apply([node("a", cpu: 6)], dryRun: false)[0]
        #expect(again.action == .configured)
        #expect(again.object.status?["trust"] == .double(0.9))
        #expect(again.object.metadata.finalizers == ["fog/allocation"])
    }

    @Test func equalitySelectorsMatchEscapedLabels() throws {
        let t = try TempStore()
        _ = try t.store.apply([node("a", labels: ["fog/class": "edge"]), node("b", labels: ["fog/class": "cloud"])], dryRun: false)
        // Equality requirements skip bodies without the encoded pair; the rest are still checked in full.
        _ = try t.store.apply([node("d", labels: ["team": "a\"b/ü", "fog/class": "edge"]), node("e", labels: ["other": "fog/class"])], dryRun: false)
        #expect(try t.store.list(kind: "FogNode", namespace: nil, selector: LabelSelector([.equals("team", "a\"b/ü")])).items.map(\.name) == ["d"])
        #expect(try t.store.list(kind: "FogNode", namespace: nil, selector: LabelSelector([.equals("fog/class", "edge")])).items.map(\.name) == ["a", "d"])
        #expect(try t.store.list(kind: "FogNode", namespace: nil, selector: LabelSelector([.equals("fog/class", "edge"), .equals("team", "x")])).items.isEmpty)
    }

    @Test func listFiltersByNamespaceAndSelector() throws {
        let t = try TempStore()
        _ = try t.store.apply([node("a", labels: ["fog/class": "edge"]), node("b", labels: ["fog/class": "cloud"]), node("c")], dryRun: false)
        var job = Resource(kind: "GitSource", metadata: ObjectMeta(name: "g", namespace: "team-a"), content: ["spec": ["url": "x"]])
        _ = try t.store.create(job)
        job.metadata.namespace = "team-b"
        _ = try t.store.create(job)
        #expect(try t.store.list(kind: "FogNode", namespace: nil, selector: LabelSelector.parse("fog/class")).items.map(\.name) == ["a", "b"])
        #expect(try t.store.list(kind: "FogNode", namespace: nil, selector: LabelSelector.parse("fog/class notin (cloud)")).items.map(\.name) == ["a", "c"])
        #expect(try t.store.list(kind: "GitSource", namespace: "team-a", selector: LabelSelector()).items.count == 1)
        #expect(try t.store.list(kind: "GitSource", namespace: nil, selector: LabelSelector()).items.count == 2)
        #expect(try t.store.list(kind: "FogNode", namespace: nil, selector: LabelSelector()).revision == 5)
    }

    @Test func compactedRevisionsAreReportedAsExpired() throws {
        let t = try TempStore()
        for i in 0..<5 { _ = try t.store.create(node("n\(i)")) }
        try t.store.compact(before: 4)
        #expect(try t.store.events(after: 3, limit: 10).map(\.revision) == [4, 5])
        #expect { try t.store.events(after: 1, limit: 10) } throws: { ($0 as? StoreError)?.httpStatus == 410 }
    }

    /// Two stores on one file are two SQLite connections, as two processes are:
    /// concurrent read-modify-write loops that retry on conflict lose no increment.
    @Test func concurrentWritersOnOneFileLoseNoWrite() async throws {
        let t = try TempStore()
        var counter = node("counter")
        counter.metadata.annotations = ["count": "0"]
        _ = try t.store.create(counter)
        let other = try SQLiteStore(path: t.path)
        let perWriter = 60
        let key = counter.key
        try await withThrowingTaskGroup(of: Int.self) { group in
            for store in [t.store, other] {
                group.addTask {
                    var conflicts = 0
                    for _ in 0..<perWriter {
                        while true {
                            var c = try store.get(key)!
                            c.metadata.annotations["count"] = String(Int(c.metadata.annotations["count"]!)! + 1)
                            do { _ = try store.update(c); break } catch let e as StoreError where e.code == .conflict { conflicts += 1 }
                        }
                    }
                    return conflicts
                }
            }
            for try await _ in group {}
        }
        #expect(try t.store.get(key)?.metadata.annotations["count"] == String(2 * perWriter))
        #expect(try t.store.currentRevision() == Int64(1 + 2 * perWriter))
    }
}

@Suite struct UIDTests {
    @Test func randomUIDsAreVersion4UUIDsInLowercase() {
        var seen = Set<String>()
        for _ in 0..<1000 {
            let u = SQLiteStore.randomUID()
            #expect(u.count == 36)
            let parts = u.split(separator: "-").map(\.count)
            #expect(parts == [8, 4, 4, 4, 12])
            #expect(u.allSatisfy { "0123456789abcdef-".contains($0) })
            #expect(Array(u)[14] == "4")
            #expect("89ab".contains(Array(u)[19]))
            #expect(UUID(uuidString: u) != nil)
            seen.insert(u)
        }
        #expect(seen.count == 1000)
    }
}

@Suite struct StatusPatchTests {
    @Test func mergePatchMergesRemovesAndIsANoOpWhenNothingChanges() throws {
        let t = try TempStore()
        var a = try t.store.create(node("a"))
        a.status = ["conditions": [["type": "Ready", "status": "True"]], "telemetry": ["cpu": ["count": 4, "utilization": 0.5]]]
        a = try t.store.updateStatus(a)
        let patched = try t.store.patchStatus(a.key, ["lastHeartbeatTime": "2026-11-22T10:00:00Z",
                                                       "telemetry": ["cpu": ["utilization": nil, "load1": 1.5], "rttMillis": 3.0]])
        #expect(patched.metadata.resourceVersion == a.metadata.resourceVersion + 1)
        #expect(patched.metadata.generation == a.metadata.generation)
        #expect(patched.status?["telemetry"] == ["cpu": ["count": 4, "load1": 1.5], "rttMillis": 3.0])
        // What the patch does not name is kept: a controller's conditions survive an agent's heartbeat.
        #expect(patched.status?["conditions"] == a.status?["conditions"])
        #expect(patched.spec == a.spec)
        // The same patch again changes nothing and writes nothing.
        let again = try t.store.patchStatus(a.key, ["lastHeartbeatTime": "2026-11-22T10:00:00Z"])
        #expect(again.metadata.resourceVersion == patched.metadata.resourceVersion)
        #expect(try t.store.currentRevision() == patched.metadata.resourceVersion)
        #expect(throws: AdmissionError.self) { try t.store.patchStatus(a.key, ["x", "y"]) }
        #expect(throws: StoreError.self) { try t.store.patchStatus(ObjectKey(kind: "FogNode", namespace: "", name: "nope"), ["a": 1]) }
        // Patching status to null clears it.
        let cleared = try t.store.patchStatus(a.key, ["conditions": nil, "telemetry": nil, "lastHeartbeatTime": nil])
        #expect(cleared.status == nil || cleared.status == .object([:]))
    }
}
