import FogAPI
import FogManifest
import FogModel
import FogStore
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle

/// The HTTP API: Kubernetes-shaped paths over the embedded store.
///
/// ```
/// /apis/fog/v1alpha1/{plural}[/{name}[/status]]                      cluster-scoped kinds (and all-namespace lists)
/// /apis/fog/v1alpha1/namespaces/{ns}/{plural}[/{name}[/status]]      namespaced kinds
/// /apis/fog/v1alpha1/apply[?dryRun=true]                             create-or-update many objects (fogctl apply [--prune])
/// /hooks/gitsource/{ns}/{name}                                       a git host's push webhook (HMAC-signed; GitSourceWebhook.swift)
/// /ui[/…]                                                            the control panel (ControlPanel.swift)
/// /healthz  /readyz
/// ```
public struct APIServer: Sendable {
    public struct Configuration: Sendable {
        public var host = "127.0.0.1"
        public var port = 7480
        /// nil: no authentication (then only loopback addresses are allowed).
        public var tokens: TokenBook?
        /// Largest object or apply request body (an object's own limit, 1.5 MiB: a bigger body
        /// could not be stored anyway).
        public var maxObjectBytes = ObjectLimits.maxObjectBytes
        /// Largest blob.
        public var maxBlobBytes = 64 << 20
        /// Where blobs live; default: `blobs/` beside the state file.
        public var blobDirectory: String?
        /// `/readyz` answers 503 until this says ready (e.g. the controllers' caches are filled).
        public var readiness: (@Sendable () -> Bool)?
        /// What tenants and agents may do: the controller families' rules and seals together.
        /// Empty: only admins may do anything.
        public var access = AccessPolicy()
        /// When an object of each kind is ready, by the controllers this server runs; served
        /// by discovery so that `fogctl apply --wait` follows them.
        public var readinessRules: [String: ReadinessRule] = [:]
        /// Seconds a client has to send a request's head (line and headers), from the
        /// connection opening or the previous response ending; then the connection is closed.
        public var requestHeadSeconds: Double = 30
        /// Open watches one user may hold at once (429 beyond).
        public var maxWatchesPerUser = 100
        /// The HMAC-SHA256 key of `POST /hooks/gitsource/{namespace}/{name}`; nil: webhooks are off.
        public var webhookSecret: [UInt8]?
        /// Who leads the controllers, one line for `/readyz` (several servers over one database); nil: not said.
        public var leadership: (@Sendable () -> String)?
        public init() {}
    }

    let store: any Store
    let configuration: Configuration
    let schemas: SchemaSet
    let logger: Logger
    let blobs: BlobStore
    public let metrics: ServerMetrics
    let authorizer: Authorizer
    let watchBudget: WatchBudget

    /// A server over the embedded SQLite store; blobs beside its file unless the configuration says where.
    public init(store: SQLiteStore, configuration: Configuration, schemas: SchemaSet = .builtIn, logger: Logger,
                metrics: ServerMetrics = ServerMetrics()) throws {
        try self.init(store: SQLiteAsyncStore(store),
                      blobs: configuration.blobDirectory.map { BlobStore(directory: $0) } ?? BlobStore.beside(statePath: store.path),
                      configuration: configuration, schemas: schemas, logger: logger, metrics: metrics)
    }

    /// A server over any store.
    public init(store: any Store, blobs: BlobStore, configuration: Configuration, schemas: SchemaSet = .builtIn, logger: Logger,
                metrics: ServerMetrics = ServerMetrics()) throws {
        self.metrics = metrics
        if configuration.tokens == nil && !Self.isLoopback(configuration.host) {
            throw AuthError(.forbidden, "refusing to listen on \(configuration.host) without --tokens: an unauthenticated server may only listen on loopback (127.0.0.1, ::1, localhost)")
        }
        self.store = store
        self.configuration = configuration
        self.schemas = schemas
        self.logger = logger
        authorizer = Authorizer(configuration.access)
        watchBudget = WatchBudget(perUser: configuration.maxWatchesPerUser)
        self.blobs = blobs
    }

    static func isLoopback(_ host: String) -> Bool {
        host == "localhost" || host == "::1" || host.hasPrefix("127.")
    }

