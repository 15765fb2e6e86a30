import FogAPI
import FogModel
@testable import FogStore
import FogTesting
import Foundation
import Testing

/// A store clock the test moves by hand, from the test epoch.
final class StoreClock: @unchecked Sendable {
    private let lock = NSLock()
    private var date = TestEpoch.date
    var now: Date { lock.withLock { date } }
    func advance(_ seconds: TimeInterval) { lock.withLock { date = date.addingTimeInterval(seconds) } }
}

/// Heartbeat-like churn: every node's status patched `rounds` times, one transaction per
/// round (each patch its own revision), with a body of about a kilobyte.
enum Churn {
    static func key(_ i: Int) -> ObjectKey { ObjectKey(kind: "FogNode", namespace: "", name: "n\(i)") }

    static func heartbeat(_ beat: Int) -> JSONValue {
        ["lastHeartbeatTime": .string(Timestamp.format(TestEpoch.date.addingTimeInterval(Double(beat)))),
         "telemetry": ["beat": .int(Int64(beat)), "samples": .string(String(repeating: "0123456789abcdef", count: 48) + "#\(beat)")]]
    }

    static func nodes(_ store: SQLiteStore, _ count: Int) throws {
        _ = try store.apply((0..<count).map { node("n\($0)") }, dryRun: false)
    }

    static func run(_ store: SQLiteStore, nodes: Int, rounds: Int, from beat: Int = 0) throws {
        for r in 0..<rounds {
            _ = try store.patchStatuses((0..<nodes).map { StatusPatch(key: key($0), patch: heartbeat(beat + r)) })
        }
    }
}

@Suite struct CompactionTests {
    @Test func statusChurnAndCompactionKeepTheFileWithinTwiceAVacuumedCopy() throws {
        let dir = try TemporaryDirectory("fog-compaction")
        let store = try SQLiteStore(path: dir.file("state.db"), now: { TestEpoch.date })
        try Churn.nodes(store, 50)
        var policy = StoreMaintenance.Policy()
        policy.keepRevisions = 500
        policy.batchSize = 400
        policy.pagesPerStep = 100
        let maintenance = StoreMaintenance(store: store, policy: policy)
        var sizes: [Int64] = []
        for phase in 0..<3 {
            try Churn.run(store, nodes: 50, rounds: 40, from: phase * 40)  // 2,000 heartbeats
            let before = try store.storageStats()
            #expect(before.logEntries >= 2_000)
            let report = try maintenance.runOnce()
            // About 1,500 entries before the window, looked at 400 per transaction.
            #expect(report.compaction.examined >= 1_500)
            #expect(report.compaction.batches >= report.compaction.examined / 400, "compaction ran in batches of at most 400 entries")
            #expect(report.releasedPages > 0)
            #expect(report.walTruncated)
            let after = try store.storageStats()
            // The window (500 revisions), plus the live bodies older than it (none here: every node just beat).
            #expect(after.logEntries <= 500 + 50)
            // Free pages beyond a quarter of the file went back to the file system.
            #expect(after.freePages > 0 && after.freePages <= after.pageCount / 4 + 1)
            #expect(after.databaseBytes == Int64(after.pageCount * after.pageSize))
            #expect(after.walBytes == 0)
            let copy = dir.file("copy-\(phase).db")
            try store.vacuum(into: copy)
            let compact = SQLiteStore.fileSize(copy)
            #expect(after.fileBytes <= 2 * compact, "state file \(after.fileBytes) bytes, a vacuumed copy \(compact)")
            sizes.append(after.fileBytes)
        }
        // Three times the churn, not three times the file.
        #expect(sizes[2] <= sizes[0] + sizes[0] / 4, "sizes after each phase: \(sizes)")
        #expect(try store.list(kind: "FogNode", namespace: nil).items.allSatisfy { $0.status?["telemetry"]?["beat"] == .int(119) })
    }

