import FogCLI
import FogManifest
import FogModel
import FogRemote
import FogServer
import FogStore
import FogRuntime
import FogControllers
import FogAgent
import FogClient
import FogTesting
import Foundation
import Logging
import ServiceLifecycle
import Testing

/// Every verb through a real server (`--server`, `--token`) behaves as on the embedded store.
@Suite struct RemoteCLITests {
    @Test func verbsThroughAServer() async throws {
        let h = try Harness()
        let store = try SQLiteStore(path: h.dir + "/server.db")
        let server = try await TestServer.start(store: store, directory: h.dir, tokens: "tokens:\n- {token: cli-admin-token, user: me, role: admin}\n",
                                                access: ControllerFamilies.access)
        let port = server.port
        let remote = ["--server", "http://127.0.0.1:\(port)", "--token", "cli-admin-token"]
        func run(_ args: [String]) async -> Harness.Result {
            let console = Console.capturing()
            let code = await Fogctl.run(args + remote, console: console)
            return Harness.Result(code: code, stdout: console.stdout, stderr: console.stderr)
        }
        let tiers = Harness.root + "/examples/quickstart/tiers.yaml"
        let applied = await run(["apply", "-f", tiers])
        #expect(applied.code == 0, "\(applied.stderr)")
        #expect(applied.stdout == "tier/small created\ntier/medium created\ntier/large created\ntier/enterprise created\n")
        #expect(await run(["apply", "-f", tiers]).stdout.split(separator: "\n").allSatisfy { $0.hasSuffix("unchanged") })
        #expect(try store.list(kind: "Tier", namespace: nil).items.count == 4)
        let get = await run(["get", "tiers", "-o", "name"])
        #expect(get.stdout == "tier/enterprise\ntier/large\ntier/medium\ntier/small\n")
        #expect(await run(["describe", "tier", "small"]).stdout.contains("Name:               small"))
        #expect(await run(["diff", "-f", tiers]).code == 0)
        #expect(await run(["get", "tier", "nope"]).code == 1)
        let bad = await run(["apply", "-f", Harness.root + "/examples/bad/out-of-range.yaml"])
        #expect(bad.code == 1 && bad.stderr.contains("spec.training.rounds: must be >= 1 (got 0)"))
        #expect(await run(["delete", "tier", "small"]).stdout == "tier \"small\" deleted\n")
        #expect(try store.get(ObjectKey(kind: "Tier", namespace: "", name: "small")) == nil)
        let wrongToken = await Fogctl.run(["get", "tiers", "--server", "http://127.0.0.1:\(port)", "--token", "nope-nope-nope"], console: .capturing())
        #expect(wrongToken == 1)
        #expect(await run(["reconcile", "--once"]).code == 1)  // controllers run in the server
        await server.stop()
    }
}

extension RemoteCLITests {
    @Test func applyWaitThroughAServerWithControllers() async throws {
        let h = try Harness()
        let store = try SQLiteStore(path: h.dir + "/server.db")
        var logger = Logger(label: "cli-test")
        logger.logLevel = .error
        let manager = Manager(client: EmbeddedClient(store: store), controllers: ControllerFamilies.controllers(),
                              registry: SchemaSet.builtIn.registry, logger: logger)
        let server = try await TestServer.start(store: store, directory: h.dir, access: ControllerFamilies.access,
                                                alongside: [manager])
        let port = server.port
        let console = Console.capturing()
        let code = await Fogctl.run(["apply", "-f", Harness.root + "/examples/quickstart/privacy.yaml", "--wait", "--timeout", "20s",
                                     "--server", "http://127.0.0.1:\(port)"], console: console)
        #expect(code == 0, "\(console.stderr)")
        #expect(console.stdout.contains("privacypolicy/high ready"))
        await server.stop()
    }
}

