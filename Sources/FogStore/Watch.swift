import FogAPI
import FogModel
import Foundation

/// Wakes watchers when the store's revision moves: at once for writes made
/// through this process's store, and within `pollInterval` for writes by other
/// processes (one read of the revision counter per interval, nothing more).
public final class RevisionNotifier: @unchecked Sendable {
    public init() {}
    private let lock = NSLock()
    private var latest: Int64 = 0
    private var waiters: [(after: Int64, continuation: CheckedContinuation<Void, Never>)] = []
    private var pollTask: Task<Void, Never>?
    private var watchers = 0

    /// Records that the store has reached `revision` and wakes whoever waits for it.
    public func advance(to revision: Int64) {
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
    public func wait(after revision: Int64) async {
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

/// One tailer per store reads each batch of new log entries once and fans it
/// out to every watcher (like Kubernetes' watch cache), so a hundred watchers
/// cost one query per write, not a hundred. Writes committed by this process
/// are handed over as they commit (`committed`), decoded already: the tailer
/// reads the log only for what it was not handed (another process's writes, or
/// a run it could not keep). A new watcher reads its backlog from the log, then
/// joins the live stream; revisions are never delivered twice or skipped.
final class WatchHub: @unchecked Sendable {
    typealias Subscriber = WatchSubscriber

    private let lock = NSLock()
    private var subscribers: [UUID: Subscriber] = [:]
    private var position: Int64 = 0
    private var tailer: Task<Void, Never>?
    /// This process's commits not yet delivered, in revision order (only while a tailer runs).
    private var handed: [StoreEvent] = []
    /// Beyond this many undelivered entries the hand-over stops and the tailer reads the log.
    static let handedLimit = 50_000

    /// A transaction's log entries, right after it committed (called in commit order).
    func committed(_ events: [StoreEvent]) {
        guard !events.isEmpty else { return }
        lock.withLock {
            guard tailer != nil else { return }
            if handed.count + events.count > Self.handedLimit { handed.removeAll(); return }
            handed += events
        }
    }

    /// The entries handed over that continue `from` without a gap, if any (lock held).
    private func takeHanded(after from: Int64) -> [StoreEvent]? {
        if let stale = handed.firstIndex(where: { $0.revision > from }) {
            if stale > 0 { handed.removeFirst(stale) }
        } else {
            handed.removeAll()
        }
        guard handed.first?.revision == from + 1 else { return nil }
        var end = 1
        while end < handed.count && handed[end].revision == handed[end - 1].revision + 1 { end += 1 }
        let run = Array(handed[..<end])
        handed.removeFirst(end)
        return run
    }

    func subscribe(_ store: SQLiteStore, kind: String?, namespace: String?, from: Int64, bookmarks: Bool)
        -> AsyncThrowingStream<WatchEvent, Error>
    {
        AsyncThrowingStream { continuation in
            let id = UUID()
            let subscriber = Subscriber(kind: kind, namespace: namespace, from: from, bookmarks: bookmarks, continuation: continuation)
            continuation.onTermination = { [weak self] _ in self?.unsubscribe(id) }
            let task = Task.detached { [self] in
                do {
                    let joinedAt = try join(store, id: id, subscriber)
                    // Backlog: (from, joinedAt] from the log, in pages.
                    var backlog: [StoreEvent] = []
                    var cursor = from
                    while cursor < joinedAt {
                        let (page, _) = try store.events(after: cursor, kind: kind, namespace: namespace, limit: 1000)
                        let upTo = page.filter { $0.revision <= joinedAt }
                        backlog += upTo
                        if page.count < 1000 || upTo.count < page.count { break }
                        cursor = page.last!.revision
                    }
                    subscriber.caughtUp(backlog: backlog, head: max(from, joinedAt))
                } catch {
                    continuation.finish(throwing: error)
                    unsubscribe(id)
                }
            }
            _ = task
        }
    }

    /// Registers the subscriber and returns the revision from which the tailer will feed it.
    private func join(_ store: SQLiteStore, id: UUID, _ s: Subscriber) throws -> Int64 {
        // Check compaction first so a stale revision fails at once.
        _ = try store.events(after: s.startRevision, kind: s.kind, namespace: s.namespace, limit: 1)
        let current = try store.currentRevision()
        return lock.withLock {
            if tailer == nil {
                position = current
                startTailer(store)
            }
            subscribers[id] = s
            return position
        }
    }

    private func startTailer(_ store: SQLiteStore) {
        store.notifier.watcherStarted(poll: { [weak store] in try? store?.currentRevision() }, interval: store.pollInterval)
        tailer = Task.detached { [weak self, weak store] in
            defer { store?.notifier.watcherStopped() }
            while !Task.isCancelled, let self, let store {
                let (from, handed) = self.lock.withLock { (self.position, self.takeHanded(after: self.position)) }
                do {
                    let batch: [StoreEvent]
                    let reached: Int64
                    if let handed {
                        batch = handed
                        reached = handed.last!.revision
                    } else {
                        let (read, head) = try store.events(after: from, kind: nil, namespace: nil, limit: 1000)
                        batch = read
                        reached = read.count == 1000 ? read.last!.revision : head
                    }
                    let targets = self.lock.withLock { () -> [Subscriber] in
                        self.position = max(self.position, reached)
                        return Array(self.subscribers.values)
                    }
                    for t in targets { t.deliver(batch, head: reached) }
                    if handed == nil && batch.count == 1000 { continue }
                    store.notifier.advance(to: reached)
                    await store.notifier.wait(after: reached)
                } catch {
                    // The log was compacted past the tailer, or the file failed: end every watch; clients list again.
                    let all = self.lock.withLock { () -> [Subscriber] in
                        let all = Array(self.subscribers.values)
                        self.subscribers.removeAll()
                        self.tailer = nil
                        self.handed.removeAll()
                        return all
                    }
                    for s in all { s.continuation.finish(throwing: error) }
                    return
                }
            }
        }
    }

    private func unsubscribe(_ id: UUID) {
        let stop = lock.withLock { () -> Task<Void, Never>? in
            subscribers.removeValue(forKey: id)
            guard subscribers.isEmpty, let t = tailer else { return nil }
            tailer = nil
            handed.removeAll()
            return t
        }
        stop?.cancel()
    }
}

/// One watcher of a store's watch hub: the part of a watch that turns the log's batches into
/// its events and bookmarks, in order, each revision once (shared by the SQLite and PostgreSQL hubs).
public final class WatchSubscriber: @unchecked Sendable {
    public let kind: String?
    public let namespace: String?
    let bookmarks: Bool
    public let continuation: AsyncThrowingStream<WatchEvent, Error>.Continuation
    private let lock = NSLock()
    private var caughtUp = false
    private var pending: [([StoreEvent], Int64)] = []
    /// The highest revision this watcher has been told about (event or bookmark).
    private var last: Int64
    /// The revision the watch started from.
    public let startRevision: Int64

    public init(kind: String?, namespace: String?, from: Int64, bookmarks: Bool,
         continuation: AsyncThrowingStream<WatchEvent, Error>.Continuation) {
        self.kind = kind
        self.namespace = namespace
        self.bookmarks = bookmarks
        self.continuation = continuation
        last = from
        startRevision = from
    }

    public func matches(_ e: StoreEvent) -> Bool {
        (kind == nil || e.object.kind == kind) && (namespace == nil || e.object.namespace == namespace)
    }

    /// A batch from the tailer: everything after the previous batch, up to `head`.
    public func deliver(_ batch: [StoreEvent], head: Int64) {
        lock.withLock {
            if !caughtUp { pending.append((batch, head)); return }
            emit(batch, head: head)
        }
    }

    /// Called with the lock held.
    private func emit(_ batch: [StoreEvent], head: Int64) {
        var delivered = false
        for e in batch where e.revision > last && matches(e) {
            continuation.yield(WatchEvent(e))
            last = e.revision
            delivered = true
        }
        if head > last {
            if bookmarks || !delivered { continuation.yield(.bookmark(revision: head)) }
            last = head
        }
    }

    /// The backlog up to the hub's position has been sent; flush what arrived meanwhile.
    public func caughtUp(backlog: [StoreEvent], head: Int64) {
        lock.withLock {
            emit(backlog, head: head)
            for (batch, h) in pending { emit(batch, head: h) }
            pending.removeAll()
            caughtUp = true
        }
    }
}

extension SQLiteStore {
    /// Changes after `revision` to objects of `kind` (all kinds when nil) in
    /// `namespace` (all when nil), in revision order, then follows new writes
    /// from any process until the consumer stops. Bookmarks say how far the
    /// watcher has been brought when nothing it asked for happened. A compacted
    /// `revision` ends the stream with `StoreError` code `.compacted` (HTTP 410): list again.
    public func watch(kind: String?, namespace: String? = nil, from revision: Int64,
                      bookmarkEvery: Int = 1) -> AsyncThrowingStream<WatchEvent, Error> {
        hub.subscribe(self, kind: kind, namespace: namespace, from: revision, bookmarks: bookmarkEvery > 0)
    }
}
