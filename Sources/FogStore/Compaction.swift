import FogAPI
import Foundation
import GRDB

/// What one compaction transaction did.
public struct CompactionBatch: Sendable, Equatable {
    /// Log entries looked at (those a live object points to are kept).
    public var examined: Int
    /// Log entries deleted.
    public var deleted: Int
    /// The last revision looked at; the compacted revision is at least this once the batch has committed.
    public var through: Int64
    /// Nothing before the compaction point is left to look at.
    public var done: Bool
    public init(examined: Int, deleted: Int, through: Int64, done: Bool) {
        self.examined = examined
        self.deleted = deleted
        self.through = through
        self.done = done
    }
}

/// What a whole compaction did.
public struct CompactionSummary: Sendable, Equatable {
    /// Entries before this revision were looked at; watchers from `point - 1` on are served.
    public var point: Int64
    public var batches = 0
    public var examined = 0
    public var deleted = 0
    public init(point: Int64) { self.point = point }
}

/// Sizes and counts of a state file.
public struct StorageStats: Sendable, Equatable {
    /// The database file and its WAL, as the file system reports them.
    public var databaseBytes: Int64
    public var walBytes: Int64
    public var pageSize: Int
    /// Pages in the database (the newest snapshot, WAL included) and how many of them are free.
    public var pageCount: Int
    public var freePages: Int
    /// 0 none, 1 full, 2 incremental.
    public var autoVacuum: Int
    public var schemaVersion: Int
    /// Rows in the event log, and how many of them hold a live object's current body.
    public var logEntries: Int
    public var liveObjects: Int
    /// The live objects' current bodies, in bytes: the data itself, without log or index.
    public var liveBytes: Int64
    public var revision: Int64
    public var compacted: Int64

    public var fileBytes: Int64 { databaseBytes + walBytes }
}

/// Compaction of the event log, and giving its space back.
///
/// The log keeps a bounded window: the last `keepRevisions` revisions, and of those only
/// the ones younger than `keepSeconds` (whichever keeps less). Older entries are deleted
/// unless a live object's current body is in them; the store's compacted revision moves
/// to the end of what was deleted, in the same transaction, so a watcher or `events(after:)`
/// from an older revision is told `.compacted` (HTTP 410) and lists again instead of
/// missing a change. A watcher inside the window sees every change.
///
/// Compaction runs in transactions of at most a few thousand entries, so writers wait for
/// one batch at most; pages it frees go back to the file system with incremental vacuum,
/// and `checkpoint` truncates the WAL. `StoreMaintenance` runs the three on a schedule.
extension SQLiteStore {
    /// The revision before which log entries may be compacted (`compact(before:)`): it
    /// keeps the last `keepRevisions` revisions, but none older than `keepSeconds`.
    public func compactionPoint(keepRevisions: Int64 = 10_000, keepSeconds: Double = 300) throws -> Int64 {
        try storage {
            try pool.read { db in
                let current = try Self.revision(db)
                let byCount = max(1, current - max(0, keepRevisions) + 1)
                let cutoff = now().timeIntervalSince1970 - keepSeconds
                // The oldest entry of the count window that is recent enough; none: all are too old.
                let byAge = try Int64.fetchOne(
                    db.cachedStatement(sql: "SELECT revision FROM events WHERE revision >= ? AND at >= ? ORDER BY revision LIMIT 1"),
                    arguments: [byCount, cutoff]) ?? (current + 1)
                return max(byCount, byAge)
            }
        }
    }

    /// One compaction transaction (IMMEDIATE): looks at up to `limit` log entries after
    /// `cursor` and before `point`, deletes those no live object points to, and raises the
    /// compacted revision to the last one looked at, so no reader can miss what it deleted.
    public func compactBatch(before point: Int64, after cursor: Int64, limit: Int) throws -> CompactionBatch {
        precondition(limit > 0, "a compaction batch looks at one entry at least")
        return try storage {
            try pool.writeWithoutTransaction { db in
                var batch = CompactionBatch(examined: 0, deleted: 0, through: cursor, done: true)
                try db.inTransaction(.immediate) {
                    let revisions = try Int64.fetchAll(
                        db.cachedStatement(sql: "SELECT revision FROM events WHERE revision > ? AND revision < ? ORDER BY revision LIMIT ?"),
                        arguments: [cursor, point, limit])
                    batch.examined = revisions.count
                    batch.done = revisions.count < limit
                    batch.through = batch.done ? max(cursor, point - 1) : revisions.last!
                    try db.cachedStatement(sql: """
                        DELETE FROM events WHERE revision > ? AND revision <= ?
                        AND NOT EXISTS (SELECT 1 FROM objects o WHERE o.kind = events.kind AND o.namespace = events.namespace
                                        AND o.name = events.name AND o.revision = events.revision)
                        """).execute(arguments: [cursor, batch.through])
                    batch.deleted = db.changesCount
                    try db.cachedStatement(sql: "UPDATE fog_meta SET value = max(value, ?) WHERE key = 'compacted'")
                        .execute(arguments: [batch.through])
                    return .commit
                }
                return batch
            }
        }
    }

