import ArgumentParser
import FogCircuits
import FogClient
import FogControllers
import FogManifest
import FogMarket
import FogModel
import FogRemote
import FogRuntime
import FogStore
import Foundation
import Logging

/// Logging for the CLI: stderr, level from FOG_LOG_LEVEL (default warning). Bootstrapped once.
enum CLILogging {
    nonisolated(unsafe) private static var done = false
    private static let lock = NSLock()

    static func bootstrap() {
        lock.withLock {
            guard !done else { return }
            done = true
            let level = ProcessInfo.processInfo.environment["FOG_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .warning
            LoggingSystem.bootstrap { label in
                var h = StreamLogHandler.standardError(label: label)
                h.logLevel = level
                return h
            }
        }
    }

    static func logger(_ label: String) -> Logger {
        bootstrap()
        return Logger(label: label)
    }
}

/// Durations as `fogctl` takes them: the manifests' grammar (`DurationText`: `500ms`, `30s`,
/// `5m`, `1h30m`, `2d`), or plain seconds.
struct DurationArgument: ExpressibleByArgument, Sendable {
    var seconds: Double

    init?(argument: String) {
        guard let s = Double(argument) ?? DurationText.seconds(argument), s.isFinite, s >= 0 else { return nil }
        seconds = s
    }

    /// As help shows a default: in the grammar it is written in (`5s`, `200ms`, `5m`, `1h`).
    var defaultValueDescription: String {
        func whole(_ v: Double) -> Bool { v == v.rounded() }
        if seconds >= 3600 && whole(seconds / 3600) { return "\(Int(seconds / 3600))h" }
        if seconds >= 60 && whole(seconds / 60) { return "\(Int(seconds / 60))m" }
        if whole(seconds) { return "\(Int(seconds))s" }
        if whole(seconds * 1000) { return "\(Int((seconds * 1000).rounded()))ms" }
        return "\(seconds)s"
    }
}

enum Failures {
    /// Objects in a failed condition: a controller error (`Reconciled=False`), `Failed=True`,
    /// phase `Failed`, or `Ready=False` on a kind whose readiness is about its spec
    /// (a node that is not Ready is observed state, not a failure).
    static func failed(_ r: Resource) -> String? {
        let cs = r.conditions
        if let c = cs[type: "Reconciled"], c.status == .false { return "\(c.reason): \(c.message)" }
        if let c = cs[type: "Stopped"], c.status == .true, r.status?["phase"] == "Failed" { return "\(c.reason): \(c.message)" }
        // (A retried job keeps its earlier Failed=True until its new run starts: its phase says.)
        if let c = cs[type: "Failed"], c.status == .true, r.status?["phase"] == nil || r.status?["phase"] == "Failed" { return "\(c.reason): \(c.message)" }
        if r.status?["phase"]?.stringValue == "Failed" {
            // Why, when the writer said (an auction's `status.reason`, its Cleared=False condition).
            if let c = cs.first(where: { $0.status == .false && !$0.message.isEmpty && $0.type != "Open" }) { return "phase Failed: \(c.reason): \(c.message)" }
            return "phase Failed" + (r.status?["reason"]?.stringValue.map { ": " + $0 } ?? "")
        }
        if r.kind != "FogNode", let c = cs[type: "Ready"], c.status == .false { return "\(c.reason): \(c.message)" }
        if r.kind == "FederatedJob", let c = AdmissionReason.refusal(of: r) { return "\(c.reason): \(c.message)" }
        return nil
    }

    static func list(_ cache: InformerSet) -> [(Resource, String)] {
        cache.informers.keys.sorted().flatMap { kind in
            cache.list(kind).compactMap { r in failed(r).map { (r, $0) } }
        }
    }
}

extension GlobalOptions {
    /// The controller manager over the embedded store (the store's maintenance is a service of its own: `ControllerOptions.maintenance`).
    func manager(store: SQLiteStore, heartbeatTimeout: Double, dataDirectory: String = "examples/data",
                 only: Set<String>? = nil, observer: (@Sendable (String, Double, Bool) -> Void)? = nil,
                 gitCredentials: String? = nil, relayTransport: RelayTransport? = nil) -> Manager {
        manager(client: EmbeddedClient(store: store), workDirectory: (store.path as NSString).deletingLastPathComponent,
                heartbeatTimeout: heartbeatTimeout, dataDirectory: dataDirectory, only: only, observer: observer, gitCredentials: gitCredentials,
                relayTransport: relayTransport)
    }

