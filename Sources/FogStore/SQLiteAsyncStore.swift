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
/// Writes share transactions (group commit): a write that arrives while the queue is writing
/// a group joins the next group (up to 64), which runs as one SQLite transaction with one
/// commit, each write in a savepoint of its own (`SQLiteStore.writeGroup`): its own conflict
/// checks, its own outcome, and its caller resumed only after the group's commit. A write
/// that arrives when nothing is being written starts a group at once.
public struct SQLiteAsyncStore: Store {
    public let sqlite: SQLiteStore
    private let queue: DispatchQueue
    private let group: WriteGroups

    public init(_ sqlite: SQLiteStore) {
        self.sqlite = sqlite
        // Serial: SQLite takes one writer at a time anyway; one thread waits for it, not many.
        queue = DispatchQueue(label: "fog.sqlite.writes", qos: .userInitiated)
        group = WriteGroups()
    }

    /// Groups committed and the writes they held (their ratio is the mean group size).
    public var groupCommits: (groups: Int, writes: Int) { group.counts }

    /// A write, in the next group written on the adapter's queue.
    private func write<T: Sendable>(_ body: @escaping @Sendable (StoreTransaction) throws -> T) async throws -> T {
        let (sqlite, queue, group) = (self.sqlite, self.queue, self.group)
        let value = try await withCheckedThrowingContinuation { (done: CheckedContinuation<any Sendable, Error>) in
            if group.enqueue(WriteGroups.Write(body: { try body($0) }, done: done)) {
                queue.async { group.drain(sqlite) }
            }
        }
        return value as! T
    }

    /// A dry run, alone on the adapter's queue (it rolls back; it cannot share a commit).
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
    public func create(_ object: Resource) async throws -> Resource { try await write { try $0.create(object) } }
    public func update(_ object: Resource) async throws -> Resource { try await write { try $0.update(object) } }
    public func updateStatus(_ object: Resource) async throws -> Resource { try await write { try $0.updateStatus(object) } }
    public func patchStatus(_ key: ObjectKey, _ patch: JSONValue) async throws -> Resource { try await write { try $0.patchStatus(key, patch) } }
    public func patchStatuses(_ patches: [StatusPatch]) async throws -> [Resource] { try await write { tx in try patches.map { try tx.patchStatus($0) } } }
    public func delete(_ key: ObjectKey, propagation: DeletePropagation) async throws -> DeleteOutcome {
        try await write { try $0.delete(key, propagation: propagation) }
    }
    public func apply(_ objects: [Resource], dryRun: Bool) async throws -> [ApplyOutcome] {
        if dryRun { return try await run { try $0.apply(objects, dryRun: true) } }
        return try await write { tx in try objects.map { try tx.apply($0) } }
    }
    public func apply(_ objects: [Resource], prune: [ObjectKey], dryRun: Bool) async throws -> ApplyPruneOutcome {
        if dryRun { return try await run { try $0.apply(objects, prune: prune, dryRun: true) } }
        return try await write { try $0.apply(objects, prune: prune) }
    }
    public func events(after revision: Int64, kind: String?, namespace: String?, limit: Int) async throws -> (events: [StoreEvent], head: Int64) {
        try sqlite.events(after: revision, kind: kind, namespace: namespace, limit: limit)
    }
    public func currentRevision() async throws -> Int64 { try sqlite.currentRevision() }
    public func watch(kind: String?, namespace: String?, from revision: Int64, bookmarkEvery: Int) -> AsyncThrowingStream<WatchEvent, Error> {
        sqlite.watch(kind: kind, namespace: namespace, from: revision, bookmarkEvery: bookmarkEvery)
    }
}

/// The writes waiting for the adapter's queue, taken a group at a time.
final class WriteGroups: @unchecked Sendable {
    struct Write {
        let body: @Sendable (StoreTransaction) throws -> any Sendable
        let done: CheckedContinuation<any Sendable, Error>
    }

    /// Every write of a group waits for the whole group, so a larger group saves commits but
    /// delays its first writes' callers (groups of 64 made cold convergence slower).
    let queue = WriteGroupQueue<Write>(maxGroup: 16)

    var counts: (groups: Int, writes: Int) { queue.counts }
    func enqueue(_ write: Write) -> Bool { queue.enqueue(write) }

    /// Writes groups until none is waiting (on the adapter's queue).
    func drain(_ sqlite: SQLiteStore) {
        while case let group = queue.next(), !group.isEmpty {
            let results = sqlite.writeGroup(group.map { w in { tx in try w.body(tx) } })
            for (w, r) in zip(group, results) {
                switch r {
                case .success(let v): w.done.resume(returning: v as! any Sendable)
                case .failure(let e): w.done.resume(throwing: e)
                }
            }
        }
    }
}
