import FogModel
import FogStore

/// Ownership marks a GitSource puts on what it applies.
public enum GitOwnership {
    /// Labels: the source's name and namespace (selectable: `-l fog/gitsource=NAME`).
    public static let nameLabel = "fog/gitsource"
    public static let namespaceLabel = "fog/gitsource-namespace"
    /// Annotation: `NAMESPACE/NAME` of the owning source, checked before an object is taken over.
    public static let annotation = "fog/gitsource"
    /// Set by a webhook or `fogctl reconcile gitsource`: a value the source has not handled asks
    /// for a fetch now (Flux's `reconcile.fluxcd.io/requestedAt`).
    public static let requestedAt = "fog/reconcile-requested-at"

    public static func owner(_ source: ObjectKey) -> String { "\(source.namespace)/\(source.name)" }

    /// `object` with the source's marks.
    public static func marked(_ object: Resource, by source: ObjectKey) -> Resource {
        var o = object
        o.metadata.labels[nameLabel] = source.name
        o.metadata.labels[namespaceLabel] = source.namespace
        o.metadata.annotations[annotation] = owner(source)
        return o
    }

    /// The source that owns `object`, if any.
    public static func source(of object: Resource) -> ObjectKey? {
        guard let name = object.metadata.labels[nameLabel], let ns = object.metadata.labels[namespaceLabel] else { return nil }
        return ObjectKey(kind: "GitSource", namespace: ns, name: name)
    }

    /// Inventory entries: `KIND/NAMESPACE/NAME` (cluster-scoped: `KIND//NAME`).
    public static func entry(_ key: ObjectKey) -> String { "\(key.kind)/\(key.namespace)/\(key.name)" }
    public static func key(entry: String) -> ObjectKey? {
        let parts = entry.split(separator: "/", maxSplits: 2, omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 3 else { return nil }
        return ObjectKey(kind: parts[0], namespace: parts[1], name: parts[2])
    }
}

/// What applying one commit takes (pure): the objects to write, the ones to prune, the
/// drift found, and why the commit is refused if it is. The comparison is the store's own
/// rule (`ObjectMutation.applied`): an object whose live copy the desired manifest would not
/// change is in sync, so schema defaults (filled in on both sides by admission) and
/// server-set fields (status, uid, resourceVersion, generation, timestamps) never count.
public struct GitOpsPlan: Sendable, Equatable {
    public struct Drift: Sendable, Equatable {
        public var key: ObjectKey
        /// `deleted`, or the changed field paths (`spec.capacity.cpu`, `metadata.labels.team`).
        public var fields: [String]
        public var summary: String { "\(GitOwnership.entry(key)): \(fields.joined(separator: ", "))" }
    }

    /// Objects to create or update (missing, changed in git, or drifted under repair).
    public var apply: [Resource] = []
    /// Inventory entries no longer in git (empty unless prune is on).
    public var prune: [ObjectKey] = []
    /// Owned objects that differ from the commit already applied (changes made outside git).
    public var drift: [Drift] = []
    /// Objects in git that another source owns: the commit is refused.
    public var conflicts: [String] = []
    /// Why prune safety refuses the commit, or nil.
    public var refusal: String?
    /// The inventory once the plan is applied.
    public var inventory: [ObjectKey] = []

    public struct Safety: Sendable, Equatable {
        public var maxDeleteShare: Double
        public var allowEmpty: Bool
        public var allowMissingPath: Bool
        public init(maxDeleteShare: Double = 0.5, allowEmpty: Bool = false, allowMissingPath: Bool = false) {
            self.maxDeleteShare = maxDeleteShare
            self.allowEmpty = allowEmpty
            self.allowMissingPath = allowMissingPath
        }
    }

