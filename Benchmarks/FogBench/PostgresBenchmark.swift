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
///    compaction every 2,500 revisions (keeping 10,000) as the leader's maintenance does,
///    against the same live objects applied into a fresh database.
enum PostgresBenchmark {
    /// The cluster a benchmark runs on: `FOG_BENCH_POSTGRES_URL`'s server, else one of its own
    /// with PostgreSQL's default durability.
    static func cluster() throws -> PostgresTestCluster {
        if let url = ProcessInfo.processInfo.environment["FOG_BENCH_POSTGRES_URL"], !url.isEmpty {
            setenv("FOG_TEST_POSTGRES_URL", url, 1)
            return try PostgresTestCluster.shared()
        }
        return try PostgresTestCluster.dedicated(durable: true)
    }

    static func run(updates: Int, dir: String) async throws {
        let cluster = try cluster()
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
            let connection = try await PostgresConnection.connect(
                configuration: PostgresLocation(url: url).connectionConfiguration(applicationName: "fog-bench-raw"), id: 9, logger: Logger(label: "bench"))
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

    /// 100 watchers over three store handles (three servers' pools and listeners) while one
    /// writer patches statuses at `rate`; half-way, every listener's connection is cut with
    /// `pg_terminate_backend`. Each watcher must see every revision once, in order.
    static func watchLag(_ cluster: PostgresTestCluster, rate: Int, seconds duration: Int) async throws {
        let url = try cluster.database(prefix: "fog_bench_watch")
        defer { cluster.drop(url) }
        let writer = try await PostgresStore.open(url: url, maxConnections: 8)
        var opened: [PostgresStore] = []
        for _ in 0..<3 { opened.append(try await PostgresStore.open(url: url, maxConnections: 2)) }
        let servers = opened
        _ = try await writer.apply((0..<50).map { i in
            Resource(kind: "FogNode", metadata: ObjectMeta(name: "n\(i)"), content: ["spec": ["region": "eu-west", "class": "edge", "capacity": ["cpu": 4, "memoryGiB": 8]]])
        }, dryRun: false)
        let start = try await writer.currentRevision()
        let total = rate * duration
        let clock = ContinuousClock()
        let issued = IssueTimes()
        let watcherCount = 100
        let watches = (0..<watcherCount).map { w in
            Task { () -> (revisions: [Int64], lags: [Double]) in
                var revisions: [Int64] = []
                var lags: [Double] = []
                revisions.reserveCapacity(total)
                lags.reserveCapacity(total)
                for try await e in servers[w % 3].watch(kind: "FogNode", namespace: nil, from: start, bookmarkEvery: 0) {
                    guard let o = e.object, let i = o.status?["seq"]?.intValue else { continue }
                    let at = clock.now
                    revisions.append(e.revision)
                    if let t = issued.get(Int(i)) { lags.append(seconds(at - t)) }
                    if revisions.count == total { break }
                }
                return (revisions, lags)
            }
        }
        // Paced: write i starts at t0 + i / rate; up to 8 writes in flight (the pool's size).
        let t0 = clock.now
        let g0 = writer.groupCommits
        let cut = CutOnce()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for lane in 0..<8 {
                group.addTask {
                    var i = lane
                    while i < total {
                        let due = t0 + .nanoseconds(Int64(i) * 1_000_000_000 / Int64(rate))
                        try await clock.sleep(until: due)
                        issued.set(i, clock.now)
                        _ = try await writer.patchStatus(ObjectKey(kind: "FogNode", namespace: "", name: "n\(i % 50)"), ["seq": .int(Int64(i))])
                        if i >= total / 2, cut.first() {
                            // Every server's listening connection dropped mid-stream.
                            for s in servers { if let pid = s.watchListenerBackendPID { _ = try? cluster.psql("SELECT pg_terminate_backend(\(pid))") } }
                        }
                        i += 8
                    }
                }
            }
            try await group.waitForAll()
        }
        let achieved = Double(total) / seconds(clock.now - t0)
        let g1 = writer.groupCommits
        print(String(format: "  group commit: %d writes in %d transactions (%.2f writes per commit)",
                     g1.writes - g0.writes, g1.groups - g0.groups, Double(g1.writes - g0.writes) / Double(max(1, g1.groups - g0.groups))))
        let end = try await writer.currentRevision()
        let expected = Array((start + 1)...end)
        var lags: [Double] = []
        var exact = 0
        for w in watches {
            let (revisions, l) = try await w.value
            if revisions == expected { exact += 1 }
            lags += l
        }
        lags.sort()
        func pct(_ p: Double) -> Double { lags[min(lags.count - 1, Int(Double(lags.count) * p))] * 1000 }
        let reconnects = servers.map { $0.watchListenerConnections - 1 }
        print(String(format: "  watch at %d writes/s (achieved %.0f/s) for %d s, %d watchers over 3 servers' pools, every listener cut once mid-stream (reconnections %@): %d of %d watchers saw all %d revisions once and in order; lag p50 %.1f ms, p99 %.1f ms, max %.1f ms",
                     rate, achieved, duration, watcherCount, reconnects.map(String.init).joined(separator: "/"), exact, watcherCount, expected.count,
                     pct(0.5), pct(0.99), (lags.last ?? 0) * 1000))
        await writer.close()
        for s in servers { await s.close() }
    }

    final class CutOnce: @unchecked Sendable {
        private let lock = NSLock()
        private var done = false
        func first() -> Bool { lock.withLock { if done { return false }; done = true; return true } }
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
            if rev - lastCompaction >= PostgresMaintenance(keepRevisions: 10_000).step {
                let point = try await store.compactionPoint(keepRevisions: 10_000, keepSeconds: 300)
                try await store.compact(before: point, batchSize: 1_000)
                try await store.vacuum()  // as PostgresMaintenance does after a round
                lastCompaction = rev
                compactions += 1
            }
        }
        let took = seconds(clock.now - t0)
        let duringRun = try await store.storageStats()
        let point = try await store.compactionPoint(keepRevisions: 10_000, keepSeconds: 300)
        try await store.compact(before: point, batchSize: 1_000)
        try await store.vacuum()
        let stats = try await store.storageStats()
        // The compact copy: the same rows rewritten with no free space (VACUUM FULL).
        try await store.vacuum(full: true)
        let compact = try await store.storageStats()
        await store.close()
        func mib(_ b: Int64) -> Double { Double(b) / 1_048_576 }
        print(String(format: "  %d status updates on %d nodes (batches of 100, %.0f updates/s, compaction every 2,500 revisions keeping 10,000: %d rounds): at the end of the run tables %.1f MiB, %d log entries; after a final compaction and VACUUM %.1f MiB; the compact copy (VACUUM FULL) %.1f MiB: ratio %.2fx (%.2fx at the end of the run); live bodies %.2f MiB (%d objects): tables / live %.1fx",
                     updates, nodes, Double(updates) / took, compactions, mib(duringRun.tableBytes), duringRun.logEntries,
                     mib(stats.tableBytes), mib(compact.tableBytes), Double(stats.tableBytes) / Double(compact.tableBytes),
                     Double(duringRun.tableBytes) / Double(compact.tableBytes), mib(stats.liveBytes), stats.liveObjects,
                     Double(stats.tableBytes) / Double(stats.liveBytes)))
    }
}
