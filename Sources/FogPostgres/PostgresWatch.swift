import FogAPI
import FogModel
import FogStore
import Foundation
import Logging
import PostgresNIO

/// The PostgreSQL store's watches, one hub per process (as the SQLite store's `WatchHub`):
/// one tailer reads each new stretch of the log once and fans it out to every watcher
/// (`WatchSubscriber` turns it into events and bookmarks, each revision once and in order).
///
/// The tailer sleeps until the revision moves: at once for this process's writes, and on
/// `NOTIFY fog_revisions` for other processes' (one listening connection, opened with the
/// first watch). The notification only wakes; what a watcher receives is always read from
/// the log after the tailer's position, so a notification lost with a dropped connection
/// loses nothing: the listener reconnects, and reads the revision once it listens again.
/// A failed read (the database restarting, a connection cut) is retried with backoff; the
/// watches stay open and resume where they were. Only a compacted position ends them (410).
final class PostgresWatchHub: @unchecked Sendable {
    unowned let core: PostgresStore.Core
    private let lock = NSLock()
    private var subscribers: [UUID: WatchSubscriber] = [:]
    private var position: Int64 = 0
    private var tailer: Task<Void, Never>?
    private var listener: Task<Void, Never>?
    private var stopped = false
    /// The listening connection's backend process id (tests cut it with `pg_terminate_backend`).
    private(set) var listenerBackendPID: Int32?
    /// How many times the listener has (re)connected.
    private(set) var listenerConnections = 0

    init(core: PostgresStore.Core) { self.core = core }

    func subscribe(kind: String?, namespace: String?, from: Int64, bookmarks: Bool) -> AsyncThrowingStream<WatchEvent, Error> {
        AsyncThrowingStream { continuation in
            let id = UUID()
            let subscriber = WatchSubscriber(kind: kind, namespace: namespace, from: from, bookmarks: bookmarks, continuation: continuation)
            continuation.onTermination = { [weak self] _ in self?.unsubscribe(id) }
            Task.detached { [self] in
                do {
                    let joinedAt = try await join(id: id, subscriber)
                    var backlog: [StoreEvent] = []
                    var cursor = from
                    while cursor < joinedAt {
                        let (page, _) = try await store.events(after: cursor, kind: kind, namespace: namespace, limit: 1000)
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
        }
    }

    private var store: PostgresStore { PostgresStore(core: core, fence: nil) }

    private func join(id: UUID, _ s: WatchSubscriber) async throws -> Int64 {
        // A compacted start fails at once.
        _ = try await store.events(after: s.startRevision, kind: s.kind, namespace: s.namespace, limit: 1)
        let current = try await store.currentRevision()
        return lock.withLock {
            if tailer == nil {
                position = current
                startTailer()
            }
            if listener == nil && !stopped { startListener() }
            subscribers[id] = s
            return position
        }
    }

    private func startTailer() {
        tailer = Task.detached { [weak self] in
            var backoff: Duration = .milliseconds(50)
            while !Task.isCancelled, let self {
                let from = self.lock.withLock { self.position }
                do {
                    let (batch, head) = try await self.store.events(after: from, kind: nil, namespace: nil, limit: 1000)
                    backoff = .milliseconds(50)
                    let full = batch.count == 1000
                    let reached = full ? batch.last!.revision : head
                    let targets = self.lock.withLock { () -> [WatchSubscriber] in
                        self.position = max(self.position, reached)
                        return Array(self.subscribers.values)
                    }
                    for t in targets { t.deliver(batch, head: reached) }
                    if full { continue }
                    self.core.notifier.advance(to: reached)
                    await self.core.notifier.wait(after: reached)
                } catch let e as StoreError where e.code == .compacted {
                    self.endAll(e)
                    return
                } catch {
                    // The database is unreachable for now: try again; nobody's position moves.
                    self.core.logger.warning("watch: reading the log failed, retrying in \(backoff): \(error)")
                    try? await Task.sleep(for: backoff)
                    backoff = min(backoff * 2, .seconds(2))
                }
            }
        }
    }

    /// Listens for `fog_revisions` on a connection of its own, reconnecting when it drops.
    private func startListener() {
        let core = self.core
        listener = Task.detached { [weak self] in
            var backoff: Duration = .milliseconds(50)
            while !Task.isCancelled {
                do {
                    let connection = try await PostgresConnection.connect(
                        configuration: core.location.connectionConfiguration(applicationName: "fog-watch"), id: 1, logger: core.logger)
                    defer { Task { try? await connection.close() } }
                    var pid: Int32 = 0
                    for try await p in try await connection.query("SELECT pg_backend_pid()", logger: core.logger).decode(Int32.self) { pid = p }
                    try await connection.listen(on: "fog_revisions") { notifications in
                        self?.lock.withLock {
                            self?.listenerBackendPID = pid
                            self?.listenerConnections += 1
                        }
                        backoff = .milliseconds(50)
                        // Listening now: whatever was committed while we were not is read from the log.
                        var current: Int64 = 0
                        for try await v in try await connection.query("SELECT value FROM fog_meta WHERE key = 'revision'", logger: core.logger).decode(Int64.self) {
                            current = v
                        }
                        core.notifier.advance(to: current)
                        for try await n in notifications {
                            if let r = Int64(n.payload) { core.notifier.advance(to: r) }
                        }
                    }
                } catch {
                    if Task.isCancelled { return }
                    core.logger.warning("watch: the notification connection failed, reconnecting in \(backoff): \(PostgresStore.describe(error))")
                }
                try? await Task.sleep(for: backoff)
                backoff = min(backoff * 2, .seconds(2))
            }
        }
    }

    private func endAll(_ error: Error) {
        let all = lock.withLock { () -> [WatchSubscriber] in
            let all = Array(subscribers.values)
            subscribers.removeAll()
            tailer = nil
            return all
        }
        for s in all { s.continuation.finish(throwing: error) }
    }

    private func unsubscribe(_ id: UUID) {
        let stop = lock.withLock { () -> Task<Void, Never>? in
            subscribers.removeValue(forKey: id)
            guard subscribers.isEmpty, let t = tailer else { return nil }
            tailer = nil
            return t
        }
        stop?.cancel()
    }

    /// Ends every watch and the listener (the store is closing).
    func stop() {
        let (all, tasks) = lock.withLock { () -> ([WatchSubscriber], [Task<Void, Never>]) in
            stopped = true
            let all = Array(subscribers.values)
            subscribers.removeAll()
            let tasks = [tailer, listener].compactMap { $0 }
            tailer = nil
            listener = nil
            return (all, tasks)
        }
        for t in tasks { t.cancel() }
        for s in all { s.continuation.finish() }
    }
}

extension PostgresStore {
    /// The watch listener's backend pid, once it listens (for tests that cut the connection).
    public var watchListenerBackendPID: Int32? { core.hub.listenerBackendPID }
    /// How many times the watch listener has connected (1 + reconnections).
    public var watchListenerConnections: Int { core.hub.listenerConnections }
}
