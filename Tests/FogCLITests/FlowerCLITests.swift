import FogAgent
import FogCLI
import FogClient
import FogControllers
import FogLearning
import FogManifest
import FogRemote
import FogModel
import FogStore
import FogTesting
import FogRuntime
import Foundation
import Logging
import Testing

/// What Flower and kubectl users reach for (issue 14): `logs`, `explain`, `rounds`,
/// `model list`, and a pulled model that works outside fog.
@Suite struct ExplainCommandTests {
    @Test func explainShowsAKindsFieldsLikeKubectl() async throws {
        let h = try Harness()
        let kind = await h.offline(["explain", "fj"])
        #expect(kind.code == 0, "\(kind.stderr)")
        #expect(kind.stdout.hasPrefix("KIND:       FederatedJob\nVERSION:    fog/v1alpha1\n\nDESCRIPTION:\n"), "\(kind.stdout)")
        #expect(kind.stdout.contains("FIELDS:\n  apiVersion\t<string> -required-\n"), "\(kind.stdout)")
        #expect(kind.stdout.contains("  spec\t<Object> -required-\n"))
        #expect(kind.stdout.contains("  status\t<Object>\n"))

        let rounds = await h.offline(["explain", "federatedjobs.spec.training.rounds"])
        #expect(rounds.code == 0, "\(rounds.stderr)")
        #expect(rounds.stdout.contains("FIELD: rounds <integer>\n\nDESCRIPTION:\n"), "\(rounds.stdout)")
        #expect(rounds.stdout.contains("    minimum: 1\n"), "\(rounds.stdout)")

        // Enums and defaults of a field's children; lists go to their items' fields; status is $defs/Status.
        let spec = await h.offline(["explain", "fj.spec"])
        #expect(spec.stdout.contains("  type\t<string> -required-\n") && spec.stdout.contains("    enum: training, inference\n"), "\(spec.stdout)")
        let clients = await h.offline(["explain", "fj.status.training.rounds.clients"])
        #expect(clients.code == 0, "\(clients.stderr)")
        #expect(clients.stdout.contains("FIELD: clients <[]Object>"), "\(clients.stdout)")
        #expect(clients.stdout.contains("  node\t<string> -required-\n"))
        let log = await h.offline(["explain", "fognode.status.log"])
        #expect(log.stdout.contains("FIELD: log <[]string>") && log.stdout.contains("    maxItems: 100\n"), "\(log.stdout)")
        // A map shows its values' type.
        let shards = await h.offline(["explain", "fj.status.training.shards"])
        #expect(shards.stdout.contains("FIELD: shards <map[string]integer>"), "\(shards.stdout)")

        let recursive = await h.offline(["explain", "fj.spec.training", "--recursive"])
        #expect(recursive.code == 0)
        #expect(recursive.stdout.contains("FIELDS:\n  batchSize\t<integer>\n"), "\(recursive.stdout)")
        // The kind's own listing goes into status as its writers fill it.
        let task = await h.offline(["explain", "tt", "--recursive"])
        #expect(task.stdout.contains("\n  status\t<Object>\n    aggregate\t<string>\n    bytesReceived\t<integer>\n    bytesSent\t<integer>\n"), "\(task.stdout)")
        #expect(task.stdout.contains("\n    log\t<[]string>\n"))
        let deep = await h.offline(["explain", "fn.status", "--recursive"])
        #expect(deep.stdout.contains("\n  telemetry\t<Object>\n    cpu\t<Object>\n      count\t<integer>\n"), "\(deep.stdout)")
    }

    @Test func anUnknownFieldOrKindIsAClearErrorWithExit1() async throws {
        let h = try Harness()
        let nope = await h.offline(["explain", "fj.spec.colour"])
        #expect(nope.code == 1)
        #expect(nope.stderr.hasPrefix("error: field \"colour\" does not exist in FederatedJob.spec (fields: "), "\(nope.stderr)")
        let typo = await h.offline(["explain", "fj.spec.trainng"])
        #expect(typo.code == 1 && typo.stderr.contains("did you mean \"training\"?"), "\(typo.stderr)")
        let scalar = await h.offline(["explain", "fj.spec.seed.x"])
        #expect(scalar.code == 1 && scalar.stderr.contains("integer has no fields"), "\(scalar.stderr)")
        let kind = await h.offline(["explain", "widgets"])
        #expect(kind.code == 1 && kind.stderr.contains("unknown resource type \"widgets\""), "\(kind.stderr)")
        #expect(await h.offline(["explain", "fj..spec"]).code == 1)
    }
}