    /// The controller manager over any client (a PostgreSQL store's fenced handle, for one);
    /// git checkouts go under `workDirectory/git`.
    func manager(client: any FogClient, workDirectory: String, heartbeatTimeout: Double, dataDirectory: String = "examples/data",
                 only: Set<String>? = nil, observer: (@Sendable (String, Double, Bool) -> Void)? = nil,
                 gitCredentials: String? = nil, relayTransport: RelayTransport? = nil) -> Manager {
        var options = ControllerSettings()
        // Relays are reached over HTTP (agents' --relay-listen), and in process when a
        // simulated fleet runs beside the controllers (`fogctl up` passes its transport).
        options.relayTransport = relayTransport ?? RelayClient.shared.transport
        options.heartbeatTimeout = heartbeatTimeout
        options.dataDirectory = dataDirectory
        options.gitCheckouts = workDirectory + "/git"
        options.gitCredentials = gitCredentials
        var managerOptions = Manager.Options()
        if let only { managerOptions.garbageCollection = only.contains("garbage-collector") }
        managerOptions.observer = observer
        let controllers = ControllerFamilies.controllers(options).filter { only?.contains($0.name) ?? true }
        return Manager(client: client, controllers: controllers, registry: CLI.registry,
                       logger: CLILogging.logger("fog.controllers"), options: managerOptions)
    }
}

/// Options of the commands that run controllers.
struct ControllerOptions: ParsableArguments {
    @Option(help: ArgumentHelp("A node whose last heartbeat is older than this is not Ready.", valueName: "duration"))
    var heartbeatTimeout: DurationArgument = DurationArgument(argument: "15s")!
    @Option(help: ArgumentHelp("The event log keeps at most this many revisions...", valueName: "n"))
    var compactionRevisions: Int64 = StoreMaintenance.Policy().keepRevisions
    @Option(help: ArgumentHelp("...and none older than this, whichever keeps less; a watch from before is told to list again (410).", valueName: "duration"))
    var compactionWindow: DurationArgument = DurationArgument(argument: "5m")!
    @Option(help: ArgumentHelp("Where data sets live (<dir>/<name>.csv), for training and evaluation.", valueName: "dir"))
    var dataDir = "examples/data"
    @Option(help: ArgumentHelp("Directory of GitSource credential files (a source's secretRef names one): a git-credential-store line for https, or an ssh private key.", valueName: "dir"))
    var gitCredentials: String?

    func manager(_ global: GlobalOptions, store: SQLiteStore, only: Set<String>? = nil,
                 observer: (@Sendable (String, Double, Bool) -> Void)? = nil, relayTransport: RelayTransport? = nil) -> Manager {
        global.manager(store: store, heartbeatTimeout: heartbeatTimeout.seconds, dataDirectory: dataDir,
                       only: only, observer: observer, gitCredentials: gitCredentials, relayTransport: relayTransport)
    }

    func manager(_ global: GlobalOptions, client: any FogClient, workDirectory: String, only: Set<String>? = nil,
                 observer: (@Sendable (String, Double, Bool) -> Void)? = nil) -> Manager {
        global.manager(client: client, workDirectory: workDirectory, heartbeatTimeout: heartbeatTimeout.seconds, dataDirectory: dataDir,
                       only: only, observer: observer, gitCredentials: gitCredentials)
    }

    /// The state file's upkeep (compaction of the event log to its window, free pages given
    /// back, WAL checkpoints), as a service to put first in the command's ServiceGroup: it
    /// stops last, with the shutdown checkpoint.
    func maintenance(store: SQLiteStore, label: String) -> StoreMaintenanceService {
        var policy = StoreMaintenance.Policy()
        policy.keepRevisions = compactionRevisions
        policy.keepSeconds = compactionWindow.seconds
        return StoreMaintenanceService(StoreMaintenance(store: store, policy: policy), logger: CLILogging.logger(label))
    }
}
