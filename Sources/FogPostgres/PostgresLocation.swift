import FogAPI
import Foundation
import PostgresNIO

/// Where a PostgreSQL store lives: `postgres://user[:password]@host[:port]/database[?sslmode=disable|prefer|require]`
/// (also `postgresql://`). The password is never printed (`description` leaves it out).
public struct PostgresLocation: Sendable, CustomStringConvertible {
    public enum TLSMode: String, Sendable { case disable, prefer, require }
    public var host: String
    public var port: Int
    public var user: String
    public var password: String?
    public var database: String
    public var tls: TLSMode

    public static func isPostgresURL(_ s: String) -> Bool {
        s.hasPrefix("postgres://") || s.hasPrefix("postgresql://")
    }

    public init(url: String) throws {
        guard Self.isPostgresURL(url), let c = URLComponents(string: url) else {
            throw StoreError(.storage, "not a PostgreSQL URL: \(Self.redacted(url)) (expected postgres://user[:password]@host[:port]/database)")
        }
        guard let host = c.host, !host.isEmpty else { throw StoreError(.storage, "PostgreSQL URL \(Self.redacted(url)): no host") }
        let database = String(c.path.drop(while: { $0 == "/" }))
        guard !database.isEmpty else { throw StoreError(.storage, "PostgreSQL URL \(Self.redacted(url)): no database (…/DATABASE)") }
        self.host = host
        port = c.port ?? 5432
        user = c.user.map { $0.removingPercentEncoding ?? $0 } ?? "postgres"
        password = c.password.map { $0.removingPercentEncoding ?? $0 }
        self.database = database
        let mode = c.queryItems?.first { $0.name == "sslmode" }?.value ?? "prefer"
        switch mode {
        case "disable": tls = .disable
        case "prefer", "allow": tls = .prefer
        case "require", "verify-ca", "verify-full": tls = .require
        default: throw StoreError(.storage, "PostgreSQL URL \(Self.redacted(url)): sslmode \(mode) is not one of disable, prefer, require")
        }
    }

    /// The URL without its password.
    static func redacted(_ url: String) -> String {
        guard var c = URLComponents(string: url), c.password != nil else { return url }
        c.password = "***"
        return c.string ?? url
    }

    public var description: String { "postgres://\(user)@\(host):\(port)/\(database)" }

    func tlsConfiguration() throws -> PostgresConnection.Configuration.TLS {
        switch tls {
        case .disable: return .disable
        case .prefer: return try .prefer(.init(configuration: .makeClientConfiguration()))
        case .require: return try .require(.init(configuration: .makeClientConfiguration()))
        }
    }

    func clientConfiguration(maxConnections: Int) throws -> PostgresClient.Configuration {
        var tlsMode: PostgresClient.Configuration.TLS = .disable
        switch tls {
        case .disable: tlsMode = .disable
        case .prefer: tlsMode = .prefer(.makeClientConfiguration())
        case .require: tlsMode = .require(.makeClientConfiguration())
        }
        var config = PostgresClient.Configuration(host: host, port: port, username: user, password: password, database: database, tls: tlsMode)
        config.options.maximumConnections = maxConnections
        config.options.minimumConnections = 1
        config.options.connectTimeout = .seconds(5)
        // A process paused or hung inside a write transaction would hold the revision row's lock
        // (every writer waits for it) and the lease row's share lock (a takeover waits for it)
        // for as long as it stays stopped: PostgreSQL ends such a session after this long idle
        // in a transaction, which releases both. Our transactions are never idle for more than
        // the moments between their statements.
        config.options.additionalStartupParameters = [("application_name", "fog"),
                                                      ("idle_in_transaction_session_timeout", String(Self.idleInTransactionTimeoutMs))]
        return config
    }

    /// See `clientConfiguration`: shorter than the default lease (15 s), so that a paused
    /// leader delays its successor by no more than its lease.
    static let idleInTransactionTimeoutMs = 5_000

    public func connectionConfiguration(applicationName: String) throws -> PostgresConnection.Configuration {
        var config = PostgresConnection.Configuration(host: host, port: port, username: user, password: password, database: database,
                                                      tls: try tlsConfiguration())
        config.options.connectTimeout = .seconds(5)
        config.options.additionalStartupParameters = [("application_name", applicationName)]
        return config
    }
}

extension PostgresConnection {
    /// `query`, refused at once on a connection that has already closed. postgres-nio (1.33)
    /// drops a query written to a closed channel without ever completing it, so its caller would
    /// wait forever: seen when a server paused inside a transaction (SIGSTOP) was resumed after
    /// PostgreSQL had ended its session (`idle_in_transaction_session_timeout`).
    @discardableResult
    func run(_ query: PostgresQuery, logger: Logger) async throws -> PostgresRowSequence {
        guard !isClosed else {
            throw StoreError(.storage, "the database connection was closed by the server (its session ended); the write was not made")
        }
        return try await self.query(query, logger: logger)
    }
}
