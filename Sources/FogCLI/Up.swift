import ArgumentParser
import FogAPI
import FogAgent
import FogClient
import FogControllers
import FogFleet
import FogManifest
import FogMarket
import FogModel
import FogServer
import FogRuntime
import FogStore
import Foundation
import ServiceLifecycle

struct Up: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Apply a directory to the embedded store, run every controller in-process, and show progress until converged.",
        discussion: "Exit 0 once converged with no object in a failed condition, 1 otherwise. --watch keeps running until interrupted.")

    @Option(name: .shortAndLong, help: ArgumentHelp("Manifests to apply (file or directory; repeat for several).", valueName: "dir"))
    var filename: [String] = ["examples/quickstart"]
    @Flag(name: [.customShort("R"), .customLong("recursive")], help: "Include subdirectories.")
    var recursive = false
    @Flag(help: "Keep running after convergence, until interrupted.")
    var watch = false
    @Flag(help: "Serve the control panel (and the HTTP API, without authentication) at --ui-listen while running; keeps running after convergence, as --watch.")
    var ui = false
    @Option(name: .customLong("ui-listen"), help: ArgumentHelp("Where --ui listens (loopback only).", valueName: "host:port"))
    var uiListen = "127.0.0.1:7480"
    @Option(help: ArgumentHelp("Give up if not converged by then.", valueName: "duration"))
    var timeout: DurationArgument = DurationArgument(argument: "5m")!
    @Flag(help: "Do not run the simulated fleet for nodes labelled fog/simulated=true.")
    var noSimulate = false
    @Option(help: ArgumentHelp("Seed of the simulated fleet.", valueName: "seed"))
    var seed: UInt64 = 1
    @Option(help: ArgumentHelp("Share of the simulated nodes that misbehave in training (0…1; chosen from the seed, not labelled).", valueName: "share"))
    var byzantine = 0.0

    func validate() throws {
        if !(0...1).contains(byzantine) { throw ValidationError("--byzantine must be between 0 and 1 (got \(byzantine))") }
    }
    @OptionGroup var controllerOptions: ControllerOptions
    @OptionGroup var global: GlobalOptions

    func run() async throws {
        let console = CLI.console
        let objects = try CLI.decode(files: filename, recursive: recursive, namespace: nil)
        let store = try global.embeddedStore(for: "up")
        let client = EmbeddedClient(store: store)
        // Federated jobs wait for the simulated fleet's first heartbeats (see below); the store
        // checks the whole set first, so a job it would refuse stops `up` before anything is written.
        let all = objects.map(\.resource)
        let simulating = !noSimulate && all.contains { $0.kind == "FogNode" && $0.metadata.labels[SimulatedFleet.simulatedLabel] == "true" }
        let held = simulating ? all.filter { $0.kind == "FederatedJob" } : []
        let outcomes: [ApplyOutcome]
        do {
            if !held.isEmpty { _ = try await client.apply(all, dryRun: true) }
            outcomes = try await client.apply(held.isEmpty ? all : all.filter { $0.kind != "FederatedJob" }, dryRun: false)
        } catch { throw CLI.storeFailure(error) }
        console.out("applied \(outcomes.count) objects from \(filename.joined(separator: ", ")) to \(global.statePath()): "
                    + Self.counts(outcomes) + (held.isEmpty ? "" : "; \(held.count) federated job\(held.count == 1 ? "" : "s") once every simulated node has reported") + "\n")

        // The simulated fleet heartbeats the nodes labelled fog/simulated=true, as agents would.
        var fleet: SimulatedFleet?
        if !noSimulate {
            var options = SimulatedFleet.Options()
            options.seed = seed
            options.byzantineShare = byzantine
            options.dataDirectory = controllerOptions.dataDir
            let f = SimulatedFleet(client: client, clock: SystemClock(), options: options)
            let adopted: Int
            do {
                adopted = try await f.adoptExisting()
                if adopted > 0 { try await f.tick() }
            } catch { throw CLI.storeFailure(error) }
            if adopted > 0 {
                console.out("simulated fleet: \(adopted) nodes (seed \(seed)\(byzantine > 0 ? ", \(f.nodeNames.filter(f.isByzantine).count) Byzantine" : "")), heartbeat every \(Int(options.heartbeatInterval))s\n")
                fleet = f
            }
        }
        let simulated = Set(fleet?.nodeNames ?? [])
        let hasFleet = fleet != nil
        // Simulated relays in process (sim://), agents' relays over HTTP.
        let relayTransport = fleet.map { RelayTransports.combined(simulated: $0.relayTransport) }
        let manager = controllerOptions.manager(global, store: store, relayTransport: relayTransport)
        let progress = Progress(tty: isatty(STDOUT_FILENO) == 1 && ProcessInfo.processInfo.environment["TERM"] != "dumb")
        let start = Date()
        let deadline = start.addingTimeInterval(timeout.seconds)
        let watchMode = watch || ui
        let converged = SendableBox(false)
        let jobsApplied = SendableBox(held.isEmpty)
        let jobsAllocated = AsyncSignal()
        let heldKeys = held.map(\.key)
        let applyFailure = SendableBox<CommandFailure?>(nil)
        let timedOut = SendableBox(false)
        let stop: @Sendable (Manager) async -> Bool = { m in
            progress.show(m, elapsed: Date().timeIntervalSince(start))
            if Date() > deadline { timedOut.value = true; return true }
            // Every simulated node that is online has been seen by the lifecycle controller.
            let nodesSeen = simulated.isEmpty || m.cache.list("FogNode").allSatisfy { n in
                !simulated.contains(n.name) || n.status?["lastHeartbeatTime"] == nil || n.condition("Ready") != nil
            }
            // Training jobs run to the end (the simulated fleet works outside the manager's queues).
            let training = m.cache.list("FederatedJob").contains { j in
                let phase = JobPhase(status: j.status)
                // Training jobs, and inference jobs whose model is ready, run to the end.
                if phase == .running { return true }
                if phase != .allocated { return false }
                if (try? j.decodeSpec(FederatedJobSpec.self))?.type == .training { return true }
                return j.condition("ModelReady")?.status != .false
            }
            // The jobs go in once every online simulated node is Ready and the controllers have
            // settled (scores written): allocation then chooses among the whole fleet, the same
            // nodes for the same seed, instead of among those the lifecycle controller happened
            // to have marked Ready when the job was admitted.
            if !jobsApplied.value {
                guard nodesSeen, await m.isSettled(within: 1) else { return false }
                jobsApplied.value = true
                do {
                    let applied = try await client.apply(held, dryRun: false)
                    let reporting = m.cache.list("FogNode").filter { simulated.contains($0.name) && $0.condition("Ready")?.status == .true }.count
                    console.out("applied \(applied.count) federated job\(applied.count == 1 ? "" : "s") once \(reporting) of \(simulated.count) simulated nodes were Ready: "
                                + Up.counts(applied) + "\n")
                } catch {
                    applyFailure.value = CLI.storeFailure(error)
                    return true
                }
                return false
            }
            // Allocated (or refused, or finished): the fleet's heartbeats may go on.
            if !heldKeys.isEmpty, heldKeys.allSatisfy({ key in
                guard let j = m.cache.get(key) else { return false }
                return j.status?["allocation"] != nil || JobPhase(status: j.status).isFinal || AdmissionReason.refusal(of: j) != nil
            }) {
                jobsAllocated.notify()
            }
            // An open auction closes on its own clock (its bidding window), not on a queued change.
            let auctionOpen = m.cache.list("Auction").contains { a in
                let phase = a.status?["phase"]?.stringValue
                return a.metadata.deletionTimestamp == nil && (phase == nil || phase == "Open")
            }
            if nodesSeen, !training || !hasFleet, !auctionOpen, await m.isSettled(within: 1) {
                if !converged.value {
                    converged.value = true
                    progress.show(m, elapsed: Date().timeIntervalSince(start), force: true)
                    console.out(Up.summary(m, elapsed: Date().timeIntervalSince(start)))
                    let ranked = TopNodes.rank(m.cache.list("FogNode"), algorithm: .standard, context: ScoringContext(), now: Date())
                    if !ranked.isEmpty {
                        console.out("\ntop nodes (standard scoring; `fogctl top nodes --algorithm NAME` for the others):\n")
                        console.out(TopNodes.table(Array(ranked.prefix(10)), algorithm: .standard))
                    }
                }
                return !watchMode
            }
            return false
        }
        // The controllers and the simulated fleet are services of one group: SIGINT/SIGTERM end both
        // gracefully, and so does convergence (the manager's service returning).
        // The store's upkeep first, so that it stops last, with the shutdown checkpoint.
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [
            .init(service: controllerOptions.maintenance(store: store, label: "fog.store")),
            .init(service: UntilStopped(manager: manager, deadline: deadline, stop: stop), successTerminationBehavior: .gracefullyShutdownGroup),
        ]
        if let fleet {
            // The fleet's second heartbeat (new telemetry, new scores) waits until the jobs are
            // allocated, so that allocation sees the first heartbeats however slow the machine;
            // at most half the heartbeat timeout, so that the nodes stay Ready.
            let hold = min(controllerOptions.heartbeatTimeout.seconds / 2, 30)
            let gate: @Sendable () async -> Void = {
                await withTaskGroup(of: Void.self) { group in
                    group.addTask { await jobsAllocated.wait() }
                    group.addTask { try? await Task.sleep(for: .milliseconds(Int64(hold * 1000))) }
                    await group.next()
                    group.cancelAll()
                }
            }
            services.append(.init(service: FleetService(fleet: fleet, heartbeatsAfter: held.isEmpty ? nil : gate),
                                  successTerminationBehavior: .gracefullyShutdownGroup))
        }
        if ui {
            // The API and the control panel over the same store, as `fogctl server` serves them.
            let (host, port) = try ListenAddress.parse(uiListen, flag: "--ui-listen")
            var config = APIServer.Configuration()
            config.host = host
            config.port = port
            config.access = ControllerFamilies.access
            config.readinessRules = ControllerFamilies.readiness
            let api: APIServer
            do { api = try APIServer(store: store, configuration: config, logger: CLILogging.logger("fog.ui")) } catch {
                throw CommandFailure(code: 1, "error: --ui: \(error)")
            }
            services.append(.init(service: api.application(onRunning: { bound in
                console.out("control panel: \(ListenAddress.url(host: host, port: bound))/ui/ (the API at the same address: fogctl --server)\n")
            })))
        }
        let group = ServiceGroup(configuration: ServiceGroupConfiguration(services: services, gracefulShutdownSignals: [.sigterm, .sigint],
                                                                           logger: CLILogging.logger("fog.up")))
        try await group.run()
        if let failure = applyFailure.value { throw failure }
        if timedOut.value {
            throw CommandFailure(code: 1, "error: not converged within \(Int(timeout.seconds))s")
        }
        let failed = Failures.list(manager.cache)
        if !failed.isEmpty {
            throw CommandFailure(code: 1, failed.map { "failed: \($0.0.kind.lowercased())/\($0.0.name): \($0.1)" }.joined(separator: "\n"))
        }
    }

    /// "43 created", "2 configured, 41 unchanged".
    static func counts(_ outcomes: [ApplyOutcome]) -> String {
        var counts: [String: Int] = [:]
        for o in outcomes { counts[o.action.rawValue, default: 0] += 1 }
        return ["created", "configured", "unchanged"].compactMap { a in counts[a].map { "\($0) \(a)" } }.joined(separator: ", ")
    }

    static func summary(_ m: Manager, elapsed: Double) -> String {
        var s = "converged in \(String(format: "%.2f", elapsed))s: \(m.totalReconciles) reconciles, store revision \(m.cache.revision)\n"
        for family in ControllerFamilies.all {
            for line in family.summary(m.cache) { s += line + "\n" }
        }
        return s
    }
}