    @Test func compactionKeepsTheSmallerOfTheRevisionAndTimeWindows() throws {
        let dir = try TemporaryDirectory("fog-compaction")
        let clock = StoreClock()
        let store = try SQLiteStore(path: dir.file("state.db"), now: { clock.now })
        for i in 0..<20 {
            clock.advance(10)
            _ = try store.create(node("n\(i)"))  // revision r, written at epoch + 10 r
        }
        // now = epoch + 200. All entries are younger than 5 minutes: the last 5 revisions are kept.
        #expect(try store.compactionPoint(keepRevisions: 5, keepSeconds: 300) == 16)
        // Written in the last 55 s: revisions 15 (epoch + 150) to 20.
        #expect(try store.compactionPoint(keepRevisions: 100, keepSeconds: 55) == 15)
        #expect(try store.compactionPoint(keepRevisions: 8, keepSeconds: 55) == 15)
        // Nothing to compact.
        #expect(try store.compactionPoint(keepRevisions: 100, keepSeconds: 300) == 1)
        // All too old: the whole log goes, but live objects keep the entries that hold their bodies.
        clock.advance(1_000)
        #expect(try store.compactionPoint(keepRevisions: 100, keepSeconds: 300) == 21)
        try store.compact(before: 21)
        #expect(try store.list(kind: "FogNode", namespace: nil).items.count == 20)
        #expect(try store.events(after: 20, limit: 10).isEmpty)
        #expect { try store.events(after: 19, limit: 10) } throws: { ($0 as? StoreError)?.code == .compacted }
    }

    @Test func aWatcherBehindTheCompactionPointIsToldToListAgain() async throws {
        let dir = try TemporaryDirectory("fog-compaction")
        let store = try SQLiteStore(path: dir.file("state.db"), now: { TestEpoch.date })
        try Churn.nodes(store, 3)
        let early = try store.currentRevision()
        try Churn.run(store, nodes: 3, rounds: 100)
        let point = try store.compactionPoint(keepRevisions: 50, keepSeconds: 300)
        try store.compact(before: point, batchSize: 40)
        var failure: (any Error)?
        do {
            for try await _ in store.watch(kind: "FogNode", from: early) {}
        } catch { failure = error }
        #expect((failure as? StoreError)?.code == .compacted)
        #expect((failure as? StoreError)?.httpStatus == 410)
        #expect { try store.events(after: point - 2, limit: 10) } throws: { ($0 as? StoreError)?.code == .compacted }
        // From the edge of the window on, every change is there.
        let kept = try store.events(after: point - 1, limit: 100).map(\.revision)
        #expect(kept == Array(point...(try store.currentRevision())))
        // Listing again gives the current objects and a revision to watch from.
        let list = try store.list(kind: "FogNode", namespace: nil)
        let head = try store.currentRevision()
        #expect(list.items.count == 3 && list.revision == head)
    }

    @Test func aWatcherAtTheHeadSeesEveryChangeWhileCompactionRuns() async throws {
        let dir = try TemporaryDirectory("fog-compaction")
        let store = try SQLiteStore(path: dir.file("state.db"), now: { TestEpoch.date })
        try Churn.nodes(store, 5)
        try Churn.run(store, nodes: 5, rounds: 40)
        let start = try store.currentRevision()
        var seen: [Int64] = []
        var beats: [ObjectKey: Int64] = [:]
        var events = store.watch(kind: "FogNode", from: start, bookmarkEvery: 0).makeAsyncIterator()
        for round in 0..<20 {
            // 100 heartbeats, then a compaction that keeps exactly those 100: it deletes up to
            // the last revision this watcher has been given, never past it.
            try Churn.run(store, nodes: 5, rounds: 20, from: 100 + round * 20)
            let head = try store.currentRevision()
            try store.compact(before: try store.compactionPoint(keepRevisions: 100, keepSeconds: 300), batchSize: 30)
            while seen.last ?? start < head {
                guard let e = try await events.next() else { Issue.record("the watch ended"); return }
                guard let o = e.object else { continue }
                seen.append(e.revision)
                beats[o.key] = o.status?["telemetry"]?["beat"]?.intValue
            }
        }
        #expect(seen == Array((start + 1)...(try store.currentRevision())))
        #expect(beats.count == 5 && beats.values.allSatisfy { $0 == 100 + 19 * 20 + 19 })
        #expect(try store.storageStats().logEntries <= 100 + 5)
    }

