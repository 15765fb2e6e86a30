import AsyncHTTPClient
import FogAPI
import FogClient
import FogManifest
import FogControllers
import FogModel
import FogRemote
import FogServer
import FogStore
import FogTesting
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import ServiceLifecycle
import Testing

/// A real API server on 127.0.0.1 with an ephemeral port, over a temporary store.
final class ServerHarness: @unchecked Sendable {
    let dir = NSTemporaryDirectory() + "fog-srv-" + UUID().uuidString.lowercased()
    let store: SQLiteStore
    let port: Int
    let server: TestServer
    let http = HTTPClient(eventLoopGroupProvider: .singleton)

    static let tokens = """
        tokens:
        - {token: admin-token-1, user: root, role: admin}
        - {token: tenant-a-token, user: team-a, role: tenant, namespaces: [team-a]}
        - {token: agent-edge-1-token, user: edge-1-agent, role: agent, node: edge-1}
        - {sha256: b994b24ad665aa12e2de126ec0de71a49b933e8792fef3a93a09434c438befad, user: hashed, role: admin}
        """

    init(auth: Bool = true, tokens: String = ServerHarness.tokens) async throws {
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        store = try SQLiteStore(path: dir + "/state.db", pollInterval: .milliseconds(50))
        server = try await TestServer.start(store: store, directory: dir, tokens: auth ? tokens : nil,
                                            access: ControllerFamilies.access)
        port = server.port
    }

    var base: String { "http://127.0.0.1:\(port)" }

    func client(_ token: String? = "admin-token-1") -> HTTPFogClient {
        HTTPFogClient(baseURL: base, token: token, registry: SchemaSet.builtIn.registry)
    }

    /// A raw request: status code and body.
    func raw(_ method: HTTPMethod, _ path: String, token: String? = "admin-token-1", body: [UInt8]? = nil) async throws -> (Int, JSONValue?) {
        let response = try await http.execute(request(method, path, token: token, body: body), timeout: .seconds(10))
        let bytes = try await response.body.collect(upTo: 16 << 20)
        return (Int(response.status.code), try? JSONCoding.parse(bytes: Array(bytes.readableBytesView)))
    }

    /// A request to `path` as `token` (none: anonymous).
    func request(_ method: HTTPMethod, _ path: String, token: String?, body: [UInt8]?) -> HTTPClientRequest {
        var request = HTTPClientRequest(url: base + path)
        request.method = method
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        if let body { request.body = .bytes(ByteBuffer(bytes: body)) }
        return request
    }

    func shutdown() async {
        await server.stop()
        try? await http.shutdown()
        try? FileManager.default.removeItem(atPath: dir)
    }
}

func object(_ kind: String, _ name: String, namespace: String = "", spec: JSONValue) -> Resource {
    Resource(kind: kind, metadata: ObjectMeta(name: name, namespace: namespace), content: ["spec": spec])
}

let minimalSpecs: [(String, JSONValue)] = [
    ("FogNode", ["region": "eu-west", "class": "edge", "capacity": ["cpu": 2, "memoryGiB": 4]]),
    ("Tier", ["size": "small", "inference": ["pricePerRequest": ["min": 0.01]], "training": ["pricePerHour": ["min": 1]],
              "deviceClasses": ["mobile"], "sla": ["uptimePercent": 95]]),
    ("PrivacyPolicy", ["level": "low"]),
    ("FederatedJob", ["type": "training", "tier": "small", "data": ["dataset": "digits"]]),
    ("Auction", ["participantsWanted": 3]),
    ("Bid", ["auction": "a", "node": "edge-1", "price": 1.5]),
    ("HarvestPolicy", [:]),
    ("CircuitPool", [:]),
    ("GitSource", ["url": "https://example.com/fleet.git"]),
]