@Suite struct StatusLogTests {
    @Test func theLogKeepsTheLastLinesWithinItsBounds() {
        var log = StatusLog()
        let t0 = Date(timeIntervalSince1970: 1_800_000_000)
        for i in 0..<150 { log.append("line \(i)", at: t0.addingTimeInterval(Double(i) / 1000)) }
        #expect(log.lines.count == StatusLog.maxLines)
        #expect(log.lines.first == "2027-01-15T08:00:00.050000Z line 50")
        #expect(log.lines.last?.hasSuffix(" line 149") == true)
        // Long lines are cut; the byte bound drops the oldest lines.
        var big = StatusLog()
        for i in 0..<40 { big.append(String(repeating: "x", count: 1000) + "\(i)", at: t0) }
        #expect(big.lines.allSatisfy { $0.utf8.count <= StatusLog.maxLineBytes && $0.hasSuffix("…") })
        #expect(big.lines.reduce(0) { $0 + $1.utf8.count } <= StatusLog.maxBytes)
        #expect(big.lines.count == StatusLog.maxBytes / StatusLog.maxLineBytes)
        // One entry, one line.
        var multi = StatusLog()
        multi.append("a\nb", at: t0)
        #expect(multi.lines == ["2027-01-15T08:00:00.000000Z a b"])
        // What fits the schema: the FogNode status accepts it.
        var node = Resource(kind: "FogNode", metadata: ObjectMeta(name: "n"))
        node.status = ["log": log.json]
        #expect(SchemaSet.builtIn.validateStatus(of: node).isEmpty)
        node.status = ["log": ["no time here"]]
        #expect(SchemaSet.builtIn.validateStatus(of: node).first?.hasPrefix("status.log[0]: must match the pattern") == true)
    }

    @Test func newLinesAreWhatTheLaterVersionAdds() {
        #expect(StatusLog.newLines(after: [], in: ["a", "b"]) == ["a", "b"])
        #expect(StatusLog.newLines(after: ["a", "b"], in: ["a", "b"]) == [])
        #expect(StatusLog.newLines(after: ["a", "b"], in: ["a", "b", "c"]) == ["c"])
        // The oldest lines dropped at the front while new ones arrived.
        #expect(StatusLog.newLines(after: ["a", "b", "c"], in: ["b", "c", "d", "e"]) == ["d", "e"])
        // Nothing in common (more new lines than the log keeps): all are new.
        #expect(StatusLog.newLines(after: ["a", "b"], in: ["x", "y"]) == ["x", "y"])
    }
}

