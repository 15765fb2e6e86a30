import FogAPI
import FogModel
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// The control panel: a web view of the fleet, jobs, auctions, circuit pools and GitSources,
/// served under `/ui` from files built into the binary (`Sources/FogServer/UI/`, embedded by
/// `scripts/embed-ui.sh` into `ControlPanelAssets.swift`).
///
/// ```
/// /ui, /ui/app.js, /ui/app.css           the page and its script and style (no token needed: no data)
/// /ui/api/overview                        counts and short lists for the overview, in one request
/// /ui/api/nodes?sort=&order=&q=&region=&class=&ready=&offset=&limit=
///                                         one page of the node table, sorted and filtered by the server
/// /ui/api/events?kind=&namespace=&name=&limit=
///                                         the newest events (about one object when named)
/// /ui/api/history?kind=&namespace=&name=  the object's spec as each retained apply left it
/// /ui/api/list?kind=&namespace=&labelSelector=&offset=&limit=
///                                         one page of jobs, auctions, GitSources or circuit pools
/// /ui/api/watch?kinds=&resourceVersion=   one stream per page: notices of changes to its kinds
/// ```
///
/// Everything else a page needs (one object, a job's tasks) comes from the ordinary API, with
/// the caller's token: the panel sees exactly what its user may read.
extension APIServer {
    static let controlPanelPrefix = "/ui"

    func controlPanel(_ request: Request, path: String) async throws -> Response {
        let rest = String(path.dropFirst(Self.controlPanelPrefix.count))
        if let asset = ControlPanelAssets.file(rest == "" || rest == "/" ? "/index.html" : rest) {
            return Response(status: .ok, headers: [.contentType: asset.contentType, .cacheControl: "no-cache"],
                            body: .init(byteBuffer: ByteBuffer(string: asset.text)))
        }
        guard rest.hasPrefix("/api/") else { throw StoreError(.notFound, "no such path \(path)") }
        guard request.method == .get else { throw AdmissionError(.badRequest, "the control panel's API takes GET") }
        let identity = try authenticate(request)
        let q = request.uri.queryParameters
        func param(_ name: String) -> String? { q[Substring(name)].map(String.init).flatMap { $0.isEmpty ? nil : $0 } }
        switch rest {
        case "/api/overview":
            return Self.json(.ok, ControlPanelViews.overview(try await readable(identity), now: Date()))
        case "/api/nodes":
            let query = ControlPanelViews.NodeQuery(sort: param("sort") ?? "name", descending: param("order") == "desc", text: param("q"),
                                                    region: param("region"), deviceClass: param("class"), ready: param("ready"),
                                                    offset: Int(param("offset") ?? "") ?? 0, limit: Int(param("limit") ?? "") ?? 50)
            return Self.json(.ok, ControlPanelViews.nodes(try await readable(identity, kinds: ["FogNode"])["FogNode"] ?? [], query))
        case "/api/events":
            let events = try await readable(identity, kinds: ["Event"])["Event"] ?? []
            return Self.json(.ok, ControlPanelViews.events(events, kind: param("kind"), namespace: param("namespace"), name: param("name"),
                                                           limit: Int(param("limit") ?? "") ?? 50))
        case "/api/watch":
            // One stream per page: changes of the page's kinds, as short notices (the page reads
            // what it shows again through the summaries above).
            let kinds = Set((param("kinds") ?? "").split(separator: ",").map(String.init))
            guard !kinds.isEmpty else { throw AdmissionError(.badRequest, "watch needs kinds") }
            let from: Int64
            if let given = param("resourceVersion") {
                guard let v = Int64(given), v >= 0 else { throw AdmissionError(.badRequest, "resourceVersion must be a revision, got \"\(given)\"") }
                from = v
            } else { from = try await store.currentRevision() }
            return try await panelWatch(kinds: kinds, from: from, identity: identity)
        case "/api/list":
            guard let kind = param("kind"), ControlPanelViews.listed.contains(kind) else {
                throw AdmissionError(.badRequest, "list needs kind, one of \(ControlPanelViews.listed.sorted().joined(separator: ", "))")
            }
            let selector: LabelSelector
            do { selector = try LabelSelector.parse(param("labelSelector") ?? "") } catch { throw AdmissionError(.badRequest, "\(error)") }
            let items = try await readable(identity, kinds: [kind])[kind] ?? []
            return Self.json(.ok, ControlPanelViews.list(items, kind: kind, namespace: param("namespace"), selector: selector,
                                                         offset: Int(param("offset") ?? "") ?? 0, limit: Int(param("limit") ?? "") ?? 50))
        case "/api/history":
            guard let kind = param("kind"), let name = param("name"), let info = schemas.registry.info(forKind: kind) else {
                throw AdmissionError(.badRequest, "history needs kind and name")
            }
            let key = ObjectKey(kind: info.kind, namespace: info.namespaced ? (param("namespace") ?? "default") : "", name: name)
            _ = try await existing(key, Route(kind: info, namespace: key.namespace, name: name), identity)
            return Self.json(.ok, ControlPanelViews.history(try await versions(of: key)))
        default:
            throw StoreError(.notFound, "no such path \(path)")
        }
    }

