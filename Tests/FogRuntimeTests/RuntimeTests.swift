import FogAPI
import FogClient
import FogControllers
import FogManifest
import FogModel
import FogRuntime
import FogStore
import FogTesting
import Foundation
import Logging
import Testing

/// A temporary embedded store, a manual clock, and a manager running in the background.
final class RuntimeHarness: @unchecked Sendable {
    let scratch: TemporaryDirectory
    var path: String { scratch.file("state.db") }
    let clock = TestEpoch.clock()
    let store: SQLiteStore
    let client: EmbeddedClient
    var task: Task<Void, Error>?

    init() throws {
        let clock = self.clock
        scratch = try TemporaryDirectory("fog-rt")
        store = try SQLiteStore(path: scratch.file("state.db"), now: { clock.now() }, pollInterval: .milliseconds(50))
        client = EmbeddedClient(store: store)
    }

    deinit { task?.cancel() }

    func manager(_ controllers: [any Controller], backoff: WorkQueue<ObjectKey>.Backoff = .init(base: 1, cap: 8)) -> Manager {
        var options = Manager.Options()
        options.backoff = backoff
        return Manager(client: client, controllers: controllers, registry: SchemaSet.builtIn.registry, clock: clock,
                       logger: Logger(label: "test"), options: options)
    }

    func start(_ m: Manager) { task = Task { try await m.run() } }

    func stop() async {
        task?.cancel()
        _ = await task?.result
        task = nil
    }

    @discardableResult
    func tier(_ name: String, owner: Resource? = nil) throws -> Resource {
        var meta = ObjectMeta(name: name)
        if let owner { meta.ownerReferences = [OwnerReference(kind: owner.kind, name: owner.name, uid: owner.metadata.uid)] }
        return try store.create(Resource(kind: "Tier", metadata: meta, content: ["spec": ["size": "small"]]))
    }
}


/// Writes `status.seen = generation` for Tiers, fails forever for names starting with "poison".
struct ProbeController: Controller {
    let name = "probe"
    let kind = "Tier"
    let calls = Calls()
    var terminal = false

    final class Calls: @unchecked Sendable {
        private let lock = NSLock()
        private var byKey: [String: Int] = [:]
        private var concurrent: [String: Int] = [:]
        private(set) var overlap = false
        func begin(_ k: String) { lock.withLock { byKey[k, default: 0] += 1; concurrent[k, default: 0] += 1; if concurrent[k]! > 1 { overlap = true } } }
        func end(_ k: String) { lock.withLock { concurrent[k]! -= 1 } }
        func count(_ k: String) -> Int { lock.withLock { byKey[k] ?? 0 } }
    }

    var workers: Int { 4 }

    func reconcile(_ key: ObjectKey, _ ctx: ReconcileContext) async throws -> ReconcileResult {
        calls.begin(key.name)
        defer { calls.end(key.name) }
        guard let tier = ctx.cache.get(key) else { return .done }
        if key.name.hasPrefix("poison") {
            if terminal { throw TerminalError("this tier can never work") }
            throw AdmissionError(.invalid, "always fails")
        }
        try await ctx.updateStatus(tier, { $0["seen"] = .int(tier.metadata.generation) })
        return .done
    }
}

@Suite(.serialized) struct RuntimeTests {
    @Test func aPoisonObjectRetriesWithBackoffIsReportedAndBlocksNothing() async throws {
        let h = try RuntimeHarness()
        for i in 0..<5 { try h.tier("good-\(i)") }
        try h.tier("poison")
        let probe = ProbeController()
        let m = h.manager([probe])
        h.start(m)
        func seen(_ name: String) throws -> Bool {
            try h.store.get(ObjectKey(kind: "Tier", namespace: "", name: name))?.status?["seen"] != nil
        }
        func warningCount() throws -> Int64? {
            try h.store.list(kind: "Event", namespace: "default").items
                .first { $0.content["reason"]?.stringValue == "ReconcileError" }?.content["count"]?.intValue
        }
        try await eventually("good tiers reconciled, poison reported", watching: h.store, wakingOn: [m.activity]) {
            try (0..<5).allSatisfy { try seen("good-\($0)") } && warningCount() == 1
        }
        let poison = try #require(try h.store.get(ObjectKey(kind: "Tier", namespace: "", name: "poison")))
        #expect(poison.conditions[type: "Reconciled"]?.status == .false)
        #expect(poison.conditions[type: "Reconciled"]?.message == "probe: always fails")
        #expect(probe.calls.count("poison") == 1)

        // Backoff: 1 s, then 2 s, then 4 s (manual clock).
        h.clock.advance(by: 1)
        try await eventually("second attempt", watching: h.store, wakingOn: [m.activity]) { try probe.calls.count("poison") == 2 && warningCount() == 2 }
        h.clock.advance(by: 1.5)
        try await eventually("no third attempt before 2 s", watching: h.store, wakingOn: [m.activity]) { probe.calls.count("poison") == 2 }
        // A new object is reconciled while the poison one waits.
        try h.tier("good-new")
        try await eventually("new tier reconciled", watching: h.store, wakingOn: [m.activity]) { try seen("good-new") }
        h.clock.advance(by: 0.5)
        try await eventually("third attempt", watching: h.store, wakingOn: [m.activity]) { try probe.calls.count("poison") == 3 && warningCount() == 3 }
        #expect(!probe.calls.overlap)
        await h.stop()
    }

