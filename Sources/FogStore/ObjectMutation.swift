import FogModel

/// The write rules every store implementation shares (pure, no I/O):
/// which fields a write may change, when `generation` moves, what is a no-op.
public enum ObjectMutation {
    /// A new object as stored: fresh uid, creation time, generation 1.
    public static func created(_ object: Resource, revision: Int64, now: String, uid: String) -> Resource {
        var o = object
        o.metadata.uid = uid
        o.metadata.creationTimestamp = now
        o.metadata.deletionTimestamp = nil
        o.metadata.generation = 1
        o.metadata.resourceVersion = revision
        return o
    }

    /// `existing` updated with the caller's metadata and content; status is kept.
    /// Returns nil when nothing would change.
    public static func updated(_ existing: Resource, with new: Resource) -> Resource? {
        var o = existing
        o.metadata.labels = new.metadata.labels
        o.metadata.annotations = new.metadata.annotations
        o.metadata.finalizers = new.metadata.finalizers
        o.metadata.ownerReferences = new.metadata.ownerReferences
        var content = new.content
        content["status"] = existing.content["status"]
        o.content = content
        return finish(existing, o)
    }

    /// `existing` with only its status replaced; nil when nothing would change.
    public static func statusUpdated(_ existing: Resource, with new: Resource) -> Resource? {
        var o = existing
        o.content["status"] = new.content["status"]
        return o == existing ? nil : o
    }

    /// `existing` with `patch` merged into its status as a JSON merge patch
    /// (RFC 7386: objects merge key by key, `null` removes a key, anything else
    /// replaces); nil when nothing would change.
    public static func statusPatched(_ existing: Resource, patch: JSONValue) -> Resource? {
        var o = existing
        let merged = JSONPatch.merge(existing.content["status"] ?? .object([:]), patch)
        o.content["status"] = merged.isNull ? nil : merged
        return o == existing ? nil : o
    }


    /// What `apply` stores: the manifest owns spec (and other content), labels and
    /// annotations; finalizers and owner references only when the manifest names some;
    /// status and server-set metadata are kept. Nil when nothing would change.
    public static func applied(_ existing: Resource, desired: Resource) -> Resource? {
        var o = existing
        o.metadata.labels = desired.metadata.labels
        o.metadata.annotations = desired.metadata.annotations
        if !desired.metadata.finalizers.isEmpty { o.metadata.finalizers = desired.metadata.finalizers }
        if !desired.metadata.ownerReferences.isEmpty { o.metadata.ownerReferences = desired.metadata.ownerReferences }
        var content = desired.content
        content["status"] = existing.content["status"]
        o.content = content
        return finish(existing, o)
    }

    static func finish(_ existing: Resource, _ candidate: Resource) -> Resource? {
        var o = candidate
        if o == existing { return nil }
        if o.content["spec"] != existing.content["spec"] { o.metadata.generation = existing.metadata.generation + 1 }
        return o
    }
}
