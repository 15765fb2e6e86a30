import FogAPI
import FogClient
import FogModel
import FogStore
import Foundation
import Logging

/// A cache of one kind, filled by list and kept current by watch. Controllers
/// read it instead of the store. When the watch's revision has been compacted
/// it lists again and reports the differences as events.
public final class Informer: @unchecked Sendable {
    public enum Change: Sendable {
        case upsert(old: Resource?, new: Resource)
        case delete(Resource)
    }

    public let kind: String
    let client: any FogClient
    let logger: Logger
    private let lock = NSLock()
    private var items: [ObjectKey: Resource] = [:]
    /// The keys in order, rebuilt on the first list after a key was added or removed
    /// (updates, the common case, keep it): lists are sorted without sorting each time.
    private var sortedKeys: [ObjectKey]?
    private var handlers: [@Sendable (Change) -> Void] = []
    private var _revision: Int64 = 0
    private var _synced = false
    /// How many times the cache was rebuilt from a list (1 at start).
    public private(set) var lists = 0

    /// Notified after every change the cache takes in (and after each list), so waiters
    /// for "caught up" are woken by the cache itself instead of polling it.
    let activity: AsyncSignal?

    public init(kind: String, client: any FogClient, logger: Logger, activity: AsyncSignal? = nil) {
        self.kind = kind
        self.client = client
        self.logger = logger
        self.activity = activity
    }

    public func addHandler(_ h: @escaping @Sendable (Change) -> Void) { lock.withLock { handlers.append(h) } }

    public var revision: Int64 { lock.withLock { _revision } }
    public var hasSynced: Bool { lock.withLock { _synced } }

    public func get(_ key: ObjectKey) -> Resource? { lock.withLock { items[key] } }

    /// The cached objects in key order (namespace, then name), optionally of one namespace and matching a selector.
    public func list(namespace: String? = nil, selector: LabelSelector = LabelSelector()) -> [Resource] {
        lock.withLock {
            var out: [Resource] = []
            out.reserveCapacity(namespace == nil && selector.isEmpty ? items.count : 16)
            for key in orderedKeys(namespace: namespace) {
                guard let r = items[key], selector.isEmpty || selector.matches(r.metadata.labels) else { continue }
                out.append(r)
            }
            return out
        }
    }

    /// Calls `body` with each cached object in key order, without copying the cache
    /// (`body` runs under the cache's lock: it must not call back into this informer).
    public func forEach(_ body: (Resource) -> Void) {
        lock.withLock {
            for key in orderedKeys(namespace: nil) { if let r = items[key] { body(r) } }
        }
    }

    /// Keys of the cached objects (of one namespace, if given) that satisfy `predicate`, in key
    /// order, without copying the objects out.
    public func keys(namespace: String? = nil, where predicate: (Resource) -> Bool) -> [ObjectKey] {
        lock.withLock { orderedKeys(namespace: namespace).filter { items[$0].map(predicate) ?? false } }
    }

    /// Keeps the ordered keys (when built) in order as one key comes (lock held): a binary
    /// search and one move, where rebuilding them made each list after a creation sort the
    /// whole cache (13,000 tasks created one by one, each followed by a list of its job's).
    private func insertSorted(_ key: ObjectKey) {
        guard sortedKeys != nil else { return }
        let i = sortedKeys!.partitioningIndex { $0 >= key }
        sortedKeys!.insert(key, at: i)
    }

    /// The same as one key goes.
    private func removeSorted(_ key: ObjectKey) {
        guard sortedKeys != nil else { return }
        let i = sortedKeys!.partitioningIndex { $0 >= key }
        if i < sortedKeys!.count && sortedKeys![i] == key { sortedKeys!.remove(at: i) } else { sortedKeys = nil }
    }

    /// The keys in order, of one namespace if given (called with the lock held). Keys sort by
    /// namespace first, so a namespace is one run, found by binary search.
    private func orderedKeys(namespace: String?) -> ArraySlice<ObjectKey> {
        if sortedKeys == nil { sortedKeys = items.keys.sorted() }
        let all = sortedKeys!
        guard let namespace else { return all[...] }
        let lo = all.partitioningIndex { $0.namespace >= namespace }
        var end = lo
        while end < all.endIndex && all[end].namespace == namespace { end += 1 }
        return all[lo..<end]
    }

    public var count: Int { lock.withLock { items.count } }