@Suite(.serialized) struct ServerTests {
    @Test func crudForEveryKind() async throws {
        let s = try await ServerHarness()
        let c = s.client()
        for (kind, spec) in minimalSpecs {
            let namespaced = SchemaSet.builtIn.registry.info(forKind: kind)!.namespaced
            let o = object(kind, "x-\(kind.lowercased())", namespace: namespaced ? "team-a" : "", spec: spec)
            let created = try await c.create(o)
            #expect(created.metadata.generation == 1 && !created.metadata.uid.isEmpty, "\(kind)")
            var fetched = try #require(try await c.get(o.key))
            #expect(fetched == created)
            fetched.metadata.labels = ["changed": "yes"]
            fetched.spec?["unused"] = nil
            let updated = try await c.update(fetched)
            #expect(updated.metadata.labels == ["changed": "yes"])
            var withStatus = updated
            withStatus.status = ["note": "hello"]
            let statusWritten = try await c.updateStatus(withStatus)
            #expect(statusWritten.status?["note"] == .string("hello"))
            let list = try await c.list(kind: kind, namespace: namespaced ? "team-a" : nil, selector: try LabelSelector.parse("changed=yes"))
            #expect(list.items.map(\.name) == [o.name])
            guard case .deleted = try await c.delete(o.key) else { Issue.record("\(kind) not deleted"); continue }
            #expect(try await c.get(o.key) == nil)
        }
        await s.shutdown()
    }

