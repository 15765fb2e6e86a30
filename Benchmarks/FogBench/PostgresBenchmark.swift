import FogAPI
import FogManifest
import FogModel
import FogPostgres
import FogStore
import FogTesting
import Foundation
import Logging
import PostgresNIO

/// `fog-bench postgres [N]`: the PostgreSQL store on a throw-away cluster with PostgreSQL's
/// default durability (fsync and synchronous commit on), started by the benchmark
/// (`FOG_BENCH_POSTGRES_URL`: a server of yours instead; its user must create databases).
///
/// 1. apply of 10,000 FogNodes in one transaction, against a raw insert of the same
///    serialised rows (one INSERT per row, one transaction, one connection) in the same run;
/// 2. watch lag at 500 writes/s: a writer's store handle patches statuses at that pace, a
///    second handle (another pool and listener, as another server has) watches; lag is the
///    time from the write's start to the watcher receiving it, on one monotonic clock;
/// 3. the log's size after N status updates (default 1,000,000) in batches of 100, with
///    compaction every 20,000 revisions (keeping 10,000) as the leader's maintenance does,
///    against the same live objects applied into a fresh database.
enum PostgresBenchmark {
    static func run(updates: Int, dir: String) async throws {
        let env = ProcessInfo.processInfo.environment
        let cluster: PostgresTestCluster
        if let url = env["FOG_BENCH_POSTGRES_URL"], !url.isEmpty {
            setenv("FOG_TEST_POSTGRES_URL", url, 1)
            cluster = try PostgresTestCluster.shared()
        } else {
            cluster = try PostgresTestCluster.dedicated(durable: true)
        }
        defer { cluster.stop() }
        print("postgres benchmark: PostgreSQL at 127.0.0.1:\(cluster.port) (fsync and synchronous_commit at their defaults); load average \(loadAverage())")
        try await applyVersusRaw(cluster, count: 10_000)
        try await watchLag(cluster, rate: 500, seconds: 10)
        try await sizeAfterChurn(cluster, nodes: 1_000, updates: updates)
    }

