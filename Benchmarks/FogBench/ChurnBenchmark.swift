import FogAPI
import FogAgent
import FogClient
import FogFleet
import FogManifest
import FogModel
import FogRemote
import FogRuntime
import FogStore
import Foundation
import Logging

/// `fog-bench churn [COUNT]`: COUNT (default 1,000,000) heartbeat status patches of 1,000
/// simulated nodes through a real server over HTTP, 32 in flight, while the store's
/// maintenance runs with `fogctl server`'s policy. Prints the rate and the patch latency,
/// the maintenance rounds, the state file's peak and final size, and the size after a
/// final compaction and checkpoint against the live data (the current objects' bodies)
/// and against a `VACUUM INTO` copy (goal: at most twice the copy).
enum ChurnBenchmark {
    static func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }

    static func fileSize(_ path: String) -> Int64 {
        ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber)?.int64Value ?? 0
    }

    static func mb(_ bytes: Int64) -> String { String(format: "%.1f MB", Double(bytes) / 1e6) }

    static func run(count: Int, dir: String) async throws {
        let nodes = 1000
        let path = dir + "/churn.db"
        let store = try SQLiteStore(path: path)
        var logger = Logger(label: "bench")
        logger.logLevel = .error
        let (port, group, serverTask) = try await BenchServer.start(store: store, logger: logger)
        let remote = HTTPFogClient(baseURL: "http://127.0.0.1:\(port)", token: nil, registry: SchemaSet.builtIn.registry)
        let latencies = APIBenchmark.Samples()
        let client = TimedClient(inner: remote, samples: latencies)

        // The store's upkeep as `fogctl server` runs it (`StoreMaintenanceService` runs exactly
        // this loop, then `finish()`), with the same policy: the defaults of its flags.
        let policy = StoreMaintenance.Policy()
        let maintenance = StoreMaintenance(store: store, policy: policy)
        let rounds = Rounds()
        // FOG_BENCH_CHURN_MAINTENANCE=off: no maintenance during the run, for the writers' baseline.
        let maintained = ProcessInfo.processInfo.environment["FOG_BENCH_CHURN_MAINTENANCE"] != "off"
        let maintaining = Task { if maintained { await maintenance.run { rounds.add($0) } } }
        let sizes = Peaks()
        let sampler = Task {
            while !Task.isCancelled {
                sizes.sample(db: fileSize(path), wal: fileSize(path + "-wal"))
                try? await Task.sleep(for: .milliseconds(250))
            }
        }

        let clock = ManualClock(Date())
        var options = SimulatedFleet.Options()
        options.seed = 11
        options.heartbeatInterval = 5
        options.concurrency = 32
        let fleet = SimulatedFleet(client: client, clock: clock, options: options)
        try await fleet.createNodes(count: nodes, profiles: FleetProfile.all.filter { $0.name != "Unreliable" })
        _ = try await fleet.tick()  // first beats register telemetry
        latencies.reset()
        print("churn benchmark: \(count) heartbeat status patches of \(nodes) simulated nodes over HTTP (server on 127.0.0.1:\(port)), 32 in flight;")
        if maintained {
            print("  store maintenance as fogctl server runs it: keep at most \(policy.keepRevisions) revisions and \(Int(policy.keepSeconds)) s, "
                  + "a round every \(policy.interval) or \(policy.everyRevisions) revisions, \(policy.batchSize) entries per transaction")
        } else {
            print("  no store maintenance during the run (FOG_BENCH_CHURN_MAINTENANCE=off)")
        }
        var sent = 0
        var reported = 0
        let start = now()
        while sent < count {
            clock.advance(by: 5)
            sent += try await fleet.tick()
            if sent - reported >= max(count / 10, 1), sent < count {
                reported = sent
                let s = try store.storageStats()
                print(String(format: "  %8d patches, %6.0f/s; database %@ + WAL %@, %d log entries",
                             sent, Double(sent) / (now() - start), mb(s.databaseBytes), mb(s.walBytes), s.logEntries))
            }
        }
        let elapsed = now() - start
        sampler.cancel()
        maintaining.cancel()
        _ = await maintaining.value
        _ = await sampler.value
        let atEnd = try store.storageStats()
        try await remote.shutdown()
        await group.triggerGracefulShutdown()
        _ = try? await serverTask.value

        let lat = APIBenchmark.Stats(latencies.all, seconds: elapsed)
        print(String(format: "  %d patches in %.1f s: %.0f patches/s; patch latency p50 %.2f ms, p99 %.2f ms, max %.2f ms",
                     sent, elapsed, Double(sent) / elapsed, lat.p50 * 1000, lat.p99 * 1000, lat.max * 1000))
        let r = rounds.summary
        print(String(format: "  maintenance: %d rounds (%d failed), %d log entries deleted in %d transactions, %d pages given back; "
                     + "%d checkpoints left the WAL in place",
                     r.count, r.failed, r.deleted, r.batches, r.pages, r.walKept))
        print(String(format: "  a round took %.1f ms on average (compaction %.1f, giving pages back %.1f, checkpoint %.1f), %.1f ms at most",
                     r.mean(\.totalSeconds) * 1000, r.mean(\.compaction) * 1000, r.mean(\.release) * 1000, r.mean(\.checkpoint) * 1000,
                     r.maxSeconds * 1000))
        print("  peak during the run: database \(mb(sizes.peakDB)), WAL \(mb(sizes.peakWAL)), together \(mb(sizes.peakTotal))")
        print("  at the end: database \(mb(atEnd.databaseBytes)) + WAL \(mb(atEnd.walBytes)) = \(mb(atEnd.fileBytes)); "
              + "\(atEnd.logEntries) log entries, \(atEnd.freePages) free pages")

        // A final compaction and the shutdown checkpoint, as the service does on SIGTERM.
        let last = try maintenance.runOnce()
        let truncated = try maintenance.finish()
        let final = try store.storageStats()
        let copy = dir + "/churn-vacuumed.db"
        try store.vacuum(into: copy)
        let compact = fileSize(copy)
        print("  after a final compaction (\(last.compaction.deleted) entries, \(last.releasedPages) pages) and checkpoint (WAL truncated: \(truncated)): "
              + "database \(mb(final.databaseBytes)) + WAL \(mb(final.walBytes)) = \(mb(final.fileBytes)); \(final.logEntries) log entries")
        print("  live data (the \(final.liveObjects) current bodies): \(mb(final.liveBytes)); VACUUM INTO copy: \(mb(compact))")
        print(String(format: "  state file / VACUUM INTO copy: %.2f at the end of the run, %.2f after the final compaction (goal <= 2); "
                     + "state file / live data: %.1f, %.1f",
                     Double(atEnd.fileBytes) / Double(compact), Double(final.fileBytes) / Double(compact),
                     Double(atEnd.fileBytes) / Double(final.liveBytes), Double(final.fileBytes) / Double(final.liveBytes)))
    }

    final class Rounds: @unchecked Sendable {
        struct Summary {
            var count = 0, failed = 0, deleted = 0, batches = 0, pages = 0, walKept = 0
            var totalSeconds = 0.0, compaction = 0.0, release = 0.0, checkpoint = 0.0, maxSeconds = 0.0
            func mean(_ sum: KeyPath<Summary, Double>) -> Double { count == 0 ? 0 : self[keyPath: sum] / Double(count) }
        }
        private let lock = NSLock()
        private var s = Summary()
        func add(_ result: Result<StoreMaintenance.Report, Error>) {
            lock.withLock {
                switch result {
                case .success(let r):
                    s.count += 1
                    s.deleted += r.compaction.deleted
                    s.batches += r.compaction.batches
                    s.pages += r.releasedPages
                    if !r.walTruncated { s.walKept += 1 }
                    s.totalSeconds += r.seconds
                    s.compaction += r.compactionSeconds
                    s.release += r.releaseSeconds
                    s.checkpoint += r.checkpointSeconds
                    s.maxSeconds = max(s.maxSeconds, r.seconds)
                case .failure(let e):
                    s.failed += 1
                    FileHandle.standardError.write(Data("maintenance failed: \(e)\n".utf8))
                }
            }
        }
        var summary: Summary { lock.withLock { s } }
    }

    final class Peaks: @unchecked Sendable {
        private let lock = NSLock()
        private var db: Int64 = 0, wal: Int64 = 0, total: Int64 = 0
        func sample(db d: Int64, wal w: Int64) { lock.withLock { db = max(db, d); wal = max(wal, w); total = max(total, d + w) } }
        var peakDB: Int64 { lock.withLock { db } }
        var peakWAL: Int64 { lock.withLock { wal } }
        var peakTotal: Int64 { lock.withLock { total } }
    }
}

