import Crypto
import FogAgent
import FogCircuits
import FogClient
import FogControllers
import FogManifest
import FogModel
import FogRemote
import FogRuntime
import FogServer
import FogStore
import Foundation
import Logging
import ServiceLifecycle

/// `fog-bench circuits`: (1) the cell construction: 3-hop wrap (origin) + unwrap (each hop
/// peels its layer) of 1 MiB, against raw ChaCha20-Poly1305 seal + open of the same bytes in
/// the same run (goal within 2×); (2) circuit build (path selection + create through every hop
/// and the confirmation back) with 50 relays in the simulated fleet, p50/p95; (3) on loopback,
/// a 4 MiB upload through 3 relays (each its own HTTP endpoint, as `fogctl agent --relay-listen`)
/// to a real API server's blob store, against a direct upload of the same bytes to it.
enum CircuitsBenchmark {
    static func median(_ xs: [Double]) -> Double { let s = xs.sorted(); return s[s.count / 2] }
    static func percentile(_ xs: [Double], _ p: Double) -> Double {
        let s = xs.sorted()
        return s[min(s.count - 1, Int((Double(s.count) * p).rounded(.up)) - 1)]
    }

    static func run(dir: String) async throws {
        try crypto()
        try await builds(dir: dir)
        try await rebuild(dir: dir)
        try await loopback(dir: dir)
    }

    static func crypto() throws {
        let message = Data((0..<(1 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 2_654_435_761 >> 13) })
        let keys = (0..<3).map { _ in RelayKeyPair() }
        let path = keys.enumerated().map { HopDescriptor(name: "r\($0.offset)", address: "sim://r\($0.offset)", onionKey: $0.element.publicKey) }
        var onion: [Double] = [], raw: [Double] = []
        let key = SymmetricKey(size: .bits256)
        for _ in 0..<15 {
            // Fresh circuit each time (its counters start at 0); its build is not timed here.
            var origin = try OriginCircuit(path: path, exit: OriginCircuit.blobStoreExit)
            var hops: [RelayCircuit] = []
            var cell = origin.createCell
            for k in keys {
                let (state, next) = try RelayCircuit.accept(createCell: cell, keys: [k])
                hops.append(state)
                if let next { cell = next }
            }
            let t0 = ContinuousClock.now
            var delivered: Data?
            for c in origin.wrap(message) {
                var c = c
                for i in 0..<hops.count {
                    switch try hops[i].peel(c) {
                    case .forward(let next): c = next
                    case .delivered(let m): if let m { delivered = m }
                    }
                }
            }
            onion.append((ContinuousClock.now - t0).milliseconds)
            precondition(delivered == message)
            let t1 = ContinuousClock.now
            let box = try ChaChaPoly.seal(message, using: key)
            let opened = try ChaChaPoly.open(box, using: key)
            raw.append((ContinuousClock.now - t1).milliseconds)
            precondition(opened == message)
        }
        let o = median(onion), r = median(raw)
        print("circuits: 1 MiB, 3-hop wrap + unwrap (\(OnionCell.cellCount(messageBytes: message.count, hops: 3)) cells of \(OnionCell.size) bytes) vs raw ChaCha20-Poly1305 seal + open, median of 15")
        print(String(format: "  3-hop onion %8.2f ms   raw %8.2f ms   ratio %.2f× (goal ≤ 2×; 3 layers are at least 3× one)   per layer %.2f×", o, r, o / r, o / r / 3))
    }

