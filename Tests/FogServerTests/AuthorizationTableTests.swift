import AsyncHTTPClient
import FogAPI
import FogClient
import FogRuntime
import FogStore
import FogControllers
import FogManifest
import FogModel
import FogRemote
import FogTesting
import Foundation
import NIOCore
import NIOHTTP1
import Testing

/// The authorisation table, generated: every kind × operation × caller against a real server
/// with the controller families' table, compared with the policy written out below (by hand,
/// not derived from the families' rules, so that a change to the table shows up here).
@Suite(.serialized) struct AuthorizationTableTests {
    enum Caller: String, CaseIterable {
        case admin, tenantOwn = "tenant of the namespace", tenantOther = "tenant of another namespace"
        case boundAgent = "the bound agent", otherAgent = "another agent", anonymous
        var token: String? {
            switch self {
            case .admin: return "admin-token-1"
            case .tenantOwn: return "tenant-a-token"
            case .tenantOther: return "tenant-b-token"
            case .boundAgent: return "agent-edge-1-token"
            case .otherAgent: return "agent-edge-2-token"
            case .anonymous: return nil
            }
        }
    }

    enum Op: String, CaseIterable {
        case get, list, watch, create, update, updateStatus = "update status", patchStatus = "patch status", delete
        case apply, applyDryRun = "apply (dry run)"
    }

    /// What a caller gets: allowed, denied (403 or 404, the object untouched and nothing of it
    /// in the answer), or a list or watch that answers but does not contain the object.
    enum Outcome: Equatable { case allowed, denied, hidden, unauthenticated }

    static let cluster: Set<String> = ["FogNode", "Tier", "PrivacyPolicy", "HarvestPolicy"]
    static let reads: Set<Op> = [.get, .list, .watch]
    static let writes: Set<Op> = [.create, .update, .delete, .apply, .applyDryRun]

    /// The documented policy (docs/api.md, "Authorisation"). The object under test is in
    /// namespace team-a (namespaced kinds), bound to node edge-1 where the kind names a node,
    /// and named edge-1 for FogNode; bids belong to an auction that is still open.
    static func expected(_ caller: Caller, _ op: Op, _ kind: String) -> Outcome {
        let read = reads.contains(op)
        switch caller {
        case .anonymous: return .unauthenticated
        case .admin: return .allowed
        case .tenantOwn, .tenantOther:
            if cluster.contains(kind) { return read ? .allowed : .denied }
            guard caller == .tenantOwn else { return .denied }
            switch kind {
            case "FederatedJob", "Auction": return op == .updateStatus || op == .patchStatus ? .denied : .allowed
            case "TrainingTask", "Event", "CircuitPool": return read ? .allowed : .denied
            case "Bid": return read ? (op == .get ? .denied : .hidden) : .denied  // sealed while its auction is open
            default: return .denied  // GitSource: admins only
            }
        case .boundAgent, .otherAgent:
            let bound = caller == .boundAgent
            switch kind {
            case "Tier", "PrivacyPolicy", "HarvestPolicy", "Auction", "CircuitPool": return read ? .allowed : .denied
            case "FogNode": return bound && [.get, .create, .updateStatus, .patchStatus].contains(op) ? .allowed : .denied
            case "TrainingTask":
                if [.get, .list, .watch, .updateStatus, .patchStatus].contains(op) { return bound ? .allowed : (op == .list || op == .watch ? .hidden : .denied) }
                return .denied
            case "Bid":
                if [.get, .list, .watch, .create].contains(op) { return bound ? .allowed : (op == .list || op == .watch ? .hidden : .denied) }
                return .denied
            default: return .denied
            }
        }
    }

    static let tokens = ServerHarness.tokens + """

        - {token: tenant-b-token, user: team-b, role: tenant, namespaces: [team-b]}
        - {token: agent-edge-2-token, user: edge-2-agent, role: agent, node: edge-2}
        """

    static let price = 7.7731

