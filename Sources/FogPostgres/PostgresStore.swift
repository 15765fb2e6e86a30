import FogAPI
import FogModel
import FogStore
import Foundation
import Logging
import PostgresNIO

/// The store over a PostgreSQL database that any number of `fogctl server` processes share,
/// with the SQLite store's semantics (`ObjectStore`'s documentation; the write rules are
/// `ObjectMutation`'s, shared with it).
///
/// Revisions: every write transaction first locks the one row of `fog_meta` that holds the
/// store-wide revision (`SELECT … FOR UPDATE`), takes the next revisions from it, appends its
/// entries to `fog_events` and stores the new counter before it commits. Writers are thus
/// serialised by that row lock, as SQLite's writers are by its write lock: revisions commit in
/// order, so a reader that sees revision n has seen every revision before n, and a watcher
/// that reads the log after its last revision never skips one that commits later (an
/// auto-increment or a sequence would hand out numbers that can commit out of order).
///
/// Watches are pushed: each write transaction sends `NOTIFY fog_revisions, '<revision>'`,
/// which PostgreSQL delivers at commit; one listening connection per process wakes that
/// process's tailer, which reads the log after its position and fans it out (`PostgresWatchHub`).
///
/// Controllers' writes may carry a fencing token (`fenced(by:)`): the transaction then
/// checks, under a share lock on the lease row, that the token is still the lease's and the
/// lease has not expired by the database's clock, and is refused otherwise.
public final class PostgresStore: Store, @unchecked Sendable {
    final class Core: @unchecked Sendable {
        let location: PostgresLocation
        let client: PostgresClient
        let runner: Task<Void, Never>
        let logger: Logger
        let now: @Sendable () -> Date
        let makeUID: @Sendable () -> String
        let notifier = RevisionNotifier()
        lazy var hub = PostgresWatchHub(core: self)
        let group = GroupCommit()
        private let lock = NSLock()
        private var refused = 0
        /// Fenced writes refused so far (a stale token or an expired lease), through any handle.
        var refusedWrites: Int { lock.withLock { refused } }
        func refusedWrite() { lock.withLock { refused += 1 } }

        init(location: PostgresLocation, client: PostgresClient, runner: Task<Void, Never>, logger: Logger,
             now: @escaping @Sendable () -> Date, makeUID: @escaping @Sendable () -> String) {
            self.location = location
            self.client = client
            self.runner = runner
            self.logger = logger
            self.now = now
            self.makeUID = makeUID
        }
    }

    let core: Core
    /// The lease and token every write of this handle is checked against (nil: unfenced).
    public let fence: Fence?

    public var location: PostgresLocation { core.location }
    /// Writes waiting for the group being written to commit (`GroupCommit`).
    public var queuedWrites: Int { core.group.queued }
    /// Groups committed by this process and the writes they held (their ratio is the mean group size).
    public var groupCommits: (groups: Int, writes: Int) { core.group.counts }
    /// How many fenced writes this store (every handle over its pool) has refused: the writes a
    /// server attempted after its lease had passed to another or run out.
    public var refusedFencedWrites: Int { core.refusedWrites }

    /// A fencing token: writes through a fenced handle commit only while `token` is the
    /// current token of lease `lease` held by `holder`, and the lease has not expired.
    public struct Fence: Sendable, Hashable {
        public var lease: String
        public var holder: String
        public var token: Int64
        public init(lease: String, holder: String, token: Int64) {
            self.lease = lease
            self.holder = holder
            self.token = token
        }
    }

    init(core: Core, fence: Fence?) {
        self.core = core
        self.fence = fence
    }

