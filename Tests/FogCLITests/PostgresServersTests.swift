import FogAPI
import FogManifest
import FogModel
import FogRemote
import FogTesting
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing

/// A `fogctl server` process, its standard error read line by line.
final class ServerProcess: @unchecked Sendable {
    let index: Int
    let process = Process()
    private let lock = NSLock()
    private var lines: [String] = []
    private var waiters: [(String, CheckedContinuation<String, Never>)] = []

    init(index: Int, binary: String, arguments: [String]) throws {
        self.index = index
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = arguments
        let err = Pipe()
        process.standardError = err
        process.standardOutput = FileHandle.nullDevice
        err.fileHandleForReading.readabilityHandler = { [weak self] h in
            let chunk = h.availableData
            if chunk.isEmpty { h.readabilityHandler = nil; return }
            self?.received(chunk)
        }
        try process.run()
    }

    private var pending = Data()

    /// Called by one reader at a time (the pipe's handler).
    private func received(_ chunk: Data) {
        var complete: [String] = []
        lock.withLock {
            pending.append(chunk)
            while let nl = pending.firstIndex(of: 0x0A) {
                complete.append(String(decoding: pending[pending.startIndex..<nl], as: UTF8.self))
                pending.removeSubrange(pending.startIndex...nl)
            }
        }
        for line in complete { add(line) }
    }

    private func add(_ line: String) {
        // FOG_TEST_SERVER_LOG=1 copies the servers' lines to the test's standard error.
        if ProcessInfo.processInfo.environment["FOG_TEST_SERVER_LOG"] != nil { FileHandle.standardError.write(Data("[server \(index)] \(line)\n".utf8)) }
        let ready = lock.withLock { () -> [CheckedContinuation<String, Never>] in
            lines.append(line)
            var hit: [CheckedContinuation<String, Never>] = []
            waiters.removeAll { w in
                if line.contains(w.0) { hit.append(w.1); return true }
                return false
            }
            return hit
        }
        for c in ready { c.resume(returning: line) }
    }

    /// The first line (already printed or to come) that contains `text`.
    func line(containing text: String) async -> String {
        await withCheckedContinuation { c in
            let found = lock.withLock { () -> String? in
                if let l = lines.first(where: { $0.contains(text) }) { return l }
                waiters.append((text, c))
                return nil
            }
            if let found { c.resume(returning: found) }
        }
    }

    var output: String { lock.withLock { lines.joined(separator: "\n") } }

    func port() async -> Int {
        let l = await line(containing: "listening on http://127.0.0.1:")
        let rest = l.components(separatedBy: "http://127.0.0.1:")[1]
        return Int(rest.prefix { $0.isNumber })!
    }

    func signal(_ s: Int32) { kill(process.processIdentifier, s) }
}