/// The manager until `stop` says so; woken at the deadline and twice a second for the progress display.
struct UntilStopped: Service {
    let manager: Manager
    let deadline: Date
    let stop: @Sendable (Manager) async -> Bool

    func run() async throws {
        let manager = self.manager
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await manager.run(until: stop) }
            group.addTask {
                // Time moves even when nothing else does: the deadline, the elapsed time shown.
                while !Task.isCancelled {
                    try await Task.sleep(for: .milliseconds(500))
                    manager.wake()
                }
            }
            try await group.next()
            group.cancelAll()
        }
    }
}

/// The simulated fleet until the group shuts down; its heartbeats after the first wait for
/// `heartbeatsAfter` (nil: they do not wait).
struct FleetService: Service {
    let fleet: SimulatedFleet
    var heartbeatsAfter: (@Sendable () async -> Void)?
    func run() async throws {
        let gate = heartbeatsAfter
        try await cancelWhenGracefulShutdown { try await fleet.run(heartbeatsAfter: gate) }
    }
}

final class SendableBox<T>: @unchecked Sendable {
    private let lock = NSLock()
    private var _value: T
    init(_ v: T) { _value = v }
    var value: T {
        get { lock.withLock { _value } }
        set { lock.withLock { _value = newValue } }
    }
}