    @Test func staleWritesAreConflictsAndInvalidObjectsAre422() async throws {
        let s = try await ServerHarness()
        let c = s.client()
        let t = try await c.create(object("Tier", "t", spec: minimalSpecs[1].1))
        var first = t
        first.spec?["size"] = "medium"
        _ = try await c.update(first)
        var stale = t
        stale.spec?["size"] = "large"
        await #expect { try await c.update(stale) } throws: { ($0 as? StoreError)?.code == .conflict }
        let (code409, body409) = try await s.raw(.PUT, "/apis/fog/v1alpha1/tiers/t", body: JSONCoding.encodeBytes(stale.json))
        #expect(code409 == 409)
        #expect(body409?["reason"] == .string("Conflict"))

        let bad = Array(#"{"apiVersion":"fog/v1alpha1","kind":"Tier","metadata":{"name":"bad"},"spec":{"size":"huge","sla":{"uptimePercent":250},"extra":1}}"#.utf8)
        let (code, body) = try await s.raw(.POST, "/apis/fog/v1alpha1/tiers", body: bad)
        #expect(code == 422)
        #expect(body?["kind"] == .string("Status") && body?["reason"] == .string("Invalid"))
        let fields = Set((body?["details"]?["causes"]?.arrayValue ?? []).compactMap { $0["field"]?.stringValue })
        #expect(fields.isSuperset(of: ["spec.size", "spec.sla.uptimePercent", "spec.extra", "spec.deviceClasses"]))
        await s.shutdown()
    }

    @Test func malformedOversizedAndUnknownRequests() async throws {
        let s = try await ServerHarness()
        #expect(try await s.raw(.POST, "/apis/fog/v1alpha1/tiers", body: Array("{not json".utf8)).0 == 400)
        let big = Array(repeating: UInt8(ascii: " "), count: ObjectLimits.maxObjectBytes + 10)
        let (code, body) = try await s.raw(.POST, "/apis/fog/v1alpha1/tiers", body: big)
        #expect(code == 413)
        #expect(body?["reason"] == .string("RequestEntityTooLarge"))
        #expect(try await s.raw(.GET, "/apis/fog/v1alpha1/pods").0 == 404)
        #expect(try await s.raw(.GET, "/nowhere").0 == 404)
        #expect(try await s.raw(.GET, "/apis/fog/v1alpha1/namespaces/x/tiers").0 == 404)
        #expect(try await s.raw(.PATCH, "/apis/fog/v1alpha1/tiers/x").0 == 400)
        #expect(try await s.raw(.GET, "/healthz", token: nil).0 == 200)
        #expect(try await s.raw(.GET, "/metrics", token: nil).0 == 401)
        var request = HTTPClientRequest(url: s.base + "/metrics")
        request.headers.add(name: "Authorization", value: "Bearer admin-token-1")
        let response = try await s.http.execute(request, timeout: .seconds(10))
        let text = String(buffer: try await response.body.collect(upTo: 1 << 20))
        #expect(text.contains(#"fog_api_requests_total{verb="create",kind="tiers",code="413"} 1"#), "\(text)")
        #expect(text.contains("fog_api_request_duration_seconds_bucket"))
        #expect(text.contains("fog_api_watches 0"))
        await s.shutdown()
    }

    @Test func watchFromARevisionResumesWithoutGapsAndReportsCompaction() async throws {
        let s = try await ServerHarness()
        let c = s.client()
        for i in 0..<3 { _ = try await c.create(object("Tier", "t\(i)", spec: minimalSpecs[1].1)) }
        var seen: [Int64] = []
        var iterator = c.watch(kind: "Tier", namespace: nil, from: 0).makeAsyncIterator()
        while seen.count < 3, let e = try await iterator.next() { if e.object != nil { seen.append(e.revision) } }
        #expect(seen == [1, 2, 3])
        // Disconnect, write more, resume from the last revision seen.
        iterator = c.watch(kind: "GitSource", namespace: nil, from: 0).makeAsyncIterator()
        _ = try await c.create(object("Tier", "t3", spec: minimalSpecs[1].1))
        var resumed = c.watch(kind: "Tier", namespace: nil, from: seen.last!).makeAsyncIterator()
        _ = try await c.delete(ObjectKey(kind: "Tier", namespace: "", name: "t0"))
        var after: [String] = []
        while after.count < 2, let e = try await resumed.next() {
            if let o = e.object { after.append("\(e.typeName) \(o.name)") }
        }
        #expect(after == ["ADDED t3", "DELETED t0"])
        // A compacted revision: 410 Gone, then re-list.
        try s.store.compact(before: 5)
        let (code, body) = try await s.raw(.GET, "/apis/fog/v1alpha1/tiers?watch=true&resourceVersion=1")
        #expect(code == 410)
        #expect(body?["reason"] == .string("Expired"))
        var gone = c.watch(kind: "Tier", namespace: nil, from: 1).makeAsyncIterator()
        await #expect { _ = try await gone.next() } throws: { ($0 as? StoreError)?.code == .compacted }
        let relist = try await c.list(kind: "Tier", namespace: nil, selector: LabelSelector())
        #expect(relist.items.map(\.name) == ["t1", "t2", "t3"])
        await s.shutdown()
    }

    @Test func authorizationMatrix() async throws {
        let s = try await ServerHarness()
        let admin = s.client()
        _ = try await admin.create(object("FogNode", "edge-1", spec: minimalSpecs[0].1))
        _ = try await admin.create(object("FogNode", "edge-2", spec: minimalSpecs[0].1))
        _ = try await admin.create(object("Tier", "small", spec: minimalSpecs[1].1))
        _ = try await admin.create(object("GitSource", "b-repo", namespace: "team-b", spec: minimalSpecs[8].1))
        let git = minimalSpecs[8].1
        func code(_ m: HTTPMethod, _ p: String, _ t: String?, _ body: Resource? = nil) async throws -> Int {
            try await s.raw(m, p, token: t, body: body.map { JSONCoding.encodeBytes($0.json) }).0
        }
        let tenant = "tenant-a-token", agent = "agent-edge-1-token"
        // Unauthenticated: 401 everywhere but health.
        #expect(try await code(.GET, "/apis/fog/v1alpha1/tiers", nil) == 401)
        #expect(try await code(.GET, "/apis/fog/v1alpha1/tiers", "wrong-token-xyz") == 401)
        #expect(try await code(.POST, "/apis/fog/v1alpha1/namespaces/team-a/gitsources", nil, object("GitSource", "x", namespace: "team-a", spec: git)) == 401)
        // Tenant: its namespace only; cluster-scoped kinds read-only; kinds no family serves to
        // tenants yet (GitSource) are the admins'.
        let job = minimalSpecs[3].1
        #expect(try await code(.POST, "/apis/fog/v1alpha1/namespaces/team-a/federatedjobs", tenant, object("FederatedJob", "a-job", namespace: "team-a", spec: job)) == 201)
        #expect(try await code(.GET, "/apis/fog/v1alpha1/namespaces/team-a/federatedjobs/a-job", tenant) == 200)
        #expect(try await code(.DELETE, "/apis/fog/v1alpha1/namespaces/team-a/federatedjobs/a-job", tenant) == 200)
        #expect(try await code(.POST, "/apis/fog/v1alpha1/namespaces/team-a/gitsources", tenant, object("GitSource", "a-repo", namespace: "team-a", spec: git)) == 403)
        #expect(try await code(.POST, "/apis/fog/v1alpha1/namespaces/team-b/gitsources", tenant, object("GitSource", "x", namespace: "team-b", spec: git)) == 403)
        #expect(try await code(.GET, "/apis/fog/v1alpha1/namespaces/team-b/gitsources/b-repo", tenant) == 403)
        #expect(try await code(.GET, "/apis/fog/v1alpha1/namespaces/team-b/gitsources", tenant) == 403)
        #expect(try await code(.DELETE, "/apis/fog/v1alpha1/namespaces/team-b/gitsources/b-repo", tenant) == 403)
        #expect(try await code(.GET, "/apis/fog/v1alpha1/gitsources", tenant) == 403)  // all namespaces
        #expect(try await code(.GET, "/apis/fog/v1alpha1/tiers/small", tenant) == 200)
        #expect(try await code(.GET, "/apis/fog/v1alpha1/tiers", tenant) == 200)
        #expect(try await code(.POST, "/apis/fog/v1alpha1/tiers", tenant, object("Tier", "mine", spec: minimalSpecs[1].1)) == 403)
        #expect(try await code(.DELETE, "/apis/fog/v1alpha1/tiers/small", tenant) == 403)
        // Agent: its own node's status only; bids as its node.
        var own = try #require(try await admin.get(ObjectKey(kind: "FogNode", namespace: "", name: "edge-1")))
        own.status = ["lastHeartbeatTime": "2026-11-22T10:00:00Z"]
        #expect(try await code(.PUT, "/apis/fog/v1alpha1/fognodes/edge-1/status", agent, own) == 200)
        #expect(try await code(.GET, "/apis/fog/v1alpha1/fognodes/edge-1", agent) == 200)
        var other = try #require(try await admin.get(ObjectKey(kind: "FogNode", namespace: "", name: "edge-2")))
        other.status = ["lastHeartbeatTime": "2026-11-22T10:00:00Z"]
        #expect([403, 404].contains(try await code(.PUT, "/apis/fog/v1alpha1/fognodes/edge-2/status", agent, other)))
        #expect([403, 404].contains(try await code(.GET, "/apis/fog/v1alpha1/fognodes/edge-2", agent)))
        #expect(try await code(.PUT, "/apis/fog/v1alpha1/fognodes/edge-1", agent, own) == 403)  // spec is not the agent's
        #expect(try await code(.DELETE, "/apis/fog/v1alpha1/fognodes/edge-1", agent) == 403)
        #expect(try await code(.GET, "/apis/fog/v1alpha1/fognodes", agent) == 403)
        #expect(try await code(.GET, "/apis/fog/v1alpha1/namespaces/team-a/gitsources", agent) == 403)
        #expect(try await code(.POST, "/apis/fog/v1alpha1/namespaces/team-a/bids", agent,
                               object("Bid", "edge-1-bid", namespace: "team-a", spec: ["auction": "a1", "node": "edge-1", "price": 2])) == 201)
        #expect(try await code(.POST, "/apis/fog/v1alpha1/namespaces/team-a/bids", agent,
                               object("Bid", "forged", namespace: "team-a", spec: ["auction": "a1", "node": "edge-2", "price": 1])) == 403)
        // Sealed bids: while auction a1 is open only the bidder and admins see them.
        _ = try await admin.create(object("Auction", "a1", namespace: "team-a", spec: ["participantsWanted": 1]))
        #expect(try await code(.GET, "/apis/fog/v1alpha1/namespaces/team-a/bids/edge-1-bid", agent) == 200)
        #expect(try await code(.GET, "/apis/fog/v1alpha1/namespaces/team-a/bids/edge-1-bid", "admin-token-1") == 200)
        #expect(try await code(.GET, "/apis/fog/v1alpha1/namespaces/team-a/bids/edge-1-bid", tenant) == 404)
        let (_, sealedList) = try await s.raw(.GET, "/apis/fog/v1alpha1/namespaces/team-a/bids", token: tenant)
        #expect(sealedList?["items"]?.arrayValue?.isEmpty == true)
        var auction = try #require(try await admin.get(ObjectKey(kind: "Auction", namespace: "team-a", name: "a1")))
        auction.status = ["phase": "Closed"]
        _ = try await admin.updateStatus(auction)
        #expect(try await code(.GET, "/apis/fog/v1alpha1/namespaces/team-a/bids/edge-1-bid", tenant) == 200)
        // A token given as its SHA-256 in the file authenticates too.
        #expect(try await code(.GET, "/apis/fog/v1alpha1/tiers", "hashed-token-1") == 200)
        #expect(try await code(.GET, "/apis/fog/v1alpha1/tiers", "hashed-token-2") == 401)
        await s.shutdown()
    }

    @Test func anUnauthenticatedServerRefusesNonLoopbackAddresses() throws {
        let dir = NSTemporaryDirectory() + "fog-srv-" + UUID().uuidString.lowercased()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let store = try SQLiteStore(path: dir + "/s.db")
        var config = APIServer.Configuration()
        config.access = ControllerFamilies.access
        config.host = "0.0.0.0"
        #expect(throws: AuthError.self) { try APIServer(store: store, configuration: config, logger: Logger(label: "t")) }
        config.host = "127.0.0.1"
        #expect(throws: Never.self) { try APIServer(store: store, configuration: config, logger: Logger(label: "t")) }
    }

    /// Open watches end with the server's graceful shutdown instead of holding it until their
    /// idle timeout (60 s). The bound leaves room for a loaded machine (1.3 s was seen while the
    /// whole suite ran); the point is seconds, not a minute.
    @Test func gracefulShutdownEndsOpenWatchesPromptly() async throws {
        let s = try await ServerHarness()
        let c = s.client()
        var watches: [AsyncThrowingStream<WatchEvent, Error>.AsyncIterator] = []
        for _ in 0..<3 { watches.append(c.watch(kind: "Tier", namespace: nil, from: 0).makeAsyncIterator()) }
        _ = try await c.create(object("Tier", "t", spec: minimalSpecs[1].1))
        for i in watches.indices { _ = try await watches[i].next() }  // each stream is open and delivering
        let start = ContinuousClock.now
        await s.server.stop()
        #expect(ContinuousClock.now - start < .seconds(5))
        for i in watches.indices {
            do { while try await watches[i].next() != nil {} } catch {}
        }
        #expect(ContinuousClock.now - start < .seconds(5))
        try? await s.http.shutdown()
    }

    @Test func applyEndpointIsAllOrNothingWithDryRun() async throws {
        let s = try await ServerHarness()
        let c = s.client()
        let objects = try ManifestDecoder().decode(try ManifestInput.load(paths: [repoRootForServer + "/examples/quickstart/tiers.yaml"], recursive: false)).map(\.resource)
        let dry = try await c.apply(objects, dryRun: true)
        #expect(dry.map(\.action) == Array(repeating: .created, count: 4))
        #expect(try await c.list(kind: "Tier", namespace: nil, selector: LabelSelector()).items.isEmpty)
        #expect(try await c.apply(objects, dryRun: false).map(\.action) == Array(repeating: .created, count: 4))
        #expect(try await c.apply(objects, dryRun: false).map(\.action) == Array(repeating: .unchanged, count: 4))
        // The tenant may not write cluster-scoped tiers through apply either.
        await #expect { try await s.client("tenant-a-token").apply(objects, dryRun: false) } throws: { ($0 as? AuthError)?.code == .forbidden }
        await s.shutdown()
    }
}

