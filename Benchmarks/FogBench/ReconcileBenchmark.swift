import FogClient
import FogManifest
import FogModel
import FogRuntime
import FogStore
import Foundation
import Logging

/// `fog-bench reconcile`: 10,000 objects reconciled by a controller that writes
/// status, from a cold start; the same status writes as a plain loop for the
/// ratio; then CPU used over 10 s of idling.
enum ReconcileBenchmark {
    struct StatusWriter: Controller {
        let name = "bench-status-writer"
        let kind = "GitSource"
        var workers: Int { 4 }
        func reconcile(_ key: ObjectKey, _ ctx: ReconcileContext) async throws -> ReconcileResult {
            guard let o = ctx.cache.get(key) else { return .done }
            try await ctx.updateStatus(o, { $0["lastAppliedRevision"] = .string("r\(o.metadata.generation)") })
            return .done
        }
    }

    static func objects(_ count: Int) -> [Resource] {
        (0..<count).map { i in
            Resource(kind: "GitSource", metadata: ObjectMeta(name: "repo-\(i)", namespace: "bench"),
                     content: ["spec": ["url": .string("https://example.com/r\(i).git"), "ref": "main", "path": ".", "interval": "1m"]])
        }
    }

    static func cpuSeconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6
            + Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6
    }

    static func run(count: Int, idleSeconds: Double, dir: String) async throws {
        print("reconcile benchmark: \(count) objects, a controller that writes status (4 workers), embedded store")
        // Baseline: the same status writes, one by one, in a plain loop (no caches, queues or watch).
        let basePath = dir + "/reconcile-base.db"
        let base = try SQLiteStore(path: basePath)
        _ = try base.apply(objects(count), dryRun: false)
        let items = try base.list(kind: "GitSource", namespace: "bench").items
        let b0 = DispatchTime.now()
        for var o in items {
            var s = o.status?.objectValue ?? [:]
            s["lastAppliedRevision"] = .string("r\(o.metadata.generation)")
            s["observedGeneration"] = .int(o.metadata.generation)
            o.status = .object(s)
            _ = try base.updateStatus(o)
        }
        let baseline = seconds(b0, DispatchTime.now())

        // The runtime, cold: informers list 10,000 objects, the queue drains, status is written, caches catch up.
        let path = dir + "/reconcile.db"
        let store = try SQLiteStore(path: path)
        _ = try store.apply(objects(count), dryRun: false)
        let client = EmbeddedClient(store: store)
        var logger = Logger(label: "bench")
        logger.logLevel = .error
        let manager = Manager(client: client, controllers: [StatusWriter()], registry: SchemaSet.builtIn.registry, logger: logger)
        let t0 = DispatchTime.now()
        let cpu0 = cpuSeconds()
        let task = Task { try await manager.run() }
        while true {
            if manager.cache.allSynced, await manager.isSettled(within: 1) { break }
            try await Task.sleep(for: .milliseconds(5))
        }
        let converge = seconds(t0, DispatchTime.now())
        let convergeCPU = cpuSeconds() - cpu0
        let written = try store.list(kind: "GitSource", namespace: "bench").items.filter { $0.status?["lastAppliedRevision"] != nil }.count
        precondition(written == count, "only \(written) of \(count) reconciled")
        let reconciles = manager.runners.first { $0.controller.name == "bench-status-writer" }!.reconciles

        // Idle: nothing changes; only the cross-process revision check (every 250 ms) should run.
        let i0 = cpuSeconds()
        try await Task.sleep(for: .seconds(idleSeconds))
        let idleCPU = cpuSeconds() - i0
        task.cancel()
        _ = await task.result

        print(String(format: "  plain loop of %d status writes (baseline): %8.1f ms  (%.1f µs per object)", count, baseline * 1000, baseline / Double(count) * 1e6))
        print(String(format: "  runtime, cold start to converged:          %8.1f ms  (%.1f µs per object; %d reconciles; %.2f s CPU)",
                     converge * 1000, converge / Double(count) * 1e6, reconciles, convergeCPU))
        print(String(format: "  ratio runtime / plain loop: %.2f", converge / baseline))
        print(String(format: "  idle for %.0f s after convergence: %.3f s CPU (%.2f %% of one core)", idleSeconds, idleCPU, idleCPU / idleSeconds * 100))
    }

    static func seconds(_ a: DispatchTime, _ b: DispatchTime) -> Double {
        Double(b.uptimeNanoseconds - a.uptimeNanoseconds) / 1e9
    }
}
