import FogAgent
import FogCircuits
import FogClient
@testable import FogControllers
import FogManifest
import FogModel
import FogRuntime
import FogStore
import FogTesting
import Foundation
import Testing

/// A transport bound after the fleet that serves it exists (the controllers are built first).
final class LateTransport: @unchecked Sendable {
    private let lock = NSLock()
    private var inner: RelayTransport?
    func set(_ t: @escaping RelayTransport) { lock.withLock { inner = t } }
    var transport: RelayTransport {
        { address, link, kind, cells in
            guard let t = self.lock.withLock({ self.inner }) else { throw CircuitError.unreachable("no transport yet") }
            return try await t(address, link, kind, cells)
        }
    }
}

/// Relay nodes in three regions, run by the simulated fleet (the same OnionRelay and
/// RelayNode code as `fogctl agent --relay-listen`), and the circuit-pool controller.
final class CircuitHarness: @unchecked Sendable {
    let fleet: FleetHarness
    let sim: SimulatedFleet

    static func relays(_ count: Int, regions: [String] = ["eu-west", "us-east", "ap-south"]) -> String {
        (0..<count).map { i in
            """
            apiVersion: fog/v1alpha1
            kind: FogNode
            metadata: {name: relay-\(i), labels: {fog/simulated: "true"}}
            spec:
              region: \(regions[i % regions.count])
              class: edge
              capacity: {cpu: 4, memoryGiB: 8}
              roles: [compute, relay]
              owner: owner-\(i)
              profile: Stable
            ---

            """
        }.joined()
    }

    static let pool = """
        apiVersion: fog/v1alpha1
        kind: CircuitPool
        metadata: {name: high-privacy, namespace: default}
        spec:
          hops: 3
          circuits: 4
          lifetime: 10m
          constraints: {distinctRegions: true, minTrust: 0.4}
          privacy: high
        """

    init(relays: Int, training: Bool = false) async throws {
        let late = LateTransport()
        var settings = ControllerSettings()
        settings.relayTransport = late.transport
        settings.dataDirectory = repositoryRoot + "/examples/data"
        fleet = try FleetHarness(heartbeatTimeout: 15, controllers: ControllerFamilies.controllers(settings))
        _ = try fleet.store.apply(try defaultManifests() + manifests(Self.relays(relays)), dryRun: false)
        var options = SimulatedFleet.Options()
        options.bidding = false
        if training { options.dataDirectory = repositoryRoot + "/examples/data" }
        sim = SimulatedFleet(client: EmbeddedClient(store: fleet.store), clock: fleet.clock, options: options)
        late.set(sim.relayTransport)
        try await sim.adoptExisting()
        for n in sim.nodeNames { sim.force(n, online: true) }
        try await sim.tick()
        try await fleet.settle()
    }

