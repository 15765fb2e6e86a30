import FogAPI
import FogAgent
import FogClient
import FogControllers
import FogFleet
import FogManifest
import FogModel
import FogPostgres
import FogRemote
import FogRuntime
import FogServer
import FogStore
import FogTesting
import Foundation
import GRDB
import Logging
import PostgresNIO
import ServiceLifecycle

/// `fog-bench fleet`: peer scoring of 10,000 nodes with all eight algorithms
/// (top 100 each) against a full sort, and heartbeat ingestion of 1,000 simulated
/// nodes through a real server on loopback against the same patches in-process.
enum FleetBenchmark {
    static func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }

    static func run(dir: String) async throws {
        scoring()
        try await heartbeats(dir: dir)
    }

    // MARK: Scoring

    static func scoring() {
        let count = 10_000, k = 100, repeats = 5
        var rng = SplitMix64(seed: 2026)
        let profiles = SeedProfile.allCases
        let regions = ["eu-west", "eu-central", "us-east", "ap-south"]
        let nodes: [(id: String, stats: NodeStats)] = (0..<count).map { i in
            var s = profiles[i % profiles.count].typicalStats
            s.latencyMillis = rng.uniform(2...300)
            s.load = rng.unit()
            s.uptime = rng.uniform(0.7...1)
            s.disconnectionsPerDay = rng.uniform(0...4)
            s.region = regions[Int(rng.next() % 4)]
            s.pricePerHour = rng.uniform(0.1...2)
            s.trust = rng.unit()
            return (id: "node-\(i)", stats: s)
        }
        let context = ScoringContext(requesterRegion: "eu-west", requesterZone: "eu-west-a")
        print("fleet benchmark: scoring \(count) nodes, top \(k), best of \(repeats)")
        var totalTop = 0.0, totalSort = 0.0
        for algorithm in ScoringAlgorithm.allCases {
            var bestTop = Double.infinity, bestSort = Double.infinity
            var check = 0
            for _ in 0..<repeats {
                let t0 = now()
                let top = PeerScoring.top(nodes, k: k, algorithm: algorithm, context: context)
                let t1 = now()
                // Baseline: score every node, then a full sort.
                let sorted = nodes.map { (id: $0.id, score: PeerScoring.score($0.stats, algorithm: algorithm, context: context)) }
                    .sorted { $0.score.total != $1.score.total ? $0.score.total > $1.score.total : $0.id < $1.id }
                let t2 = now()
                precondition(top.map(\.id) == sorted.prefix(k).map(\.id), "top-k differs from the full sort")
                check += top.count
                bestTop = min(bestTop, t1 - t0)
                bestSort = min(bestSort, t2 - t1)
            }
            totalTop += bestTop
            totalSort += bestSort
            print(String(format: "  %@ top-%d %6.2f ms (%9.0f nodes/s)   score+full sort %6.2f ms   ratio %.2f",
                         algorithm.rawValue.padding(toLength: 22, withPad: " ", startingAt: 0), k, bestTop * 1000, Double(count) / bestTop, bestSort * 1000, bestSort / bestTop))
        }
        print(String(format: "  all eight algorithms: %.2f ms (score+full sort: %.2f ms, %.2fx)", totalTop * 1000, totalSort * 1000, totalSort / totalTop))
    }

    // MARK: Heartbeats

    static func heartbeats(dir: String) async throws {
        // FOG_BENCH_FLEET_NODES sizes the fleet (default 1,000); the rounds keep a run near 10,000 heartbeats.
        let env = ProcessInfo.processInfo.environment
        let nodes = max(1, Int(env["FOG_BENCH_FLEET_NODES"] ?? "") ?? 1000)
        let rounds = max(1, Int(env["FOG_BENCH_FLEET_ROUNDS"] ?? "") ?? max(1, 10_000 / nodes))
        // Nodes per request in the batched rows (a gateway's heartbeats, one status-patch request each).
        let batch = max(2, Int(env["FOG_BENCH_HEARTBEAT_BATCH"] ?? "") ?? 100)
        let backend = try await HeartbeatStore.open(dir: dir, postgres: env["FOG_BENCH_STORE"] == "postgres")
        // The store (and a PostgreSQL cluster of the benchmark's own) is closed when the run fails too.
        do { try await heartbeats(on: backend, nodes: nodes, rounds: rounds, batch: batch) } catch {
            await backend.close()
            throw error
        }
        await backend.close()
    }

    static func heartbeats(on backend: HeartbeatStore, nodes: Int, rounds: Int, batch: Int) async throws {
        var logger = Logger(label: "bench")
        logger.logLevel = .error
        let (port, group, serverTask) = try await BenchServer.start(store: backend.handle(), blobs: backend.blobs, logger: logger)
        let remote = HTTPFogClient(baseURL: "http://127.0.0.1:\(port)", token: nil, registry: SchemaSet.builtIn.registry)
        print("fleet benchmark: heartbeats of \(nodes) simulated nodes, \(rounds) rounds (every online node beats once a round), 32 in flight; store: \(backend.name)")
        var managerTask: Task<Void, Error>?
        var manager: Manager?
        let runs: [(String, any FogClient, Bool, Int)] = [
            ("HTTP", remote, false, 1), ("in-process", EmbeddedClient(store: backend.handle(), blobs: backend.blobs), false, 1),
            ("HTTP, \(batch) a request", remote, false, batch),
            ("HTTP, controllers running", remote, true, 1), ("HTTP, controllers, \(batch) a req.", remote, true, batch)]
        for (run, (label, client, controllers, nodesPerRequest)) in runs.enumerated() {
            if controllers && managerTask == nil {
                // The controllers in the same process, as `fogctl server` runs them.
                let started = Manager(client: EmbeddedClient(store: backend.handle(), blobs: backend.blobs), controllers: ControllerFamilies.controllers(),
                                      registry: SchemaSet.builtIn.registry, logger: logger)
                manager = started
                managerTask = Task { try await started.run() }
                // Start measuring once the controllers have caught up with the nodes.
                while !(await started.isSettled(within: 1)) { try await Task.sleep(for: .milliseconds(50)) }
            }
            let clock = ManualClock(Date())
            var options = SimulatedFleet.Options()
            options.seed = UInt64(5 + run)
            options.heartbeatInterval = 5
            options.heartbeatBatch = nodesPerRequest
            let fleet = SimulatedFleet(client: client, clock: clock, options: options)
            try await fleet.createNodes(count: nodes, profiles: FleetProfile.all.filter { $0.name != "Unreliable" })
            // Each run creates the same node names: runs after the first update them.
            _ = try await fleet.tick()  // warm-up: first beats register telemetry
            var sent = 0
            let start = now()
            for _ in 0..<rounds {
                clock.advance(by: 5)
                sent += try await fleet.tick()
            }
            let elapsed = now() - start
            // With the controllers: also the moment they have caught up with every heartbeat.
            var caughtUp = ""
            if controllers, let manager {
                while !(await manager.isSettled(within: 1)) { try await Task.sleep(for: .milliseconds(10)) }
                let total = now() - start
                caughtUp = String(format: "; controllers caught up after %.2f s: %.0f heartbeats/s", total, Double(sent) / total)
            }
            let each = nodesPerRequest == 1 ? String(format: "%.2f ms each at 32 in flight", elapsed / Double(sent) * 32 * 1000)
                : String(format: "%.1f µs of the run each", elapsed / Double(sent) * 1e6)
            print(String(format: "  %@ %6d heartbeats in %6.2f s: %8.0f heartbeats/s (%@)",
                         label.padding(toLength: 30, withPad: " ", startingAt: 0), sent, elapsed, Double(sent) / elapsed, each) + caughtUp)
            if !controllers, client is EmbeddedClient { try await storeOnly(backend.handle(), rounds: rounds) }
        }
        // Raw baseline: the same number of single-row UPDATEs of a heartbeat-sized body, one transaction each.
        let (raw, rawCount) = try await backend.rawUpdates(nodes, nodes * rounds)
        print(String(format: "  raw %@ UPDATE, one transaction each (baseline, %d updates): %8.0f updates/s", backend.name, rawCount, raw))
        managerTask?.cancel()
        _ = await managerTask?.result
        try await remote.shutdown()
        await group.triggerGracefulShutdown()
        _ = try? await serverTask.value
    }

    /// Where the heartbeats go: the embedded SQLite store (default), or a PostgreSQL database of
    /// a throw-away cluster with fsync and synchronous commit on (`FOG_BENCH_STORE=postgres`;
    /// `FOG_BENCH_POSTGRES_URL` for a server of yours), one store handle for the process.
    struct HeartbeatStore {
        let name: String
        /// A store handle as the server, the in-process client and the controllers each take one.
        let handle: () -> any Store
        let blobs: BlobStore
        /// The raw baseline: (updates/s, updates made) for `updates` single-row UPDATEs over `rows` rows.
        let rawUpdates: (_ rows: Int, _ updates: Int) async throws -> (Double, Int)
        let close: () async -> Void

        static func open(dir: String, postgres: Bool) async throws -> HeartbeatStore {
            guard postgres else {
                let sqlite = try SQLiteStore(path: dir + "/fleet.db", pollInterval: .milliseconds(250))
                return HeartbeatStore(name: "SQLite", handle: { SQLiteAsyncStore(sqlite) }, blobs: BlobStore.beside(statePath: sqlite.path),
                                      rawUpdates: { rows, updates in (try FleetBenchmark.rawUpdates(path: dir + "/raw-fleet.db", rows: rows, updates: updates), updates) },
                                      close: {})
            }
            let cluster = try PostgresBenchmark.cluster()
            let url = try cluster.database(prefix: "fog_bench_fleet")
            let pg = try await PostgresStore.open(url: url)
            return HeartbeatStore(name: "PostgreSQL", handle: { pg }, blobs: BlobStore(directory: dir + "/fleet-blobs"),
                                  rawUpdates: { rows, updates in
                                      // One commit (a WAL flush) per update: capped, the rate is the figure.
                                      let count = min(updates, 5_000)
                                      return (try await FleetBenchmark.rawPostgresUpdates(cluster, rows: rows, updates: count), count)
                                  },
                                  close: { await pg.close(); cluster.drop(url); cluster.stop() })
        }
    }

    /// The store alone, without the simulated fleet: each node's last reported telemetry with a
    /// new heartbeat time, built beforehand, patched through the asynchronous store (the one the
    /// server and the embedded client use), 32 in flight.
    static func storeOnly(_ store: any Store, rounds: Int) async throws {
        let nodes = try await store.list(kind: "FogNode", namespace: nil, selector: LabelSelector()).items
        let patches: [(ObjectKey, JSONValue)] = (0..<rounds).flatMap { r in
            nodes.map { n -> (ObjectKey, JSONValue) in
                (n.key, ["lastHeartbeatTime": .string(Timestamp.format(Date(timeIntervalSince1970: 2_000_000_000 + Double(r * 5)))),
                         "telemetry": n.status?["telemetry"] ?? [:]])
            }
        }
        let start = now()
        try await withThrowingTaskGroup(of: Void.self) { group in
            var next = patches.makeIterator()
            func launch() -> Bool {
                guard let (key, patch) = next.next() else { return false }
                group.addTask { _ = try await store.patchStatus(key, patch) }
                return true
            }
            for _ in 0..<32 where launch() {}
            while try await group.next() != nil { _ = launch() }
        }
        let elapsed = now() - start
        print(String(format: "  %@ %6d heartbeats in %6.2f s: %8.0f heartbeats/s (patches built beforehand)",
                     "store patch only".padding(toLength: 26, withPad: " ", startingAt: 0), patches.count, elapsed, Double(patches.count) / elapsed))
    }

    /// The PostgreSQL baseline: single-row UPDATEs of a heartbeat-sized body on one connection,
    /// each its own transaction (a synchronous commit each), in a database of its own.
    static func rawPostgresUpdates(_ cluster: PostgresTestCluster, rows: Int, updates: Int, bodyBytes: Int = 1500) async throws -> Double {
        let url = try cluster.database(prefix: "fog_bench_raw")
        defer { cluster.drop(url) }
        let logger = Logger(label: "bench")
        let connection = try await PostgresConnection.connect(
            configuration: PostgresLocation(url: url).connectionConfiguration(applicationName: "fog-bench-raw"), id: 10, logger: logger)
        let body = String(repeating: "x", count: bodyBytes)
        try await connection.query("CREATE TABLE objects (name text PRIMARY KEY, revision bigint NOT NULL, body text NOT NULL)", logger: logger)
        try await connection.query("INSERT INTO objects SELECT 'n' || i, 0, \(body) FROM generate_series(0, \(rows - 1)) AS i", logger: logger)
        let start = now()
        for i in 0..<updates {
            try await connection.query("UPDATE objects SET revision = \(i), body = \(body) WHERE name = \("n\(i % rows)")", logger: logger)
        }
        let rate = Double(updates) / (now() - start)
        try await connection.close()
        return rate
    }

    static func rawUpdates(path: String, rows: Int, updates: Int, bodyBytes: Int = 1500) throws -> Double {
        try? FileManager.default.removeItem(atPath: path)
        var config = Configuration()
        config.prepareDatabase { db in try db.execute(sql: "PRAGMA synchronous = NORMAL") }
        let pool = try DatabasePool(path: path, configuration: config)
        let body = String(repeating: "x", count: bodyBytes)
        try pool.write { db in
            try db.execute(sql: "CREATE TABLE objects (name TEXT PRIMARY KEY, revision INTEGER NOT NULL, body TEXT NOT NULL) WITHOUT ROWID")
            for i in 0..<rows { try db.execute(sql: "INSERT INTO objects VALUES (?, 0, ?)", arguments: ["n\(i)", body]) }
        }
        let start = now()
        try pool.writeWithoutTransaction { db in
            let stmt = try db.makeStatement(sql: "UPDATE objects SET revision = ?, body = ? WHERE name = ?")
            for i in 0..<updates {
                try db.inTransaction(.immediate) {
                    try stmt.execute(arguments: [i, body, "n\(i % rows)"])
                    return .commit
                }
            }
        }
        return Double(updates) / (now() - start)
    }
}
