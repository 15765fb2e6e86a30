import FogAPI
import FogAgent
import FogClient
import FogControllers
import FogFleet
import FogManifest
import FogModel
import FogRemote
import FogRuntime
import FogServer
import FogStore
import FogTesting
import Foundation
import Logging
import ServiceLifecycle
import Testing


/// A temporary store on a manual clock, the fleet controllers over it, and
/// (when asked) a real API server on 127.0.0.1 with an ephemeral port.
final class FleetHarness: @unchecked Sendable {
    let dir = NSTemporaryDirectory() + "fog-fleet-" + UUID().uuidString.lowercased()
    let clock = TestEpoch.weekClock()  // a Monday 00:00 UTC from the test epoch
    let store: SQLiteStore
    let manager: Manager
    var managerTask: Task<Void, Error>?
    var server: TestServer?
    var port = 0

    static let tokens = """
        tokens:
        - {token: admin-token, user: root, role: admin}
        - {token: agent-edge-1-token, user: edge-1-agent, role: agent, node: edge-1}
        """

    init(heartbeatTimeout: Double = 15, controllers: [any Controller]? = nil) throws {
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let clock = self.clock
        store = try SQLiteStore(path: dir + "/state.db", now: { clock.now() }, pollInterval: .milliseconds(50))
        var logger = Logger(label: "fleet-test")
        logger.logLevel = .error
        manager = Manager(client: EmbeddedClient(store: store),
                          controllers: controllers ?? [NodeLifecycleController(heartbeatTimeout: heartbeatTimeout), HarvestController(), HarvestPolicyController()],
                          registry: SchemaSet.builtIn.registry, clock: clock, logger: logger)
        let m = manager
        managerTask = Task { try await m.run() }
    }

    func startServer(port requested: Int = 0) async throws {
        let s = try await TestServer.start(store: store, directory: dir, tokens: Self.tokens,
                                           access: ControllerFamilies.access, port: requested)
        server = s
        port = s.port
    }

    func stopServer() async {
        await server?.stop()
        server = nil
    }

    func client(_ token: String, timeout: Int64 = 10) -> HTTPFogClient {
        HTTPFogClient(baseURL: "http://127.0.0.1:\(port)", token: token, registry: SchemaSet.builtIn.registry, timeout: .seconds(timeout))
    }

    func node(_ name: String) throws -> Resource? { try store.get(ObjectKey(kind: "FogNode", namespace: "", name: name)) }

    func settle() async throws {
        try await settled(manager)
    }

    func shutdown() async {
        await stopServer()
        managerTask?.cancel()
        _ = await managerTask?.result
        try? FileManager.default.removeItem(atPath: dir)
    }
}

@Suite(.serialized) struct AgentTests {
    @Test func agentRegistersHeartbeatsGoesNotReadyAndRecovers() async throws {
        let h = try FleetHarness(heartbeatTimeout: 15)
        try await h.startServer()
        var options = NodeAgent.Options(node: "edge-1")
        options.nodeClass = "edge"
        options.region = "eu-west"
        options.zone = "eu-west-a"
        options.roles = ["compute", "relay"]
        let agent = NodeAgent(client: h.client("agent-edge-1-token"), clock: h.clock,
                              reader: HostTelemetryReader(root: fixture("laptop-on-battery")), options: options, seed: 1)
        try await agent.register()
        try await agent.heartbeat()
        try await eventually("edge-1 Ready", watching: h.store) { try h.node("edge-1")?.conditions[type: "Ready"]?.status == .true }
        let node = try #require(try h.node("edge-1"))
        #expect(node.metadata.labels["fog/class"] == "edge" && node.metadata.labels["fog/zone"] == "eu-west-a")
        #expect(node.spec?["roles"] == ["compute", "relay"])
        let t = try #require(NodeTelemetry(json: node.status?["telemetry"]))
        #expect(t.battery?.percent == 57 && t.battery?.status == "Discharging" && t.acOnline == false)
        #expect((t.rttMillis ?? 0) > 0 && t.rttAverageMillis == t.rttMillis)
        #expect(node.status?["availability"]?["ready"] == true)
        #expect(node.status?["scores"]?["latency"] != nil)

        // The agent's loop heartbeats on its clock.
        let loop = Task { try? await agent.run() }
        try await eventually("agent sleeping", wakingOn: [agent.changes]) { agent.sleepingUntil != nil && agent.heartbeats >= 2 }
        h.clock.advance(by: 5)
        try await eventually("third heartbeat", wakingOn: [agent.changes]) { agent.heartbeats >= 3 }
        loop.cancel()
        await loop.value
        try await h.settle()

        // Silent for longer than the timeout: NotReady, with an event.
        h.clock.advance(by: 16)
        try await eventually("edge-1 NotReady", watching: h.store) { try h.node("edge-1")?.conditions[type: "Ready"]?.status == .false }
        // Let every reconcile the change caused finish before time moves on.
        try await h.settle()
        #expect(try h.node("edge-1")?.conditions[type: "Ready"]?.reason == "HeartbeatTimeout")

        // Back: Ready again, one disconnection and one recovery in the history.
        h.clock.advance(by: 30)
        try await agent.heartbeat()
        try await eventually("edge-1 Ready again", watching: h.store) { try h.node("edge-1")?.conditions[type: "Ready"]?.status == .true }
        try await h.settle()
        let back = try #require(try h.node("edge-1"))
        let a = try #require(Availability(json: back.status?["availability"]))
        #expect(a.disconnections == 1 && a.recoveries == 1)
        #expect(a.meanRecoverySeconds == 30, "\(back.status.map { JSONCoding.encode($0) } ?? "")")
        let events = try h.store.list(kind: "Event", namespace: nil, selector: LabelSelector([])).items.map { $0.content["reason"]?.stringValue ?? "" }
        #expect(events.contains("NodeNotReady") && events.contains("NodeReady"))
        await h.shutdown()
    }

