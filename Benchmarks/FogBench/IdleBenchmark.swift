import AsyncHTTPClient
import FogTesting
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The server at rest on real processes: one `fogctl server` (every controller) holding the
/// quick start's cluster objects, and one `fogctl simulate` process whose N nodes heartbeat at
/// their interval over HTTP. Prints the server's CPU (user + system, from /proc) as a share of
/// one core over a window, first with no node at all (the controllers' own background work),
/// then with the N nodes heartbeating; the heartbeats in the window (the server's own request
/// counter) and so the server's CPU per heartbeat, which is the figure the idle cost is made of.
/// The fleet process's CPU is printed beside it: on one machine it competes for the same cores.
enum IdleBenchmark {
    static func run(nodes: Int, dir: String) async throws {
        let env = ProcessInfo.processInfo.environment
        let window = Double(env["FOG_BENCH_IDLE_WINDOW"] ?? "") ?? 30
        let warmup = Double(env["FOG_BENCH_IDLE_WARMUP"] ?? "") ?? 30
        let intervalSeconds = Double(env["FOG_BENCH_IDLE_INTERVAL"] ?? "") ?? 5
        let interval = String(format: "%gs", intervalSeconds)
        // FOG_BENCH_IDLE_BATCH=N: the fleet sends its heartbeats N nodes a request (`fogctl simulate --heartbeat-batch`).
        let batch = max(1, Int(env["FOG_BENCH_IDLE_BATCH"] ?? "") ?? 1)
        let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("fogctl").path
        guard FileManager.default.isExecutableFile(atPath: binary) else {
            throw PeersBenchmark.Failure(description: "no fogctl beside fog-bench (\(binary)): build both (swift build -c release)")
        }
        let root = FileManager.default.currentDirectoryPath
        let work = dir + "/idle"
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        print("== idle: a fogctl server (every controller) with the quick start's cluster objects; \(nodes) simulated nodes heartbeating every \(interval) from a second process, \(batch == 1 ? "one request per heartbeat" : "\(batch) heartbeats a request")")
        let port = 18_000 + Int(getpid() % 1000)
        let url = "http://127.0.0.1:\(port)"
        // FOG_BENCH_STORE=postgres: the server on a PostgreSQL database of a throw-away cluster (as `convergence`).
        var cluster: PostgresTestCluster?
        let store: String
        if env["FOG_BENCH_STORE"] == "postgres" {
            cluster = try PostgresBenchmark.cluster()
            store = try cluster!.database(prefix: "fog_bench")
        } else {
            store = work + "/server.db"
        }
        // Stopped last (defers run in reverse): after the server that uses it.
        defer { cluster?.stop() }
        print("store: \(cluster == nil ? "embedded SQLite" : "PostgreSQL (127.0.0.1:\(cluster!.port), fsync and synchronous_commit at their defaults)")")
        let server = try PeersBenchmark.start(binary, ["server", "--listen", "127.0.0.1:\(port)", "--store", store,
                                                      "--data-dir", root + "/examples/data"], log: work + "/server.log")
        var processes = [server]
        defer { for p in processes where p.isRunning { p.terminate(); p.waitUntilExit() } }
        let remote = ["--server", url]
        // The cluster objects of the quick start (tiers, privacy policies, the two harvest policies), no jobs.
        let quickstart = root + "/examples/quickstart"
        try await PeersBenchmark.fogctlUntilSuccess(binary, ["apply", "-f", quickstart + "/tiers.yaml", "-f", quickstart + "/privacy.yaml",
                                                             "-f", quickstart + "/harvest.yaml"] + remote, attempts: 100)
        try await Task.sleep(for: .seconds(5))
        let empty = try await measure(server: server, url: url, seconds: window)
        print(String(format: "no nodes: server CPU %.3f %% of a core over %.0f s (%d requests), postgres processes %.3f %%", empty.serverShare * 100, window, empty.requests, empty.databaseShare * 100))

        // The floor of any heartbeat that is one HTTP request: the server's CPU for as many
        // requests a second (the fleet's offered rate) that do nothing (`GET /version`: no
        // store, no authentication, a 60-byte answer), sent from this process.
        let offered = Double(nodes) / intervalSeconds
        let requestsOffered = offered / Double(batch)
        let floor = try await requestFloor(server: server, url: url, rate: requestsOffered, seconds: min(window, 20))
        print(String(format: "floor: %d empty requests (GET /version) at %.0f/s: server CPU %.1f %% of a core, %.0f µs per request",
                     floor.requests, floor.rate, floor.serverShare * 100, floor.perRequest * 1e6))

        // The fleet: creation goes through the API; the process says "simulating N nodes" once every node exists.
        let fleetLog = work + "/fleet.log"
        let clock = ContinuousClock()
        let creating = clock.now
        let fleet = try PeersBenchmark.start(binary, ["simulate", "--nodes", String(nodes), "--interval", interval, "--seed", "1", "--heartbeat-batch", String(batch),
                                                     "--data-dir", root + "/examples/data"] + remote, log: fleetLog)
        processes.append(fleet)
        while !((try? String(contentsOfFile: fleetLog, encoding: .utf8)) ?? "").contains("simulating ") {
            guard fleet.isRunning else { throw PeersBenchmark.Failure(description: "fogctl simulate exited: \((try? String(contentsOfFile: fleetLog, encoding: .utf8)) ?? "")") }
            try await Task.sleep(for: .milliseconds(200))
        }
        print(String(format: "%d nodes created through the API in %.1f s; warming up %.0f s (first heartbeats, every node Ready, harvest evaluated)",
                     nodes, PeersBenchmark.seconds(clock.now - creating), warmup))
        try await Task.sleep(for: .seconds(warmup))
        let busy = try await measure(server: server, url: url, seconds: window, fleet: fleet)
        let perBeat = busy.serverCPU / Double(max(1, busy.heartbeats))
        print(String(format: "%d nodes heartbeating: %d heartbeats in %.0f s (%.0f/s); server CPU %.1f %% of a core (%.0f µs per heartbeat), fleet process %.1f %%, postgres processes %.1f %%; queues at the end: %@; server peak %.0f MB",
                     nodes, busy.heartbeats, window, Double(busy.heartbeats) / window, busy.serverShare * 100, perBeat * 1e6,
                     busy.fleetShare * 100, busy.databaseShare * 100, busy.queues, PeersBenchmark.peakRSS(server)))
        let goalRate = 0.005 / max(perBeat, 1e-12)
        print(String(format: "goal ≤ 0.5 %% of a core: %@; at %.0f µs of server CPU per heartbeat, 0.5 %% of a core carries %.0f heartbeats/s (%.0f nodes at a %@ interval); two cores of server alone would carry %.0f/s",
                     busy.serverShare <= 0.005 ? "met" : "not met", perBeat * 1e6, goalRate, goalRate * intervalSeconds, interval, 2 / max(perBeat, 1e-12)))
        print(String(format: "heartbeat against the floor: %.1f× an empty request's server CPU per request; the floor alone at %.0f requests/s is %.1f %% of a core (%.0f× the goal)",
                     perBeat * Double(batch) / max(floor.perRequest, 1e-12), requestsOffered, floor.perRequest * requestsOffered * 100, floor.perRequest * requestsOffered / 0.005))
    }

