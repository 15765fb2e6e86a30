import FogAgent
import FogClient
@testable import FogControllers
import FogFleet
import FogManifest
import FogMarket
import FogModel
import FogRuntime
import FogStore
import FogTesting
import Foundation
import Testing

let repositoryRoot: String = {
    var url = URL(fileURLWithPath: #filePath)
    for _ in 0..<3 { url.deleteLastPathComponent() }
    return url.path
}()

/// Objects from YAML text, validated and defaulted as `fogctl apply` does.
func manifests(_ yaml: String) throws -> [Resource] {
    try ManifestDecoder().decode([ManifestInput(name: "test.yaml", bytes: Array(yaml.utf8))]).map(\.resource)
}

func defaultManifests() throws -> [Resource] {
    let inputs = try ManifestInput.load(paths: [repositoryRoot + "/manifests"], recursive: false, readStandardInput: { [] })
    return try ManifestDecoder().decode(inputs).map(\.resource)
}

func job(_ name: String, namespace: String = "default", tier: String = "medium", privacy: String = "low", type: String = "training",
         min: Int = 2, max: Int? = nil, budget: Double = 1000, cpu: Double = 1, placement: String = "") -> String {
    """
    apiVersion: fog/v1alpha1
    kind: FederatedJob
    metadata: {name: \(name), namespace: \(namespace)}
    spec:
      type: \(type)
      tier: \(tier)
      privacy: \(privacy)
      data: {dataset: digits}
      training: {rounds: 10, roundTimeout: 60s}
      participants: {min: \(min)\(max.map { ", max: \($0)" } ?? "")}
      placement: {requirements: {cpu: \(cpu), memoryGiB: 1}\(placement)}
      budget: {max: \(budget)}
    ---

    """
}

/// A store on a manual clock with every controller, tiers and privacy policies applied,
/// and a simulated fleet heartbeating `nodes` nodes.
final class MarketHarness: @unchecked Sendable {
    let fleet: FleetHarness
    let sim: SimulatedFleet
    var store: SQLiteStore { fleet.store }

    init(nodes: Int, profiles: [FleetProfile] = [.stable, .lowLatency, .highPerformance, .loadBalanced], extra: [Resource] = [],
         controllers: [any Controller] = ControllerFamilies.controllers()) async throws {
        fleet = try FleetHarness(heartbeatTimeout: 15, controllers: controllers)
        _ = try fleet.store.apply(try defaultManifests() + extra, dryRun: false)
        var options = SimulatedFleet.Options()
        options.seed = 17
        sim = SimulatedFleet(client: EmbeddedClient(store: fleet.store), clock: fleet.clock, options: options)
        try await sim.createNodes(count: nodes, profiles: profiles)
        // No outages unless a test injects one.
        for n in sim.nodeNames { sim.force(n, online: true) }
        try await sim.tick()
        try await fleet.settle()
    }

    func apply(_ yaml: String) throws { _ = try store.apply(try manifests(yaml), dryRun: false) }

    func job(_ name: String, namespace: String = "default") throws -> Resource {
        try #require(try store.get(ObjectKey(kind: "FederatedJob", namespace: namespace, name: name)))
    }

    /// Advances the clock in heartbeat steps, letting the controllers settle after each.
    func run(seconds: Double, step: Double = 5) async throws {
        var t = 0.0
        while t < seconds {
            fleet.clock.advance(by: step)
            t += step
            try await sim.tick()
            try await fleet.settle()
        }
    }

    func shutdown() async { await fleet.shutdown() }
}

@Suite(.serialized) struct AdmissionTests {
    @Test func admissionMatrix() async throws {
        let tight = """
            apiVersion: fog/v1alpha1
            kind: Tier
            metadata: {name: tight}
            spec:
              size: medium
              inference: {pricePerRequest: {min: 0.1, max: 1}}
              training: {pricePerHour: {min: 10, max: 100}}
              deviceClasses: [edge, fog, cloud]
              allowedPrivacyLevels: [low]
              sla: {uptimePercent: 90}
              maxConcurrentJobs: 2
            """
        let h = try await MarketHarness(nodes: 12, extra: try manifests(tight))
        try h.apply(job("fits") + job("over-budget", budget: 1)
                    + job("too-private", tier: "small", privacy: "high")
                    + job("wrong-class", tier: "small", placement: ", deviceClasses: [cloud]")
                    + job("slot-1", namespace: "team-a", tier: "tight") + job("slot-2", namespace: "team-a", tier: "tight")
                    + job("slot-3", namespace: "team-a", tier: "tight") + job("other-ns", namespace: "team-b", tier: "tight"))
        try await h.fleet.settle()
        func admitted(_ name: String, _ ns: String = "default") throws -> Condition? { try h.job(name, namespace: ns).conditions[type: "Admitted"] }
        #expect(try admitted("fits")?.status == .true)
        // Allocated, and (the training controller is running too) possibly already training.
        let fitsPhase = try h.job("fits").status?["phase"]?.stringValue ?? ""
        #expect(fitsPhase == "Allocated" || fitsPhase == "Running")
        let over = try #require(try admitted("over-budget"))
        #expect(over.status == .false && over.reason == "OverBudget" && over.message.contains("exceeds spec.budget.max 1.00"))
        #expect(try h.job("over-budget").status?["quote"]?["total"] != nil)
        #expect(try admitted("too-private")?.reason == "PrivacyLevelNotAllowed")
        #expect(try admitted("wrong-class")?.reason == "DeviceClassNotAllowed")
        // Two slots per namespace: the oldest two are in, the third waits; another namespace has its own slots.
        #expect(try admitted("slot-1", "team-a")?.status == .true)
        #expect(try admitted("slot-2", "team-a")?.status == .true)
        let queued = try #require(try admitted("slot-3", "team-a"))
        #expect(queued.reason == "TierConcurrencyLimit")
        let slot3Phase = try h.job("slot-3", namespace: "team-a").status?["phase"]
        #expect(slot3Phase == "Pending")
        #expect(try admitted("other-ns", "team-b")?.status == .true)
        // A slot frees: the queued job gets in.
        _ = try h.store.delete(ObjectKey(kind: "FederatedJob", namespace: "team-a", name: "slot-1"))
        try await eventually("slot-3 admitted", watching: h.store) { try h.job("slot-3", namespace: "team-a").conditions[type: "Admitted"]?.status == .true }
        // Its finalizer held it until its reservations were given back.
        try await eventually("slot-1 gone", watching: h.store) { try h.store.get(ObjectKey(kind: "FederatedJob", namespace: "team-a", name: "slot-1")) == nil }
        await h.shutdown()
    }
}

/// A node's facts as allocation reads them: its spec decoded with the schema's defaults.
fileprivate func facts(_ node: Resource) throws -> NodeFacts { NodeFacts(node, spec: try node.decodeSpec(FogNodeSpec.self)) }

@Suite(.serialized) struct AllocationTests {
    @Test func eachConstraintExcludesTheRightNodes() throws {
        let tier = TierTerms(name: "t", deviceClasses: ["edge", "fog", "mobile"], slaUptimePercent: 98, slaMaxLatencyMs: 100)
        func node(_ name: String, cls: String = "edge", region: String = "eu-west", cpu: Double = 8, gpu: Bool = false,
                  ready: Bool = true, harvestable: Bool? = nil, rtt: Double = 20, uptime: Double = 1, labels: [String: String] = [:],
                  reservations: JSONValue? = nil, roles: [JSONValue] = ["compute"], unschedulable: Bool = false,
                  outcomes: JSONValue? = ["succeeded": 9, "failed": 1], allocatable: Double? = nil, memory: Double = 16,
                  draining: Bool = false, privacy: [JSONValue]? = nil) -> Resource {
            var meta = ObjectMeta(name: name)
            meta.labels = labels
            if draining { meta.annotations[NodeFacts.drainAnnotation] = "2040-01-01T00:00:00Z" }
            var capacity: JSONValue = ["cpu": .double(cpu), "memoryGiB": .double(memory)]
            if gpu { capacity = ["cpu": .double(cpu), "memoryGiB": .double(memory), "gpu": ["model": "RTX 4090", "count": 1]] }
            var status: [String: JSONValue] = ["telemetry": ["rttAverageMillis": .double(rtt)],
                                               "availability": Availability(firstSeen: 0, ready: true).json]
            var a = Availability(firstSeen: 0, ready: true)
            a.observe(now: 3600 * uptime, ready: false)
            a.observe(now: 3600, ready: true)
            status["availability"] = a.json
            var conditions: [JSONValue] = [["type": "Ready", "status": ready ? "True" : "False", "reason": "x"]]
            if let harvestable { conditions.append(["type": "Harvestable", "status": harvestable ? "True" : "False", "reason": "x"]) }
            status["conditions"] = .array(conditions)
            if let reservations { status["reservations"] = reservations }
            if let outcomes { status["taskOutcomes"] = outcomes }
            if let allocatable { status["harvest"] = ["allocatableCpu": .double(allocatable)] }
            var spec: JSONValue = ["region": .string(region), "class": .string(cls), "capacity": capacity, "roles": .array(roles), "unschedulable": .bool(unschedulable)]
            if let privacy { spec["privacyCapabilities"] = .array(privacy) }
            return Resource(kind: "FogNode", metadata: meta, content: ["spec": spec, "status": .object(status)])
        }
        let spec = try manifests(job("j", cpu: 4, placement: ", regions: [eu-west], nodeSelector: {team: a}, minTrust: 0.6")
            .replacingOccurrences(of: "memoryGiB: 1}", with: "memoryGiB: 1, gpu: true}"))[0]
        var view = JobView(key: spec.key, spec: try spec.decodeSpec(FederatedJobSpec.self))
        // Its PrivacyPolicy enables differential privacy and secure aggregation.
        view.privacyCapabilities = ["differentialPrivacy", "secureAggregation"]
        let ok = node("ok", gpu: true, labels: ["team": "a"])
        let declaresBoth = node("declares-both", gpu: true, labels: ["team": "a"], privacy: ["secureAggregation", "differentialPrivacy"])
        #expect(Eligibility.exclusion(try facts(declaresBoth), job: view, tier: tier) == nil)
        #expect(Eligibility.exclusion(try facts(ok), job: view, tier: tier) == nil)
        let cases: [(Resource, Exclusion)] = [
            (node("down", gpu: true, ready: false, labels: ["team": "a"]), .notReady),
            (node("cordoned", gpu: true, labels: ["team": "a"], unschedulable: true), .unschedulable),
            (node("drained", gpu: true, labels: ["team": "a"], unschedulable: true, draining: true), .drained),
            (node("relay-only", gpu: true, labels: ["team": "a"], roles: ["relay"]), .noComputeRole),
            (node("no-secure-aggregation", gpu: true, labels: ["team": "a"], privacy: ["differentialPrivacy"]), .privacyCapabilityMissing),
            (node("cloud", cls: "cloud", gpu: true, labels: ["team": "a"]), .classNotAllowed),
            (node("phone", cls: "mobile", gpu: true, harvestable: false, labels: ["team": "a"]), .notHarvestable),
            (node("far", region: "us-east", gpu: true, labels: ["team": "a"]), .regionNotSelected),
            (node("other-team", gpu: true, labels: ["team": "b"]), .selectorMismatch),
            (node("untrusted", gpu: true, labels: ["team": "a"], outcomes: ["succeeded": 1, "failed": 5]), .trustBelowMinimum),
            (node("small", cpu: 2, gpu: true, labels: ["team": "a"]), .insufficientCPU),
            (node("booked", gpu: true, labels: ["team": "a"], reservations: ["default/other": ["cpu": 6, "memoryGiB": 1, "gpu": 0]]), .insufficientCPU),
            (node("phone-share", cls: "mobile", gpu: true, harvestable: true, labels: ["team": "a"], allocatable: 2), .insufficientCPU),
            (node("no-gpu", labels: ["team": "a"]), .noGPU),
            (node("tiny-memory", gpu: true, labels: ["team": "a"], memory: 0.5), .insufficientMemory),
            (node("gpu-booked", gpu: true, labels: ["team": "a"], reservations: ["default/other": ["cpu": 1, "memoryGiB": 1, "gpu": 1]]), .noGPU),
            (node("slow", gpu: true, rtt: 150, labels: ["team": "a"]), .latencyAboveSLA),
            (node("flaky", gpu: true, uptime: 0.5, labels: ["team": "a"]), .uptimeBelowSLA),
        ]
        for (n, expected) in cases {
            #expect(Eligibility.exclusion(try facts(n), job: view, tier: tier) == expected, "\(n.name)")
        }
        // A cordon keeps new participants away, not the ones a job already has; a drain moves them too.
        let cordoned = try facts(node("cordoned", gpu: true, labels: ["team": "a"], unschedulable: true))
        #expect(Eligibility.exclusion(cordoned, job: view, tier: tier, keeping: true) == nil)
        let drained = try facts(node("drained", gpu: true, labels: ["team": "a"], unschedulable: true, draining: true))
        #expect(Eligibility.exclusion(drained, job: view, tier: tier, keeping: true) == .drained)
        // The job's own reservation does not count against it.
        let mine = node("mine", gpu: true, labels: ["team": "a"], reservations: ["default/j": ["cpu": 4, "memoryGiB": 1, "gpu": 1]])
        #expect(Eligibility.exclusion(try facts(mine), job: view, tier: tier) == nil)
        // Every exclusion has its case.
        #expect(Set(cases.map(\.1)) == Set(Exclusion.allCases))
    }

    /// 50 jobs against 200 nodes, booked by three allocation workers at once (the control
    /// plane's one, and a second control plane's two): capacity is never booked twice, every
    /// reservation matches an allocation, no budget is exceeded.
    @Test func fiftyConcurrentJobsNeverDoubleBook() async throws {
        let h = try await MarketHarness(nodes: 200, profiles: [.stable, .lowLatency, .loadBalanced])
        // A second control plane on the same state file (its own connection, caches and workers),
        // as a second server would be: the two allocate against each other.
        let second = try SQLiteStore(path: h.fleet.dir + "/state.db", now: { [clock = h.fleet.clock] in clock.now() }, pollInterval: .milliseconds(20))
        let rival = Manager(client: EmbeddedClient(store: second), controllers: [FederatedJobController(), AllocationController(workers: 2)],
                            registry: SchemaSet.builtIn.registry, clock: h.fleet.clock)
        let rivalTask = Task { try await rival.run() }
        defer { rivalTask.cancel() }
        var yaml = ""
        for i in 0..<50 { yaml += job("job-\(i)", namespace: "ns-\(i % 3)", min: 3, max: 4, budget: 500, cpu: 4) }
        try h.apply(yaml)
        try await h.fleet.settle()
        try await h.run(seconds: 10)
        try await settled(rival, "the second control plane settled")
        try await h.fleet.settle()
        // A reconcile that lost a race retries after a backoff on the manual clock: let it run
        // (with heartbeats, so that no node goes stale meanwhile).
        try await h.run(seconds: 5, step: 0.5)
        try await settled(rival, "the second control plane settled again")
        let nodes = try h.store.list(kind: "FogNode", namespace: nil, selector: LabelSelector()).items
        let jobs = try h.store.list(kind: "FederatedJob", namespace: nil, selector: LabelSelector()).items
        var holders: [String: Set<String>] = [:]
        for n in nodes {
            let c = NodeCapacity(try facts(n))
            #expect(c.reservedCpu <= c.cpu + 1e-9 && c.reservedMemoryGiB <= c.memoryGiB + 1e-9 && c.reservedGpus <= c.gpus, "\(n.name) over-booked")
            for k in (n.status?["reservations"]?.objectValue ?? [:]).keys { holders[k, default: []].insert(n.name) }
        }
        var allocatedJobs = 0
        for j in jobs {
            let participants = Set((j.status?["allocation"]?["participants"]?.arrayValue ?? []).compactMap { $0["node"]?.stringValue })
            #expect(participants == holders[j.namespace + "/" + j.name] ?? [], "\(j.name): allocation and reservations differ")
            if !participants.isEmpty {
                allocatedJobs += 1
                #expect(participants.count >= 3 && participants.count <= 4)
                let paid = j.status?["allocation"]?["totalPrice"]?.numberValue ?? 0
                let quoted = j.status?["quote"]?["total"]?.numberValue ?? 0
                #expect(paid <= quoted + 1e-6 && quoted <= 500)
                #expect(j.status?["phase"] == "Allocated" || j.status?["phase"] == "Running")
            }
        }
        // About 133 of the nodes are edge or fog boxes of 8 cores (the cloud hosts are outside the medium
        // tier): two 4-core participants each, room for all 50 jobs at their maximum of 4.
        #expect(allocatedJobs == 50)
        await h.shutdown()
    }

    @Test func failoverReplacesALostParticipantAndDegradesWhenNoneIsLeft() async throws {
        // A tier that tolerates the outages this test injects (the default tiers want 95 % and more).
        let lab = """
            apiVersion: fog/v1alpha1
            kind: Tier
            metadata: {name: lab}
            spec:
              size: medium
              inference: {pricePerRequest: {min: 0.1, max: 1}}
              training: {pricePerHour: {min: 10, max: 100}}
              deviceClasses: [edge, fog]
              sla: {uptimePercent: 50}
            """
        let h = try await MarketHarness(nodes: 6, profiles: [.stable], extra: try manifests(lab))
        try h.apply(job("train", tier: "lab", min: 3, max: 3, budget: 1000, cpu: 4))
        try await h.fleet.settle()
        let first = try h.job("train")
        let participants = (first.status?["allocation"]?["participants"]?.arrayValue ?? []).compactMap { $0["node"]?.stringValue }
        #expect(participants.count == 3)
        // One participant goes silent: NotReady after the timeout, replaced at once.
        let victim = participants[0]
        h.sim.force(victim, online: false)
        try await h.run(seconds: 20)
        let after = try h.job("train")
        let now = (after.status?["allocation"]?["participants"]?.arrayValue ?? []).compactMap { $0["node"]?.stringValue }
        #expect(now.count == 3 && !now.contains(victim))
        let events = try h.store.list(kind: "Event", namespace: "default", selector: LabelSelector()).items
        #expect(events.contains { $0.content["reason"] == "ParticipantReplaced" && ($0.content["message"]?.stringValue ?? "").hasPrefix(victim + " → ") })
        #expect(try h.store.get(ObjectKey(kind: "FogNode", namespace: "", name: victim))?.status?["reservations"]?["default/train"] == nil)
        // Three more go: no one is left to replace them.
        for n in h.sim.nodeNames where n != victim && !now.contains(n) { h.sim.force(n, online: false) }
        h.sim.force(now[1], online: false)
        h.sim.force(now[2], online: false)
        try await h.run(seconds: 20)
        let degraded = try h.job("train").conditions[type: "Degraded"]
        #expect(degraded?.status == .true && degraded?.reason == "InsufficientNodes")
        // Nodes return: back to strength.
        for n in h.sim.nodeNames { h.sim.force(n, online: true) }
        try await h.run(seconds: 10)
        #expect(try h.job("train").conditions[type: "Degraded"]?.status == .false)
        #expect((try h.job("train").status?["allocation"]?["participants"]?.arrayValue ?? []).count >= 3)
        // Deleting the job releases everything.
        _ = try h.store.delete(ObjectKey(kind: "FederatedJob", namespace: "default", name: "train"))
        try await eventually("job gone", watching: h.store) { try h.store.get(ObjectKey(kind: "FederatedJob", namespace: "default", name: "train")) == nil }
        let left = try h.store.list(kind: "FogNode", namespace: nil, selector: LabelSelector()).items.filter { $0.status?["reservations"]?["default/train"] != nil }
        #expect(left.isEmpty)
        await h.shutdown()
    }
}

/// Admission's market comes from a tally the node index keeps change by change; `fogctl quote`
/// sums one afresh. The two must agree exactly, whatever the order of the changes.
@Suite struct MarketTallyTests {
    @Test func aTallyKeptChangeByChangeEqualsOneSummedAfresh() throws {
        var rng = SplitMix64(seed: 42)
        func unit() -> Double { Double(rng.next() >> 11) / Double(1 << 53) }
        var version: Int64 = 0
        func node(_ i: Int) throws -> NodeFacts {
            version += 1
            let cls = ["edge", "fog", "cloud", "mobile"][Int(rng.next() % 4)]
            var meta = ObjectMeta(name: "n\(i)")
            meta.resourceVersion = version
            var status: [String: JSONValue] = ["conditions": [["type": "Ready", "status": unit() < 0.8 ? "True" : "False", "reason": "x"]]]
            if unit() < 0.5 { status["reservations"] = ["ns/job": ["cpu": .double((unit() * 6).rounded() / 4 + unit() * 1e-3), "memoryGiB": 1, "gpu": 0]] }
            if cls == "mobile" && unit() < 0.7 { status["harvest"] = ["allocatableCpu": .double(unit() * 3)] }
            let spec: JSONValue = ["region": "eu-west", "class": .string(cls), "capacity": ["cpu": .double(1 + unit() * 31), "memoryGiB": 8]]
            return try facts(Resource(kind: "FogNode", metadata: meta, content: ["spec": spec, "status": .object(status)]))
        }
        var current: [Int: NodeFacts] = [:]
        var kept = MarketTally()
        for _ in 0..<3_000 {
            let i = Int(rng.next() % 200)
            if let old = current[i] {
                kept.remove(old)
                current[i] = nil
            }
            if unit() < 0.85 {
                let n = try node(i)
                kept.add(n)
                current[i] = n
            }
        }
        let afresh = MarketTally(current.keys.sorted().map { current[$0]! })
        #expect(kept == afresh)
        for classes in [[], ["mobile"], ["edge", "fog"], ["cloud", "mobile", "edge"]] {
            let market = kept.market(deviceClasses: classes)
            #expect(market == afresh.market(deviceClasses: classes))
            // Within a millionth of a CPU a node of the plain sum in doubles.
            var allocatable = 0.0, allocated = 0.0
            for n in current.values where n.ready && (classes.isEmpty || classes.contains(n.deviceClass)) {
                allocatable += n.deviceClass == "mobile" ? (n.harvestCpu ?? 0) : n.capacityCpu
                allocated += n.reservedCpu
            }
            #expect(abs(market.allocatableCpu - allocatable) <= 1e-6 * Double(current.count))
            #expect(abs(market.allocatedCpu - allocated) <= 1e-6 * Double(current.count))
            #expect(market.allocatableCpu > 0)
        }
        // Taking every node away leaves nothing.
        for n in current.values { kept.remove(n) }
        #expect(kept == MarketTally())
    }
}