@Suite(.serialized) struct AgentProcessTests {
    /// Three real `fogctl agent` processes on loopback register, heartbeat, and carry out the
    /// training tasks of a small job to the end, through a real server and its controllers.
    @Test func threeAgentProcessesTrainAJobEndToEnd() async throws {
        let binary = try #require(Harness.fogctlBinary())
        let h = try Harness()
        let tokens = "tokens:\n- {token: admin-token, user: me, role: admin}\n"
            + (1...3).map { "- {token: agent-\($0)-token, user: lab-\($0), role: agent, node: lab-\($0)}\n" }.joined()
        let (store, server) = try await h.serverWithControllers(tokens: tokens)
        let port = server.port

        var agents: [Process] = []
        for i in 1...3 {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: binary)
            p.arguments = ["agent", "--server", "http://127.0.0.1:\(port)", "--token", "agent-\(i)-token", "--node", "lab-\(i)",
                           "--class", "edge", "--region", "eu-west", "--interval", "200ms", "--data", Harness.root + "/examples/data"]
            p.standardOutput = FileHandle.nullDevice
            p.standardError = FileHandle.nullDevice
            try p.run()
            agents.append(p)
        }
        defer { for p in agents where p.isRunning { p.terminate() } }
        _ = try store.apply(try Harness.digitsJob("lab-digits", roundTimeout: "30s"), dryRun: false)
        let key = ObjectKey(kind: "FederatedJob", namespace: "default", name: "lab-digits")
        try await eventually("lab-digits Succeeded", limit: 240, watching: store) { try store.get(key)?.status?["phase"] == "Succeeded" }
        let done = try #require(try store.get(key))
        #expect(done.status?["phase"] == "Succeeded", "\(done.status.map { JSONCoding.encode($0) } ?? "")")
        let rounds = done.status?["training"]?["rounds"]?.arrayValue ?? []
        #expect(rounds.count == 3 && rounds.allSatisfy { $0["participants"] == 3 })
        #expect((done.status?["training"]?["accuracy"]?.numberValue ?? 0) > 0.8)
        let nodes = Set((done.status?["allocation"]?["participants"]?.arrayValue ?? []).compactMap { $0["node"]?.stringValue })
        #expect(nodes == ["lab-1", "lab-2", "lab-3"])
        // SIGTERM: each agent stops cleanly.
        for p in agents {
            p.terminate()
            p.waitUntilExit()
            #expect(p.terminationStatus == 0)
        }
        await server.stop()
    }
}

@Suite(.serialized) struct AgentAuctionTests {
    /// Three real `fogctl agent` processes on loopback bid (from their nodes' bid policies) in the
    /// auction of a small auction-mode job, win it, and train it to the end, through a real
    /// server and its controllers; their bids stay sealed to the tenant until the auction closes.
    @Test func threeAgentProcessesBidAndWinAnAuctionJob() async throws {
        let binary = try #require(Harness.fogctlBinary())
        let h = try Harness()
        let tokens = "tokens:\n- {token: admin-token, user: me, role: admin}\n"
            + (1...3).map { "- {token: agent-\($0)-token, user: lab-\($0), role: agent, node: lab-\($0)}\n" }.joined()
        let (store, server) = try await h.serverWithControllers(tokens: tokens)
        var agents: [Process] = []
        for i in 1...3 {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: binary)
            p.arguments = ["agent", "--server", server.baseURL, "--token", "agent-\(i)-token", "--node", "lab-\(i)",
                           "--class", "edge", "--region", "eu-west", "--interval", "200ms", "--data", Harness.root + "/examples/data"]
            p.standardOutput = FileHandle.nullDevice
            p.standardError = FileHandle.nullDevice
            try p.run()
            agents.append(p)
        }
        defer { for p in agents where p.isRunning { p.terminate() } }
        try await eventually("three agents Ready", limit: 30, watching: store) {
            try store.list(kind: "FogNode", namespace: nil).items.filter { $0.condition("Ready")?.status == .true }.count == 3
        }
        var job = try Harness.digitsJob("lab-auction", roundTimeout: "30s")
        // A window wide enough for three processes to bid on a machine the whole suite loads
        // (with 1 s, a bid arriving late lost the round and the job sometimes never cleared).
        job[0].content["spec"]?["allocation"] = ["mode": "auction", "auction": ["duration": "5s"]]
        _ = try store.apply(job, dryRun: false)
        let key = ObjectKey(kind: "FederatedJob", namespace: "default", name: "lab-auction")
        try await eventually("lab-auction Succeeded", limit: 240, watching: store) { try store.get(key)?.status?["phase"] == "Succeeded" }
        let auction = try #require(try store.get(ObjectKey(kind: "Auction", namespace: "default", name: "lab-auction")))
        #expect(auction.status?["phase"] == "Closed" && auction.status?["winnerCount"] == 3)
        let bids = try store.list(kind: "Bid", namespace: "default").items
        #expect(Set(bids.compactMap { $0.spec?["node"]?.stringValue }) == ["lab-1", "lab-2", "lab-3"])
        #expect(bids.allSatisfy { $0.status?["outcome"] == "Won" })
        let done = try #require(try store.get(key))
        let nodes = Set((done.status?["allocation"]?["participants"]?.arrayValue ?? []).compactMap { $0["node"]?.stringValue })
        #expect(nodes == ["lab-1", "lab-2", "lab-3"])
        for p in agents {
            p.terminate()
            p.waitUntilExit()
            #expect(p.terminationStatus == 0)
        }
        await server.stop()
    }
}