    /// A spec that does not decode (here made in-process, past admission) fails its reconcile
    /// with a terminal error naming the field; the controller goes on with the others.
    @Test func aSpecThatDoesNotDecodeIsATerminalErrorNamingTheField() async throws {
        let h = try RuntimeHarness()
        try h.tier("bad")
        _ = try h.store.create(Resource(kind: "Tier", metadata: ObjectMeta(name: "good"), content: ["spec": [
            "size": "small", "inference": ["pricePerRequest": ["min": 0.01]], "training": ["pricePerHour": ["min": 1]],
            "deviceClasses": ["edge"], "sla": ["uptimePercent": 90]]]))
        let m = h.manager([TierController()])
        h.start(m)
        func tier(_ name: String) throws -> Resource? { try h.store.get(ObjectKey(kind: "Tier", namespace: "", name: name)) }
        try await eventually("reported", watching: h.store, wakingOn: [m.activity]) {
            try tier("bad")?.conditions[type: "Reconciled"]?.reason == "TerminalError" && tier("good")?.conditions[type: "Ready"]?.status == .true
        }
        #expect(try tier("bad")?.conditions[type: "Reconciled"]?.message == "tier: invalid spec of tier/bad: spec.inference: required field is missing")
        await h.stop()
    }

    @Test func terminalErrorsAreReportedAndNotRetried() async throws {
        let h = try RuntimeHarness()
        try h.tier("poison-terminal")
        var probe = ProbeController()
        probe.terminal = true
        let m = h.manager([probe])
        h.start(m)
        try await eventually("reported", watching: h.store, wakingOn: [m.activity]) {
            try h.store.get(ObjectKey(kind: "Tier", namespace: "", name: "poison-terminal"))?.conditions[type: "Reconciled"]?.reason == "TerminalError"
        }
        h.clock.advance(by: 100)
        try await settled(m, within: 1000, "settled")
        if !(await m.isSettled(within: 1000)) { Issue.record("\(await m.unsettledReason(within: 1000))") }
        #expect(probe.calls.count("poison-terminal") == 1)
        await h.stop()
    }

    /// A controller that creates an owned child, then records progress in status.
    /// The first run is "killed" between the two writes; a fresh manager converges
    /// with exactly one child.
    struct ChildMaker: Controller {
        let name = "child-maker"
        let kind = "Tier"
        let gate: Gate?

        final class Gate: @unchecked Sendable {
            let reached = AsyncSignal()
            let release = AsyncSignal()
        }

        var sources: [WatchSource] { Watches.for("Tier").owns("GitSource").sources }

        func reconcile(_ key: ObjectKey, _ ctx: ReconcileContext) async throws -> ReconcileResult {
            guard let tier = ctx.cache.get(key), key.name == "parent" else { return .done }
            let childKey = ObjectKey(kind: "GitSource", namespace: "default", name: "child-of-parent")
            if try await ctx.client.get(childKey) == nil {
                var meta = ObjectMeta(name: childKey.name, namespace: "default")
                meta.ownerReferences = [OwnerReference(kind: "Tier", name: tier.name, uid: tier.metadata.uid, controller: true)]
                _ = try await ctx.client.create(Resource(kind: "GitSource", metadata: meta, content: ["spec": ["url": "file:///x"]]))
            }
            if let gate {
                gate.reached.notify()
                await gate.release.wait()  // the crash happens here
                try Task.checkCancellation()
            }
            try await ctx.updateStatus(tier, { $0["child"] = .string(childKey.name) })
            return .done
        }
    }

