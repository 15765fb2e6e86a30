import FogAPI
import FogModel
import Foundation
import GRDB

/// The embedded store: one SQLite file in WAL mode. Every write is one
/// IMMEDIATE transaction, so several processes can share the file: SQLite
/// serialises their writers, and optimistic concurrency (`resourceVersion`)
/// turns a lost update into a conflict.
///
/// Layout: `events` is the revision log and holds every body once; `objects`
/// is a small index from (kind, namespace, name) to the revision holding the
/// object's current body. Compaction (`Compaction.swift`) deletes, in small
/// transactions, the entries older than a window that no live object points
/// to, and gives the freed pages back to the file system.
public final class SQLiteStore: ObjectStore, @unchecked Sendable {
    public let path: String
    let pool: DatabasePool
    /// Checkpoints the WAL beside the writer rather than in its commits.
    let checkpointer: WALCheckpointer

    /// WAL checkpoints so far: on the checkpointer's thread, and in a writer's commit (the log
    /// having outgrown the checkpointer meanwhile).
    public var walCheckpoints: (background: Int, inline: Int) { checkpointer.checkpoints }
    let now: @Sendable () -> Date
    let makeUID: @Sendable () -> String
    let notifier = RevisionNotifier()
    let hub = WatchHub()
    /// Objects as last committed or read, decoded (see `CommittedObjects`).
    let committedObjects = CommittedObjects()
    /// How often a watcher checks for writes made by other processes.
    public let pollInterval: Duration

