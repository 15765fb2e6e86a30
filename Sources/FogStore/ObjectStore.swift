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
    func delete(_ key: ObjectKey) throws -> DeleteOutcome
    func delete(_ key: ObjectKey, propagation: DeletePropagation) throws -> DeleteOutcome
    /// Creates or updates the desired objects, all or nothing, in one transaction.
    func apply(_ objects: [Resource], dryRun: Bool) throws -> [ApplyOutcome]
    /// Log entries after `revision`, oldest first.
    func events(after revision: Int64, limit: Int) throws -> [StoreEvent]
    func currentRevision() throws -> Int64
    /// Changes after `revision`, then new ones as they happen (see `SQLiteStore.watch`).
    func watch(kind: String?, namespace: String?, from revision: Int64, bookmarkEvery: Int) -> AsyncThrowingStream<WatchEvent, Error>
}