    /// Connects (a pool of at most `maxConnections`), checks that the database answers and
    /// migrates its schema. Errors name the server (never the password) and what failed.
    public static func open(url: String, now: @escaping @Sendable () -> Date = { Date() },
                            makeUID: @escaping @Sendable () -> String = SQLiteStore.randomUID,
                            maxConnections: Int = 16, logger: Logger = Logger(label: "fog.postgres")) async throws -> PostgresStore {
        let location = try PostgresLocation(url: url)
        // The schema first, on a connection of its own: unreachable databases fail here, clearly.
        let migrationConnection: PostgresConnection
        do {
            migrationConnection = try await PostgresConnection.connect(configuration: location.connectionConfiguration(applicationName: "fog-migrate"),
                                                                       id: 0, logger: logger)
        } catch {
            throw StoreError(.storage, "cannot reach PostgreSQL at \(location): \(describe(error))")
        }
        do {
            try await PostgresSchema.migrate(migrationConnection, logger: logger)
            try? await migrationConnection.close()
        } catch {
            try? await migrationConnection.close()
            if let e = error as? StoreError { throw e }
            throw StoreError(.storage, "PostgreSQL at \(location): migrating the schema failed: \(describe(error))")
        }
        let client = PostgresClient(configuration: try location.clientConfiguration(maxConnections: maxConnections), backgroundLogger: logger)
        let runner = Task { await client.run() }
        return PostgresStore(core: Core(location: location, client: client, runner: runner, logger: logger, now: now, makeUID: makeUID), fence: nil)
    }

    /// The same store (pool, watches), its writes checked against `fence`.
    public func fenced(by fence: Fence) -> PostgresStore { PostgresStore(core: core, fence: fence) }

    /// Ends the watches and closes the pool.
    public func close() async {
        core.hub.stop()
        core.runner.cancel()
        _ = await core.runner.value
    }

    /// The schema version this binary migrates to.
    public static var schemaVersion: Int { PostgresSchema.latest }

    // MARK: Reads

    public func get(_ key: ObjectKey) async throws -> Resource? {
        try await storage {
            let rows = try await core.client.query(
                "SELECT e.body FROM fog_objects o JOIN fog_events e ON e.revision = o.revision WHERE o.kind = \(key.kind) AND o.namespace = \(key.namespace) AND o.name = \(key.name)",
                logger: core.logger)
            var found: Resource?
            for try await body in rows.decode(String.self) { found = try Resource.decode(body) }
            return found
        }
    }

    /// Objects and the revision, read in one statement (one snapshot).
    public func list(kind: String, namespace: String?, selector: LabelSelector) async throws -> ObjectList {
        try await storage {
            let nsFilter = namespace
            let rows = try await core.client.query("""
                SELECT m.value, x.body FROM fog_meta m
                LEFT JOIN LATERAL (
                    SELECT e.body, o.namespace, o.name FROM fog_objects o JOIN fog_events e ON e.revision = o.revision
                    WHERE o.kind = \(kind) AND (\(nsFilter)::text IS NULL OR o.namespace = \(nsFilter))
                ) x ON true
                WHERE m.key = 'revision' ORDER BY x.namespace, x.name
                """, logger: core.logger)
            var items: [Resource] = []
            var revision: Int64 = 0
            for try await (head, body) in rows.decode((Int64, String?).self) {
                revision = head
                guard let body else { continue }
                let r = try Resource.decode(body)
                if selector.isEmpty || selector.matches(r.metadata.labels) { items.append(r) }
            }
            return ObjectList(items: items, revision: revision)
        }
    }