    /// A random (version 4) UUID in lowercase, formatted directly: Foundation's
    /// `UUID().uuidString.lowercased()` was a seventh of the store's time in a bulk apply.
    public static func randomUID() -> String {
        var g = SystemRandomNumberGenerator()
        var hi = g.next() as UInt64
        var lo = g.next() as UInt64
        hi = (hi & 0xFFFF_FFFF_FFFF_0FFF) | 0x0000_0000_0000_4000  // version 4
        lo = (lo & 0x3FFF_FFFF_FFFF_FFFF) | 0x8000_0000_0000_0000  // RFC 4122 variant
        let digits: [UInt8] = Array("0123456789abcdef".utf8)
        var out = [UInt8](repeating: UInt8(ascii: "-"), count: 36)
        var i = 0
        for (n, word) in [hi, lo].enumerated() {
            for shift in stride(from: 60, through: 0, by: -4) {
                if i == 8 || i == 13 || i == 18 || i == 23 { i += 1 }
                out[i] = digits[Int((word >> UInt64(shift)) & 0xF)]
                i += 1
            }
            _ = n
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The default location: `$FOG_STATE`, else `~/.fog/state.db`.
    public static func defaultPath(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let p = environment["FOG_STATE"], !p.isEmpty { return p }
        let home = environment["HOME"] ?? FileManager.default.homeDirectoryForCurrentUser.path
        return home + "/.fog/state.db"
    }

    public init(path: String, now: @escaping @Sendable () -> Date = { Date() },
                makeUID: @escaping @Sendable () -> String = SQLiteStore.randomUID,
                pollInterval: Duration = .milliseconds(250)) throws {
        self.path = path
        self.pollInterval = pollInterval
        self.now = now
        self.makeUID = makeUID
        let dir = (path as NSString).deletingLastPathComponent
        if !dir.isEmpty { try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) }
        var config = Configuration()
        config.busyMode = .timeout(Self.busyTimeoutSeconds)
        let isNew = !FileManager.default.fileExists(atPath: path) || ((try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0) == 0
        let checkpointer = WALCheckpointer(path: path)
        self.checkpointer = checkpointer
        config.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
            guard !db.configuration.readonly else { return }
            // The configuration, and so this closure, lives as long as the writer's connection:
            // the checkpointer too, which the commit hook needs.
            checkpointer.install(on: db)
            // A new file gets incremental auto-vacuum before its first page is written (GRDB
            // switches it to WAL after this), so compaction can give free pages back; an
            // existing file is converted once by `migrate`.
            if isNew { try db.execute(sql: "PRAGMA auto_vacuum = INCREMENTAL") }
            // After a checkpoint has emptied it, the WAL is cut back to this size.
            try db.execute(sql: "PRAGMA journal_size_limit = \(Self.walSizeLimit)")
        }
        // Two processes creating the file at once: switching it to WAL answers SQLITE_BUSY
        // without consulting the busy handler, so opening retries with backoff (up to ~10 s).
        var attempt = 0
        while true {
            do {
                let opened = try DatabasePool(path: path, configuration: config)
                try Self.createSchema(opened)
                try Self.migrate(opened)
                pool = opened
                break
            } catch let e as DatabaseError where (e.resultCode == .SQLITE_BUSY || e.resultCode == .SQLITE_LOCKED) && attempt < 40 {
                attempt += 1
                usleep(UInt32(min(500_000, 5_000 << min(attempt, 7))))
            } catch let e as StoreError {
                throw StoreError(.storage, "cannot open the state file \(path): \(e.message)")
            } catch {
                throw StoreError(.storage, "cannot open the state file \(path): \(error)")
            }
        }
    }

    /// The schema, created idempotently in one IMMEDIATE transaction, so any
    /// number of processes may open a new state file at once. A new file starts
    /// at version 1 and `migrate` takes it to the current version.
    static func createSchema(_ pool: DatabasePool) throws {
        try pool.writeWithoutTransaction { db in
            try db.inTransaction(.immediate) {
                let version = try Int.fetchOne(db, sql: "PRAGMA user_version") ?? 0
                if version > schemaVersion {
                    throw StoreError(.storage, "the state file was written by a newer fogctl (schema \(version), this one knows \(schemaVersion))")
                }
                try db.execute(sql: """
                    CREATE TABLE IF NOT EXISTS fog_meta (key TEXT PRIMARY KEY NOT NULL, value INTEGER NOT NULL);
                    INSERT OR IGNORE INTO fog_meta (key, value) VALUES ('revision', 0), ('compacted', 0);
                    CREATE TABLE IF NOT EXISTS objects (
                        kind TEXT NOT NULL, namespace TEXT NOT NULL, name TEXT NOT NULL,
                        revision INTEGER NOT NULL,
                        PRIMARY KEY (kind, namespace, name)) WITHOUT ROWID;
                    CREATE TABLE IF NOT EXISTS events (
                        revision INTEGER PRIMARY KEY NOT NULL, type TEXT NOT NULL,
                        kind TEXT NOT NULL, namespace TEXT NOT NULL, name TEXT NOT NULL,
                        body TEXT NOT NULL, at REAL NOT NULL);
                    """)
                if version == 0 { try db.execute(sql: "PRAGMA user_version = 1") }
                return .commit
            }
        }
    }

    /// Version 1 → 2: incremental auto-vacuum, so that compaction returns the pages it frees
    /// (`releaseFreePages`). A new file has it from the start; an existing one is rewritten
    /// once by VACUUM (which cannot run inside a transaction, so the version moves after it:
    /// a crash in between repeats nothing but the check). VACUUM rewrites the whole file: a
    /// few seconds for a file of a few hundred MB, once.
    static func migrate(_ pool: DatabasePool) throws {
        let version = try pool.read { db in try Int.fetchOne(db, sql: "PRAGMA user_version") ?? 0 }
        guard version < schemaVersion else { return }
        try pool.writeWithoutTransaction { db in
            if try Int.fetchOne(db, sql: "PRAGMA auto_vacuum") != 2 {
                do {
                    try db.execute(sql: "PRAGMA auto_vacuum = INCREMENTAL")
                    try db.execute(sql: "VACUUM")
                } catch {
                    // Busy for long (another process writing), or no room for the copy VACUUM
                    // makes: the file works as it is, only it does not shrink; the next open tries again.
                    return
                }
            }
            try db.inTransaction(.immediate) {
                if try Int.fetchOne(db, sql: "PRAGMA user_version") ?? 0 < schemaVersion {
                    try db.execute(sql: "PRAGMA user_version = \(schemaVersion)")
                }
                return .commit
            }
            // VACUUM wrote the whole file through the WAL: hand it back.
            _ = try? db.checkpoint(.truncate)
        }
    }

    /// 1: the event log and the object index. 2: incremental auto-vacuum.
    static let schemaVersion = 2
    /// Seconds a writer waits for another connection's lock before giving up.
    static let busyTimeoutSeconds: TimeInterval = 30
    /// The WAL is truncated to this size whenever a checkpoint has emptied it.
    static let walSizeLimit = 8 << 20

    // MARK: Reads

    public func get(_ key: ObjectKey) throws -> Resource? {
        try storage { try pool.read { db in try Self.fetch(db, key, committedObjects) } }
    }

    public func list(kind: String, namespace: String?, selector: LabelSelector = LabelSelector()) throws -> ObjectList {
        try storage {
            try pool.read { db in
                let rows: RowCursor
                if let namespace {
                    rows = try Row.fetchCursor(db.cachedStatement(sql: "SELECT o.namespace, o.name, o.revision, e.body FROM objects o JOIN events e ON e.revision = o.revision WHERE o.kind = ? AND o.namespace = ? ORDER BY o.namespace, o.name"), arguments: [kind, namespace])
                } else {
                    rows = try Row.fetchCursor(db.cachedStatement(sql: "SELECT o.namespace, o.name, o.revision, e.body FROM objects o JOIN events e ON e.revision = o.revision WHERE o.kind = ? ORDER BY o.namespace, o.name"), arguments: [kind])
                }
                // A body that lacks the encoded `"key":"value"` of an equality requirement cannot
                // match it: skip decoding it (a body that has it is still decoded and checked).
                let needles: [[UInt8]] = selector.requirements.compactMap {
                    if case .equals(let k, let v) = $0 { return Array((JSONCoding.encode(.string(k)) + ":" + JSONCoding.encode(.string(v))).utf8) }
                    return nil
                }
                var items: [Resource] = []
                while let row = try rows.next() {
                    // Known at this revision: no body to read or parse.
                    if let known = committedObjects.get(ObjectKey(kind: kind, namespace: row[0], name: row[1]), revision: row[2]) {
                        if selector.isEmpty || selector.matches(known.metadata.labels) { items.append(known) }
                        continue
                    }
                    var body: String = row[3]
                    if !needles.isEmpty {
                        let found = body.withUTF8 { b in
                            needles.allSatisfy { Self.bytes(b, contain: $0) }
                        }
                        if !found { continue }
                    }
                    let r = try Resource.decode(body)
                    committedObjects.put(r)
                    if selector.isEmpty || selector.matches(r.metadata.labels) { items.append(r) }
                }
                return ObjectList(items: items, revision: try Self.revision(db))
            }
        }
    }

    /// Whether `needle` occurs in `haystack` (memchr for its first byte, then memcmp).
    static func bytes(_ haystack: UnsafeBufferPointer<UInt8>, contain needle: [UInt8]) -> Bool {
        guard let first = needle.first else { return true }
        guard let base = haystack.baseAddress, needle.count <= haystack.count else { return false }
        let last = haystack.count - needle.count
        var i = 0
        while i <= last {
            guard let hit = memchr(base + i, Int32(first), last - i + 1) else { return false }
            let j = base.distance(to: hit.assumingMemoryBound(to: UInt8.self))
            if memcmp(base + j, needle, needle.count) == 0 { return true }
            i = j + 1
        }
        return false
    }

    public func events(after revision: Int64, limit: Int = 10_000) throws -> [StoreEvent] {
        try events(after: revision, kind: nil, namespace: nil, limit: limit).events
    }

    /// Log entries after `revision` for `kind`/`namespace` (nil: any), oldest first,
    /// and the store's revision in the same snapshot. Bodies of other kinds are not read.
    public func events(after revision: Int64, kind: String?, namespace: String?, limit: Int) throws -> (events: [StoreEvent], head: Int64) {
        try storage {
            try pool.read { db in
                let compacted = try Int64.fetchOne(db, sql: "SELECT value FROM fog_meta WHERE key = 'compacted'") ?? 0
                if revision < compacted {
                    throw StoreError(.compacted, "revision \(revision) has been compacted (oldest available: \(compacted)); list again and watch from the list's revision")
                }
                var sql = "SELECT revision, type, body FROM events WHERE revision > ?"
                var args: [any DatabaseValueConvertible] = [revision]
                if let kind { sql += " AND kind = ?"; args.append(kind) }
                if let namespace { sql += " AND namespace = ?"; args.append(namespace) }
                sql += " ORDER BY revision LIMIT ?"
                args.append(limit)
                let rows = try Row.fetchAll(db.cachedStatement(sql: sql), arguments: StatementArguments(args))
                let events = try rows.map { row in
                    StoreEvent(revision: row[0], type: StoreEvent.EventType(rawValue: row[1]) ?? .modified, object: try Resource.decode(row[2]))
                }
                return (events, try Self.revision(db))
            }
        }
    }

    public func currentRevision() throws -> Int64 {
        try storage { try pool.read { db in try Self.revision(db) } }
    }

    // MARK: Writes

    public func create(_ object: Resource) throws -> Resource {
        try write { tx in try tx.create(object) }
    }

    public func update(_ object: Resource) throws -> Resource {
        try write { tx in try tx.update(object) }
    }

    public func updateStatus(_ object: Resource) throws -> Resource {
        try write { tx in try tx.updateStatus(object) }
    }

    public func patchStatus(_ key: ObjectKey, _ patch: JSONValue) throws -> Resource {
        try write { tx in try tx.patchStatus(key, patch) }
    }

    public func patchStatuses(_ patches: [StatusPatch]) throws -> [Resource] {
        try write { tx in try patches.map { try tx.patchStatus($0) } }
    }

    public func delete(_ key: ObjectKey) throws -> DeleteOutcome {
        try write { tx in try tx.delete(key) }
    }

    public func delete(_ key: ObjectKey, propagation: DeletePropagation) throws -> DeleteOutcome {
        try write { tx in try tx.delete(key, propagation: propagation) }
    }

    public func apply(_ objects: [Resource], dryRun: Bool = false) throws -> [ApplyOutcome] {
        try write(dryRun: dryRun) { tx in try objects.map { try tx.apply($0) } }
    }

    public func apply(_ objects: [Resource], prune: [ObjectKey], dryRun: Bool = false) throws -> ApplyPruneOutcome {
        try write(dryRun: dryRun) { tx in try tx.apply(objects, prune: prune) }
    }

    /// Runs `writes` in one IMMEDIATE transaction and one commit, each inside a savepoint of its
    /// own (group commit, `SQLiteAsyncStore`): each takes the revisions after the ones before
    /// it, sees their changes, and when it throws, only its savepoint is rolled back and only it
    /// fails. The results are in the order of `writes`; when the transaction itself fails (the
    /// commit, the disk), every write fails with that error.
    public func writeGroup(_ writes: [(StoreTransaction) throws -> Any]) -> [Result<Any, Error>] {
        if writes.count == 1 {
            // Alone: its own transaction, no savepoint (its failure rolls the transaction back).
            return [Result { try write { tx in try writes[0](tx) } }]
        }
        var committed: Int64?
        defer { if let committed { notifier.advance(to: committed) } }
        do {
            return try storage {
                try pool.writeWithoutTransaction { db in
                    var results: [Result<Any, Error>] = []
                    var done: [StoreTransaction] = []
                    try db.inTransaction(.immediate) {
                        let start = try Self.revision(db)
                        var revision = start
                        for write in writes {
                            let tx = StoreTransaction(db: db, revision: revision, now: now(), makeUID: makeUID, known: committedObjects)
                            do {
                                var value: Any?
                                try db.inSavepoint {
                                    value = try write(tx)
                                    return .commit
                                }
                                revision = tx.revision
                                done.append(tx)
                                results.append(.success(value!))
                            } catch {
                                results.append(.failure(error))
                            }
                        }
                        if revision != start {
                            try db.cachedStatement(sql: "UPDATE fog_meta SET value = ? WHERE key = 'revision'").execute(arguments: [revision])
                            committed = revision
                        }
                        return .commit
                    }
                    // Committed: still on the one writer connection, in revision order.
                    for tx in done where tx.revision != tx.startRevision {
                        committedObjects.commit(tx.outcome)
                        hub.committed(tx.logged)
                    }
                    return results
                }
            }
        } catch {
            committed = nil
            return writes.map { _ in .failure(error) }
        }
    }

    /// Runs `body` as one IMMEDIATE transaction; rolled back when it throws or on a dry run.
    public func write<T>(dryRun: Bool = false, _ body: (StoreTransaction) throws -> T) throws -> T {
        var committed: Int64?
        defer { if let committed { notifier.advance(to: committed) } }
        return try storage {
            try pool.writeWithoutTransaction { db in
                var result: T?
                var written: StoreTransaction?
                try db.inTransaction(.immediate) {
                    let date = now()
                    let tx = StoreTransaction(db: db, revision: try Self.revision(db), now: date, makeUID: makeUID, known: committedObjects)
                    result = try body(tx)
                    if dryRun { return .rollback }
                    try tx.finish()
                    written = tx
                    return .commit
                }
                // Committed: still on the one writer connection, so commits reach the cache
                // and the watch hub in revision order.
                if let tx = written, tx.revision != tx.startRevision {
                    committedObjects.commit(tx.outcome)
                    hub.committed(tx.logged)
                    committed = tx.revision
                }
                return result!
            }
        }
    }

    static func revision(_ db: Database) throws -> Int64 {
        try Int64.fetchOne(db.cachedStatement(sql: "SELECT value FROM fog_meta WHERE key = 'revision'")) ?? 0
    }

    /// An object's current revision, from the object index.
    static let selectRevisionSQL = "SELECT revision FROM objects WHERE kind = ? AND namespace = ? AND name = ?"
    /// The body of the log entry at one revision.
    static let selectBodySQL = "SELECT body FROM events WHERE revision = ?"

    /// An object's current version: the log entry its index row points at, decoded unless
    /// `known` holds that very revision.
    static func fetch(_ db: Database, _ key: ObjectKey, _ known: CommittedObjects) throws -> Resource? {
        guard let revision = try Int64.fetchOne(db.cachedStatement(sql: selectRevisionSQL),
                                                arguments: [key.kind, key.namespace, key.name]) else { return nil }
        if let hit = known.get(key, revision: revision) { return hit }
        guard let body = try String.fetchOne(db.cachedStatement(sql: selectBodySQL), arguments: [revision]) else { return nil }
        let object = try Resource.decode(body)
        known.put(object)
        return object
    }

    /// Maps SQLite and decoding failures to `StoreError`; API errors pass through.
    func storage<T>(_ body: () throws -> T) throws -> T {
        do { return try body() } catch let e as any FogAPIError { throw e } catch let e as DatabaseError {
            throw StoreError(.storage, "state file \(path): \(e.message ?? e.description)")
        } catch {
            throw StoreError(.storage, "state file \(path): \(error)")
        }
    }
}

/// The operations of one write transaction. Each change takes the next
/// store-wide revision and appends an entry to the event log.
public final class StoreTransaction {
    let db: Database
    public private(set) var revision: Int64
    let startRevision: Int64
    let known: CommittedObjects
    /// What this transaction has done so far: each written key's object (nil: deleted), and the
    /// log entries, handed to the cache and the watch hub once it commits.
    private(set) var outcome: [ObjectKey: Resource?] = [:]
    private(set) var logged: [StoreEvent] = []
    /// The transaction's time, as RFC 3339 (object timestamps) and as seconds (event log).
    let now: String
    let nowSeconds: Double
    let makeUID: () -> String