    @Test func agentTokenCannotReportForAnotherNode() async throws {
        let h = try FleetHarness()
        try await h.startServer()
        let agent = NodeAgent(client: h.client("agent-edge-1-token"), clock: h.clock,
                              reader: HostTelemetryReader(root: fixture("desktop-no-battery")), options: .init(node: "edge-2"), seed: 1)
        await #expect(throws: AuthError.self) { try await agent.register() }
        #expect(try h.node("edge-2") == nil)
        await h.shutdown()
    }

    @Test func agentKeepsReportingThroughAServerRestart() async throws {
        let h = try FleetHarness(heartbeatTimeout: 60)
        try await h.startServer()
        let port = h.port
        var options = NodeAgent.Options(node: "edge-1")
        options.interval = 5
        let agent = NodeAgent(client: h.client("agent-edge-1-token", timeout: 1), clock: h.clock,
                              reader: HostTelemetryReader(root: fixture("desktop-no-battery")), options: options, seed: 7)
        let loop = Task { try? await agent.run() }
        try await eventually("first heartbeat", wakingOn: [agent.changes]) { agent.heartbeats == 1 && agent.sleepingUntil != nil }
        await h.stopServer()
        // A stopped in-process server can leave the agent's pooled connection open but
        // unanswered: the request timeout (1 s here) is what ends that heartbeat.
        h.clock.advance(by: 5)
        try await eventually("agent retrying", wakingOn: [agent.changes]) {
            if case .retrying = agent.state { return agent.sleepingUntil != nil }
            return false
        }
        try await h.startServer(port: port)
        // Backoff is at most 30 s (with jitter, 45 s): the agent is back within a minute of clock time.
        for _ in 0..<12 where agent.heartbeats < 2 {
            h.clock.advance(by: 5)
            try await eventually("agent asleep", wakingOn: [agent.changes]) { agent.sleepingUntil != nil || agent.heartbeats >= 2 }
        }
        try await eventually("heartbeat after restart", wakingOn: [agent.changes]) { agent.heartbeats >= 2 }
        #expect(agent.state == .reporting)
        loop.cancel()
        await loop.value
        await h.shutdown()
    }
}

@Suite(.serialized) struct SimulatedFleetTests {
    /// The quickstart's phone policy over a simulated day, through the store and the
    /// controllers: the Harvestable reasons come in the order the phone's day makes them.
    @Test func phoneDayThroughTheControllers() async throws {
        let h = try FleetHarness(heartbeatTimeout: 900)
        var policy = Resource(kind: "HarvestPolicy", metadata: ObjectMeta(name: "phones-while-charging"))
        policy.content["spec"] = ["nodeSelector": ["matchLabels": ["fog/class": "mobile"]], "requireCharging": true,
                                  "minBatteryPercent": 40, "maxThermalCelsius": 40, "minIdleSeconds": 180, "maxCpuShare": 0.5]
        _ = try h.store.create(policy)
        var options = SimulatedFleet.Options()
        options.seed = 11
        options.heartbeatInterval = 300
        options.exactRoutines = true
        let fleet = SimulatedFleet(client: EmbeddedClient(store: h.store), clock: h.clock, options: options)
        try await fleet.createNodes(count: 1, profiles: [.mobile])
        let name = try #require(fleet.nodeNames.first)
        var reasons: [String] = []
        for _ in 0...(25 * 12) {
            try await fleet.tick()
            try await h.settle()
            if let r = try h.node(name)?.conditions[type: "Harvestable"]?.reason, reasons.last != r { reasons.append(r) }
            h.clock.advance(by: 300)
        }
        if reasons.first == "NoTelemetry" { reasons.removeFirst() }
        #expect(reasons == ["Eligible", "OnBattery", "BatteryLow", "TooHot", "Eligible"])
        // Offered core-seconds: eight hours of half of 4 cores overnight, then the late-night spell.
        let node = try #require(try h.node(name))
        let offered = node.status?["harvest"]?["coreSeconds"]?["phones-while-charging"]?.numberValue ?? 0
        #expect(offered > 8 * 3600 * 2 * 0.95 && offered < 9.5 * 3600 * 2)
        try await eventually("policy totals", watching: h.store) {
            let p = try h.store.get(policy.key)
            return (p?.status?["harvestedCoreSeconds"]?.numberValue ?? 0) >= offered.rounded() - 1 && p?.status?["eligibleNodes"] == 1
        }
        #expect(node.metadata.labels["fog/simulated"] == "true")
        await h.shutdown()
    }

