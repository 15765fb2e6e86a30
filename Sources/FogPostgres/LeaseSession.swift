import FogAPI
import Logging
import Foundation
import PostgresNIO

/// A database session of this process's own, on which it holds one session-level advisory
/// lock per lease token it holds: `pg_try_advisory_lock(hashtext(lease), token)`. The lock
/// lives exactly as long as the session, and PostgreSQL ends the session when the connection
/// closes, which the kernel does at once for a process that dies. So "the token's lock is free"
/// means "its holder's session has ended" (`LeaderLease.tryAcquire`).
///
/// A reconnected session holds nothing: the locks of the one before it went with it.
public actor LeaseSession {
    let location: PostgresLocation
    let lease: String
    let identity: String
    let logger: Logger
    private var connection: PostgresConnection?
    private var held: Set<Int32> = []
    private var backend: Int32?

    init(location: PostgresLocation, lease: String, identity: String, logger: Logger) {
        self.location = location
        self.lease = lease
        self.identity = identity
        self.logger = logger
    }

    deinit {
        // Owners close their session (`close`); one that did not has its connection closed here
        // and kept for the life of the process, since postgres-nio requires a connection to
        // outlive its channel.
        if let c = connection, !c.isClosed {
            Retired.shared.keep(c)
            let closing: EventLoopFuture<Void> = c.close()
            _ = closing
        }
    }

    private final class Retired: @unchecked Sendable {
        static let shared = Retired()
        private let lock = NSLock()
        private var connections: [PostgresConnection] = []
        func keep(_ c: PostgresConnection) { lock.withLock { connections.append(c) } }
    }

    /// The advisory lock's second key: the token's low 32 bits (tokens grow by one per
    /// acquisition, so two live tokens never share them).
    static func key(_ token: Int64) -> Int32 { Int32(truncatingIfNeeded: token) }

    private func open() async throws -> PostgresConnection {
        if let c = connection, !c.isClosed { return c }
        if let c = connection {
            connection = nil
            held.removeAll()
            backend = nil
            try? await c.close()
        }
        let c = try await PostgresConnection.connect(
            configuration: location.connectionConfiguration(applicationName: String("fog-lease \(identity)".prefix(63))), id: 2, logger: logger)
        for try await pid in try await c.run("SELECT pg_backend_pid()", logger: logger).decode(Int32.self) { backend = pid }
        connection = c
        return c
    }

    /// Takes the lock of `token` if no session holds it (true), or finds this session holds it.
    func lock(_ token: Int64) async throws -> Bool {
        let c = try await open()
        let k = Self.key(token)
        if held.contains(k) { return true }
        var got = false
        for try await ok in try await c.run("SELECT pg_try_advisory_lock(hashtext(\(lease)), \(k))", logger: logger).decode(Bool.self) { got = ok }
        if got { held.insert(k) }
        return got
    }

    /// Lets the lock of `token` go (nothing when this session does not hold it).
    func unlock(_ token: Int64) async {
        let k = Self.key(token)
        guard held.remove(k) != nil, let c = connection, !c.isClosed else { return }
        _ = try? await c.run("SELECT pg_advisory_unlock(hashtext(\(lease)), \(k))", logger: logger)
    }

    /// Ends the session (every lock goes with it).
    public func close() async {
        held.removeAll()
        backend = nil
        if let c = connection {
            connection = nil
            try? await c.close()
        }
    }

    /// The session's backend process id while it is open (tests end it with `pg_terminate_backend`).
    public var backendPID: Int32? { connection?.isClosed == false ? backend : nil }
}