    init(db: Database, revision: Int64, now: Date, makeUID: @escaping () -> String, known: CommittedObjects) {
        self.db = db
        self.known = known
        self.revision = revision
        self.startRevision = revision
        self.now = Timestamp.format(now)
        self.nowSeconds = now.timeIntervalSince1970
        self.makeUID = makeUID
    }

    public func get(_ key: ObjectKey) throws -> Resource? {
        if let written = outcome[key] { return written }
        return try SQLiteStore.fetch(db, key, known)
    }

    // Statements prepared once per transaction (a batch reuses them for every object).
    private var insertObjectStatement: Statement?
    private var updateObjectStatement: Statement?
    private var deleteObjectStatement: Statement?
    private var logStatement: Statement?

    public func create(_ object: Resource) throws -> Resource {
        if try exists(object.key) {
            throw StoreError(.alreadyExists, "\(object.kind.lowercased()) \"\(object.name)\" already exists")
        }
        let stored = ObjectMutation.created(object, revision: revision + 1, now: now, uid: makeUID())
        try insert(stored)
        return stored
    }

    public func update(_ object: Resource) throws -> Resource {
        let existing = try current(object)
        guard var next = ObjectMutation.updated(existing, with: object) else { return existing }
        if let refusal = ObjectMutation.refusal(existing, next) { throw AdmissionError(.invalid, refusal) }
        if existing.metadata.deletionTimestamp != nil && next.metadata.finalizers.isEmpty {
            next.metadata.resourceVersion = revision + 1
            try remove(next)
            return next
        }
        return try replace(next)
    }

