import FogAPI
import FogClient
import FogModel
import FogStore
import FogTesting
import Foundation
import Testing

func node(_ name: String, cpu: Int64 = 4, labels: [String: String] = [:]) -> Resource {
    var meta = ObjectMeta(name: name)
    meta.labels = labels
    return Resource(kind: "FogNode", metadata: meta,
                    content: ["spec": ["region": "eu-west", "class": "edge", "capacity": ["cpu": .int(cpu), "memoryGiB": 8]]])
}

/// The store conformance suite: every case runs against the SQLite store and the PostgreSQL
/// store (a throw-away cluster, `PostgresTestCluster`), through the `Store` protocol.
@Suite struct StoreTests {
    @Test(arguments: Backend.allCases)
    func createSetsServerMetadataAndRevisionsIncreaseStoreWide(_ backend: Backend) async throws {
        try await StoreUnderTest.with(backend) { t in
            let a = try await t.store.create(node("a"))
            let b = try await t.store.create(node("b"))
            #expect(a.metadata.resourceVersion == 1)
            #expect(b.metadata.resourceVersion == 2)
            #expect(a.metadata.generation == 1)
            #expect(!a.metadata.uid.isEmpty && a.metadata.uid != b.metadata.uid)
            #expect(a.metadata.creationTimestamp == Timestamp.format(TestEpoch.date))
            #expect(try await t.store.get(a.key) == a)
            await #expect(throws: StoreError(.alreadyExists, "fognode \"a\" already exists")) { try await t.store.create(node("a")) }
        }
    }

    /// Concurrent writes (which the stores commit in shared transactions) keep their own
    /// outcomes: stale updates fail with a conflict and change nothing, every other write
    /// commits, the revisions stay consecutive, and a watcher sees exactly the committed writes.
    @Test(arguments: Backend.allCases)
    func concurrentWritesKeepTheirOwnOutcomes(_ backend: Backend) async throws {
        try await StoreUnderTest.with(backend) { t in
            var made: [Resource] = []
            for i in 0..<20 { made.append(try await t.store.create(node("c\(i)"))) }
            let created = made, store = t.store
            let head = try await store.currentRevision()
            let outcomes = await withTaskGroup(of: (Int, Bool).self) { group -> [Bool] in
                for (i, n) in created.enumerated() {
                    group.addTask { ((try? await store.patchStatus(n.key, ["beat": .int(Int64(i))])) != nil ? (2 * i, true) : (2 * i, false)) }
                    var stale = n
                    stale.metadata.resourceVersion = n.metadata.resourceVersion + 100_000  // not the stored one
                    stale.content["spec"] = ["cpu": 99]
                    group.addTask {
                        do { _ = try await store.update(stale); return (2 * i + 1, true) } catch let e as StoreError where e.code == .conflict { return (2 * i + 1, false) } catch { return (2 * i + 1, true) }
                    }
                }
                var all = Array(repeating: false, count: 40)
                for await (i, ok) in group { all[i] = ok }
                return all
            }
            #expect(outcomes == Array(repeating: [true, false], count: 20).flatMap { $0 })
            #expect(try await store.currentRevision() == head + 20)
            var seen: [Int64] = []
            for try await e in store.watch(kind: "FogNode", namespace: nil, from: head, bookmarkEvery: 0) {
                if let o = e.object {
                    seen.append(e.revision)
                    #expect(o.content["spec"]?["cpu"] != 99 && o.status?["beat"] != nil)
                }
                if seen.count == 20 { break }
            }
            #expect(seen == Array(head + 1...head + 20))
        }
    }

    @Test(arguments: Backend.allCases)
    func generationMovesOnlyWithSpec(_ backend: Backend) async throws {
        try await StoreUnderTest.with(backend) { t in
            var a = try await t.store.create(node("a"))
            a.metadata.labels = ["x": "y"]
            a = try await t.store.update(a)
            #expect(a.metadata.generation == 1)
            #expect(a.metadata.resourceVersion == 2)
            a.spec?["region"] = "us-east"
            a = try await t.store.update(a)
            #expect(a.metadata.generation == 2)
            a.status = ["trust": 0.5]
            a = try await t.store.updateStatus(a)
            #expect(a.metadata.generation == 2)
            #expect(a.status?["trust"] == .double(0.5))
            // A no-op write neither bumps the revision nor logs an event.
            let again = try await t.store.update(a)
            #expect(again.metadata.resourceVersion == a.metadata.resourceVersion)
            #expect(try await t.store.currentRevision() == a.metadata.resourceVersion)
        }
    }

