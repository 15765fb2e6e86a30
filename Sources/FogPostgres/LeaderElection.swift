import FogAPI
import Foundation
import Logging
import PostgresNIO

/// Leader election timings, client-go's defaults: a lease lasts `leaseDuration` from its last
/// renewal; the leader renews every `retryPeriod` and gives up leading when it has not
/// managed to renew for `renewDeadline`; candidates try every `retryPeriod`.
public struct LeaseTiming: Sendable, Equatable {
    public var leaseDuration: Duration = .seconds(15)
    public var renewDeadline: Duration = .seconds(10)
    public var retryPeriod: Duration = .seconds(2)
    public init() {}
    public init(leaseDuration: Duration, renewDeadline: Duration, retryPeriod: Duration) {
        self.leaseDuration = leaseDuration
        self.renewDeadline = renewDeadline
        self.retryPeriod = retryPeriod
    }

    /// Why these timings cannot work, or nil.
    public var problem: String? {
        if !(retryPeriod < renewDeadline) { return "the retry period must be shorter than the renew deadline" }
        if !(renewDeadline < leaseDuration) { return "the renew deadline must be shorter than the lease duration (a leader must stop before its lease can be taken)" }
        return nil
    }
}

/// One lease row of `fog_leases`. Expiry is decided by the database's clock alone
/// (`clock_timestamp()`), so servers' clocks never meet in one comparison. Every acquisition
/// by a new holder (or after expiry) increments the fencing token.
public struct LeaderLease: Sendable {
    public let store: PostgresStore
    public let name: String
    /// This process: host, pid and a random suffix (a restarted process is a new holder).
    public let identity: String
    public let timing: LeaseTiming

    public init(store: PostgresStore, name: String = "fog-controllers", identity: String = LeaderLease.defaultIdentity(), timing: LeaseTiming = LeaseTiming()) {
        self.store = store
        self.name = name
        self.identity = identity
        self.timing = timing
    }

    public static func defaultIdentity() -> String {
        "\(ProcessInfo.processInfo.hostName)-\(getpid())-\(UUID().uuidString.prefix(8).lowercased())"
    }

    static func milliseconds(_ d: Duration) -> Int64 {
        d.components.seconds * 1000 + d.components.attoseconds / 1_000_000_000_000_000
    }

    /// Who holds the lease, with which token, and whether it is live by the database's clock.
    public struct Record: Sendable, Equatable {
        public var holder: String
        public var token: Int64
        public var live: Bool
    }

    /// Takes the lease if it is free, expired or already ours; returns the fencing token, or nil
    /// when another holder's lease is live.
    public func tryAcquire() async throws -> Int64? {
        let ms = Self.milliseconds(timing.leaseDuration)
        return try await store.storage {
            var token: Int64?
            for try await t in try await store.core.client.query("""
                INSERT INTO fog_leases AS l (name, holder, token, acquired_at, renewed_at, duration_ms)
                VALUES (\(name), \(identity), 1, clock_timestamp(), clock_timestamp(), \(ms))
                ON CONFLICT (name) DO UPDATE SET
                    holder = excluded.holder,
                    token = CASE WHEN l.holder = excluded.holder AND l.renewed_at + l.duration_ms * interval '1 millisecond' > clock_timestamp()
                                 THEN l.token ELSE l.token + 1 END,
                    acquired_at = CASE WHEN l.holder = excluded.holder THEN l.acquired_at ELSE clock_timestamp() END,
                    renewed_at = clock_timestamp(), duration_ms = excluded.duration_ms
                WHERE l.holder = excluded.holder OR l.renewed_at + l.duration_ms * interval '1 millisecond' <= clock_timestamp()
                RETURNING l.token
                """, logger: store.core.logger).decode(Int64.self) {
                token = t
            }
            return token
        }
    }

    /// Renews the lease if it is still ours with `token`; false when it is not (taken, or gone).
    public func renew(token: Int64) async throws -> Bool {
        try await store.storage {
            var renewed = false
            for try await _ in try await store.core.client.query("""
                UPDATE fog_leases SET renewed_at = clock_timestamp()
                WHERE name = \(name) AND holder = \(identity) AND token = \(token)
                  AND renewed_at + duration_ms * interval '1 millisecond' > clock_timestamp()
                RETURNING 1
                """, logger: store.core.logger) {
                renewed = true
            }
            return renewed
        }
    }

    /// Gives the lease up at once (graceful shutdown): the next candidate need not wait for it to expire.
    public func release(token: Int64) async {
        _ = try? await store.core.client.query("""
            UPDATE fog_leases SET renewed_at = clock_timestamp() - duration_ms * interval '1 millisecond' - interval '1 millisecond'
            WHERE name = \(name) AND holder = \(identity) AND token = \(token)
            """, logger: store.core.logger)
    }

    public func current() async throws -> Record? {
        try await store.storage {
            var record: Record?
            for try await (holder, token, live) in try await store.core.client.query("""
                SELECT holder, token, renewed_at + duration_ms * interval '1 millisecond' > clock_timestamp() FROM fog_leases WHERE name = \(name)
                """, logger: store.core.logger).decode((String, Int64, Bool).self) {
                record = Record(holder: holder, token: token, live: live)
            }
            return record
        }
    }

    public func fence(token: Int64) -> PostgresStore.Fence {
        PostgresStore.Fence(lease: name, holder: identity, token: token)
    }
}

/// What a server knows about the election, for `/readyz` and `/metrics`.
public struct LeadershipState: Sendable, Equatable {
    /// This process: its identity, whether it leads, and with which token.
    public var identity: String
    public var isLeader = false
    /// The lease's fencing token as last seen (this process's own while it leads).
    public var token: Int64?
    /// The holder last seen in the database (this process when it leads).
    public var leader: String?
    /// Acquisitions by this process so far.
    public var terms = 0
}

