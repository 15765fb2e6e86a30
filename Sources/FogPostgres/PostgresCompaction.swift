import FogAPI
import FogStore
import Foundation
import Logging
import PostgresNIO

/// Compaction of the PostgreSQL store's log, with the SQLite store's rules (`Compaction.swift`):
/// the log keeps the last `keepRevisions` revisions and none older than `keepSeconds`; older
/// entries no live object points to are deleted in transactions of at most `batchSize`
/// entries, each raising the compacted revision to the last entry it looked at, so a reader
/// from before it is told `.compacted` (410) instead of missing a change. Batches do not take
/// the revision lock: writers go on meanwhile. Space: `vacuum()` after a round makes the
/// deleted rows' space reusable by the log's next writes (`PostgresMaintenance` runs it).
extension PostgresStore {
    public func compactionPoint(keepRevisions: Int64 = 10_000, keepSeconds: Double = 300) async throws -> Int64 {
        let current = try await currentRevision()
        let byCount = max(1, current - max(0, keepRevisions) + 1)
        let cutoff = core.now().timeIntervalSince1970 - keepSeconds
        return try await storage {
            var byAge = current + 1
            for try await r in try await core.client.query(
                "SELECT revision FROM fog_events WHERE revision >= \(byCount) AND at >= \(cutoff) ORDER BY revision LIMIT 1",
                logger: core.logger).decode(Int64.self) {
                byAge = r
            }
            return max(byCount, byAge)
        }
    }

    /// One compaction transaction: looks at up to `limit` entries after `cursor` and before
    /// `point`, deletes those no live object points to, raises the compacted revision.
    public func compactBatch(before point: Int64, after cursor: Int64, limit: Int) async throws -> CompactionBatch {
        precondition(limit > 0, "a compaction batch looks at one entry at least")
        return try await storage {
            try await core.client.withConnection { connection in
                let logger = core.logger
                try await connection.run("BEGIN", logger: logger)
                do {
                    var examined = 0
                    var last: Int64 = cursor
                    for try await r in try await connection.run(
                        "SELECT revision FROM fog_events WHERE revision > \(cursor) AND revision < \(point) ORDER BY revision LIMIT \(Int64(limit))",
                        logger: logger).decode(Int64.self) {
                        examined += 1
                        last = r
                    }
                    let done = examined < limit
                    let through = done ? max(cursor, point - 1) : last
                    var deleted = 0
                    for try await _ in try await connection.run("""
                        DELETE FROM fog_events e WHERE e.revision > \(cursor) AND e.revision <= \(through)
                        AND NOT EXISTS (SELECT 1 FROM fog_objects o WHERE o.kind = e.kind AND o.namespace = e.namespace
                                        AND o.name = e.name AND o.revision = e.revision)
                        RETURNING 1
                        """, logger: logger) {
                        deleted += 1
                    }
                    try await connection.run("UPDATE fog_meta SET value = greatest(value, \(through)) WHERE key = 'compacted'", logger: logger)
                    try await connection.run("COMMIT", logger: logger)
                    return CompactionBatch(examined: examined, deleted: deleted, through: through, done: done)
                } catch {
                    _ = try? await connection.run("ROLLBACK", logger: logger)
                    throw error
                }
            }
        }
    }

    @discardableResult
    public func compact(before point: Int64, batchSize: Int = 2_000) async throws -> CompactionSummary {
        var summary = CompactionSummary(point: point)
        guard point > 1 else { return summary }
        var cursor: Int64 = 0
        while true {
            let batch = try await compactBatch(before: point, after: cursor, limit: batchSize)
            summary.batches += 1
            summary.examined += batch.examined
            summary.deleted += batch.deleted
            if batch.done { return summary }
            cursor = batch.through
        }
    }

    /// `VACUUM` of the log and the index: the space of deleted rows becomes reusable now
    /// rather than at autovacuum's next visit (it stays in the files; `VACUUM FULL` would give
    /// it back to the file system but locks the tables).
    /// `full`: `VACUUM FULL`, which rewrites the tables compactly (and locks them meanwhile):
    /// the size the data takes with no free space, to compare the tables against.
    public func vacuum(full: Bool = false) async throws {
        try await storage {
            for table in ["fog_events", "fog_objects", "fog_meta"] {
                try await core.client.query(PostgresQuery(unsafeSQL: (full ? "VACUUM FULL " : "VACUUM ") + table), logger: core.logger)
            }
        }
    }

