import ArgumentParser
import FogClient
import FogControllers
import FogModel
import FogRuntime
import FogStore
import Foundation
import ServiceLifecycle

struct Reconcile: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the controllers against the embedded store, or ask one git source to fetch now.",
        discussion: """
            fogctl reconcile gitsource NAME [-n NS] [--wait [--timeout 1m]] asks the source to fetch and
            apply at once (like flux reconcile source git; the webhook does the same); it works on the
            embedded store and on a server, and --wait waits until the controllers have handled it.
            Without a source: --once runs until no work is pending and nothing is due within a second, then exits:
            0 if every object is healthy, 1 listing the objects in a failed condition.
            --watch runs until interrupted (SIGINT/SIGTERM), reacting to writes from any process.
            Controllers: \(ControllerFamilies.names.joined(separator: ", ")).
            """)

    @Argument(help: ArgumentHelp("gitsource NAME: ask that source to fetch now instead of running controllers.", valueName: "kind name"))
    var source: [String] = []
    @Option(name: .shortAndLong, help: "Namespace of the git source.") var namespace = "default"
    @Flag(help: "With a git source: wait until it has fetched and applied.") var wait = false
    @Option(help: ArgumentHelp("With --wait: how long.", valueName: "duration"))
    var timeout: DurationArgument = DurationArgument(argument: "1m")!
    @Flag(help: "Run until settled, then exit.") var once = false
    @Flag(help: "Run until interrupted.") var watch = false
    @OptionGroup var controllerOptions: ControllerOptions
    @OptionGroup var global: GlobalOptions

    func validate() throws {
        if try GitSourceReference.key(source, namespace: namespace) != nil {
            if once || watch { throw ValidationError("--once and --watch run the controllers; with a git source, give neither") }
            return
        }
        if once == watch { throw ValidationError("give exactly one of --once or --watch (or a source: fogctl reconcile gitsource NAME)") }
    }

    func run() async throws {
        if let key = try GitSourceReference.key(source, namespace: namespace) {
            let client = try global.client()
            let at = try await GitOpsVerbs.requestFetch(key, client: client)
            CLI.console.out("gitsource/\(key.name) fetch requested (fog/reconcile-requested-at=\(at))\n")
            guard wait else { return }
            let ready = try await GitOpsVerbs.waitHandled(key, at: at, client: client, timeout: timeout.seconds)
            CLI.console.out("gitsource/\(key.name): Ready=\(ready?.status.rawValue ?? "Unknown") \(ready?.message ?? "")\n")
            if ready?.status != .true { throw CommandFailure(code: 1, nil) }
            return
        }
        let store = try global.embeddedStore(for: "reconcile")
        let manager = controllerOptions.manager(global, store: store)
        let maintenance = controllerOptions.maintenance(store: store, label: "fog.store")
        if once {
            let start = Date()
            try await manager.runUntilSettled(window: 1)
            _ = try? maintenance.maintenance.finish()
            let failed = Failures.list(manager.cache)
            CLI.console.out("reconciled: \(manager.totalReconciles) reconciles in \(String(format: "%.2f", Date().timeIntervalSince(start)))s; settled at revision \(manager.cache.revision)\n")
            if !failed.isEmpty {
                throw CommandFailure(code: 1, failed.map { "failed: \($0.0.kind.lowercased())/\($0.0.name): \($0.1)" }.joined(separator: "\n"))
            }
        } else {
            let group = ServiceGroup(services: [maintenance, manager], gracefulShutdownSignals: [.sigterm, .sigint],
                                     logger: CLILogging.logger("fog.reconcile"))
            CLI.console.err("reconciling; Ctrl-C to stop\n")
            try await group.run()
        }
    }
}
