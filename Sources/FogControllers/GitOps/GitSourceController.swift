import FogAPI
import FogManifest
import FogModel
import FogRuntime
import Foundation

/// Keeps a GitSource's repository applied: fetches its ref (on the interval, at once when
/// `fog/reconcile-requested-at` changes: a webhook or `fogctl reconcile gitsource`), decodes
/// and validates every manifest under its path at that commit as `fogctl apply` does, and
/// applies them with the objects that left git pruned in one store transaction, or refuses
/// the whole commit (the last good one stays applied). It also reconciles on every change
/// to an object it owns (spec, labels, annotations, deletion), from the watch, and puts it
/// back (`driftPolicy: repair`) or reports it (`report`).
///
/// Fetches run in the reconcile of their own source only (8 workers; one key is never
/// reconciled twice at once), each with its own checkout and a timeout: a slow repository
/// holds up its own source, not the others.
public struct GitSourceController: Controller {
    public let name = "gitsource"
    public let kind = "GitSource"
    public let fetcher: GitFetcher
    let memory = GitSourceMemory()

    public init(fetcher: GitFetcher) { self.fetcher = fetcher }

    public var workers: Int { 8 }
    public var conditionTypes: Set<String> { ["Ready", "Stalled", "Suspended"] }

    public var sources: [WatchSource] {
        var w = Watches.for("GitSource")
            // A source's status moving (Ready at a new commit) lets the sources that depend on it go on.
            .watches("GitSource", when: [.changed("status")]) { source, cache in
                cache.keys("GitSource") { dependent in
                    (dependent.spec?["dependsOn"]?.arrayValue ?? []).contains { d in
                        d["name"]?.stringValue == source.name && (d["namespace"]?.stringValue ?? dependent.namespace) == source.namespace
                    }
                } + (GitOwnership.source(of: source).map { [$0] } ?? [])
            }
        // Drift: any change to an owned object but its status (status is not git's) reconciles its source.
        for kind in SchemaSet.builtIn.registry.kinds.map(\.kind) where kind != "GitSource" && kind != "Event" {
            w = w.watches(kind, when: [.generationChanged, .metadataChanged, .lifecycleChanged]) { object, _ in
                GitOwnership.source(of: object).map { [$0] } ?? []
            }
        }
        return w.sources
    }

