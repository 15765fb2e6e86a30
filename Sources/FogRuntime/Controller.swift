import FogAPI
import FogClient
import FogModel
import FogStore
import Foundation
import Logging

/// What a reconcile asks of the runtime afterwards.
public struct ReconcileResult: Sendable, Equatable {
    /// Reconcile this key again after this many seconds (a timer), even with no change.
    public var requeueAfter: TimeInterval?
    public init(requeueAfter: TimeInterval? = nil) { self.requeueAfter = requeueAfter }
    public static let done = ReconcileResult()
    public static func requeue(after seconds: TimeInterval) -> ReconcileResult { ReconcileResult(requeueAfter: seconds) }
}

/// An error retrying will not fix: reported, not retried.
public struct TerminalError: Error, CustomStringConvertible, Sendable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// Which changes of a controller's own kind enqueue the object (a change passes when any
/// of the controller's predicates says it matters). Creations and deletions always pass.
public enum Predicate: Sendable, Hashable {
    /// `metadata.generation` moved: the spec changed.
    case generationChanged
    /// Labels or annotations changed.
    case metadataChanged
    /// Finalizers, owner references or the deletion timestamp changed (the object's lifecycle).
    case lifecycleChanged
    /// Status changed, beyond conditions and `observedGeneration`, by someone other than this
    /// controller (agents' heartbeats, another controller's fields). Its own writes never pass.
    case statusChangedByOthers
    /// The value at this dotted path of the object (`status.phase`, `spec.tier`) changed.
    case changed(String)

    /// What a controller reconciles on unless it says otherwise.
    public static let standard: Set<Predicate> = [.generationChanged, .metadataChanged, .lifecycleChanged, .statusChangedByOthers]

    /// Whether the change from `old` to `new` passes this predicate.
    public func passes(_ old: Resource, _ new: Resource) -> Bool {
        switch self {
        case .generationChanged:
            return old.metadata.generation != new.metadata.generation || old.spec != new.spec
        case .metadataChanged:
            return old.metadata.labels != new.metadata.labels || old.metadata.annotations != new.metadata.annotations
        case .lifecycleChanged:
            return old.metadata.finalizers != new.metadata.finalizers || old.metadata.deletionTimestamp != new.metadata.deletionTimestamp
                || old.metadata.ownerReferences != new.metadata.ownerReferences
        case .changed(let path):
            return JSONValue.object(old.content).value(at: path) != JSONValue.object(new.content).value(at: path)
        case .statusChangedByOthers:
            func strip(_ r: Resource) -> JSONValue? {
                guard var s = r.status?.objectValue else { return r.status }
                s.removeValue(forKey: "conditions")
                s.removeValue(forKey: "observedGeneration")
                return s.isEmpty ? nil : .object(s)
            }
            return strip(old) != strip(new)
        }
    }
}

/// Which changes enqueue which keys for a controller. Built with `Watches`, which reads as a
/// sentence: `Watches.for("FederatedJob").owns("TrainingTask").watches("FogNode") { … }`.
public enum WatchSource: Sendable {
    /// Changes to objects of this kind enqueue the object itself, when one of the predicates passes.
    case kind(String, Set<Predicate>)
    /// Changes to objects of this kind enqueue their controlling owner of the controller's kind.
    case owned(String)
    /// Changes to objects of this kind enqueue what `map` returns (updates only when one of the
    /// predicates passes, if any are given; creations and deletions always).
    case mapped(String, Set<Predicate>?, @Sendable (Resource, InformerSet) -> [ObjectKey])
}

/// A controller: level-triggered and idempotent. `reconcile` gets only a key,
/// reads the caches, and writes through the client; any crash is recovered by
/// reconciling again.
public protocol Controller: Sendable {
    var name: String { get }
    /// The kind whose objects are the keys of this controller.
    var kind: String { get }
    var sources: [WatchSource] { get }
    /// Concurrent reconciles (never of the same key).
    var workers: Int { get }
    /// The condition types this controller writes; no other controller of the kind may write
    /// them, and it may write no others (empty: the controller writes no conditions).
    var conditionTypes: Set<String> { get }
    func reconcile(_ key: ObjectKey, _ context: ReconcileContext) async throws -> ReconcileResult
    /// Called once by the manager, before any controller's sources are wired to `cache` and
    /// before the caches fill: a controller that keeps a tally or an index of a cache adds its
    /// handlers here, so that it sees every object as the cache takes it in, and each change
    /// before any reconcile that change causes.
    func prepare(_ cache: InformerSet)
}

extension Controller {
    public func prepare(_ cache: InformerSet) {}
    public var sources: [WatchSource] { Watches.for(kind).sources }
    public var workers: Int { 2 }
    public var conditionTypes: Set<String> { [] }
}

/// A controller's sources, as a sentence: `.for(kind)`, then `.owns(kind)` and `.watches(kind, map:)`.
public struct Watches: Sendable {
    public private(set) var sources: [WatchSource]

    /// The controller's own kind, reconciled when one of `predicates` passes.
    public static func `for`(_ kind: String, when predicates: Set<Predicate> = Predicate.standard) -> Watches {
        Watches(sources: [.kind(kind, predicates)])
    }

    /// Objects of `kind` whose controlling owner is of the controller's kind enqueue that owner.
    public func owns(_ kind: String) -> Watches { Watches(sources: sources + [.owned(kind)]) }

    /// Changes to objects of `kind` enqueue what `map` returns; with `when`, an update counts only
    /// if one of those predicates passes.
    public func watches(_ kind: String, when predicates: Set<Predicate>? = nil,
                        map: @escaping @Sendable (Resource, InformerSet) -> [ObjectKey]) -> Watches {
        Watches(sources: sources + [.mapped(kind, predicates, map)])
    }
}