    @Test func compactionRunsInBatchesAndWritersCommitBetweenThem() throws {
        let dir = try TemporaryDirectory("fog-compaction")
        let store = try SQLiteStore(path: dir.file("state.db"), now: { TestEpoch.date })
        try Churn.nodes(store, 10)
        try Churn.run(store, nodes: 10, rounds: 100)  // 1,000 heartbeats
        // Another connection to the file, as another process is.
        let other = try SQLiteStore(path: dir.file("state.db"), now: { TestEpoch.date })
        let point = try store.currentRevision() - 99
        var batches: [CompactionBatch] = []
        var written: [Int64] = []
        let summary = try store.compact(before: point, batchSize: 100) { batch in
            batches.append(batch)
            // The batch has committed: the compacted revision has moved with it, and the write lock is free.
            #expect(try other.storageStats().compacted == batch.through)
            written.append(try other.patchStatus(Churn.key(0), ["between": .int(Int64(batches.count))]).metadata.resourceVersion)
        }
        #expect(summary.batches == batches.count + 1 && summary.batches >= 10)
        #expect(batches.allSatisfy { $0.examined <= 100 && $0.deleted <= $0.examined && !$0.done })
        #expect(written.count == batches.count && written == written.sorted() && Set(written).count == written.count)
        #expect(try store.get(Churn.key(0))?.status?["between"] == .int(Int64(batches.count)))
        #expect(try store.storageStats().compacted == point - 1)
        #expect(try store.events(after: point - 1, limit: 1_000).map(\.revision) == Array(point...(try store.currentRevision())))
    }

    /// Each batch commits on its own: compaction stopped half-way (by an error, a crash or
    /// a kill) leaves a consistent store, and the next compaction finishes the work.
    @Test func aCompactionStoppedHalfWayLeavesAConsistentStore() throws {
        let dir = try TemporaryDirectory("fog-compaction")
        let store = try SQLiteStore(path: dir.file("state.db"), now: { TestEpoch.date })
        try Churn.nodes(store, 10)
        try Churn.run(store, nodes: 10, rounds: 50)
        let point = try store.currentRevision() - 49
        struct Stop: Error {}
        var through: Int64 = 0
        var stoppedBy: (any Error)?
        do {
            try store.compact(before: point, batchSize: 50) { batch in
                through = batch.through
                if batch.through > 200 { throw Stop() }
            }
        } catch { stoppedBy = error }
        #expect(stoppedBy is Stop)
        let stopped = try store.storageStats()
        #expect(stopped.compacted == through && through < point - 1)
        #expect(try store.events(after: through, limit: 1_000).map(\.revision) == Array((through + 1)...stopped.revision))
        #expect(try store.list(kind: "FogNode", namespace: nil).items.allSatisfy { $0.status?["telemetry"]?["beat"] == .int(49) })
        try store.compact(before: point, batchSize: 50)
        let done = try store.storageStats()
        #expect(done.compacted == point - 1 && done.logEntries == 50)
    }

    @Test func theBatchFunctionLooksAtAtMostItsLimit() throws {
        let dir = try TemporaryDirectory("fog-compaction")
        let store = try SQLiteStore(path: dir.file("state.db"), now: { TestEpoch.date })
        try Churn.nodes(store, 2)  // revisions 1, 2
        try Churn.run(store, nodes: 2, rounds: 10)  // 3 ... 22; live: 21, 22
        let first = try store.compactBatch(before: 22, after: 0, limit: 5)
        #expect(first == CompactionBatch(examined: 5, deleted: 5, through: 5, done: false))
        let second = try store.compactBatch(before: 22, after: first.through, limit: 20)
        // 6 ... 21 looked at; 21 is node n0's current body and stays.
        #expect(second == CompactionBatch(examined: 16, deleted: 15, through: 21, done: true))
        #expect(try store.storageStats().logEntries == 2)
        #expect(try store.storageStats().compacted == 21)
    }

