import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The Flower comparison on real processes: one `fogctl server` and N `fogctl agent` processes
/// on loopback train the digits job with Flower's quick-start settings (N clients, IID,
/// logistic regression, lr 0.1, batch 32, 1 local epoch, 10 rounds). Prints seconds per round
/// (the controller's own clock, from the job's round records), wall time (this process's
/// clock), the peak memory of every process, and the final accuracy — beside the same job on
/// the in-process simulated fleet (`fogctl up`, same seed), and the Flower figures measured
/// on this machine (issue 21: 20.7 s per round, 4.5 GB for 11 processes). Then the same job
/// hierarchical on the same agents (an aggregator per region: model cache and regional
/// aggregation), and the bytes both runs moved, by link, as the nodes and the server counted them.
enum PeersBenchmark {
    struct Failure: Error, CustomStringConvertible { let description: String }

    static func run(agents: Int, rounds: Int, dir: String) async throws {
        let flat = try await run(agents: agents, rounds: rounds, dir: dir, hierarchy: false)
        let regional = try await run(agents: agents, rounds: rounds, dir: dir, hierarchy: true)
        // The same job on the same three regions, flat and hierarchical: bytes the nodes measured
        // (job status.training.traffic) and the server's own blob counters.
        let leftFlat = flat.traffic.server + flat.traffic.crossRegion, leftRegional = regional.traffic.server + regional.traffic.crossRegion
        print("== flat vs hierarchical on the same \(agents) agents in 3 regions, \(rounds) rounds (bytes measured by the agents and aggregators)")
        print(String(format: "bytes leaving or entering a region (to/from the server, or between regions): flat %d, hierarchical %d → %.1f %% less (%.2f×)",
                     leftFlat, leftRegional, 100 * (1 - Double(leftRegional) / Double(max(1, leftFlat))), Double(leftFlat) / Double(max(1, leftRegional))))
        print("bytes within regions: flat \(flat.traffic.withinRegion), hierarchical \(regional.traffic.withinRegion)")
        print(String(format: "server blob bytes (its own counters, agents' requests): flat in %d out %d, hierarchical in %d out %d → egress %.1f %% less, ingress %.1f %% less",
                     flat.serverIn, flat.serverOut, regional.serverIn, regional.serverOut,
                     100 * (1 - Double(regional.serverOut) / Double(max(1, flat.serverOut))), 100 * (1 - Double(regional.serverIn) / Double(max(1, flat.serverIn)))))
        print(String(format: "accuracy flat %.4f, hierarchical %.4f", flat.accuracy, regional.accuracy))
    }

    /// What one run measured.
    struct Measured {
        var traffic: (withinRegion: Int, crossRegion: Int, server: Int)
        var serverIn: Int
        var serverOut: Int
        var accuracy: Double
    }

    static let regions = ["eu-west", "us-east", "ap-south"]

