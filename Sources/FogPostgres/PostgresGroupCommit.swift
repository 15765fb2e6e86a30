import FogAPI
import FogStore
import Foundation
import Logging
import PostgresNIO

/// Group commit: the writes that a process's tasks make at the same time share one
/// transaction and one commit. Every write holds the revision row's lock from its first
/// statement to its commit, so one process's writes run one after another anyway; what they
/// need not do is wait for one synchronous commit (a WAL flush) each. A write that arrives
/// while a group is being written joins the next group; a write that arrives when none is
/// running starts one at once (no added latency when writes are rare).
///
/// Each write in a group keeps its own semantics: it runs inside a savepoint (each write's
/// savepoint is left open, nested in the one before, rather than released: one round trip
/// fewer per write; a released savepoint's subtransaction stays in the transaction anyway), with its
/// fence checked (once per group for all its writes, at the group's start, the lease row then
/// locked until the commit), conflict checks against everything before it (the group's earlier writes
/// included), and its own clock reading; when it throws, its savepoint is rolled back and it
/// alone fails, with its own error. Its caller hears of success only after the group's commit,
/// and when the commit fails, every write of the group fails with that error.
final class GroupCommit: @unchecked Sendable {
    struct Write {
        let fence: PostgresStore.Fence?
        let body: @Sendable (PostgresTransaction) async throws -> any Sendable
        let done: CheckedContinuation<any Sendable, Error>
    }

    /// At most 64 writes share a transaction (bounds how long one holds the revision lock).
    let queue = WriteGroupQueue<Write>(maxGroup: 64)

    var counts: (groups: Int, writes: Int) { queue.counts }
    var queued: Int { queue.queued }

    /// Queues a write; `run` writes a group. Returns the write's result after its group committed.
    func submit(_ fence: PostgresStore.Fence?, _ body: @escaping @Sendable (PostgresTransaction) async throws -> any Sendable,
                run: @escaping @Sendable ([Write]) async -> Void) async throws -> any Sendable {
        try await withCheckedThrowingContinuation { (done: CheckedContinuation<any Sendable, Error>) in
            if queue.enqueue(Write(fence: fence, body: body, done: done)) {
                Task { await self.drain(run) }
            }
        }
    }

    private func drain(_ run: @Sendable ([Write]) async -> Void) async {
        while case let group = queue.next(), !group.isEmpty {
            await run(group)
        }
    }
}

extension PostgresStore {
    /// Writes one group in one transaction (see `GroupCommit`) and answers each write.
    @Sendable static func writeGroup(_ core: Core, _ group: [GroupCommit.Write]) async {
        let logger = core.logger
        let single = group.count == 1
        let committed: Int64?
        let results: [Result<any Sendable, Error>]
        do {
            (committed, results) = try await core.client.withConnection { connection in try await whileOpen(connection) {
                var results: [Result<any Sendable, Error>] = []
                try await connection.run("BEGIN", logger: logger)
                do {
                    var start: Int64 = 0
                    for try await v in try await connection.run("SELECT value FROM fog_meta WHERE key = 'revision' FOR UPDATE", logger: logger).decode(Int64.self) {
                        start = v
                    }
                    var revision = start
                    // Each fence of the group is checked once, before any write, outside the writes'
                    // savepoints: the check locks the lease row (FOR SHARE) until the commit, so no
                    // other server can take the lease over while the group's writes run.
                    var refusals: [PostgresStore.Fence: StoreError] = [:]
                    var checked: Set<PostgresStore.Fence> = []
                    for fence in group.compactMap(\.fence) where checked.insert(fence).inserted {
                        do { try await Self.check(fence, on: connection, logger: logger) } catch let e as StoreError where e.code == .conflict {
                            refusals[fence] = e
                        }
                    }
                    for write in group {
                        if let fence = write.fence, let refusal = refusals[fence] {
                            core.refusedWrite()
                            if single { throw refusal }
                            results.append(.failure(refusal))
                            continue
                        }
                        if !single { try await connection.run("SAVEPOINT fog_write", logger: logger) }
                        do {
                            let tx = PostgresTransaction(connection: connection, logger: logger, revision: revision, now: core.now(),
                                                         makeUID: core.makeUID, token: write.fence?.token)
                            let result = try await write.body(tx)
                            revision = tx.revision
                            results.append(.success(result))
                        } catch {
                            // Only this write is undone; a broken connection fails the group.
                            if single || connection.isClosed { throw error }
                            try await connection.run("ROLLBACK TO SAVEPOINT fog_write", logger: logger)
                            results.append(.failure(error))
                        }
                    }
                    if revision != start {
                        // The new revision, and the notification PostgreSQL delivers at commit.
                        try await connection.run("""
                            WITH advanced AS (UPDATE fog_meta SET value = \(revision) WHERE key = 'revision')
                            SELECT pg_notify('fog_revisions', \(String(revision)))
                            """, logger: logger)
                    }
                    try await connection.run("COMMIT", logger: logger)
                    return (revision == start ? nil : revision, results)
                } catch {
                    _ = try? await connection.run("ROLLBACK", logger: logger)
                    throw error
                }
            } }
        } catch {
            let failure = Self.storageError(error, core)
            for write in group { write.done.resume(throwing: failure) }
            return
        }
        if let committed { core.notifier.advance(to: committed) }
        for (write, result) in zip(group, results) {
            switch result {
            case .success(let value): write.done.resume(returning: value)
            case .failure(let error): write.done.resume(throwing: Self.storageError(error, core))
            }
        }
    }

    /// The result of `work` on `connection`, or an error once the connection has been seen
    /// closed twice, a second apart, while `work` had not finished. postgres-nio (1.33) can
    /// leave a query that met a closing connection unanswered for ever, and a group that never
    /// ended would hold up every later write of the process; it is left behind instead. A closed
    /// connection's transaction is rolled back by the server, so its writes did not commit.
    static func whileOpen<T: Sendable>(_ connection: PostgresConnection, _ work: @escaping @Sendable () async throws -> T) async throws -> T {
        let first = OnceFlag()
        return try await withCheckedThrowingContinuation { (c: CheckedContinuation<T, Error>) in
            let watchdog = Task {
                var closedBefore = false
                while !Task.isCancelled {
                    try? await Task.sleep(for: .seconds(1))
                    if Task.isCancelled { return }
                    if connection.isClosed {
                        if closedBefore, first.claim() {
                            c.resume(throwing: StoreError(.storage, "the database connection closed during the write; the write was not committed"))
                            return
                        }
                        closedBefore = true
                    }
                }
            }
            Task {
                let result: Result<T, Error>
                do { result = .success(try await work()) } catch { result = .failure(error) }
                watchdog.cancel()
                if first.claim() { c.resume(with: result) }
            }
        }
    }

    /// API errors as they are; PostgreSQL and connection failures as a `StoreError` naming the server.
    static func storageError(_ error: Error, _ core: Core) -> Error {
        if error is any FogAPIError { return error }
        return StoreError(.storage, "PostgreSQL at \(core.location): \(describe(error))")
    }
}
