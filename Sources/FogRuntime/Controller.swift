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

/// Which changes enqueue which keys for a controller.
public enum WatchSource: Sendable {
    /// Changes to objects of this kind enqueue the object itself.
    case kind(String)
    /// Changes to objects of this kind enqueue their controlling owner of the controller's kind.
    case owned(String)
    /// Changes to objects of this kind enqueue what `map` returns.
    case mapped(String, @Sendable (Resource, InformerSet) -> [ObjectKey])
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
    func reconcile(_ key: ObjectKey, _ context: ReconcileContext) async throws -> ReconcileResult
}

extension Controller {
    public var sources: [WatchSource] { [.kind(kind)] }
    public var workers: Int { 2 }
}

/// What a reconcile may use.
public struct ReconcileContext: Sendable {
    public let client: any FogClient
    public let cache: InformerSet
    public let clock: any FogClock
    public let events: EventRecorder
    public let logger: Logger
    public let registry: KindRegistry

    public var now: Date { clock.now() }
    public var timestamp: String { Timestamp.format(clock.now()) }

    /// Writes `object`'s status with `conditions` set (transition times handled) and
    /// `observedGeneration`, unless nothing would change. The cache may lag the store:
    /// on a conflict the object is read again and the change re-applied (up to 3 tries).
    @discardableResult
    public func updateStatus(_ object: Resource, _ mutate: (inout [String: JSONValue]) -> Void,
                             conditions: [Condition] = []) async throws -> Resource {
        var current = object
        for attempt in 0..<3 {
            var updated = current
            var status = current.status?.objectValue ?? [:]
            mutate(&status)
            status["observedGeneration"] = .int(current.metadata.generation)
            updated.status = .object(status)
            if !conditions.isEmpty {
                var cs = updated.conditions
                for c in conditions { cs.set(c, now: timestamp) }
                updated.conditions = cs
            }
            if updated.status == current.status { return current }
            do {
                return try await client.updateStatus(updated)
            } catch let e as StoreError where e.code == .conflict && attempt < 2 {
                guard let fresh = try await client.get(current.key) else { throw StoreError(.notFound, "\(current.key) is gone") }
                current = fresh
            }
        }
        return current
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