    /// The server's CPU per request for `GET /version` paced at `rate` from 64 connections of
    /// this process for `seconds` (one clock: this process's monotonic clock).
    static func requestFloor(server: Process, url: String, rate: Double, seconds: Double) async throws -> (requests: Int, rate: Double, serverShare: Double, perRequest: Double) {
        var config = HTTPClient.Configuration()
        config.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: 64)
        let http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: config)
        let senders = 64
        let total = Int(rate * seconds)
        let clock = ContinuousClock()
        let cpuBefore = cpuSeconds(server.processIdentifier)
        let start = clock.now
        let outcome: Result<Int, Error>
        do { outcome = .success(try await withThrowingTaskGroup(of: Int.self) { group in
            for sender in 0..<senders {
                group.addTask {
                    var done = 0
                    var i = sender
                    while i < total {
                        try await Task.sleep(until: start + .seconds(Double(i) / rate), clock: clock)
                        let response = try await http.execute(HTTPClientRequest(url: url + "/version"), timeout: .seconds(10))
                        _ = try await response.body.collect(upTo: 1 << 16)
                        guard response.status == .ok else { throw PeersBenchmark.Failure(description: "GET /version answered \(response.status)") }
                        done += 1
                        i += senders
                    }
                    return done
                }
            }
            return try await group.reduce(0, +)
        }) } catch { outcome = .failure(error) }
        try await http.shutdown()
        let sent = try outcome.get()
        let wall = PeersBenchmark.seconds(clock.now - start)
        let cpu = cpuSeconds(server.processIdentifier) - cpuBefore
        return (sent, Double(sent) / wall, cpu / wall, cpu / Double(max(1, sent)))
    }

    struct Window {
        var serverCPU: Double
        var serverShare: Double
        var fleetShare: Double
        /// Every `postgres` process on the machine (the benchmark's own cluster, when the store is PostgreSQL).
        var databaseShare: Double
        var requests: Int
        var heartbeats: Int
        var queues: String
    }

    /// CPU of the server (and the fleet) over `seconds` of this process's monotonic clock; the
    /// server's request counters at both ends.
    static func measure(server: Process, url: String, seconds: Double, fleet: Process? = nil) async throws -> Window {
        let clock = ContinuousClock()
        let before = try await counters(url)
        let serverBefore = cpuSeconds(server.processIdentifier), fleetBefore = fleet.map { cpuSeconds($0.processIdentifier) } ?? 0
        let databaseBefore = databaseCPU()
        let start = clock.now
        try await Task.sleep(for: .seconds(seconds))
        let serverAfter = cpuSeconds(server.processIdentifier), fleetAfter = fleet.map { cpuSeconds($0.processIdentifier) } ?? 0
        let databaseAfter = databaseCPU()
        let wall = PeersBenchmark.seconds(clock.now - start)
        let after = try await counters(url)
        let serverCPU = serverAfter - serverBefore
        return Window(serverCPU: serverCPU, serverShare: serverCPU / wall, fleetShare: (fleetAfter - fleetBefore) / wall,
                      databaseShare: (databaseAfter - databaseBefore) / wall,
                      requests: after.requests - before.requests, heartbeats: after.heartbeats - before.heartbeats, queues: after.queues)
    }

    /// User + system CPU of a process so far (`/proc/PID/stat` fields 14 and 15, in clock ticks).
    static func cpuSeconds(_ pid: Int32) -> Double {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = text.lastIndex(of: ")") else { return 0 }
        // Fields after the command name (which may hold spaces), starting at field 3.
        let fields = text[text.index(after: close)...].split(separator: " ")
        guard fields.count > 13, let user = Double(fields[11]), let system = Double(fields[12]) else { return 0 }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    /// User + system CPU so far of every process named `postgres` (the cluster's postmaster and backends).
    static func databaseCPU() -> Double {
        let pids = (try? FileManager.default.contentsOfDirectory(atPath: "/proc"))?.compactMap(Int32.init) ?? []
        return pids.reduce(0) { sum, pid in
            let comm = (try? String(contentsOfFile: "/proc/\(pid)/comm", encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
            return comm == "postgres" ? sum + cpuSeconds(pid) : sum
        }
    }

    /// Every API request, the FogNode status patches written (the heartbeats, alone or in batches), and the controllers' queue depths, from /metrics.
    static func counters(_ url: String) async throws -> (requests: Int, heartbeats: Int, queues: String) {
        let (data, _) = try await URLSession.shared.data(for: URLRequest(url: URL(string: url + "/metrics")!))
        var requests = 0, heartbeats = 0
        var queues: [String] = []
        for line in String(decoding: data, as: UTF8.self).split(separator: "\n") {
            let value = Int(Double(line.split(separator: " ").last ?? "") ?? 0)
            if line.hasPrefix("fog_api_requests_total{") {
                requests += value
            } else if line.hasPrefix("fog_api_status_patches_total{"), line.contains("kind=\"fognodes\"") {
                heartbeats += value
            } else if line.hasPrefix("fog_controller_queue_depth{"), value > 0 {
                queues.append(String(line))
            }
        }
        return (requests, heartbeats, queues.isEmpty ? "all empty" : queues.joined(separator: ", "))
    }
}
