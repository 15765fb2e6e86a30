import FogManifest
import FogModel
import FogStore
import Foundation
import GRDB

/// `fog-bench apply`: 10,000 generated FogNodes from one multi-document file
/// into a fresh embedded store, against a raw SQLite insert of the same
/// serialised rows in one transaction, in the same run.
enum ApplyBenchmark {
    static func generate(count: Int) -> String {
        var s = ""
        s.reserveCapacity(count * 420)
        let classes = ["mobile", "edge", "fog", "cloud"]
        let regions = ["eu-west", "us-east", "ap-south"]
        for i in 0..<count {
            let c = classes[i % 4], r = regions[i % 3]
            s += """
                ---
                apiVersion: fog/v1alpha1
                kind: FogNode
                metadata:
                  name: node-\(i)
                  labels:
                    fog/class: \(c)
                    fog/region: \(r)
                spec:
                  region: \(r)
                  zone: \(r)-\(i % 2 == 0 ? "a" : "b")
                  class: \(c)
                  capacity:
                    cpu: \(4 + i % 60)
                    memoryGiB: \(8 + i % 120)
                    tokensPerSecond: \(40 + i % 110)
                  roles: [compute]
                  price:
                    askPerHour: \(Double(i % 100) / 10 + 0.1)

                """
        }
        return s
    }

    struct Timing {
        var parse: Double = 0
        var store: Double = 0
        var total: Double { parse + store }
    }

    static func run(count: Int, repeats: Int, dir: String) throws {
        let text = generate(count: count)
        let bytes = Array(text.utf8)
        print("apply benchmark: \(count) FogNode objects in one \(bytes.count / 1024) KiB multi-document file; best of \(repeats) runs")
        var best = Timing(parse: .infinity, store: .infinity)
        var bestRaw = Double.infinity
        var rows: [(String, String, String, String, String)] = []
        for run in 0..<repeats {
            // fogctl apply's path: decode + validate + default, then one store transaction.
            let path = "\(dir)/apply-\(run).db"
            try? FileManager.default.removeItem(atPath: path)
            let store = try SQLiteStore(path: path)
            let t0 = DispatchTime.now()
            let objects = try ManifestDecoder().decode([ManifestInput(name: "bench.yaml", bytes: bytes)])
            let t1 = DispatchTime.now()
            let outcomes = try store.apply(objects.map(\.resource), dryRun: false)
            let t2 = DispatchTime.now()
            precondition(outcomes.count == count && outcomes.allSatisfy { $0.action == .created })
            let timing = Timing(parse: seconds(t0, t1), store: seconds(t1, t2))
            if timing.total < best.total { best = timing }
            if rows.isEmpty {
                rows = try store.list(kind: "FogNode", namespace: nil).items.map {
                    ($0.kind, $0.namespace, $0.name, $0.metadata.uid, $0.encoded())
                }
                precondition(rows.count == count)
            }

            // Baseline: the same serialised rows, inserted raw in one transaction, same table shape and pragmas.
            let rawPath = "\(dir)/raw-\(run).db"
            try? FileManager.default.removeItem(atPath: rawPath)
            var config = Configuration()
            config.prepareDatabase { db in try db.execute(sql: "PRAGMA synchronous = NORMAL") }
            let pool = try DatabasePool(path: rawPath, configuration: config)
            try pool.write { db in
                try db.execute(sql: "CREATE TABLE objects (kind TEXT NOT NULL, namespace TEXT NOT NULL, name TEXT NOT NULL, uid TEXT NOT NULL, revision INTEGER NOT NULL, body TEXT NOT NULL, PRIMARY KEY (kind, namespace, name)) WITHOUT ROWID")
            }
            let r0 = DispatchTime.now()
            try pool.writeWithoutTransaction { db in
                try db.inTransaction(.immediate) {
                    let stmt = try db.makeStatement(sql: "INSERT INTO objects (kind, namespace, name, uid, revision, body) VALUES (?, ?, ?, ?, ?, ?)")
                    for (i, row) in rows.enumerated() {
                        try stmt.execute(arguments: [row.0, row.1, row.2, row.3, i + 1, row.4])
                    }
                    return .commit
                }
            }
            let r1 = DispatchTime.now()
            bestRaw = min(bestRaw, seconds(r0, r1))
        }
        try decodeRates(bytes: bytes, count: count, repeats: repeats)
        let rawRate = Double(count) / bestRaw
        let applyRate = Double(count) / best.total
        let storeRate = Double(count) / best.store
        print(String(format: "  raw SQLite insert (baseline):   %9.0f rows/s      (%.1f ms)", rawRate, bestRaw * 1000))
        print(String(format: "  fogctl apply, end to end:       %9.0f objects/s   (%.1f ms: decode+validate %.1f ms, store %.1f ms)",
                     applyRate, best.total * 1000, best.parse * 1000, best.store * 1000))
        print(String(format: "  fogctl apply, store phase only: %9.0f objects/s", storeRate))
        print(String(format: "  ratio to raw: end to end %.2f, store phase %.2f (goal >= 0.50)", applyRate / rawRate, storeRate / rawRate))
    }

    /// `fog-bench decode`: the decode rates alone, for profiles (`perf stat`, callgrind).
    static func runDecode(count: Int, repeats: Int) throws {
        let bytes = Array(generate(count: count).utf8)
        print("decode benchmark: \(count) FogNode objects in one \(bytes.count / 1024) KiB multi-document file; best of \(repeats) runs")
        try decodeRates(bytes: bytes, count: count, repeats: repeats)
    }

    /// Decoding alone (read, validate, default), on one core and on every core (`FOG_BENCH_CORES`:
    /// on that many only): MB/s of YAML.
    static func decodeRates(bytes: [UInt8], count: Int, repeats: Int) throws {
        let only = Int(ProcessInfo.processInfo.environment["FOG_BENCH_CORES"] ?? "")
        for cores in only.map({ [$0] }) ?? Set([1, ProcessInfo.processInfo.activeProcessorCount]).sorted() {
            var decoder = ManifestDecoder()
            decoder.cores = cores
            var fastest = Double.infinity
            for _ in 0..<repeats {
                let d0 = DispatchTime.now()
                let decoded = try decoder.decode([ManifestInput(name: "bench.yaml", bytes: bytes)])
                fastest = min(fastest, seconds(d0, DispatchTime.now()))
                precondition(decoded.count == count)
            }
            print(String(format: "  decode + validate + default on %d core%@: %.1f ms, %.1f MB/s (goal >= 30 MB/s)", cores, cores == 1 ? "" : "s",
                         fastest * 1000, Double(bytes.count) / fastest / 1e6))
        }
    }

    static func seconds(_ a: DispatchTime, _ b: DispatchTime) -> Double {
        Double(b.uptimeNanoseconds - a.uptimeNanoseconds) / 1e9
    }
}