    public func reconcile(_ key: ObjectKey, _ ctx: ReconcileContext) async throws -> ReconcileResult {
        // The source itself is read from the store, not the cache: its status (the applied commit,
        // the inventory) decides what is drift and what is pruned, and the cache may not have seen
        // this controller's last status write yet.
        guard let source = try await ctx.client.get(key), source.metadata.deletionTimestamp == nil else {
            if try await ctx.client.get(key) == nil {
                memory.forget(key)
                fetcher.remove(namespace: key.namespace, name: key.name)
            }
            return .done
        }
        let spec = try source.reconciledSpec(GitSourceSpec.self)
        let interval = DurationText.seconds(spec.interval) ?? 60
        let status = source.status?.objectValue ?? [:]
        if spec.suspend {
            try await ctx.updateStatus(source, { _ in }, conditions: [
                Condition(type: "Suspended", status: .true, reason: "Suspended", message: "spec.suspend is true: nothing is fetched, applied, pruned or repaired"),
            ])
            return .done
        }
        let active = Condition(type: "Suspended", status: .false, reason: "Active", message: "syncing")

        // Dependencies: each Ready at the commit it fetched last; their status changes enqueue this source.
        for d in spec.dependsOn ?? [] {
            let depKey = ObjectKey(kind: "GitSource", namespace: d.namespace ?? key.namespace, name: d.name)
            if let why = Self.notReady(ctx.cache.get(depKey), depKey) {
                try await ctx.updateStatus(source, { _ in }, conditions: [
                    Condition(type: "Ready", status: .false, reason: "DependencyNotReady", message: why),
                    Condition(type: "Stalled", status: .false, reason: "Waiting", message: why), active,
                ])
                return .done
            }
        }

        // Fetch when due: first time, a spec change, a request, or the interval.
        let now = ctx.now
        let requested = source.metadata.annotations[GitOwnership.requestedAt]
        let handled = status["lastHandledReconcileAt"]?.stringValue
        var entry = memory.get(key)
        let due = entry == nil || entry!.generation != source.metadata.generation || (requested != nil && requested != handled)
            || now.timeIntervalSince(entry!.fetchedAt) >= interval
        if due {
            do {
                let (commit, dir) = try await fetcher.fetch(namespace: key.namespace, name: key.name, url: spec.url, ref: spec.ref,
                                                            secret: spec.secretRef?.name, timeout: DurationText.seconds(spec.timeout) ?? 60)
                if var e = entry, e.fetched.commit == commit, e.generation == source.metadata.generation {
                    e.fetchedAt = now
                    entry = e
                } else {
                    let snapshot = GitSnapshot.load(directory: dir, commit: commit, path: spec.path,
                                                    namespace: spec.targetNamespace ?? key.namespace, source: key)
                    entry = GitSourceMemory.Entry(generation: source.metadata.generation, fetchedAt: now, fetched: snapshot,
                                                  applied: entry?.applied)
                }
                memory.set(key, entry!)
            } catch {
                let message = "fetch of \(spec.ref) from \(GitFetcher.redacted(spec.url)) failed: \(error)"
                try await ctx.updateStatus(source, as: GitSourceStatus.self, { s in
                    s.errors = [message]
                    if let requested { s.lastHandledReconcileAt = requested }
                }, conditions: [Condition(type: "Ready", status: .false, reason: "FetchFailed", message: message),
                                Condition(type: "Stalled", status: .false, reason: "Retrying", message: "fetched again in \(spec.interval)"), active])
                await ctx.events.record(source, .warning, reason: "FetchFailed", message: message)
                if var e = entry { e.fetchedAt = now; memory.set(key, e) }
                return .requeue(after: interval)
            }
        }
        guard let current = entry else { return .done }
        let next = ReconcileResult.requeue(after: max(0.001, interval - now.timeIntervalSince(current.fetchedAt)))
        let fetched = current.fetched
        let appliedRevision = status["lastAppliedRevision"]?.stringValue
        let inventory = (status["inventory"]?.arrayValue ?? []).compactMap { $0.stringValue.flatMap(GitOwnership.key(entry:)) }

        // A commit that does not decode is refused whole; drift against the last good one goes on.
        if !fetched.errors.isEmpty {
            let message = "commit \(fetched.commit.prefix(12)) refused: \(fetched.errors.count) problem\(fetched.errors.count == 1 ? "" : "s") found; "
                + (appliedRevision.map { "commit \($0.prefix(12)) stays applied" } ?? "nothing applied")
            let before = status["lastFetchedRevision"]?.stringValue
            try await ctx.updateStatus(source, as: GitSourceStatus.self, { s in
                s.lastFetchedRevision = fetched.commit
                if before != fetched.commit { s.lastFetchTime = Timestamp.format(now) }
                s.errors = fetched.errors
                if let requested { s.lastHandledReconcileAt = requested }
            }, conditions: [Condition(type: "Ready", status: .false, reason: "ValidationFailed", message: message),
                            Condition(type: "Stalled", status: .true, reason: "ValidationFailed", message: "a new commit is needed"), active])
            if before != fetched.commit || status["errors"] == nil {
                await ctx.events.record(source, .warning, reason: "CommitRefused",
                                        message: message + ": " + fetched.errors.prefix(5).joined(separator: "; ") + (fetched.errors.count > 5 ? "; …" : ""))
            }
            if let applied = current.applied, applied.commit == appliedRevision {
                try await repairDrift(source, spec, applied, inventory: inventory, ctx)
            }
            return next
        }

        let sameCommit = fetched.commit == appliedRevision
        var plan = GitOpsPlan.make(source: key, desired: fetched.objects, live: { ctx.cache.get($0) }, inventory: inventory,
                                   sameCommit: sameCommit, repairDrift: spec.driftPolicy == .repair, prune: spec.prune,
                                   safety: spec.pruneSafety.plan, pathMissing: fetched.pathMissing)
        if !plan.drift.isEmpty {
            // The cache may lag the store: confirm drift with the stored objects before acting on it.
            var fresh: [ObjectKey: Resource] = [:]
            for d in plan.drift { if let o = try await ctx.client.get(d.key) { fresh[d.key] = o } }
            let drifted = Set(plan.drift.map(\.key))
            plan = GitOpsPlan.make(source: key, desired: fetched.objects, live: { drifted.contains($0) ? fresh[$0] : ctx.cache.get($0) },
                                   inventory: inventory, sameCommit: sameCommit, repairDrift: spec.driftPolicy == .repair, prune: spec.prune,
                                   safety: spec.pruneSafety.plan, pathMissing: fetched.pathMissing)
        }
        if let refusal = plan.refusal ?? (plan.conflicts.isEmpty ? nil : "\(plan.conflicts.count) object\(plan.conflicts.count == 1 ? " belongs" : "s belong") to another gitsource") {
            let reason = plan.refusal != nil ? "PruneRefused" : "OwnershipConflict"
            let message = "commit \(fetched.commit.prefix(12)) refused: \(refusal); " + (appliedRevision.map { "commit \($0.prefix(12)) stays applied" } ?? "nothing applied")
            let before = status["lastFetchedRevision"]?.stringValue
            try await ctx.updateStatus(source, as: GitSourceStatus.self, { s in
                s.lastFetchedRevision = fetched.commit
                if before != fetched.commit { s.lastFetchTime = Timestamp.format(now) }
                s.errors = [plan.refusal].compactMap { $0 } + plan.conflicts
                if let requested { s.lastHandledReconcileAt = requested }
            }, conditions: [Condition(type: "Ready", status: .false, reason: reason, message: message),
                            Condition(type: "Stalled", status: .true, reason: reason, message: "a new commit or a change of spec is needed"), active])
            if before != fetched.commit || status["errors"] == nil {
                await ctx.events.record(source, .warning, reason: reason, message: message)
            }
            return next
        }

        var repairs = 0
        var appliedNow = false
        if !plan.apply.isEmpty || !plan.prune.isEmpty {
            let result: ApplyPruneOutcome
            do { result = try await ctx.client.apply(plan.apply, prune: plan.prune, dryRun: false) } catch {
                let message = "commit \(fetched.commit.prefix(12)) not applied: \(error)"
                try await ctx.updateStatus(source, as: GitSourceStatus.self, { s in s.errors = [message] },
                                           conditions: [Condition(type: "Ready", status: .false, reason: "ApplyFailed", message: message),
                                                        Condition(type: "Stalled", status: .false, reason: "Retrying", message: "retried with backoff"), active])
                await ctx.events.record(source, .warning, reason: "ApplyFailed", message: message)
                throw error
            }
            appliedNow = result.applied.contains { $0.action != .unchanged } || !result.pruned.isEmpty
            if sameCommit {
                let drifted = Set(plan.drift.map(\.key))
                repairs = result.applied.filter { $0.action != .unchanged && drifted.contains($0.object.key) }.count
            }
        }
        memory.update(key) { $0.applied = fetched }
        let reportOnly = spec.driftPolicy == .report && !plan.drift.isEmpty
        if repairs > 0 {
            await ctx.events.record(source, .normal, reason: "DriftRepaired",
                                    message: "put back \(repairs) object\(repairs == 1 ? "" : "s") changed outside git: " + plan.drift.prefix(5).map(\.summary).joined(separator: "; "))
        }
        let driftList: [String]? = reportOnly ? plan.drift.map(\.summary) : nil
        if reportOnly && status["drift"]?.arrayValue?.compactMap(\.stringValue) != driftList {
            await ctx.events.record(source, .warning, reason: "DriftDetected",
                                    message: "\(plan.drift.count) object\(plan.drift.count == 1 ? "" : "s") differ from git (driftPolicy report): " + plan.drift.prefix(5).map(\.summary).joined(separator: "; "))
        }
        if !sameCommit && appliedNow {
            await ctx.events.record(source, .normal, reason: "Applied",
                                    message: "applied commit \(fetched.commit.prefix(12)): \(plan.apply.count) written, \(plan.prune.count) pruned")
        }
        let before = status["lastFetchedRevision"]?.stringValue
        let inventoryEntries = plan.inventory.map(GitOwnership.entry)
        try await ctx.updateStatus(source, as: GitSourceStatus.self, { s in
            s.lastFetchedRevision = fetched.commit
            if before != fetched.commit { s.lastFetchTime = Timestamp.format(now) }
            if !sameCommit || s.lastAppliedTime == nil {
                s.lastAppliedRevision = fetched.commit
                s.lastAppliedTime = Timestamp.format(now)
            }
            s.inventory = inventoryEntries
            s.inventoryCount = plan.inventory.count
            if repairs > 0 || s.driftRepairs == nil { s.driftRepairs = (s.driftRepairs ?? 0) + repairs }
            s.drift = driftList
            s.errors = nil
            if let requested { s.lastHandledReconcileAt = requested }
        }, conditions: [
            reportOnly
                ? Condition(type: "Ready", status: .false, reason: "DriftDetected", message: "commit \(fetched.commit.prefix(12)) applied; \(plan.drift.count) object\(plan.drift.count == 1 ? "" : "s") changed outside git (driftPolicy report)")
                : Condition(type: "Ready", status: .true, reason: "Applied", message: "commit \(fetched.commit.prefix(12)) applied (\(plan.inventory.count) object\(plan.inventory.count == 1 ? "" : "s"))"),
            Condition(type: "Stalled", status: .false, reason: "Applied", message: "in sync with git"), active,
        ])
        return next
    }