    @Test func aControllerKilledMidReconcileConvergesAfterRestartWithoutDuplicates() async throws {
        let h = try RuntimeHarness()
        try h.tier("parent")
        let gate = ChildMaker.Gate()
        let first = h.manager([ChildMaker(gate: gate)])
        h.start(first)
        await gate.reached.wait()
        await h.stop()  // killed between creating the child and writing status
        let parentKey = ObjectKey(kind: "Tier", namespace: "", name: "parent")
        #expect(try h.store.get(parentKey)?.status?["child"] == nil)
        #expect(try h.store.list(kind: "GitSource", namespace: nil).items.count == 1)

        let second = h.manager([ChildMaker(gate: nil)])
        h.start(second)
        try await eventually("converged", watching: h.store, wakingOn: [second.activity]) { try h.store.get(parentKey)?.status?["child"] == .string("child-of-parent") }
        try await settled(second, within: 1, "settled")
        #expect(try h.store.list(kind: "GitSource", namespace: nil).items.map(\.name) == ["child-of-parent"])
        await h.stop()
    }

    @Test func garbageCollectionDeletesDependentsOfDeletedOwners() async throws {
        let h = try RuntimeHarness()
        let owner = try h.tier("owner")
        let keeper = try h.tier("keeper")
        for i in 0..<3 { try h.tier("dep-\(i)", owner: owner) }
        try h.tier("kept-dep", owner: keeper)
        var stale = ObjectMeta(name: "orphan")
        stale.ownerReferences = [OwnerReference(kind: "Tier", name: "owner", uid: "uid-of-an-older-owner")]
        _ = try h.store.create(Resource(kind: "Tier", metadata: stale, content: ["spec": [:]]))
        let m = h.manager([])
        h.start(m)
        try await eventually("orphan with a stale owner uid collected", watching: h.store, wakingOn: [m.activity]) {
            try h.store.get(ObjectKey(kind: "Tier", namespace: "", name: "orphan")) == nil
        }
        _ = try h.store.delete(owner.key)
        try await eventually("dependents collected", watching: h.store, wakingOn: [m.activity]) {
            try h.store.list(kind: "Tier", namespace: nil).items.map(\.name).sorted() == ["keeper", "kept-dep"]
        }
        await h.stop()
    }

    @Test func deletionPropagationForegroundAndOrphan() async throws {
        let h = try RuntimeHarness()
        let m = h.manager([])
        h.start(m)
        // Foreground: the owner stays (deletionTimestamp + finalizer) until its dependents are gone.
        let owner = try h.tier("fg-owner")
        let child = try h.tier("fg-child", owner: owner)
        try h.tier("fg-grandchild", owner: child)
        guard case .markedForDeletion(let marked) = try h.store.delete(owner.key, propagation: .foreground) else {
            Issue.record("a foreground delete marks the owner")
            return
        }
        #expect(marked.metadata.finalizers == [DeletePropagation.foregroundFinalizer])
        try await eventually("owner and all dependents gone", watching: h.store, wakingOn: [m.activity]) {
            try h.store.list(kind: "Tier", namespace: nil).items.filter { $0.name.hasPrefix("fg-") }.isEmpty
        }
        // Orphan: dependents stay, without the owner reference.
        let parent = try h.tier("or-owner")
        try h.tier("or-child", owner: parent)
        guard case .deleted = try h.store.delete(parent.key, propagation: .orphan) else {
            Issue.record("an orphan delete removes the owner at once")
            return
        }
        try await settled(m, within: 1, "settled")
        let orphan = try h.store.get(ObjectKey(kind: "Tier", namespace: "", name: "or-child"))
        #expect(orphan != nil && orphan?.metadata.ownerReferences.isEmpty == true)
        await h.stop()
    }

    @Test func finalizersHoldAnObjectUntilTheControllerRemovesThem() async throws {
        let h = try RuntimeHarness()
        struct Finalizing: Controller {
            let name = "finalizing"
            let kind = "Tier"
            func reconcile(_ key: ObjectKey, _ ctx: ReconcileContext) async throws -> ReconcileResult {
                guard let t = ctx.cache.get(key) else { return .done }
                if t.metadata.deletionTimestamp != nil {
                    // Clean-up would happen here; the store deletes the object once the list is empty.
                    try await ctx.removeFinalizer(t, "fog/test-cleanup")
                    return .done
                }
                _ = try await ctx.ensureFinalizer(t, "fog/test-cleanup")
                return .done
            }
        }
        let t = try h.tier("held")
        let m = h.manager([Finalizing()])
        h.start(m)
        try await eventually("finalizer added", watching: h.store, wakingOn: [m.activity]) { try h.store.get(t.key)?.metadata.finalizers == ["fog/test-cleanup"] }
        guard case .markedForDeletion = try h.store.delete(t.key) else {
            Issue.record("expected a marked deletion")
            return
        }
        try await eventually("deleted after the finalizer ran", watching: h.store, wakingOn: [m.activity]) { try h.store.get(t.key) == nil }
        await h.stop()
    }