@Suite(.serialized) struct InferCommandTests {
    /// Trains a small job with the controllers and a simulated fleet running on the real
    /// clock, then sends raw digit rows with `fogctl infer` and checks the predictions.
    @Test func inferSendsRowsToTheParticipantsAndPrintsPredictions() async throws {
        let h = try Harness()
        let store = try h.store()
        let objects = try ManifestDecoder().decode(try ManifestInput.load(paths: [Harness.root + "/manifests"], recursive: false, readStandardInput: { [] }))
        _ = try store.apply(objects.map(\.resource), dryRun: false)
        var options = ControllerSettings()
        options.dataDirectory = Harness.root + "/examples/data"
        var logger = Logger(label: "infer-test")
        logger.logLevel = .error
        let manager = Manager(client: EmbeddedClient(store: store), controllers: ControllerFamilies.controllers(options),
                              registry: SchemaSet.builtIn.registry, logger: logger)
        var simOptions = SimulatedFleet.Options()
        simOptions.dataDirectory = Harness.root + "/examples/data"
        simOptions.heartbeatInterval = 1
        let fleet = SimulatedFleet(client: EmbeddedClient(store: store), clock: SystemClock(), options: simOptions)
        try await fleet.createNodes(count: 4, profiles: [.stable])
        for n in fleet.nodeNames { fleet.force(n, online: true) }
        let managerTask = Task { try await manager.run() }
        let fleetTask = Task { try await fleet.run() }
        defer { managerTask.cancel(); fleetTask.cancel() }
        let job = """
            apiVersion: fog/v1alpha1
            kind: FederatedJob
            metadata: {name: digits, namespace: default}
            spec:
              type: training
              tier: medium
              data: {dataset: digits}
              training: {rounds: 5, learningRate: 0.5, roundTimeout: 30s}
              inference: {batchSize: 4}
              participants: {min: 3, max: 3}
              placement: {requirements: {cpu: 1, memoryGiB: 1}}
              budget: {max: 100}
            """
        _ = try store.apply(try ManifestDecoder().decode([ManifestInput(name: "job.yaml", bytes: Array(job.utf8))]).map(\.resource), dryRun: false)
        let key = ObjectKey(kind: "FederatedJob", namespace: "default", name: "digits")
        try await eventually("digits Succeeded", limit: 60, watching: store) { try store.get(key)?.status?["phase"] == "Succeeded" }
        #expect(try store.get(key)?.status?["phase"] == "Succeeded")
        // Ten raw rows of the data set (with their header and label column).
        let csv = try String(contentsOfFile: Harness.root + "/examples/data/digits.csv", encoding: .utf8).split(separator: "\n").prefix(11)
        let input = try h.write("inputs.csv", csv.joined(separator: "\n") + "\n")
        let labels = csv.dropFirst().map { Int($0.split(separator: ",").last!)! }
        let r = await h.fogctl(["infer", "digits", "-f", input, "-o", "json", "--timeout", "30s"])
        #expect(r.code == 0, "\(r.stderr)")
        let predictions = (try JSONCoding.parse(bytes: Array(r.stdout.utf8))["predictions"]?.arrayValue ?? []).compactMap(\.intValue).map(Int.init)
        #expect(predictions.count == 10)
        #expect(zip(predictions, labels).filter { $0 == $1 }.count >= 8, "\(predictions) vs \(labels)")
        #expect(r.stderr.contains("10 rows in 3 batches"))
        // Bad input: a cell that is not a number, with its position.
        let bad = try h.write("bad.csv", "1,2,3\n4,x,6\n")
        let refused = await h.fogctl(["infer", "digits", "-f", bad])
        #expect(refused.code == 1 && refused.stderr.contains("bad.csv:2:2: expected a number (got \"x\")"))
        let missing = await h.fogctl(["infer", "nope", "-f", input])
        #expect(missing.code == 1 && missing.stderr.contains("not found"))
    }
}