    func pool() throws -> Resource { try #require(try fleet.store.get(ObjectKey(kind: "CircuitPool", namespace: "default", name: "high-privacy"))) }

    func circuits() throws -> [JSONValue] { try pool().status?["circuits"]?.arrayValue ?? [] }

    func job(_ name: String) throws -> Resource {
        try #require(try fleet.store.get(ObjectKey(kind: "FederatedJob", namespace: "default", name: name)))
    }

    /// Runs tasks and lets the controllers react, `steps` times (the clock moves `advance` each).
    func train(_ name: String, steps: Int, advance: Double = 1) async throws {
        for _ in 0..<steps {
            let phase = try job(name).status?["phase"]?.stringValue
            if phase == "Succeeded" || phase == "Failed" { return }
            fleet.clock.advance(by: advance)
            try await sim.tick()
            try await sim.runTasks()
            try await fleet.settle()
        }
    }

    func step(_ seconds: Double) async throws {
        fleet.clock.advance(by: seconds)
        try await sim.tick()
        try await fleet.settle()
    }
}

@Suite(.serialized) struct CircuitPoolTests {
    @Test func aPoolKeepsItsCircuitsOverSimulatedRelaysAndRebuildsWhenARelayGoesNotReady() async throws {
        let h = try await CircuitHarness(relays: 9)
        defer { Task { await h.fleet.shutdown() } }
        // Every relay publishes an address and an onion key with its heartbeat.
        for name in h.sim.relayNames {
            let relay = try #require(try h.fleet.node(name)?.status?["relay"])
            #expect(relay["address"]?.stringValue == "sim://" + name)
            #expect(relay["onionKeys"]?.arrayValue?.first?["publicKey"]?.stringValue == h.sim.relay(name)?.publicKeys.first)
        }
        _ = try h.fleet.store.apply(try manifests(CircuitHarness.pool), dryRun: false)
        try await h.fleet.settle()
        var pool = try h.pool()
        #expect(pool.conditions[type: "Ready"]?.status == .true, "\(pool.status ?? [:])")
        #expect(pool.status?["readyCircuits"] == 4 && pool.status?["hops"] == 3)
        let nodes = Dictionary(uniqueKeysWithValues: try h.sim.relayNames.map { ($0, try #require(try h.fleet.node($0))) })
        for c in try h.circuits() {
            let relays = c["relays"]?.arrayValue?.compactMap(\.stringValue) ?? []
            #expect(relays.count == 3 && Set(relays).count == 3)
            let regions = relays.map { nodes[$0]?.spec?["region"]?.stringValue ?? "" }
            #expect(Set(regions).count == 3, "\(relays) in \(regions)")
            #expect((c["buildMillis"]?.numberValue ?? 0) > 0 && c["health"] == "Ready")
        }
        // The circuits were really built through the relays (create cells, peeled and confirmed).
        var built = 0
        for name in h.sim.relayNames { built += await h.sim.relay(name)!.node.counters.circuitsBuilt }
        #expect(built >= 12)

        // A relay of the first circuit goes offline: once it is NotReady, its circuits are rebuilt.
        let victim = try #require(try h.circuits().first?["relays"]?.arrayValue?[1].stringValue)
        h.sim.force(victim, online: false)
        try await h.step(20)
        #expect(try h.fleet.node(victim)?.conditions[type: "Ready"]?.status == .false)
        pool = try h.pool()
        #expect(pool.conditions[type: "Ready"]?.status == .true)
        #expect(try h.circuits().allSatisfy { !($0["relays"]?.arrayValue ?? []).contains(.string(victim)) })
        #expect((pool.status?["rebuilds"]?.intValue ?? 0) >= 1)
        #expect(pool.status?["readyCircuits"] == 4)

        // Rotation: at the lifetime every circuit is replaced.
        let before = Set(try h.circuits().compactMap { $0["id"]?.stringValue })
        try await h.step(600)
        let after = Set(try h.circuits().compactMap { $0["id"]?.stringValue })
        #expect(before.isDisjoint(with: after) && after.count == 4)
        #expect((try h.pool().status?["rotations"]?.intValue ?? 0) >= 4)
    }

    @Test func aPoolThatCannotBeFilledSaysWhy() async throws {
        // Two regions only: three distinct regions cannot be had.
        let h = try await CircuitHarness(relays: 4)
        defer { Task { await h.fleet.shutdown() } }
        _ = try h.fleet.store.apply(try manifests(CircuitHarness.pool), dryRun: false)
        try await h.fleet.settle()
        // relay-3 is in eu-west with relay-0: without ap-south's relay-2, two regions are left.
        h.sim.force("relay-2", online: false)
        try await h.step(20)
        let ready = try #require(try h.pool().conditions[type: "Ready"])
        #expect(ready.status == .false && ready.reason == "NotDiverseEnough", "\(ready)")
        #expect(ready.message.contains("distinct regions and distinct owners"))
        #expect(try h.circuits().isEmpty)
    }

    @Test func anUploadThroughThePoolsPathsReachesTheBlobStore() async throws {
        let h = try await CircuitHarness(relays: 9)
        defer { Task { await h.fleet.shutdown() } }
        _ = try h.fleet.store.apply(try manifests(CircuitHarness.pool), dryRun: false)
        try await h.fleet.settle()
        // An origin builds its own circuits over the pool's paths, from the relays' published keys.
        let paths: [[HopDescriptor]] = try h.circuits().map { c in
            try (c["relays"]?.arrayValue ?? []).map { name in
                let node = try #require(try h.fleet.node(name.stringValue ?? ""))
                let relay = try #require(node.status?["relay"])
                return HopDescriptor(name: node.name, address: relay["address"]!.stringValue!,
                                     onionKey: try RelayKeyPair.publicKey(base64: relay["onionKeys"]!.arrayValue![0]["publicKey"]!.stringValue!))
            }
        }
        let blob = Data((0..<150_000).map { UInt8(truncatingIfNeeded: $0 &* 7) })
        let result = try await CircuitUploader(transport: h.sim.relayTransport).upload(blob, paths: paths)
        let stored = try await EmbeddedClient(store: h.fleet.store).getBlob(result.digest)
        #expect(stored == Array(blob))
        #expect(result.failures.isEmpty && result.bytesSent == (1 + OnionCell.cellCount(messageBytes: blob.count, hops: 3)) * OnionCell.size)
    }

    @Test func aTrainingJobUnderThreeOnionHopsSendsEveryUpdateThroughCircuits() async throws {
        let h = try await CircuitHarness(relays: 9, training: true)
        defer { Task { await h.fleet.shutdown() } }
        _ = try h.fleet.store.apply(try manifests(trainingJob("private", participants: 4, rounds: 3, privacy: "high")), dryRun: false)
        // No pool yet: the round waits and says why; no task exists, nothing went directly.
        try await h.train("private", steps: 3)
        let waiting = try h.job("private").status?["training"]?["waitingFor"]?.stringValue ?? ""
        #expect(waiting.contains("privacy policy high asks for 3 onion hops; no CircuitPool has 3 or more hops"), "\(waiting)")
        #expect(try h.fleet.store.list(kind: "TrainingTask", namespace: "default").items.isEmpty)

        _ = try h.fleet.store.apply(try manifests(CircuitHarness.pool), dryRun: false)
        try await h.train("private", steps: 60)
        let job = try h.job("private")
        #expect(job.status?["phase"] == "Succeeded", "\(job.status?["training"] ?? [:])")
        let training = try #require(job.status?["training"])
        #expect(training["waitingFor"] == nil && training["circuitPool"] == "default/high-privacy")
        let rounds = training["rounds"]?.arrayValue ?? []
        #expect(rounds.count == 3)
        // Every round's updates went through circuits: at least one cell per update and hop-sized cells.
        for r in rounds {
            let via: Int64 = r["bytesViaCircuits"]?.intValue ?? 0
            let updates: Int64 = r["participants"]?.intValue ?? 0
            let least = updates * 2 * Int64(OnionCell.size)
            #expect(updates > 0 && via >= least, "\(r)")
        }
        #expect((training["bytesViaCircuits"]?.intValue ?? 0) == rounds.reduce(0) { $0 + ($1["bytesViaCircuits"]?.intValue ?? 0) })
        // The relays carried it: their counters hold more than the pool's own builds.
        var relayed = 0
        for name in h.sim.relayNames { relayed += await h.sim.relay(name)!.node.counters.bytesRelayed }
        #expect(relayed > Int(training["bytesViaCircuits"]?.intValue ?? 0))
    }
}
