import FogModel

/// What a write did to an object, as `kubectl apply` reports it.
public enum ApplyAction: String, Sendable, Hashable {
    case created, configured, unchanged
}

public struct ApplyOutcome: Sendable, Hashable {
    public var action: ApplyAction
    /// The object as stored (or as it would be, on a dry run).
    public var object: Resource
    public init(action: ApplyAction, object: Resource) {
        self.action = action
        self.object = object
    }
}

public enum DeleteOutcome: Sendable, Hashable {
    /// The object is gone.
    case deleted(Resource)
    /// The object has finalizers: it is marked with `deletionTimestamp` and goes when they are removed.
    case markedForDeletion(Resource)
}

/// What happens to an object's dependents when it is deleted (Kubernetes' propagationPolicy).
public enum DeletePropagation: String, Sendable, CaseIterable {
    /// The object goes now; the garbage collector deletes its dependents afterwards.
    case background = "Background"
    /// The object stays (with `deletionTimestamp` and the `foregroundDeletion` finalizer)
    /// until the garbage collector has deleted its dependents.
    case foreground = "Foreground"
    /// Dependents lose their owner reference and stay.
    case orphan = "Orphan"

    public static let foregroundFinalizer = "foregroundDeletion"
}

/// One entry of the store's event log, keyed by revision.
public struct StoreEvent: Sendable, Hashable {
    public enum EventType: String, Sendable { case added = "ADDED", modified = "MODIFIED", deleted = "DELETED" }
    public var revision: Int64
    public var type: EventType
    public var object: Resource
    public init(revision: Int64, type: EventType, object: Resource) {
        self.revision = revision
        self.type = type
        self.object = object
    }
}

/// What one apply-and-prune transaction did: every object created, configured or unchanged,
/// then every pruned object deleted (or marked, when it has finalizers).
public struct ApplyPruneOutcome: Sendable, Hashable {
    public var applied: [ApplyOutcome]
    public var pruned: [DeleteOutcome]
    public init(applied: [ApplyOutcome], pruned: [DeleteOutcome]) {
        self.applied = applied
        self.pruned = pruned
    }
}

public struct ObjectList: Sendable {
    public var items: [Resource]
    /// The store revision the list was read at; watch from here to follow it.
    public var revision: Int64
    public init(items: [Resource], revision: Int64) {
        self.items = items
        self.revision = revision
    }
}

/// One status merge patch in a batch, applied only if the object's status holds
/// the expected values: a compare-and-swap on the fields a writer owns (say a
/// node's reservations), which other writers' patches (heartbeats) do not disturb.
public struct StatusPatch: Sendable, Equatable {
    public struct Expectation: Sendable, Equatable {
        /// Dotted path under `status`, e.g. `reservations`.
        public var path: String
        /// The value the field must have; nil: it must be absent.
        public var value: JSONValue?
        public init(path: String, value: JSONValue?) { self.path = path; self.value = value }
    }
    public var key: ObjectKey
    public var expect: [Expectation]
    public var patch: JSONValue
    public init(key: ObjectKey, expect: [Expectation] = [], patch: JSONValue) {
        self.key = key; self.expect = expect; self.patch = patch
    }
}

extension StatusPatch {
    /// The wire form of a batch: `{"items": [{"kind", "namespace", "name", "expect": [{"path", "value"?}], "patch"}]}`;
    /// an expectation without `value` means the field must be absent.
    public static func batchJSON(_ patches: [StatusPatch]) -> JSONValue {
        .object(["items": .array(patches.map { p in
            .object(["kind": .string(p.key.kind), "namespace": .string(p.key.namespace), "name": .string(p.key.name),
                     "expect": .array(p.expect.map { e in
                         var o: [String: JSONValue] = ["path": .string(e.path)]
                         if let v = e.value { o["value"] = v }
                         return .object(o)
                     }),
                     "patch": p.patch])
        })])
    }

    public static func batch(from json: JSONValue) throws -> [StatusPatch] {
        guard let items = json["items"]?.arrayValue else { throw AdmissionError(.badRequest, "expected {\"items\": [...]}") }
        return try items.enumerated().map { i, item in
            guard let kind = item["kind"]?.stringValue, let name = item["name"]?.stringValue, let patch = item["patch"], patch.objectValue != nil else {
                throw AdmissionError(.badRequest, "items[\(i)]: kind, name and an object patch are required")
            }
            let expect = try (item["expect"]?.arrayValue ?? []).map { e -> Expectation in
                guard let path = e["path"]?.stringValue else { throw AdmissionError(.badRequest, "items[\(i)].expect: path is required") }
                return Expectation(path: path, value: e["value"])
            }
            return StatusPatch(key: ObjectKey(kind: kind, namespace: item["namespace"]?.stringValue ?? "", name: name), expect: expect, patch: patch)
        }
    }
}