    public func updateStatus(_ object: Resource) throws -> Resource {
        let existing = try current(object)
        guard let next = ObjectMutation.statusUpdated(existing, with: object) else { return existing }
        return try replace(next)
    }

    /// A patch with expectations (see `StatusPatch`); throws `.conflict` when one fails.
    public func patchStatus(_ p: StatusPatch) throws -> Resource {
        guard let existing = try get(p.key) else { throw StoreError.notFound(p.key) }
        try ObjectMutation.check(p, against: existing)
        return try patchStatus(p.key, p.patch)
    }

    public func patchStatus(_ key: ObjectKey, _ patch: JSONValue) throws -> Resource {
        try ObjectMutation.checkStatusPatch(patch)
        guard let existing = try get(key) else { throw StoreError.notFound(key) }
        guard let next = ObjectMutation.statusPatched(existing, patch: patch) else { return existing }
        return try replace(next)
    }

    public func delete(_ key: ObjectKey) throws -> DeleteOutcome {
        guard var existing = try get(key) else { throw StoreError.notFound(key) }
        if !existing.metadata.finalizers.isEmpty {
            if existing.metadata.deletionTimestamp != nil { return .markedForDeletion(existing) }
            existing.metadata.deletionTimestamp = now
            return .markedForDeletion(try replace(existing))
        }
        existing.metadata.resourceVersion = revision + 1
        try remove(existing)
        return .deleted(existing)
    }