@Suite(.serialized) struct FlowerCommandTests {
    /// The quick start, trained and served by `fogctl up`; then every new verb on its store.
    @Test func logsRoundsAndModelsOnTheQuickstart() async throws {
        let h = try Harness()
        let up = await h.fogctl(["up", "-f", Harness.root + "/examples/quickstart", "--seed", "1", "--data-dir", Harness.root + "/examples/data"])
        #expect(up.code == 0, "\(up.stderr)")
        let store = try h.store()
        let job = try #require(try store.get(ObjectKey(kind: "FederatedJob", namespace: "default", name: "digits-fedavg")))
        let rounds = job.status?["training"]?["rounds"]?.arrayValue ?? []
        #expect(rounds.count == 30)

        // logs: a task of the last round, then its node.
        let tasks = try store.list(kind: "TrainingTask", namespace: "default").items
            .filter { $0.spec?["job"] == "digits-fedavg" && $0.status?["phase"] == "Succeeded" }
        let task = try #require(tasks.first)
        let logs = await h.fogctl(["logs", "tt/" + task.name])
        #expect(logs.code == 0, "\(logs.stderr)")
        let lines = logs.stdout.split(separator: "\n").map(String.init)
        #expect(lines.count >= 4, "\(logs.stdout)")
        #expect(lines.first?.contains(" picked up on \(task.spec?["node"]?.stringValue ?? "?"): job digits-fedavg round ") == true, "\(logs.stdout)")
        #expect(lines.contains { $0.contains(" trained 1 epoch on ") && $0.contains("mean loss") }, "\(logs.stdout)")
        // digits-fedavg is hierarchical: the update went to the region's aggregator (or, failing that, the server).
        #expect(lines.contains { $0.contains(" uploaded update sha256:") || $0.contains(" to the region's aggregator ") }, "\(logs.stdout)")
        #expect(lines.last?.contains(" Succeeded in ") == true)
        #expect(await h.fogctl(["logs", "trainingtask", task.name, "--tail", "1"]).stdout == lines.last! + "\n")
        // A finished task: -f prints its lines and ends.
        #expect(await h.fogctl(["logs", "tt/" + task.name, "-f"]).stdout == logs.stdout)

        let node = try #require(task.spec?["node"]?.stringValue)
        let nodeLogs = await h.fogctl(["logs", "fn/" + node])
        #expect(nodeLogs.code == 0)
        #expect(nodeLogs.stdout.contains(" simulated agent started (profile "), "\(nodeLogs.stdout)")
        #expect(nodeLogs.stdout.contains(" task default/digits-fedavg-r"), "\(nodeLogs.stdout)")
        let jobLogs = await h.fogctl(["logs", "fj/digits-fedavg"])
        #expect(jobLogs.code == 1 && jobLogs.stderr.contains("fogctl rounds digits-fedavg"), "\(jobLogs.stderr)")
        #expect(await h.fogctl(["logs", "tt/nope"]).stderr.contains("trainingtasks \"nope\" not found"))

        // rounds: one row per round, the last one as the status says.
        let table = await h.fogctl(["rounds", "digits-fedavg"])
        #expect(table.code == 0, "\(table.stderr)")
        let rows = table.stdout.split(separator: "\n")
        #expect(rows.count == 31)
        #expect(rows[0].hasPrefix("ROUND   REPORTED   AGGREGATED   ACCURACY   LOSS"), "\(rows[0])")
        let last = rows[30].split(separator: " ", omittingEmptySubsequences: true).map(String.init)
        #expect(last[0] == "30" && last[1] == "10/10" && last[2] == "10", "\(rows[30])")
        #expect(last[3] == String(format: "%.4f", rounds.last?["accuracy"]?.numberValue ?? -1))
        #expect(rounds.allSatisfy { $0["seconds"] != nil && $0["startedAt"] != nil })
        let clients = await h.fogctl(["rounds", "digits-fedavg", "--round", "30"])
        #expect(clients.code == 0, "\(clients.stderr)")
        #expect(clients.stdout.hasPrefix("NODE "), "\(clients.stdout)")
        #expect(clients.stdout.split(separator: "\n").count == 11)
        #expect(clients.stdout.contains("\(node) ") && clients.stdout.contains("Succeeded"))
        // Per-client metrics are kept for the last 20 rounds.
        #expect(rounds[9]["clients"] == nil && rounds[10]["clients"] != nil)
        let old = await h.fogctl(["rounds", "digits-fedavg", "--round", "1"])
        #expect(old.code == 1 && old.stderr.contains("no per-client metrics"), "\(old.stderr)")
        #expect(await h.fogctl(["rounds", "digits-fedavg", "--round", "99"]).code == 1)
        #expect(await h.fogctl(["rounds", "digits-inference"]).stderr.contains("is an inference job"))
        // -w on a finished job: the rows, then the end.
        let watched = await h.fogctl(["rounds", "digits-fedavg", "-w"])
        #expect(watched.code == 0 && watched.stdout == table.stdout && watched.stderr.contains("Succeeded: round 30"), "\(watched.stderr)")
        let json = await h.fogctl(["rounds", "digits-fedavg", "-o", "json"])
        #expect(try JSONCoding.parse(json.stdout).arrayValue?.count == 30)

        // model list: the trained model and the inference job that serves it.
        let list = await h.fogctl(["model", "list"])
        #expect(list.code == 0, "\(list.stderr)")
        var listed = list.stdout.split(separator: "\n").map { $0.split(separator: " ", omittingEmptySubsequences: true).map(String.init) }
        #expect(listed.count == 5, "\(list.stdout)")
        #expect(listed[0] == ["NAMESPACE", "JOB", "TYPE", "SOURCE", "ROUND", "ACCURACY", "DIGEST", "SIZE", "CREATED"])
        // The quick start's auction-mode job trains its own model (10 rounds), listed first by name.
        #expect(listed[1].prefix(5) == ["default", "digits-auction", "training", "digits-auction", "10"])
        listed.remove(at: 1)
        let digest = try #require(job.status?["training"]?["model"]?.stringValue)
        #expect(listed[1].prefix(6) == ["default", "digits-fedavg", "training", "digits-fedavg", "30", String(format: "%.4f", job.status?["training"]?["accuracy"]?.numberValue ?? 0)])
        #expect(listed[2].prefix(4) == ["default", "digits-inference", "inference", "digits-fedavg"])
        // The onion-routed job (privacy high) trains its own model (3 rounds).
        #expect(listed[3].prefix(5) == ["default", "digits-private", "training", "digits-private", "3"])
        #expect(listed[1][6] == String(digest.prefix(19)) && listed[2][6] == listed[1][6])
        #expect(listed[1][8] == job.status?["training"]?["finishedAt"]?.stringValue)

        // model pull of the inference job: the model it serves, and where that came from.
        let served = await h.fogctl(["model", "pull", "digits-inference", "-o", h.dir + "/served.json"])
        #expect(served.code == 0, "\(served.stderr)")
        #expect(served.stderr.contains("trained by federatedjob/digits-fedavg"), "\(served.stderr)")
        let servedModel = try JSONCoding.parse(String(contentsOfFile: h.dir + "/served.json", encoding: .utf8))
        #expect(servedModel["source"]?["job"] == "default/digits-fedavg")
        #expect(servedModel["source"]?["servedBy"] == "default/digits-inference")
        #expect(servedModel["source"]?["round"] == 30)
        #expect(servedModel["digest"]?.stringValue == digest)

        let pulled = await h.fogctl(["model", "pull", "digits-fedavg", "-o", h.dir + "/model.json"])
        #expect(pulled.code == 0, "\(pulled.stderr)")
        try await Self.pulledModelPredictsAsFogsInference(file: h.dir + "/model.json", job: job, store: store)
    }