    public func events(after revision: Int64, kind: String?, namespace: String?, limit: Int) async throws -> (events: [StoreEvent], head: Int64) {
        try await storage {
            // One statement per filter, so that a kind's entries come from the (kind, revision) index.
            var bindings = PostgresBindings()
            bindings.append(revision)
            var filter = ""
            if let kind { bindings.append(kind); filter += " AND kind = $\(bindings.count)" }
            if let namespace { bindings.append(namespace); filter += " AND namespace = $\(bindings.count)" }
            bindings.append(Int64(limit))
            let sql = """
                SELECT h.value, c.value, x.revision, x.type, x.body FROM fog_meta h JOIN fog_meta c ON c.key = 'compacted'
                LEFT JOIN LATERAL (
                    SELECT revision, type, body FROM fog_events WHERE revision > $1\(filter)
                    ORDER BY \(kind == nil ? "revision" : "kind, revision") LIMIT $\(bindings.count)
                ) x ON true
                WHERE h.key = 'revision' ORDER BY x.revision
                """
            let rows = try await core.client.query(PostgresQuery(unsafeSQL: sql, binds: bindings), logger: core.logger)
            var events: [StoreEvent] = []
            var head: Int64 = 0
            var compacted: Int64 = 0
            for try await (h, c, rev, type, body) in rows.decode((Int64, Int64, Int64?, String?, String?).self) {
                head = h
                compacted = c
                guard let rev, let type, let body else { continue }
                events.append(StoreEvent(revision: rev, type: StoreEvent.EventType(rawValue: type) ?? .modified, object: try Resource.decode(body)))
            }
            if revision < compacted {
                throw StoreError(.compacted, "revision \(revision) has been compacted (oldest available: \(compacted)); list again and watch from the list's revision")
            }
            return (events, head)
        }
    }

    public func currentRevision() async throws -> Int64 {
        try await storage {
            var revision: Int64 = 0
            for try await v in try await core.client.query("SELECT value FROM fog_meta WHERE key = 'revision'", logger: core.logger).decode(Int64.self) {
                revision = v
            }
            return revision
        }
    }

    // MARK: Writes

    public func create(_ object: Resource) async throws -> Resource {
        try await write { tx in try await tx.create(object) }
    }

    public func update(_ object: Resource) async throws -> Resource {
        try await write { tx in try await tx.update(object) }
    }

    public func updateStatus(_ object: Resource) async throws -> Resource {
        try await write { tx in try await tx.updateStatus(object) }
    }

    public func patchStatus(_ key: ObjectKey, _ patch: JSONValue) async throws -> Resource {
        try await write { tx in try await tx.patchStatus(key, patch) }
    }

    public func patchStatuses(_ patches: [StatusPatch]) async throws -> [Resource] {
        try await write { tx in try await tx.patchStatuses(patches) }
    }

    public func delete(_ key: ObjectKey, propagation: DeletePropagation) async throws -> DeleteOutcome {
        try await write { tx in
            guard var object = try await tx.get(key) else { throw StoreError.notFound(key) }
            switch propagation {
            case .background:
                break
            case .foreground:
                if !object.metadata.finalizers.contains(DeletePropagation.foregroundFinalizer) {
                    object.metadata.finalizers.append(DeletePropagation.foregroundFinalizer)
                    object = try await tx.update(object)
                }
            case .orphan:
                for dependent in try await tx.dependents(of: object.metadata.uid) {
                    var d = dependent
                    d.metadata.ownerReferences.removeAll { $0.uid == object.metadata.uid }
                    _ = try await tx.update(d)
                }
            }
            return try await tx.delete(key)
        }
    }

    public func apply(_ objects: [Resource], dryRun: Bool) async throws -> [ApplyOutcome] {
        try await write(dryRun: dryRun) { tx in
            var out: [ApplyOutcome] = []
            out.reserveCapacity(objects.count)
            for o in objects { out.append(try await tx.apply(o)) }
            return out
        }
    }

    public func apply(_ objects: [Resource], prune: [ObjectKey], dryRun: Bool) async throws -> ApplyPruneOutcome {
        try await write(dryRun: dryRun) { tx in
            var applied: [ApplyOutcome] = []
            for o in objects { applied.append(try await tx.apply(o)) }
            var pruned: [DeleteOutcome] = []
            for key in prune where try await tx.get(key) != nil {
                pruned.append(try await tx.delete(key))
            }
            return ApplyPruneOutcome(applied: applied, pruned: pruned)
        }
    }

    public func watch(kind: String?, namespace: String?, from revision: Int64, bookmarkEvery: Int) -> AsyncThrowingStream<WatchEvent, Error> {
        core.hub.subscribe(kind: kind, namespace: namespace, from: revision, bookmarks: bookmarkEvery > 0)
    }