    /// A deletion with owner-reference propagation (see `DeletePropagation`).
    public func delete(_ key: ObjectKey, propagation: DeletePropagation) throws -> DeleteOutcome {
        guard var object = try get(key) else { throw StoreError.notFound(key) }
        switch propagation {
        case .background:
            break
        case .foreground:
            if !object.metadata.finalizers.contains(DeletePropagation.foregroundFinalizer) {
                object.metadata.finalizers.append(DeletePropagation.foregroundFinalizer)
                object = try update(object)
            }
        case .orphan:
            for dependent in try dependents(of: object.metadata.uid) {
                var d = dependent
                d.metadata.ownerReferences.removeAll { $0.uid == object.metadata.uid }
                _ = try update(d)
            }
        }
        return try delete(key)
    }

    /// Applies `objects` and deletes those of `prune` that exist.
    public func apply(_ objects: [Resource], prune: [ObjectKey]) throws -> ApplyPruneOutcome {
        let applied = try objects.map { try apply($0) }
        let pruned = try prune.compactMap { key -> DeleteOutcome? in
            guard try get(key) != nil else { return nil }
            return try delete(key)
        }
        return ApplyPruneOutcome(applied: applied, pruned: pruned)
    }

    /// Names known to exist, per (kind, namespace), loaded once a batch has looked up more
    /// than `lookupsBeforeLoad` objects of that group: a batch of creates then does not look
    /// each object up, and a write of one object does not read the names of all the others.
    private var existingNames: [String: Set<String>] = [:]
    private var lookups: [String: Int] = [:]
    private static let lookupsBeforeLoad = 16