@Suite struct BlobTests {
    @Test func blobsAreContentAddressedVerifiedAndStreamed() async throws {
        let s = try await ServerHarness()
        let payload = Array((0..<300_000).map { UInt8(truncatingIfNeeded: $0 &* 31) })
        let digest = BlobStore.digest(of: payload)
        let path = "/blobs/" + digest
        #expect(try await s.raw(.GET, path).0 == 404)
        #expect(try await s.raw(.PUT, path, body: payload).0 == 201)
        #expect(try await s.raw(.PUT, path, body: payload).0 == 200)  // already there
        // A body that does not match its name is refused.
        let wrong = try await s.raw(.PUT, "/blobs/sha256:" + String(repeating: "0", count: 64), body: payload)
        #expect(wrong.0 == 400)
        #expect(wrong.1?["message"]?.stringValue?.contains("digest mismatch") == true)
        #expect(try await s.raw(.PUT, "/blobs/md5:abc", body: payload).0 == 400)
        #expect(try await s.raw(.PUT, path, token: "tenant-a-token", body: payload).0 == 403)
        #expect(try await s.raw(.GET, path, token: nil).0 == 401)
        var request = HTTPClientRequest(url: s.base + path)
        request.headers.add(name: "Authorization", value: "Bearer agent-edge-1-token")
        let response = try await s.http.execute(request, timeout: .seconds(10))
        #expect(response.status == .ok)
        let body = try await response.body.collect(upTo: 1 << 20)
        #expect(Array(body.readableBytesView) == payload)
        await s.shutdown()
    }
}

