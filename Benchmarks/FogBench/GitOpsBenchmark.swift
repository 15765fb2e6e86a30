import FogClient
import FogControllers
import FogManifest
import FogModel
import FogRuntime
import FogServer
import FogStore
import Foundation
import Logging
import ServiceLifecycle
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// `fog-bench gitops`: a real git repository of 500 manifests kept applied by the gitsource
/// controller behind a real API server. 20 commits, each changing 10 objects, pushed through
/// the webhook (HMAC-signed `POST /hooks/gitsource/…`): time from the webhook call to every
/// changed object applied, p50/p95. Then 20 drifted writes: time from the write to its repair.
/// Wall-clock times on the monotonic clock; the controller's interval (1h) never fires.
enum GitOpsBenchmark {
    static let manifests = 500
    static let commits = 20
    static let changedPerCommit = 10

    static func run(dir: String) async throws {
        print("gitops benchmark: \(manifests) manifests in a local git repository, \(commits) commits of \(changedPerCommit) changes each via the webhook, then \(commits) drifted writes")
        let repo = dir + "/gitops-repo"
        try git(["init", "-q", "-b", "main", repo])
        func policy(_ i: Int, share: Double) -> String {
            "apiVersion: fog/v1alpha1\nkind: HarvestPolicy\nmetadata:\n  name: p\(i)\nspec:\n  maxCpuShare: \(share)\n"
        }
        var shares = [Double](repeating: 0.5, count: manifests)
        try FileManager.default.createDirectory(atPath: repo + "/policies", withIntermediateDirectories: true)
        for i in 0..<manifests { try Data(policy(i, share: 0.5).utf8).write(to: URL(fileURLWithPath: repo + "/policies/p\(i).yaml")) }
        try commit(repo, "initial")

        let store = try SQLiteStore(path: dir + "/gitops.db")
        var logger = Logger(label: "bench")
        logger.logLevel = .error
        var settings = ControllerSettings()
        settings.gitCheckouts = dir + "/gitops-checkouts"
        let manager = Manager(client: EmbeddedClient(store: store), controllers: ControllerFamily.gitops.controllers(settings),
                              registry: SchemaSet.builtIn.registry, logger: logger)
        var config = APIServer.Configuration()
        config.port = 0
        let secret = Array("bench-secret".utf8)
        config.webhookSecret = secret
        let api = try APIServer(store: store, configuration: config, logger: logger)
        let ready = AsyncStream<Int>.makeStream()
        let group = ServiceGroup(services: [api.application(onRunning: { ready.continuation.yield($0) }), manager], logger: logger)
        let task = Task { try await group.run() }
        var port = 0
        for await p in ready.stream { port = p; break }

        let source = "apiVersion: fog/v1alpha1\nkind: GitSource\nmetadata: {name: bench, namespace: default}\nspec: {url: \(repo), path: policies, interval: 1h, prune: true}\n"
        let t0 = DispatchTime.now()
        _ = try store.apply(try ManifestDecoder().decode([ManifestInput(name: "gs.yaml", bytes: Array(source.utf8))]).map(\.resource), dryRun: false)
        try await waitFor(store) { try store.get(ObjectKey(kind: "GitSource", namespace: "default", name: "bench"))?.condition("Ready")?.status == .true }
        print(String(format: "  first sync (fetch, decode and apply %d objects): %.2f s", manifests, seconds(t0, DispatchTime.now())))

        var rng = SplitMix64(seed: 7)
        var latencies: [Double] = []
        for c in 0..<commits {
            var changed: [Int: Double] = [:]
            while changed.count < changedPerCommit {
                let i = Int(rng.next() % UInt64(manifests))
                let share = Double(1 + Int(rng.next() % 99)) / 100
                if share != shares[i] { changed[i] = share }
            }
            for (i, share) in changed {
                shares[i] = share
                try Data(policy(i, share: share).utf8).write(to: URL(fileURLWithPath: repo + "/policies/p\(i).yaml"))
            }
            try commit(repo, "commit \(c)")
            let start = DispatchTime.now()
            let body = Array("{\"ref\":\"refs/heads/main\",\"n\":\(c)}".utf8)
            try await post("http://127.0.0.1:\(port)/hooks/gitsource/default/bench", body: body,
                           signature: "sha256=" + APIServer.signature(body: body, secret: secret))
            try await waitFor(store) {
                try changed.allSatisfy { i, share in
                    try store.get(ObjectKey(kind: "HarvestPolicy", namespace: "", name: "p\(i)"))?.spec?["maxCpuShare"]?.numberValue == share
                }
            }
            latencies.append(seconds(start, DispatchTime.now()))
        }
        report("commit → applied (webhook to every changed object applied)", latencies)

        var repairs: [Double] = []
        for k in 0..<commits {
            let i = (k * 37) % manifests
            let key = ObjectKey(kind: "HarvestPolicy", namespace: "", name: "p\(i)")
            guard var o = try store.get(key) else { continue }
            o.spec?["maxCpuShare"] = .double(shares[i] == 0.01 ? 0.02 : 0.01)
            let start = DispatchTime.now()
            _ = try store.update(o)
            try await waitFor(store) { try store.get(key)?.spec?["maxCpuShare"]?.numberValue == shares[i] }
            repairs.append(seconds(start, DispatchTime.now()))
        }
        report("drifted write → repaired", repairs)
        // The repair is written before the source's status counts it.
        let key = ObjectKey(kind: "GitSource", namespace: "default", name: "bench")
        try await waitFor(store, limit: 10) { try store.get(key)?.status?["driftRepairs"]?.intValue ?? 0 >= Int64(repairs.count) }
        let status = try store.get(key)?.status
        print("  status: \(status?["inventoryCount"]?.intValue ?? 0) objects in the inventory, \(status?["driftRepairs"]?.intValue ?? 0) drift repairs")
        print("  for comparison: Flux polls a GitRepository on its interval (examples: 1-10 min) and re-applies on the Kustomization's interval; Argo CD polls every 3 min (timeout.reconciliation: 180s) unless a webhook arrives")
        await group.triggerGracefulShutdown()
        _ = await task.result
    }