    @Test func theBuiltInControllersConvergeOnTheQuickstart() async throws {
        let h = try RuntimeHarness()
        let inputs = try ManifestInput.load(paths: [repoRoot + "/examples/quickstart"], recursive: false)
        _ = try h.store.apply(try ManifestDecoder().decode(inputs).map(\.resource), dryRun: false)
        let m = h.manager(ControllerFamilies.controllers())
        h.start(m)
        try await settled(m, within: 1, "settled")
        let tiers = try h.store.list(kind: "Tier", namespace: nil).items
        #expect(tiers.allSatisfy { $0.conditions[type: "Ready"]?.status == .true && $0.status?["observedGeneration"] == .int(1) })
        // digits-fedavg and digits-auction.
        #expect(try h.store.get(ObjectKey(kind: "Tier", namespace: "", name: "medium"))?.status?["jobs"] == .int(3))
        let nodes = try h.store.list(kind: "FogNode", namespace: nil).items
        #expect(nodes.allSatisfy { $0.conditions[type: "Ready"]?.reason == "NoHeartbeat" })
        let phones = try h.store.get(ObjectKey(kind: "HarvestPolicy", namespace: "", name: "phones-while-charging"))
        #expect(phones?.status?["matchedNodes"] == .int(9))

        // A heartbeat makes a node Ready; silence past the timeout makes it NotReady (manual clock).
        var node = nodes[0]
        node.status?["lastHeartbeatTime"] = .string(Timestamp.format(h.clock.now()))
        _ = try h.store.updateStatus(node)
        try await eventually("Ready", watching: h.store, wakingOn: [m.activity]) { try h.store.get(node.key)?.conditions[type: "Ready"]?.status == .true }
        // The reconcile that wrote Ready has also set its timer for when the heartbeat goes stale.
        let lifecycle = try #require(m.runners.first { $0.controller.name == "node-lifecycle" })
        try await eventually("heartbeat timer set", watching: h.store, wakingOn: [m.activity]) { lifecycle.queue.nextDue != nil }
        h.clock.advance(by: 16)
        try await eventually("NotReady after the heartbeat timeout", watching: h.store, wakingOn: [m.activity]) {
            try h.store.get(node.key)?.conditions[type: "Ready"]?.reason == "HeartbeatTimeout"
        }
        await h.stop()
    }

    @Test func aWatcherSeesAnotherProcessWriteWithinOneSecond() async throws {
        let h = try RuntimeHarness()
        let binary = try #require(fogctlBinary())
        var iterator = h.store.watch(kind: "Tier", from: 0).makeAsyncIterator()
        let proc = Process()
        proc.executableURL = URL(fileURLWithPath: binary)
        proc.arguments = ["apply", "-f", repoRoot + "/examples/quickstart/tiers.yaml", "--state", h.path]
        proc.standardOutput = FileHandle.nullDevice
        try proc.run()
        proc.waitUntilExit()
        let written = ContinuousClock.now
        let first = try await iterator.next()
        let delay = ContinuousClock.now - written
        #expect(first?.object?.kind == "Tier")
        #expect(delay < .seconds(1), "took \(delay)")
    }

    @Test func compactionMakesWatchersListAgain() async throws {
        let h = try RuntimeHarness()
        try h.tier("a")
        try h.tier("b")
        let moved = AsyncSignal()
        let informer = Informer(kind: "Tier", client: h.client, logger: Logger(label: "test"), activity: moved)
        let deletes = Counter()
        informer.addHandler { if case .delete = $0 { deletes.increment() } }
        let first = Task { await informer.run() }
        try await eventually("synced", wakingOn: [moved]) { informer.hasSynced && informer.count == 2 }
        first.cancel()
        _ = await first.value
        // While the informer is away: changes, then compaction past its revision.
        _ = try h.store.delete(ObjectKey(kind: "Tier", namespace: "", name: "a"))
        try h.tier("c")
        try h.tier("d")
        try h.store.compact(before: try h.store.currentRevision())
        #expect(throws: StoreError.self) { try h.store.events(after: informer.revision, limit: 10) }
        let second = Task { await informer.run() }
        try await eventually("re-listed", wakingOn: [moved]) { informer.lists == 2 && informer.count == 3 }
        #expect(deletes.value == 1)
        #expect(informer.list().map(\.name) == ["b", "c", "d"])
        second.cancel()
    }
}

