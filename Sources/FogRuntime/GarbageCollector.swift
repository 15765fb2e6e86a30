import FogAPI
import FogClient
import FogModel
import FogStore
import Foundation

/// Deletes objects whose owners are all gone (background cascade), as
/// Kubernetes' garbage collector does. Keys are the dependents; a deleted
/// owner enqueues the objects that name its uid. An owner deleted in the
/// foreground (finalizer `foregroundDeletion`) keeps its key: its dependents
/// are deleted first, then the finalizer is removed and the owner goes.
public struct GarbageCollector: Controller {
    public let name = "garbage-collector"
    public let kind = "*"
    let kinds: [String]
    /// Dependents by owner uid, kept by the caches' change handlers: finding a gone owner's
    /// dependents was a pass over every cache per deletion (at 100,000 nodes, two thirds of a
    /// cold start's time).
    let dependents = DependentIndex()

    public init(kinds: [String]) { self.kinds = kinds }

    public func prepare(_ cache: InformerSet) { dependents.follow(cache) }

    public var sources: [WatchSource] {
        kinds.flatMap { k -> [WatchSource] in
            [.mapped(k, nil) { r, _ in
                // Dependents (to check their owners), and owners being deleted in the foreground.
                let foreground = r.metadata.deletionTimestamp != nil && r.metadata.finalizers.contains(DeletePropagation.foregroundFinalizer)
                return r.metadata.ownerReferences.isEmpty && !foreground ? [] : [r.key]
             },
             .mapped(k, nil) { r, cache in
                 // An owner that went (the cache no longer has it): its dependents need a look.
                 guard cache.get(r.key) == nil else { return [] }
                 return dependents.keys(of: r.metadata.uid, in: cache)
             },
             .mapped(k, nil) { r, cache in
                 // A dependent changed or went: an owner waiting in the foreground needs a look.
                 // Owners live in the dependent's namespace, or are cluster-scoped.
                 r.metadata.ownerReferences.compactMap { ref -> ObjectKey? in
                     for namespace in Set([r.namespace, ""]) {
                         let key = ObjectKey(kind: ref.kind, namespace: namespace, name: ref.name)
                         if let owner = cache.get(key), owner.metadata.uid == ref.uid { return key }
                     }
                     return nil
                 }.filter { cache.get($0)?.metadata.finalizers.contains(DeletePropagation.foregroundFinalizer) == true }
             }]
        }
    }

    public var workers: Int { 2 }

    public func reconcile(_ key: ObjectKey, _ context: ReconcileContext) async throws -> ReconcileResult {
        guard let object = context.cache.get(key) else { return .done }
        if object.metadata.deletionTimestamp != nil,
           object.metadata.finalizers.contains(DeletePropagation.foregroundFinalizer) {
            return try await finishForeground(object, context)
        }
        guard !object.metadata.ownerReferences.isEmpty, object.metadata.deletionTimestamp == nil else { return .done }
        for owner in object.metadata.ownerReferences {
            guard let info = context.registry.info(forKind: owner.kind) else { continue }
            let ownerKey = ObjectKey(kind: owner.kind, namespace: info.namespaced ? object.namespace : "", name: owner.name)
            // The cache may lag behind; ask the store before deleting anything.
            if let found = context.cache.get(ownerKey), found.metadata.uid == owner.uid { return .done }
            if let found = try await context.client.get(ownerKey), found.metadata.uid == owner.uid { return .done }
        }
        do {
            _ = try await context.client.delete(key)
            context.logger.debug("garbage-collected", metadata: ["object": "\(key)"])
        } catch let e as StoreError where e.code == .notFound {}
        return .done
    }

    /// Foreground deletion: delete the dependents (themselves in the foreground), and
    /// release the owner once none is left.
    func finishForeground(_ owner: Resource, _ context: ReconcileContext) async throws -> ReconcileResult {
        let uid = owner.metadata.uid
        let dependents = self.dependents.keys(of: uid, in: context.cache).compactMap { context.cache.get($0) }
            .filter { $0.metadata.ownerReferences.contains { $0.uid == uid } }
        if dependents.isEmpty {
            guard let fresh = try await context.client.get(owner.key), fresh.metadata.uid == uid else { return .done }
            try await context.removeFinalizer(fresh, DeletePropagation.foregroundFinalizer)
            return .done
        }
        for d in dependents where d.metadata.deletionTimestamp == nil {
            do { _ = try await context.client.delete(d.key, propagation: .foreground) } catch let e as StoreError where e.code == .notFound {}
        }
        return .done  // woken again as each dependent goes (mapped source)
    }
}

/// The keys of the cached objects that name each uid as an owner, kept current by the
/// caches' change handlers (registered before the caches fill, so none is missed).
final class DependentIndex: @unchecked Sendable {
    private let lock = NSLock()
    private var cache: ObjectIdentifier?
    private var byOwner: [String: Set<ObjectKey>] = [:]
    private var owners: [ObjectKey: [String]] = [:]

    func follow(_ cache: InformerSet) {
        let id = ObjectIdentifier(cache)
        lock.withLock { self.cache = id; byOwner = [:]; owners = [:] }
        for informer in cache.informers.values {
            informer.addHandler { [weak self] change in
                switch change {
                case .upsert(_, let r): self?.set(r.key, r.metadata.ownerReferences.map(\.uid), from: id)
                case .delete(let r): self?.set(r.key, [], from: id)
                }
            }
        }
    }

    private func set(_ key: ObjectKey, _ uids: [String], from id: ObjectIdentifier) {
        lock.withLock {
            guard cache == id else { return }
            let old = owners[key] ?? []
            guard old != uids else { return }
            for u in old {
                byOwner[u]?.remove(key)
                if byOwner[u]?.isEmpty == true { byOwner[u] = nil }
            }
            for u in uids { byOwner[u, default: []].insert(key) }
            owners[key] = uids.isEmpty ? nil : uids
        }
    }

    /// The dependents of `uid` in key order: from the index when it follows `cache`, else one
    /// pass over every cache.
    func keys(of uid: String, in cache: InformerSet) -> [ObjectKey] {
        if let keys = lock.withLock({ self.cache == ObjectIdentifier(cache) ? byOwner[uid] ?? [] : nil }) { return keys.sorted() }
        return cache.informers.values.flatMap { informer in
            informer.keys { $0.metadata.ownerReferences.contains { $0.uid == uid } }
        }.sorted()
    }
}