/// Three `fogctl server` processes over one PostgreSQL database (a throw-away cluster).
@Suite(.serialized) struct PostgresServersTests {
    /// The leader is killed with `kill -9`, with the default timings (lease 15 s, renew deadline
    /// 10 s, retry 2 s): its lease session ends with the process, so another server takes the
    /// lease at its next try, long before the lease would run out, and its controllers act
    /// within the goal of 15 s; watchers on the surviving servers see every revision
    /// once and in order throughout; each server's /readyz and /metrics name the leader.
    @Test func threeServersFailOverAfterTheLeaderIsKilled() async throws {
        let binary = try #require(Harness.fogctlBinary(), "fogctl must be built beside the tests")
        let cluster = try PostgresTestCluster.shared()
        let url = try cluster.database()
        defer { cluster.drop(url) }
        let scratch = try TemporaryDirectory("fog-pg-servers")
        let servers = try (0..<3).map { i in
            try ServerProcess(index: i, binary: binary, arguments: [
                "server", "--store", url, "--listen", "127.0.0.1:0", "--blob-dir", scratch.file("blobs"),
                "--state", scratch.file("server-\(i)/state.db")])
        }
        defer { for s in servers where s.process.isRunning { s.signal(SIGKILL) } }
        var ports: [Int] = []
        for s in servers { ports.append(await s.port()) }
        let clients = ports.map { HTTPFogClient(baseURL: "http://127.0.0.1:\($0)", token: nil, registry: SchemaSet.builtIn.registry) }

        // Exactly one leads.
        let first = try await Self.firstLeader(servers)
        let head = try await clients[0].currentRevision()
        // Two watchers per server, on every server.
        let watchers = clients.enumerated().flatMap { i, c in
            (0..<2).map { _ in (server: i, task: Task { () -> [Int64] in
                var seen: [Int64] = []
                do {
                    for try await e in c.watch(kind: "FogNode", namespace: nil, from: head) {
                        if e.object != nil { seen.append(e.revision) }
                        if e.object?.name == "last" { break }
                    }
                } catch {}
                return seen
            }) }
        }

        // The leader's controllers act: a new node gets its Ready condition.
        let survivor = clients[(first.index + 1) % 3]
        _ = try await survivor.create(Self.node("before"))
        try await Self.waitForReadyCondition("before", via: survivor, from: head)
        let readyz = try await Self.get("http://127.0.0.1:\(ports[first.index])/readyz")
        #expect(readyz.contains("leader: ") && readyz.contains("(this server; fencing token"), "\(readyz)")
        let followerMetrics = try await Self.get("http://127.0.0.1:\(ports[(first.index + 1) % 3])/metrics")
        #expect(followerMetrics.contains("fog_leader_is_self{") && followerMetrics.contains("} 0"), "\(followerMetrics)")

        // kill -9 the leader; the next write needs another server's controllers.
        let clock = ContinuousClock()
        let killedAt = clock.now
        first.server.signal(SIGKILL)
        let afterKill = try await survivor.currentRevision()
        _ = try await survivor.create(Self.node("after"))
        try await Self.waitForReadyCondition("after", via: survivor, from: afterKill)
        let failover = clock.now - killedAt
        let second = try await Self.firstLeader(servers.filter { $0.index != first.index })
        #expect(second.index != first.index)
        // A candidate's next try (within 2 s) finds the dead leader's session gone and takes the
        // lease; its caches fill and the node is reconciled. Waiting for the lease to run out
        // instead would take up to 15 s from the last renewal, plus a retry.
        #expect(failover < .seconds(15), "failover took \(failover)")
        print("failover after kill -9 (default timings: lease 15 s, retry 2 s): controllers acted \(failover) after the kill")

        // Writes through both survivors, then the end marker.
        for i in 0..<50 { _ = try await clients[(first.index + 1 + i % 2) % 3].create(Self.node("n\(i)")) }
        _ = try await survivor.create(Self.node("last"))
        #expect(try await survivor.list(kind: "FogNode", namespace: nil, selector: LabelSelector()).items.count == 53)
        // What the database's log holds for FogNodes after `head`, up to the end marker.
        let name = String(URLComponents(string: url)!.path.dropFirst())
        let last = try cluster.psql("SELECT revision FROM fog_events WHERE kind = 'FogNode' AND name = 'last' AND type = 'ADDED'", database: name)
        let logged = try cluster.psql("SELECT string_agg(revision::text, ',' ORDER BY revision) FROM fog_events WHERE kind = 'FogNode' AND revision > \(head) AND revision <= \(last)", database: name)
            .split(separator: ",").compactMap { Int64($0) }
        #expect(logged.count >= 53)
        for w in watchers where w.server != first.index {
            // Every revision once, in order (the controllers' status writes included), across the failover.
            let seen = await w.task.value
            #expect(seen == logged, "a watcher on server \(w.server) saw \(seen.count) events, the log has \(logged.count)")
        }
        for w in watchers where w.server == first.index { w.task.cancel() }
        for s in servers where s.process.isRunning { s.signal(SIGTERM) }
        for s in servers { s.process.waitUntilExit() }
    }

