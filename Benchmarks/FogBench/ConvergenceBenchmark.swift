import FogAPI
import FogAgent
import FogClient
import FogControllers
import FogFleet
import FogManifest
import FogMarket
import FogModel
import FogPostgres
import FogRuntime
import FogStore
import FogTesting
import Foundation
import Logging

/// `fog-bench convergence`: the design's cold-convergence goal on the real
/// controllers, with the quick start's realistic mix. A fresh store holds the quick
/// start's cluster objects (its tiers, privacy policies, two HarvestPolicies and its
/// circuit pool), 10,000 simulated nodes of every profile that have each sent one
/// heartbeat (the simulated fleet, then stopped; the heartbeat timeout is raised to
/// 10 minutes so that none expires), and 1,000 copies of the quick start's training
/// job `digits-fedavg` (8–10 participants, hierarchy, three regions) in 50 namespaces
/// (20 each: the medium tier's per-namespace slots). Then the manager starts with
/// every controller, cold: lifecycle marks nodes Ready, harvest evaluates the phones,
/// the job controller quotes and admits, allocation scores the fleet for each job and
/// books its participants in one transaction each, and training creates each job's
/// first-round tasks. Timed until every job is `Running` and the manager is settled,
/// with the peak resident memory of the run; then idle CPU over 5 s. The baseline is
/// the physical floor for the same writes: one SQLite transaction per object written,
/// in a plain loop on a store of the same size.
///
/// `FOG_BENCH_MIX=plain` runs the earlier, smaller mix instead (no HarvestPolicy, the
/// default manifests only, jobs of 3–5 participants without hierarchy).
enum ConvergenceBenchmark {
    // Scale (FOG_BENCH_NODES, FOG_BENCH_NAMESPACES; 20 jobs per namespace): the design's figures by default.
    static let nodeCount = Int(ProcessInfo.processInfo.environment["FOG_BENCH_NODES"] ?? "") ?? 10_000
    static let namespaces = Int(ProcessInfo.processInfo.environment["FOG_BENCH_NAMESPACES"] ?? "") ?? 50
    static let jobsPerNamespace = 20
    static let limit = Double(ProcessInfo.processInfo.environment["FOG_BENCH_LIMIT"] ?? "") ?? 120
    static let plainMix = ProcessInfo.processInfo.environment["FOG_BENCH_MIX"] == "plain"
    /// Seconds the run goes on after every job is Running, waiting for the manager to settle
    /// (FOG_BENCH_SETTLE, default 30).
    static let settleGrace = Double(ProcessInfo.processInfo.environment["FOG_BENCH_SETTLE"] ?? "") ?? 30

    /// The first time a condition held, and the store's revision then.
    final class FirstMoment: @unchecked Sendable {
        private let lock = NSLock()
        private var first: (time: Double, revision: Int64)?
        /// Records the moment if it is the first; returns the first.
        func mark(_ time: Double, revision: Int64) -> (time: Double, revision: Int64) {
            lock.withLock {
                if let first { return first }
                first = (time, revision)
                return (time, revision)
            }
        }
        var value: (time: Double, revision: Int64)? { lock.withLock { first } }
    }

    /// The quick start's cluster objects (everything but its nodes and jobs).
    static func quickstartClusterObjects() throws -> [Resource] {
        var objects: [Resource] = []
        for file in ["tiers", "privacy", "harvest", "circuits"] {
            objects += try BenchMarket.objects(try String(contentsOfFile: "examples/quickstart/\(file).yaml", encoding: .utf8))
        }
        return objects
    }

    /// The quick start's training job `digits-fedavg`, as the template of the realistic mix.
    static func quickstartTrainingJob() throws -> Resource {
        let jobs = try BenchMarket.objects(try String(contentsOfFile: "examples/quickstart/jobs.yaml", encoding: .utf8))
        guard let job = jobs.first(where: { $0.name == "digits-fedavg" }) else { throw BenchFailure("examples/quickstart/jobs.yaml has no digits-fedavg") }
        return job
    }

