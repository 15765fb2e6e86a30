import AsyncHTTPClient
import FogAPI
import FogClient
import FogModel
import FogStore
import Foundation
import NIOCore
import NIOHTTP1

/// The client protocol over HTTP to `fogctl server`: the same calls, the same
/// errors (the server's Kubernetes-style Status bodies become the typed errors the
/// embedded store throws: `StoreError`, `AdmissionError`, `AuthError`, `TransportError`).
public final class HTTPFogClient: FogClient, @unchecked Sendable {
    public let baseURL: String
    let token: String?
    let http: HTTPClient
    let registry: KindRegistry
    let timeout: TimeAmount

    public init(baseURL: String, token: String?, registry: KindRegistry, timeout: TimeAmount = .seconds(30)) {
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.token = token
        self.registry = registry
        self.timeout = timeout
        // Watches are long-lived requests: one connection each. The default (8 per host)
        // would queue a controller manager's informers behind one another.
        var config = HTTPClient.Configuration()
        config.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: 512)
        // A server that is not there should say so in about a second, not after the default 10 s.
        config.timeout = .init(connect: Self.connectTimeout)
        http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: config)
    }

    deinit { http.shutdownWithoutWaiting() }

    public func shutdown() async throws { try await http.shutdown() }

    /// How long connecting to the server may take.
    public static let connectTimeout: TimeAmount = .seconds(1)

    /// What went wrong reaching the server, in words rather than a socket error's dump.
    static func describe(connectionError error: Error) -> String {
        if let e = error as? HTTPClientError {
            if e == .connectTimeout { return "no connection within \(connectTimeout.nanoseconds / 1_000_000_000) s (is the address right, and the server up?)" }
            if e == .deadlineExceeded { return "no answer in time" }
            if e == .remoteConnectionClosed { return "the server closed the connection" }
        }
        let text = "\(error)"
        if text.contains("connectionRefused") || text.contains("Connection refused") || text.contains("ECONNREFUSED") {
            return "connection refused (is `fogctl server` running and listening there?)"
        }
        return text
    }

    /// The readiness rule of each kind, as the server's discovery document serves them (the
    /// rules of the controller families the server carries).
    public func readinessRules() async throws -> [String: ReadinessRule] {
        let discovery = try await send(.GET, "\(baseURL)/apis/fog/v1alpha1")
        var rules: [String: ReadinessRule] = [:]
        for r in discovery["resources"]?.arrayValue ?? [] {
            if let kind = r["kind"]?.stringValue, let rule = r["readiness"]?.stringValue.flatMap(ReadinessRule.init(rawValue:)) { rules[kind] = rule }
        }
        return rules
    }

    func collection(_ kind: String, _ namespace: String?) throws -> String {
        guard let info = registry.info(forKind: kind) else { throw StoreError(.notFound, "unknown kind \(kind)") }
        if info.namespaced, let namespace { return "\(baseURL)/apis/fog/v1alpha1/namespaces/\(namespace)/\(info.plural)" }
        return "\(baseURL)/apis/fog/v1alpha1/\(info.plural)"
    }

    func item(_ key: ObjectKey) throws -> String {
        try collection(key.kind, key.namespace.isEmpty ? nil : key.namespace) + "/" + key.name
    }

    func send(_ method: HTTPMethod, _ url: String, body: JSONValue? = nil, contentType: String = "application/json",
              headers: [(String, String)] = []) async throws -> JSONValue {
        var request = HTTPClientRequest(url: url)
        request.method = method
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body {
            request.headers.add(name: "Content-Type", value: contentType)
            request.body = .bytes(ByteBuffer(bytes: JSONCoding.encodeBytes(body)))
        }
        let response: HTTPClientResponse
        do { response = try await http.execute(request, timeout: timeout) } catch {
            throw TransportError(.unavailable, "cannot reach the server at \(baseURL): \(Self.describe(connectionError: error))")
        }
        let bytes = try await response.body.collect(upTo: 256 << 20)
        let value = try? JSONCoding.parse(bytes: Array(bytes.readableBytesView))
        guard (200..<300).contains(Int(response.status.code)) else { throw Self.error(value, status: Int(response.status.code)) }
        guard let value else { throw StoreError(.storage, "the server sent a body that is not JSON") }
        return value
    }

    static func error(_ body: JSONValue?, status: Int) -> any FogAPIError {
        fogAPIError(reason: body?["reason"]?.stringValue, httpStatus: status, message: body?["message"]?.stringValue ?? "HTTP \(status)")
    }

    public func get(_ key: ObjectKey) async throws -> Resource? {
        do { return try Resource(json: try await send(.GET, try item(key))) } catch let e as StoreError where e.code == .notFound {
            return nil
        }
    }

    public func list(kind: String, namespace: String?, selector: LabelSelector) async throws -> ObjectList {
        var url = try collection(kind, namespace)
        if !selector.isEmpty { url += "?labelSelector=" + Self.escape(selector.description) }
        let body = try await send(.GET, url)
        let items = try (body["items"]?.arrayValue ?? []).map(Resource.init(json:))
        let revision = body["metadata"]?["resourceVersion"]?.stringValue.flatMap { Int64($0) } ?? 0
        return ObjectList(items: items, revision: revision)
    }

    public func create(_ object: Resource) async throws -> Resource {
        try Resource(json: try await send(.POST, try collection(object.kind, object.namespace.isEmpty ? nil : object.namespace), body: object.json))
    }

    public func update(_ object: Resource) async throws -> Resource {
        try Resource(json: try await send(.PUT, try item(object.key), body: object.json))
    }

    /// A JSON merge patch of the object's metadata and spec, applied by the server to its latest
    /// version (validated as an update is).
    public func patch(_ key: ObjectKey, _ patch: JSONValue) async throws -> Resource {
        try Resource(json: try await send(.PATCH, try item(key), body: patch, contentType: "application/merge-patch+json"))
    }

    public func updateStatus(_ object: Resource) async throws -> Resource {
        try Resource(json: try await send(.PUT, try item(object.key) + "/status", body: object.json))
    }

    public func patchStatus(_ key: ObjectKey, _ patch: JSONValue) async throws -> Resource {
        try Resource(json: try await send(.PATCH, try item(key) + "/status", body: patch, contentType: "application/merge-patch+json"))
    }

    public func putBlob(_ bytes: [UInt8]) async throws -> String {
        let digest = BlobStore.digest(of: bytes)
        var request = HTTPClientRequest(url: "\(baseURL)/blobs/\(digest)")
        request.method = .PUT
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        request.body = .bytes(ByteBuffer(bytes: bytes))
        let response: HTTPClientResponse
        do { response = try await http.execute(request, timeout: timeout) } catch {
            throw TransportError(.unavailable, "cannot reach the server at \(baseURL): \(Self.describe(connectionError: error))")
        }
        let body = try await response.body.collect(upTo: 1 << 20)
        guard (200..<300).contains(Int(response.status.code)) else {
            throw Self.error(try? JSONCoding.parse(bytes: Array(body.readableBytesView)), status: Int(response.status.code))
        }
        return digest
    }

    public func getBlob(_ digest: String) async throws -> [UInt8] {
        var request = HTTPClientRequest(url: "\(baseURL)/blobs/\(digest)")
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        let response: HTTPClientResponse
        do { response = try await http.execute(request, timeout: timeout) } catch {
            throw TransportError(.unavailable, "cannot reach the server at \(baseURL): \(Self.describe(connectionError: error))")
        }
        let body = try await response.body.collect(upTo: 1 << 30)
        guard response.status.code == 200 else {
            throw Self.error(try? JSONCoding.parse(bytes: Array(body.readableBytesView)), status: Int(response.status.code))
        }
        return Array(body.readableBytesView)
    }

    public func patchStatuses(_ patches: [StatusPatch]) async throws -> [Resource] {
        let body = StatusPatch.batchJSON(patches)
        let result = try await send(.POST, "\(baseURL)/apis/fog/v1alpha1/statuspatches", body: body)
        return try (result["items"]?.arrayValue ?? []).map { try Resource(json: $0) }
    }

    /// The same request, answered without the objects (`Prefer: return=minimal`, RFC 7240).
    public func sendStatusPatches(_ patches: [StatusPatch]) async throws {
        _ = try await send(.POST, "\(baseURL)/apis/fog/v1alpha1/statuspatches", body: StatusPatch.batchJSON(patches),
                           headers: [("Prefer", "return=minimal")])
    }

    public func delete(_ key: ObjectKey) async throws -> DeleteOutcome {
        try await delete(key, propagation: .background)
    }

    public func delete(_ key: ObjectKey, propagation: DeletePropagation) async throws -> DeleteOutcome {
        var request = HTTPClientRequest(url: try item(key) + "?propagationPolicy=\(propagation.rawValue)")
        request.method = .DELETE
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        let response = try await http.execute(request, timeout: timeout)
        let bytes = try await response.body.collect(upTo: 16 << 20)
        let value = try? JSONCoding.parse(bytes: Array(bytes.readableBytesView))
        switch response.status.code {
        case 200: return .deleted(try Resource(json: value ?? .null))
        case 202: return .markedForDeletion(try Resource(json: value ?? .null))
        default: throw Self.error(value, status: Int(response.status.code))
        }
    }

    public func apply(_ objects: [Resource], dryRun: Bool) async throws -> [ApplyOutcome] {
        let body: JSONValue = ["apiVersion": .string(fogAPIVersion), "kind": "List", "items": .array(objects.map(\.json))]
        let result = try await send(.POST, "\(baseURL)/apis/fog/v1alpha1/apply" + (dryRun ? "?dryRun=true" : ""), body: body)
        return try (result["items"]?.arrayValue ?? []).map { item in
            ApplyOutcome(action: ApplyAction(rawValue: item["action"]?.stringValue ?? "") ?? .unchanged,
                         object: try Resource(json: item["object"] ?? .null))
        }
    }

    /// `POST /apply` with a `prune` list beside the items: the server applies and deletes in one transaction.
    public func apply(_ objects: [Resource], prune: [ObjectKey], dryRun: Bool) async throws -> ApplyPruneOutcome {
        let body: JSONValue = ["apiVersion": .string(fogAPIVersion), "kind": "List", "items": .array(objects.map(\.json)),
                               "prune": .array(prune.map { ["kind": .string($0.kind), "namespace": .string($0.namespace), "name": .string($0.name)] })]
        let result = try await send(.POST, "\(baseURL)/apis/fog/v1alpha1/apply" + (dryRun ? "?dryRun=true" : ""), body: body)
        let applied = try (result["items"]?.arrayValue ?? []).map { item in
            ApplyOutcome(action: ApplyAction(rawValue: item["action"]?.stringValue ?? "") ?? .unchanged,
                         object: try Resource(json: item["object"] ?? .null))
        }
        let pruned = try (result["pruned"]?.arrayValue ?? []).map { item -> DeleteOutcome in
            let object = try Resource(json: item["object"] ?? .null)
            return item["action"]?.stringValue == "marked" ? .markedForDeletion(object) : .deleted(object)
        }
        return ApplyPruneOutcome(applied: applied, pruned: pruned)
    }

    public func reviewAccess(_ question: AccessQuestion) async throws -> AccessAnswer {
        var spec: [String: JSONValue] = ["verb": .string(question.verb), "resource": .string(question.resource)]
        if let ns = question.namespace { spec["namespace"] = .string(ns) }
        if let name = question.name { spec["name"] = .string(name) }
        let body = try await send(.POST, "\(baseURL)/apis/fog/v1alpha1/selfsubjectaccessreviews",
                                  body: ["kind": "SelfSubjectAccessReview", "apiVersion": .string(fogAPIVersion), "spec": .object(spec)])
        return AccessAnswer(allowed: body["status"]?["allowed"]?.boolValue ?? false, user: body["status"]?["user"]?.stringValue ?? "",
                            reason: body["status"]?["reason"]?.stringValue ?? "")
    }

    /// The server's build and API version (`GET /version`, which needs no token).
    public func serverVersion() async throws -> (version: String, apiVersion: String) {
        let body = try await send(.GET, "\(baseURL)/version")
        return (body["version"]?.stringValue ?? "unknown", body["apiVersion"]?.stringValue ?? "unknown")
    }

    public func currentRevision() async throws -> Int64 {
        let body = try await send(.GET, "\(baseURL)/apis/fog/v1alpha1")
        return body["metadata"]?["resourceVersion"]?.stringValue.flatMap { Int64($0) } ?? 0
    }

    public func watch(kind: String?, namespace: String?, from revision: Int64) -> AsyncThrowingStream<WatchEvent, Error> {
        AsyncThrowingStream { continuation in
            let task = Task { [self] in
                do {
                    guard let kind else { throw AdmissionError(.badRequest, "a remote watch needs a kind") }
                    var request = HTTPClientRequest(url: try collection(kind, namespace) + "?watch=true&resourceVersion=\(revision)")
                    if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
                    let response = try await http.execute(request, timeout: .hours(24 * 365))
                    guard response.status == .ok else {
                        let bytes = try await response.body.collect(upTo: 1 << 20)
                        throw Self.error(try? JSONCoding.parse(bytes: Array(bytes.readableBytesView)), status: Int(response.status.code))
                    }
                    var pending: [UInt8] = []
                    for try await chunk in response.body {
                        pending.append(contentsOf: chunk.readableBytesView)
                        while let newline = pending.firstIndex(of: 0x0A) {
                            let line = Array(pending[..<newline])
                            pending.removeSubrange(...newline)
                            guard !line.isEmpty else { continue }
                            let event = try JSONCoding.parse(bytes: line)
                            let type = event["type"]?.stringValue ?? ""
                            let object = event["object"] ?? .null
                            switch type {
                            case "ERROR": throw Self.error(object, status: Int(object["code"]?.intValue ?? 500))
                            case "BOOKMARK":
                                let rv = object["metadata"]?["resourceVersion"]?.stringValue.flatMap { Int64($0) } ?? 0
                                continuation.yield(.bookmark(revision: rv))
                            default:
                                let r = try Resource(json: object)
                                let rv = r.metadata.resourceVersion
                                switch type {
                                case "ADDED": continuation.yield(.added(r, revision: rv))
                                case "DELETED": continuation.yield(.deleted(r, revision: rv))
                                default: continuation.yield(.modified(r, revision: rv))
                                }
                            }
                        }
                    }
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    static func escape(_ s: String) -> String {
        s.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~"))) ?? s
    }
}