    /// The Hummingbird application; `onRunning` receives the bound port (useful with port 0).
    public func application(onRunning: @escaping @Sendable (Int) async -> Void = { _ in }) -> some ApplicationProtocol {
        Application(
            responder: Responder(server: self),
            // Slow or idle clients are cut off after a minute without traffic; watch
            // clients resume from their last revision, as Kubernetes clients do.
            // A request head must arrive within `requestHeadSeconds` (slow-header clients).
            server: .http1(configuration: .init(
                additionalChannelHandlers: [RequestHeadDeadline(deadline: .milliseconds(Int64(self.configuration.requestHeadSeconds * 1000)))],
                idleTimeout: .seconds(60))),
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "fog"),
            onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? 0) },
            logger: logger)
    }

    struct Responder: HTTPResponder {
        typealias Context = BasicRequestContext
        let server: APIServer
        func respond(to request: Request, context: Context) async throws -> Response {
            let start = DispatchTime.now()
            let response = await server.handle(request)
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
            server.metrics.request(verb: Self.verb(request), kind: Self.kind(request.uri.path), code: Int(response.status.code), seconds: seconds)
            return response
        }

        /// Kubernetes-style verb names for metrics.
        static func verb(_ r: Request) -> String {
            let q = r.uri.queryParameters
            switch r.method {
            case .get: return q["watch"] == "true" ? "watch" : "get"
            case .post: return "create"
            case .put: return r.uri.path.hasSuffix("/status") ? "update-status" : "update"
            case .patch: return r.uri.path.hasSuffix("/status") ? "patch-status" : "patch"
            case .delete: return "delete"
            default: return r.method.rawValue.lowercased()
            }
        }

        static func kind(_ path: String) -> String {
            let parts = path.split(separator: "/")
            if parts.first == "blobs" { return "blob" }
            guard parts.count >= 4, parts[0] == "apis" else { return parts.first.map(String.init) ?? "" }
            if parts[3] == "namespaces" { return parts.count >= 6 ? String(parts[5]) : "" }
            return String(parts[3])
        }
    }

    // MARK: Routing

    struct Route {
        var kind: KindInfo
        var namespace: String?  // nil: all namespaces (or cluster-scoped)
        var name: String?
        var status = false
    }

    func handle(_ request: Request) async -> Response {
        let path = request.uri.path
        let requestID = UUID().uuidString.prefix(8)
        do {
            if path == "/healthz" || path == "/readyz" {
                _ = try await store.currentRevision()
                if path == "/readyz", let ready = configuration.readiness, !ready() {
                    throw TransportError(.unavailable, "not ready: the controllers are still filling their caches")
                }
                let leads = configuration.leadership.map { $0() + "\n" } ?? ""
                return Response(status: .ok, headers: [.contentType: "text/plain"], body: .init(byteBuffer: ByteBuffer(string: "ok\n" + leads)))
            }
            if path == "/version" {
                return Self.json(.ok, ["version": .string(FogBuild.version), "apiVersion": .string(fogAPIVersion)])
            }
            // The control panel's files carry no data; its API authenticates like the rest.
            if path == Self.controlPanelPrefix || path.hasPrefix(Self.controlPanelPrefix + "/") { return try await controlPanel(request, path: path) }
            // A git host's webhook carries a signature, not a token.
            if path.hasPrefix(Self.webhookPrefix) { return try await gitSourceWebhook(request, path: path) }
            let identity = try authenticate(request)
            if path == "/metrics" {
                return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
                                body: .init(byteBuffer: ByteBuffer(string: metrics.render())))
            }
            var log = logger
            log[metadataKey: "request"] = "\(requestID)"
            log[metadataKey: "user"] = "\(identity.user)"
            log[metadataKey: "verb"] = "\(request.method.rawValue)"
            log[metadataKey: "path"] = "\(path)"
            log.debug("request")
            if path.hasPrefix("/blobs/") { return try await blob(request, digest: String(path.dropFirst(7)), identity: identity) }
            guard path.hasPrefix("/apis/fog/v1alpha1") else { throw StoreError(.notFound, "no such path \(path)") }
            let rest = path.dropFirst("/apis/fog/v1alpha1".count).split(separator: "/").map(String.init)
            if rest.isEmpty {
                // Discovery: the kinds served, and the store's current revision.
                return Self.json(.ok, ["kind": "APIResourceList", "groupVersion": .string(fogAPIVersion),
                                       "metadata": ["resourceVersion": .string(String(try await store.currentRevision()))],
                                       "resources": .array(schemas.registry.kinds.map { k in
                                           var r: JSONValue = ["name": .string(k.plural), "singularName": .string(k.singular), "kind": .string(k.kind),
                                                               "namespaced": .bool(k.namespaced), "shortNames": .array(k.shortNames.map { .string($0) })]
                                           if let rule = configuration.readinessRules[k.kind] { r["readiness"] = .string(rule.rawValue) }
                                           return r
                                       })])
            }
            if rest == ["apply"] {
                guard request.method == .post else { throw AdmissionError(.badRequest, "apply takes POST") }
                return try await apply(request, identity: identity)
            }
            if rest == ["selfsubjectaccessreviews"] {
                guard request.method == .post else { throw AdmissionError(.badRequest, "selfsubjectaccessreviews takes POST") }
                return try await accessReview(request, identity: identity)
            }
            if rest == ["statuspatches"] {
                guard request.method == .post else { throw AdmissionError(.badRequest, "statuspatches takes POST") }
                return try await statusPatches(request, identity: identity)
            }
            let route = try Self.route(rest, registry: schemas.registry)
            return try await dispatch(request, route: route, identity: identity)
        } catch let e as any FogAPIError {
            return Self.status(e)
        } catch let e as ManifestErrors {
            return Self.invalid(e)
        } catch {
            return Self.status(StoreError(.storage, "\(error)"))
        }
    }

    static func route(_ parts: [String], registry: KindRegistry) throws -> Route {
        func kind(_ plural: String) throws -> KindInfo {
            guard let k = registry.kinds.first(where: { $0.plural == plural }) else {
                throw StoreError(.notFound, "no resource type \"\(plural)\"; known: \(registry.kinds.map(\.plural).joined(separator: ", "))")
            }
            return k
        }
        var p = parts[...]
        var namespace: String?
        if p.first == "namespaces" {
            guard p.count >= 3 else { throw StoreError(.notFound, "expected /namespaces/{namespace}/{resource}") }
            namespace = p[p.startIndex + 1]
            p = p.dropFirst(2)
        }
        guard let plural = p.first else { throw StoreError(.notFound, "expected a resource type") }
        let info = try kind(plural)
        p = p.dropFirst()
        if info.namespaced == false && namespace != nil {
            throw StoreError(.notFound, "\(info.plural) are cluster-scoped: use /apis/fog/v1alpha1/\(info.plural)")
        }
        var route = Route(kind: info, namespace: info.namespaced ? namespace : "")
        if let name = p.first {
            if info.namespaced && namespace == nil { throw StoreError(.notFound, "\(info.plural) are namespaced: use /apis/fog/v1alpha1/namespaces/{namespace}/\(info.plural)/\(name)") }
            route.name = name
            p = p.dropFirst()
        }
        if let sub = p.first {
            guard sub == "status", p.count == 1, route.name != nil else { throw StoreError(.notFound, "no such subresource \(p.joined(separator: "/"))") }
            route.status = true
        }
        return route
    }

    func authenticate(_ request: Request) throws -> Identity {
        guard let book = configuration.tokens else { return .anonymousAdmin }
        guard let header = request.headers[.authorization], header.hasPrefix("Bearer ") else {
            throw AuthError(.unauthorized, "a bearer token is required (Authorization: Bearer TOKEN)")
        }
        guard let identity = book.authenticate(String(header.dropFirst(7))) else {
            throw AuthError(.unauthorized, "the bearer token is not valid")
        }
        return identity
    }

    static func forbidden(_ identity: Identity, _ verb: Authorizer.Verb, _ route: Route) -> AuthError {
        let scope = route.namespace.map { $0.isEmpty ? "at cluster scope" : "in namespace \"\($0)\"" } ?? "across all namespaces"
        return AuthError(.forbidden, "user \"\(identity.user)\" cannot \(verb.rawValue) \(route.kind.plural) \(scope)")
    }

    /// The route-level check, before the store is read: a caller no rule could allow learns
    /// nothing about what exists.
    func authorize(_ identity: Identity, _ verb: Authorizer.Verb, _ route: Route) throws {
        guard authorizer.mayAttempt(identity, verb, kind: route.kind, namespace: route.namespace) else {
            throw Self.forbidden(identity, verb, route)
        }
    }

    /// The object-level check, on every object involved (the stored one and what is written).
    func authorize(_ identity: Identity, _ verb: Authorizer.Verb, _ route: Route, objects: Resource?...) throws {
        for case let o? in objects where !authorizer.allows(identity, verb, o) { throw Self.forbidden(identity, verb, route) }
    }

    /// Whether `r` is sealed to `identity`: its parent (e.g. a bid's auction) missing or not
    /// yet in an unsealing phase.
    func sealed(_ r: Resource, for identity: Identity) async -> Bool {
        guard let seal = authorizer.seal(on: r, for: identity) else { return false }
        guard let parent = JSONValue.object(r.content).value(at: seal.parentField)?.stringValue,
              let p = (try? await store.get(ObjectKey(kind: seal.parentKind, namespace: r.namespace, name: parent))) ?? nil,
              let phase = p.status?["phase"]?.stringValue else { return true }
        return !seal.unsealedPhases.contains(phase)
    }

    /// A sealed kind's objects are taken only while their parent is sealed (a bid only while its
    /// auction is open): once the parent has reached an unsealing phase, creating one is refused
    /// for everyone, admins included, with the parent's phase in the message.
    func refuseAfterUnseal(_ r: Resource) async throws {
        guard let seal = authorizer.seal(of: r.kind),
              let parent = JSONValue.object(r.content).value(at: seal.parentField)?.stringValue,
              let p = (try? await store.get(ObjectKey(kind: seal.parentKind, namespace: r.namespace, name: parent))) ?? nil,
              let phase = p.status?["phase"]?.stringValue, seal.unsealedPhases.contains(phase) else { return }
        throw StoreError(.conflict, "\(seal.parentKind.lowercased()) \(r.namespace)/\(parent) is \(phase): it no longer takes \(r.kind.lowercased())s"
                         + (p.status?["closedAt"]?.stringValue.map { " (closed at \($0))" } ?? ""))
    }

    /// Whether `identity` can see `r` at all: a rule lets it read it and no seal hides it.
    /// What it cannot see does not exist for it (404), whichever the reason.
    func visible(_ identity: Identity, _ r: Resource) async -> Bool {
        guard authorizer.mayRead(identity, r) else { return false }
        return !(await sealed(r, for: identity))
    }

    /// The stored object the request names, if `identity` can see it; otherwise 404, the
    /// same answer as for an object that does not exist.
    func existing(_ key: ObjectKey, _ route: Route, _ identity: Identity) async throws -> Resource {
        guard let r = try await store.get(key), await visible(identity, r) else {
            throw StoreError(.notFound, "\(route.kind.plural) \"\(key.name)\" not found")
        }
        return r
    }

    /// An agent's status write: only fields its kind's status describes (no arbitrary keys),
    /// at most `ObjectLimits.maxAgentStatusBytes`. Controllers and admins write the rest.
    func checkAgentStatus(_ identity: Identity, kind: String, _ status: JSONValue?) throws {
        guard case .agent = identity.role, let status else { return }
        let bytes = JSONCoding.encodeBytes(status).count
        if bytes > ObjectLimits.maxAgentStatusBytes {
            throw AdmissionError(.tooLarge, "an agent's status write is \(bytes) bytes; the limit is \(ObjectLimits.maxAgentStatusBytes) bytes")
        }
        guard let fields = schemas.statusFields(of: kind), let keys = status.objectValue?.keys else { return }
        let unknown = keys.filter { !fields.contains($0) }.sorted()
        if !unknown.isEmpty {
            throw AdmissionError(.invalid, "status.\(unknown[0]): not a field of \(kind) status (known: \(fields.sorted().joined(separator: ", ")))")
        }
    }

    // MARK: Verbs

    func dispatch(_ request: Request, route: Route, identity: Identity) async throws -> Response {
        let query = request.uri.queryParameters
        func key(_ name: String) -> ObjectKey { ObjectKey(kind: route.kind.kind, namespace: route.namespace ?? "", name: name) }
        switch (request.method, route.name, route.status) {
        case (.get, nil, _):
            let selector: LabelSelector
            do { selector = try LabelSelector.parse(query["labelSelector"].map(String.init) ?? "") } catch {
                throw AdmissionError(.badRequest, "\(error)")
            }
            if query["watch"] == "true" || query["watch"] == "1" {
                try authorize(identity, .watch, route)
                let from: Int64
                if let given = query["resourceVersion"].map(String.init) {
                    guard let v = ResourceVersion.parse(given) else {
                        throw AdmissionError(.badRequest, "resourceVersion must be a revision (decimal digits), got \"\(given)\"")
                    }
                    switch v {
                    case .exact(let revision): from = revision
                    case .unreachable("0"): from = 0  // from the oldest revision kept
                    default: throw AdmissionError(.badRequest, "resourceVersion \(given) is beyond any revision this store can reach")
                    }
                } else {
                    from = try await store.currentRevision()
                }
                return try await watch(route, from: from, selector: selector, identity: identity)
            }
            try authorize(identity, .list, route)
            let list = try await store.list(kind: route.kind.kind, namespace: route.kind.namespaced ? route.namespace : "", selector: selector)
            var items: [Resource] = []
            for r in list.items where await visible(identity, r) { items.append(r) }
            return Self.json(.ok, ["apiVersion": .string(fogAPIVersion), "kind": "List",
                                   "metadata": ["resourceVersion": .string(String(list.revision))],
                                   "items": .array(items.map(\.json))])
        case (.get, let name?, _):
            try authorize(identity, .get, route)
            return Self.json(.ok, try await existing(key(name), route, identity).json)
        case (.post, nil, false):
            try authorize(identity, .create, route)
            let (object, _) = try await admit(request, route: route, keepVersion: false)
            try authorize(identity, .create, route, objects: object)
            try await refuseAfterUnseal(object)
            return Self.json(.created, try await store.create(object).json)
        case (.put, let name?, let status):
            let verb: Authorizer.Verb = status ? .updateStatus : .update
            try authorize(identity, verb, route)
            var (object, version) = try await admit(request, route: route, keepVersion: true)
            guard object.name == name else { throw AdmissionError(.badRequest, "the body names \"\(object.name)\" but the path names \"\(name)\"") }
            // Ownership is decided on the stored object, and on what is written.
            let stored = try await existing(key(name), route, identity)
            try authorize(identity, verb, route, objects: stored, object)
            if status { try checkAgentStatus(identity, kind: route.kind.kind, object.status) }
            switch version {
            case .unset: object.metadata.resourceVersion = 0
            case .exact(let v): object.metadata.resourceVersion = v
            case .unreachable(let given):
                throw StoreError(.conflict, "Operation cannot be fulfilled on \(route.kind.kind.lowercased()) \"\(name)\": resourceVersion \(given) is not the stored one (\(stored.metadata.resourceVersion)); read the latest version and try again")
            }
            let written = status ? try await store.updateStatus(object) : try await store.update(object)
            return Self.json(.ok, written.json)
        case (.patch, let name?, true):
            try authorize(identity, .updateStatus, route)
            let type = request.headers[.contentType] ?? ""
            guard type.isEmpty || type.hasPrefix("application/merge-patch+json") || type.hasPrefix("application/json") else {
                throw AdmissionError(.badRequest, "status patches must be application/merge-patch+json (got \(type.isEmpty ? "no content type" : type))")
            }
            let patch: JSONValue
            do { patch = try JSONCoding.parse(bytes: try await body(request)) } catch let e as any FogAPIError { throw e } catch {
                throw AdmissionError(.badRequest, "malformed JSON: \(error)")
            }
            let stored = try await existing(key(name), route, identity)
            try authorize(identity, .updateStatus, route, objects: stored)
            try checkAgentStatus(identity, kind: route.kind.kind, patch)
            let written = try await store.patchStatus(key(name), patch)
            metrics.statusPatched(kind: route.kind.plural)
            return Self.json(.ok, written.json)
        case (.patch, let name?, false):
            // A merge patch of metadata and spec (`fogctl label`, `cordon`, `patch`), applied to the
            // latest version here, where reading and writing are microseconds apart: concurrent
            // status writes (heartbeats) do not make it fail, as a client's read-modify-write would.
            try authorize(identity, .update, route)
            let type = request.headers[.contentType] ?? ""
            guard type.hasPrefix("application/merge-patch+json") else {
                throw AdmissionError(.badRequest, "object patches must be application/merge-patch+json (got \(type.isEmpty ? "no content type" : type))")
            }
            let patch: JSONValue
            do { patch = try JSONCoding.parse(bytes: try await body(request)) } catch let e as any FogAPIError { throw e } catch {
                throw AdmissionError(.badRequest, "malformed JSON: \(error)")
            }
            guard patch.objectValue != nil else { throw AdmissionError(.badRequest, "a merge patch is a JSON object (got \(patch.typeName))") }
            if patch["status"] != nil { throw AdmissionError(.badRequest, "status is patched through /status") }
            for attempt in 1...10 {
                let stored = try await existing(key(name), route, identity)
                try authorize(identity, .update, route, objects: stored)
                var document = stored.json
                document["status"] = nil
                let merged = JSONPatch.merge(document, patch)
                for field in ["apiVersion", "kind"] where merged[field] != document[field] {
                    throw AdmissionError(.invalid, "\(field) cannot be changed")
                }
                for field in ["name", "namespace", "uid"] where merged["metadata"]?[field] != document["metadata"]?[field] {
                    throw AdmissionError(.invalid, "metadata.\(field) cannot be changed")
                }
                var (object, _) = try admit(bytes: JSONCoding.encodeBytes(merged), route: route, keepVersion: false)
                object.metadata.uid = stored.metadata.uid
                object.metadata.resourceVersion = stored.metadata.resourceVersion
                try authorize(identity, .update, route, objects: object)
                do {
                    return Self.json(.ok, try await store.update(object).json)
                } catch let e as StoreError where e.code == .conflict && attempt < 10 {
                    continue
                }
            }
            throw StoreError(.conflict, "\(route.kind.singular) \"\(name)\" kept changing; try again")
        case (.delete, let name?, false):
            try authorize(identity, .delete, route)
            let policy = query["propagationPolicy"].map(String.init) ?? "Background"
            guard let propagation = DeletePropagation(rawValue: policy) else {
                throw AdmissionError(.badRequest, "propagationPolicy must be Background, Foreground or Orphan (got \(policy))")
            }
            let stored = try await existing(key(name), route, identity)
            try authorize(identity, .delete, route, objects: stored)
            switch try await store.delete(key(name), propagation: propagation) {
            case .deleted(let r): return Self.json(.ok, r.json)
            case .markedForDeletion(let r): return Self.json(.accepted, r.json)
            }
        default:
            throw AdmissionError(.badRequest, "\(request.method.rawValue) is not supported on this path")
        }
    }

    /// Reads a body of at most `maxObjectBytes`, as JSON.
    func body(_ request: Request) async throws -> [UInt8] {
        var request = request
        do {
            let buffer = try await request.collectBody(upTo: configuration.maxObjectBytes)
            return Array(buffer.readableBytesView)
        } catch is NIOTooManyBytesError {
            throw AdmissionError(.tooLarge, "request body larger than \(configuration.maxObjectBytes) bytes")
        }
    }

    /// Decodes one object and validates it against its schema, as `fogctl apply` does; with
    /// `keepVersion`, also the caller's `metadata.resourceVersion` and `uid` (optimistic concurrency).
    func admit(_ request: Request, route: Route, keepVersion: Bool) async throws -> (Resource, ResourceVersion) {
        try admit(bytes: try await body(request), route: route, keepVersion: keepVersion)
    }

    func admit(bytes: [UInt8], route: Route, keepVersion: Bool) throws -> (Resource, ResourceVersion) {
        let raw: JSONValue
        do { raw = try JSONCoding.parse(bytes: bytes) } catch { throw AdmissionError(.badRequest, "malformed JSON: \(error)") }
        guard raw["kind"]?.stringValue == route.kind.kind else {
            throw AdmissionError(.badRequest, "the body's kind \(raw["kind"].map { JSONCoding.encode($0) } ?? "(none)") does not match the path's \(route.kind.kind)")
        }
        // The version first: a malformed one is a bad request (400), whatever else is wrong.
        var version = ResourceVersion.unset
        if keepVersion, let meta = raw["metadata"] {
            switch meta["resourceVersion"] {
            case nil, .null?: break
            case .string("")?: break  // as Kubernetes: an empty version is no version (an unconditional update)
            case .string(let given)?:
                guard let v = ResourceVersion.parse(given) else {
                    throw AdmissionError(.badRequest, "metadata.resourceVersion must be a revision (decimal digits), got \"\(given)\"")
                }
                version = v
            case let other?:
                throw AdmissionError(.badRequest, "metadata.resourceVersion must be a string of decimal digits, got \(JSONCoding.encode(other))")
            }
        }
        let decoder = ManifestDecoder(schemas: schemas, defaultNamespace: route.namespace ?? "default",
                                      requiredNamespace: route.kind.namespaced ? route.namespace : nil)
        var object = try decoder.decode([ManifestInput(name: "request", bytes: bytes)])[0].resource
        if keepVersion, let meta = raw["metadata"] { object.metadata.uid = try ObjectMeta(json: meta).uid }
        // Status is kept for status writes (the decoder drops it from manifests).
        object.content["status"] = raw["status"]
        return (object, version)
    }

    func apply(_ request: Request, identity: Identity) async throws -> Response {
        let bytes = try await body(request)
        do { _ = try JSONCoding.parse(bytes: bytes) } catch { throw AdmissionError(.badRequest, "malformed JSON: \(error)") }
        let objects = try ManifestDecoder(schemas: schemas).decode([ManifestInput(name: "request", bytes: bytes)]).map(\.resource)
        for o in objects {
            guard let info = schemas.registry.info(forKind: o.kind) else { throw AdmissionError(.badRequest, "unknown kind \(o.kind)") }
            let route = Route(kind: info, namespace: info.namespaced ? o.namespace : "", name: o.name)
            // Route first: a caller that may neither create nor update learns nothing, not even
            // through a dry run's outcome, about what exists.
            guard authorizer.mayAttempt(identity, .create, kind: info, namespace: route.namespace)
                    || authorizer.mayAttempt(identity, .update, kind: info, namespace: route.namespace) else {
                throw Self.forbidden(identity, .update, route)
            }
            if let stored = try await store.get(o.key) {
                // What it cannot see it cannot overwrite: the same answer as any other refusal.
                guard await visible(identity, stored), authorizer.allows(identity, .update, stored) else { throw Self.forbidden(identity, .update, route) }
                try authorize(identity, .update, route, objects: o)
            } else {
                try authorize(identity, .create, route)
                try authorize(identity, .create, route, objects: o)
            }
        }
        let dryRun = request.uri.queryParameters["dryRun"].map { $0 == "true" || $0 == "All" } ?? false
        // `prune` beside the items (fogctl apply --prune): deleted in the same transaction, each
        // authorised as a delete of the stored object.
        guard let pruneList = try JSONCoding.parse(bytes: bytes)["prune"]?.arrayValue else {
            let outcomes = try await store.apply(objects, dryRun: dryRun)
            return Self.json(.ok, ["kind": "ApplyResult", "apiVersion": .string(fogAPIVersion),
                                   "items": .array(outcomes.map { ["action": .string($0.action.rawValue), "object": $0.object.json] })])
        }
        var prune: [ObjectKey] = []
        for (i, item) in pruneList.enumerated() {
            guard let kind = item["kind"]?.stringValue, let name = item["name"]?.stringValue,
                  let info = schemas.registry.info(forKind: kind) else { throw AdmissionError(.badRequest, "prune[\(i)]: kind and name are required") }
            let key = ObjectKey(kind: kind, namespace: info.namespaced ? item["namespace"]?.stringValue ?? "default" : "", name: name)
            let route = Route(kind: info, namespace: key.namespace, name: name)
            guard let stored = try await store.get(key) else { continue }
            guard await visible(identity, stored), authorizer.allows(identity, .delete, stored) else { throw Self.forbidden(identity, .delete, route) }
            prune.append(key)
        }
        let result = try await store.apply(objects, prune: prune, dryRun: dryRun)
        return Self.json(.ok, ["kind": "ApplyResult", "apiVersion": .string(fogAPIVersion),
                               "items": .array(result.applied.map { ["action": .string($0.action.rawValue), "object": $0.object.json] }),
                               "pruned": .array(result.pruned.map { outcome -> JSONValue in
                                   switch outcome {
                                   case .deleted(let o): return ["action": "deleted", "object": o.json]
                                   case .markedForDeletion(let o): return ["action": "marked", "object": o.json]
                                   }
                               })])
    }

    /// `fogctl auth can-i`: what the authorisation table answers for the caller. Without a name,
    /// whether some object of the kind may be acted on; with one, that object (as stored).
    func accessReview(_ request: Request, identity: Identity) async throws -> Response {
        let raw: JSONValue
        do { raw = try JSONCoding.parse(bytes: try await body(request)) } catch let e as any FogAPIError { throw e } catch {
            throw AdmissionError(.badRequest, "malformed JSON: \(error)")
        }
        guard let spec = raw["spec"], let verbName = spec["verb"]?.stringValue, let resource = spec["resource"]?.stringValue else {
            throw AdmissionError(.badRequest, "a SelfSubjectAccessReview needs spec.verb and spec.resource")
        }
        guard let verb = Authorizer.Verb(rawValue: verbName) else {
            throw AdmissionError(.badRequest, "spec.verb must be one of \(Authorizer.Verb.allCases.map(\.rawValue).joined(separator: ", ")) (got \(verbName))")
        }
        guard let info = schemas.registry.lookup(resource) else { throw AdmissionError(.badRequest, "unknown resource type \"\(resource)\"") }
        let namespace = info.namespaced ? spec["namespace"]?.stringValue : ""
        var allowed = authorizer.mayAttempt(identity, verb, kind: info, namespace: namespace)
        var reason = allowed ? "a rule of the authorisation table allows it" : "no rule of the authorisation table allows it"
        if case .admin = identity.role { reason = "admins may do everything" }
        if allowed, let name = spec["name"]?.stringValue,
           let stored = try await store.get(ObjectKey(kind: info.kind, namespace: namespace ?? "default", name: name)) {
            allowed = await visible(identity, stored) && authorizer.allows(identity, verb, stored)
            if !allowed { reason = "no rule allows it on \(info.singular)/\(name)" }
        }
        return Self.json(.created, ["kind": "SelfSubjectAccessReview", "apiVersion": .string(fogAPIVersion), "spec": spec,
                                    "status": ["allowed": .bool(allowed), "reason": .string(reason), "user": .string(identity.user)]])
    }

    /// Status merge patches with expectations, applied together or not at all (409 when an expectation fails).
    func statusPatches(_ request: Request, identity: Identity) async throws -> Response {
        let bytes = try await body(request)
        let raw: JSONValue
        do { raw = try JSONCoding.parse(bytes: bytes) } catch { throw AdmissionError(.badRequest, "malformed JSON: \(error)") }
        let patches = try StatusPatch.batch(from: raw)
        for p in patches {
            guard let info = schemas.registry.info(forKind: p.key.kind) else { throw AdmissionError(.badRequest, "unknown kind \(p.key.kind)") }
            let route = Route(kind: info, namespace: p.key.namespace, name: p.key.name)
            try authorize(identity, .updateStatus, route)
            let stored = try await existing(p.key, route, identity)
            try authorize(identity, .updateStatus, route, objects: stored)
            try checkAgentStatus(identity, kind: p.key.kind, p.patch)
        }
        let results = try await store.patchStatuses(patches)
        for (kind, count) in Dictionary(patches.map { ($0.key.kind, 1) }, uniquingKeysWith: +) {
            metrics.statusPatched(kind: schemas.registry.info(forKind: kind)?.plural ?? kind, count: count)
        }
        // `Prefer: return=minimal` (RFC 7240): each item is the object's kind, name and new
        // resourceVersion, not the whole object (heartbeats in batches do not read them back).
        let minimal = request.headers[Self.prefer]?.split(separator: ",").contains { $0.trimmingCharacters(in: .whitespaces) == "return=minimal" } == true
        let items: [JSONValue] = minimal ? results.map { r in
            var metadata: JSONValue = ["name": .string(r.name), "resourceVersion": .string(String(r.metadata.resourceVersion))]
            if !r.namespace.isEmpty { metadata["namespace"] = .string(r.namespace) }
            return ["kind": .string(r.kind), "metadata": metadata]
        } : results.map(\.json)
        var response = Self.json(.ok, ["kind": "StatusPatchResult", "apiVersion": .string(fogAPIVersion), "items": .array(items)])
        if minimal { response.headers[Self.preferenceApplied] = "return=minimal" }
        return response
    }

    static let prefer = HTTPField.Name("Prefer")!
    static let preferenceApplied = HTTPField.Name("Preference-Applied")!

    /// Newline-delimited JSON events, as Kubernetes' watch: ADDED, MODIFIED, DELETED,
    /// BOOKMARK, and ERROR (410) when the revision has been compacted.
    func watch(_ route: Route, from: Int64, selector: LabelSelector, identity: Identity) async throws -> Response {
        let server = self
        return try await watchStream(kind: route.kind.kind, namespace: route.kind.namespaced ? route.namespace : nil, from: from, identity: identity) { event in
            guard let r = event.object else {
                return ["type": "BOOKMARK", "object": ["kind": .string(route.kind.kind), "apiVersion": .string(fogAPIVersion),
                                                       "metadata": ["resourceVersion": .string(String(event.revision))]]]
            }
            guard selector.isEmpty || selector.matches(r.metadata.labels), await server.visible(identity, r) else { return nil }
            return ["type": .string(event.typeName), "object": r.json]
        }
    }

    /// A streamed watch of the store (`kind` nil: every kind) from revision `from`, one JSON line
    /// per event as `line` renders it (nil: not sent), then an ERROR line if the store fails it;
    /// `410` before streaming when `from` is compacted. Counts against the user's watch budget.
    func watchStream(kind: String?, namespace: String?, from: Int64, identity: Identity,
                     line: @escaping @Sendable (WatchEvent) async -> JSONValue?) async throws -> Response {
        _ = try await store.events(after: from, kind: kind, namespace: nil, limit: 1)  // 410 before streaming
        try watchBudget.take(identity.user)
        let budget = watchBudget
        let stream = store.watch(kind: kind, namespace: namespace, from: from, bookmarkEvery: 1)
        let metrics = self.metrics
        let body = ResponseBody { writer in
            metrics.watchOpened()
            defer {
                metrics.watchClosed()
                budget.give(identity.user)
            }
            do {
                for try await event in stream.cancelOnGracefulShutdown() {
                    guard let json = await line(event) else { continue }
                    var bytes = JSONCoding.encodeBytes(json)
                    bytes.append(0x0A)
                    try await writer.write(ByteBuffer(bytes: bytes))
                }
            } catch let e as any FogAPIError {
                var bytes = JSONCoding.encodeBytes(["type": "ERROR", "object": Self.statusBody(e)])
                bytes.append(0x0A)
                try await writer.write(ByteBuffer(bytes: bytes))
            } catch is CancellationError {}
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: [.contentType: "application/json"], body: body)
    }

    // MARK: Blobs

    /// `PUT /blobs/sha256:<hex>` (admins and agents; the digest is verified) and `GET` (streamed).
    func blob(_ request: Request, digest: String, identity: Identity) async throws -> Response {
        guard let hex = BlobStore.parse(digest) else { throw AdmissionError(.badRequest, "blob names are sha256:<64 lowercase hex digits>") }
        switch request.method {
        case .put:
            if case .tenant = identity.role { throw AuthError(.forbidden, "user \"\(identity.user)\" cannot write blobs") }
            var request = request
            let bytes: [UInt8]
            do { bytes = Array(try await request.collectBody(upTo: configuration.maxBlobBytes).readableBytesView) } catch is NIOTooManyBytesError {
                throw AdmissionError(.tooLarge, "blob larger than \(configuration.maxBlobBytes) bytes")
            }
            let created = try blobs.put(hex, bytes)
            metrics.blobBytes(bytes.count, out: false, role: identity.role.name)
            return Self.json(created ? .created : .ok, ["digest": .string("sha256:" + hex), "size": .int(Int64(bytes.count))])
        case .get, .head:
            guard let handle = blobs.handle(hex), let size = blobs.size(hex) else { throw StoreError(.notFound, "blob sha256:\(hex) not found") }
            let metrics = self.metrics
            let role = identity.role.name
            let body = ResponseBody(contentLength: size) { writer in
                defer { try? handle.close() }
                while true {
                    let chunk = handle.readData(ofLength: 1 << 16)
                    if chunk.isEmpty { break }
                    try await writer.write(ByteBuffer(bytes: chunk))
                    metrics.blobBytes(chunk.count, out: true, role: role)
                }
                try await writer.finish(nil)
            }
            return Response(status: .ok, headers: [.contentType: "application/octet-stream", .init("Docker-Content-Digest")!: "sha256:" + hex], body: body)
        default:
            throw AdmissionError(.badRequest, "blobs take PUT and GET")
        }
    }

    // MARK: Responses

    static func json(_ status: HTTPResponse.Status, _ value: JSONValue) -> Response {
        var bytes = JSONCoding.encodeBytes(value)
        bytes.append(0x0A)
        return Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    static func statusBody(_ e: any FogAPIError, causes: [ManifestError] = []) -> JSONValue {
        var body: JSONValue = ["apiVersion": "v1", "kind": "Status", "status": "Failure", "message": .string(e.message),
                               "reason": .string(e.reason), "code": .int(Int64(e.httpStatus))]
        if !causes.isEmpty {
            body["details"] = ["causes": .array(causes.map { c in
                ["field": .string(c.path), "message": .string(c.message), "reason": "FieldValueInvalid",
                 "location": .string(c.line > 0 ? "\(c.line):\(c.column)" : "")]
            })]
        }
        return body
    }

    static func status(_ e: any FogAPIError) -> Response {
        json(HTTPResponse.Status(code: e.httpStatus), statusBody(e))
    }

    static func invalid(_ e: ManifestErrors) -> Response {
        let message = e.errors.map { ($0.path.isEmpty ? "" : $0.path + ": ") + $0.message }.joined(separator: "; ")
        return json(.unprocessableContent, statusBody(AdmissionError(.invalid, message), causes: e.errors))
    }
}

/// A `resourceVersion` as a caller gave it.
enum ResourceVersion: Equatable {
    /// None: an unconditional update.
    case unset
    /// A revision a stored object can have (1 and up).
    case exact(Int64)
    /// Well formed, but no stored object has it ("0", or beyond 64 bits): an update answers 409.
    case unreachable(String)

    /// Decimal digits only; nil when malformed (an empty string, a sign, an exponent, letters).
    static func parse(_ text: String) -> ResourceVersion? {
        guard !text.isEmpty, text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
        guard let v = Int64(text), v > 0 else { return .unreachable(text) }
        return .exact(v)
    }
}
