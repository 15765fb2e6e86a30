import FogModel
import FogServer
import FogStore
import FogTesting
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Logging

/// `fog-bench ui`: what the control panel's pages cost with 10,000 nodes, 1,000 jobs and 5,000
/// events behind a real server on loopback: time and bytes of the overview and of one page of
/// the node table, against fetching the whole node list (what a page that sorts and pages in
/// the browser would have to load), in the same run.
enum ControlPanelBenchmark {
    static func run(dir: String, nodes: Int = 10_000, jobs: Int = 1_000, events: Int = 5_000) async throws {
        let store = try SQLiteStore(path: dir + "/ui.db", pollInterval: .milliseconds(250))
        let regions = ["eu-west", "us-east", "ap-south"], classes = ["edge", "fog", "cloud", "mobile"]
        var objects: [Resource] = []
        for i in 0..<nodes {
            objects.append(Resource(kind: "FogNode", metadata: ObjectMeta(name: String(format: "node-%05d", i)), content: [
                "spec": ["region": .string(regions[i % 3]), "class": .string(classes[i % 4]), "capacity": ["cpu": 8, "memoryGiB": 16], "roles": ["compute"]],
                "status": ["lastHeartbeatTime": "2030-01-01T00:00:00Z", "trust": .double(Double(i % 100) / 100),
                           "telemetry": ["cpu": ["count": 8, "utilization": .double(Double(i % 37) / 37)], "rttAverageMillis": .double(Double(i % 90) + 5),
                                         "memory": ["totalBytes": 17_179_869_184, "availableBytes": .int(Int64(8_000_000_000 + i))]],
                           "scores": ["standard": .double(Double(i % 53) / 53), "latency": 0.5, "uptime": 0.9, "performance": 0.4, "reliability": 0.7],
                           "conditions": [["type": "Ready", "status": i % 10 == 0 ? "False" : "True", "reason": "Heartbeat", "lastTransitionTime": "2030-01-01T00:00:00Z"]]],
            ]))
        }
        for i in 0..<jobs {
            objects.append(Resource(kind: "FederatedJob", metadata: ObjectMeta(name: "job-\(i)", namespace: "team-\(i % 10)"), content: [
                "spec": ["type": "training", "tier": "small", "privacy": "low", "data": ["dataset": "digits"]],
                "status": ["phase": i % 3 == 0 ? "Succeeded" : "Running", "training": ["round": .int(Int64(i % 10)), "accuracy": 0.9]],
            ]))
        }
        for i in 0..<events {
            objects.append(Resource(kind: "Event", metadata: ObjectMeta(name: "ev-\(i)", namespace: "team-\(i % 10)"), content: [
                "involvedObject": ["kind": "FederatedJob", "namespace": .string("team-\(i % 10)"), "name": .string("job-\(i % jobs)")],
                "reason": "RoundCompleted", "message": .string("round \(i % 10) done"), "type": "Normal", "count": 1,
                "lastTimestamp": .string(String(format: "2030-01-01T00:%02d:%02dZ", (i / 60) % 60, i % 60)),
            ]))
        }
        for chunk in stride(from: 0, to: objects.count, by: 2000) {
            _ = try store.apply(Array(objects[chunk..<min(objects.count, chunk + 2000)]), dryRun: false)
        }
        var logger = Logger(label: "bench")
        logger.logLevel = .error
        let (port, group, task) = try await BenchServer.start(store: store, logger: logger)
        let base = "http://127.0.0.1:\(port)"
        print("control panel benchmark: server on 127.0.0.1:\(port), \(nodes) nodes, \(jobs) jobs, \(events) events; median of 15 requests each, after one warm-up")

        func measure(_ path: String) async throws -> (ms: Double, bytes: Int) {
            var times: [Double] = []
            var bytes = 0
            for i in 0..<16 {
                let start = DispatchTime.now().uptimeNanoseconds
                let (data, response) = try await URLSession.shared.data(from: URL(string: base + path)!)
                let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6
                guard (response as? HTTPURLResponse)?.statusCode == 200 else { throw BenchFailure("GET \(path): \((response as? HTTPURLResponse)?.statusCode ?? 0)") }
                if i > 0 { times.append(elapsed) }
                bytes = data.count
            }
            return (times.sorted()[times.count / 2], bytes)
        }
        let full = try await measure("/apis/fog/v1alpha1/fognodes")
        let page = try await measure("/ui/api/nodes?limit=50&sort=trust&order=desc&region=eu-west")
        let overview = try await measure("/ui/api/overview")
        let jobList = try await measure("/apis/fog/v1alpha1/federatedjobs")
        func row(_ label: String, _ m: (ms: Double, bytes: Int)) -> String {
            String(format: "  %-46@ %8.1f ms %11d bytes  (%.2f× the time, %.4f× the bytes of the full node list)",
                   label as NSString, m.ms, m.bytes, m.ms / full.ms, Double(m.bytes) / Double(full.bytes))
        }
        print(row("baseline: GET fognodes (the whole list)", full))
        print(row("nodes page (50, sorted by trust, one region)", page))
        print(row("overview (nodes, jobs, auctions, pools, events)", overview))
        print(row("GET federatedjobs (the whole list)", jobList))
        print("  requests per page load: overview 2 (discovery + summary), nodes 2, a job 4 (discovery, job, its events, its history)")

        // In a real browser (headless Chromium): the nodes page's first paint and the requests it
        // made, with 10,000 nodes and with 30 (the quick start's size) on a second server.
        let small = try SQLiteStore(path: dir + "/ui-small.db", pollInterval: .milliseconds(250))
        _ = try small.apply(Array(objects.prefix(30)), dryRun: false)
        let (smallPort, smallGroup, smallTask) = try await BenchServer.start(store: small, logger: logger)
        do {
            let driver = try await WebDriver.start()
            let browser = try await driver.session()
            for (label, url) in [("10,000 nodes", base), ("30 nodes", "http://127.0.0.1:\(smallPort)")] {
                var paints: [Double] = []
                var requests = 0
                for _ in 0..<6 {
                    try await browser.open("about:blank")
                    try await browser.open(url + "/ui/#/nodes")
                    _ = try await browser.element("main[data-page=nodes] #node-table")
                    paints.append(Double(try await browser.evaluate("return document.querySelector('main').dataset.rendered;").stringValue ?? "") ?? .nan)
                    // The document itself, then every resource it fetched (script, style, API calls).
                    requests = 1 + Int(try await browser.evaluate("return performance.getEntriesByType('resource').length;").numberValue ?? -1)
                }
                let sorted = paints.dropFirst().sorted()
                print(String(format: "  browser, nodes page with %@: first paint of the table %.0f ms after navigation (median of 5, after one warm-up), %d requests",
                             label, sorted[sorted.count / 2], requests))
            }
            await driver.stop()
        } catch {
            print("  browser figures skipped: \(error)")
        }
        await smallGroup.triggerGracefulShutdown()
        _ = await smallTask.result
        await group.triggerGracefulShutdown()
        _ = await task.result
    }
}
