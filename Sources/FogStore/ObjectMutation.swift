import FogAPI
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

    /// Whether a write of `object` may replace `existing`: a resource version, when given, must
    /// be the stored one, and a uid, when given, the stored object's (not one deleted and
    /// created again under the same name). Throws the `.conflict` that says which.
    public static func check(_ object: Resource, against existing: Resource) throws {
        let given = object.metadata.resourceVersion
        if given != 0 && given != existing.metadata.resourceVersion {
            throw StoreError.conflict(object.key, stored: existing.metadata.resourceVersion, given: given)
        }
        if !object.metadata.uid.isEmpty && object.metadata.uid != existing.metadata.uid {
            throw StoreError(.conflict, "\(object.kind.lowercased()) \"\(object.name)\": uid \(object.metadata.uid) does not match the stored object (\(existing.metadata.uid)); it was deleted and created again")
        }
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

    /// Refuses a status patch that is not a JSON object (every store checks it before reading).
    public static func checkStatusPatch(_ patch: JSONValue) throws {
        guard patch.objectValue != nil else { throw AdmissionError(.badRequest, "a status patch must be a JSON object (got \(patch.typeName))") }
    }

    /// Throws `.conflict` when one of `p`'s expectations does not hold on `existing`.
    public static func check(_ p: StatusPatch, against existing: Resource) throws {
        for e in p.expect {
            let actual = existing.status?.value(at: e.path)
            if actual != e.value {
                throw StoreError(.conflict, "\(p.key): status.\(e.path) has changed (expected \(e.value.map { JSONCoding.encode($0) } ?? "absent"), found \(actual.map { JSONCoding.encode($0) } ?? "absent"))")
            }
        }
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

    /// Why the write turning `existing` into `next` is refused whatever its fields say, or nil.
    ///
    /// A finished `FederatedJob` (status.phase `Succeeded` or `Failed`) keeps its spec, as a
    /// Kubernetes Job keeps its template: the spec is the record of the run its status reports
    /// (quote, participants, rounds, model), and a silently accepted change would never run.
    /// Its labels, annotations, finalizers and owner references may still change (`fogctl retry`
    /// is an annotation). A Failed job retried is Pending again, and its spec may change then.
    public static func refusal(_ existing: Resource, _ next: Resource) -> String? {
        guard existing.kind == "FederatedJob", existing.content["spec"] != next.content["spec"],
              let phase = existing.status?["phase"]?.stringValue, phase == "Succeeded" || phase == "Failed" else { return nil }
        let changed = changedPaths(existing.content["spec"], next.content["spec"], prefix: "spec")
        let shown = changed.prefix(3).joined(separator: ", ") + (changed.count > 3 ? " and \(changed.count - 3) more" : "")
        let name = existing.name
        let again = phase == "Failed"
            ? "to run it again, `fogctl retry fj/\(name)` (its spec may change once it is Pending again) or create a job with another name"
            : "to train again, create a job with another name (or delete this one first)"
        return "federatedjob \"\(name)\" is \(phase): its spec is immutable once the job has finished (\(shown) changed); "
            + "labels and annotations may still change; \(again)"
    }

    /// The paths of the leaves that differ between `a` and `b` (sequences compare whole).
    static func changedPaths(_ a: JSONValue?, _ b: JSONValue?, prefix: String) -> [String] {
        guard a != b else { return [] }
        guard let x = a?.objectValue, let y = b?.objectValue else { return [prefix] }
        return Set(x.keys).union(y.keys).sorted().flatMap { k in changedPaths(x[k], y[k], prefix: prefix + "." + k) }
    }

    static func finish(_ existing: Resource, _ candidate: Resource) -> Resource? {
        var o = candidate
        if o == existing { return nil }
        if o.content["spec"] != existing.content["spec"] { o.metadata.generation = existing.metadata.generation + 1 }
        return o
    }
}