    /// Lists (unless the cache is already filled), then watches from the cache's
    /// revision until cancelled; lists again when that revision was compacted,
    /// and retries other errors with backoff.
    public func run() async {
        var failures = 0
        var needList = !hasSynced
        while !Task.isCancelled {
            do {
                if needList { try await relist() }
                needList = false
                failures = 0
                for try await event in client.watch(kind: kind, namespace: nil, from: revision) {
                    apply(event)
                }
                if Task.isCancelled { return }
            } catch let e as StoreError where e.code == .compacted {
                logger.info("watch revision compacted; listing again", metadata: ["kind": "\(kind)"])
                needList = true
            } catch {
                if Task.isCancelled { return }
                failures += 1
                logger.warning("informer error, retrying", metadata: ["kind": "\(kind)", "error": "\(error)"])
                try? await Task.sleep(for: .milliseconds(min(5000, 50 << min(failures, 6))))
            }
        }
    }

    // The cache's revision (and `hasSynced`) move only after the handlers have
    // seen the change, so "caught up" always implies "queued".

    func relist() async throws {
        let list = try await client.list(kind: kind, namespace: nil, selector: LabelSelector())
        var fresh: [ObjectKey: Resource] = [:]
        for r in list.items { fresh[r.key] = r }
        let (old, hs) = lock.withLock { () -> ([ObjectKey: Resource], [@Sendable (Change) -> Void]) in
            let old = items
            items = fresh
            sortedKeys = nil
            lists += 1
            return (old, handlers)
        }
        for (key, r) in old where fresh[key] == nil { for h in hs { h(.delete(r)) } }
        for (key, r) in fresh where old[key] != r { for h in hs { h(.upsert(old: old[key], new: r)) } }
        lock.withLock {
            _revision = list.revision
            _synced = true
        }
        activity?.notify()
    }

    func apply(_ event: WatchEvent) {
        let (change, hs) = lock.withLock { () -> (Change?, [@Sendable (Change) -> Void]) in
            switch event {
            case .added(let r, _), .modified(let r, _):
                let old = items[r.key]
                if let old, old.metadata.resourceVersion >= r.metadata.resourceVersion { return (nil, []) }
                items[r.key] = r
                if old == nil { insertSorted(r.key) }
                return (.upsert(old: old, new: r), handlers)
            case .deleted(let r, _):
                guard items.removeValue(forKey: r.key) != nil else { return (nil, []) }
                removeSorted(r.key)
                return (.delete(r), handlers)
            case .bookmark:
                return (nil, [])
            }
        }
        if let change { for h in hs { h(change) } }
        lock.withLock { _revision = max(_revision, event.revision) }
        activity?.notify()
    }
}

/// One informer per kind.
public final class InformerSet: @unchecked Sendable {
    public let informers: [String: Informer]
    /// Notified whenever any cache moves (see `Informer.activity`); the manager also notifies
    /// it when a reconcile finishes. One waiter at a time: the manager's.
    public let activity = AsyncSignal()

    public init(kinds: [String], client: any FogClient, logger: Logger) {
        var d: [String: Informer] = [:]
        for k in kinds { d[k] = Informer(kind: k, client: client, logger: logger, activity: activity) }
        informers = d
    }

    public subscript(kind: String) -> Informer? { informers[kind] }

    public func get(_ key: ObjectKey) -> Resource? { informers[key.kind]?.get(key) }

    public func list(_ kind: String, namespace: String? = nil, selector: LabelSelector = LabelSelector()) -> [Resource] {
        informers[kind]?.list(namespace: namespace, selector: selector) ?? []
    }

    /// Calls `body` with each cached object of `kind` in key order, without copying the cache.
    public func forEach(_ kind: String, _ body: (Resource) -> Void) {
        informers[kind]?.forEach(body)
    }

    public func keys(_ kind: String, namespace: String? = nil, where predicate: (Resource) -> Bool) -> [ObjectKey] {
        informers[kind]?.keys(namespace: namespace, where: predicate) ?? []
    }

    public var allSynced: Bool { informers.values.allSatisfy(\.hasSynced) }
    /// The lowest revision any cache has seen.
    public var revision: Int64 { informers.values.map(\.revision).min() ?? 0 }
}

extension Array {
    /// The first index whose element satisfies `predicate`, for a predicate that is false and
    /// then true along the array (a binary search).
    fileprivate func partitioningIndex(where predicate: (Element) -> Bool) -> Int {
        var lo = startIndex, hi = endIndex
        while lo < hi {
            let mid = (lo + hi) / 2
            if predicate(self[mid]) { hi = mid } else { lo = mid + 1 }
        }
        return lo
    }
}
