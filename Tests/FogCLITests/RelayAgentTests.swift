import FogCircuits
import FogCLI
import FogClient
@testable import FogControllers
import FogManifest
import FogModel
import FogRemote
import FogRuntime
import FogStore
import FogTesting
import Foundation
import Logging
import Testing

/// Onion circuits on real processes: four `fogctl agent --roles compute,relay --relay-listen`
/// on loopback, a server running the controllers (the circuit-pool controller reaching the
/// relays over HTTP), a CircuitPool of 3-hop circuits, and a training job under the `high`
/// privacy policy (3 onion hops) whose every update goes through those relays.
@Suite(.serialized) struct RelayAgentTests {
    static let pool = """
        apiVersion: fog/v1alpha1
        kind: CircuitPool
        metadata: {name: relays, namespace: default}
        spec: {hops: 3, circuits: 2, lifetime: 10m, constraints: {distinctRegions: true, minTrust: 0}}
        """

    @Test func aTrainingJobUnderThreeOnionHopsTravelsThroughRealAgentRelaysAndThePoolRebuildsWhenOneDies() async throws {
        let binary = try #require(Harness.fogctlBinary())
        let h = try Harness()
        let relays = [("relay-a", "eu-west"), ("relay-b", "us-east"), ("relay-c", "ap-south"), ("relay-d", "ap-south")]
        let tokens = "tokens:\n- {token: admin-token, user: me, role: admin}\n"
            + relays.map { "- {token: \($0.0)-token, user: \($0.0), role: agent, node: \($0.0)}\n" }.joined()
        let store = try SQLiteStore(path: h.dir + "/server.db", pollInterval: .milliseconds(20))
        var logger = Logger(label: "relay-test")
        logger.logLevel = .error
        var settings = ControllerSettings()
        settings.dataDirectory = Harness.root + "/examples/data"
        // Short enough to see a killed relay soon, long enough that agents on a loaded machine
        // (the whole suite beside this test) do not flap.
        settings.heartbeatTimeout = 5
        settings.relayTransport = RelayClient.shared.transport
        let manager = Manager(client: EmbeddedClient(store: store), controllers: ControllerFamilies.controllers(settings),
                              registry: SchemaSet.builtIn.registry, logger: logger)
        let server = try await TestServer.start(store: store, directory: h.dir, tokens: tokens, access: ControllerFamilies.access, alongside: [manager])
        defer { Task { await server.stop() } }
        let defaults = try ManifestDecoder().decode(try ManifestInput.load(paths: [Harness.root + "/manifests"], recursive: false, readStandardInput: { [] }))
        _ = try store.apply(defaults.map(\.resource), dryRun: false)

        var agents: [String: Process] = [:]
        defer { for p in agents.values where p.isRunning { p.terminate() } }
        for (name, region) in relays {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: binary)
            p.arguments = ["agent", "--server", server.baseURL, "--token", "\(name)-token", "--node", name, "--class", "fog", "--region", region,
                           "--interval", "200ms", "--data", Harness.root + "/examples/data", "--roles", "compute,relay",
                           "--relay-listen", "127.0.0.1:0", "--relay-keys", h.dir + "/keys-" + name, "--no-bid"]
            p.standardOutput = FileHandle.nullDevice
            p.standardError = FileHandle.nullDevice
            try p.run()
            agents[name] = p
        }
        func node(_ name: String) throws -> Resource? { try store.get(ObjectKey(kind: "FogNode", namespace: "", name: name)) }
        try await eventually("every relay publishes its address and key", limit: 60, watching: store) {
            try relays.allSatisfy { try node($0.0)?.status?["relay"]?["onionKeys"]?.arrayValue?.isEmpty == false }
        }
        // The private key stays on the node, readable by its owner only; the status has its public half.
        for (name, _) in relays {
            let file = h.dir + "/keys-\(name)/onion-keys.json"
            let mode = try #require(try FileManager.default.attributesOfItem(atPath: file)[.posixPermissions] as? Int)
            #expect(mode == 0o600, "\(file): \(String(mode, radix: 8))")
            let ring = try OnionKeyRing(stored: try #require(FileManager.default.contents(atPath: file)), period: 86400, overlap: 8640)
            let published = try node(name)?.status?["relay"]?["onionKeys"]?.arrayValue?.first?["publicKey"]?.stringValue
            #expect(published == ring.current?.publicKeyBase64)
            #expect(try node(name)?.status?["relay"]?["address"]?.stringValue?.hasPrefix("http://127.0.0.1:") == true)
        }

        // The job waits for a pool, then trains through it.
        var job = try Harness.digitsJob("private-digits", roundTimeout: "30s")[0]
        job.content["spec"]?["privacy"] = "high"
        job.content["spec"]?["training"]?["rounds"] = 2
        _ = try store.apply([job], dryRun: false)
        try await eventually("the job waits for circuits", limit: 60, watching: store) {
            try store.get(job.key)?.status?["training"]?["waitingFor"]?.stringValue?.contains("no CircuitPool has 3 or more hops") == true
        }
        let poolKey = ObjectKey(kind: "CircuitPool", namespace: "default", name: "relays")
        _ = try store.apply(try ManifestDecoder().decode([ManifestInput(name: "pool.yaml", bytes: Array(Self.pool.utf8))]).map(\.resource), dryRun: false)
        try await eventually("the pool Ready", limit: 60, watching: store) { try store.get(poolKey)?.conditions[type: "Ready"]?.status == .true }
        try await eventually("private-digits Succeeded", limit: 240, watching: store) {
            let phase = try store.get(job.key)?.status?["phase"]?.stringValue
            return phase == "Succeeded" || phase == "Failed"
        }
        let done = try #require(try store.get(job.key))
        #expect(done.status?["phase"] == "Succeeded", "\(done.status?["training"] ?? [:])")
        let training = try #require(done.status?["training"])
        // At least one update a round, each at least a create and a data cell.
        #expect((training["bytesViaCircuits"]?.intValue ?? 0) >= 2 * 2 * Int64(OnionCell.size), "\(training)")
        for r in training["rounds"]?.arrayValue ?? [] { #expect((r["bytesViaCircuits"]?.intValue ?? 0) > 0, "\(r)") }

        // Kill a relay that a circuit uses (ap-south has two: the pool can rebuild without it).
        let circuits = try #require(try store.get(poolKey)?.status?["circuits"]?.arrayValue)
        var used: [String] = []
        for c in circuits { used += (c["relays"]?.arrayValue ?? []).compactMap(\.stringValue) }
        let victim = try #require(used.first { $0 == "relay-c" || $0 == "relay-d" })
        agents[victim]?.terminate()
        agents[victim]?.waitUntilExit()
        try await eventually("\(victim) NotReady", limit: 30, watching: store) { try node(victim)?.conditions[type: "Ready"]?.status == .false }
        let notReady = ContinuousClock.now
        try await eventually("the pool rebuilt without \(victim)", limit: 30, watching: store) {
            guard let pool = try store.get(poolKey), pool.conditions[type: "Ready"]?.status == .true else { return false }
            let cs = pool.status?["circuits"]?.arrayValue ?? []
            return cs.count == 2 && cs.allSatisfy { !($0["relays"]?.arrayValue ?? []).contains(.string(victim)) }
        }
        let rebuild = (ContinuousClock.now - notReady).milliseconds
        print(String(format: "circuit pool rebuilt %.0f ms after %@ was seen NotReady", rebuild, victim))
        #expect((try store.get(poolKey)?.status?["rebuilds"]?.intValue ?? 0) >= 1)
    }
}