/// Runs `lead` while this process holds the lease, client-go style: candidates try every
/// retry period; the leader renews every retry period and, when it has not renewed for the
/// renew deadline (or finds the lease taken), cancels `lead` and becomes a candidate again.
/// The renew deadline is measured on this process's monotonic clock; expiry on the database's.
/// A leader that is paused past its lease cannot write after waking: its controllers' writes
/// carry the token, which the store refuses once the lease expired or moved (`PostgresStore.Fence`).
public final class LeaderElector: @unchecked Sendable {
    public let lease: LeaderLease
    let logger: Logger
    private let lock = NSLock()
    private var _state: LeadershipState
    public var state: LeadershipState { lock.withLock { _state } }
    /// Whether stopping (cancellation) hands the lease over at once; false: it runs out, as
    /// when the process is killed (tests model a crash with it).
    public var releasesOnStop: Bool {
        get { lock.withLock { _releasesOnStop } }
        set { lock.withLock { _releasesOnStop = newValue } }
    }
    private var _releasesOnStop = true
    /// Called on every change of `state`.
    public var onChange: (@Sendable (LeadershipState) -> Void)?

    public init(lease: LeaderLease, logger: Logger) {
        self.lease = lease
        self.logger = logger
        _state = LeadershipState(identity: lease.identity)
    }

    private func update(_ body: (inout LeadershipState) -> Void) {
        let s = lock.withLock { () -> LeadershipState in
            body(&_state)
            return _state
        }
        onChange?(s)
    }

    /// Whether `task` finishes within `limit` (it is not waited for beyond).
    static func finished(_ task: Task<Void, Never>, within limit: Duration) async -> Bool {
        let first = OnceFlag()
        return await withCheckedContinuation { (c: CheckedContinuation<Bool, Never>) in
            Task { await task.value; if first.claim() { c.resume(returning: true) } }
            Task { try? await Task.sleep(for: limit); if first.claim() { c.resume(returning: false) } }
        }
    }

    /// Until cancelled. `lead` receives the fencing token and must stop when cancelled.
    public func run(lead: @escaping @Sendable (Int64) async -> Void) async {
        let timing = lease.timing
        while !Task.isCancelled {
            let token: Int64?
            do {
                token = try await lease.tryAcquire()
                if token == nil, let record = try? await lease.current() {
                    update { $0.leader = record.live ? record.holder : nil; $0.token = record.live ? record.token : nil }
                }
            } catch {
                logger.warning("leader election: \(error)")
                token = nil
            }
            guard let token else {
                try? await Task.sleep(for: timing.retryPeriod)
                continue
            }
            logger.info("leading with fencing token \(token) (\(lease.identity))")
            update { $0.isLeader = true; $0.token = token; $0.leader = lease.identity; $0.terms += 1 }
            // `lead` runs as a task of its own, so that stepping down never waits on it for long.
            let stopped = Latch()
            let leading = Task { await lead(token); stopped.open() }
            let lost = await withTaskGroup(of: Bool.self) { group -> Bool in
                // Returns when `lead` does, or at once when the group is cancelled.
                group.addTask { await withTaskCancellationHandler { await stopped.wait() } onCancel: { stopped.open() }; return false }
                group.addTask { [lease, logger] in
                    let clock = ContinuousClock()
                    var lastRenewal = clock.now
                    while !Task.isCancelled {
                        try? await Task.sleep(for: timing.retryPeriod)
                        if Task.isCancelled { return false }
                        do {
                            if try await lease.renew(token: token) {
                                lastRenewal = clock.now
                                continue
                            }
                            logger.warning("lost the lease (token \(token)): another server leads or it expired")
                            return true
                        } catch {
                            logger.warning("renewing the lease failed: \(error)")
                        }
                        if clock.now - lastRenewal >= timing.renewDeadline {
                            logger.warning("could not renew the lease for \(timing.renewDeadline): stepping down")
                            return true
                        }
                    }
                    return false
                }
                let first = await group.next() ?? false
                // Not leading any more, whatever `lead` still has in flight: its writes carry a
                // token the store now refuses.
                update { $0.isLeader = false; $0.token = nil; $0.leader = nil }
                leading.cancel()
                group.cancelAll()
                return first
            }
            // `lead` stops when cancelled; one stuck in a call that never returns (a database
            // connection that died under it) is left behind after the renew deadline rather than
            // keeping this server from ever leading again.
            if await !Self.finished(leading, within: timing.renewDeadline) {
                logger.warning("the controllers of term \(token) did not stop within \(timing.renewDeadline); going on without them (their writes are refused)")
            }
            if !lost {
                // `lead` returned or we were cancelled (shutdown): hand the lease over at once.
                if releasesOnStop { await lease.release(token: token) }
                if Task.isCancelled { return }
            }
        }
    }
}

/// True for the first caller of `claim` only.
final class OnceFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var claimed = false
    func claim() -> Bool { lock.withLock { if claimed { return false }; claimed = true; return true } }
}

/// Waiters wait until it is opened (once; waiting after that returns at once).
final class Latch: @unchecked Sendable {
    private let lock = NSLock()
    private var isOpen = false
    private var waiters: [CheckedContinuation<Void, Never>] = []

    func open() {
        let ready = lock.withLock { () -> [CheckedContinuation<Void, Never>] in
            isOpen = true
            defer { waiters.removeAll() }
            return waiters
        }
        for c in ready { c.resume() }
    }

    func wait() async {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            let now = lock.withLock { () -> Bool in
                if isOpen { return true }
                waiters.append(c)
                return false
            }
            if now { c.resume() }
        }
    }
}