    /// The leader is paused (SIGSTOP) in the middle of its work, past its lease; another server
    /// takes over and finishes it; the paused one is resumed (SIGCONT). From the moment the other
    /// server led, nothing in the log was written with the paused one's fencing token: its
    /// controllers' writes after the pause were refused (counted on its /metrics) until its
    /// failed renewal stopped them.
    @Test func aPausedLeaderWritesNothingAfterItLostTheLease() async throws {
        let binary = try #require(Harness.fogctlBinary(), "fogctl must be built beside the tests")
        let cluster = try PostgresTestCluster.shared()
        let url = try cluster.database()
        defer { cluster.drop(url) }
        let database = String(URLComponents(string: url)!.path.dropFirst())
        let scratch = try TemporaryDirectory("fog-pg-paused")
        let servers = try (0..<2).map { i in
            try ServerProcess(index: i, binary: binary, arguments: [
                "server", "--store", url, "--listen", "127.0.0.1:0", "--blob-dir", scratch.file("blobs"),
                "--state", scratch.file("server-\(i)/state.db"),
                "--lease-duration", "3s", "--renew-deadline", "2s", "--retry-period", "0.5s"])
        }
        defer { for s in servers where s.process.isRunning { s.signal(SIGCONT); s.signal(SIGKILL) } }
        var ports: [Int] = []
        for s in servers { ports.append(await s.port()) }
        let clients = ports.map { HTTPFogClient(baseURL: "http://127.0.0.1:\($0)", token: nil, registry: SchemaSet.builtIn.registry) }
        let leader = try await Self.firstLeader(servers)
        let other = servers[1 - leader.index]
        let otherClient = clients[1 - leader.index]
        func token(_ s: ServerProcess) async -> Int64 {
            let line = await s.line(containing: "leading the controllers (fencing token ")
            return Int64(line.components(separatedBy: "fencing token ")[1].prefix { $0.isNumber })!
        }
        let pausedToken = await token(leader.server)

        // Work for the leader: 300 nodes, each to be given its Ready condition. It is paused as
        // soon as it has done some of it.
        let count = 300
        let head = try await otherClient.currentRevision()
        _ = try await otherClient.apply((0..<count).map { Self.node("p\($0)") }, dryRun: false)
        try await Self.waitForReadyCondition("p0", via: otherClient, from: head)
        leader.server.signal(SIGSTOP)

        // The other server takes the lease once it has run out and finishes the work.
        let takeoverToken = await token(other)
        #expect(takeoverToken > pausedToken)
        var ready = Set<String>()
        for try await e in otherClient.watch(kind: "FogNode", namespace: nil, from: head) {
            if let o = e.object, o.condition("Ready") != nil { ready.insert(o.name) }
            if ready.count == count { break }
        }
        let takenOverAt = try cluster.psql("SELECT min(revision) FROM fog_events WHERE token = \(takeoverToken)", database: database)

        // Resumed: its renewal fails and it stops leading.
        leader.server.signal(SIGCONT)
        _ = await leader.server.line(containing: "stopped leading the controllers")
        let metrics = try await Self.get("http://127.0.0.1:\(ports[leader.index])/metrics")
        let refused = metrics.split(separator: "\n").first { $0.hasPrefix("fog_fenced_writes_refused_total ") }.map { String($0.split(separator: " ")[1]) } ?? "?"

        let before = try cluster.psql("SELECT count(*) FROM fog_events WHERE token = \(pausedToken)", database: database)
        let after = try cluster.psql("SELECT count(*) FROM fog_events WHERE token = \(pausedToken) AND revision >= \(takenOverAt)", database: database)
        #expect(Int(before) ?? 0 > 0, "the leader wrote with token \(pausedToken) before the pause")
        #expect(after == "0", "writes with the stale token \(pausedToken) after revision \(takenOverAt)")
        print("paused leader (token \(pausedToken)): \(before) writes before the pause, \(after) after the takeover (token \(takeoverToken) from revision \(takenOverAt)); \(refused) writes refused after SIGCONT")
        for s in servers where s.process.isRunning { s.signal(SIGTERM) }
        for s in servers { s.process.waitUntilExit() }
    }

    static func node(_ name: String) -> Resource {
        Resource(kind: "FogNode", metadata: ObjectMeta(name: name),
                 content: ["spec": ["region": "eu-west", "class": "edge", "capacity": ["cpu": 4, "memoryGiB": 8]]])
    }

    /// The server that prints that it leads first, among `servers`.
    static func firstLeader(_ servers: [ServerProcess]) async throws -> (index: Int, server: ServerProcess) {
        // Unstructured waits: the servers that never lead never print the line, and a task
        // group would wait for them.
        let (stream, continuation) = AsyncStream.makeStream(of: Int.self)
        for s in servers {
            Task { _ = await s.line(containing: "leading the controllers (fencing token"); continuation.yield(s.index) }
        }
        var iterator = stream.makeAsyncIterator()
        let i = await iterator.next()!
        return (i, servers.first { $0.index == i }!)
    }

    /// Watches (through `client`) until node `name` has a Ready condition, which only the
    /// node lifecycle controller writes.
    static func waitForReadyCondition(_ name: String, via client: HTTPFogClient, from revision: Int64) async throws {
        for try await e in client.watch(kind: "FogNode", namespace: nil, from: revision) {
            if let o = e.object, o.name == name, o.condition("Ready") != nil { return }
        }
        Issue.record("the watch ended before node \(name) was reconciled")
    }

    static func get(_ url: String) async throws -> String {
        let (data, _) = try await URLSession.shared.data(from: URL(string: url)!)
        return String(decoding: data, as: UTF8.self)
    }
}