@Suite(.serialized) struct SimulateAgainstAServerTests {
    /// `fogctl simulate` against a server runs the tasks bound to its nodes: a job trains to
    /// Succeeded on the simulated fleet alone (it used to heartbeat only, so rounds ended at
    /// their deadline with no updates).
    @Test func theSimulatedFleetTrainsThroughAServer() async throws {
        let h = try Harness()
        let (store, server) = try await h.serverWithControllers(tokens: "tokens:\n- {token: admin-token, user: me, role: admin}\n")
        defer { Task { await server.stop() } }
        let fleet = try Harness.simulatedFleet(server, nodes: 4, seed: 5)
        defer { if fleet.isRunning { fleet.terminate() } }
        _ = try store.apply(try Harness.digitsJob("sim-digits", roundTimeout: "60s"), dryRun: false)
        let key = ObjectKey(kind: "FederatedJob", namespace: "default", name: "sim-digits")
        try await eventually("sim-digits Succeeded", limit: 60, watching: store) { try store.get(key)?.status?["phase"] == "Succeeded" }
        let done = try #require(try store.get(key))
        // Every round's updates came from the fleet, not from a deadline.
        let rounds = done.status?["training"]?["rounds"]?.arrayValue ?? []
        #expect(rounds.count == 3)
        #expect(rounds.allSatisfy { ($0["participants"]?.intValue ?? 0) == 3 }, "\(rounds)")
    }
}

