import FogAPI
import FogModel
@testable import FogStore
import FogTesting
import Foundation
import Testing

@Suite struct WALCheckpointTests {
    /// A long run of one-object transactions: the WAL is checkpointed on the checkpointer's
    /// thread rather than in a writer's commit, the log starts over and stays bounded, and a
    /// new connection reads every write.
    @Test func checkpointsRunBesideTheWriterAndTheLogStaysBounded() throws {
        let dir = try TemporaryDirectory("fog-wal")
        let path = dir.file("state.db")
        let store = try SQLiteStore(path: path, now: { TestEpoch.date })
        try Churn.nodes(store, 50)
        // About a kilobyte a heartbeat, each its own transaction: several times SQLite's
        // checkpoint threshold of 1,000 pages.
        let beats = 3_000
        for beat in 0..<beats { _ = try store.patchStatus(Churn.key(beat % 50), Churn.heartbeat(beat)) }
        store.checkpointer.waitUntilIdle()
        #expect(store.walCheckpoints.background > 0, "the log passed the threshold: the checkpointer's thread ran")
        let pageSize = try store.pool.read { db in try Int.fetchOne(db, sql: "PRAGMA page_size") ?? 4096 }
        let wal = try FileManager.default.attributesOfItem(atPath: path + "-wal")[.size] as? Int ?? 0
        #expect(wal <= (Int(WALCheckpointer.inlinePages) + 64) * pageSize, "the log started over instead of growing (\(wal) bytes)")

        let other = try SQLiteStore(path: path)
        for i in 0..<50 {
            let last = beats - 50 + i
            #expect(try other.get(Churn.key(i))?.status?["telemetry"]?["beat"]?.intValue == Int64(last))
        }
    }
}
