import FogClient
import FogModel
import FogStore
import Foundation

/// `fog-bench writes`: one writer updating FogNode status 20,000 times, through each layer
/// of the in-process write path, against a raw SQLite UPDATE of a row of the same size in
/// the same run. Shows what each layer costs: the store's transaction, the hop of the
/// asynchronous adapter to its writer thread, the embedded client.
enum WritePathBenchmark {
    static func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }

    static func run(dir: String) async throws {
        let objects = 1000, updates = 20_000
        let store = try SQLiteStore(path: dir + "/writes.db", pollInterval: .milliseconds(250))
        _ = try store.apply((0..<objects).map(APIBenchmark.node), dryRun: false)
        let async = SQLiteAsyncStore(store)
        let client = EmbeddedClient(store: store)
        print("write path benchmark: one writer, \(updates) FogNode status updates over \(objects) nodes, best of 3")
        func update(_ i: Int) -> Resource {
            var n = APIBenchmark.node(i % objects)
            n.status = ["lastHeartbeatTime": .string("2001-01-01T00:00:00Z"), "beat": .int(Int64(i))]
            return n
        }
        let size = JSONCoding.encodeBytes(try require(store.get(update(0).key)).json).count
        let raw = try (0..<3).map { _ in try FleetBenchmark.rawUpdates(path: dir + "/raw-writes.db", rows: objects, updates: updates, bodyBytes: size) }.max()!
        var rows: [(String, Double)] = []
        func best(_ body: () async throws -> Void) async rethrows -> Double {
            var rate = 0.0
            for _ in 0..<3 {
                let start = now()
                try await body()
                rate = max(rate, Double(updates) / (now() - start))
            }
            return rate
        }
        rows.append(("SQLiteStore, synchronous (blocks the caller's thread)", try await best {
            for i in 0..<updates { _ = try store.updateStatus(update(i)) }
        }))
        rows.append(("SQLiteAsyncStore (the store behind the server and controllers)", try await best {
            for i in 0..<updates { _ = try await async.updateStatus(update(i)) }
        }))
        rows.append(("EmbeddedClient (what controllers and fogctl call)", try await best {
            for i in 0..<updates { _ = try await client.updateStatus(update(i)) }
        }))
        print(String(format: "  raw SQLite UPDATE of a %d-byte row, one transaction each (baseline): %8.0f updates/s", size, raw))
        for (label, rate) in rows {
            print(String(format: "  %@ %8.0f updates/s  %.3f ms each  ratio to raw %.2f",
                         label.padding(toLength: 66, withPad: " ", startingAt: 0), rate, 1000 / rate, rate / raw))
        }
    }
}

private func require<T>(_ v: T?) throws -> T {
    guard let v else { throw CocoaError(.fileNoSuchFile) }
    return v
}
