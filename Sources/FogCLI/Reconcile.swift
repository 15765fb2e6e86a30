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
        abstract: "Run the controllers against the embedded store.",
        discussion: """
            --once runs until no work is pending and nothing is due within a second, then exits:
            0 if every object is healthy, 1 listing the objects in a failed condition.
            --watch runs until interrupted (SIGINT/SIGTERM), reacting to writes from any process.
            Controllers: \(ControllerFamilies.names.joined(separator: ", ")).
            """)

    @Flag(help: "Run until settled, then exit.") var once = false
    @Flag(help: "Run until interrupted.") var watch = false
    @OptionGroup var controllerOptions: ControllerOptions
    @OptionGroup var global: GlobalOptions

    func validate() throws {
        if once == watch { throw ValidationError("give exactly one of --once or --watch") }
    }

    func run() async throws {
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
