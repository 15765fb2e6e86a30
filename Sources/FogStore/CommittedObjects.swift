import FogAPI
import FogModel
import Foundation

/// The decoded form of objects as last committed, by key, so that a write (or a read) of an
/// object this process has written or read before does not parse its stored JSON again. An
/// entry is used only when its `resourceVersion` equals the revision the object index holds
/// at that moment: a write by another process, a deletion or an older snapshot's read simply
/// misses. Values are shared copy-on-write with the watch events carrying the same commit,
/// and so with the informers holding them: the cache costs little memory beyond its table.
final class CommittedObjects: @unchecked Sendable {
    private let lock = NSLock()
    private var objects: [ObjectKey: Resource] = [:]
    /// Beyond this many entries, one is dropped for each one added.
    let capacity: Int

    init(capacity: Int = 1 << 18) { self.capacity = capacity }

    /// The object stored at `revision` under `key`, if this is it.
    func get(_ key: ObjectKey, revision: Int64) -> Resource? {
        lock.withLock {
            guard let o = objects[key], o.metadata.resourceVersion == revision else { return nil }
            return o
        }
    }

    /// Records `object` as read or written, unless a newer version is already there (a read
    /// from an older snapshot may finish after a write).
    func put(_ object: Resource) {
        lock.withLock { store(object) }
    }

    /// A committed transaction's outcome: each key's object, or nil when it was deleted.
    func commit(_ outcome: [ObjectKey: Resource?]) {
        lock.withLock {
            for (key, object) in outcome {
                if let object { store(object) } else { objects.removeValue(forKey: key) }
            }
        }
    }

    private func store(_ object: Resource) {
        let key = object.key
        if let old = objects[key] {
            guard old.metadata.resourceVersion < object.metadata.resourceVersion else { return }
        } else if objects.count >= capacity, let victim = objects.keys.first {
            objects.removeValue(forKey: victim)
        }
        objects[key] = object
    }
}