    /// Sizes of the store's tables (heap, indexes and TOAST) and of the live data.
    public func storageStats() async throws -> PostgresStorageStats {
        try await storage {
            var stats = PostgresStorageStats()
            for try await (total, events, liveCount, liveBytes, entries, compacted, revision) in try await core.client.query("""
                SELECT pg_total_relation_size('fog_events') + pg_total_relation_size('fog_objects') + pg_total_relation_size('fog_meta'),
                       pg_total_relation_size('fog_events'),
                       (SELECT count(*) FROM fog_objects),
                       (SELECT coalesce(sum(octet_length(e.body)), 0)::bigint FROM fog_objects o JOIN fog_events e ON e.revision = o.revision),
                       (SELECT count(*) FROM fog_events),
                       (SELECT value FROM fog_meta WHERE key = 'compacted'),
                       (SELECT value FROM fog_meta WHERE key = 'revision')
                """, logger: core.logger).decode((Int64, Int64, Int64, Int64, Int64, Int64, Int64).self) {
                stats = PostgresStorageStats(tableBytes: total, logTableBytes: events, liveObjects: Int(liveCount), liveBytes: liveBytes,
                                             logEntries: Int(entries), compacted: compacted, revision: revision)
            }
            return stats
        }
    }
}

public struct PostgresStorageStats: Sendable, Equatable {
    /// The store's tables with their indexes and TOAST, as PostgreSQL reports them.
    public var tableBytes: Int64 = 0
    public var logTableBytes: Int64 = 0
    public var liveObjects = 0
    /// The live objects' current bodies, in bytes.
    public var liveBytes: Int64 = 0
    public var logEntries = 0
    public var compacted: Int64 = 0
    public var revision: Int64 = 0
}

/// Keeps the log to its window while a server runs (the leader runs it; any server may,
/// batches are safe to run concurrently). It looks every `interval` and compacts once the
/// compaction point has moved by a quarter of `keepRevisions` since its last round, or at
/// least every `maxInterval` when it has moved at all: the log then never holds much more
/// than its window (at most 1.25 times `keepRevisions` plus what `interval` brings), so the
/// tables, whose freed space the `VACUUM` after each round makes reusable, stay near the
/// window's size instead of the size of the log between two distant rounds.
public struct PostgresMaintenance: Sendable {
    public var keepRevisions: Int64
    public var keepSeconds: Double
    public var interval: Duration
    public var maxInterval: Duration
    public var batchSize: Int
    public init(keepRevisions: Int64 = 10_000, keepSeconds: Double = 300, interval: Duration = .seconds(5),
                maxInterval: Duration = .seconds(60), batchSize: Int = 1_000) {
        self.keepRevisions = keepRevisions
        self.keepSeconds = keepSeconds
        self.interval = interval
        self.maxInterval = maxInterval
        self.batchSize = batchSize
    }

    /// How far the compaction point must move before a round is due (without waiting for `maxInterval`).
    public var step: Int64 { max(1, keepRevisions / 4) }

    /// Whether a round is due: the point has moved by `step`, or at all and `maxInterval` has passed.
    public func roundIsDue(point: Int64, lastPoint: Int64, sinceLastRound: Duration) -> Bool {
        point - lastPoint >= step || (point > lastPoint && sinceLastRound >= maxInterval)
    }

    public func run(_ store: PostgresStore, logger: Logger) async {
        let clock = ContinuousClock()
        var lastPoint: Int64 = 0
        var lastRound = clock.now
        while !Task.isCancelled {
            try? await Task.sleep(for: interval)
            if Task.isCancelled { return }
            do {
                let point = try await store.compactionPoint(keepRevisions: keepRevisions, keepSeconds: keepSeconds)
                guard roundIsDue(point: point, lastPoint: lastPoint, sinceLastRound: clock.now - lastRound) else { continue }
                let summary = try await store.compact(before: point, batchSize: batchSize)
                lastPoint = point
                lastRound = clock.now
                if summary.deleted > 0 {
                    // The deleted rows' space is reusable once vacuumed: at once, not at autovacuum's
                    // next visit (by then the log's writes would have grown the table instead).
                    try await store.vacuum()
                    logger.info("compacted the log before revision \(point): \(summary.deleted) of \(summary.examined) entries in \(summary.batches) batches")
                }
            } catch {
                logger.warning("compaction failed: \(error)")
            }
        }
    }
}