    static func sample(_ kind: String) -> Resource {
        let info = SchemaSet.builtIn.registry.info(forKind: kind)!
        let namespace = info.namespaced ? "team-a" : ""
        switch kind {
        case "FogNode": return object("FogNode", "edge-1", spec: minimalSpecs[0].1)
        case "TrainingTask": return object("TrainingTask", "t-1", namespace: namespace, spec: ["job": "j", "round": 1, "node": "edge-1"])
        case "Bid": return object("Bid", "b-1", namespace: namespace, spec: ["auction": "open-auction", "node": "edge-1", "price": .double(price)])
        case "Event":
            return Resource(kind: "Event", metadata: ObjectMeta(name: "e-1", namespace: namespace),
                            content: ["involvedObject": ["kind": "FederatedJob", "namespace": "team-a", "name": "j"], "reason": "Tested"])
        default:
            let spec = minimalSpecs.first { $0.0 == kind }!.1
            return object(kind, "x-" + kind.lowercased(), namespace: namespace, spec: spec)
        }
    }

    static func path(_ r: Resource, collection: Bool = false) -> String {
        let info = SchemaSet.builtIn.registry.info(forKind: r.kind)!
        let base = info.namespaced ? "/apis/fog/v1alpha1/namespaces/\(r.namespace)/\(info.plural)" : "/apis/fog/v1alpha1/\(info.plural)"
        return collection ? base : base + "/" + r.name
    }

    @Test func everyKindOperationAndCaller() async throws {
        let s = try await ServerHarness(tokens: Self.tokens)
        let admin = s.client()
        _ = try await admin.create(object("Auction", "open-auction", namespace: "team-a", spec: ["participantsWanted": 1]))
        var failures: [String] = []
        var cases = 0
        for info in SchemaSet.builtIn.registry.kinds {
            for caller in Caller.allCases {
                for op in Op.allCases {
                    cases += 1
                    let sample = Self.sample(info.kind)
                    // A fresh object per case (none for create).
                    if let old = try await admin.get(sample.key) { _ = try await admin.delete(old.key) }
                    var stored: Resource?
                    if op != .create { stored = try await admin.create(sample) }
                    let (method, path, body) = Self.request(op, sample, stored)
                    let (code, text) = try await s.rawText(method, path, token: caller.token, body: body, watch: op == .watch)
                    let after = try await admin.get(sample.key)
                    let label = "\(caller.rawValue) \(op.rawValue) \(info.kind)"
                    switch Self.expected(caller, op, info.kind) {
                    case .unauthenticated:
                        if code != 401 { failures.append("\(label): \(code), expected 401") }
                    case .allowed:
                        if !(200..<300).contains(code) { failures.append("\(label): \(code), expected 2xx: \(text.prefix(200))") }
                        if op == .list && !text.contains("\"\(sample.name)\"") { failures.append("\(label): the object is missing from the list") }
                    case .hidden:
                        if code != 200 { failures.append("\(label): \(code), expected 200 without the object") }
                        if op == .list && text.contains("\"\(sample.name)\"") { failures.append("\(label): the list shows the object") }
                    case .denied:
                        if code != 403 && code != 404 { failures.append("\(label): \(code), expected 403 or 404: \(text.prefix(200))") }
                        // Nothing written, nothing of the object in the answer.
                        if op == .create && after != nil { failures.append("\(label): created anyway") }
                        if op != .create && after?.metadata.resourceVersion != stored?.metadata.resourceVersion {
                            failures.append("\(label): the object changed")
                        }
                        if text.contains(String(Self.price)) { failures.append("\(label): the answer shows the sealed price") }
                    }
                }
            }
        }
        #expect(failures.isEmpty, "\(failures.count) of \(cases) cases:\n\(failures.joined(separator: "\n"))")
        #expect(cases == SchemaSet.builtIn.registry.kinds.count * Caller.allCases.count * Op.allCases.count)
        await s.shutdown()
    }

