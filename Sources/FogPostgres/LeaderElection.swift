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
///
/// A holder also keeps a session-level advisory lock on its token, on a database session of
/// its own (`LeaseSession`). PostgreSQL ends a session as soon as its client's connection
/// closes, and a process that dies (`kill -9`, a crash) has its sockets closed by the kernel:
/// its lock is gone at once. A candidate that finds a live lease whose token lock it can take
/// knows that the holder's session has ended and takes the lease without waiting for it to run
/// out. A holder that is alive but paused or cut off keeps its session (or, cut off, cannot
/// write anyway), so the candidates wait for expiry as before; either way the fencing token
/// refuses the old holder's writes.
public struct LeaderLease: Sendable {
    public let store: PostgresStore
    public let name: String
    /// This process: host, pid and a random suffix (a restarted process is a new holder).
    public let identity: String
    public let timing: LeaseTiming
    /// The session whose advisory locks say which tokens this process holds.
    public let session: LeaseSession

    public init(store: PostgresStore, name: String = "fog-controllers", identity: String = LeaderLease.defaultIdentity(), timing: LeaseTiming = LeaseTiming()) {
        self.store = store
        self.name = name
        self.identity = identity
        self.timing = timing
        session = LeaseSession(location: store.location, lease: name, identity: identity, logger: store.core.logger)
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

    /// Takes the lease if it is free, expired, already ours, or held by a holder whose session
    /// has ended; returns the fencing token, or nil when another live holder has it.
    public func tryAcquire() async throws -> Int64? {
        guard let seen = try await current() else {
            // Nobody ever held it: the first holder gets token 1 (locked before it is visible).
            guard try await session.lock(1) else { return nil }
            let token = try await single("""
                INSERT INTO fog_leases (name, holder, token, acquired_at, renewed_at, duration_ms)
                VALUES (\(name), \(identity), 1, clock_timestamp(), clock_timestamp(), \(Self.milliseconds(timing.leaseDuration)))
                ON CONFLICT (name) DO NOTHING RETURNING token
                """)
            if token == nil { await session.unlock(1) }
            return token
        }
        if seen.holder == identity && seen.live {
            // Still ours (a candidate again after failed renewals): the same token.
            guard try await renew(token: seen.token) else { return nil }
            return seen.token
        }
        if seen.live {
            // Another holder's live lease: taken early only if its session has ended.
            guard try await session.lock(seen.token) else { return nil }
            logger.info("the session of lease \(name)'s holder \(seen.holder) (token \(seen.token)) has ended: taking the lease before it runs out")
            let token: Int64?
            do { token = try await takeOver(seen, onlyIfExpired: false) } catch {
                await session.unlock(seen.token)
                throw error
            }
            await session.unlock(seen.token)
            return token
        }
        return try await takeOver(seen, onlyIfExpired: true)
    }

    private var logger: Logger { store.core.logger }

    /// The lease with the next token, if its row still has `seen.token` (and has expired, when
    /// `onlyIfExpired`). The new token is locked before the row says so.
    private func takeOver(_ seen: Record, onlyIfExpired: Bool) async throws -> Int64? {
        let next = seen.token + 1
        guard try await session.lock(next) else { return nil }
        let ms = Self.milliseconds(timing.leaseDuration)
        let token = try await single(onlyIfExpired ? """
            UPDATE fog_leases SET holder = \(identity), token = token + 1, acquired_at = clock_timestamp(), renewed_at = clock_timestamp(), duration_ms = \(ms)
            WHERE name = \(name) AND token = \(seen.token) AND renewed_at + duration_ms * interval '1 millisecond' <= clock_timestamp()
            RETURNING token
            """ : """
            UPDATE fog_leases SET holder = \(identity), token = token + 1, acquired_at = clock_timestamp(), renewed_at = clock_timestamp(), duration_ms = \(ms)
            WHERE name = \(name) AND token = \(seen.token)
            RETURNING token
            """)
        if token == nil { await session.unlock(next) }
        return token
    }

    private func single(_ query: PostgresQuery) async throws -> Int64? {
        try await store.storage {
            var value: Int64?
            for try await v in try await store.core.client.query(query, logger: logger).decode(Int64.self) { value = v }
            return value
        }
    }

    /// Renews the lease if it is still ours with `token`; false when it is not (taken, or gone).
    /// Takes the token's lock again if this process's session was reconnected in between.
    public func renew(token: Int64) async throws -> Bool {
        _ = try? await session.lock(token)
        return try await store.storage {
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
/// retry period (taking a live lease early when its holder's session has ended); the leader renews every retry period and, when it has not renewed for the
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
    /// Whether stopping (cancellation) hands the lease over at once and ends the lease session;
    /// false: both are kept, as by a paused process (tests model one with it; a killed process
    /// is modelled by also ending its session, `LeaseSession.backendPID`).
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
    enum Renewal: Sendable {
        case renewed, lost, failed(String), timedOut
    }

    /// One renewal of `token`, given up after `limit` (at once when `limit` is spent). The call
    /// itself is not waited for past the limit (it may hang on a dead connection); it is cancelled.
    static func renew(_ lease: LeaderLease, token: Int64, within limit: Duration) async -> Renewal {
        guard limit > .zero else { return .timedOut }
        let answer = FirstAnswer<Renewal>()
        return await withCheckedContinuation { continuation in
            answer.set(continuation)
            let call = Task {
                let r: Renewal
                do { r = try await lease.renew(token: token) ? .renewed : .lost } catch { r = .failed("\(error)") }
                answer.give(r)
            }
            Task {
                try? await Task.sleep(for: limit)
                if answer.give(.timedOut) { call.cancel() }
            }
        }
    }

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
                        // A renewal that has not answered by the renew deadline counts as failed:
                        // a leader must stop believing it leads before its lease can be taken,
                        // even while a call to a slow or unreachable database hangs.
                        let remaining = timing.renewDeadline - (clock.now - lastRenewal)
                        switch await Self.renew(lease, token: token, within: remaining) {
                        case .renewed:
                            lastRenewal = clock.now
                            continue
                        case .lost:
                            logger.warning("lost the lease (token \(token)): another server leads or it expired")
                            return true
                        case .failed(let error):
                            logger.warning("renewing the lease failed: \(error)")
                        case .timedOut:
                            logger.warning("renewing the lease did not answer within the renew deadline")
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
            }
            // Stopped leading: the token's lock goes too (kept only by a stop that models a
            // paused process, `releasesOnStop == false`).
            if lost || releasesOnStop { await lease.session.unlock(token) }
            if !lost && Task.isCancelled {
                if releasesOnStop { await lease.session.close() }
                return
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

/// Resumes a continuation with the first answer given; later ones are dropped.
final class FirstAnswer<T: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var continuation: CheckedContinuation<T, Never>?
    private var pending: T?
    private var answered = false

    func set(_ c: CheckedContinuation<T, Never>) {
        lock.lock()
        if let p = pending { pending = nil; lock.unlock(); c.resume(returning: p); return }
        continuation = c
        lock.unlock()
    }

    /// Whether this was the first answer.
    @discardableResult
    func give(_ value: T) -> Bool {
        lock.lock()
        guard !answered else { lock.unlock(); return false }
        answered = true
        if let c = continuation { continuation = nil; lock.unlock(); c.resume(returning: value) } else { pending = value; lock.unlock() }
        return true
    }
}