    func exists(_ key: ObjectKey) throws -> Bool {
        let group = key.kind + "\u{0}" + key.namespace
        if let names = existingNames[group] { return names.contains(key.name) }
        let count = lookups[group, default: 0] + 1
        lookups[group] = count
        if count <= Self.lookupsBeforeLoad {
            return try Bool.fetchOne(db.cachedStatement(sql: "SELECT 1 FROM objects WHERE kind = ? AND namespace = ? AND name = ?"),
                                     arguments: [key.kind, key.namespace, key.name]) != nil
        }
        let names = Set(try String.fetchAll(db.cachedStatement(sql: "SELECT name FROM objects WHERE kind = ? AND namespace = ?"),
                                            arguments: [key.kind, key.namespace]))
        existingNames[group] = names
        return names.contains(key.name)
    }

    /// Objects whose owner references name `uid` (a scan: deletions with propagation are rare).
    public func dependents(of uid: String) throws -> [Resource] {
        guard !uid.isEmpty else { return [] }
        let pattern = "%\"uid\":\"" + uid + "\"%"
        return try Row.fetchAll(db, sql: """
            SELECT e.body FROM objects o JOIN events e ON e.revision = o.revision
            WHERE e.body LIKE ? ESCAPE '\\'
            """, arguments: [pattern]).compactMap { row in
            let r = try Resource.decode(row[0])
            return r.metadata.ownerReferences.contains { $0.uid == uid } ? r : nil
        }
    }