    /// The objects of `kinds` (default: every kind the panel shows) that `identity` may read.
    func readable(_ identity: Identity, kinds: [String] = ControlPanelViews.kinds) async throws -> [String: [Resource]] {
        var out: [String: [Resource]] = [:]
        for kind in kinds {
            guard let info = schemas.registry.info(forKind: kind) else { continue }
            // A kind no rule lets this caller list stays out of the answer (its section says so).
            var own: Set<String> = []
            if case .tenant(let namespaces) = identity.role { own = namespaces }
            guard authorizer.mayAttempt(identity, .list, kind: info, namespace: info.namespaced ? nil : "")
                || (info.namespaced && own.contains { authorizer.mayAttempt(identity, .list, kind: info, namespace: $0) }) else { continue }
            var items: [Resource] = []
            for r in try await store.list(kind: kind, namespace: nil, selector: LabelSelector()).items where await visible(identity, r) {
                items.append(r)
            }
            out[kind] = items
        }
        return out
    }

    /// Newline-delimited JSON notices of changes to `kinds` that `identity` may see, from
    /// revision `from`: `{"type","kind","namespace","name","resourceVersion"}`, BOOKMARKs, and an
    /// ERROR (410) when `from` has been compacted (the page then reads afresh).
    func panelWatch(kinds: Set<String>, from: Int64, identity: Identity) async throws -> Response {
        let server = self
        return try await watchStream(kind: nil, namespace: nil, from: from, identity: identity) { event in
            guard let r = event.object else { return ["type": "BOOKMARK", "resourceVersion": .string(String(event.revision))] }
            guard kinds.contains(r.kind), await server.visible(identity, r) else { return nil }
            return ["type": .string(event.typeName), "kind": .string(r.kind), "namespace": .string(r.namespace), "name": .string(r.name),
                    "resourceVersion": .string(String(event.revision))]
        }
    }

    /// The versions of `key` still in the store's log (the compacted part is gone), oldest first.
    func versions(of key: ObjectKey) async throws -> [Resource] {
        var found: [Resource] = []
        var after = try await oldestRetainedRevision()
        while true {
            let page = try await store.events(after: after, kind: key.kind, namespace: key.namespace, limit: 1000)
            for e in page.events where e.object.key == key && e.type != .deleted { found.append(e.object) }
            guard let last = page.events.last else { break }
            after = last.revision
        }
        return found
    }

    /// The lowest revision the log can still be read after (a binary search over the store's
    /// `410 Expired` answers: any store, no private query).
    func oldestRetainedRevision() async throws -> Int64 {
        func readable(_ r: Int64) async throws -> Bool {
            do { _ = try await store.events(after: r, kind: nil, namespace: nil, limit: 1); return true } catch let e as StoreError where e.code == .compacted {
                return false
            }
        }
        if try await readable(0) { return 0 }
        var low: Int64 = 0, high = try await store.currentRevision()  // low unreadable, high readable
        while high - low > 1 {
            let mid = low + (high - low) / 2
            if try await readable(mid) { high = mid } else { low = mid }
        }
        return high
    }
}