    /// Runs `body` as one transaction holding the revision row's lock (and the lease row's
    /// share lock when fenced), or as one savepoint of a group of concurrent writes that
    /// commit together (`GroupCommit`); rolled back when it throws or on a dry run.
    public func write<T: Sendable>(dryRun: Bool = false, _ body: @escaping @Sendable (PostgresTransaction) async throws -> T) async throws -> T {
        if !dryRun {
            let core = self.core
            let value = try await core.group.submit(fence, { tx in try await body(tx) }, run: { group in await Self.writeGroup(core, group) })
            return value as! T
        }
        // A dry run: the same checks in a transaction of its own, always rolled back.
        return try await storage {
            try await core.client.withConnection { connection -> T in
                let logger = core.logger
                try await connection.run("BEGIN", logger: logger)
                do {
                    var start: Int64 = 0
                    for try await v in try await connection.run("SELECT value FROM fog_meta WHERE key = 'revision' FOR UPDATE", logger: logger).decode(Int64.self) {
                        start = v
                    }
                    if let fence { try await Self.check(fence, on: connection, logger: logger) }
                    let tx = PostgresTransaction(connection: connection, logger: logger, revision: start, now: core.now(), makeUID: core.makeUID,
                                                 token: fence?.token)
                    let result = try await body(tx)
                    try await connection.run("ROLLBACK", logger: logger)
                    return result
                } catch {
                    _ = try? await connection.run("ROLLBACK", logger: logger)
                    throw error
                }
            }
        }
    }

    /// Refuses the transaction unless `fence` still holds (read under a share lock: a
    /// takeover of the lease waits for this transaction, or this one sees the new token).
    static func check(_ fence: Fence, on connection: PostgresConnection, logger: Logger) async throws {
        let rows = try await connection.run("""
            SELECT holder, token, renewed_at + duration_ms * interval '1 millisecond' > clock_timestamp()
            FROM fog_leases WHERE name = \(fence.lease) FOR SHARE
            """, logger: logger)
        for try await (holder, token, live) in rows.decode((String, Int64, Bool).self) {
            if holder == fence.holder && token == fence.token && live { return }
            if token != fence.token || holder != fence.holder {
                throw StoreError(.conflict, "write refused: fencing token \(fence.token) of lease \(fence.lease) is stale (the lease is held by \(holder) with token \(token))")
            }
            throw StoreError(.conflict, "write refused: lease \(fence.lease) (token \(fence.token)) has expired and was not renewed")
        }
        throw StoreError(.conflict, "write refused: lease \(fence.lease) does not exist")
    }

    /// Maps PostgreSQL and connection failures to `StoreError`; API errors pass through.
    func storage<T>(_ body: () async throws -> T) async throws -> T {
        do { return try await body() } catch { throw Self.storageError(error, core) }
    }

    /// What went wrong, from a PostgresNIO error (its own description hides the server's message).
    static func describe(_ error: Error) -> String {
        if let e = error as? PSQLError {
            if let info = e.serverInfo, let message = info[.message] {
                return message + (info[.sqlState].map { " (SQLSTATE \($0))" } ?? "")
            }
            if let u = e.underlying { return "\(e.code): \(u)" }
            return "\(e.code)"
        }
        return "\(error)"
    }
}

/// The operations of one write transaction: each change takes the next store-wide revision
/// and appends an entry to the log (the SQLite store's `StoreTransaction`, over PostgreSQL).
public final class PostgresTransaction: @unchecked Sendable {
    let connection: PostgresConnection
    let logger: Logger
    public private(set) var revision: Int64
    let now: String
    let nowSeconds: Double
    let makeUID: @Sendable () -> String
    /// The fencing token this transaction was checked against, recorded with each of its log
    /// entries (nil: an unfenced write, a user's or an agent's through the API).
    let token: Int64?
    /// Names known to exist per (kind, namespace), loaded once a batch has looked up more than
    /// a few objects of that group (as the SQLite store does).
    private var existingNames: [String: Set<String>] = [:]
    private var lookups: [String: Int] = [:]
    private static let lookupsBeforeLoad = 16

