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

    public init(kinds: [String]) { self.kinds = kinds }

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
                 let uid = r.metadata.uid
                 return cache.informers.values.flatMap { informer in
                     informer.list().filter { $0.metadata.ownerReferences.contains { $0.uid == uid } }.map(\.key)
                 }
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
        let dependents = context.cache.informers.values.flatMap { informer in
            informer.list().filter { $0.metadata.ownerReferences.contains { $0.uid == uid } }
        }
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