    static func request(_ op: Op, _ sample: Resource, _ stored: Resource?) -> (HTTPMethod, String, [UInt8]?) {
        var written = stored ?? sample
        switch op {
        case .get: return (.GET, path(sample), nil)
        case .list: return (.GET, path(sample, collection: true), nil)
        case .watch: return (.GET, path(sample, collection: true) + "?watch=true&resourceVersion=1", nil)
        case .create: return (.POST, path(sample, collection: true), JSONCoding.encodeBytes(sample.json))
        case .update:
            written.metadata.labels["touched"] = "yes"
            return (.PUT, path(sample), JSONCoding.encodeBytes(written.json))
        case .updateStatus:
            written.status = statusWrite(sample.kind)
            return (.PUT, path(sample) + "/status", JSONCoding.encodeBytes(written.json))
        case .patchStatus: return (.PATCH, path(sample) + "/status", JSONCoding.encodeBytes(statusWrite(sample.kind)))
        case .delete: return (.DELETE, path(sample), nil)
        case .apply, .applyDryRun:
            var desired = sample
            desired.metadata.labels["applied"] = "yes"
            return (.POST, "/apis/fog/v1alpha1/apply" + (op == .applyDryRun ? "?dryRun=true" : ""), JSONCoding.encodeBytes(desired.json))
        }
    }

    /// A status write its kind's status describes (agents may write no other fields).
    static func statusWrite(_ kind: String) -> JSONValue {
        kind == "FogNode" ? ["lastHeartbeatTime": "2001-01-01T00:00:00Z"] : ["phase": "Closed"]
    }

    /// A server with open auction team-a/a1 (an admin's) and edge-1's bid `b` on it.
    static func openAuctionWithABid(price: Double) async throws -> (ServerHarness, HTTPFogClient, Resource) {
        let s = try await ServerHarness(tokens: tokens)
        let admin = s.client()
        _ = try await admin.create(object("Auction", "a1", namespace: "team-a", spec: ["participantsWanted": 1]))
        let bid = try await s.client("agent-edge-1-token").create(object("Bid", "b", namespace: "team-a", spec: ["auction": "a1", "node": "edge-1", "price": .double(price)]))
        return (s, admin, bid)
    }

    // MARK: The findings, one named case each

    @Test func anAgentCannotWriteTheStatusOfATaskBoundToAnotherNode() async throws {
        let s = try await ServerHarness(tokens: Self.tokens)
        let admin = s.client()
        let task = try await admin.create(object("TrainingTask", "theirs", namespace: "team-a", spec: ["job": "j", "round": 1, "node": "edge-2"]))
        // The body names the caller's own node: ownership is read from the stored task.
        var forged = task
        forged.content["spec"] = ["job": "j", "round": 1, "node": "edge-1"]
        forged.status = ["phase": "Succeeded"]
        let (code, _) = try await s.raw(.PUT, Self.path(task) + "/status", token: "agent-edge-1-token", body: JSONCoding.encodeBytes(forged.json))
        #expect(code == 403 || code == 404)
        #expect(try await admin.get(task.key)?.metadata.resourceVersion == task.metadata.resourceVersion)
        await s.shutdown()
    }

    @Test func aSealedBidIsNoPriceOracle() async throws {
        let (s, admin, bid) = try await Self.openAuctionWithABid(price: 2.5)
        var answers: [String] = []
        for guess in [2.5, 3.0] {
            let probe = object("Bid", "b", namespace: "team-a", spec: ["auction": "a1", "node": "edge-1", "price": .double(guess)])
            let (code, text) = try await s.rawText(.POST, "/apis/fog/v1alpha1/apply?dryRun=true", token: "tenant-a-token", body: JSONCoding.encodeBytes(probe.json))
            answers.append("\(code) \(text)")
            let (put, _) = try await s.raw(.PUT, Self.path(probe), token: "tenant-a-token", body: JSONCoding.encodeBytes(probe.json))
            #expect(put == 403)
        }
        // The right guess and the wrong one get the same answer, and the bid is untouched.
        #expect(answers[0] == answers[1])
        #expect(answers[0].hasPrefix("403"))
        #expect(try await admin.get(bid.key)?.metadata.resourceVersion == bid.metadata.resourceVersion)
        await s.shutdown()
    }

