import FogClient
import FogPostgres
import FogRuntime
import FogServer
import FogStore
import Foundation
import Logging
import ServiceLifecycle

extension Server {
    /// `fogctl server --store postgres://…`: the API over a PostgreSQL database that other
    /// servers share. Every server serves the API and watches; the controllers (and the log's
    /// compaction) run on the one server that holds the controller lease, and every write they
    /// make carries its fencing token, which the store refuses once the lease has moved on.
    func runOverPostgres(url: String) async throws {
        func duration(_ d: DurationArgument) -> Duration { .milliseconds(Int64((d.seconds * 1000).rounded())) }
        let timing = LeaseTiming(leaseDuration: duration(leaseDuration), renewDeadline: duration(renewDeadline), retryPeriod: duration(retryPeriod))
        if let problem = timing.problem { throw CommandFailure(code: 1, "error: --lease-duration/--renew-deadline/--retry-period: \(problem)") }
        let selected = try selectedControllers()
        var config = try configuration()
        let logger = CLILogging.logger("fog.server")
        let store: PostgresStore
        do { store = try await PostgresStore.open(url: url, logger: CLILogging.logger("fog.postgres")) } catch {
            throw CommandFailure(code: 1, "error: \(error)")
        }
        let home = (global.statePath() as NSString).deletingLastPathComponent
        let blobs = BlobStore(directory: blobDir ?? home + "/blobs")
        let lease = LeaderLease(store: store, timing: timing)
        let elector = LeaderElector(lease: lease, logger: CLILogging.logger("fog.leader"))
        let current = SendableBox<Manager?>(nil)
        // A follower serves the API at once; the leader once its controllers' caches are filled.
        config.readiness = { current.value?.cache.allSynced ?? true }
        config.leadership = {
            let s = elector.state
            if s.isLeader { return "leader: \(s.identity) (this server; fencing token \(s.token.map(String.init) ?? "?"))" }
            return "leader: \(s.leader ?? "none") (this server, \(s.identity), follows)"
        }
        let metrics = ServerMetrics()
        metrics.leadership = {
            let s = elector.state
            return .init(identity: s.identity, leader: s.leader, isLeader: s.isLeader, token: s.token, refusedWrites: store.refusedFencedWrites)
        }
        metrics.queueDepths = { current.value?.runners.map { ($0.controller.name, $0.queue.depth) } ?? [] }
        let api: APIServer
        do { api = try APIServer(store: store, blobs: blobs, configuration: config, logger: logger, metrics: metrics) } catch {
            await store.close()
            throw CommandFailure(code: 1, "error: \(error)")
        }
        let console = CLI.console
        let shownHost = config.host.contains(":") ? "[\(config.host)]" : config.host
        let detail = "store \(store.location); blobs \(blobs.directory); \(config.tokens == nil ? "no authentication: loopback only" : "bearer tokens required"); controllers under lease \(lease.name) as \(lease.identity): \(selected.isEmpty ? "none" : selected.sorted().joined(separator: ","))"
        let app = api.application(onRunning: { bound in
            console.err("fog API server listening on http://\(shownHost):\(bound) (\(detail))\n")
        })
        var services: [any Service] = [app]
        if !selected.isEmpty {
            let controllerOptions = self.controllerOptions, global = self.global
            let maintenance = PostgresMaintenance(keepRevisions: controllerOptions.compactionRevisions, keepSeconds: controllerOptions.compactionWindow.seconds)
            let maintenanceLogger = CLILogging.logger("fog.store")
            let leading = SendableBox(false)
            elector.onChange = { s in
                guard s.isLeader != leading.value else { return }
                leading.value = s.isLeader
                console.err(s.isLeader ? "leading the controllers (fencing token \(s.token ?? 0))\n" : "stopped leading the controllers\n")
            }
            services.append(LeaderElectedControllers(elector: elector) { token in
                let fenced = store.fenced(by: lease.fence(token: token))
                let manager = controllerOptions.manager(global, client: EmbeddedClient(store: fenced, blobs: blobs), workDirectory: home,
                                                        only: selected, observer: { metrics.reconciled(controller: $0, seconds: $1, failed: $2) })
                current.value = manager
                await withTaskGroup(of: Void.self) { group in
                    group.addTask { try? await manager.run() }
                    group.addTask { await maintenance.run(store, logger: maintenanceLogger) }
                    await group.next()
                    group.cancelAll()
                }
                current.value = nil
            })
        }
        let group = ServiceGroup(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        do { try await group.run() } catch {
            await store.close()
            throw error
        }
        await store.close()
    }
}

/// The leader election as a service: `lead` runs while this server holds the lease, and is
/// cancelled when it loses it or at graceful shutdown (which then hands the lease over).
struct LeaderElectedControllers: Service {
    let elector: LeaderElector
    let lead: @Sendable (Int64) async -> Void

    func run() async throws {
        let elector = self.elector, lead = self.lead
        await cancelWhenGracefulShutdown {
            await elector.run(lead: lead)
        }
    }
}