let repoRoot: String = {
    var url = URL(fileURLWithPath: #filePath)
    for _ in 0..<3 { url.deleteLastPathComponent() }
    return url.path
}()

func fogctlBinary() -> String? {
    let exe = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    for candidate in [exe.appendingPathComponent("fogctl").path, exe.deletingLastPathComponent().appendingPathComponent("fogctl").path,
                      repoRoot + "/.build/debug/fogctl"] where FileManager.default.isExecutableFile(atPath: candidate) {
        return candidate
    }
    return nil
}

/// The shape of the runtime: predicates, own writes, one owner per condition.
@Suite(.serialized) struct ControllerShapeTests {
    /// Writes a condition it may or may not own.
    struct ConditionWriter: Controller {
        let name: String
        let kind = "Tier"
        let owns: Set<String>
        let writes: String
        var conditionTypes: Set<String> { owns }
        func reconcile(_ key: ObjectKey, _ ctx: ReconcileContext) async throws -> ReconcileResult {
            guard let tier = ctx.cache.get(key) else { return .done }
            try await ctx.updateStatus(tier, { _ in }, conditions: [Condition(type: writes, status: .true, reason: "Checked")])
            return .done
        }
    }

    /// A controller that writes status reconciles each object once: its own status
    /// write does not come back to it. A status change by someone else does.
    @Test func ownStatusWritesDoNotComeBackButOthersDo() async throws {
        let h = try RuntimeHarness()
        for i in 0..<20 { try h.tier("t-\(i)") }
        let probe = ProbeController()
        let m = h.manager([probe])
        h.start(m)
        try await eventually("all reconciled and settled", watching: h.store, wakingOn: [m.activity]) {
            let settled = await m.isSettled(within: 0)
            return try settled && h.store.list(kind: "Tier", namespace: nil).items.allSatisfy { $0.status?["seen"] != nil }
        }
        #expect((0..<20).allSatisfy { probe.calls.count("t-\($0)") == 1 })
        // Another writer (an agent, another controller) changes status: the controller looks again.
        var t0 = try #require(try h.store.get(ObjectKey(kind: "Tier", namespace: "", name: "t-0")))
        var s = t0.status?.objectValue ?? [:]
        s["reportedBy"] = "someone-else"
        t0.status = .object(s)
        _ = try h.store.updateStatus(t0)
        try await eventually("reconciled after another writer's status change", watching: h.store, wakingOn: [m.activity]) { probe.calls.count("t-0") == 2 }
        // Conditions alone (and observedGeneration) do not trigger it.
        var t1 = try #require(try h.store.get(ObjectKey(kind: "Tier", namespace: "", name: "t-1")))
        var cs = t1.conditions
        cs.set(Condition(type: "Noted", status: .true, reason: "ByHand"), now: Timestamp.format(h.clock.now()))
        t1.conditions = cs
        _ = try h.store.updateStatus(t1)
        // A spec change does.
        var t2 = try #require(try h.store.get(ObjectKey(kind: "Tier", namespace: "", name: "t-2")))
        t2.content["spec"] = ["size": "medium"]
        _ = try h.store.update(t2)
        try await eventually("reconciled after a spec change", watching: h.store, wakingOn: [m.activity]) { probe.calls.count("t-2") == 2 }
        try await settled(m, within: 0, "settled")
        #expect(probe.calls.count("t-1") == 1)
        await h.stop()
    }

    /// A controller may write only the condition types it declares; its failure is its
    /// own `Reconciled=False`, which another controller's success does not clear.
    @Test func conditionsHaveOneOwnerAndFailuresAreNotClearedByOthers() async throws {
        let h = try RuntimeHarness()
        try h.tier("shared")
        let honest = ConditionWriter(name: "honest", owns: ["Checked"], writes: "Checked")
        let trespasser = ConditionWriter(name: "trespasser", owns: ["Other"], writes: "Ready")
        let m = h.manager([honest, trespasser])
        h.start(m)
        let key = ObjectKey(kind: "Tier", namespace: "", name: "shared")
        try await eventually("the trespass reported", watching: h.store, wakingOn: [m.activity]) {
            try h.store.get(key)?.conditions[type: "Reconciled"]?.message.hasPrefix("trespasser: controller trespasser wrote condition Ready") == true
        }
        try await settled(m, within: 0, "settled")
        let tier = try #require(try h.store.get(key))
        #expect(tier.conditions[type: "Checked"]?.status == .true)
        #expect(tier.conditions[type: "Ready"] == nil)
        // The honest controller succeeds, and does not clear the trespasser's failure.
        #expect(tier.conditions[type: "Reconciled"]?.status == .false)
        await h.stop()
    }
}