    /// On the embedded store, with the controllers and a simulated fleet running in this
    /// process: `rounds -w` prints every round once as it finishes and ends with the job;
    /// `logs -f` on a node started before the job prints each line it gains once.
    @Test func roundsAndLogsFollowALiveJobOnTheEmbeddedStore() async throws {
        let h = try Harness()
        let store = try h.store()
        let defaults = try ManifestDecoder().decode(try ManifestInput.load(paths: [Harness.root + "/manifests"], recursive: false, readStandardInput: { [] }))
        _ = try store.apply(defaults.map(\.resource), dryRun: false)
        var settings = ControllerSettings()
        settings.dataDirectory = Harness.root + "/examples/data"
        var logger = Logger(label: "flower-test")
        logger.logLevel = .error
        let manager = Manager(client: EmbeddedClient(store: store), controllers: ControllerFamilies.controllers(settings),
                              registry: SchemaSet.builtIn.registry, logger: logger)
        var fleetOptions = SimulatedFleet.Options()
        fleetOptions.dataDirectory = Harness.root + "/examples/data"
        fleetOptions.heartbeatInterval = 0.2
        let fleet = SimulatedFleet(client: EmbeddedClient(store: store), clock: SystemClock(), options: fleetOptions)
        try await fleet.createNodes(count: 3, profiles: [.stable])
        for n in fleet.nodeNames { fleet.force(n, online: true) }
        let managerTask = Task { try await manager.run() }
        let fleetTask = Task { try await fleet.run() }
        defer { managerTask.cancel(); fleetTask.cancel() }
        let node = try #require(fleet.nodeNames.first)
        try await eventually("\(node) logged", limit: 30, watching: store) {
            try store.get(ObjectKey(kind: "FogNode", namespace: "", name: node))?.status?["log"] != nil
        }
        let followConsole = Console.capturing()
        let follow = Task { await h.fogctl(["logs", "fn/" + node, "-f", "--timeout", "60s"], console: followConsole) }
        defer { follow.cancel() }

        let job = try h.write("job.yaml", """
            apiVersion: fog/v1alpha1
            kind: FederatedJob
            metadata: {name: live, namespace: default}
            spec:
              type: training
              tier: medium
              data: {dataset: digits}
              training: {rounds: 5, learningRate: 0.5, roundTimeout: 30s}
              participants: {min: 3, max: 3}
              placement: {requirements: {cpu: 1, memoryGiB: 1}}
              budget: {max: 100}
            """)
        #expect(await h.fogctl(["apply", "-f", job]).code == 0)
        let rounds = await h.fogctl(["rounds", "live", "-w", "--timeout", "60s"])
        #expect(rounds.code == 0, "\(rounds.stderr)")
        let numbers = rounds.stdout.split(separator: "\n").dropFirst().map { $0.split(separator: " ").first.map(String.init) ?? "" }
        #expect(numbers == ["1", "2", "3", "4", "5"], "\(rounds.stdout)")
        #expect(rounds.stderr.contains("federatedjob/live Succeeded: round 5"), "\(rounds.stderr)")

        try await eventually("round 5 followed on \(node)", limit: 30, wakingOn: [followConsole.written]) {
            followConsole.stdout.contains(" task default/live-r5-")
        }
        follow.cancel()
        #expect(await follow.value.code == 0)
        let lines = followConsole.stdout.split(separator: "\n").map(String.init)
        #expect(Set(lines).count == lines.count, "a line printed twice: \(followConsole.stdout)")
        for r in 1...5 { #expect(lines.filter { $0.contains(" task default/live-r\(r)-") }.count == 1, "\(followConsole.stdout)") }
    }

    /// Reads the pulled file with Foundation's JSONSerialization (not fog's decoders), scales
    /// raw rows of the data set by its min-max, applies its layout by hand, and compares the
    /// predictions with fog's inference path (the executor's infer task on the same raw rows).
    static func pulledModelPredictsAsFogsInference(file: String, job: Resource, store: SQLiteStore) async throws {
        let data = try #require(FileManager.default.contents(atPath: file))
        let m = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(m["formatVersion"] as? Int == 1)
        #expect(m["architecture"] as? String == "logistic-regression")
        let source = try #require(m["source"] as? [String: Any])
        #expect(source["job"] as? String == "default/digits-fedavg" && source["round"] as? Int == 30)
        #expect(source["servedBy"] == nil)
        let parameters = try #require(m["parameters"] as? [Double])
        let pre = try #require(m["preprocessing"] as? [String: Any])
        #expect(pre["method"] as? String == "min-max")
        let lo = try #require(pre["minimum"] as? [Double]), hi = try #require(pre["maximum"] as? [Double])
        let classes = try #require(m["classes"] as? [Int])
        let features = try #require(m["featureCount"] as? Int), classCount = try #require(m["classCount"] as? Int)
        #expect(features == 64 && classCount == 10 && lo.count == 64 && classes == Array(0..<10))
        #expect(parameters.count == classCount * (features + 1))
        #expect((m["featureNames"] as? [String])?.first == "p0")

        // Raw rows: the first 40 of the CSV, without the label column.
        let csv = try String(contentsOfFile: Harness.root + "/examples/data/digits.csv", encoding: .utf8).split(separator: "\n")
        let header = csv[0].split(separator: ",")
        let labelColumn = header.firstIndex(of: "label")
        let raw: [[Double]] = csv[1...40].map { line in
            line.split(separator: ",").enumerated().filter { $0.offset != labelColumn }.map { Double($0.element)! }
        }
        // Outside fog: plain arithmetic on the file's fields (in Float, as the model computes).
        let outside: [Int] = raw.map { row in
            let x = row.enumerated().map { j, v -> Float in
                let range = Float(hi[j]) - Float(lo[j])
                let shifted = Float(v) - Float(lo[j])
                return range > 0 ? shifted / range : shifted
            }
            var best = 0
            var bestLogit = -Float.infinity
            for c in 0..<classCount {
                var z = Float(parameters[classCount * features + c])
                for j in 0..<features { z += Float(parameters[c * features + j]) * x[j] }
                if z > bestLogit { best = c; bestLogit = z }
            }
            return classes[best]
        }

        // Inside fog: an infer task on the same raw rows, carried out by the task executor.
        let client = EmbeddedClient(store: store)
        let spec = try job.decodeSpec(FederatedJobSpec.self)
        let input = try await client.putBlob(ParameterBlob.encode(raw.flatMap { $0.map(Float.init) }))
        let digest = try #require(job.status?["training"]?["model"]?.stringValue)
        let task = InferencePlan.task(for: job, name: "outside-check", batch: InferencePlan.batches(rows: raw.count, batchSize: raw.count, participants: ["n"])[0],
                                      model: digest, trainingSpec: spec, controller: false, what: ["input": .string(input)])
        let executor = TaskExecutor(client: client, data: DataCatalog(directory: Harness.root + "/examples/data"))
        let result = try await executor.outcome(of: task)
        #expect(result["phase"] == "Succeeded", "\(result)")
        let inside = (result["predictions"]?.arrayValue ?? []).compactMap { $0.intValue.map(Int.init) }
        #expect(inside.count == 40)
        #expect(outside == inside)
        // And the model is good at it (the rows' own labels).
        let labels = csv[1...40].map { Int($0.split(separator: ",")[labelColumn!])! }
        #expect(zip(outside, labels).filter { $0 == $1 }.count >= 32)
    }
}

@Suite(.serialized) struct FlowerRemoteTests {
    /// Through a real server, as a tenant: `logs -f` follows nodes' logs as a simulated fleet
    /// (a separate `fogctl simulate` process) trains a job; `rounds -w` prints its rounds as
    /// they finish and ends with it; `logs`, `model list` and `model pull` read what the
    /// agents and the controllers wrote. An agent may write its node's log; a tenant reads it.
    @Test func logsRoundsAndModelsThroughAServer() async throws {
        let binary = try #require(Harness.fogctlBinary())
        let h = try Harness()
        let tokens = """
            tokens:
            - {token: admin-token, user: me, role: admin}
            - {token: tenant-token, user: team, role: tenant, namespaces: [default]}
            - {token: agent-1-token, user: a1, role: agent, node: sim-stable-1}

            """
        let (store, server) = try await h.serverWithControllers(tokens: tokens)
        defer { Task { await server.stop() } }
        let fleet = Process()
        fleet.executableURL = URL(fileURLWithPath: binary)
        fleet.arguments = ["simulate", "--nodes", "4", "--profiles", "stable", "--seed", "5", "--interval", "200ms",
                           "--server", server.baseURL, "--token", "admin-token", "--data-dir", Harness.root + "/examples/data"]
        fleet.standardOutput = FileHandle.nullDevice
        fleet.standardError = FileHandle.nullDevice
        try fleet.run()
        defer { if fleet.isRunning { fleet.terminate() } }
        let tenant = ["--server", server.baseURL, "--token", "tenant-token"]
        func run(_ args: [String]) async -> Harness.Result {
            let console = Console.capturing()
            let code = await Fogctl.run(args + tenant, console: console)
            return Harness.Result(code: code, stdout: console.stdout, stderr: console.stderr)
        }
        let names = (1...4).map { "sim-stable-\($0)" }
        try await eventually("the fleet's nodes logged", limit: 30, watching: store) {
            try names.allSatisfy { try store.get(ObjectKey(kind: "FogNode", namespace: "", name: $0))?.status?["log"] != nil }
        }
        // Follow every node's log from before the job exists.
        var follows: [(String, Console, Task<Int32, Never>)] = []
        for n in names {
            let console = Console.capturing()
            follows.append((n, console, Task { await Fogctl.run(["logs", "fn/" + n, "-f", "--timeout", "120s"] + tenant, console: console) }))
        }
        defer { for f in follows { f.2.cancel() } }

        _ = try store.apply(try Harness.digitsJob("flower-digits", roundTimeout: "60s"), dryRun: false)
        let rounds = await run(["rounds", "flower-digits", "-w", "--timeout", "120s"])
        #expect(rounds.code == 0, "\(rounds.stderr)")
        let rows = rounds.stdout.split(separator: "\n").map { $0.split(separator: " ", omittingEmptySubsequences: true).map(String.init) }
        #expect(rows.first?.first == "ROUND", "\(rounds.stdout)")
        #expect(rows.dropFirst().map { $0.first ?? "" } == ["1", "2", "3"], "\(rounds.stdout)")
        #expect(rows.dropFirst().allSatisfy { $0.count == 9 && $0[1] == "3/3" && $0[2] == "3" }, "\(rounds.stdout)")
        #expect(rounds.stderr.contains("federatedjob/flower-digits Succeeded: round 3, test accuracy "), "\(rounds.stderr)")

        // The participants' followed logs show their three tasks, each line once.
        let job = try #require(try store.get(ObjectKey(kind: "FederatedJob", namespace: "default", name: "flower-digits")))
        let participants = (job.status?["allocation"]?["participants"]?.arrayValue ?? []).compactMap { $0["node"]?.stringValue }
        #expect(participants.count == 3)
        for (n, console, task) in follows where participants.contains(n) {
            try await eventually("\(n)'s round-3 line followed", limit: 30, wakingOn: [console.written]) {
                console.stdout.contains(" task default/flower-digits-r3-")
            }
            task.cancel()
            #expect(await task.value == 0)
            let lines = console.stdout.split(separator: "\n").map(String.init)
            #expect(Set(lines).count == lines.count, "a line printed twice: \(console.stdout)")
            for r in 1...3 { #expect(lines.filter { $0.contains(" task default/flower-digits-r\(r)-") && $0.contains(": Succeeded, loss ") }.count == 1, "\(console.stdout)") }
            #expect(lines.first?.contains(" simulated agent started (profile Stable)") == true, "\(console.stdout)")
        }

        // A task's own log, read by the tenant.
        let task = "flower-digits-r3-0"
        let taskLog = await run(["logs", "tt/" + task, "--tail", "2"])
        #expect(taskLog.code == 0, "\(taskLog.stderr)")
        #expect(taskLog.stdout.split(separator: "\n").count == 2 && taskLog.stdout.contains(" uploaded update sha256:"), "\(taskLog.stdout)")

        // Models through the server.
        let list = await run(["model", "list"])
        #expect(list.code == 0, "\(list.stderr)")
        #expect(list.stdout.contains("default     flower-digits   training   flower-digits   3 "), "\(list.stdout)")
        let pulled = await run(["model", "pull", "flower-digits"])
        #expect(pulled.code == 0, "\(pulled.stderr)")
        let model = try JSONCoding.parse(pulled.stdout)
        #expect(model["source"]?["job"] == "default/flower-digits" && model["source"]?["round"] == 3)
        #expect(model["preprocessing"]?["minimum"]?.arrayValue?.count == 64 && model["classes"]?.arrayValue?.count == 10)

        // An agent writes its node's log (status.log is a field agents may write); a tenant reads it.
        let agent = HTTPFogClient(baseURL: server.baseURL, token: "agent-1-token", registry: SchemaSet.builtIn.registry)
        var log = StatusLog()
        log.append("written by the agent itself", at: Date())
        _ = try await agent.patchStatus(ObjectKey(kind: "FogNode", namespace: "", name: "sim-stable-1"), ["log": log.json])
        #expect(await run(["logs", "fn/sim-stable-1", "--tail", "1"]).stdout == log.lines[0] + "\n")
        fleet.terminate()
        fleet.waitUntilExit()
    }
}

@Suite struct RoundHistoryTests {
    static func round(_ n: Int, clients: Int) -> JSONValue {
        ["round": .int(Int64(n)), "clients": .array((0..<clients).map { ["node": .string("n\($0)"), "status": "Succeeded"] })]
    }

    /// Per-client metrics stay for the last 20 rounds, and for fewer when a job has many
    /// participants (at most 2000 entries; the latest round always keeps its own).
    @Test func perClientMetricsAreKeptForTheLatestRoundsWithinTheirBounds() {
        var small = (1...30).map { Self.round($0, clients: 10) }
        TrainingController.trimClients(&small)
        #expect(small.filter { $0["clients"] != nil }.map { $0["round"]?.intValue } == (11...30).map { Int64($0) })

        var large = (1...10).map { Self.round($0, clients: 600) }
        TrainingController.trimClients(&large)
        #expect(large.filter { $0["clients"] != nil }.map { $0["round"]?.intValue } == [8, 9, 10])

        var huge = [Self.round(1, clients: 10), Self.round(2, clients: 5000)]
        TrainingController.trimClients(&huge)
        #expect(huge[1]["clients"] != nil && huge[0]["clients"] == nil)
    }
}