    /// Drift repair against the last good commit while a newer one is refused.
    func repairDrift(_ source: Resource, _ spec: GitSourceSpec, _ applied: GitSnapshot, inventory: [ObjectKey], _ ctx: ReconcileContext) async throws {
        guard spec.driftPolicy == .repair else { return }
        let plan = GitOpsPlan.make(source: source.key, desired: applied.objects, live: { ctx.cache.get($0) }, inventory: inventory,
                                   sameCommit: true, repairDrift: true, prune: false, safety: spec.pruneSafety.plan, pathMissing: false)
        guard !plan.apply.isEmpty else { return }
        let result = try await ctx.client.apply(plan.apply, prune: [], dryRun: false)
        let repairs = result.applied.filter { $0.action != .unchanged }.count
        guard repairs > 0 else { return }
        await ctx.events.record(source, .normal, reason: "DriftRepaired",
                                message: "put back \(repairs) object\(repairs == 1 ? "" : "s") changed outside git: " + plan.drift.prefix(5).map(\.summary).joined(separator: "; "))
        try await ctx.updateStatus(source, as: GitSourceStatus.self, { s in s.driftRepairs = (s.driftRepairs ?? 0) + repairs })
    }

    /// Why a dependency is not ready at its current commit, or nil.
    static func notReady(_ dep: Resource?, _ key: ObjectKey) -> String? {
        guard let dep else { return "waiting for gitsource \(key.namespace)/\(key.name), which does not exist" }
        let ready = dep.condition("Ready")?.status == .true
        let fetched = dep.status?["lastFetchedRevision"]?.stringValue
        let applied = dep.status?["lastAppliedRevision"]?.stringValue
        guard ready, let applied, fetched == applied else {
            return "waiting for gitsource \(key.namespace)/\(key.name) to be Ready at its current commit"
        }
        return nil
    }
}