    static func builds(dir: String) async throws {
        let store = try SQLiteStore(path: dir + "/circuits-sim.db")
        let client = EmbeddedClient(store: store)
        let regions = ["eu-west", "us-east", "ap-south", "eu-central", "us-west"]
        var nodes: [Resource] = []
        for i in 0..<50 {
            var r = Resource(kind: "FogNode", metadata: ObjectMeta(name: "relay-\(i)"))
            r.metadata.labels = [SimulatedFleet.simulatedLabel: "true"]
            r.content["spec"] = ["region": .string(regions[i % regions.count]), "class": "edge", "capacity": ["cpu": 4, "memoryGiB": 8],
                                 "roles": ["compute", "relay"], "owner": .string("owner-\(i % 25)"), "profile": "Stable", "unschedulable": false]
            nodes.append(r)
        }
        _ = try await client.apply(nodes, dryRun: false)
        var options = SimulatedFleet.Options()
        options.bidding = false
        let fleet = SimulatedFleet(client: client, clock: SystemClock(), options: options)
        try await fleet.adoptExisting()
        for n in fleet.nodeNames { fleet.force(n, online: true) }
        try await fleet.tick()
        let candidates = try await client.list(kind: "FogNode", namespace: nil, selector: LabelSelector()).items.map { n in
            RelayCandidate(name: n.name, region: n.spec?["region"]?.stringValue ?? "", owner: n.spec?["owner"]?.stringValue,
                           trust: 0.5, score: 50, uptime: 1)
        }
        let hops = Dictionary(uniqueKeysWithValues: try await client.list(kind: "FogNode", namespace: nil, selector: LabelSelector()).items.map { n in
            (n.name, HopDescriptor(name: n.name, address: n.status!["relay"]!["address"]!.stringValue!,
                                   onionKey: try! RelayKeyPair.publicKey(base64: n.status!["relay"]!["onionKeys"]!.arrayValue![0]["publicKey"]!.stringValue!)))
        })
        var rng = SplitMix64(seed: 50)
        var times: [Double] = [], selection: [Double] = []
        let constraints = PathConstraints(hops: 3, distinctRegions: true, minTrust: 0.4)
        for _ in 0..<400 {
            let t0 = ContinuousClock.now
            let path = try PathSelection.select(from: candidates, constraints, using: &rng).get()
            let t1 = ContinuousClock.now
            let session = try OriginSession(path: path.map { hops[$0.name]! }, exit: OriginCircuit.blobStoreExit, transport: fleet.relayTransport)
            try await session.build()
            times.append((ContinuousClock.now - t0).milliseconds)
            selection.append((t1 - t0).milliseconds)
            await session.destroy()
        }
        print("circuits: build with 50 simulated relays (5 regions, 25 owners), 3 hops, 400 builds (path selection + create through 3 hops + confirmation)")
        print(String(format: "  build p50 %.3f ms  p95 %.3f ms   (path selection alone p50 %.3f ms)", percentile(times, 0.5), percentile(times, 0.95), percentile(selection, 0.5)))
    }

    /// 50 simulated relays and every controller in process (system clock, 0.5 s heartbeats,
    /// 2 s heartbeat timeout): a relay of a pool's circuit goes silent; from the moment its node
    /// is seen NotReady in the store to the moment the pool is seen Ready with no circuit
    /// through it, five times, one clock (the benchmark's monotonic clock).
    static func rebuild(dir: String) async throws {
        let market = try BenchMarket(path: dir + "/circuits-rebuild.db")
        let (store, client, logger) = (market.store, market.client, market.logger)
        let regions = ["eu-west", "us-east", "ap-south", "eu-central", "us-west"]
        var nodes: [Resource] = []
        for i in 0..<50 {
            var r = Resource(kind: "FogNode", metadata: ObjectMeta(name: "relay-\(i)"))
            r.metadata.labels = [SimulatedFleet.simulatedLabel: "true"]
            r.content["spec"] = ["region": .string(regions[i % regions.count]), "class": "edge", "capacity": ["cpu": 4, "memoryGiB": 8],
                                 "roles": ["compute", "relay"], "owner": .string("owner-\(i % 25)"), "profile": "Stable", "unschedulable": false]
            nodes.append(r)
        }
        _ = try store.apply(nodes, dryRun: false)
        var options = SimulatedFleet.Options()
        options.bidding = false
        options.heartbeatInterval = 0.5
        let fleet = SimulatedFleet(client: client, clock: SystemClock(), options: options)
        try await fleet.adoptExisting()
        for n in fleet.nodeNames { fleet.force(n, online: true) }
        try await fleet.tick()
        var settings = ControllerSettings()
        settings.heartbeatTimeout = 2
        settings.relayTransport = fleet.relayTransport
        let manager = Manager(client: client, controllers: ControllerFamilies.controllers(settings), registry: SchemaSet.builtIn.registry, logger: logger)
        let managerTask = Task { try await manager.run() }
        let fleetTask = Task { try await fleet.run() }
        defer { managerTask.cancel(); fleetTask.cancel() }
        _ = try store.apply(try BenchMarket.objects("""
            apiVersion: fog/v1alpha1
            kind: CircuitPool
            metadata: {name: bench, namespace: default}
            spec: {hops: 3, circuits: 8, lifetime: 1h, constraints: {distinctRegions: true, minTrust: 0.4}}
            """), dryRun: false)
        let key = ObjectKey(kind: "CircuitPool", namespace: "default", name: "bench")
        func poolReady(without victim: String?) throws -> Bool {
            guard let pool = try store.get(key), pool.condition("Ready")?.status == .true else { return false }
            guard let victim else { return true }
            return (pool.status?["circuits"]?.arrayValue ?? []).allSatisfy { !($0["relays"]?.arrayValue ?? []).contains(.string(victim)) }
        }
        let started = ContinuousClock.now
        while try !poolReady(without: nil) {
            if ContinuousClock.now - started > .seconds(60) { print("  rebuild: the pool was not Ready within 60 s"); return }
            try await Task.sleep(for: .milliseconds(5))
        }
        var times: [Double] = []
        for _ in 0..<5 {
            guard let victim = try store.get(key)?.status?["circuits"]?.arrayValue?.first?["relays"]?.arrayValue?[1].stringValue else { break }
            fleet.force(victim, online: false)
            let nodeKey = ObjectKey(kind: "FogNode", namespace: "", name: victim)
            let t = ContinuousClock.now
            while try store.get(nodeKey)?.condition("Ready")?.status != .false {
                if ContinuousClock.now - t > .seconds(30) { print("  rebuild: \(victim) did not go NotReady within 30 s"); return }
                try await Task.sleep(for: .milliseconds(1))
            }
            let notReady = ContinuousClock.now
            while try !poolReady(without: victim) {
                if ContinuousClock.now - notReady > .seconds(30) { print("  rebuild: no rebuild within 30 s"); return }
                try await Task.sleep(for: .milliseconds(1))
            }
            times.append((ContinuousClock.now - notReady).milliseconds)
        }
        let rebuilds = try store.get(key)?.status?["rebuilds"]?.intValue ?? 0
        print("circuits: rebuild after a relay goes NotReady, 50 simulated relays, pool of 8 3-hop circuits, every controller in process (5 kills)")
        print(String(format: "  NotReady seen → pool Ready without it: median %.1f ms, max %.1f ms (goal ≤ 1000 ms; %lld circuits rebuilt)",
                     median(times), times.max() ?? 0, rebuilds))
    }