    /// A fleet sending its heartbeats in batches over HTTP (one status-patch request for several
    /// nodes) leaves every node as one request per node does, and a batch naming a node deleted
    /// meanwhile is sent again node by node, so the others' heartbeats still arrive.
    @Test func heartbeatsInBatchesWriteWhatOneRequestPerNodeDoes() async throws {
        func run(batch: Int) async throws -> (statuses: [String], sent: [Int]) {
            let h = try FleetHarness(controllers: [])
            try await h.startServer()
            let client = h.client("admin-token")
            var options = SimulatedFleet.Options()
            options.seed = 7
            options.heartbeatBatch = batch
            let fleet = SimulatedFleet(client: client, clock: h.clock, options: options)
            try await fleet.createNodes(count: 12)
            var sent: [Int] = []
            for round in 0..<6 {
                if round == 3 { _ = try h.store.delete(ObjectKey(kind: "FogNode", namespace: "", name: fleet.nodeNames[4])) }
                sent.append(try await fleet.tick())
                h.clock.advance(by: 5)
            }
            let statuses = try h.store.list(kind: "FogNode", namespace: nil, selector: LabelSelector([])).items
                .sorted { $0.name < $1.name }
                .map { $0.name + " " + ($0.status.map { JSONCoding.encode($0) } ?? "-") }
            try await client.shutdown()
            await h.shutdown()
            return (statuses, sent)
        }
        let alone = try await run(batch: 1)
        let batched = try await run(batch: 5)
        #expect(batched.statuses == alone.statuses)
        #expect(batched.sent == alone.sent)
        #expect(alone.statuses.count == 11)
        #expect(alone.sent.allSatisfy { $0 > 5 })
    }

    /// A policy's totals come from a tally its node cache keeps change by change; they follow
    /// node labels and harvest status, node deletions, and a new selector (counted afresh).
    @Test func harvestPolicyTotalsFollowNodeChangesAndANewSelector() async throws {
        let h = try FleetHarness(controllers: [HarvestPolicyController()])
        func node(_ name: String, cls: String, offered: Double, eligible: Bool) throws {
            var meta = ObjectMeta(name: name)
            meta.labels = ["fog/class": cls]
            _ = try h.store.create(Resource(kind: "FogNode", metadata: meta, content: ["spec": ["region": "eu-west", "class": .string(cls), "capacity": ["cpu": 4, "memoryGiB": 4]]]))
            _ = try h.store.patchStatus(ObjectKey(kind: "FogNode", namespace: "", name: name),
                                        ["harvest": ["policy": "p", "reason": eligible ? "Eligible" : "OnBattery", "coreSeconds": ["p": .double(offered), "other": 1000]]])
        }
        try node("a", cls: "mobile", offered: 10.5, eligible: true)
        try node("b", cls: "mobile", offered: 20.25, eligible: false)
        try node("c", cls: "edge", offered: 0.125, eligible: true)
        var policy = Resource(kind: "HarvestPolicy", metadata: ObjectMeta(name: "p"))
        policy.content["spec"] = ["nodeSelector": ["matchLabels": ["fog/class": "mobile"]], "requireCharging": true]
        _ = try h.store.create(policy)
        func totals() throws -> [Double?] {
            let s = try h.store.get(policy.key)?.status
            return [s?["matchedNodes"]?.numberValue, s?["eligibleNodes"]?.numberValue, s?["harvestedCoreSeconds"]?.numberValue]
        }
        try await eventually("first totals", watching: h.store) { try totals() == [2, 2, 31] }
        // A node relabelled and another deleted: counted at the next recount (every 5 s).
        var b = try #require(try h.node("b"))
        b.metadata.labels["fog/class"] = "edge"
        _ = try h.store.update(b)
        _ = try h.store.delete(ObjectKey(kind: "FogNode", namespace: "", name: "a"))
        try await h.settle()
        h.clock.advance(by: 5)
        try await eventually("after the changes", watching: h.store) { try totals() == [0, 1, 20] }
        // A new selector is counted afresh at once.
        var edited = try #require(try h.store.get(policy.key))
        edited.content["spec"] = ["nodeSelector": ["matchLabels": ["fog/class": "edge"]], "requireCharging": true]
        _ = try h.store.update(edited)
        try await eventually("the new selector", watching: h.store) { try totals() == [2, 1, 20] }
        await h.shutdown()
    }