    init(connection: PostgresConnection, logger: Logger, revision: Int64, now: Date, makeUID: @escaping @Sendable () -> String, token: Int64? = nil) {
        self.connection = connection
        self.token = token
        self.logger = logger
        self.revision = revision
        self.now = Timestamp.format(now)
        nowSeconds = now.timeIntervalSince1970
        self.makeUID = makeUID
    }

    public func get(_ key: ObjectKey) async throws -> Resource? {
        let rows = try await connection.run(
            "SELECT e.body FROM fog_objects o JOIN fog_events e ON e.revision = o.revision WHERE o.kind = \(key.kind) AND o.namespace = \(key.namespace) AND o.name = \(key.name)",
            logger: logger)
        var found: Resource?
        for try await body in rows.decode(String.self) { found = try Resource.decode(body) }
        return found
    }

    func exists(_ key: ObjectKey) async throws -> Bool {
        let group = key.kind + "\u{0}" + key.namespace
        if let names = existingNames[group] { return names.contains(key.name) }
        let count = lookups[group, default: 0] + 1
        lookups[group] = count
        if count <= Self.lookupsBeforeLoad {
            var found = false
            for try await _ in try await connection.run(
                "SELECT 1 FROM fog_objects WHERE kind = \(key.kind) AND namespace = \(key.namespace) AND name = \(key.name)", logger: logger) {
                found = true
            }
            return found
        }
        var names = Set<String>()
        for try await n in try await connection.run("SELECT name FROM fog_objects WHERE kind = \(key.kind) AND namespace = \(key.namespace)",
                                                      logger: logger).decode(String.self) {
            names.insert(n)
        }
        existingNames[group] = names
        return names.contains(key.name)
    }

    public func create(_ object: Resource) async throws -> Resource {
        if try await exists(object.key) {
            throw StoreError(.alreadyExists, "\(object.kind.lowercased()) \"\(object.name)\" already exists")
        }
        let stored = ObjectMutation.created(object, revision: revision + 1, now: now, uid: makeUID())
        try await insert(stored)
        return stored
    }

    public func update(_ object: Resource) async throws -> Resource {
        let existing = try await current(object)
        guard var next = ObjectMutation.updated(existing, with: object) else { return existing }
        if let refusal = ObjectMutation.refusal(existing, next) { throw AdmissionError(.invalid, refusal) }
        if existing.metadata.deletionTimestamp != nil && next.metadata.finalizers.isEmpty {
            next.metadata.resourceVersion = revision + 1
            try await remove(next)
            return next
        }
        return try await replace(next)
    }

    public func updateStatus(_ object: Resource) async throws -> Resource {
        let existing = try await current(object)
        guard let next = ObjectMutation.statusUpdated(existing, with: object) else { return existing }
        return try await replace(next)
    }

    /// A patch with expectations (see `StatusPatch`); throws `.conflict` when one fails.
    public func patchStatus(_ p: StatusPatch) async throws -> Resource {
        guard let existing = try await get(p.key) else { throw StoreError.notFound(p.key) }
        try ObjectMutation.check(p, against: existing)
        return try await patchStatus(p.key, p.patch, existing: existing)
    }