    static func loopback(dir: String) async throws {
        var logger = Logger(label: "bench")
        logger.logLevel = .error
        let store = try SQLiteStore(path: dir + "/circuits-api.db")
        let (port, group, task) = try await BenchServer.start(store: store, logger: logger)
        let base = "http://127.0.0.1:\(port)"
        let remote = HTTPFogClient(baseURL: base, token: nil, registry: SchemaSet.builtIn.registry)
        let relayClient = RelayClient()
        var endpoints: [(ServiceGroup, Task<Void, Error>)] = []
        var path: [HopDescriptor] = []
        for i in 0..<3 {
            let holder = NodeBox()
            let ready = AsyncStream<Int>.makeStream()
            let app = RelayEndpoint(host: "127.0.0.1", port: 0, logger: logger) { link, kind, cells in
                try await holder.node!.receive(link: link, kind: kind, cells: cells)
            }.application(onRunning: { ready.continuation.yield($0) })
            let g = ServiceGroup(services: [app], logger: logger)
            let t = Task { try await g.run() }
            var p = 0
            for await bound in ready.stream { p = bound; break }
            let relay = try OnionRelay(name: "relay-\(i)", address: "http://127.0.0.1:\(p)", client: remote, clock: SystemClock(),
                                       forward: relayClient.transport)
            holder.node = relay.node
            endpoints.append((g, t))
            path.append(HopDescriptor(name: relay.name, address: relay.address, onionKey: try RelayKeyPair.publicKey(base64: relay.publicKeys[0])))
        }
        let size = 4 << 20
        var relayed: [Double] = [], direct: [Double] = []
        for round in 0..<6 {
            // Different bytes each time (a blob already stored is not written again).
            let blob = Data((0..<size).map { UInt8(truncatingIfNeeded: ($0 &* 31) ^ (round &* 131)) })
            let t0 = ContinuousClock.now
            let result = try await CircuitUploader(transport: relayClient.transport).upload(blob, paths: [path])
            relayed.append((ContinuousClock.now - t0).milliseconds)
            let other = Data((0..<size).map { UInt8(truncatingIfNeeded: ($0 &* 17) ^ (round &* 7 + 1)) })
            let t1 = ContinuousClock.now
            let digest = try await remote.putBlob(Array(other))
            direct.append((ContinuousClock.now - t1).milliseconds)
            precondition(result.digest.hasPrefix("sha256:") && digest.hasPrefix("sha256:"))
        }
        let r = median(relayed), d = median(direct)
        let mib = Double(size) / 1_048_576
        print("circuits: 4 MiB upload on loopback to a real API server's blob store, median of 6")
        print(String(format: "  through 3 HTTP relays %8.1f ms (%6.1f MiB/s)   direct %8.1f ms (%6.1f MiB/s)   relayed/direct time %.2f×",
                     r, mib / (r / 1000), d, mib / (d / 1000), r / d))
        for (g, t) in endpoints { await g.triggerGracefulShutdown(); _ = await t.result }
        await group.triggerGracefulShutdown()
        _ = await task.result
    }

    final class NodeBox: @unchecked Sendable {
        private let lock = NSLock()
        private var _node: RelayNode?
        var node: RelayNode? {
            get { lock.withLock { _node } }
            set { lock.withLock { _node = newValue } }
        }
    }
}