    static func report(_ what: String, _ xs: [Double]) {
        let s = xs.sorted()
        func q(_ p: Double) -> Double { s[min(s.count - 1, Int((p * Double(s.count)).rounded(.up)) - 1)] }
        print(String(format: "  %@: p50 %.0f ms, p95 %.0f ms, max %.0f ms over %d", what, q(0.5) * 1000, q(0.95) * 1000, (s.last ?? 0) * 1000, s.count))
    }

    /// Waits for `condition`, looking again at each change the store records (a watch), not on a timer.
    static func waitFor(_ store: SQLiteStore, limit: Double = 60, _ condition: @escaping () throws -> Bool) async throws {
        let from = try store.currentRevision()
        if try condition() { return }
        let deadline = DispatchTime.now() + limit
        for try await _ in store.watch(kind: nil, namespace: nil, from: from, bookmarkEvery: 0) {
            if try condition() { return }
            if DispatchTime.now() > deadline { break }
        }
        throw GitFetcher.Failure(message: "gitops benchmark: timed out")
    }

    static func post(_ url: String, body: [UInt8], signature: String) async throws {
        var request = URLRequest(url: URL(string: url)!)
        request.httpMethod = "POST"
        request.httpBody = Data(body)
        request.setValue(signature, forHTTPHeaderField: "X-Hub-Signature-256")
        let (_, response) = try await URLSession.shared.data(for: request)
        guard (response as? HTTPURLResponse)?.statusCode == 202 else {
            throw GitFetcher.Failure(message: "webhook answered \((response as? HTTPURLResponse)?.statusCode ?? 0)")
        }
    }

    static func commit(_ repo: String, _ message: String) throws {
        try git(["-C", repo, "add", "-A"])
        try git(["-C", repo, "-c", "user.name=bench", "-c", "user.email=bench@example.com", "commit", "-q", "-m", message])
    }

    static func git(_ args: [String]) throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: GitFetcher.findGit())
        p.arguments = args
        try p.run()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else { throw GitFetcher.Failure(message: "git \(args.joined(separator: " ")) failed") }
    }

    static func seconds(_ a: DispatchTime, _ b: DispatchTime) -> Double { Double(b.uptimeNanoseconds - a.uptimeNanoseconds) / 1e9 }
}