/// A client that times its status patches and passes everything through.
struct TimedClient: FogClient {
    let inner: any FogClient
    let samples: APIBenchmark.Samples

    func patchStatus(_ key: ObjectKey, _ patch: JSONValue) async throws -> Resource {
        let t0 = ChurnBenchmark.now()
        defer { samples.add(ChurnBenchmark.now() - t0) }
        return try await inner.patchStatus(key, patch)
    }
    func get(_ key: ObjectKey) async throws -> Resource? { try await inner.get(key) }
    func list(kind: String, namespace: String?, selector: LabelSelector) async throws -> ObjectList {
        try await inner.list(kind: kind, namespace: namespace, selector: selector)
    }
    func create(_ object: Resource) async throws -> Resource { try await inner.create(object) }
    func update(_ object: Resource) async throws -> Resource { try await inner.update(object) }
    func updateStatus(_ object: Resource) async throws -> Resource { try await inner.updateStatus(object) }
    func patchStatuses(_ patches: [StatusPatch]) async throws -> [Resource] { try await inner.patchStatuses(patches) }
    func delete(_ key: ObjectKey) async throws -> DeleteOutcome { try await inner.delete(key) }
    func delete(_ key: ObjectKey, propagation: DeletePropagation) async throws -> DeleteOutcome {
        try await inner.delete(key, propagation: propagation)
    }
    func apply(_ objects: [Resource], dryRun: Bool) async throws -> [ApplyOutcome] { try await inner.apply(objects, dryRun: dryRun) }
    func apply(_ objects: [Resource], prune: [ObjectKey], dryRun: Bool) async throws -> ApplyPruneOutcome {
        try await inner.apply(objects, prune: prune, dryRun: dryRun)
    }
    func watch(kind: String?, namespace: String?, from revision: Int64) -> AsyncThrowingStream<WatchEvent, Error> {
        inner.watch(kind: kind, namespace: namespace, from: revision)
    }
    func currentRevision() async throws -> Int64 { try await inner.currentRevision() }
    func putBlob(_ bytes: [UInt8]) async throws -> String { try await inner.putBlob(bytes) }
    func getBlob(_ digest: String) async throws -> [UInt8] { try await inner.getBlob(digest) }
}
