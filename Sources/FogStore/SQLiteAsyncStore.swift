import FogAPI
import FogModel
import Foundation

/// The SQLite store behind the asynchronous `Store` protocol. Writes block (the write lock,
/// another process's transaction, the WAL's fsync), so each one runs on this adapter's own
/// dispatch queue and the calling task is suspended meanwhile: no blocking work on the
/// cooperative thread pool that every task of the process shares. Reads run in place: in
/// WAL mode a reader never waits for a writer, and a read of one object takes microseconds,
/// less than the hop to another thread would (measured with `fog-bench convergence`: with
/// reads hopping too, cold convergence took 14-15 s against 11-12 s).
public struct SQLiteAsyncStore: Store {
    public let sqlite: SQLiteStore
    private let queue: DispatchQueue

    public init(_ sqlite: SQLiteStore) {
        self.sqlite = sqlite
        // Serial: SQLite takes one writer at a time anyway; one thread waits for it, not many.
        queue = DispatchQueue(label: "fog.sqlite.writes", qos: .userInitiated)
    }

    /// A write, on the adapter's queue.
    private func run<T: Sendable>(_ body: @escaping @Sendable (SQLiteStore) throws -> T) async throws -> T {
        let sqlite = self.sqlite
        return try await withCheckedThrowingContinuation { continuation in
            queue.async { continuation.resume(with: Result { try body(sqlite) }) }
        }
    }

    public func get(_ key: ObjectKey) async throws -> Resource? { try sqlite.get(key) }
    public func list(kind: String, namespace: String?, selector: LabelSelector) async throws -> ObjectList {
        try sqlite.list(kind: kind, namespace: namespace, selector: selector)
    }
    public func create(_ object: Resource) async throws -> Resource { try await run { try $0.create(object) } }
    public func update(_ object: Resource) async throws -> Resource { try await run { try $0.update(object) } }
    public func updateStatus(_ object: Resource) async throws -> Resource { try await run { try $0.updateStatus(object) } }
    public func patchStatus(_ key: ObjectKey, _ patch: JSONValue) async throws -> Resource { try await run { try $0.patchStatus(key, patch) } }
    public func patchStatuses(_ patches: [StatusPatch]) async throws -> [Resource] { try await run { try $0.patchStatuses(patches) } }
    public func delete(_ key: ObjectKey, propagation: DeletePropagation) async throws -> DeleteOutcome {
        try await run { try $0.delete(key, propagation: propagation) }
    }
    public func apply(_ objects: [Resource], dryRun: Bool) async throws -> [ApplyOutcome] {
        try await run { try $0.apply(objects, dryRun: dryRun) }
    }
    public func apply(_ objects: [Resource], prune: [ObjectKey], dryRun: Bool) async throws -> ApplyPruneOutcome {
        try await run { try $0.apply(objects, prune: prune, dryRun: dryRun) }
    }
    public func events(after revision: Int64, kind: String?, namespace: String?, limit: Int) async throws -> (events: [StoreEvent], head: Int64) {
        try sqlite.events(after: revision, kind: kind, namespace: namespace, limit: limit)
    }
    public func currentRevision() async throws -> Int64 { try sqlite.currentRevision() }
    public func watch(kind: String?, namespace: String?, from revision: Int64, bookmarkEvery: Int) -> AsyncThrowingStream<WatchEvent, Error> {
        sqlite.watch(kind: kind, namespace: namespace, from: revision, bookmarkEvery: bookmarkEvery)
    }
}