    @Test func sameSeedSameFleet() async throws {
        func run() async throws -> [String] {
            let h = try FleetHarness(controllers: [])
            var options = SimulatedFleet.Options()
            options.seed = 99
            options.byzantineShare = 0.3
            let fleet = SimulatedFleet(client: EmbeddedClient(store: h.store), clock: h.clock, options: options)
            try await fleet.createNodes(count: 12)
            var out: [String] = []
            for _ in 0..<20 {
                try await fleet.tick()
                h.clock.advance(by: 5)
            }
            for n in try h.store.list(kind: "FogNode", namespace: nil, selector: LabelSelector([])).items.sorted(by: { $0.name < $1.name }) {
                out.append(n.name + " " + (n.status?["telemetry"].map { JSONCoding.encode($0) } ?? "-") + (fleet.isByzantine(n.name) ? " byzantine" : ""))
            }
            await h.shutdown()
            return out
        }
        let a = try await run()
        #expect(a == (try await run()))
        #expect(a.filter { $0.hasSuffix("byzantine") }.count == 4)
    }
}

/// Agents react to their tasks through a watch, not at their next heartbeat.
@Suite(.serialized) struct AgentTaskWatchTests {
    func task(_ name: String, node: String) -> Resource {
        var meta = ObjectMeta(name: name, namespace: "default")
        meta.labels = ["fog/job": "absent"]
        // A spec that does not decode: the agent reports it Failed at once, which is all this test needs to see.
        return Resource(kind: "TrainingTask", metadata: meta, content: ["spec": ["node": .string(node), "job": "absent"]])
    }

    @Test func anAgentStartsATaskWhenItIsCreatedNotAtItsNextHeartbeat() async throws {
        let h = try FleetHarness()
        try await h.startServer()
        var options = NodeAgent.Options(node: "edge-1")
        options.region = "eu-west"
        options.dataDirectory = repositoryRoot + "/examples/data"
        let agent = NodeAgent(client: h.client("agent-edge-1-token"), clock: h.clock,
                              reader: HostTelemetryReader(root: fixture("desktop-no-battery")), options: options, seed: 3)
        // A task created before the agent starts is found by its first listing.
        _ = try h.store.create(task("before", node: "edge-1"))
        let loop = Task { try? await agent.run() }
        try await eventually("the first task run and the watch open", wakingOn: [agent.changes]) { agent.tasksRun == 1 && agent.watching }
        // The heartbeat loop now sleeps on the manual clock, which never moves in this test:
        // only the watch can start what comes next.
        try await eventually("agent asleep", wakingOn: [agent.changes]) { agent.sleepingUntil != nil }
        let heartbeats = agent.heartbeats
        _ = try h.store.create(task("after", node: "edge-1"))
        _ = try h.store.create(task("elsewhere", node: "edge-2"))
        try await eventually("the new task run", wakingOn: [agent.changes]) { agent.tasksRun == 2 }
        #expect(agent.heartbeats == heartbeats)
        let after = try #require(try h.store.get(ObjectKey(kind: "TrainingTask", namespace: "default", name: "after")))
        #expect(after.status?["phase"] == "Failed")
        // Another node's task is neither seen nor run by this agent.
        #expect(try h.store.get(ObjectKey(kind: "TrainingTask", namespace: "default", name: "elsewhere"))?.status?["phase"] == nil)
        // A server restart breaks the watch; the agent resumes from the last revision it saw and misses nothing.
        let port = h.port
        await h.stopServer()
        try await eventually("watch broken, retry scheduled", wakingOn: [agent.changes]) { agent.watchRetryAt != nil }
        _ = try h.store.create(task("while-away", node: "edge-1"))
        try await h.startServer(port: port)
        // The watch's backoff runs on the agent's clock: move it past each retry until one succeeds.
        while agent.tasksRun < 3 {
            try await eventually("a retry scheduled or the task run", wakingOn: [agent.changes]) { agent.watchRetryAt != nil || agent.tasksRun == 3 }
            if let at = agent.watchRetryAt { h.clock.advance(by: at.timeIntervalSince(h.clock.now()) + 0.001) }
            try await eventually("the retry made", wakingOn: [agent.changes]) { agent.watchRetryAt == nil || agent.tasksRun == 3 }
        }
        #expect(agent.watching)
        loop.cancel()
        await loop.value
        await h.shutdown()
    }
}
