import FogAgent
import FogClient
import FogControllers
import FogFleet
import FogManifest
import FogModel
import FogRuntime
import FogStore
import Foundation
import Logging

/// `fog-bench scaling`: how reconcile work grows with the fleet. The quick start's own objects
/// (its tiers, privacy policies, two HarvestPolicies, circuit pool and jobs) plus N simulated
/// nodes of every profile, each with one heartbeat; then, as `fogctl reconcile --once` does,
/// every controller until settled (timed, cold). Then every node heartbeats once more (N node
/// changes) and the controllers settle again: reconciles and time per node change, which
/// must not grow with N (a controller that scans the fleet on each node change makes them
/// grow linearly, and the cold start quadratically).
enum ScalingBenchmark {
    static func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }

    static var sizes: [Int] {
        (ProcessInfo.processInfo.environment["FOG_BENCH_SCALING_NODES"] ?? "3000,6000,15000").split(separator: ",").compactMap { Int($0) }
    }

    static func run(dir: String) async throws {
        print("scaling: the quick start (2 HarvestPolicies, its jobs) plus N simulated nodes, every controller, reconcile until settled")
        print("      N   cold settle   reconciles   | one heartbeat per node:  reconciles/change   µs/change")
        for n in sizes {
            let market = try BenchMarket(path: dir + "/scaling-\(n).db")
            let (store, client, logger) = (market.store, market.client, market.logger)
            var quickstart: [Resource] = []
            for file in ["tiers", "privacy", "harvest", "circuits", "nodes", "jobs"] {
                let text = try String(contentsOfFile: "examples/quickstart/\(file).yaml", encoding: .utf8)
                quickstart += try BenchMarket.objects(text)
            }
            _ = try store.apply(quickstart, dryRun: false)
            var options = SimulatedFleet.Options()
            options.seed = 3
            // The fleet's own clock, moved by hand so that the second round beats every node.
            let fleetClock = ManualClock(Date())
            let fleet = SimulatedFleet(client: client, clock: fleetClock, options: options)
            try await fleet.createNodes(count: n, profiles: FleetProfile.all)
            for name in fleet.nodeNames { fleet.force(name, online: true) }
            _ = try await fleet.tick()

            var settings = ControllerSettings()
            settings.dataDirectory = "examples/data"
            settings.heartbeatTimeout = 600
            let manager = Manager(client: client, controllers: ControllerFamilies.controllers(settings), registry: SchemaSet.builtIn.registry, logger: logger)
            let moved = AsyncSignal()
            manager.activity.forward(to: moved)
            let t0 = now()
            let task = Task { try await manager.run() }
            while !(await manager.isSettled(within: 1)) { await moved.wait() }
            let cold = now() - t0
            let coldReconciles = manager.runners.reduce(0) { $0 + $1.reconciles }

            // Every node heartbeats once: N node changes.
            let before = manager.runners.map { ($0.controller.name, $0.reconciles) }
            fleetClock.advance(by: options.heartbeatInterval)
            let t1 = now()
            let changes = try await fleet.tick()
            while !(await manager.isSettled(within: 1)) { await moved.wait() }
            let elapsed = now() - t1
            let after = manager.runners.map(\.reconciles)
            let perController = zip(before, after).map { ($0.0, $1 - $0.1) }.filter { $0.1 > 0 }
            let total = perController.reduce(0) { $0 + $1.1 }
            print(String(format: "  %6d   %8.2f s   %10d   |  %6d changes: %18.2f   %9.1f   (%@)", n, cold, coldReconciles, changes,
                         Double(total) / Double(max(1, changes)), elapsed / Double(max(1, changes)) * 1e6,
                         perController.map { "\($0.0) \($0.1)" }.joined(separator: ", ")))
            task.cancel()
            _ = await task.result
        }
    }
}