@Suite(.serialized) struct AgentCommandTests {
    /// Runs `fogctl agent` with `args`; `whileRunning` sees its stderr as it grows and may
    /// signal it. Returns the exit status and all of stderr.
    static func agent(_ args: [String], whileRunning: ((Process, Console) async throws -> Void)? = nil) async throws -> (Int32, String) {
        let binary = try #require(Harness.fogctlBinary())
        let p = Process()
        p.executableURL = URL(fileURLWithPath: binary)
        p.arguments = ["agent", "--node", "edge-1", "--interval", "200ms"] + args
        let pipe = Pipe()
        p.standardError = pipe
        p.standardOutput = FileHandle.nullDevice
        let seen = Console.capturing()
        pipe.fileHandleForReading.readabilityHandler = { h in
            let d = h.availableData
            if !d.isEmpty { seen.err(String(decoding: d, as: UTF8.self)) }
        }
        try p.run()
        if let whileRunning { try await whileRunning(p, seen) }
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            DispatchQueue.global().async { p.waitUntilExit(); c.resume() }
        }
        pipe.fileHandleForReading.readabilityHandler = nil
        let rest = pipe.fileHandleForReading.readDataToEndOfFile()
        return (p.terminationStatus, seen.stderr + String(decoding: rest, as: UTF8.self))
    }

    static let tokens = "tokens:\n- {token: admin-token, user: me, role: admin}\n- {token: edge-2-token, user: edge-2, role: agent, node: edge-2}\n"
        + "- {token: edge-1-token, user: edge-1, role: agent, node: edge-1}\n"

    @Test func anAgentTheServerRefusesSaysWhyAndExitsNonZero() async throws {
        let h = try Harness()
        let store = try SQLiteStore(path: h.dir + "/server.db")
        let server = try await TestServer.start(store: store, directory: h.dir, tokens: Self.tokens, access: ControllerFamilies.access)
        for (token, expected) in [("not-a-valid-token", "Unauthorized (401)"), ("edge-2-token", "Forbidden (403)")] {
            let (code, err) = try await Self.agent(["--server", server.baseURL, "--token", token, "--count", "1"])
            #expect(code == 1, "\(token): \(err)")
            #expect(err.contains(expected), "\(token): \(err)")
            #expect(err.contains("stopped after 0 heartbeats"))
        }
        await server.stop()
    }

    @Test func anAgentRetriesAnAbsentServerVisiblyAndStopsCleanlyOnSIGTERM() async throws {
        // A port nothing listens on: bind one, note it, close it.
        let dir = try TemporaryDirectory()
        let probe = try await TestServer.start(store: try SQLiteStore(path: dir.file("probe.db")), directory: dir.path)
        let port = probe.port
        await probe.stop()
        let (code, err) = try await Self.agent(["--server", "http://127.0.0.1:\(port)", "--token", "edge-1-token", "--count", "1"]) { p, seen in
            try await eventually("a retry reported", limit: 30, wakingOn: [seen.written]) { seen.stderr.contains("retrying in") }
            p.terminate()  // SIGTERM
        }
        #expect(code == 0, "\(err)")
        #expect(err.contains("heartbeat failed (attempt 1)"), "\(err)")
        #expect(!err.contains("CancellationError"))
    }
}

@Suite(.serialized) struct RemoteErrorTests {
    /// Errors say where they came from, and a server that is not there is reported at once,
    /// in words, naming it.
    @Test func errorsNameTheirOriginAndAnAbsentServerFailsFast() async throws {
        let h = try Harness()
        let store = try SQLiteStore(path: h.dir + "/server.db")
        let server = try await TestServer.start(store: store, directory: h.dir)
        let remote = await h.fogctl(["get", "tiers/nope", "--server", server.baseURL])
        #expect(remote.code == 1)
        #expect(remote.stderr.hasPrefix("Error from server (NotFound)"), "\(remote.stderr)")
        let local = await h.fogctl(["get", "tiers/nope"])
        #expect(local.stderr.hasPrefix("Error from store (NotFound)"), "\(local.stderr)")
        let port = server.port
        await server.stop()
        let clock = ContinuousClock()
        let started = clock.now
        let away = await h.fogctl(["get", "tiers", "--server", "http://127.0.0.1:\(port)"])
        #expect(away.code == 1)
        #expect(away.stderr.contains("cannot reach the server at http://127.0.0.1:\(port): connection refused"), "\(away.stderr)")
        #expect(clock.now - started < .seconds(5))
    }
}

@Suite(.serialized) struct ContextPrecedenceTests {
    static func fogctl(_ args: [String], env: [String: String]) throws -> (Int32, String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: try #require(Harness.fogctlBinary()))
        p.arguments = args
        var environment = ProcessInfo.processInfo.environment
        environment.removeValue(forKey: "FOG_SERVER")
        environment.removeValue(forKey: "FOG_TOKEN")
        environment.removeValue(forKey: "FOG_STATE")
        for (k, v) in env { environment[k] = v }
        p.environment = environment
        let pipe = Pipe()
        p.standardError = pipe
        p.standardOutput = pipe
        try p.run()
        let out = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: out, as: UTF8.self))
    }

    /// As kubectl: `set-context` does not switch contexts, and flags, then the environment,
    /// then the current context decide where commands go.
    @Test func setContextDoesNotSwitchAndTheEnvironmentBeatsTheContext() throws {
        let dir = try TemporaryDirectory()
        let env = ["FOG_CONFIG": dir.file("config.yaml")]
        #expect(try Self.fogctl(["config", "set-context", "away", "--server", "http://127.0.0.1:1"], env: env).0 == 0)
        let (none, text) = try Self.fogctl(["config", "current-context"], env: env)
        #expect(none == 1 && text.contains("no current context"), "\(text)")
        #expect(try Self.fogctl(["config", "use-context", "away"], env: env).0 == 0)
        // The context's server is down: commands that follow it fail, naming it...
        let (viaContext, said) = try Self.fogctl(["get", "tiers"], env: env)
        #expect(viaContext == 1 && said.contains("cannot reach the server at http://127.0.0.1:1"), "\(said)")
        // ...but FOG_STATE (environment) comes before the context, and --state (a flag) before both.
        var withState = env
        withState["FOG_STATE"] = dir.file("state.db")
        #expect(try Self.fogctl(["get", "tiers"], env: withState).0 == 0)
        #expect(try Self.fogctl(["get", "tiers", "--state", dir.file("other.db")], env: env).0 == 0)
    }
}