    @Test func aTenantCannotDeleteASealedBidNorSeeItsPrice() async throws {
        let (s, admin, bid) = try await Self.openAuctionWithABid(price: 4.25)
        let (code, text) = try await s.rawText(.DELETE, Self.path(bid), token: "tenant-a-token")
        #expect(code == 403)
        #expect(!text.contains("4.25"))
        #expect(try await admin.get(bid.key) != nil)
        await s.shutdown()
    }

    @Test func aTenantCannotCloseAnAuctionNorOpenItsBidsByDeletingIt() async throws {
        let s = try await ServerHarness(tokens: Self.tokens)
        let admin = s.client()
        let auction = try await s.client("tenant-a-token").create(object("Auction", "a1", namespace: "team-a", spec: ["participantsWanted": 1]))
        let bid = try await s.client("agent-edge-1-token").create(object("Bid", "b", namespace: "team-a", spec: ["auction": "a1", "node": "edge-1", "price": 4.25]))
        let (patch, _) = try await s.raw(.PATCH, Self.path(auction) + "/status", token: "tenant-a-token", body: JSONCoding.encodeBytes(["phase": "Closed"]))
        #expect(patch == 403)
        #expect(try await admin.get(auction.key)?.status?["phase"] == nil)
        #expect(try await s.raw(.GET, Self.path(bid), token: "tenant-a-token").0 == 404)
        // Withdrawing one's own open auction is allowed, and its bids stay sealed.
        #expect(try await s.raw(.DELETE, Self.path(auction), token: "tenant-a-token").0 == 200)
        #expect(try await s.raw(.GET, Self.path(bid), token: "tenant-a-token").0 == 404)
        let (_, list) = try await s.rawText(.GET, Self.path(bid, collection: true), token: "tenant-a-token")
        #expect(!list.contains("4.25"))
        // Once an auction closes (its controller writes that), its bids are readable.
        _ = try await admin.create(object("Auction", "a1", namespace: "team-a", spec: ["participantsWanted": 1]))
        _ = try await admin.patchStatus(auction.key, ["phase": "Closed"])
        #expect(try await s.raw(.GET, Self.path(bid), token: "tenant-a-token").0 == 200)
        await s.shutdown()
    }