    /// Deletes the log entries before `point` that no live object points to, in
    /// transactions of at most `batchSize` entries; `betweenBatches` runs after each
    /// batch but the last, when no lock is held (other writers get their turn there).
    /// The whole log is looked at, live objects' old entries included: an object written
    /// since the last compaction leaves its previous body behind, wherever it is.
    @discardableResult
    public func compact(before point: Int64, batchSize: Int = 2_000,
                        betweenBatches: (CompactionBatch) throws -> Void = { _ in }) throws -> CompactionSummary {
        var summary = CompactionSummary(point: point)
        guard point > 1 else { return summary }
        var cursor: Int64 = 0
        while true {
            let batch = try compactBatch(before: point, after: cursor, limit: batchSize)
            summary.batches += 1
            summary.examined += batch.examined
            summary.deleted += batch.deleted
            if batch.done { return summary }
            cursor = batch.through
            try betweenBatches(batch)
        }
    }

    /// Gives free pages back to the file system (incremental vacuum), at most `pagesPerStep`
    /// per transaction, until at most `keepingFree` of the file's pages are free (0: none);
    /// returns how many. The pages left free take the log's next writes without growing
    /// the file, and are not moved back and forth at every compaction. Nothing on a file
    /// without incremental auto-vacuum (a migration that could not run yet).
    @discardableResult
    public func releaseFreePages(pagesPerStep: Int = 1_000, keepingFree share: Double = 0) throws -> Int {
        precondition(pagesPerStep > 0 && share >= 0 && share < 1)
        return try storage {
            var released = 0
            while true {
                let freed = try pool.writeWithoutTransaction { db -> Int in
                    let free = try Int.fetchOne(db, sql: "PRAGMA freelist_count") ?? 0
                    let pages = try Int.fetchOne(db, sql: "PRAGMA page_count") ?? 0
                    // Free pages beyond the share of what the file will be once they are gone.
                    let excess = free - Int(Double(pages - free) * share / (1 - share))
                    guard excess > 0 else { return 0 }
                    try db.execute(sql: "PRAGMA incremental_vacuum(\(min(pagesPerStep, excess)))")
                    return free - (try Int.fetchOne(db, sql: "PRAGMA freelist_count") ?? 0)
                }
                released += freed
                if freed <= 0 { return released }
            }
        }
    }

    /// Copies the WAL into the database file and truncates the WAL to zero bytes
    /// (`wal_checkpoint(TRUNCATE)`). Writers wait meanwhile; the checkpoint waits for
    /// readers and writers of other connections at most `wait` (nil: as long as a write
    /// would). False when they held on longer: nothing is lost, the WAL only stays.
    @discardableResult
    public func checkpoint(waitingAtMost wait: Duration? = nil) throws -> Bool {
        try storage {
            try pool.writeWithoutTransaction { db in
                // A checkpoint running on the checkpointer's thread would make this one answer
                // busy at once (SQLite lets one checkpoint run at a time, without waiting). Holding
                // the writer, no commit can ask for another meanwhile.
                checkpointer.waitUntilIdle()
                if let wait {
                    let ms = max(1, Int(wait.components.seconds * 1000 + wait.components.attoseconds / 1_000_000_000_000_000))
                    try db.execute(sql: "PRAGMA busy_timeout = \(ms)")
                }
                defer { if wait != nil { try? db.execute(sql: "PRAGMA busy_timeout = \(Int(Self.busyTimeoutSeconds * 1000))") } }
                do {
                    let result = try db.checkpoint(.truncate)
                    return result.walFrameCount == 0 || result.walFrameCount == result.checkpointedFrameCount
                } catch let e as DatabaseError where e.resultCode == .SQLITE_BUSY || e.resultCode == .SQLITE_LOCKED {
                    return false
                }
            }
        }
    }

    /// The sizes and counts of the state file, in one snapshot (file sizes from the file system).
    public func storageStats() throws -> StorageStats {
        let (db, wal) = (Self.fileSize(path), Self.fileSize(path + "-wal"))
        return try storage {
            try pool.read { d in
                let live = try Row.fetchOne(d, sql: """
                    SELECT count(*), coalesce(sum(length(CAST(e.body AS BLOB))), 0)
                    FROM objects o JOIN events e ON e.revision = o.revision
                    """)!
                return StorageStats(
                    databaseBytes: db, walBytes: wal,
                    pageSize: try Int.fetchOne(d, sql: "PRAGMA page_size") ?? 0,
                    pageCount: try Int.fetchOne(d, sql: "PRAGMA page_count") ?? 0,
                    freePages: try Int.fetchOne(d, sql: "PRAGMA freelist_count") ?? 0,
                    autoVacuum: try Int.fetchOne(d, sql: "PRAGMA auto_vacuum") ?? 0,
                    schemaVersion: try Int.fetchOne(d, sql: "PRAGMA user_version") ?? 0,
                    logEntries: try Int.fetchOne(d, sql: "SELECT count(*) FROM events") ?? 0,
                    liveObjects: live[0], liveBytes: live[1],
                    revision: try Self.revision(d),
                    compacted: try Int64.fetchOne(d, sql: "SELECT value FROM fog_meta WHERE key = 'compacted'") ?? 0)
            }
        }
    }

    /// A compact copy of the state file at `target` (`VACUUM INTO`): the size the data
    /// takes with no free pages and no WAL, to compare the file against.
    public func vacuum(into target: String) throws {
        try storage {
            try pool.writeWithoutTransaction { db in try db.execute(sql: "VACUUM INTO ?", arguments: [target]) }
        }
    }

    static func fileSize(_ path: String) -> Int64 {
        ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber)?.int64Value ?? 0
    }
}