    /// `hierarchy`: the agents spread over three regions, the first of each an aggregator that
    /// serves its region's model cache (`--peer-listen`); the job aggregates by region.
    @discardableResult
    static func run(agents: Int, rounds: Int, dir: String, hierarchy: Bool) async throws -> Measured {
        let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("fogctl").path
        guard FileManager.default.isExecutableFile(atPath: binary) else {
            throw Failure(description: "no fogctl beside fog-bench (\(binary)): build both (swift build -c release)")
        }
        let root = FileManager.default.currentDirectoryPath
        let data = root + "/examples/data"
        let work = dir + (hierarchy ? "/peers-regions" : "/peers")
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        print("== peers\(hierarchy ? " (3 regions, hierarchy, regional model caches)" : ""): \(agents) real agent processes and a server on loopback, the digits job (\(rounds) rounds, Flower's settings)")

        // The server, with a token per agent.
        var tokens = "tokens:\n- {token: bench-admin-token, user: bench, role: admin}\n"
        for i in 1...agents { tokens += "- {token: peer-\(i)-agent-token, user: peer-\(i), role: agent, node: peer-\(i)}\n" }
        try tokens.write(toFile: work + "/tokens.yaml", atomically: true, encoding: .utf8)
        let port = 17_000 + Int(getpid() % 1000) + (hierarchy ? 1 : 0)
        let url = "http://127.0.0.1:\(port)"
        let server = try start(binary, ["server", "--listen", "127.0.0.1:\(port)", "--tokens", work + "/tokens.yaml", "--state", work + "/server.db",
                                        "--data-dir", data], log: work + "/server.log")
        var processes = [server]
        defer { for p in processes where p.isRunning { p.terminate(); p.waitUntilExit() } }
        let admin = ["--server", url, "--token", "bench-admin-token"]
        try await fogctlUntilSuccess(binary, ["apply", "-f", root + "/manifests"] + admin, attempts: 50)

        for i in 1...agents {
            // Heartbeats every 5 s (the default): tasks come through the agents' watches, not their heartbeats.
            // The same three regions both ways: flat aggregation sends every update to the server.
            let region = regions[(i - 1) % regions.count]
            let aggregator = hierarchy && i <= regions.count
            processes.append(try start(binary, ["agent", "--server", url, "--token", "peer-\(i)-agent-token", "--node", "peer-\(i)",
                                                "--class", "fog", "--region", region, "--data", data,
                                                "--roles", aggregator ? "compute,aggregator" : "compute"]
                                                + (aggregator ? ["--peer-listen", "127.0.0.1:0"] : []), log: work + "/agent-\(i).log"))
        }
        // Each agent registers its node when it starts: until then `wait` finds no such node.
        try await fogctlUntilSuccess(binary, ["wait"] + (1...agents).map { "fn/peer-\($0)" } + ["--for=condition=Ready", "--timeout", "60s"] + admin, attempts: 300)
        if hierarchy {
            for i in 1...regions.count { try fogctl(binary, ["wait", "fn/peer-\(i)", "--for=jsonpath={.status.peer.address}", "--timeout", "60s"] + admin) }
        }
        let jobFile = work + "/job.yaml"
        try job(name: "peers-digits", participants: agents, rounds: rounds, hierarchy: hierarchy).write(toFile: jobFile, atomically: true, encoding: .utf8)
        let clock = ContinuousClock()
        let began = clock.now
        try fogctl(binary, ["apply", "-f", jobFile] + admin)
        try fogctl(binary, ["wait", "fj/peers-digits", "--for=jsonpath={.status.phase}=Succeeded", "--timeout", "10m"] + admin)
        let wall = clock.now - began
        let memory = processes.map(peakRSS)
        let status = try fogctlOutput(binary, ["get", "fj", "peers-digits", "-o", "json"] + admin)
        let real = try summary(status)
        let blobs = try await serverBlobBytes(url)
        let measured = Measured(traffic: real.traffic, serverIn: blobs.in, serverOut: blobs.out, accuracy: real.accuracy)
        if hierarchy {
            print(String(format: "real processes: %d rounds, %.3f s per round (median %.3f s), accuracy %.4f", real.rounds, real.mean, real.median, real.accuracy))
            let c = real.cache
            let fetches = max(1, c.hits + c.misses + c.direct)
            print(String(format: "model fetches: %d from the regional caches (%.0f %% hits), %d cache misses, %d from the server directly; server sent %d model bytes instead of %d (%.0f %% less)",
                         c.hits, 100 * Double(c.hits) / Double(fetches), c.misses, c.direct, c.serverBytes, c.bytesWithoutCache,
                         c.bytesWithoutCache == 0 ? 0 : 100 * (1 - Double(c.serverBytes) / Double(c.bytesWithoutCache))))
            print(String(format: "memory: %.0f MB peak RSS over %d processes", memory.reduce(0, +), memory.count))
            return measured
        }

        // The same job on the in-process simulated fleet (`fogctl up`), on the same seed.
        let local = work + "/local"
        try FileManager.default.createDirectory(atPath: local, withIntermediateDirectories: true)
        try simulatedNodes(agents).write(toFile: local + "/nodes.yaml", atomically: true, encoding: .utf8)
        try FileManager.default.copyItem(atPath: jobFile, toPath: local + "/job.yaml")
        for f in try FileManager.default.contentsOfDirectory(atPath: root + "/manifests") where f.hasSuffix(".yaml") {
            try FileManager.default.copyItem(atPath: root + "/manifests/" + f, toPath: local + "/" + f)
        }
        let upBegan = clock.now
        try fogctl(binary, ["up", "-f", local, "--state", work + "/local.db", "--timeout", "10m"])
        let upWall = clock.now - upBegan
        let inProcess = try summary(try fogctlOutput(binary, ["get", "fj", "peers-digits", "-o", "json", "--state", work + "/local.db"]))

        let rss = memory.reduce(0, +)
        print(String(format: "real processes: %d rounds, %.3f s per round (median %.3f s, controller clock), wall %.2f s from apply to Succeeded, accuracy %.4f",
                     real.rounds, real.mean, real.median, seconds(wall), real.accuracy))
        print("  each round (s): " + real.each.map { String(format: "%.3f", $0) }.joined(separator: " "))
        print(String(format: "memory: %.0f MB peak RSS over %d processes (server %.0f MB, agents %.0f MB each on average)",
                     rss, memory.count, memory[0], memory.dropFirst().reduce(0, +) / Double(max(1, agents))))
        print(String(format: "in-process (fogctl up, simulated fleet, same job and seed): %.3f s per round (median %.3f s), accuracy %.4f, whole run %.2f s",
                     inProcess.mean, inProcess.median, inProcess.accuracy, seconds(upWall)))
        print(String(format: "Flower 1.42 deployment mode on this machine (issue 21): 20.7 s per round, 4.5 GB for 11 processes → fog is %.0f× faster per round with %.1f× less memory",
                     20.7 / max(real.mean, 1e-9), 4500 / max(rss, 1)))
        print(String(format: "accuracy real vs in-process: %.4f vs %.4f (difference %.4f)", real.accuracy, inProcess.accuracy, abs(real.accuracy - inProcess.accuracy)))
        return measured
    }

