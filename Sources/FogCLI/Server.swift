import ArgumentParser
import FogClient
import FogControllers
import FogManifest
import FogPostgres
import FogRuntime
import FogServer
import FogStore
import Foundation
import Hummingbird
import ServiceLifecycle

struct Server: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve the fog API over HTTP, running the controllers in the same process.",
        discussion: """
            Without --tokens the server only listens on loopback and anyone who can connect is admin.
            Token file: `tokens: [{token|sha256, user, role: admin|tenant|agent, namespaces: [...], node: NAME}]`.
            """)

    @Option(help: ArgumentHelp("Address to listen on (port 0 picks a free one).", valueName: "host:port"))
    var listen = "127.0.0.1:7480"
    @Option(help: ArgumentHelp("Bearer tokens (YAML).", valueName: "file"))
    var tokens: String?
    @Option(help: ArgumentHelp("all, none, or a comma-separated list of controller names.", valueName: "names"))
    var controllers = "all"
    @Option(help: ArgumentHelp("Largest blob accepted (bytes).", valueName: "bytes"))
    var maxBlobBytes = 64 << 20
    @Option(help: ArgumentHelp("Enables POST /hooks/gitsource/{namespace}/{name}: the file holds the webhook secret (HMAC-SHA256 key; surrounding whitespace ignored).", valueName: "file"))
    var webhookSecretFile: String?
    @Option(help: ArgumentHelp("The store: postgres://user[:password]@host[:port]/database[?sslmode=disable] for a PostgreSQL database that several servers share, or a SQLite file (env FOG_STORE; default: the state file, --state).", valueName: "url|path"))
    var store: String?
    @Option(help: ArgumentHelp("Where blobs live; servers sharing a database must share it (default: blobs/ beside the state file; with PostgreSQL ~/.fog/blobs).", valueName: "dir"))
    var blobDir: String?
    @Option(help: ArgumentHelp("PostgreSQL: the controller lease lasts this long after its last renewal.", valueName: "duration"))
    var leaseDuration: DurationArgument = DurationArgument(argument: "15s")!
    @Option(help: ArgumentHelp("PostgreSQL: the leader stops its controllers when it has not renewed the lease for this long.", valueName: "duration"))
    var renewDeadline: DurationArgument = DurationArgument(argument: "10s")!
    @Option(help: ArgumentHelp("PostgreSQL: how often the leader renews and candidates try to acquire.", valueName: "duration"))
    var retryPeriod: DurationArgument = DurationArgument(argument: "2s")!
    @OptionGroup var controllerOptions: ControllerOptions
    @OptionGroup var global: GlobalOptions

    /// `--store`, else `FOG_STORE`; nil: the state file.
    var storeLocation: String? {
        if let store, !store.isEmpty { return store }
        if let env = ProcessInfo.processInfo.environment["FOG_STORE"], !env.isEmpty { return env }
        return nil
    }

    func run() async throws {
        if let location = storeLocation, PostgresLocation.isPostgresURL(location) {
            return try await runOverPostgres(url: location)
        }
        var global = self.global
        if let location = storeLocation { global.state = location }
        let store = try global.embeddedStore(for: "server")
        var config = try configuration()
        if let blobDir { config.blobDirectory = blobDir }
        let readiness = SendableBox<Manager?>(nil)
        config.readiness = { readiness.value?.cache.allSynced ?? true }
        let logger = CLILogging.logger("fog.server")
        let api: APIServer
        let metrics = ServerMetrics()
        do { api = try APIServer(store: store, configuration: config, logger: logger, metrics: metrics) } catch {
            throw CommandFailure(code: 1, "error: \(error)")
        }
        let selected = try selectedControllers()
        let console = CLI.console
        let detail = "state \(store.path); \(config.tokens == nil ? "no authentication: loopback only" : "bearer tokens required")\(config.webhookSecret == nil ? "" : "; gitsource webhooks on"); controllers: \(selected.isEmpty ? "none" : selected.sorted().joined(separator: ","))"
        let host = config.host
        let app = api.application(onRunning: { bound in
            console.err("fog API server listening on \(ListenAddress.url(host: host, port: bound)) (\(detail)); control panel at /ui/\n")
        })
        // The store's upkeep first: services stop in reverse order, so it stops last and leaves the WAL empty.
        var services: [any Service] = [controllerOptions.maintenance(store: store, label: "fog.store"), app]
        if !selected.isEmpty {
            let manager = controllerOptions.manager(global, store: store, only: selected,
                                                    observer: { metrics.reconciled(controller: $0, seconds: $1, failed: $2) })
            metrics.queueDepths = { manager.runners.map { ($0.controller.name, $0.queue.depth) } }
            readiness.value = manager
            services.append(manager)
        }
        let group = ServiceGroup(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        try await group.run()
    }

    /// The API server's configuration from the command's options (listen address, tokens, webhooks, access rules).
    func configuration() throws -> APIServer.Configuration {
        let (host, port) = try ListenAddress.parse(listen, flag: "--listen")
        var config = APIServer.Configuration()
        config.host = host
        config.port = port
        config.maxBlobBytes = maxBlobBytes
        if let webhookSecretFile {
            guard let data = FileManager.default.contents(atPath: webhookSecretFile),
                  case let secret = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines), !secret.isEmpty else {
                throw CommandFailure(code: 1, "error: --webhook-secret-file \(webhookSecretFile): cannot read a secret from it")
            }
            config.webhookSecret = Array(secret.utf8)
        }
        if let tokens {
            do { config.tokens = try TokenBook(file: tokens) } catch { throw CommandFailure(code: 1, "\(error)") }
        }
        // What agents may do and when objects are ready: as this binary's controller families
        // declare (whichever of their controllers run here or in another process).
        config.access = ControllerFamilies.access
        config.readinessRules = ControllerFamilies.readiness
        return config
    }

    func selectedControllers() throws -> Set<String> {
        let known = Set(ControllerFamilies.names)
        switch controllers {
        case "all": return known
        case "none": return []
        default:
            let selected = Set(controllers.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) })
            let unknown = selected.subtracting(known)
            if !unknown.isEmpty {
                throw CommandFailure(code: 1, "error: unknown controllers \(unknown.sorted().joined(separator: ", ")); known: \(known.sorted().joined(separator: ", "))")
            }
            return selected
        }
    }
}

/// `host:port` (IPv6 hosts in brackets), as `--listen` and `--ui-listen` take it.
enum ListenAddress {
    static func parse(_ text: String, flag: String) throws -> (host: String, port: Int) {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (0...65535).contains(port) else {
            throw CommandFailure(code: 1, "error: \(flag) must be host:port (got \"\(text)\")")
        }
        var host = String(text[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        return (host, port)
    }

    /// How a bound address is written in a URL.
    static func url(host: String, port: Int) -> String { "http://\(host.contains(":") ? "[\(host)]" : host):\(port)" }
}
