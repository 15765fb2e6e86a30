import FogAPI
import FogModel
import FogStore

/// What the CLI and the controllers use to read and write objects. The
/// in-process implementation talks to the embedded store; a remote one
/// (HTTP, to `fogctl server`) implements the same protocol.
public protocol FogClient: Sendable {
    func get(_ key: ObjectKey) async throws -> Resource?
    func list(kind: String, namespace: String?, selector: LabelSelector) async throws -> ObjectList
    func create(_ object: Resource) async throws -> Resource
    func update(_ object: Resource) async throws -> Resource
    func updateStatus(_ object: Resource) async throws -> Resource
    /// Merges a JSON merge patch into the object's status, without a version check.
    func patchStatus(_ key: ObjectKey, _ patch: JSONValue) async throws -> Resource
    /// Status patches with expectations, all or nothing (see `StatusPatch`).
    func patchStatuses(_ patches: [StatusPatch]) async throws -> [Resource]
    /// `patchStatuses` for a caller that does not read the objects written (heartbeats in
    /// batches): over HTTP the server then answers without them.
    func sendStatusPatches(_ patches: [StatusPatch]) async throws
    func delete(_ key: ObjectKey) async throws -> DeleteOutcome
    func delete(_ key: ObjectKey, propagation: DeletePropagation) async throws -> DeleteOutcome
    func apply(_ objects: [Resource], dryRun: Bool) async throws -> [ApplyOutcome]
    /// Applies `objects` and deletes `prune` in one transaction, all or nothing.
    func apply(_ objects: [Resource], prune: [ObjectKey], dryRun: Bool) async throws -> ApplyPruneOutcome
    /// Changes to `kind` after `revision`, in order, then as they happen; ends with a
    /// `StoreError` of code `.compacted` when `revision` is too old (list again).
    func watch(kind: String?, namespace: String?, from revision: Int64) -> AsyncThrowingStream<WatchEvent, Error>
    func currentRevision() async throws -> Int64
    /// Stores a content-addressed blob (model updates, global models); returns its `sha256:<hex>` digest.
    func putBlob(_ bytes: [UInt8]) async throws -> String
    /// The blob named `digest`; a `.notFound` error when absent.
    func getBlob(_ digest: String) async throws -> [UInt8]
    /// Whether the caller may do `question.verb` (`fogctl auth can-i`).
    func reviewAccess(_ question: AccessQuestion) async throws -> AccessAnswer
}

extension FogClient {
    public func sendStatusPatches(_ patches: [StatusPatch]) async throws { _ = try await patchStatuses(patches) }
}

/// `fogctl auth can-i VERB KIND [NAME]`, asked of whoever decides.
public struct AccessQuestion: Sendable, Equatable {
    /// get, list, watch, create, update, update/status or delete.
    public var verb: String
    /// The kind's name as the user typed it (plural, singular, short name or kind).
    public var resource: String
    /// nil: across all namespaces.
    public var namespace: String?
    public var name: String?
    public init(verb: String, resource: String, namespace: String?, name: String?) {
        self.verb = verb
        self.resource = resource
        self.namespace = namespace
        self.name = name
    }
}

public struct AccessAnswer: Sendable, Equatable {
    public var allowed: Bool
    public var user: String
    public var reason: String
    public init(allowed: Bool, user: String, reason: String) {
        self.allowed = allowed
        self.user = user
        self.reason = reason
    }
}

extension FogClient {
    /// In-process stores have no authorisation: whoever can open the state file can do everything.
    public func reviewAccess(_ question: AccessQuestion) async throws -> AccessAnswer {
        AccessAnswer(allowed: true, user: "(local)", reason: "the embedded store has no authorisation: whoever can open the state file may do everything")
    }
}

/// A client over a store in this process: nothing to start, nothing to configure.
public struct EmbeddedClient: FogClient {
    public let store: any Store
    public let blobs: BlobStore

    /// The SQLite store at its path, its calls off the cooperative pool; blobs live beside the
    /// state file (`blobs/`), where a server over the same file keeps them.
    public init(store: SQLiteStore) {
        self.store = SQLiteAsyncStore(store)
        blobs = BlobStore.beside(statePath: store.path)
    }

    public init(store: any Store, blobs: BlobStore) {
        self.store = store
        self.blobs = blobs
    }

    public func putBlob(_ bytes: [UInt8]) async throws -> String { try blobs.put(bytes) }
    public func getBlob(_ digest: String) async throws -> [UInt8] {
        guard let bytes = try blobs.read(digest) else { throw StoreError(.notFound, "blob \(digest) not found") }
        return bytes
    }

    public func get(_ key: ObjectKey) async throws -> Resource? { try await store.get(key) }
    public func list(kind: String, namespace: String?, selector: LabelSelector) async throws -> ObjectList {
        try await store.list(kind: kind, namespace: namespace, selector: selector)
    }
    public func create(_ object: Resource) async throws -> Resource { try await store.create(object) }
    public func update(_ object: Resource) async throws -> Resource { try await store.update(object) }
    public func updateStatus(_ object: Resource) async throws -> Resource { try await store.updateStatus(object) }
    public func patchStatus(_ key: ObjectKey, _ patch: JSONValue) async throws -> Resource { try await store.patchStatus(key, patch) }
    public func patchStatuses(_ patches: [StatusPatch]) async throws -> [Resource] { try await store.patchStatuses(patches) }
    public func delete(_ key: ObjectKey) async throws -> DeleteOutcome { try await store.delete(key, propagation: .background) }
    public func delete(_ key: ObjectKey, propagation: DeletePropagation) async throws -> DeleteOutcome {
        try await store.delete(key, propagation: propagation)
    }
    public func apply(_ objects: [Resource], dryRun: Bool) async throws -> [ApplyOutcome] {
        try await store.apply(objects, dryRun: dryRun)
    }
    public func apply(_ objects: [Resource], prune: [ObjectKey], dryRun: Bool) async throws -> ApplyPruneOutcome {
        try await store.apply(objects, prune: prune, dryRun: dryRun)
    }
    public func watch(kind: String?, namespace: String?, from revision: Int64) -> AsyncThrowingStream<WatchEvent, Error> {
        store.watch(kind: kind, namespace: namespace, from: revision, bookmarkEvery: 1)
    }
    public func currentRevision() async throws -> Int64 { try await store.currentRevision() }
}
