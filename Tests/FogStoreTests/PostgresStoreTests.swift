import FogAPI
import FogModel
import FogPostgres
import FogStore
import FogTesting
import Foundation
import Testing

/// What only the PostgreSQL store has: migrations, connection failures, the watch listener's
/// reconnection, leader leases and fencing tokens.
@Suite struct PostgresStoreTests {
    static func withDatabase<T>(_ body: (PostgresTestCluster, String) async throws -> T) async throws -> T {
        let cluster = try PostgresTestCluster.shared()
        let url = try cluster.database()
        defer { cluster.drop(url) }
        return try await body(cluster, url)
    }

    @Test func anUnreachableDatabaseIsAClearError() async throws {
        let port = try PostgresTestClusterPort.unused()
        await #expect {
            _ = try await PostgresStore.open(url: "postgres://fog:secret@127.0.0.1:\(port)/fog?sslmode=disable")
        } throws: { error in
            let m = (error as? StoreError)?.message ?? ""
            return m.hasPrefix("cannot reach PostgreSQL at postgres://fog@127.0.0.1:\(port)/fog") && !m.contains("secret")
        }
        await #expect(throws: StoreError.self) { _ = try await PostgresStore.open(url: "postgres://127.0.0.1/") }
    }

    @Test func migrationsAreVersionedAndANewerSchemaIsRefused() async throws {
        try await Self.withDatabase { cluster, url in
            let store = try await PostgresStore.open(url: url)
            await store.close()
            let name = String(URLComponents(string: url)!.path.dropFirst())
            #expect(try cluster.psql("SELECT string_agg(version::text, ',' ORDER BY version) FROM fog_migrations", database: name)
                    == (1...PostgresStore.schemaVersion).map(String.init).joined(separator: ","))
            // Opening again migrates nothing and keeps the data.
            let again = try await PostgresStore.open(url: url)
            _ = try await again.create(node("a"))
            await again.close()
            try cluster.psql("INSERT INTO fog_migrations (version, summary) VALUES (\(PostgresStore.schemaVersion + 1), 'from the future')", database: name)
            await #expect {
                _ = try await PostgresStore.open(url: url)
            } throws: { ($0 as? StoreError)?.message.contains("migrated by a newer fogctl (schema version \(PostgresStore.schemaVersion + 1)") == true }
        }
    }

    /// The watch listener's connection is cut (as a database restart or a network drop cuts
    /// it) while writes flow: the watcher still gets every revision exactly once, in order.
    @Test func aWatchResumesWithoutLossAfterItsConnectionIsDropped() async throws {
        try await Self.withDatabase { cluster, url in
            let watching = try await PostgresStore.open(url: url, now: { TestEpoch.date }, maxConnections: 4)
            let writing = try await PostgresStore.open(url: url, now: { TestEpoch.date }, maxConnections: 4)
            let total: Int64 = 300
            let watcher = Task { () -> [Int64] in
                var seen: [Int64] = []
                for try await e in watching.watch(kind: "FogNode", namespace: nil, from: 0, bookmarkEvery: 0) {
                    if e.object != nil { seen.append(e.revision) }
                    if seen.count == Int(total) { break }
                }
                return seen
            }
            // Once the watch listens, cut its connection three times in the middle of the writes.
            _ = try await writing.create(node("first"))
            var cuts = 0
            for i in 1..<Int(total) {
                _ = try await writing.create(node("n\(i)"))
                if i % 80 == 0, let pid = watching.watchListenerBackendPID {
                    try cluster.psql("SELECT pg_terminate_backend(\(pid))")
                    cuts += 1
                }
            }
            let seen = try await watcher.value
            #expect(cuts == 3)
            #expect(seen == Array(1...total))
            #expect(watching.watchListenerConnections >= 2)
            await watching.close()
            await writing.close()
        }
    }

    /// The leader's maintenance compacts once the point has moved by a quarter of the window,
    /// or after a minute when it has moved at all; never when it has not moved.
    @Test func maintenanceRoundsFollowTheLogsGrowth() {
        let m = PostgresMaintenance(keepRevisions: 10_000)
        #expect(m.step == 2_500)
        #expect(m.roundIsDue(point: 2_500, lastPoint: 0, sinceLastRound: .seconds(5)))
        #expect(!m.roundIsDue(point: 2_499, lastPoint: 0, sinceLastRound: .seconds(5)))
        #expect(m.roundIsDue(point: 2_499, lastPoint: 0, sinceLastRound: .seconds(60)))
        #expect(!m.roundIsDue(point: 7_000, lastPoint: 7_000, sinceLastRound: .seconds(3_600)))
        #expect(PostgresMaintenance(keepRevisions: 2).step == 1)
    }

    /// A store with `count` nodes, and a write that holds its group open (the writes made
    /// meanwhile queue for the next group) until `release()`.
    struct HeldGroup {
        let store: PostgresStore
        let created: [Resource]
        let head: Int64
        let before: (groups: Int, writes: Int)
        let gate: AsyncStream<Void>.Continuation
        let first: Task<Resource, Error>

        static func open(url: String, prefix: String, count: Int) async throws -> HeldGroup {
            let store = try await PostgresStore.open(url: url, now: { TestEpoch.date }, maxConnections: 4)
            var created: [Resource] = []
            for i in 0..<count { created.append(try await store.create(node("\(prefix)\(i)"))) }
            let head = try await store.currentRevision()
            let before = store.groupCommits
            let gate = AsyncStream.makeStream(of: Void.self)
            let key = created[0].key
            let first = Task { try await store.write { tx in
                for await _ in gate.stream { break }
                return try await tx.patchStatus(key, ["held": true])
            } }
            while store.groupCommits.groups == before.groups { await Task.yield() }
            return HeldGroup(store: store, created: created, head: head, before: before, gate: gate.continuation, first: first)
        }

        func release() async throws {
            gate.yield()
            _ = try await first.value
        }
    }

    /// Writes that arrive while a group is being written share the next transaction; each keeps
    /// its own outcome: stale updates fail with a conflict and change nothing, the others
    /// commit at consecutive revisions, and a watcher sees exactly those.
    @Test(.timeLimit(.minutes(1))) func concurrentWritesCommitTogetherEachAllOrNothing() async throws {
        try await Self.withDatabase { _, url in
            let held = try await HeldGroup.open(url: url, prefix: "g", count: 20)
            let (store, created, head, before) = (held.store, held.created, held.head, held.before)
            var writes: [Task<Bool, Error>] = []
            for (i, n) in created.enumerated() {
                writes.append(Task { _ = try await store.patchStatus(n.key, ["beat": .int(Int64(i))]); return true })
                var stale = n
                stale.metadata.resourceVersion = n.metadata.resourceVersion + 100_000  // not the stored one (0 would mean unconditional)
                stale.content["spec"] = ["cpu": 99]
                writes.append(Task {
                    do { _ = try await store.update(stale); return true } catch let e as StoreError where e.code == .conflict { return false }
                })
            }
            while store.queuedWrites < writes.count { await Task.yield() }
            try await held.release()
            var outcomes: [Bool] = []
            for w in writes { outcomes.append(try await w.value) }
            #expect(outcomes == Array(repeating: [true, false], count: 20).flatMap { $0 })
            let after = store.groupCommits
            // The held write alone, then the 40 queued behind it in one group.
            #expect(after.groups - before.groups == 2 && after.writes - before.writes == 41)
            #expect(try await store.currentRevision() == head + 21)
            var seen: [Int64] = []
            for try await e in store.watch(kind: "FogNode", namespace: nil, from: head, bookmarkEvery: 0) {
                if let o = e.object {
                    seen.append(e.revision)
                    #expect(o.content["spec"]?["cpu"] != 99)
                }
                if seen.count == 21 { break }
            }
            #expect(seen == Array(head + 1...head + 21))
            await store.close()
        }
    }

    /// A write that fails after it has changed something, in the middle of a group, is undone
    /// alone: its savepoint (each write's is left open, nested in the one before) is rolled back,
    /// and the writes before and after it commit at consecutive revisions.
    @Test(.timeLimit(.minutes(1))) func aWriteFailingAfterItsChangesIsUndoneAloneInItsGroup() async throws {
        try await Self.withDatabase { _, url in
            let held = try await HeldGroup.open(url: url, prefix: "w", count: 6)
            let (store, created, head, before) = (held.store, held.created, held.head, held.before)
            var writes: [Task<Bool, Error>] = []
            for (i, n) in created.enumerated() {
                writes.append(Task { _ = try await store.patchStatus(n.key, ["beat": .int(Int64(i))]); return true })
                // Two changes (a new object, a patch), then a refusal: neither may remain.
                writes.append(Task {
                    do {
                        _ = try await store.write { tx -> Bool in
                            _ = try await tx.create(node("undone-\(i)"))
                            _ = try await tx.patchStatus(n.key, ["undone": true])
                            throw AdmissionError(.invalid, "refused after its changes")
                        }
                        return true
                    } catch let e as AdmissionError where e.message == "refused after its changes" { return false }
                })
                while store.queuedWrites < writes.count { await Task.yield() }
            }
            try await held.release()
            var outcomes: [Bool] = []
            for w in writes { outcomes.append(try await w.value) }
            #expect(outcomes == Array(repeating: [true, false], count: 6).flatMap { $0 })
            let after = store.groupCommits
            #expect(after.groups - before.groups == 2 && after.writes - before.writes == 13)
            #expect(try await store.currentRevision() == head + 7)
            for i in 0..<6 {
                #expect(try await store.get(ObjectKey(kind: "FogNode", namespace: "", name: "undone-\(i)")) == nil)
                let n = try #require(try await store.get(created[i].key))
                #expect(n.status?["undone"] == nil && n.status?["beat"] == .int(Int64(i)))
            }
            var seen: [Int64] = []
            for try await e in store.watch(kind: nil, namespace: nil, from: head, bookmarkEvery: 0) {
                if let o = e.object {
                    seen.append(e.revision)
                    #expect(!o.name.hasPrefix("undone-"))
                }
                if seen.count == 7 { break }
            }
            #expect(seen == Array(head + 1...head + 7))
            await store.close()
        }
    }

    /// A leader paused past its lease (modelled: it keeps its old token while another server
    /// acquires the lease) has every write refused; the new leader's writes go through.
    @Test func aStaleFencingTokenIsRefused() async throws {
        try await Self.withDatabase { cluster, url in
            let store = try await PostgresStore.open(url: url, now: { TestEpoch.date }, maxConnections: 4)
            // Long leases: a loaded machine cannot let one run out by accident; a's runs out
            // when the test moves its last renewal back (the database's clock is the judge).
            let timing = LeaseTiming(leaseDuration: .seconds(60), renewDeadline: .seconds(40), retryPeriod: .seconds(1))
            let a = LeaderLease(store: store, identity: "server-a", timing: timing)
            // b's lease is long: the test's own writes under it must not outlive it on a busy machine.
            let b = LeaderLease(store: store, identity: "server-b", timing: LeaseTiming(leaseDuration: .seconds(60), renewDeadline: .seconds(40), retryPeriod: .seconds(1)))
            guard let tokenA = try await a.tryAcquire() else { Issue.record("a free lease was not acquired"); return }
            #expect(try await b.tryAcquire() == nil)  // a's lease is live
            let fencedA = store.fenced(by: a.fence(token: tokenA))
            _ = try await fencedA.create(node("by-a"))
            // a is paused past its lease (its session stays open, so b must wait for expiry):
            // the lease has run out by the database's clock, and b takes it.
            let name = String(URLComponents(string: url)!.path.dropFirst())
            try cluster.psql("UPDATE fog_leases SET renewed_at = renewed_at - interval '61 seconds'", database: name)
            let tokenB = try await b.tryAcquire()
            try #require(tokenB != nil)
            #expect(tokenB! > tokenA)
            #expect(try await a.renew(token: tokenA) == false)
            let before = try await store.currentRevision()
            await #expect {
                _ = try await fencedA.create(node("late-a"))
            } throws: { ($0 as? StoreError)?.message.contains("fencing token \(tokenA) of lease fog-controllers is stale (the lease is held by server-b with token \(tokenB!))") == true }
            await #expect(throws: StoreError.self) { _ = try await fencedA.patchStatus(node("by-a").key, ["x": 1]) }
            #expect(try await store.currentRevision() == before)
            let fencedB = store.fenced(by: b.fence(token: tokenB!))
            _ = try await fencedB.patchStatus(node("by-a").key, ["leader": "b"])
            #expect(try await store.currentRevision() == before + 1)
            await a.session.close()
            await b.session.close()
            await store.close()
        }
    }

    /// Three electors on one database (three servers): one leads at a time; when its leading
    /// stops without a release (as a killed process), another leads within the lease duration
    /// plus a retry period, with a larger token.
    /// A leader whose controllers cannot stop (a call that never returns) still steps down at
    /// once when it loses the lease, and leads again later: it is not kept waiting on them.
    @Test(.timeLimit(.minutes(1))) func aLeaderStepsDownAtOnceEvenIfItsControllersHang() async throws {
        try await Self.withDatabase { cluster, url in
            let store = try await PostgresStore.open(url: url, now: { TestEpoch.date }, maxConnections: 4)
            let timing = LeaseTiming(leaseDuration: .milliseconds(600), renewDeadline: .milliseconds(400), retryPeriod: .milliseconds(100))
            let events = LeadershipLog()
            let elector = LeaderElector(lease: LeaderLease(store: store, identity: "stuck", timing: timing), logger: .init(label: "test"))
            let changes = AsyncStream.makeStream(of: Bool.self)
            elector.onChange = { changes.continuation.yield($0.isLeader) }
            let run = Task { await elector.run { token in await events.hang("stuck", token) } }
            var leading = changes.stream.makeAsyncIterator()
            // Each change of the state, down to the next one that says `isLeader` is `value`.
            func until(_ value: Bool) async { while let v = await leading.next(), v != value {} }
            await until(true)
            let first = await events.next()
            // Another holder takes the lease (and never renews it).
            let name = String(URLComponents(string: url)!.path.dropFirst())
            try cluster.psql("UPDATE fog_leases SET holder = 'thief', token = token + 1, renewed_at = clock_timestamp()", database: name)
            await until(false)
            #expect(!elector.state.isLeader)
            // The thief holds no session for its token: the stuck server's elector, a candidate
            // again, takes the lease back without waiting for it to run out.
            await until(true)
            let second = await events.next()
            #expect(second.holder == "stuck" && second.token == first.token + 2)
            run.cancel()
            await run.value
            await store.close()
        }
    }

    /// A leader that dies (its tasks stop, its lease session ends as when the kernel closes a
    /// killed process's sockets) is succeeded long before its lease would run out: the next
    /// candidate finds the dead holder's token lock free and takes the lease with a new token.
    @Test(.timeLimit(.minutes(1))) func aDeadLeadersSessionEndsItsLeaseAtOnce() async throws {
        try await Self.withDatabase { cluster, url in
            let store = try await PostgresStore.open(url: url, now: { TestEpoch.date }, maxConnections: 6)
            // A lease far longer than the test may take: a takeover can only come from the session.
            let timing = LeaseTiming(leaseDuration: .seconds(120), renewDeadline: .seconds(60), retryPeriod: .milliseconds(100))
            let events = LeadershipLog()
            let electors = (0..<3).map { i in
                LeaderElector(lease: LeaderLease(store: store, identity: "server-\(i)", timing: timing), logger: .init(label: "test"))
            }
            let tasks = electors.map { e in
                Task { await e.run { token in await events.lead(e.lease.identity, token) } }
            }
            let first = await events.next()
            let leaderIndex = electors.firstIndex { $0.lease.identity == first.holder }!
            let dead = electors[leaderIndex]
            let held = try #require(try await dead.lease.current())
            #expect(held.holder == first.holder && held.token == first.token && held.live)
            dead.releasesOnStop = false
            tasks[leaderIndex].cancel()
            await tasks[leaderIndex].value
            let pid = try #require(await dead.lease.session.backendPID)
            let name = String(URLComponents(string: url)!.path.dropFirst())
            let clock = ContinuousClock()
            let died = clock.now
            #expect(try cluster.psql("SELECT pg_terminate_backend(\(pid))", database: name) == "t")
            let second = await events.next()
            let took = clock.now - died
            #expect(second.holder != first.holder && second.token == first.token + 1)
            // The old holder's lease was still live by the database's clock when it was taken.
            #expect(took < .seconds(30), "took \(took)")
            print("lease taken \(took) after its holder's session ended (lease \(timing.leaseDuration), retry \(timing.retryPeriod))")
            // The dead holder's token is refused from then on.
            await #expect(throws: StoreError.self) { _ = try await store.fenced(by: dead.lease.fence(token: first.token)).create(node("late")) }
            for t in tasks { t.cancel() }
            for t in tasks { await t.value }
            await dead.lease.session.close()
            await store.close()
        }
    }

    @Test func oneLeaderAtATimeAndFailoverAfterTheLeaseRunsOut() async throws {
        try await Self.withDatabase { _, url in
            let store = try await PostgresStore.open(url: url, now: { TestEpoch.date }, maxConnections: 6)
            // Seconds, not hundreds of milliseconds: a leader starved of the CPU for longer than its
            // renew deadline (the whole suite runs in parallel) believed it led after another took over.
            let timing = LeaseTiming(leaseDuration: .seconds(3), renewDeadline: .seconds(2), retryPeriod: .milliseconds(500))
            let events = LeadershipLog()
            let electors = (0..<3).map { i in
                LeaderElector(lease: LeaderLease(store: store, identity: "server-\(i)", timing: timing), logger: .init(label: "test"))
            }
            let tasks = electors.map { e in
                Task { await e.run { token in await events.lead(e.lease.identity, token) } }
            }
            let first = await events.next()
            #expect(electors.filter { $0.state.isLeader }.count == 1)
            // The leader's process pauses: its tasks stop, nothing releases the lease, and its
            // lease session stays open (so no candidate may take the lease before it runs out).
            let leaderIndex = electors.firstIndex { $0.lease.identity == first.holder }!
            electors[leaderIndex].releasesOnStop = false
            tasks[leaderIndex].cancel()
            let clock = ContinuousClock()
            let died = clock.now
            let second = await events.next()
            let took = clock.now - died
            #expect(second.holder != first.holder && second.token > first.token)
            // The lease runs out at most a lease duration after the crash, the next try comes
            // within a retry period; the rest is slack for a loaded machine (a candidate's try is
            // three round trips; under a parallel build they took seconds). The figure itself is
            // measured by the process test and the docs' failover runs, not here.
            #expect(took <= timing.leaseDuration + timing.retryPeriod + .seconds(10))
            for t in tasks { t.cancel() }
            for t in tasks { await t.value }
            await electors[leaderIndex].lease.session.close()
            await store.close()
        }
    }
}

/// The leaders in the order they started leading.
actor LeadershipLog {
    struct Term: Sendable { var holder: String; var token: Int64 }
    private var terms: [Term] = []
    private var read = 0
    private var waiters: [CheckedContinuation<Void, Never>] = []

    /// Records a term and leads until cancelled.
    nonisolated func lead(_ holder: String, _ token: Int64) async {
        await record(Term(holder: holder, token: token))
        while !Task.isCancelled { try? await Task.sleep(for: .seconds(3600)) }
    }

    /// Records a term and never returns, cancelled or not (controllers stuck in a call).
    nonisolated func hang(_ holder: String, _ token: Int64) async {
        await record(Term(holder: holder, token: token))
        await withCheckedContinuation { (_: CheckedContinuation<Void, Never>) in }
    }

    private func record(_ t: Term) {
        terms.append(t)
        for w in waiters { w.resume() }
        waiters.removeAll()
    }

    func next() async -> Term {
        while read >= terms.count { await withCheckedContinuation { waiters.append($0) } }
        read += 1
        return terms[read - 1]
    }
}

enum PostgresTestClusterPort {
    /// A loopback port nothing listens on (bound, then released).
    static func unused() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) } }
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        return Int(UInt16(bigEndian: addr.sin_port))
    }
}