    /// Peak resident memory of this process since the last `resetPeakMemory()`, in MB (VmHWM).
    static func peakMemoryMB() -> Double {
        guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
              let kb = Double(line.split(separator: " ").dropFirst().first ?? "") else { return .nan }
        return kb / 1024
    }

    /// Resets the peak to the current resident size (Linux: `5` written to clear_refs).
    static func resetPeakMemory() {
        try? "5".write(toFile: "/proc/self/clear_refs", atomically: false, encoding: .utf8)
    }

    static func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }

    static func job(_ i: Int, namespace: String) -> Resource {
        let text = """
            apiVersion: fog/v1alpha1
            kind: FederatedJob
            metadata: {name: job-\(i), namespace: \(namespace)}
            spec:
              type: training
              tier: medium
              data: {dataset: digits}
              training: {rounds: 10, roundTimeout: 10m}
              participants: {min: 3, max: 5}
              placement: {requirements: {cpu: 1, memoryGiB: 1}}
              budget: {max: 1000}
              seed: \(i % 7)
            """
        return try! BenchMarket.objects(text)[0]
    }

    /// The store the scenario runs on: `FOG_BENCH_STORE=postgres` for a PostgreSQL database on a
    /// throw-away cluster with PostgreSQL's default durability (`FOG_BENCH_POSTGRES_URL`: a
    /// server of yours), else the embedded SQLite file.
    struct Backend {
        let name: String
        let store: any Store
        let client: EmbeddedClient
        /// The baseline: this many single-object status writes in a plain loop, one transaction
        /// each, on a fresh store of the same kind; seconds.
        let baseline: (Int) async throws -> Double
        let close: () async -> Void
    }

    static func backend(dir: String) async throws -> Backend {
        let env = ProcessInfo.processInfo.environment
        let defaults = try ManifestDecoder().decode(try ManifestInput.load(paths: [FileManager.default.currentDirectoryPath + "/manifests"],
                                                                            recursive: false, readStandardInput: { [] })).map(\.resource)
        guard env["FOG_BENCH_STORE"] == "postgres" else {
            let market = try BenchMarket(path: dir + "/convergence.db")
            return Backend(name: "embedded SQLite store", store: SQLiteAsyncStore(market.store), client: market.client,
                           baseline: { try baselineWrites(count: $0, dir: dir) }, close: {})
        }
        let cluster = try PostgresBenchmark.cluster()
        let pg = try await PostgresStore.open(url: try cluster.database(prefix: "fog_bench"))
        _ = try await pg.apply(defaults, dryRun: false)
        let opened = OpenedStores()
        return Backend(name: "PostgreSQL store (127.0.0.1:\(cluster.port), fsync and synchronous_commit at their defaults)", store: pg,
                       client: EmbeddedClient(store: pg, blobs: BlobStore(directory: dir + "/convergence-blobs")),
                       baseline: { count in
                           let base = try await PostgresStore.open(url: try cluster.database(prefix: "fog_bench"))
                           opened.add(base)
                           return try await baselineWrites(count: count, on: base)
                       },
                       close: {
                           for s in opened.all { await s.close() }
                           await pg.close()
                           cluster.stop()
                       })
    }

    final class OpenedStores: @unchecked Sendable {
        private let lock = NSLock()
        private var stores: [PostgresStore] = []
        func add(_ s: PostgresStore) { lock.withLock { stores.append(s) } }
        var all: [PostgresStore] { lock.withLock { stores } }
    }

    static func run(dir: String) async throws {
        let backend = try await backend(dir: dir)
        do { try await scenario(backend) } catch {
            await backend.close()
            throw error
        }
        await backend.close()
    }

    static func scenario(_ backend: Backend) async throws {
        let jobCount = namespaces * jobsPerNamespace
        print("convergence: \(nodeCount) nodes + \(jobCount) training jobs, every controller, \(backend.name), cold start, "
              + (plainMix ? "plain mix (no HarvestPolicy, 3-5 participants)" : "the quick start's mix (its tiers, privacy policies, 2 HarvestPolicies, circuit pool; copies of digits-fedavg)"))
        let (store, client) = (backend.store, backend.client)
        var logger = Logger(label: "bench")
        logger.logLevel = .error
        if !plainMix { _ = try await store.apply(try quickstartClusterObjects(), dryRun: false) }
        var options = SimulatedFleet.Options()
        options.seed = 11
        let fleet = SimulatedFleet(client: client, clock: SystemClock(), options: options)
        let s0 = now()
        try await fleet.createNodes(count: nodeCount, profiles: plainMix ? [.stable, .lowLatency, .highPerformance, .loadBalanced] : FleetProfile.all)
        for n in fleet.nodeNames { fleet.force(n, online: true) }
        try await fleet.tick()
        var jobs: [Resource] = []
        let template = plainMix ? nil : try quickstartTrainingJob()
        for ns in 0..<namespaces {
            for j in 0..<jobsPerNamespace {
                let i = ns * jobsPerNamespace + j
                if var copy = template {
                    copy.metadata.name = "job-\(i)"
                    copy.metadata.namespace = "team-\(ns)"
                    copy.content["spec"]?["seed"] = .int(Int64(i))
                    jobs.append(copy)
                } else {
                    jobs.append(job(i, namespace: "team-\(ns)"))
                }
            }
        }
        _ = try await store.apply(jobs, dryRun: false)
        let revisionBefore = try await store.currentRevision()
        print(String(format: "  setup (not timed): %d nodes created and heartbeated, %d jobs applied in %.1f s", nodeCount, jobCount, now() - s0))

        var registry = ControllerSettings()
        registry.dataDirectory = "examples/data"
        // The fleet is stopped while the controllers converge, so that only their work is timed;
        // its one heartbeat must not expire meanwhile.
        registry.heartbeatTimeout = 600
        // The stop condition counts every job: looked at every 50 ms (every 200 ms from 5,000
        // jobs; at most that late), not every 10 ms, so that at 10,000 jobs the count is not a
        // tenth of the work measured.
        var managerOptions = Manager.Options()
        managerOptions.stopCheckInterval = .milliseconds(jobCount >= 5000 ? 200 : 50)
        let manager = Manager(client: client, controllers: ControllerFamilies.controllers(registry), registry: SchemaSet.builtIn.registry,
                              logger: logger, options: managerOptions)
        // Progress counted by the caches' change handlers (O(1) per change): the stop condition
        // reads the counts instead of walking 10,000s of cached objects after every burst.
        let progress = ProgressTally()
        manager.cache["FogNode"]?.addHandler { progress.node($0) }
        manager.cache["FederatedJob"]?.addHandler { progress.job($0) }
        resetPeakMemory()
        let memoryBefore = peakMemoryMB()
        let cpu0 = ReconcileBenchmark.cpuSeconds()
        let t0 = now()
        // The first moment every job is Running, with the revision then: the figure a user waits
        // for. The run goes on until the manager is settled, or `settleGrace` seconds after that
        // moment: on a slow store the minutes of writes let wall-clock state move (phones leave and
        // enter charging windows, tasks on them are replaced), and a manager that keeps following
        // the clock never settles.
        let allRunning = FirstMoment()
        // The way there: when every node was first Ready, and every job first past each phase.
        let milestones = ["every node Ready", "every job Admitted", "every job Allocated"].map { ($0, FirstMoment()) }
        let runner = Task {
            try await manager.run(until: { m in
                // This runs after every burst of reconciles: the counts are kept by the caches' handlers.
                let (ready, admitted, allocated, running) = progress.counts
                for ((_, moment), done) in zip(milestones, [ready == nodeCount, admitted == jobCount, allocated == jobCount])
                where done && moment.value == nil {
                    _ = moment.mark(now(), revision: (try? await store.currentRevision()) ?? 0)
                }
                guard running == jobCount else { return false }
                var first = allRunning.value
                if first == nil { first = allRunning.mark(now(), revision: (try? await store.currentRevision()) ?? 0) }
                guard let first else { return false }
                if now() - first.time >= settleGrace { return true }
                return await m.isSettled(within: 0.5)
            })
        }
        // Give up after FOG_BENCH_LIMIT seconds (default 120).
        let watchdog = Task { try await Task.sleep(for: .seconds(limit)); runner.cancel() }
        _ = await runner.result
        let done = now()
        watchdog.cancel()
        let cpu1 = ReconcileBenchmark.cpuSeconds()
        let peakMemory = peakMemoryMB()
        let running = try await store.list(kind: "FederatedJob", namespace: nil, selector: LabelSelector()).items.filter { $0.status?["phase"]?.stringValue == "Running" }.count
        guard running == jobCount, let first = allRunning.value else {
            let phases = Dictionary(grouping: manager.cache.list("FederatedJob"), by: { $0.status?["phase"]?.stringValue ?? "-" }).mapValues(\.count)
            print("  not converged within \(Int(limit)) s: job phases \(phases)")
            return
        }
        let settled = done - first.time < settleGrace
        let toRunning = first.time - t0
        print("  on the way: " + milestones.map { name, moment in
            moment.value.map { String(format: "%@ %.2f s (%lld writes)", name, $0.time - t0, $0.revision - revisionBefore) } ?? "\(name): never"
        }.joined(separator: ", "))
        let writesToRunning = first.revision - revisionBefore
        print(String(format: "  every job Running: %.2f s after the start, %lld store writes; ", toRunning, writesToRunning)
              + (settled ? String(format: "settled %.2f s after the start", done - t0)
                 : String(format: "not settled %.0f s later (stopped there; wall-clock state kept moving)", settleGrace)))
        // The figure: to the settled manager when it settled, else to the moment every job was Running.
        let elapsed = settled ? done - t0 : toRunning
        let writes = settled ? try await store.currentRevision() - revisionBefore : writesToRunning
        let tasks = try await store.list(kind: "TrainingTask", namespace: nil, selector: LabelSelector()).items.count
        let allNodes = try await store.list(kind: "FogNode", namespace: nil, selector: LabelSelector()).items
        var booked = 0, overbooked = 0
        for n in allNodes {
            let r = n.status?["reservations"]?.objectValue ?? [:]
            booked += r.count
            let cpu = r.values.compactMap { $0["cpu"]?.numberValue }.reduce(0, +)
            if cpu > (n.spec?["capacity"]?["cpu"]?.numberValue ?? 0) + 1e-9 { overbooked += 1 }
        }
        print(String(format: "  cold convergence: %.2f s (goal <= 5 s), %d reconciles, %lld store writes, %.1f s CPU; peak memory %.0f MB (%.0f MB before the start)", elapsed,
                     manager.totalReconciles, writes, cpu1 - cpu0, peakMemory, memoryBefore))
        print("  reconciles by controller (count, seconds inside reconcile): " + manager.runners.map { String(format: "%@ %d %.1f s", $0.controller.name, $0.reconciles, $0.reconcileSeconds) }.joined(separator: ", "))
        print("  result: \(jobCount) jobs Running, \(booked) participant reservations on \(allNodes.filter { !($0.status?["reservations"]?.objectValue ?? [:]).isEmpty }.count) nodes (\(overbooked) over-booked), \(tasks) first-round tasks")

        // Baseline: the same number of single-object transactions in a plain loop, on a store of the same size.
        let floor = try await backend.baseline(Int(writes))
        print(String(format: "  baseline: %lld status writes in a plain loop, one transaction each: %.2f s; ratio %.2f", writes, floor, elapsed / floor))

        // Idle: nothing changes, so nothing should run.
        let idleManager = Manager(client: client, controllers: ControllerFamilies.controllers(registry), registry: SchemaSet.builtIn.registry, logger: logger)
        let idleTask = Task { try await idleManager.run() }
        // A fresh manager reconciles everything once; on a slow store the wall-clock state may keep
        // it busy (see `settleGrace`), and then there is no idle to measure.
        let idleStart = now()
        while await !idleManager.isSettled(within: 0.5) {
            guard now() - idleStart < settleGrace + limit else {
                idleTask.cancel()
                _ = await idleTask.result
                print(String(format: "  idle: not measured (a fresh manager was not settled %.0f s after its start)", now() - idleStart))
                return
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        let i0 = ReconcileBenchmark.cpuSeconds()
        try await Task.sleep(for: .seconds(5))
        let i1 = ReconcileBenchmark.cpuSeconds()
        idleTask.cancel()
        _ = await idleTask.result
        print(String(format: "  idle 5 s after convergence: %.3f s CPU (%.2f %% of one core)", i1 - i0, (i1 - i0) / 5 * 100))
    }

    /// `count` single-row status writes, one transaction each, on a SQLite store holding as many
    /// objects, called in place (no hop to the writer queue: the store's own floor).
    static func baselineWrites(count: Int, dir: String) throws -> Double {
        let base = try SQLiteStore(path: dir + "/convergence-base.db")
        let objects = (0..<min(count, nodeCount)).map(baselineNode)
        _ = try base.apply(objects, dryRun: false)
        var items = try base.list(kind: "FogNode", namespace: nil).items
        let t0 = now()
        for k in 0..<count {
            var o = items[k % items.count]
            o.status = baselineStatus(k)
            items[k % items.count] = try base.updateStatus(o)
        }
        return now() - t0
    }

    static func baselineNode(_ i: Int) -> Resource {
        Resource(kind: "FogNode", metadata: ObjectMeta(name: "n-\(i)"), content: ["spec": ["region": "eu-west", "class": "edge", "capacity": ["cpu": 8, "memoryGiB": 16]]])
    }

    static func baselineStatus(_ k: Int) -> JSONValue {
        ["reservations": .object(["ns/job-\(k)": ["cpu": 1, "memoryGiB": 1, "gpu": 0]])]
    }

    /// The same through the asynchronous store protocol (the PostgreSQL store's only form).
    static func baselineWrites(count: Int, on base: any Store) async throws -> Double {
        _ = try await base.apply((0..<min(count, nodeCount)).map(baselineNode), dryRun: false)
        var items = try await base.list(kind: "FogNode", namespace: nil, selector: LabelSelector()).items
        let t0 = now()
        for k in 0..<count {
            var o = items[k % items.count]
            o.status = baselineStatus(k)
            items[k % items.count] = try await base.updateStatus(o)
        }
        return now() - t0
    }
}

/// Ready nodes and jobs past each phase, kept by the caches' change handlers.
final class ProgressTally: @unchecked Sendable {
    private let lock = NSLock()
    private var ready = 0, admitted = 0, allocated = 0, running = 0

    var counts: (ready: Int, admitted: Int, allocated: Int, running: Int) { lock.withLock { (ready, admitted, allocated, running) } }

    func node(_ change: Informer.Change) {
        func isReady(_ r: Resource?) -> Int { r?.condition("Ready")?.status == .true ? 1 : 0 }
        let delta: Int
        switch change {
        case .upsert(let old, let new): delta = isReady(new) - isReady(old)
        case .delete(let old): delta = -isReady(old)
        }
        if delta != 0 { lock.withLock { ready += delta } }
    }

    func job(_ change: Informer.Change) {
        /// (admitted or later, allocated or later, running), as the stop condition counts them.
        func past(_ r: Resource?) -> (Int, Int, Int) {
            guard let r else { return (0, 0, 0) }
            switch JobPhase(status: r.status) {
            case .running: return (1, 1, 1)
            case .allocated: return (1, 1, 0)
            case .admitted: return (1, 0, 0)
            default: return (0, 0, 0)
            }
        }
        let (before, after): ((Int, Int, Int), (Int, Int, Int))
        switch change {
        case .upsert(let old, let new): (before, after) = (past(old), past(new))
        case .delete(let old): (before, after) = (past(old), (0, 0, 0))
        }
        guard before != after else { return }
        lock.withLock {
            admitted += after.0 - before.0
            allocated += after.1 - before.1
            running += after.2 - before.2
        }
    }
}
