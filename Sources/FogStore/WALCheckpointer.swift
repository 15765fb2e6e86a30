import Foundation
import GRDB
import GRDBSQLite

/// Checkpoints the write-ahead log on a thread of its own, so that writers do not wait for it.
///
/// SQLite's automatic checkpoint runs inside the commit that takes the log past 1,000 pages:
/// that writer copies the log into the database file and syncs both files while every other
/// write waits behind it (the stalls at the tail of `fog-bench api`'s paced updates). Here the
/// writer's commit hook only asks for a checkpoint once the log holds `backgroundPages`, and a
/// connection of the checkpointer's own runs it (PASSIVE, as SQLite's own: it never blocks a
/// writer or a reader). Under writes without a pause a checkpoint that ends while frames were
/// being added cannot let the log start over, so the log would grow: past `inlinePages` the
/// writer checkpoints itself, as SQLite would have (by then most frames are already copied).
final class WALCheckpointer: @unchecked Sendable {
    let path: String
    /// The log's size, in pages, that asks for a checkpoint (SQLite's own threshold).
    static let backgroundPages: Int32 = 1000
    /// The log's size at which the writer checkpoints in its commit, as SQLite's automatic one does.
    static let inlinePages: Int32 = 4000

    private let queue = DispatchQueue(label: "fog.sqlite.checkpoint", qos: .utility)
    private let lock = NSLock()
    private var scheduled = false
    private var connection: OpaquePointer?
    private var counts = (background: 0, inline: 0)

    init(path: String) { self.path = path }

    deinit {
        if let connection { sqlite3_close_v2(connection) }
    }

    /// Checkpoints run so far: on the checkpointer's thread, and by the writer itself.
    var checkpoints: (background: Int, inline: Int) { lock.withLock { counts } }

    /// Returns once every checkpoint asked for so far has run.
    func waitUntilIdle() { queue.sync {} }

    /// Replaces the automatic checkpoint of `db` (the store's writer connection). The hook
    /// holds no reference: whoever installs it keeps the checkpointer alive as long as `db`.
    func install(on db: Database) {
        sqlite3_wal_hook(db.sqliteConnection, { context, db, _, pages in
            Unmanaged<WALCheckpointer>.fromOpaque(context!).takeUnretainedValue().committed(db, pages: pages)
        }, Unmanaged.passUnretained(self).toOpaque())
    }

    /// After each commit of the writer, with the pages now in the log.
    private func committed(_ db: OpaquePointer?, pages: Int32) -> Int32 {
        if pages >= Self.inlinePages {
            lock.withLock { counts.inline += 1 }
            // As SQLite's automatic checkpoint: its outcome (SQLITE_BUSY when a reader holds
            // frames) is not the commit's, which has happened.
            _ = sqlite3_wal_checkpoint_v2(db, nil, SQLITE_CHECKPOINT_PASSIVE, nil, nil)
            return SQLITE_OK
        }
        // Until the log starts over, every commit finds it past the threshold and asks again
        // once the last checkpoint is done: the log starts over at the first write after one that
        // copied every frame, so checkpoints spaced out (a quarter of the threshold apart) left
        // it growing to `inlinePages` five times as often, and the paced p99 worse.
        guard pages >= Self.backgroundPages else { return SQLITE_OK }
        let start = lock.withLock { () -> Bool in
            if scheduled { return false }
            scheduled = true
            return true
        }
        if start { queue.async { self.checkpoint() } }
        return SQLITE_OK
    }

    private func checkpoint() {
        if connection == nil {
            var opened: OpaquePointer?
            if sqlite3_open_v2(path, &opened, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nil) == SQLITE_OK {
                connection = opened
                _ = sqlite3_exec(opened, "PRAGMA synchronous = NORMAL", nil, nil, nil)
            } else {
                // The writer then checkpoints past `inlinePages`, as without this thread.
                sqlite3_close_v2(opened)
            }
        }
        if let connection { _ = sqlite3_wal_checkpoint_v2(connection, nil, SQLITE_CHECKPOINT_PASSIVE, nil, nil) }
        lock.withLock {
            scheduled = false
            counts.background += 1
        }
    }
}
