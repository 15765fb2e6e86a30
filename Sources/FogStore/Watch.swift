import FogModel
import Foundation

/// What a watch delivers: changes in revision order, and bookmarks that say
/// "nothing you asked for happened up to this revision".
public enum WatchEvent: Sendable, Hashable {
    case added(Resource, revision: Int64)
    case modified(Resource, revision: Int64)
    case deleted(Resource, revision: Int64)
    case bookmark(revision: Int64)

    public var revision: Int64 {
        switch self {
        case .added(_, let r), .modified(_, let r), .deleted(_, let r), .bookmark(let r): return r
        }
    }

    public var object: Resource? {
        switch self {
        case .added(let o, _), .modified(let o, _), .deleted(let o, _): return o
        case .bookmark: return nil
        }
    }

    public var typeName: String {
        switch self {
        case .added: return "ADDED"
        case .modified: return "MODIFIED"
        case .deleted: return "DELETED"
        case .bookmark: return "BOOKMARK"
        }
    }

    init(_ e: StoreEvent) {
        switch e.type {
        case .added: self = .added(e.object, revision: e.revision)
        case .modified: self = .modified(e.object, revision: e.revision)
        case .deleted: self = .deleted(e.object, revision: e.revision)
        }
    }
}

/// Wakes watchers when the store's revision moves: at once for writes made
/// through this process's store, and within `pollInterval` for writes by other
/// processes (one read of the revision counter per interval, nothing more).
final class RevisionNotifier: @unchecked Sendable {
    private let lock = NSLock()
    private var latest: Int64 = 0
    private var waiters: [(after: Int64, continuation: CheckedContinuation<Void, Never>)] = []
    private var pollTask: Task<Void, Never>?
    private var watchers = 0

    /// Records that the store has reached `revision` and wakes whoever waits for it.
    func advance(to revision: Int64) {
        var ready: [CheckedContinuation<Void, Never>] = []
        lock.withLock {
            guard revision > latest else { return }
            latest = revision
            waiters.removeAll { w in
                if w.after < revision { ready.append(w.continuation); return true }
                return false
            }
        }
        for c in ready { c.resume() }
    }

    /// Returns once the revision is past `revision`, or the task is cancelled.
    func wait(after revision: Int64) async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                let resumeNow = lock.withLock { () -> Bool in
                    if latest > revision || Task.isCancelled { return true }
                    waiters.append((revision, c))
                    return false
                }
                if resumeNow { c.resume() }
            }
        } onCancel: {
            let cancelled = lock.withLock { () -> [CheckedContinuation<Void, Never>] in
                let all = waiters.map(\.continuation)
                waiters.removeAll()
                return all
            }
            // Waking everyone is harmless: each waiter re-checks and waits again.
            for c in cancelled { c.resume() }
        }
    }

    /// Starts the cross-process poll while at least one watcher runs.
    func watcherStarted(poll: @escaping @Sendable () -> Int64?, interval: Duration) {
        lock.withLock {
            watchers += 1
            guard pollTask == nil else { return }
            pollTask = Task.detached { [weak self] in
                while !Task.isCancelled {
                    try? await Task.sleep(for: interval)
                    if let r = poll() { self?.advance(to: r) }
                }
            }
        }
    }

    func watcherStopped() {
        lock.withLock {
            watchers -= 1
            if watchers == 0 {
                pollTask?.cancel()
                pollTask = nil
            }
        }
    }
}

extension SQLiteStore {
    /// Changes after `revision` to objects of `kind` (all kinds when nil) in
    /// `namespace` (all when nil), in revision order, then follows new writes
    /// from any process until the consumer stops. A compacted `revision` ends
    /// the stream with `StoreError` code `.compacted` (HTTP 410): list again.
    public func watch(kind: String?, namespace: String? = nil, from revision: Int64,
                      bookmarkEvery: Int = 1) -> AsyncThrowingStream<WatchEvent, Error> {
        AsyncThrowingStream { continuation in
            let task = Task.detached { [self] in
                notifier.watcherStarted(poll: { [weak self] in try? self?.currentRevision() }, interval: pollInterval)
                defer { notifier.watcherStopped() }
                var last = revision
                do {
                    while !Task.isCancelled {
                        let (batch, head) = try events(after: last, kind: kind, namespace: namespace, limit: 1000)
                        for e in batch { continuation.yield(WatchEvent(e)) }
                        if batch.count == 1000 {
                            last = batch.last!.revision
                            continue
                        }
                        let delivered = batch.last?.revision ?? last
                        // Nothing the watcher asked for happened after its last event: say how far we got.
                        if delivered < head && head > last && bookmarkEvery > 0 { continuation.yield(.bookmark(revision: head)) }
                        last = max(last, head)
                        notifier.advance(to: last)
                        await notifier.wait(after: last)
                    }
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    /// The revision before which the log may be compacted: everything older
    /// than both `keepRevisions` revisions and `keepSeconds` seconds.
    public func compactionPoint(keepRevisions: Int64 = 10_000, keepSeconds: Double = 300) throws -> Int64 {
        let current = try currentRevision()
        let byCount = current - keepRevisions
        guard byCount > 0 else { return 0 }
        let cutoff = now().timeIntervalSince1970 - keepSeconds
        let byAge = try pool.read { db in
            try Int64.fetchOne(db, sql: "SELECT min(revision) FROM events WHERE at >= ?", arguments: [cutoff]) ?? current + 1
        }
        return min(byCount, byAge)
    }
}