    /// Patches in order, as `patchStatus(_:)` one after another would, in two round trips
    /// whatever their number (heartbeats in batches): one query reads every object named, one
    /// statement logs every change and moves the index. A later patch of the same object
    /// applies to the earlier one's result.
    public func patchStatuses(_ patches: [StatusPatch]) async throws -> [Resource] {
        if patches.count < 2 {
            var out: [Resource] = []
            for p in patches { out.append(try await patchStatus(p)) }
            return out
        }
        var current = try await getMany(patches.map(\.key))
        var out: [Resource] = []
        var changed: [(Resource, String)] = []
        out.reserveCapacity(patches.count)
        for p in patches {
            try ObjectMutation.checkStatusPatch(p.patch)
            guard let existing = current[p.key] else { throw StoreError.notFound(p.key) }
            try ObjectMutation.check(p, against: existing)
            guard var next = ObjectMutation.statusPatched(existing, patch: p.patch) else {
                out.append(existing)
                continue
            }
            revision += 1
            next.metadata.resourceVersion = revision
            changed.append((next, try body(of: next, .modified)))
            current[p.key] = next
            out.append(next)
        }
        guard !changed.isEmpty else { return out }
        // The index row of each object moves to its last change (an UPDATE joined to two rows
        // of one object would take either).
        var last: [ObjectKey: Int] = [:]
        for (i, c) in changed.enumerated() { last[c.0.key] = i }
        let moved = last.values.sorted().map { changed[$0].0 }
        var binds = PostgresBindings(capacity: 11)
        binds.append(changed.map(\.0.metadata.resourceVersion))
        binds.append(changed.map(\.0.kind))
        binds.append(changed.map(\.0.namespace))
        binds.append(changed.map(\.0.name))
        binds.append(changed.map(\.1))
        binds.append(nowSeconds)
        binds.append(token)
        binds.append(moved.map(\.metadata.resourceVersion))
        binds.append(moved.map(\.kind))
        binds.append(moved.map(\.namespace))
        binds.append(moved.map(\.name))
        try await connection.run(PostgresQuery(unsafeSQL: """
            WITH logged AS (
                INSERT INTO fog_events (revision, type, kind, namespace, name, body, at, token)
                SELECT u.revision, 'MODIFIED', u.kind, u.namespace, u.name, u.body, $6, $7
                FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[]) AS u(revision, kind, namespace, name, body))
            UPDATE fog_objects o SET revision = m.revision
            FROM unnest($8::bigint[], $9::text[], $10::text[], $11::text[]) AS m(revision, kind, namespace, name)
            WHERE o.kind = m.kind AND o.namespace = m.namespace AND o.name = m.name
            """, binds: binds), logger: logger)
        return out
    }

    /// The objects named in `keys` that exist, read in one query.
    func getMany(_ keys: [ObjectKey]) async throws -> [ObjectKey: Resource] {
        var binds = PostgresBindings(capacity: 3)
        binds.append(keys.map(\.kind))
        binds.append(keys.map(\.namespace))
        binds.append(keys.map(\.name))
        var found: [ObjectKey: Resource] = [:]
        for try await body in try await connection.run(PostgresQuery(unsafeSQL: """
            SELECT e.body FROM fog_objects o JOIN fog_events e ON e.revision = o.revision
            WHERE (o.kind, o.namespace, o.name) IN (SELECT * FROM unnest($1::text[], $2::text[], $3::text[]))
            """, binds: binds), logger: logger).decode(String.self) {
            let r = try Resource.decode(body)
            found[r.key] = r
        }
        return found
    }

    public func patchStatus(_ key: ObjectKey, _ patch: JSONValue, existing known: Resource? = nil) async throws -> Resource {
        try ObjectMutation.checkStatusPatch(patch)
        var found = known
        if found == nil { found = try await get(key) }
        guard let existing = found else { throw StoreError.notFound(key) }
        guard let next = ObjectMutation.statusPatched(existing, patch: patch) else { return existing }
        return try await replace(next)
    }

    public func delete(_ key: ObjectKey) async throws -> DeleteOutcome {
        guard var existing = try await get(key) else { throw StoreError.notFound(key) }
        if !existing.metadata.finalizers.isEmpty {
            if existing.metadata.deletionTimestamp != nil { return .markedForDeletion(existing) }
            existing.metadata.deletionTimestamp = now
            return .markedForDeletion(try await replace(existing))
        }
        existing.metadata.resourceVersion = revision + 1
        try await remove(existing)
        return .deleted(existing)
    }