/// The progress table of `fogctl up`: redrawn in place on a terminal, printed
/// only when it changes (and at most twice a second) otherwise, so CI logs stay readable.
final class Progress: @unchecked Sendable {
    let tty: Bool
    private var last = ""
    private var lastShown = Date.distantPast
    private var lines = 0

    init(tty: Bool) { self.tty = tty }

    func show(_ m: Manager, elapsed: Double, force: Bool = false) {
        guard m.cache.allSynced else { return }
        let now = Date()
        guard force || now.timeIntervalSince(lastShown) >= 0.5 else { return }
        let table = Self.table(m)
        guard force || table != last else { return }
        last = table
        lastShown = now
        let queued = m.runners.map { $0.queue.depth + $0.queue.processingCount }.reduce(0, +)
        let header = String(format: "[%6.2fs] reconciles %d, queued %d, revision %lld\n", elapsed, m.totalReconciles, queued, m.cache.revision)
        if tty {
            var s = ""
            if lines > 0 { s += "\u{1B}[\(lines)A\u{1B}[J" }
            s += header + table
            lines = (header + table).filter { $0 == "\n" }.count
            CLI.console.out(s)
        } else {
            CLI.console.out(header + table)
        }
    }

    /// The PHASES cell: each phase with its count, and the objects that have none yet (a task
    /// no node has reported on) as `none=N`, so that the counts add up to TOTAL. Empty for a
    /// kind whose status has no phase (its schema's `$defs/Status` describes none).
    static func phasesText(_ phases: [String: Int], total: Int, kindHasPhase: Bool = true) -> String {
        guard kindHasPhase || !phases.isEmpty else { return "" }
        let without = total - phases.values.reduce(0, +)
        return (phases.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" } + (without > 0 ? ["none=\(without)"] : []))
            .joined(separator: " ")
    }

    /// Whether `kind`'s status has a `phase` (its schema says so).
    static func hasPhase(_ kind: String) -> Bool {
        SchemaSet.builtIn.byKind[kind]?.raw["$defs"]?["Status"]?["properties"]?["phase"] != nil
    }

    static func table(_ m: Manager) -> String {
        var rows: [[String]] = []
        for info in CLI.registry.kinds where info.kind != "Event" {
            let items = m.cache.list(info.kind)
            guard !items.isEmpty else { continue }
            var ready = 0, notReady = 0, unknown = 0
            var phases: [String: Int] = [:]
            for r in items {
                switch r.condition("Ready")?.status {
                case .true?: ready += 1
                case .false?: notReady += 1
                case .unknown?: unknown += 1
                case nil: break
                }
                if let p = r.status?["phase"]?.stringValue { phases[p, default: 0] += 1 }
            }
            let anyReady = ready + notReady + unknown > 0
            rows.append([info.kind, String(items.count), anyReady ? String(ready) : "-", anyReady ? String(notReady) : "-",
                         anyReady ? String(unknown) : "-",
                         phasesText(phases, total: items.count, kindHasPhase: hasPhase(info.kind))])
        }
        let events = m.cache.list("Event").count
        return TablePrinter.render(header: ["KIND", "TOTAL", "READY", "NOT-READY", "UNKNOWN", "PHASES"], rows: rows)
            + (events > 0 ? "events: \(events)\n" : "")
    }
}