/// The store every layer above talks to. Every method is one transaction.
public protocol ObjectStore: Sendable {
    func get(_ key: ObjectKey) throws -> Resource?
    /// Objects of `kind`; `namespace` nil means all namespaces.
    func list(kind: String, namespace: String?, selector: LabelSelector) throws -> ObjectList
    func create(_ object: Resource) throws -> Resource
    /// Replaces spec, labels, annotations, finalizers and owner references.
    /// A non-zero `metadata.resourceVersion` that is not the stored one is a conflict.
    func update(_ object: Resource) throws -> Resource
    /// Replaces `status` only, with the same conflict rule.
    func updateStatus(_ object: Resource) throws -> Resource
    /// Merges `patch` (a JSON merge patch, RFC 7386) into the object's status, with
    /// no version check: for writers that own a part of status (agents' telemetry).
    func patchStatus(_ key: ObjectKey, _ patch: JSONValue) throws -> Resource
    /// Applies every patch in one transaction, or none: a `.conflict` error when an
    /// expectation does not hold, `.notFound` when an object is missing.
    func patchStatuses(_ patches: [StatusPatch]) throws -> [Resource]
    func delete(_ key: ObjectKey) throws -> DeleteOutcome
    func delete(_ key: ObjectKey, propagation: DeletePropagation) throws -> DeleteOutcome
    /// Creates or updates the desired objects, all or nothing, in one transaction.
    func apply(_ objects: [Resource], dryRun: Bool) throws -> [ApplyOutcome]
    /// Applies `objects` and deletes `prune` (background propagation; a key already gone is
    /// skipped) in one transaction, all or nothing: GitOps' atomic commit, `apply --prune`.
    func apply(_ objects: [Resource], prune: [ObjectKey], dryRun: Bool) throws -> ApplyPruneOutcome
    /// Log entries after `revision`, oldest first.
    func events(after revision: Int64, limit: Int) throws -> [StoreEvent]
    func currentRevision() throws -> Int64
    /// Changes after `revision`, then new ones as they happen (see `SQLiteStore.watch`).
    func watch(kind: String?, namespace: String?, from revision: Int64, bookmarkEvery: Int) -> AsyncThrowingStream<WatchEvent, Error>
}

/// The store as the layers above use it (the embedded client, the API server): every call is
/// asynchronous, so a store may do its I/O wherever it likes (the SQLite store on its own
/// threads, off the cooperative pool; a database store over the network). Implemented by
/// `SQLiteAsyncStore` today; the semantics are `ObjectStore`'s.
public protocol Store: Sendable {
    func get(_ key: ObjectKey) async throws -> Resource?
    func list(kind: String, namespace: String?, selector: LabelSelector) async throws -> ObjectList
    func create(_ object: Resource) async throws -> Resource
    func update(_ object: Resource) async throws -> Resource
    func updateStatus(_ object: Resource) async throws -> Resource
    func patchStatus(_ key: ObjectKey, _ patch: JSONValue) async throws -> Resource
    func patchStatuses(_ patches: [StatusPatch]) async throws -> [Resource]
    func delete(_ key: ObjectKey, propagation: DeletePropagation) async throws -> DeleteOutcome
    func apply(_ objects: [Resource], dryRun: Bool) async throws -> [ApplyOutcome]
    /// Applies `objects` and deletes `prune` in one transaction, all or nothing (see `ObjectStore`).
    func apply(_ objects: [Resource], prune: [ObjectKey], dryRun: Bool) async throws -> ApplyPruneOutcome
    /// Log entries of `kind` (nil: all) after `revision`, and the head revision read with
    /// them; a `.compacted` error when `revision` is older than the log keeps.
    func events(after revision: Int64, kind: String?, namespace: String?, limit: Int) async throws -> (events: [StoreEvent], head: Int64)
    func currentRevision() async throws -> Int64
    /// Changes after `revision`, then new ones as they happen.
    func watch(kind: String?, namespace: String?, from revision: Int64, bookmarkEvery: Int) -> AsyncThrowingStream<WatchEvent, Error>
}