    /// Objects whose owner references name `uid` (on the owners' GIN index).
    public func dependents(of uid: String) async throws -> [Resource] {
        guard !uid.isEmpty else { return [] }
        var out: [Resource] = []
        for try await body in try await connection.run("""
            SELECT e.body FROM fog_objects o JOIN fog_events e ON e.revision = o.revision
            WHERE o.owners @> ARRAY[\(uid)]::text[] ORDER BY o.kind, o.namespace, o.name
            """, logger: logger).decode(String.self) {
            let r = try Resource.decode(body)
            if r.metadata.ownerReferences.contains(where: { $0.uid == uid }) { out.append(r) }
        }
        return out
    }

    public func apply(_ desired: Resource) async throws -> ApplyOutcome {
        guard try await exists(desired.key), let existing = try await get(desired.key) else {
            return ApplyOutcome(action: .created, object: try await create(desired))
        }
        guard let next = ObjectMutation.applied(existing, desired: desired) else {
            return ApplyOutcome(action: .unchanged, object: existing)
        }
        if let refusal = ObjectMutation.refusal(existing, next) { throw AdmissionError(.invalid, refusal) }
        return ApplyOutcome(action: .configured, object: try await replace(next))
    }

    // MARK: Internals

    func current(_ object: Resource) async throws -> Resource {
        guard let existing = try await get(object.key) else { throw StoreError.notFound(object.key) }
        try ObjectMutation.check(object, against: existing)
        return existing
    }

    // Each change is one statement: its log entry and its index row together (a data-modifying
    // `WITH`), one round trip to the server instead of two. The index statements reuse the log
    // entry's parameters: $1 revision, $3 kind, $4 namespace, $5 name; $9 the owners.

    func insert(_ object: Resource) async throws {
        existingNames[object.kind + "\u{0}" + object.namespace]?.insert(object.name)
        revision += 1
        try await change(.added, object, owners: object.metadata.ownerReferences.map(\.uid),
                         index: "INSERT INTO fog_objects (kind, namespace, name, revision, owners) VALUES ($3, $4, $5, $1, $9)")
    }

    func replace(_ object: Resource) async throws -> Resource {
        revision += 1
        var o = object
        o.metadata.resourceVersion = revision
        try await change(.modified, o, owners: o.metadata.ownerReferences.map(\.uid),
                         index: "UPDATE fog_objects SET revision = $1, owners = $9 WHERE kind = $3 AND namespace = $4 AND name = $5")
        return o
    }

    func remove(_ object: Resource) async throws {
        existingNames[object.kind + "\u{0}" + object.namespace]?.remove(object.name)
        revision += 1
        try await change(.deleted, object, owners: nil, index: "DELETE FROM fog_objects WHERE kind = $3 AND namespace = $4 AND name = $5")
    }

    /// The object as logged: a deletion always is; anything else is refused when it breaks the object limits.
    func body(of object: Resource, _ type: StoreEvent.EventType) throws -> String {
        let body = object.encoded()
        if type != .deleted, let v = ObjectLimits.violation(of: object, encodedBytes: body.utf8.count) {
            throw AdmissionError(v.tooLarge ? .tooLarge : .invalid, "\(object.kind.lowercased()) \"\(object.name)\": \(v.message)")
        }
        return body
    }

    /// Appends the change's log entry at the transaction's current revision and runs `index` on
    /// the object index, in one statement.
    func change(_ type: StoreEvent.EventType, _ object: Resource, owners: [String]?, index: String) async throws {
        let body = try body(of: object, type)
        var binds = PostgresBindings(capacity: 9)
        binds.append(revision)
        binds.append(type.rawValue)
        binds.append(object.kind)
        binds.append(object.namespace)
        binds.append(object.name)
        binds.append(body)
        binds.append(nowSeconds)
        binds.append(token)
        if let owners { binds.append(owners) }
        try await connection.run(PostgresQuery(unsafeSQL: """
            WITH logged AS (INSERT INTO fog_events (revision, type, kind, namespace, name, body, at, token) VALUES ($1, $2, $3, $4, $5, $6, $7, $8))
            \(index)
            """, binds: binds), logger: logger)
    }
}