    /// - Parameters:
    ///   - desired: the commit's objects, decoded, defaulted and marked with the source's ownership.
    ///   - live: the stored objects for the desired and inventory keys (absent: not stored).
    ///   - inventory: what the source applied before.
    ///   - sameCommit: the commit is the one applied already, so any difference is drift.
    ///   - repairDrift: write drifted objects back (false: report only).
    ///   - pathMissing: the source's path does not exist at this commit.
    public static func make(source: ObjectKey, desired: [Resource], live: (ObjectKey) -> Resource?, inventory: [ObjectKey],
                            sameCommit: Bool, repairDrift: Bool, prune: Bool, safety: Safety, pathMissing: Bool) -> GitOpsPlan {
        var plan = GitOpsPlan()
        let owner = GitOwnership.owner(source)
        let desiredKeys = Set(desired.map(\.key))
        for object in desired {
            guard let current = live(object.key) else {
                if sameCommit && inventory.contains(object.key) {
                    plan.drift.append(Drift(key: object.key, fields: ["deleted"]))
                    if !repairDrift { continue }
                }
                plan.apply.append(object)
                continue
            }
            if let other = current.metadata.annotations[GitOwnership.annotation], other != owner {
                plan.conflicts.append("\(GitOwnership.entry(object.key)) is applied by gitsource \(other); remove it from one of the two repositories")
                continue
            }
            guard ObjectMutation.applied(current, desired: object) != nil else { continue }
            if sameCommit {
                plan.drift.append(Drift(key: object.key, fields: changedFields(current, object)))
                if !repairDrift { continue }
            }
            plan.apply.append(object)
        }
        if prune {
            plan.prune = inventory.filter { !desiredKeys.contains($0) }.sorted { GitOwnership.entry($0) < GitOwnership.entry($1) }
            let deleting = plan.prune.filter { live($0) != nil }.count
            if pathMissing && !safety.allowMissingPath && !inventory.isEmpty {
                plan.refusal = "the path is missing at this commit: pruning would delete all \(inventory.count) objects this source applied (set spec.pruneSafety.allowMissingPath to allow it)"
            } else if desired.isEmpty && deleting > 0 && !safety.allowEmpty {
                plan.refusal = "the commit has no objects: pruning would delete all \(deleting) objects this source applied (set spec.pruneSafety.allowEmpty to allow it)"
            } else if !inventory.isEmpty, Double(deleting) / Double(inventory.count) > safety.maxDeleteShare, !(desired.isEmpty && safety.allowEmpty) {
                let share = Int((Double(deleting) / Double(inventory.count) * 100).rounded())
                plan.refusal = "pruning would delete \(deleting) of \(inventory.count) objects (\(share) %), more than spec.pruneSafety.maxDeleteShare (\(Int((safety.maxDeleteShare * 100).rounded())) %)"
            }
        } else if pathMissing && !safety.allowMissingPath && !inventory.isEmpty {
            plan.refusal = "the path is missing at this commit (set spec.pruneSafety.allowMissingPath to accept it)"
        }
        let kept = prune ? [] : inventory.filter { !desiredKeys.contains($0) && live($0) != nil }
        plan.inventory = (Array(desiredKeys) + kept).sorted { GitOwnership.entry($0) < GitOwnership.entry($1) }
        return plan
    }

    /// The paths in labels, annotations and content where `live` differs from what `desired` would make of it.
    public static func changedFields(_ live: Resource, _ desired: Resource) -> [String] {
        guard let next = ObjectMutation.applied(live, desired: desired) else { return [] }
        var out: [String] = []
        func walk(_ a: JSONValue?, _ b: JSONValue?, _ path: String) {
            guard a != b else { return }
            if let x = a?.objectValue, let y = b?.objectValue {
                for k in Set(x.keys).union(y.keys).sorted() { walk(x[k], y[k], path + "." + k) }
            } else {
                out.append(path)
            }
        }
        walk(.object(live.metadata.labels.mapValues { .string($0) }), .object(next.metadata.labels.mapValues { .string($0) }), "metadata.labels")
        walk(.object(live.metadata.annotations.mapValues { .string($0) }), .object(next.metadata.annotations.mapValues { .string($0) }), "metadata.annotations")
        var a = live.content, b = next.content
        a["status"] = nil
        b["status"] = nil
        for k in Set(a.keys).union(b.keys).sorted() { walk(a[k], b[k], k) }
        return out.isEmpty ? ["metadata"] : out
    }
}