    /// The server's blob byte counters for agents' requests (`fog_blob_bytes_total{direction,role="agent"}` on /metrics).
    static func serverBlobBytes(_ url: String) async throws -> (in: Int, out: Int) {
        var request = URLRequest(url: URL(string: url + "/metrics")!)
        request.setValue("Bearer bench-admin-token", forHTTPHeaderField: "Authorization")
        let (data, _) = try await URLSession.shared.data(for: request)
        var result = (in: 0, out: 0)
        for line in String(decoding: data, as: UTF8.self).split(separator: "\n") where line.hasPrefix("fog_blob_bytes_total{") && line.contains("role=\"agent\"") {
            let value = Int(Double(line.split(separator: " ").last ?? "") ?? 0)
            if line.contains("direction=\"in\"") { result.in += value } else if line.contains("direction=\"out\"") { result.out += value }
        }
        return result
    }

    static func job(name: String, participants: Int, rounds: Int, hierarchy: Bool) -> String {
        """
        apiVersion: fog/v1alpha1
        kind: FederatedJob
        metadata: {name: \(name), namespace: default}
        spec:
          type: training
          tier: medium
          privacy: low
          data: {dataset: digits, partition: {type: iid}}
          model: {architecture: logistic-regression}
          training: {rounds: \(rounds), learningRate: 0.1, batchSize: 32, localEpochs: 1, roundTimeout: 60s}
          participants: {min: \(participants), max: \(participants)}
          placement: {requirements: {cpu: 0.1, memoryGiB: 0.1}}
          hierarchy: {enabled: \(hierarchy)}
          budget: {max: 100000}
          seed: 7

        """
    }