extension GitSourceSpec.PruneSafety {
    var plan: GitOpsPlan.Safety { GitOpsPlan.Safety(maxDeleteShare: maxDeleteShare, allowEmpty: allowEmpty, allowMissingPath: allowMissingPath) }
}

/// One commit's manifests as the source would apply them: decoded, validated, defaulted and
/// marked, or the problems that refuse it (file paths relative to the repository).
struct GitSnapshot: Sendable {
    var commit: String
    var objects: [Resource] = []
    var errors: [String] = []
    var pathMissing = false

    static func load(directory: String, commit: String, path: String, namespace: String, source: ObjectKey) -> GitSnapshot {
        var snapshot = GitSnapshot(commit: commit)
        let relative = path == "." || path.isEmpty ? "" : path.trimmingCharacters(in: CharacterSet(charactersIn: "/"))
        let root = relative.isEmpty ? directory : directory + "/" + relative
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: root, isDirectory: &isDir), isDir.boolValue else {
            snapshot.pathMissing = true
            return snapshot
        }
        var inputs: [ManifestInput] = []
        for file in manifestFiles(root) {
            guard let data = FileManager.default.contents(atPath: root + "/" + file) else { continue }
            inputs.append(ManifestInput(name: relative.isEmpty ? file : relative + "/" + file, bytes: [UInt8](data)))
        }
        do {
            snapshot.objects = try ManifestDecoder(defaultNamespace: namespace).decode(inputs).map { GitOwnership.marked($0.resource, by: source) }
        } catch let e as ManifestErrors {
            snapshot.errors = e.errors.map(\.description)
        } catch {
            snapshot.errors = ["\(error)"]
        }
        return snapshot
    }

    /// `.yaml`, `.yml` and `.json` files under `dir`, recursively, sorted; dot-entries skipped.
    static func manifestFiles(_ dir: String) -> [String] {
        let fm = FileManager.default
        var out: [String] = []
        func walk(_ rel: String) {
            let full = rel.isEmpty ? dir : dir + "/" + rel
            guard let entries = try? fm.contentsOfDirectory(atPath: full) else { return }
            for entry in entries.sorted() where !entry.hasPrefix(".") {
                let r = rel.isEmpty ? entry : rel + "/" + entry
                var isDir: ObjCBool = false
                fm.fileExists(atPath: dir + "/" + r, isDirectory: &isDir)
                if isDir.boolValue { walk(r) } else if entry.hasSuffix(".yaml") || entry.hasSuffix(".yml") || entry.hasSuffix(".json") { out.append(r) }
            }
        }
        walk("")
        return out
    }
}

/// What the controller remembers between reconciles of a source (in this process): the
/// commit fetched last and when (on the manager's clock), and the last commit it applied,
/// decoded, to compare owned objects with. A new process fetches again.
final class GitSourceMemory: @unchecked Sendable {
    struct Entry: Sendable {
        var generation: Int64
        var fetchedAt: Date
        var fetched: GitSnapshot
        var applied: GitSnapshot?
    }

    private let lock = NSLock()
    private var entries: [ObjectKey: Entry] = [:]

    func get(_ key: ObjectKey) -> Entry? { lock.withLock { entries[key] } }
    func set(_ key: ObjectKey, _ entry: Entry) { lock.withLock { entries[key] = entry } }
    func update(_ key: ObjectKey, _ body: (inout Entry) -> Void) { lock.withLock { if entries[key] != nil { body(&entries[key]!) } } }
    func forget(_ key: ObjectKey) { lock.withLock { _ = entries.removeValue(forKey: key) } }
}