    static func loadAverage() -> String {
        ((try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8)) ?? "?").split(separator: " ").prefix(3).joined(separator: " ")
    }

    static func seconds(_ d: Duration) -> Double { Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18 }

    static func applyVersusRaw(_ cluster: PostgresTestCluster, count: Int) async throws {
        let objects = try ManifestDecoder().decode([ManifestInput(name: "bench.yaml", bytes: Array(ApplyBenchmark.generate(count: count).utf8))]).map(\.resource)
        let clock = ContinuousClock()
        var bestStore = Double.infinity, bestRaw = Double.infinity
        for _ in 0..<3 {
            let url = try cluster.database(prefix: "fog_bench_apply")
            let store = try await PostgresStore.open(url: url, maxConnections: 2)
            let t0 = clock.now
            let outcomes = try await store.apply(objects, dryRun: false)
            bestStore = min(bestStore, seconds(clock.now - t0))
            precondition(outcomes.count == count && outcomes.allSatisfy { $0.action == .created })
            let rows = outcomes.map { ($0.object.kind, $0.object.namespace, $0.object.name, $0.object.metadata.uid, $0.object.encoded()) }
            await store.close()

            // Baseline: the same rows, raw, on one connection in one transaction.
            let location = try PostgresLocation(url: url)
            let connection = try await PostgresConnection.connect(
                configuration: .init(host: location.host, port: location.port, username: location.user, password: location.password,
                                     database: location.database, tls: .disable),
                id: 9, logger: Logger(label: "bench"))
            let logger = Logger(label: "bench")
            try await connection.query("CREATE TABLE raw_objects (kind text, namespace text, name text, uid text, body text, PRIMARY KEY (kind, namespace, name))", logger: logger)
            let r0 = clock.now
            try await connection.query("BEGIN", logger: logger)
            for (k, ns, n, uid, body) in rows {
                try await connection.query("INSERT INTO raw_objects VALUES (\(k), \(ns), \(n), \(uid), \(body))", logger: logger)
            }
            try await connection.query("COMMIT", logger: logger)
            bestRaw = min(bestRaw, seconds(clock.now - r0))
            try await connection.close()
            cluster.drop(url)
        }
        print(String(format: "  apply %d objects: store %.3f s (%.0f objects/s); raw insert of the same rows %.3f s; ratio %.2fx (best of 3)",
                     count, bestStore, Double(count) / bestStore, bestRaw, bestStore / bestRaw))
    }

    static func watchLag(_ cluster: PostgresTestCluster, rate: Int, seconds duration: Int) async throws {
        let url = try cluster.database(prefix: "fog_bench_watch")
        defer { cluster.drop(url) }
        let writer = try await PostgresStore.open(url: url, maxConnections: 8)
        let watcher = try await PostgresStore.open(url: url, maxConnections: 2)
        _ = try await writer.apply((0..<50).map { i in
            Resource(kind: "FogNode", metadata: ObjectMeta(name: "n\(i)"), content: ["spec": ["region": "eu-west", "class": "edge", "capacity": ["cpu": 4, "memoryGiB": 8]]])
        }, dryRun: false)
        let start = try await writer.currentRevision()
        let total = rate * duration
        let clock = ContinuousClock()
        let issued = IssueTimes()
        let watch = Task { () -> [Double] in
            var lags: [Double] = []
            lags.reserveCapacity(total)
            for try await e in watcher.watch(kind: "FogNode", namespace: nil, from: start, bookmarkEvery: 0) {
                guard let o = e.object, let i = o.status?["seq"]?.intValue else { continue }
                let at = clock.now
                if let t = issued.get(Int(i)) { lags.append(seconds(at - t)) }
                if lags.count == total { break }
            }
            return lags
        }
        // Paced: write i starts at start + i / rate; up to 8 writes in flight (the pool's size).
        let t0 = clock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            for lane in 0..<8 {
                group.addTask {
                    var i = lane
                    while i < total {
                        let due = t0 + .nanoseconds(Int64(i) * 1_000_000_000 / Int64(rate))
                        try await clock.sleep(until: due)
                        issued.set(i, clock.now)
                        _ = try await writer.patchStatus(ObjectKey(kind: "FogNode", namespace: "", name: "n\(i % 50)"), ["seq": .int(Int64(i))])
                        i += 8
                    }
                }
            }
            try await group.waitForAll()
        }
        let achieved = Double(total) / seconds(clock.now - t0)
        let lags = try await watch.value.sorted()
        func pct(_ p: Double) -> Double { lags[min(lags.count - 1, Int(Double(lags.count) * p))] * 1000 }
        print(String(format: "  watch lag at %d writes/s (achieved %.0f/s, %d events, watcher on another pool and listener): p50 %.1f ms, p99 %.1f ms, max %.1f ms",
                     rate, achieved, lags.count, pct(0.5), pct(0.99), (lags.last ?? 0) * 1000))
        await writer.close()
        await watcher.close()
    }

    final class IssueTimes: @unchecked Sendable {
        private let lock = NSLock()
        private var times: [Int: ContinuousClock.Instant] = [:]
        func set(_ i: Int, _ t: ContinuousClock.Instant) { lock.withLock { times[i] = t } }
        func get(_ i: Int) -> ContinuousClock.Instant? { lock.withLock { times[i] } }
    }

    static func sizeAfterChurn(_ cluster: PostgresTestCluster, nodes: Int, updates: Int) async throws {
        let url = try cluster.database(prefix: "fog_bench_churn")
        defer { cluster.drop(url) }
        let store = try await PostgresStore.open(url: url, maxConnections: 2)
        let objects = (0..<nodes).map { i in
            Resource(kind: "FogNode", metadata: ObjectMeta(name: "n\(i)"), content: ["spec": ["region": "eu-west", "class": "edge", "capacity": ["cpu": 4, "memoryGiB": 8]]])
        }
        _ = try await store.apply(objects, dryRun: false)
        let clock = ContinuousClock()
        let t0 = clock.now
        var done = 0
        var beat = 0
        var compactions = 0
        var lastCompaction = try await store.currentRevision()
        while done < updates {
            let batch = min(100, updates - done)
            let patches = (0..<batch).map { j -> StatusPatch in
                let n = (done + j) % nodes
                return StatusPatch(key: ObjectKey(kind: "FogNode", namespace: "", name: "n\(n)"),
                                   patch: ["lastHeartbeatTime": .string(Timestamp.format(Date(timeIntervalSince1970: 2_000_000_000 + Double(beat)))),
                                           "telemetry": ["beat": .int(Int64(beat)), "samples": .string(String(repeating: "0123456789abcdef", count: 48) + "#\(beat)")]])
            }
            _ = try await store.patchStatuses(patches)
            done += batch
            beat += 1
            let rev = try await store.currentRevision()
            if rev - lastCompaction >= 20_000 {
                let point = try await store.compactionPoint(keepRevisions: 10_000, keepSeconds: 300)
                try await store.compact(before: point, batchSize: 1_000)
                lastCompaction = rev
                compactions += 1
            }
        }
        let took = seconds(clock.now - t0)
        let point = try await store.compactionPoint(keepRevisions: 10_000, keepSeconds: 300)
        try await store.compact(before: point, batchSize: 1_000)
        try await store.vacuum()
        let stats = try await store.storageStats()
        let live = try await store.list(kind: "FogNode", namespace: nil, selector: LabelSelector()).items
        await store.close()

        // The same live objects, applied into a fresh database: what the data needs.
        let freshURL = try cluster.database(prefix: "fog_bench_fresh")
        defer { cluster.drop(freshURL) }
        let fresh = try await PostgresStore.open(url: freshURL, maxConnections: 2)
        var copies = live
        for i in copies.indices { copies[i].metadata.resourceVersion = 0 }
        _ = try await fresh.apply(copies.map { var c = $0; c.content["status"] = nil; return c }, dryRun: false)
        _ = try await fresh.patchStatuses(live.map { StatusPatch(key: $0.key, patch: $0.status ?? .object([:])) })
        try await fresh.vacuum()
        let freshStats = try await fresh.storageStats()
        await fresh.close()
        print(String(format: "  %d status updates on %d nodes (batches of 100, %.0f updates/s, %d compactions): log %d entries, tables %.1f MiB; a fresh database with the same %d live objects %.1f MiB (ratio %.2fx; live bodies %.1f MiB)",
                     updates, nodes, Double(updates) / took, compactions, stats.logEntries, Double(stats.tableBytes) / 1_048_576,
                     live.count, Double(freshStats.tableBytes) / 1_048_576, Double(stats.tableBytes) / Double(freshStats.tableBytes),
                     Double(stats.liveBytes) / 1_048_576))
    }
}
