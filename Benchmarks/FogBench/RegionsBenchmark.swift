import Foundation

/// Regional aggregation on the quick start (`fogctl up -f examples/quickstart`: 30 simulated
/// nodes in three regions, one aggregator per region): its digits-fedavg job run twice in the
/// same invocation, hierarchical as shipped and flat (`hierarchy.enabled: false`, nothing else
/// changed). Prints the bytes the simulated nodes measured by link (`status.training.traffic`)
/// and the regional caches' hit rate and the server's model egress.
///
/// The simulated fleet moves its bytes in memory (`sim://` peers), through the same executor
/// and aggregator code the real agents run over HTTP: the counts are the blob bytes those
/// transfers carried, not bytes on a socket (`fog-bench peers` has those).
enum RegionsBenchmark {
    struct Failure: Error, CustomStringConvertible { let description: String }

    static func run(dir: String) async throws {
        let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("fogctl").path
        guard FileManager.default.isExecutableFile(atPath: binary) else {
            throw Failure(description: "no fogctl beside fog-bench (\(binary)): build both (swift build -c release)")
        }
        let root = FileManager.default.currentDirectoryPath
        print("== regions: the quick start's digits-fedavg (30 rounds, 8-10 participants in 3 regions), hierarchical and flat, on `fogctl up`")
        var results: [(String, PeersBenchmark.Summary)] = []
        for hierarchy in [true, false] {
            let work = dir + "/quickstart-" + (hierarchy ? "regional" : "flat")
            try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
            for f in try FileManager.default.contentsOfDirectory(atPath: root + "/examples/quickstart") where f.hasSuffix(".yaml") {
                var text = try String(contentsOfFile: root + "/examples/quickstart/" + f, encoding: .utf8)
                if f == "jobs.yaml" && !hierarchy { text = flat(text) }
                try text.write(toFile: work + "/" + f, atomically: true, encoding: .utf8)
            }
            let clock = ContinuousClock()
            let began = clock.now
            try PeersBenchmark.fogctl(binary, ["up", "-f", work, "--state", work + "/state.db", "--timeout", "10m"])
            let wall = clock.now - began
            let s = try PeersBenchmark.summary(try PeersBenchmark.fogctlOutput(binary, ["get", "fj", "digits-fedavg", "-o", "json", "--state", work + "/state.db"]))
            print(String(format: "%@: %d rounds, accuracy %.4f, fogctl up %.1f s; bytes within regions %d, between regions %d, to/from the server %d",
                         hierarchy ? "hierarchical" : "flat", s.rounds, s.accuracy, PeersBenchmark.seconds(wall),
                         s.traffic.withinRegion, s.traffic.crossRegion, s.traffic.server))
            let c = s.cache
            let fetches = c.hits + c.misses + c.direct
            if fetches > 0 {
                print(String(format: "  global-model fetches: %d, %.1f %% served by the regional caches without the server (hits), %d misses, %d direct; the server sent %d model bytes where %d were fetched (%.1f %% less)",
                             fetches, 100 * Double(c.hits) / Double(fetches), c.misses, c.direct, c.serverBytes, c.bytesWithoutCache,
                             c.bytesWithoutCache == 0 ? 0 : 100 * (1 - Double(c.serverBytes) / Double(c.bytesWithoutCache))))
            }
            results.append((hierarchy ? "hierarchical" : "flat", s))
        }
        let h = results[0].1.traffic, f = results[1].1.traffic
        let left = (h.server + h.crossRegion, f.server + f.crossRegion)
        print(String(format: "bytes leaving or entering a region: hierarchical %d vs flat %d → %.1f %% less (%.2f× fewer)",
                     left.0, left.1, 100 * (1 - Double(left.0) / Double(max(1, left.1))), Double(left.1) / Double(max(1, left.0))))
    }

    /// The quick start's jobs with digits-fedavg's hierarchy turned off.
    static func flat(_ jobs: String) -> String {
        var out: [String] = []
        var inFedavg = false, inHierarchy = false
        for line in jobs.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("  name: ") { inFedavg = line == "  name: digits-fedavg" }
            if line.hasPrefix("  hierarchy:") { inHierarchy = true } else if !line.hasPrefix("    ") { inHierarchy = false }
            if inFedavg && inHierarchy && line.trimmingCharacters(in: .whitespaces) == "enabled: true" {
                out.append("    enabled: false")
            } else {
                out.append(String(line))
            }
        }
        return out.joined(separator: "\n")
    }
}
