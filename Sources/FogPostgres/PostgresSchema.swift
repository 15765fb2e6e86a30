import FogAPI
import Foundation
import Logging
import PostgresNIO

/// The PostgreSQL store's schema, created and upgraded by numbered migrations.
///
/// `fog_migrations` records every migration applied. `migrate` runs the missing ones in
/// one transaction under an advisory lock, so any number of servers may start against a
/// new database at once; a database migrated by a newer binary is refused with the two
/// versions named, before anything is read or written.
///
/// Layout, as in the SQLite store: `fog_events` is the revision log and holds every body
/// once; `fog_objects` maps (kind, namespace, name) to the revision holding the current
/// body, with the owner uids for cascading deletion; `fog_meta` holds the store-wide
/// revision counter and the compacted revision. `fog_leases` holds leader leases.
enum PostgresSchema {
    struct Migration {
        var version: Int
        var summary: String
        var sql: [String]
    }

    static let migrations: [Migration] = [
        Migration(version: 1, summary: "the event log, the object index, the revision counter", sql: [
            """
            CREATE TABLE fog_meta (key text PRIMARY KEY, value bigint NOT NULL)
            """,
            "INSERT INTO fog_meta (key, value) VALUES ('revision', 0), ('compacted', 0)",
            """
            CREATE TABLE fog_events (
                revision bigint PRIMARY KEY, type text NOT NULL,
                kind text NOT NULL, namespace text NOT NULL, name text NOT NULL,
                body text NOT NULL, at double precision NOT NULL)
            """,
            // events(after:kind:): a kind's entries in revision order.
            "CREATE INDEX fog_events_kind_revision ON fog_events (kind, revision)",
            """
            CREATE TABLE fog_objects (
                kind text NOT NULL, namespace text NOT NULL, name text NOT NULL,
                revision bigint NOT NULL, owners text[] NOT NULL DEFAULT '{}',
                PRIMARY KEY (kind, namespace, name))
            """,
            // Dependents of a deleted owner (orphan and foreground propagation, the garbage collector's cascade).
            "CREATE INDEX fog_objects_owners ON fog_objects USING gin (owners)",
        ]),
        Migration(version: 2, summary: "leader leases with fencing tokens", sql: [
            """
            CREATE TABLE fog_leases (
                name text PRIMARY KEY, holder text NOT NULL, token bigint NOT NULL,
                acquired_at timestamptz NOT NULL, renewed_at timestamptz NOT NULL, duration_ms bigint NOT NULL)
            """,
        ]),
        // Which leader wrote what: the fencing token a controller write was checked against
        // (NULL for unfenced writes). A nullable column without a default: no table rewrite.
        Migration(version: 3, summary: "the fencing token of each controller write, in the log", sql: [
            "ALTER TABLE fog_events ADD COLUMN token bigint",
        ]),
    ]

    static var latest: Int { migrations.map(\.version).max() ?? 0 }

    /// Brings the database to `latest`; returns the version found before.
    @discardableResult
    static func migrate(_ connection: PostgresConnection, logger: Logger) async throws -> Int {
        try await connection.query("BEGIN", logger: logger)
        do {
            // One migrating server at a time; the others wait here, then find nothing to do.
            try await connection.query("SELECT pg_advisory_xact_lock(7480180001)", logger: logger)
            try await connection.query("CREATE TABLE IF NOT EXISTS fog_migrations (version integer PRIMARY KEY, summary text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())", logger: logger)
            var found = 0
            for try await v in try await connection.query("SELECT coalesce(max(version), 0)::bigint FROM fog_migrations", logger: logger).decode(Int64.self) {
                found = Int(v)
            }
            if found > latest {
                throw StoreError(.storage, "the database was migrated by a newer fogctl (schema version \(found); this one knows up to \(latest)): upgrade fogctl")
            }
            for m in migrations where m.version > found {
                for statement in m.sql { try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger) }
                try await connection.query("INSERT INTO fog_migrations (version, summary) VALUES (\(m.version), \(m.summary))", logger: logger)
            }
            try await connection.query("COMMIT", logger: logger)
            return found
        } catch {
            _ = try? await connection.query("ROLLBACK", logger: logger)
            throw error
        }
    }
}