    /// N simulated edge nodes in one region, as the agents are.
    static func simulatedNodes(_ n: Int) -> String {
        (1...n).map { i in
            """
            apiVersion: fog/v1alpha1
            kind: FogNode
            metadata:
              name: peer-\(i)
              labels: {fog/simulated: "true"}
            spec:
              region: eu-west
              class: edge
              capacity: {cpu: 2, memoryGiB: 4}
              roles: [compute]
              profile: Stable

            """
        }.joined(separator: "---\n")
    }

    struct Cache { var hits = 0, misses = 0, direct = 0, serverBytes = 0, bytesWithoutCache = 0 }

    struct Summary {
        var cache: Cache
        var traffic: (withinRegion: Int, crossRegion: Int, server: Int)
        var each: [Double]
        var rounds: Int
        var mean: Double
        var median: Double
        var accuracy: Double
    }

    static func summary(_ json: String) throws -> Summary {
        guard let object = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any],
              let status = object["status"] as? [String: Any], let training = status["training"] as? [String: Any],
              let history = training["rounds"] as? [[String: Any]] else {
            throw Failure(description: "the job has no round records: \(json.prefix(400))")
        }
        let each = history.compactMap { ($0["seconds"] as? NSNumber)?.doubleValue }
        let seconds = each.sorted()
        guard !seconds.isEmpty else { throw Failure(description: "the rounds carry no durations") }
        let m = training["modelCache"] as? [String: Any] ?? [:]
        func n(_ k: String) -> Int { (m[k] as? NSNumber)?.intValue ?? 0 }
        let cache = Cache(hits: n("hits"), misses: n("misses"), direct: n("direct"), serverBytes: n("serverBytes"), bytesWithoutCache: n("bytesWithoutCache"))
        let t = training["traffic"] as? [String: Any] ?? [:]
        func b(_ k: String) -> Int { (t[k] as? NSNumber)?.intValue ?? 0 }
        return Summary(cache: cache, traffic: (b("withinRegion"), b("crossRegion"), b("server")), each: each, rounds: history.count, mean: seconds.reduce(0, +) / Double(seconds.count), median: seconds[seconds.count / 2],
                       accuracy: (training["accuracy"] as? NSNumber)?.doubleValue ?? 0)
    }

    static func seconds(_ d: Duration) -> Double { Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18 }

    /// Peak resident memory of a process (VmHWM), in MB.
    static func peakRSS(_ p: Process) -> Double {
        guard let text = try? String(contentsOfFile: "/proc/\(p.processIdentifier)/status", encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
              let kb = Double(line.split(separator: " ").dropFirst().first ?? "") else { return 0 }
        return kb / 1024
    }

    static func start(_ binary: String, _ args: [String], log: String) throws -> Process {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: binary)
        p.arguments = args
        FileManager.default.createFile(atPath: log, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        p.standardOutput = handle
        p.standardError = handle
        try p.run()
        return p
    }

    @discardableResult
    static func fogctlOutput(_ binary: String, _ args: [String]) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: binary)
        p.arguments = args
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let bytes = out.fileHandleForReading.readDataToEndOfFile()
        let errors = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else {
            throw Failure(description: "fogctl \(args.joined(separator: " ")) exited \(p.terminationStatus): \(String(decoding: errors, as: UTF8.self))")
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    static func fogctl(_ binary: String, _ args: [String]) throws { try fogctlOutput(binary, args) }

    /// The server takes a moment to listen: the first command is retried until it answers.
    static func fogctlUntilSuccess(_ binary: String, _ args: [String], attempts: Int) async throws {
        for attempt in 1...attempts {
            do { return try fogctl(binary, args) } catch where attempt < attempts {
                try await Task.sleep(for: .milliseconds(100))
            }
        }
    }
}