    @Test func theShutdownCheckpointTruncatesTheWAL() throws {
        let dir = try TemporaryDirectory("fog-compaction")
        let store = try SQLiteStore(path: dir.file("state.db"), now: { TestEpoch.date })
        try Churn.nodes(store, 20)
        try Churn.run(store, nodes: 20, rounds: 20)
        #expect(try store.storageStats().walBytes > 0)
        let reader = try SQLiteStore(path: dir.file("state.db"))  // another connection that has read, and is done
        #expect(try reader.list(kind: "FogNode", namespace: nil).items.count == 20)
        #expect(try StoreMaintenance(store: store).finish())
        #expect(try store.storageStats().walBytes == 0)
        // The data is all in the database file now.
        #expect(try reader.get(Churn.key(3))?.status?["telemetry"]?["beat"] == .int(19))
    }

    @Test func maintenanceRunsARoundAfterEveryRevisionsWrittenWithoutWaitingForItsTimer() async throws {
        let dir = try TemporaryDirectory("fog-compaction")
        let store = try SQLiteStore(path: dir.file("state.db"), now: { TestEpoch.date })
        try Churn.nodes(store, 10)
        var policy = StoreMaintenance.Policy()
        policy.keepRevisions = 50
        policy.everyRevisions = 200
        policy.interval = .seconds(3_600)
        let maintenance = StoreMaintenance(store: store, policy: policy)
        let (reports, sink) = AsyncStream<Result<StoreMaintenance.Report, Error>>.makeStream()
        let running = Task { await maintenance.run { sink.yield($0) } }
        // Heartbeats until the loop has done a round that compacted something; the hour-long
        // timer never fires, so the writes are what wake it.
        let writer = Task {
            var beat = 0
            while !Task.isCancelled {
                try Churn.run(store, nodes: 10, rounds: 1, from: beat)
                beat += 1
                await Task.yield()
            }
        }
        var rounds = reports.makeAsyncIterator()
        var report = try #require(await rounds.next()).get()
        while report.compaction.deleted == 0 { report = try #require(await rounds.next()).get() }
        writer.cancel()
        try await writer.value
        running.cancel()
        _ = await running.value
        #expect(report.compaction.batches >= 1 && report.walTruncated)
        #expect(try store.storageStats().compacted >= report.compaction.point - 1)
        #expect(try maintenance.finish())
        #expect(try store.storageStats().walBytes == 0)
    }

    @Test func aNewFileHasIncrementalVacuumAndAnOlderOneIsMigrated() throws {
        let dir = try TemporaryDirectory("fog-compaction")
        let path = dir.file("state.db")
        do {
            let store = try SQLiteStore(path: path, now: { TestEpoch.date })
            let fresh = try store.storageStats()
            #expect(fresh.autoVacuum == 2 && fresh.schemaVersion == SQLiteStore.schemaVersion)
            try Churn.nodes(store, 5)
            try Churn.run(store, nodes: 5, rounds: 10)
            // Make it a version-1 file, as fogctl wrote them before: no auto-vacuum.
            try store.pool.writeWithoutTransaction { db in
                try db.execute(sql: "PRAGMA auto_vacuum = NONE")
                try db.execute(sql: "VACUUM")
                try db.execute(sql: "PRAGMA user_version = 1")
            }
            let old = try store.storageStats()
            #expect(old.autoVacuum == 0 && old.schemaVersion == 1)
        }
        let store = try SQLiteStore(path: path, now: { TestEpoch.date })
        let migrated = try store.storageStats()
        #expect(migrated.autoVacuum == 2 && migrated.schemaVersion == 2)
        #expect(migrated.revision == 55 && migrated.walBytes == 0)
        #expect(try store.list(kind: "FogNode", namespace: nil).items.allSatisfy { $0.status?["telemetry"]?["beat"] == .int(9) })
        // And compaction gives the space back now.
        try store.compact(before: 51)
        #expect(try store.storageStats().freePages > 0)
        #expect(try store.releaseFreePages() > 0)
        #expect(try store.storageStats().freePages == 0)
    }
}
