import Foundation

/// fog's benchmarks. Each prints its figures and a same-run baseline.
/// Build in release: `swift run -c release fog-bench [NAME ...]` (`churn` takes a count: `churn 100000`;
/// `peers` (real processes) and `regions` (the quick start twice) run only when named, after `swift build -c release --product fogctl`).
@main
struct FogBench {
    static func main() async throws {
        let args = Array(CommandLine.arguments.dropFirst())
        let all = ["apply", "reconcile", "convergence", "scaling", "api", "writes", "fleet", "churn", "allocation", "auctions", "learning", "grid", "gitops", "ui", "circuits"]
        // A number after `churn` is its count of heartbeats.
        var selected: [String] = []
        var churnCount = 1_000_000
        var postgresUpdates = 1_000_000
        for arg in args {
            if let n = Int(arg.replacingOccurrences(of: "_", with: "")), selected.last == "churn" || selected.last == "postgres", n > 0 {
                if selected.last == "churn" { churnCount = n } else { postgresUpdates = n }
            } else { selected.append(arg) }
        }
        if selected.isEmpty { selected = all }
        let dir = NSTemporaryDirectory() + "fog-bench-\(getpid())"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for name in selected {
            switch name {
            case "apply": try ApplyBenchmark.run(count: 10_000, repeats: 3, dir: dir)
            case "decode": try ApplyBenchmark.runDecode(count: 10_000, repeats: Int(ProcessInfo.processInfo.environment["FOG_BENCH_REPEATS"] ?? "") ?? 3)
            case "reconcile": try await ReconcileBenchmark.run(count: 10_000, idleSeconds: 10, dir: dir)
            case "convergence": try await ConvergenceBenchmark.run(dir: dir)
            case "scaling": try await ScalingBenchmark.run(dir: dir)
            case "api": try await APIBenchmark.run(dir: dir)
            case "writes": try await WritePathBenchmark.run(dir: dir)
            case "fleet": try await FleetBenchmark.run(dir: dir)
            case "churn": try await ChurnBenchmark.run(count: churnCount, dir: dir)
            case "allocation":
                AllocationBenchmark.run()
                try await FailoverBenchmark.run(dir: dir)
            case "auctions": try await AuctionBenchmark.run(dir: dir)
            case "learning":
                LearningBenchmark.run(dataPath: "examples/data/digits.csv")
                try await TrainingBenchmark.run(dir: dir)
            case "grid": RobustnessGrid.run(dataPath: "examples/data/digits.csv")
            // Real processes (a server and 10 agents); not in the default set. Needs the fogctl built beside fog-bench.
            case "peers": try await PeersBenchmark.run(agents: 10, rounds: 10, dir: dir)
            // A real server at rest while N simulated nodes (another process) heartbeat at their interval; needs fogctl beside fog-bench.
            case "idle": try await IdleBenchmark.run(nodes: Int(ProcessInfo.processInfo.environment["FOG_BENCH_NODES"] ?? "") ?? 10_000, dir: dir)
            // The quick start's hierarchical job run hierarchical and flat through `fogctl up`; needs fogctl beside fog-bench.
            case "regions": try await RegionsBenchmark.run(dir: dir)
            // A real git repository (the system git) behind a real server's webhook.
            case "gitops": try await GitOpsBenchmark.run(dir: dir)
            case "ui": try await ControlPanelBenchmark.run(dir: dir)
            // Onion circuits: the cell construction, builds over 50 simulated relays, uploads through 3 HTTP relays.
            case "circuits": try await CircuitsBenchmark.run(dir: dir)
            // A PostgreSQL cluster of its own (Debian's postgresql); not in the default set. A number after it: status updates.
            case "postgres": try await PostgresBenchmark.run(updates: postgresUpdates, dir: dir)
            default:
                FileHandle.standardError.write(Data("unknown benchmark \(name); known: \(all.joined(separator: ", "))\n".utf8))
                exit(2)
            }
        }
    }
}