    @Test func resourceVersionsAreKubernetesStrict() async throws {
        let s = try await ServerHarness(tokens: Self.tokens)
        let admin = s.client()
        let tier = try await admin.create(object("Tier", "t", spec: minimalSpecs[1].1))
        func put(_ version: JSONValue?) async throws -> Int {
            var json = tier.json
            var meta = json["metadata"]!.objectValue!
            meta["resourceVersion"] = version
            json["metadata"] = .object(meta)
            return try await s.raw(.PUT, Self.path(tier), body: JSONCoding.encodeBytes(json)).0
        }
        // Not the stored version, whatever its form: 409.
        #expect(try await put("0") == 409)
        #expect(try await put("99999999999999999999") == 409)
        #expect(try await put(.string(String(tier.metadata.resourceVersion + 1))) == 409)
        // Malformed: 400.
        for bad: JSONValue in ["abc", "1e3", "-1", " 5", .int(5)] { let c = try await put(bad); #expect(c == 400, "\(bad) -> \(c)") }
        #expect(try await admin.get(tier.key)?.metadata.resourceVersion == tier.metadata.resourceVersion)
        // The stored version, or none (an unconditional update, as kubectl replace): 200.
        #expect(try await put(.string(String(tier.metadata.resourceVersion))) == 200)
        #expect(try await put(nil) == 200)
        // Watches: a malformed version is 400, not "from now".
        for bad in ["abc", "1e3", "", "-3"] {
            let (code, _) = try await s.rawText(.GET, "/apis/fog/v1alpha1/tiers?watch=true&resourceVersion=\(bad)", watch: true)
            #expect(code == 400, "resourceVersion=\(bad)")
        }
        await s.shutdown()
    }
}

extension ServerHarness {
    /// A raw request: status code and the body as text. A watch answers with its head and a
    /// stream that does not end: then only the first line is read (or none, on a short wait).
    func rawText(_ method: HTTPMethod, _ path: String, token: String? = "admin-token-1", body: [UInt8]? = nil,
                 watch: Bool = false) async throws -> (Int, String) {
        let response = try await http.execute(request(method, path, token: token, body: body), timeout: .seconds(10))
        if watch && response.status == .ok { return (200, "") }
        let bytes = try await response.body.collect(upTo: 16 << 20)
        return (Int(response.status.code), String(decoding: bytes.readableBytesView, as: UTF8.self))
    }
}

@Suite(.serialized) struct LimitsTests {
    @Test func anAgentWritesOnlyItsKindsStatusFieldsAndNotTooMuch() async throws {
        let s = try await ServerHarness()
        let admin = s.client()
        let node = try await admin.create(object("FogNode", "edge-1", spec: minimalSpecs[0].1))
        let path = "/apis/fog/v1alpha1/fognodes/edge-1/status"
        #expect(try await s.raw(.PATCH, path, token: "agent-edge-1-token", body: JSONCoding.encodeBytes(["lastHeartbeatTime": "2001-01-01T00:00:00Z"])).0 == 200)
        let (unknown, body) = try await s.raw(.PATCH, path, token: "agent-edge-1-token", body: JSONCoding.encodeBytes(["junk": "x"]))
        #expect(unknown == 422)
        #expect(body?["message"]?.stringValue?.contains("status.junk") == true)
        let huge: JSONValue = ["telemetry": ["cpu": ["model": .string(String(repeating: "q", count: ObjectLimits.maxAgentStatusBytes))]]]
        #expect(try await s.raw(.PATCH, path, token: "agent-edge-1-token", body: JSONCoding.encodeBytes(huge)).0 == 413)
        // Controllers (admins) are not bound by the agent's budget, only by the object's.
        #expect(try await s.raw(.PATCH, path, body: JSONCoding.encodeBytes(["scores": ["note": "ok"]])).0 == 200)
        #expect(try await admin.get(node.key)?.status?["junk"] == nil)
        await s.shutdown()
    }

    @Test func anObjectKeepsAtMostFiftyEvents() async throws {
        let dir = try TemporaryDirectory()
        let store = try SQLiteStore(path: dir.file("state.db"))
        let client = EmbeddedClient(store: store)
        let job = try store.create(object("FederatedJob", "j", namespace: "team-a", spec: minimalSpecs[3].1))
        let recorder = EventRecorder(client: client, clock: ManualClock(TestEpoch.date), component: "test")
        for i in 0..<(ObjectLimits.maxEventsPerObject + 10) {
            await recorder.record(job, .normal, reason: "Step", message: "step \(i)")
        }
        let events = try store.list(kind: "Event", namespace: "team-a").items
        #expect(events.count == ObjectLimits.maxEventsPerObject)
        // The newest are kept.
        #expect(events.contains { $0.content["message"] == .string("step \(ObjectLimits.maxEventsPerObject + 9)") })
        #expect(!events.contains { $0.content["message"] == "step 0" })
    }