    @Test(arguments: Backend.allCases)
    func updateNeverWritesStatusAndStatusUpdateNeverWritesSpec(_ backend: Backend) async throws {
        try await StoreUnderTest.with(backend) { t in
            var a = try await t.store.create(node("a"))
            a.status = ["phase": "Ready"]
            a = try await t.store.updateStatus(a)
            var viaUpdate = a
            viaUpdate.status = ["phase": "Hacked"]
            viaUpdate.spec?["class"] = "fog"
            let u = try await t.store.update(viaUpdate)
            #expect(u.status?["phase"] == .string("Ready"))
            var viaStatus = u
            viaStatus.spec?["class"] = "cloud"
            viaStatus.status = ["phase": "Done"]
            let s = try await t.store.updateStatus(viaStatus)
            #expect(s.spec?["class"] == .string("fog"))
            #expect(s.status?["phase"] == .string("Done"))
        }
    }

    @Test(arguments: Backend.allCases)
    func staleResourceVersionIsAConflictNeverAnOverwrite(_ backend: Backend) async throws {
        try await StoreUnderTest.with(backend) { t in
            let original = try await t.store.create(node("a"))
            var first = original
            first.spec?["class"] = "fog"
            _ = try await t.store.update(first)
            var second = original  // still carries resourceVersion 1
            second.spec?["class"] = "cloud"
            await #expect {
                try await t.store.update(second)
            } throws: { ($0 as? StoreError)?.code == .conflict && ($0 as? StoreError)?.httpStatus == 409 }
            await #expect(throws: StoreError.self) { try await t.store.updateStatus(second) }
            #expect(try await t.store.get(original.key)?.spec?["class"] == .string("fog"))
        }
    }

    @Test(arguments: Backend.allCases)
    func finalizersHoldDeletionUntilRemoved(_ backend: Backend) async throws {
        try await StoreUnderTest.with(backend) { t in
            var n = node("a")
            n.metadata.finalizers = ["fog/cleanup"]
            let created = try await t.store.create(n)
            guard case .markedForDeletion(let marked) = try await t.store.delete(created.key) else {
                Issue.record("expected the object to be only marked")
                return
            }
            #expect(marked.metadata.deletionTimestamp == Timestamp.format(TestEpoch.date))
            #expect(try await t.store.get(created.key) != nil)
            var cleared = marked
            cleared.metadata.finalizers = []
            _ = try await t.store.update(cleared)
            #expect(try await t.store.get(created.key) == nil)
            let events = try await t.store.events(after: 0, limit: 100)
            #expect(events.map(\.type) == [.added, .modified, .deleted])
            #expect(events.map(\.revision) == [1, 2, 3])
        }
    }

    @Test(arguments: Backend.allCases)
    func applyIsIdempotentAndAllOrNothing(_ backend: Backend) async throws {
        try await StoreUnderTest.with(backend) { t in
            let first = try await t.store.apply([node("a"), node("b")], dryRun: false)
            #expect(first.map(\.action) == [.created, .created])
            let rev = try await t.store.currentRevision()
            let second = try await t.store.apply([node("a"), node("b")], dryRun: false)
            #expect(second.map(\.action) == [.unchanged, .unchanged])
            #expect(try await t.store.currentRevision() == rev)
            #expect(second.map(\.object.metadata.generation) == [1, 1])
            let third = try await t.store.apply([node("a", cpu: 8), node("b")], dryRun: false)
            #expect(third.map(\.action) == [.configured, .unchanged])
            #expect(third[0].object.metadata.generation == 2)
            // Dry run reports without writing.
            let dry = try await t.store.apply([node("a", cpu: 16), node("c")], dryRun: true)
            #expect(dry.map(\.action) == [.configured, .created])
            #expect(try await t.store.get(node("c").key) == nil)
            #expect(try await t.store.get(node("a").key)?.spec?.value(at: "capacity.cpu") == .int(8))
            // One bad object fails the whole file: nothing of it is written.
            let before = try await t.store.currentRevision()
            var huge = node("d")
            huge.spec?["blob"] = .string(String(repeating: "x", count: ObjectLimits.maxObjectBytes + 1))
            await #expect(throws: AdmissionError.self) { try await t.store.apply([node("e"), huge], dryRun: false) }
            #expect(try await t.store.get(node("e").key) == nil)
            #expect(try await t.store.currentRevision() == before)
        }
    }

    /// `apply --prune` (GitOps' commit): applied objects and pruned ones in one transaction.
    @Test(arguments: Backend.allCases)
    func applyWithPruneIsOneTransaction(_ backend: Backend) async throws {
        try await StoreUnderTest.with(backend) { t in
            _ = try await t.store.apply([node("a"), node("b"), node("c")], dryRun: false)
            var kept = node("k")
            kept.metadata.finalizers = ["fog/cleanup"]
            _ = try await t.store.create(kept)
            let dry = try await t.store.apply([node("a", cpu: 2)], prune: [node("b").key, kept.key, node("gone").key], dryRun: true)
            #expect(dry.applied.map(\.action) == [.configured] && dry.pruned.count == 2)
            #expect(try await t.store.list(kind: "FogNode").items.count == 4)
            let rev = try await t.store.currentRevision()
            let out = try await t.store.apply([node("a", cpu: 2)], prune: [node("b").key, kept.key, node("gone").key], dryRun: false)
            #expect(out.applied.map(\.action) == [.configured])
            guard out.pruned.count == 2, case .deleted(let b) = out.pruned[0], case .markedForDeletion(let k) = out.pruned[1] else {
                Issue.record("unexpected prune outcome \(out.pruned)")
                return
            }
            #expect(b.name == "b" && k.name == "k" && k.metadata.deletionTimestamp != nil)
            #expect(try await t.store.events(after: rev).map(\.revision) == [rev + 1, rev + 2, rev + 3])
            #expect(try await t.store.list(kind: "FogNode").items.map(\.name) == ["a", "c", "k"])
        }
    }

    @Test(arguments: Backend.allCases)
    func applyKeepsStatusAndControllerFinalizers(_ backend: Backend) async throws {
        try await StoreUnderTest.with(backend) { t in
            var a = try await t.store.apply([node("a")], dryRun: false)[0].object
            a.metadata.finalizers = ["fog/allocation"]
            a = try await t.store.update(a)
            a.status = ["trust": 0.9]
            a = try await t.store.updateStatus(a)
            let again = try await t.store.apply([node("a", cpu: 6)], dryRun: false)[0]
            #expect(again.action == .configured)
            #expect(again.object.status?["trust"] == .double(0.9))
            #expect(again.object.metadata.finalizers == ["fog/allocation"])
        }
    }

    @Test(arguments: Backend.allCases)
    func equalitySelectorsMatchEscapedLabels(_ backend: Backend) async throws {
        try await StoreUnderTest.with(backend) { t in
            _ = try await t.store.apply([node("a", labels: ["fog/class": "edge"]), node("b", labels: ["fog/class": "cloud"])], dryRun: false)
            _ = try await t.store.apply([node("d", labels: ["team": "a\"b/ü", "fog/class": "edge"]), node("e", labels: ["other": "fog/class"])], dryRun: false)
            #expect(try await t.store.list(kind: "FogNode", namespace: nil, selector: LabelSelector([.equals("team", "a\"b/ü")])).items.map(\.name) == ["d"])
            #expect(try await t.store.list(kind: "FogNode", namespace: nil, selector: LabelSelector([.equals("fog/class", "edge")])).items.map(\.name) == ["a", "d"])
            #expect(try await t.store.list(kind: "FogNode", namespace: nil, selector: LabelSelector([.equals("fog/class", "edge"), .equals("team", "x")])).items.isEmpty)
        }
    }

    @Test(arguments: Backend.allCases)
    func listFiltersByNamespaceAndSelector(_ backend: Backend) async throws {
        try await StoreUnderTest.with(backend) { t in
            _ = try await t.store.apply([node("a", labels: ["fog/class": "edge"]), node("b", labels: ["fog/class": "cloud"]), node("c")], dryRun: false)
            var job = Resource(kind: "GitSource", metadata: ObjectMeta(name: "g", namespace: "team-a"), content: ["spec": ["url": "x"]])
            _ = try await t.store.create(job)
            job.metadata.namespace = "team-b"
            _ = try await t.store.create(job)
            #expect(try await t.store.list(kind: "FogNode", namespace: nil, selector: LabelSelector.parse("fog/class")).items.map(\.name) == ["a", "b"])
            #expect(try await t.store.list(kind: "FogNode", namespace: nil, selector: LabelSelector.parse("fog/class notin (cloud)")).items.map(\.name) == ["a", "c"])
            #expect(try await t.store.list(kind: "GitSource", namespace: "team-a").items.count == 1)
            #expect(try await t.store.list(kind: "GitSource", namespace: nil).items.map(\.namespace) == ["team-a", "team-b"])
            #expect(try await t.store.list(kind: "FogNode", namespace: nil).revision == 5)
            #expect(try await t.store.list(kind: "Nothing", namespace: nil).revision == 5)
            #expect(try await t.store.events(after: 0, kind: "GitSource", namespace: "team-b", limit: 10).events.map(\.revision) == [5])
        }
    }

    @Test(arguments: Backend.allCases)
    func compactedRevisionsAreReportedAsExpired(_ backend: Backend) async throws {
        try await StoreUnderTest.with(backend) { t in
            for i in 0..<5 { _ = try await t.store.create(node("n\(i)")) }
            try await t.compact(before: 4)
            #expect(try await t.store.events(after: 3, limit: 10).map(\.revision) == [4, 5])
            await #expect { try await t.store.events(after: 1, limit: 10) } throws: { ($0 as? StoreError)?.httpStatus == 410 }
        }
    }

    /// Two handles on one store are two connections, as two processes (or two servers) are:
    /// concurrent read-modify-write loops that retry on conflict lose no increment.
    @Test(arguments: Backend.allCases)
    func concurrentWritersLoseNoWrite(_ backend: Backend) async throws {
        try await StoreUnderTest.with(backend) { t in
            var counter = node("counter")
            counter.metadata.annotations = ["count": "0"]
            _ = try await t.store.create(counter)
            let other = try await t.another()
            let perWriter = 60
            let key = counter.key
            try await withThrowingTaskGroup(of: Int.self) { group in
                for store in [t.store, other] {
                    group.addTask {
                        var conflicts = 0
                        for _ in 0..<perWriter {
                            while true {
                                var c = try await store.get(key)!
                                c.metadata.annotations["count"] = String(Int(c.metadata.annotations["count"]!)! + 1)
                                do { _ = try await store.update(c); break } catch let e as StoreError where e.code == .conflict { conflicts += 1 }
                            }
                        }
                        return conflicts
                    }
                }
                for try await _ in group {}
            }
            #expect(try await t.store.get(key)?.metadata.annotations["count"] == String(2 * perWriter))
            #expect(try await t.store.currentRevision() == Int64(1 + 2 * perWriter))
            // The log has every revision once, in order.
            #expect(try await other.events(after: 0).map(\.revision) == Array(1...Int64(1 + 2 * perWriter)))
        }
    }

    /// The compare-and-swap that keeps a node from being double-booked: of two batches that
    /// expect the same reservations, one commits and the other is a conflict, all or nothing.
    @Test(arguments: Backend.allCases)
    func statusPatchExpectationsAreACompareAndSwap(_ backend: Backend) async throws {
        try await StoreUnderTest.with(backend) { t in
            _ = try await t.store.apply([node("a"), node("b")], dryRun: false)
            let a = node("a").key, b = node("b").key
            let book: @Sendable (String) -> [StatusPatch] = { job in
                [StatusPatch(key: a, expect: [.init(path: "reservations", value: nil)], patch: ["reservations": ["job": .string(job)]]),
                 StatusPatch(key: b, expect: [.init(path: "reservations", value: nil)], patch: ["reservations": ["job": .string(job)]])]
            }
            let other = try await t.another()
            let results = await withTaskGroup(of: Result<[Resource], Error>.self) { group in
                for (store, job) in [(t.store, "x"), (other, "y")] {
                    group.addTask {
                        do { return .success(try await store.patchStatuses(book(job))) } catch { return .failure(error) }
                    }
                }
                var all: [Result<[Resource], Error>] = []
                for await r in group { all.append(r) }
                return all
            }
            let won = results.compactMap { try? $0.get() }
            #expect(won.count == 1)
            let loser = results.compactMap { r -> StoreError? in if case .failure(let e) = r { return e as? StoreError }; return nil }
            #expect(loser.map(\.code) == [.conflict])
            let winner = won.first?.first?.status?["reservations"]?["job"]
            #expect(try await t.store.get(a)?.status?["reservations"]?["job"] == winner)
            #expect(try await t.store.get(b)?.status?["reservations"]?["job"] == winner)
            // A batch whose second patch fails writes nothing of the first.
            let rev = try await t.store.currentRevision()
            await #expect(throws: StoreError.self) {
                try await t.store.patchStatuses([StatusPatch(key: a, patch: ["x": 1]), StatusPatch(key: ObjectKey(kind: "FogNode", namespace: "", name: "nope"), patch: ["x": 1])])
            }
            #expect(try await t.store.currentRevision() == rev)
        }
    }

    /// A batch of status patches (heartbeats from a gateway) is what the same patches one by one
    /// would be: a revision per change in order, none for a patch that changes nothing, a later
    /// patch of one object applied to the earlier one's result, the index at each object's last
    /// change; an expectation that fails writes nothing of the batch.
    @Test(arguments: Backend.allCases)
    func aBatchOfStatusPatchesIsWhatTheSamePatchesOneByOneWouldBe(_ backend: Backend) async throws {
        try await StoreUnderTest.with(backend) { t in
            _ = try await t.store.apply([node("a"), node("b"), node("c")], dryRun: false)
            let a = node("a").key, b = node("b").key, c = node("c").key
            let start = try await t.store.currentRevision()
            let written = try await t.store.patchStatuses([
                StatusPatch(key: a, patch: ["beat": 1, "load": 0.5]),
                StatusPatch(key: b, patch: ["beat": 1]),
                StatusPatch(key: a, expect: [.init(path: "beat", value: 1)], patch: ["beat": 2, "load": nil]),
                StatusPatch(key: b, patch: ["beat": 1]),
                StatusPatch(key: c, patch: ["beat": 3]),
            ])
            #expect(written.map(\.metadata.resourceVersion) == [start + 1, start + 2, start + 3, start + 2, start + 4])
            #expect(written.map(\.status) == [["beat": 1, "load": 0.5], ["beat": 1], ["beat": 2], ["beat": 1], ["beat": 3]])
            #expect(try await t.store.currentRevision() == start + 4)
            let logged = try await t.store.events(after: start)
            #expect(logged.map(\.revision) == Array((start + 1)...(start + 4)))
            #expect(logged.map(\.object.name) == ["a", "b", "a", "c"])
            #expect(logged.map(\.object.status) == [["beat": 1, "load": 0.5], ["beat": 1], ["beat": 2], ["beat": 3]])
            #expect(logged.allSatisfy { $0.type == .modified })
            let other = try await t.another()
            #expect(try await other.get(a)?.status == ["beat": 2])
            #expect(try await other.get(a)?.metadata.resourceVersion == start + 3)
            #expect(try await other.get(c)?.metadata.resourceVersion == start + 4)
            // The expectation is checked against the batch's own earlier change: beat is 4 by then.
            await #expect(throws: StoreError.self) {
                try await t.store.patchStatuses([StatusPatch(key: c, patch: ["beat": 4]),
                                                 StatusPatch(key: c, expect: [.init(path: "beat", value: 3)], patch: ["beat": 5])])
            }
            #expect(try await t.store.currentRevision() == start + 4)
            #expect(try await other.get(c)?.status == ["beat": 3])
        }
    }

    /// Orphan propagation strips the owner reference from dependents; foreground keeps the
    /// owner (with the `foregroundDeletion` finalizer) until its dependents are gone.
    @Test(arguments: Backend.allCases)
    func deletePropagationFollowsOwnerReferences(_ backend: Backend) async throws {
        try await StoreUnderTest.with(backend) { t in
            let owner = try await t.store.create(node("owner"))
            var child = node("child")
            child.metadata.ownerReferences = [OwnerReference(kind: "FogNode", name: "owner", uid: owner.metadata.uid)]
            _ = try await t.store.create(child)
            guard case .deleted = try await t.store.delete(owner.key, propagation: .orphan) else {
                Issue.record("the owner should be gone")
                return
            }
            #expect(try await t.store.get(child.key)?.metadata.ownerReferences == [])
            let owner2 = try await t.store.create(node("owner2"))
            var child2 = node("child2")
            child2.metadata.ownerReferences = [OwnerReference(kind: "FogNode", name: "owner2", uid: owner2.metadata.uid)]
            _ = try await t.store.create(child2)
            guard case .markedForDeletion(let marked) = try await t.store.delete(owner2.key, propagation: .foreground) else {
                Issue.record("the owner should stay until its dependents are gone")
                return
            }
            #expect(marked.metadata.finalizers == [DeletePropagation.foregroundFinalizer])
            #expect(try await t.store.get(child2.key)?.metadata.ownerReferences.map(\.uid) == [owner2.metadata.uid])
        }
    }

    /// A watch delivers exactly what the log holds, and a read returns the current version,
    /// whichever handle wrote it: numbers of both kinds, nulls, values that cannot be stored as
    /// they are (not finite: stored as null), an object deleted and created again elsewhere.
    @Test(arguments: Backend.allCases)
    func aWatchCarriesExactlyWhatTheLogHolds(_ backend: Backend) async throws {
        try await StoreUnderTest.with(backend) { t in
            let other = try await t.another()
            let start = try await t.store.currentRevision()
            let writes = 11
            let watched = Task { () -> [WatchEvent] in
                var seen: [WatchEvent] = []
                for try await e in t.store.watch(kind: nil, namespace: nil, from: start, bookmarkEvery: 0) where e.object != nil {
                    seen.append(e)
                    if seen.count == writes { break }
                }
                return seen
            }
            var a = node("a")
            a.spec?["numbers"] = [.double(0.1), .double(2), .double(1e20), .int(3), .null, ["x": .double(-0.5)]]
            a = try await t.store.create(a)
            _ = try await t.store.patchStatus(a.key, ["ratio": .double(.nan), "big": .double(.infinity), "list": [1, .null, "x"], "f": 2.5])
            _ = try await other.patchStatus(a.key, ["by": "other"])
            let patched = try await t.store.patchStatus(a.key, ["after": 1])
            #expect(patched.status?["by"] == "other" && patched.status?["ratio"] == .null && patched.status?["f"] == .double(2.5))
            _ = try await t.store.apply([node("b"), node("c")], dryRun: false)
            _ = try await t.store.delete(node("b").key)
            _ = try await other.delete(node("c").key)
            _ = try await t.store.delete(a.key)
            _ = try await other.create(node("a", cpu: 16))
            let again = try await t.store.patchStatus(a.key, ["phase": "Ready"])
            #expect(again.spec?["capacity"]?["cpu"] == .int(16))

            let log = try await other.events(after: start).map(WatchEvent.init)
            #expect(log.count == writes)
            #expect(try await watched.value == log)
            for name in ["a", "b", "c"] {
                #expect(try await t.store.get(node(name).key) == (try await other.get(node(name).key)))
            }
            #expect(try await t.store.list(kind: "FogNode").items == (try await other.list(kind: "FogNode").items))
        }
    }

    /// Watchers on two handles (two processes, two servers) see every revision exactly once,
    /// in order, while two writers commit concurrently.
    @Test(arguments: Backend.allCases)
    func watchersOnEveryHandleSeeEveryRevisionOnceInOrder(_ backend: Backend) async throws {
        try await StoreUnderTest.with(backend) { t in
            let other = try await t.another()
            let start = try await t.store.currentRevision()
            let perWriter = 100
            let total = Int64(2 * perWriter)
            let watchers = [t.store, other, t.store, other].map { s in
                Task { () -> [Int64] in
                    var seen: [Int64] = []
                    for try await e in s.watch(kind: "FogNode", namespace: nil, from: start, bookmarkEvery: 0) {
                        if e.object != nil { seen.append(e.revision) }
                        if seen.count == Int(total) { break }
                    }
                    return seen
                }
            }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for (w, s) in [t.store, other].enumerated() {
                    group.addTask { for i in 0..<perWriter { _ = try await s.create(node("w\(w)-\(i)")) } }
                }
                try await group.waitForAll()
            }
            for w in watchers {
                #expect(try await w.value == Array((start + 1)...(start + total)))
            }
        }
    }

    @Test(arguments: Backend.allCases)
    func aWatcherBehindTheCompactionPointIsToldToListAgain(_ backend: Backend) async throws {
        try await StoreUnderTest.with(backend) { t in
            _ = try await t.store.apply((0..<3).map { node("n\($0)") }, dryRun: false)
            let early = try await t.store.currentRevision()
            for r in 0..<30 {
                _ = try await t.store.patchStatuses((0..<3).map { StatusPatch(key: node("n\($0)").key, patch: ["beat": .int(Int64(r))]) })
            }
            let point = try await t.compactionPoint(keepRevisions: 50, keepSeconds: 300)
            let summary = try await t.compact(before: point, batchSize: 20)
            #expect(summary.batches > 1 && summary.deleted == Int(point) - 1)
            var failure: (any Error)?
            do {
                for try await _ in t.store.watch(kind: "FogNode", namespace: nil, from: early, bookmarkEvery: 1) {}
            } catch { failure = error }
            #expect((failure as? StoreError)?.code == .compacted)
            #expect((failure as? StoreError)?.httpStatus == 410)
            let head = try await t.store.currentRevision()
            #expect(try await t.store.events(after: point - 1, limit: 100).map(\.revision) == Array(point...head))
            #expect(try await t.stats().compacted == point - 1)
        }
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
    @Test(arguments: Backend.allCases)
    func mergePatchMergesRemovesAndIsANoOpWhenNothingChanges(_ backend: Backend) async throws {
        try await StoreUnderTest.with(backend) { t in
            var a = try await t.store.create(node("a"))
            a.status = ["conditions": [["type": "Ready", "status": "True"]], "telemetry": ["cpu": ["count": 4, "utilization": 0.5]]]
            a = try await t.store.updateStatus(a)
            let patched = try await t.store.patchStatus(a.key, ["lastHeartbeatTime": "2026-11-22T10:00:00Z",
                                                                 "telemetry": ["cpu": ["utilization": nil, "load1": 1.5], "rttMillis": 3.0]])
            #expect(patched.metadata.resourceVersion == a.metadata.resourceVersion + 1)
            #expect(patched.metadata.generation == a.metadata.generation)
            #expect(patched.status?["telemetry"] == ["cpu": ["count": 4, "load1": 1.5], "rttMillis": 3.0])
            #expect(patched.status?["conditions"] == a.status?["conditions"])
            #expect(patched.spec == a.spec)
            let again = try await t.store.patchStatus(a.key, ["lastHeartbeatTime": "2026-11-22T10:00:00Z"])
            #expect(again.metadata.resourceVersion == patched.metadata.resourceVersion)
            #expect(try await t.store.currentRevision() == patched.metadata.resourceVersion)
            await #expect(throws: AdmissionError.self) { try await t.store.patchStatus(a.key, ["x", "y"]) }
            await #expect(throws: StoreError.self) { try await t.store.patchStatus(ObjectKey(kind: "FogNode", namespace: "", name: "nope"), ["a": 1]) }
            let cleared = try await t.store.patchStatus(a.key, ["conditions": nil, "telemetry": nil, "lastHeartbeatTime": nil])
            #expect(cleared.status == nil || cleared.status == .object([:]))
        }
    }
}