    public func apply(_ desired: Resource) throws -> ApplyOutcome {
        guard try exists(desired.key), let existing = try get(desired.key) else {
            return ApplyOutcome(action: .created, object: try create(desired))
        }
        guard let next = ObjectMutation.applied(existing, desired: desired) else {
            return ApplyOutcome(action: .unchanged, object: existing)
        }
        if let refusal = ObjectMutation.refusal(existing, next) { throw AdmissionError(.invalid, refusal) }
        return ApplyOutcome(action: .configured, object: try replace(next))
    }

    // MARK: Internals

    /// The stored object `object` refers to, after the conflict and uid checks.
    func current(_ object: Resource) throws -> Resource {
        guard let existing = try get(object.key) else { throw StoreError.notFound(object.key) }
        try ObjectMutation.check(object, against: existing)
        return existing
    }

    func insert(_ object: Resource) throws {
        existingNames[object.kind + "\u{0}" + object.namespace]?.insert(object.name)
        revision += 1
        try log(.added, object)
        insertObjectStatement = try insertObjectStatement ?? db.cachedStatement(sql: "INSERT INTO objects (kind, namespace, name, revision) VALUES (?, ?, ?, ?)")
        try insertObjectStatement!.execute(arguments: [object.kind, object.namespace, object.name, revision])
    }

    func replace(_ object: Resource) throws -> Resource {
        revision += 1
        var o = object
        o.metadata.resourceVersion = revision
        try log(.modified, o)
        updateObjectStatement = try updateObjectStatement ?? db.cachedStatement(sql: "UPDATE objects SET revision = ? WHERE kind = ? AND namespace = ? AND name = ?")
        try updateObjectStatement!.execute(arguments: [revision, o.kind, o.namespace, o.name])
        return o
    }

    func remove(_ object: Resource) throws {
        existingNames[object.kind + "\u{0}" + object.namespace]?.remove(object.name)
        revision += 1
        deleteObjectStatement = try deleteObjectStatement ?? db.cachedStatement(sql: "DELETE FROM objects WHERE kind = ? AND namespace = ? AND name = ?")
        try deleteObjectStatement!.execute(arguments: [object.kind, object.namespace, object.name])
        try log(.deleted, object)
    }

    /// Appends the object, as it is at this revision, to the log.
    func log(_ type: StoreEvent.EventType, _ object: Resource) throws {
        logStatement = try logStatement ?? db.cachedStatement(sql: "INSERT INTO events (revision, type, kind, namespace, name, body, at) VALUES (?, ?, ?, ?, ?, ?, ?)")
        let body = object.encoded()
        if type != .deleted, let v = ObjectLimits.violation(of: object, encodedBytes: body.utf8.count) {
            throw AdmissionError(v.tooLarge ? .tooLarge : .invalid, "\(object.kind.lowercased()) \"\(object.name)\": \(v.message)")
        }
        try logStatement!.execute(arguments: [revision, type.rawValue, object.kind, object.namespace, object.name, body, nowSeconds])
        // What a reader of the log will decode. The body is the object's exact image, except
        // that a number that is not finite is written as null: a body with a null is decoded
        // again, so that the watch carries precisely what the log holds.
        let hasNull = body.utf8.withContiguousStorageIfAvailable { SQLiteStore.bytes($0, contain: Self.null) } ?? true
        let image = hasNull ? try Resource.decode(body) : object
        logged.append(StoreEvent(revision: revision, type: type, object: image))
        outcome[object.key] = type == .deleted ? .some(nil) : image
    }
    private static let null = Array("null".utf8)

    func finish() throws {
        if revision != startRevision {
            try db.cachedStatement(sql: "UPDATE fog_meta SET value = ? WHERE key = 'revision'").execute(arguments: [revision])
        }
    }
}