let repoRootForServer: String = {
    var url = URL(fileURLWithPath: #filePath)
    for _ in 0..<3 { url.deleteLastPathComponent() }
    return url.path
}()

@Suite(.serialized) struct AuthorizationMatrixTests {
    /// Heartbeats in batches: one `statuspatches` request for many nodes, answered without the
    /// objects under `Prefer: return=minimal`, all or nothing, and counted per node in /metrics.
    @Test func batchedStatusPatchesAnswerMinimallyWhenAskedAndAreCountedPerObject() async throws {
        let h = try await ServerHarness()
        let admin = h.client()
        for name in ["edge-1", "edge-2", "edge-3"] {
            _ = try await admin.create(object("FogNode", name, spec: ["region": "eu-west", "class": "edge", "capacity": ["cpu": 4, "memoryGiB": 8]]))
        }
        func beat(_ name: String, _ rtt: Double) -> StatusPatch {
            StatusPatch(key: ObjectKey(kind: "FogNode", namespace: "", name: name), patch: ["lastHeartbeatTime": "2026-11-22T10:00:00Z", "telemetry": ["rttMillis": .double(rtt)]])
        }
        try await admin.sendStatusPatches([beat("edge-1", 1), beat("edge-2", 2), beat("edge-3", 3)])
        for (name, rtt) in [("edge-1", 1.0), ("edge-2", 2.0), ("edge-3", 3.0)] {
            #expect(try h.store.get(ObjectKey(kind: "FogNode", namespace: "", name: name))?.status?["telemetry"]?["rttMillis"] == .double(rtt))
        }
        // Asked for a minimal answer: each item is the object's kind, name and new resourceVersion.
        func post(_ patches: [StatusPatch], prefer: String?) async throws -> (Int, String?, JSONValue?) {
            var request = h.request(.POST, "/apis/fog/v1alpha1/statuspatches", token: "admin-token-1", body: JSONCoding.encodeBytes(StatusPatch.batchJSON(patches)))
            request.headers.add(name: "Content-Type", value: "application/json")
            if let prefer { request.headers.add(name: "Prefer", value: prefer) }
            let response = try await h.http.execute(request, timeout: .seconds(10))
            let bytes = try await response.body.collect(upTo: 1 << 20)
            return (Int(response.status.code), response.headers.first(name: "Preference-Applied"), try? JSONCoding.parse(bytes: Array(bytes.readableBytesView)))
        }
        let (code, applied, minimal) = try await post([beat("edge-1", 4), beat("edge-2", 5)], prefer: "respond-async, return=minimal")
        #expect(code == 200)
        #expect(applied == "return=minimal")
        let items = minimal?["items"]?.arrayValue ?? []
        #expect(items.count == 2)
        let stored = try h.store.get(ObjectKey(kind: "FogNode", namespace: "", name: "edge-2"))
        #expect(items.last == ["kind": "FogNode", "metadata": ["name": "edge-2", "resourceVersion": .string(String(stored?.metadata.resourceVersion ?? -1))]])
        // Without the preference: the whole objects, as before.
        let (_, none, full) = try await post([beat("edge-3", 6)], prefer: nil)
        #expect(none == nil)
        #expect(full?["items"]?.arrayValue?.first?["status"]?["telemetry"]?["rttMillis"] == 6.0)
        // All or nothing: a batch naming a missing node writes none of its patches.
        let (missing, _, _) = try await post([beat("edge-1", 7), beat("nope", 7)], prefer: "return=minimal")
        #expect(missing == 404)
        #expect(try h.store.get(ObjectKey(kind: "FogNode", namespace: "", name: "edge-1"))?.status?["telemetry"]?["rttMillis"] == 4.0)
        // Counted per object written: 3 + 2 + 1 FogNode patches, and one alone.
        _ = try await admin.patchStatus(ObjectKey(kind: "FogNode", namespace: "", name: "edge-1"), ["telemetry": ["rttMillis": 8.0]])
        var request = h.request(.GET, "/metrics", token: "admin-token-1", body: nil)
        request.headers.add(name: "Accept", value: "text/plain")
        let text = String(buffer: try await h.http.execute(request, timeout: .seconds(10)).body.collect(upTo: 1 << 20))
        #expect(text.contains(#"fog_api_status_patches_total{kind="fognodes"} 7"#), "\(text)")
        try await admin.shutdown()
        await h.shutdown()
    }

    @Test func statusPatchesMergeAndAgentsPatchOnlyTheirOwnNode() async throws {
        let h = try await ServerHarness()
        let admin = h.client()
        _ = try await admin.create(object("FogNode", "edge-1", spec: ["region": "eu-west", "class": "edge", "capacity": ["cpu": 4, "memoryGiB": 8]]))
        _ = try await admin.create(object("FogNode", "edge-2", spec: ["region": "eu-west", "class": "edge", "capacity": ["cpu": 4, "memoryGiB": 8]]))
        let agent = h.client("agent-edge-1-token")
        let key = ObjectKey(kind: "FogNode", namespace: "", name: "edge-1")
        let first = try await agent.patchStatus(key, ["lastHeartbeatTime": "2026-11-22T10:00:00Z", "telemetry": ["rttMillis": 1.5]])
        #expect(first.status?["telemetry"]?["rttMillis"] == 1.5)
        let second = try await agent.patchStatus(key, ["telemetry": ["rttMillis": nil, "idleSeconds": 30.0]])
        #expect(second.status?["telemetry"] == ["idleSeconds": 30.0])
        #expect(second.status?["lastHeartbeatTime"] == "2026-11-22T10:00:00Z")
        // Another node's status: forbidden; a missing node: 404.
        await #expect(throws: StoreError.self) {
            try await agent.patchStatus(ObjectKey(kind: "FogNode", namespace: "", name: "edge-2"), ["x": 1])
        }
        let (forbidden, _) = try await h.raw(.PATCH, "/apis/fog/v1alpha1/fognodes/edge-2/status", token: "agent-edge-1-token", body: Array("{}".utf8))
        #expect(forbidden == 404 || forbidden == 403)
        let (missing, _) = try await h.raw(.PATCH, "/apis/fog/v1alpha1/fognodes/nope/status", body: Array("{}".utf8))
        #expect(missing == 404)
        // A patch must be a JSON object, and JSON.
        let (notObject, body) = try await h.raw(.PATCH, "/apis/fog/v1alpha1/fognodes/edge-1/status", body: Array("[1,2]".utf8))
        #expect(notObject == 400)
        #expect(body?["message"]?.stringValue?.contains("JSON object") == true)
        let (malformed, _) = try await h.raw(.PATCH, "/apis/fog/v1alpha1/fognodes/edge-1/status", body: Array("{oops".utf8))
        #expect(malformed == 400)
        // Only status can be patched.
        let (specPatch, _) = try await h.raw(.PATCH, "/apis/fog/v1alpha1/fognodes/edge-1", body: Array("{}".utf8))
        #expect(specPatch == 400)
        try await admin.shutdown()
        try await agent.shutdown()
        await h.shutdown()
    }
}