    /// A recorder counts in memory what it created (a list of the namespace's events per event
    /// made recording quadratic over a fleet): events from before it started (another server, a
    /// restart) are counted at its first trim, so an object holds at most about twice the limit.
    @Test func eventsFromBeforeARestartAreCountedAtTheNextTrim() async throws {
        let dir = try TemporaryDirectory()
        let store = try SQLiteStore(path: dir.file("state.db"))
        let client = EmbeddedClient(store: store)
        let job = try store.create(object("FederatedJob", "j", namespace: "team-a", spec: minimalSpecs[3].1))
        let limit = ObjectLimits.maxEventsPerObject
        let first = EventRecorder(client: client, clock: ManualClock(TestEpoch.date), component: "test")
        for i in 0..<limit { await first.record(job, .normal, reason: "Step", message: "step \(i)") }
        // Restarted: the new recorder has not counted the object's events yet.
        let second = EventRecorder(client: client, clock: ManualClock(TestEpoch.date.addingTimeInterval(60)), component: "test")
        for i in limit..<(2 * limit) { await second.record(job, .normal, reason: "Step", message: "step \(i)") }
        #expect(try store.list(kind: "Event", namespace: "team-a").items.count == 2 * limit)
        await second.record(job, .normal, reason: "Step", message: "step \(2 * limit)")
        let events = try store.list(kind: "Event", namespace: "team-a").items
        #expect(events.count == limit)
        #expect(events.contains { $0.content["message"] == .string("step \(2 * limit)") })
        #expect(!events.contains { $0.content["message"] == .string("step \(limit)") })
    }
}

@Suite(.serialized) struct SlowClientTests {
    /// A raw TCP connection to 127.0.0.1:port (blocking, with a receive timeout as a backstop).
    static func connect(_ port: Int) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var timeout = timeval(tv_sec: 15, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let rc = withUnsafePointer(to: &address) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard rc == 0 else { throw POSIXError(.ECONNREFUSED) }
        return fd
    }

    @Test func aClientThatNeverFinishesItsHeadersIsCutOff() async throws {
        let dir = try TemporaryDirectory()
        let store = try SQLiteStore(path: dir.file("state.db"))
        let server = try await TestServer.start(store: store, directory: dir.path) { $0.requestHeadSeconds = 0.3 }
        let fd = try Self.connect(server.port)
        defer { close(fd) }
        let partial = Array("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ".utf8)
        _ = partial.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
        // The server closes the connection: the read ends (0 bytes), no answer was sent. A
        // server that waited for the rest would leave this read to its 15 s receive timeout (-1).
        var buffer = [UInt8](repeating: 0, count: 256)
        let n = recv(fd, &buffer, buffer.count, 0)
        #expect(n == 0)
        // A client that sends its head at once is served.
        let ok = try Self.connect(server.port)
        defer { close(ok) }
        let request = Array("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n".utf8)
        _ = request.withUnsafeBytes { send(ok, $0.baseAddress, $0.count, 0) }
        let m = recv(ok, &buffer, buffer.count, 0)
        #expect(m > 0 && String(decoding: buffer[0..<max(0, m)], as: UTF8.self).hasPrefix("HTTP/1.1 200"))
        await server.stop()
    }

    @Test func oneUserHoldsABoundedNumberOfWatches() async throws {
        let dir = try TemporaryDirectory()
        let store = try SQLiteStore(path: dir.file("state.db"))
        let server = try await TestServer.start(store: store, directory: dir.path) { $0.maxWatchesPerUser = 2 }
        var held: [Int32] = []
        defer { held.forEach { close($0) } }
        var buffer = [UInt8](repeating: 0, count: 512)
        for i in 0..<3 {
            let fd = try Self.connect(server.port)
            held.append(fd)
            let request = Array("GET /apis/fog/v1alpha1/tiers?watch=true HTTP/1.1\r\nHost: x\r\n\r\n".utf8)
            _ = request.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
            let n = recv(fd, &buffer, buffer.count, 0)
            let head = String(decoding: buffer[0..<max(0, n)], as: UTF8.self)
            #expect(head.hasPrefix(i < 2 ? "HTTP/1.1 200" : "HTTP/1.1 429"), "watch \(i + 1): \(head.prefix(120))")
        }
        await server.stop()
    }
}