/// The statuses a controller is writing itself, so the watch events they cause are not taken
/// for someone else's change. Recorded before the write (its event may reach the cache before
/// the write returns); forgotten once an event with that status is seen. An event whose status
/// is exactly what the controller wrote holds nothing new for it, whoever wrote it.
public final class OwnWrites: @unchecked Sendable {
    private let lock = NSLock()
    private var statuses: [ObjectKey: JSONValue] = [:]

    public init() {}

    func record(_ key: ObjectKey, status: JSONValue?) {
        lock.withLock { statuses[key] = status ?? .null }
    }

    /// Whether `object` carries the status this controller last wrote (and forgets it).
    func consume(_ object: Resource) -> Bool {
        lock.withLock {
            guard let s = statuses[object.key], s == (object.status ?? .null) else { return false }
            statuses.removeValue(forKey: object.key)
            return true
        }
    }
}

/// What a reconcile may use.
public struct ReconcileContext: Sendable {
    public let client: any FogClient
    public let cache: InformerSet
    public let clock: any FogClock
    public let events: EventRecorder
    public let logger: Logger
    public let registry: KindRegistry
    /// The controller this context belongs to, the condition types it owns, and its own writes.
    public let controller: String
    public let ownedConditions: Set<String>
    let ownWrites: OwnWrites

    public init(client: any FogClient, cache: InformerSet, clock: any FogClock, events: EventRecorder, logger: Logger,
                registry: KindRegistry, controller: String = "", ownedConditions: Set<String> = [], ownWrites: OwnWrites = OwnWrites()) {
        self.client = client
        self.cache = cache
        self.clock = clock
        self.events = events
        self.logger = logger
        self.registry = registry
        self.controller = controller
        self.ownedConditions = ownedConditions
        self.ownWrites = ownWrites
    }

    /// The same context for another controller.
    func `for`(_ controller: any Controller) -> ReconcileContext {
        ReconcileContext(client: client, cache: cache, clock: clock, events: events, logger: logger, registry: registry,
                         controller: controller.name, ownedConditions: controller.conditionTypes, ownWrites: OwnWrites())
    }

    public var now: Date { clock.now() }
    public var timestamp: String { Timestamp.format(clock.now()) }

    /// Writes `object`'s status with `conditions` set (transition times handled) and
    /// `observedGeneration`, unless nothing would change. The cache may lag the store:
    /// on a conflict the object is read again and the change re-applied (up to 3 tries).
    @discardableResult
    public func updateStatus(_ object: Resource, _ mutate: (inout [String: JSONValue]) throws -> Void,
                             conditions: [Condition] = []) async throws -> Resource {
        var current = object
        for attempt in 0..<3 {
            var updated = current
            var status = current.status?.objectValue ?? [:]
            try mutate(&status)
            status["observedGeneration"] = .int(current.metadata.generation)
            updated.status = .object(status)
            if !conditions.isEmpty {
                // One owner per condition type: a controller writes only the types it declares.
                if let foreign = conditions.first(where: { !ownedConditions.contains($0.type) }) {
                    throw TerminalError("controller \(controller) wrote condition \(foreign.type), which it does not own (it owns \(ownedConditions.isEmpty ? "none" : ownedConditions.sorted().joined(separator: ", ")))")
                }
                var cs = updated.conditions
                for c in conditions { cs.set(c, now: timestamp) }
                updated.conditions = cs
            }
            if updated.status == current.status { return current }
            do {
                ownWrites.record(updated.key, status: updated.status)
                return try await client.updateStatus(updated)
            } catch let e as StoreError where e.code == .conflict && attempt < 2 {
                guard let fresh = try await client.get(current.key) else { throw StoreError(.notFound, "\(current.key) is gone") }
                current = fresh
            }
        }
        return current
    }

    /// `updateStatus` through the kind's typed status (`FogNodeStatus`, …): `mutate` sets the
    /// fields this controller owns, and only the fields it changed are written (the other
    /// writers' fields stay as stored). A stored status that does not read as `S` fails the
    /// reconcile for good, naming the field.
    ///
    /// `fields`: read only these (the others are nil in the closure, and stay as stored unless
    /// it sets them): for a writer of a few fields of a large status. A field it clears must
    /// be among them.
    @discardableResult
    public func updateStatus<S: KindStatus>(_ object: Resource, as type: S.Type, fields: [PartialKeyPath<S>]? = nil,
                                            _ mutate: (inout S) throws -> Void, conditions: [Condition] = []) async throws -> Resource {
        try await updateStatus(object, { raw in
            let old: S
            do { old = try fields.map { try S(json: raw, only: $0) } ?? S(json: .object(raw)) } catch {
                throw TerminalError("status of \(object.kind.lowercased())/\(object.name) does not read as \(S.self): \(error)")
            }
            var status = old
            try mutate(&status)
            status.write(into: &raw, changedFrom: old)
        }, conditions: conditions)
    }

    /// Adds `finalizer` to `object` if missing.
    public func ensureFinalizer(_ object: Resource, _ finalizer: String) async throws -> Resource {
        guard !object.metadata.finalizers.contains(finalizer) else { return object }
        var o = object
        o.metadata.finalizers.append(finalizer)
        return try await client.update(o)
    }

    /// Removes `finalizer` from `object`; the store deletes it when none remain and it is being deleted.
    public func removeFinalizer(_ object: Resource, _ finalizer: String) async throws {
        guard object.metadata.finalizers.contains(finalizer) else { return }
        var o = object
        o.metadata.finalizers.removeAll { $0 == finalizer }
        _ = try await client.update(o)
    }
}
