import FogModel
import FogServer
import FogStore
import Foundation
import Logging
import ServiceLifecycle

/// A real API server for a test: `fogctl server`'s HTTP API over `store`, on 127.0.0.1 with
/// an ephemeral port, in a service group of its own (with `services` alongside, e.g. a
/// controller manager, as `fogctl server` runs them); `stop()` shuts it down gracefully.
public final class TestServer: @unchecked Sendable {
    public let port: Int
    public let api: APIServer
    private let group: ServiceGroup
    private let task: Task<Void, Error>

    public var baseURL: String { "http://127.0.0.1:\(port)" }

    /// `tokens`: the text of a tokens file (written to `directory`), nil for no authentication;
    /// `access`: what tenants and agents may do (the families' table, usually; empty: admins only).
    public static func start(store: SQLiteStore, directory: String, tokens: String? = nil,
                             access: AccessPolicy = AccessPolicy(), port: Int = 0, alongside services: [any Service] = [],
                             configure: (inout APIServer.Configuration) -> Void = { _ in }) async throws -> TestServer {
        var config = APIServer.Configuration()
        config.port = port
        config.access = access
        if let tokens {
            let file = directory + "/tokens.yaml"
            FileManager.default.createFile(atPath: file, contents: Data(tokens.utf8))
            config.tokens = try TokenBook(file: file)
        }
        configure(&config)
        var logger = Logger(label: "test-server")
        logger.logLevel = .error
        let api = try APIServer(store: store, configuration: config, logger: logger)
        let ready = AsyncStream<Int>.makeStream()
        let group = ServiceGroup(services: [api.application(onRunning: { ready.continuation.yield($0) })] + services, logger: logger)
        let task = Task { try await group.run() }
        var bound = 0
        for await p in ready.stream { bound = p; break }
        return TestServer(port: bound, api: api, group: group, task: task)
    }

    private init(port: Int, api: APIServer, group: ServiceGroup, task: Task<Void, Error>) {
        self.port = port
        self.api = api
        self.group = group
        self.task = task
    }

    /// Graceful shutdown (open watches end), then waits for the server to stop.
    public func stop() async {
        await group.triggerGracefulShutdown()
        _ = await task.result
    }
}
