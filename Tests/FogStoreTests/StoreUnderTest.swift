import FogAPI
import FogModel
import FogPostgres
import FogStore
import FogTesting
import Foundation
import Testing

/// The stores the conformance suite runs every case against.
enum Backend: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case sqlite, postgres
    var testDescription: String { rawValue }
}

/// One store under test, with what the `Store` protocol leaves out (compaction, a second
/// handle on the same data as another process has) done the backend's own way.
final class StoreUnderTest: @unchecked Sendable {
    let backend: Backend
    let store: any Store
    private let openAnother: @Sendable () async throws -> any Store
    private let compactBody: @Sendable (Int64, Int) async throws -> CompactionSummary
    private let pointBody: @Sendable (Int64, Double) async throws -> Int64
    private let statsBody: @Sendable () async throws -> (logEntries: Int, compacted: Int64)
    private var cleanups: [@Sendable () async -> Void] = []

    private init(backend: Backend, store: any Store, openAnother: @escaping @Sendable () async throws -> any Store,
                 compact: @escaping @Sendable (Int64, Int) async throws -> CompactionSummary,
                 point: @escaping @Sendable (Int64, Double) async throws -> Int64,
                 stats: @escaping @Sendable () async throws -> (logEntries: Int, compacted: Int64)) {
        self.backend = backend
        self.store = store
        self.openAnother = openAnother
        compactBody = compact
        pointBody = point
        statsBody = stats
    }

    /// Runs `body` on a fresh store of `backend` (a new state file, or a new database), then removes it.
    static func with<T>(_ backend: Backend, now: @escaping @Sendable () -> Date = { TestEpoch.date },
                        _ body: (StoreUnderTest) async throws -> T) async throws -> T {
        let t = try await make(backend, now: now)
        do {
            let result = try await body(t)
            await t.close()
            return result
        } catch {
            await t.close()
            throw error
        }
    }

    static func make(_ backend: Backend, now: @escaping @Sendable () -> Date) async throws -> StoreUnderTest {
        switch backend {
        case .sqlite:
            let dir = try TemporaryDirectory("fog-store")
            let sqlite = try SQLiteStore(path: dir.file("state.db"), now: now)
            let t = StoreUnderTest(
                backend: backend, store: SQLiteAsyncStore(sqlite),
                openAnother: { SQLiteAsyncStore(try SQLiteStore(path: dir.file("state.db"), now: now)) },
                compact: { try sqlite.compact(before: $0, batchSize: $1) },
                point: { try sqlite.compactionPoint(keepRevisions: $0, keepSeconds: $1) },
                stats: { let s = try sqlite.storageStats(); return (s.logEntries, s.compacted) })
            t.cleanups.append { _ = dir }
            return t
        case .postgres:
            let cluster = try PostgresTestCluster.shared()
            let url = try cluster.database()
            let pg = try await PostgresStore.open(url: url, now: now, maxConnections: 4)
            let opened = OpenedStores()
            let t = StoreUnderTest(
                backend: backend, store: pg,
                openAnother: {
                    let other = try await PostgresStore.open(url: url, now: now, maxConnections: 4)
                    opened.add(other)
                    return other
                },
                compact: { try await pg.compact(before: $0, batchSize: $1) },
                point: { try await pg.compactionPoint(keepRevisions: $0, keepSeconds: $1) },
                stats: { let s = try await pg.storageStats(); return (s.logEntries, s.compacted) })
            t.cleanups.append {
                for s in opened.all { await s.close() }
                await pg.close()
                cluster.drop(url)
            }
            return t
        }
    }

    final class OpenedStores: @unchecked Sendable {
        private let lock = NSLock()
        private var stores: [PostgresStore] = []
        func add(_ s: PostgresStore) { lock.withLock { stores.append(s) } }
        var all: [PostgresStore] { lock.withLock { stores } }
    }

    /// Another handle on the same data: another SQLite connection to the file, another pool
    /// (and watch listener) on the database — what another process would have.
    func another() async throws -> any Store { try await openAnother() }
    @discardableResult
    func compact(before point: Int64, batchSize: Int = 2_000) async throws -> CompactionSummary { try await compactBody(point, batchSize) }
    func compactionPoint(keepRevisions: Int64, keepSeconds: Double) async throws -> Int64 { try await pointBody(keepRevisions, keepSeconds) }
    func stats() async throws -> (logEntries: Int, compacted: Int64) { try await statsBody() }

    func close() async {
        for c in cleanups.reversed() { await c() }
        cleanups.removeAll()
    }
}

extension Store {
    func events(after revision: Int64, limit: Int = 10_000) async throws -> [StoreEvent] {
        try await events(after: revision, kind: nil, namespace: nil, limit: limit).events
    }
    func list(kind: String, namespace: String? = nil) async throws -> ObjectList {
        try await list(kind: kind, namespace: namespace, selector: LabelSelector())
    }
    func delete(_ key: ObjectKey) async throws -> DeleteOutcome { try await delete(key, propagation: .background) }
}