extension Harness {
    /// A real server over `<dir>/server.db` with every controller family beside it (as
    /// `fogctl server` runs them), the default tiers and privacy policies applied.
    func serverWithControllers(tokens: String) async throws -> (SQLiteStore, TestServer) {
        let store = try SQLiteStore(path: dir + "/server.db", pollInterval: .milliseconds(20))
        var logger = Logger(label: "server-test")
        logger.logLevel = .error
        var options = ControllerSettings()
        options.dataDirectory = Harness.root + "/examples/data"
        // As `fogctl server`: relays reached over HTTP.
        options.relayTransport = RelayClient.shared.transport
        let manager = Manager(client: EmbeddedClient(store: store), controllers: ControllerFamilies.controllers(options),
                              registry: SchemaSet.builtIn.registry, logger: logger)
        let server = try await TestServer.start(store: store, directory: dir, tokens: tokens, access: ControllerFamilies.access, alongside: [manager])
        let defaults = try ManifestDecoder().decode(try ManifestInput.load(paths: [Harness.root + "/manifests"], recursive: false, readStandardInput: { [] }))
        _ = try store.apply(defaults.map(\.resource), dryRun: false)
        return (store, server)
    }

    /// `fogctl simulate` against `server` in its own process (stop it with `terminate()`).
    static func simulatedFleet(_ server: TestServer, nodes: Int, seed: Int, token: String = "admin-token") throws -> Process {
        let fleet = Process()
        fleet.executableURL = URL(fileURLWithPath: try #require(Harness.fogctlBinary()))
        fleet.arguments = ["simulate", "--nodes", String(nodes), "--profiles", "stable", "--seed", String(seed), "--interval", "200ms",
                           "--server", server.baseURL, "--token", token, "--data-dir", Harness.root + "/examples/data"]
        fleet.standardOutput = FileHandle.nullDevice
        fleet.standardError = FileHandle.nullDevice
        try fleet.run()
        return fleet
    }

    /// A digits job long enough (400 rounds, a budget to match) to be maintained while it runs.
    static func longJob(_ name: String) throws -> Resource {
        var job = try digitsJob(name, roundTimeout: "60s")[0]
        job.content["spec"]?["training"]?["rounds"] = 400
        job.content["spec"]?["budget"]?["max"] = 100_000
        return job
    }

    /// A small digits training job: 3 participants, 3 rounds.
    static func digitsJob(_ name: String, roundTimeout: String) throws -> [Resource] {
        let job = """
            apiVersion: fog/v1alpha1
            kind: FederatedJob
            metadata: {name: \(name), namespace: default}
            spec:
              type: training
              tier: medium
              data: {dataset: digits}
              training: {rounds: 3, learningRate: 0.5, roundTimeout: \(roundTimeout)}
              participants: {min: 3, max: 3}
              placement: {requirements: {cpu: 1, memoryGiB: 1}}
              budget: {max: 100}
              seed: 3
            """
        return try ManifestDecoder().decode([ManifestInput(name: "job.yaml", bytes: Array(job.utf8))]).map(\.resource)
    }
}
