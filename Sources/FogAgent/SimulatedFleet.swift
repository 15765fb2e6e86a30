import FogAPI
import FogCircuits
import FogClient
import FogFleet
import FogLearning
import FogManifest
import FogModel
import FogRuntime
import FogStore
import Foundation

/// Drives simulated `FogNode`s through a `FogClient`, exactly as real agents do:
/// it creates nodes (or adopts those labelled `fog/simulated=true`), advances the
/// deterministic `FleetModel`, and patches each online node's heartbeat and
/// telemetry into its status. Offline nodes stay silent, so the node lifecycle
/// controller sees them go NotReady. Time comes from an injected clock; `speed`
/// runs the model faster than that clock (heartbeats stay on the clock). Each node keeps a
/// `StatusLog` (back online, tasks run and how they ended) that its next heartbeat carries
/// into `status.log`, as a real agent's does.
public final class SimulatedFleet: @unchecked Sendable {
    public struct Options: Sendable {
        public var seed: UInt64 = 1
        /// Simulated seconds per clock second.
        public var speed: Double = 1
        /// Clock seconds between a node's heartbeats.
        public var heartbeatInterval: Double = 5
        /// Share of created nodes that misbehave in training (hidden truth, not labelled).
        public var byzantineShare: Double = 0
        /// Heartbeat requests in flight at once.
        public var concurrency = 32
        /// Nodes per heartbeat request. 1: each node sends its own, as a node's agent does. More:
        /// the fleet sends its due heartbeats in batches through one status-patch request each
        /// (`POST …/statuspatches`), as a gateway in front of many devices would; a batch the
        /// server refuses (one of its nodes deleted meanwhile) is sent again node by node, one
        /// that does not reach it waits for the next tick as a single heartbeat would.
        public var heartbeatBatch = 1
        /// Keep phones' daily routines exact (no per-phone jitter).
        public var exactRoutines = false
        /// Where data sets live, for training tasks bound to simulated nodes (nil: tasks are not run).
        public var dataDirectory: String?
        /// Whether the fleet's nodes bid on open auctions from their bid policies.
        public var bidding = true
        /// Where the fleet's relays are served over HTTP (`http://host:port`, their addresses
        /// then `<base>/relays/NODE`), for controllers and agents in other processes; nil: in
        /// process only (`sim://NODE`). (SimulatedFleet+Relays.swift)
        public var relayBaseURL: String?
        /// How the fleet's relays and uploaders reach relays that are not the fleet's own.
        public var externalRelays: RelayTransport?
        public init() {}
    }

    public static let simulatedLabel = "fog/simulated"

    let client: any FogClient
    let clock: any FogClock
    public let options: Options
    let start: Date
    private let lock = NSLock()
    private var model: FleetModel
    private var nextBeat: [Date] = []
    private var rng: SplitMix64
    public private(set) var heartbeatsSent = 0
    /// Each node's log, lines appended since (`logVersion`), and what its last heartbeat carried.
    private var logs: [String: StatusLog] = [:]
    private var logVersion: [String: Int] = [:]
    private var logSent: [String: Int] = [:]
    /// Whether each node was online at its last due heartbeat (absent: not yet seen).
    private var wasOnline: [String: Bool] = [:]
    private var offlineSince: [String: Date] = [:]

    /// Adds a line to `node`'s log (with the lock held); its next heartbeat carries it.
    private func noteLocked(_ node: String, _ message: String, at date: Date) {
        logs[node, default: StatusLog()].append(message, at: date)
        logVersion[node, default: 0] += 1
    }

    /// The log lines the fleet holds for `node`.
    public func logLines(of node: String) -> [String] { lock.withLock { logs[node]?.lines ?? [] } }

    public init(client: any FogClient, clock: any FogClock, options: Options = Options()) {
        self.client = client
        self.clock = clock
        self.options = options
        start = clock.now()
        model = FleetModel(seed: options.seed, start: start.timeIntervalSince1970)
        rng = SplitMix64(seed: options.seed ^ 0x5EED)
    }

    /// Simulated time for a clock time.
    func simulated(_ date: Date) -> Double {
        start.timeIntervalSince1970 + date.timeIntervalSince(start) * options.speed
    }

    public var nodeNames: [String] { lock.withLock { model.nodes.map(\.name) } }
    public var modelSnapshot: FleetModel { lock.withLock { model } }
    public func isByzantine(_ name: String) -> Bool {
        lock.withLock { model.index(of: name).map { model.nodes[$0].byzantine } ?? false }
    }

    private var ticked = false

    /// When the nodes registered now send their first heartbeat: the fleet's start until it
    /// has ticked (so the first heartbeats report the model at its start, not at whatever moment
    /// the first tick ran), the clock's present after.
    private func firstBeat() -> Date { lock.withLock { ticked ? clock.now() : start } }

    private func register(_ name: String, profile: FleetProfile, cpu: Double, memoryGiB: Double, byzantine: Bool, firstBeat: Date) {
        lock.withLock {
            guard model.index(of: name) == nil else { return }
            model.add(name: name, profile: profile, cpuCount: max(1, Int(cpu.rounded(.up))),
                      memoryBytes: Int64(memoryGiB * 1_073_741_824), byzantine: byzantine,
                      jitterRoutine: !options.exactRoutines)
            nextBeat.append(firstBeat)
        }
    }

    /// Takes over every node labelled `fog/simulated=true`; its behaviour comes from
    /// `spec.profile` (default: Mobile for phones, Stable otherwise), and
    /// `options.byzantineShare` of them, chosen from the seed, misbehave. Returns how many.
    /// Throws, naming the node and the field, for a node whose spec does not decode.
    @discardableResult
    public func adoptExisting() async throws -> Int {
        let list = try await client.list(kind: "FogNode", namespace: nil,
                                         selector: LabelSelector([.equals(Self.simulatedLabel, "true")]))
        let nodes = list.items.sorted(by: { $0.name < $1.name })
        let byzantine = pickByzantine(nodes.count)
        let first = firstBeat()
        for (i, node) in nodes.enumerated() {
            let spec: FogNodeSpec
            do { spec = try node.decodeSpec(FogNodeSpec.self) } catch { throw SimulatedFleetError(message: "fognode/\(node.name): \(error)") }
            // Without a profile, by class: the schema cannot default a field from another one.
            let profile = spec.profile.flatMap(FleetProfile.named) ?? (spec.class == .mobile ? .mobile : .stable)
            register(node.name, profile: profile, cpu: spec.capacity.cpu, memoryGiB: spec.capacity.memoryGiB, byzantine: byzantine.contains(i),
                     firstBeat: first)
            if spec.roles.contains(.relay) { try relays.add(node.name, fleet: self) }
        }
        return nodes.count
    }

    /// Which of `count` nodes misbehave: `byzantineShare` of them (rounded), drawn from the seed.
    private func pickByzantine(_ count: Int) -> Set<Int> {
        let byzantineCount = Int((Double(count) * options.byzantineShare).rounded())
        return Set(lock.withLock { (0..<count).map { _ in rng.next() } }.enumerated()
            .sorted { $0.element < $1.element }.prefix(byzantineCount).map(\.offset))
    }

    /// Creates `count` nodes, cycling through `profiles` and `regions`
    /// (names `sim-<profile>-<n>`), or adopts them if they exist already.
    public func createNodes(count: Int, profiles: [FleetProfile] = FleetProfile.all, regions: [String] = ["eu-west", "us-east", "ap-south"]) async throws {
        var objects: [Resource] = []
        var planned: [(String, FleetProfile, Double, Double, Bool)] = []
        let byzantine = pickByzantine(count)
        for i in 0..<count {
            let p = profiles[i % profiles.count]
            let region = regions[(i / profiles.count) % regions.count]
            let name = "sim-\(p.name.lowercased())-\(i + 1)"
            let cls = p.mobile ? "mobile" : (p.gpuModel == "RTX 4090" || p.gpuModel == "RTX 4080" ? "cloud" : (p.name == "Stable" ? "fog" : "edge"))
            let cpu: Double = p.mobile ? 4 : (cls == "cloud" ? 32 : 8)
            let mem: Double = p.mobile ? 4 : (cls == "cloud" ? 128 : 16)
            var capacity: JSONValue = ["cpu": .double(cpu), "memoryGiB": .double(mem), "tokensPerSecond": .double(p.tokensPerSecond)]
            if let gpu = p.gpuModel { capacity = capacity.merging("gpu", ["model": .string(gpu), "count": 1]) }
            var roles: [JSONValue] = ["compute"]
            if cls == "fog" { roles.append("aggregator") }
            let labels: [String: String] = [Self.simulatedLabel: "true", "fog/class": cls, "fog/region": region,
                                            "fog/zone": region + (i % 2 == 0 ? "-a" : "-b"), "fog/profile": p.name.lowercased()]
            var r = Resource(kind: "FogNode", metadata: ObjectMeta(name: name))
            r.metadata.labels = labels
            r.content["spec"] = ["region": .string(region), "zone": .string(region + (i % 2 == 0 ? "-a" : "-b")), "class": .string(cls),
                                 "capacity": capacity, "roles": .array(roles), "profile": .string(p.name),
                                 "price": ["askPerHour": .double(p.askPerHour), "currency": "USD"],
                                 "unschedulable": false]
            objects.append(r)
            planned.append((name, p, cpu, mem, byzantine.contains(i)))
        }
        // Creates what is missing in batches, one transaction each.
        for chunk in stride(from: 0, to: objects.count, by: 500) {
            _ = try await client.apply(Array(objects[chunk..<min(objects.count, chunk + 500)]), dryRun: false)
        }
        let first = firstBeat()
        for (name, p, cpu, mem, b) in planned { register(name, profile: p, cpu: cpu, memoryGiB: mem, byzantine: b, firstBeat: first) }
    }

    /// Advances the model and sends the heartbeats that are due. Returns how many were sent;
    /// a failed heartbeat is retried at the next tick.
    ///
    /// Heartbeats keep to each node's schedule (first beat, then every `heartbeatInterval`),
    /// and the model is advanced to the latest scheduled beat that is due, not to the moment
    /// the tick happens to run: what the k-th heartbeat reports depends on the seed and k,
    /// not on how late the process woke up.
    @discardableResult
    public func tick() async throws -> Int {
        let now = clock.now()
        let due: [(String, JSONValue, Int)] = lock.withLock {
            ticked = true
            let interval = options.heartbeatInterval
            // Each due node's latest beat at or before now, on its schedule.
            var beat: [Int: Date] = [:]
            for i in model.nodes.indices where nextBeat[i] <= now {
                let missed = interval > 0 ? (now.timeIntervalSince(nextBeat[i]) / interval).rounded(.down) : 0
                beat[i] = nextBeat[i].addingTimeInterval(missed * interval)
            }
            if let latest = beat.values.max() { model.advance(to: simulated(latest)) }
            var out: [(String, JSONValue, Int)] = []
            for i in model.nodes.indices {
                guard let b = beat[i] else { continue }
                nextBeat[i] = b.addingTimeInterval(interval)
                let name = model.nodes[i].name
                guard model.nodes[i].online else {
                    if wasOnline[name] != false { offlineSince[name] = now }
                    wasOnline[name] = false
                    continue
                }
                switch wasOnline[name] {
                case nil:
                    noteLocked(name, "simulated agent started (profile \(model.nodes[i].profile.name))", at: now)
                    peerAnnounced.remove(name)
                case false?:
                    let since = offlineSince[name].map { String(format: " after %.0fs offline", now.timeIntervalSince($0)) } ?? ""
                    noteLocked(name, "back online\(since)", at: now)
                default: break
                }
                wasOnline[name] = true
                _ = model.sampleLatency(i)
                guard let t = model.telemetry(i) else { continue }
                var patch: [String: JSONValue] = ["lastHeartbeatTime": .string(Timestamp.format(now)), "telemetry": t.mergePatch]
                // Each simulated agent serves a model cache in memory (used when its node aggregates a region).
                if peerAnnounced.insert(name).inserted { patch["peer"] = ["address": .string("sim://" + name)] }
                if let c = caches[name]?.counters, c != cacheReported[name] {
                    patch["modelCache"] = c.json
                    cacheReported[name] = c
                }
                let version = logVersion[name] ?? 0
                if version > (logSent[name] ?? 0), let log = logs[name] { patch["log"] = log.json }
                out.append((name, .object(patch), version))
            }
            return out
        }
        let batch = max(1, options.heartbeatBatch)
        let requests = stride(from: 0, to: due.count, by: batch).map { Array(due[$0..<min(due.count, $0 + batch)]) }
        var sent = 0
        var failure: Error?
        await withTaskGroup(of: (Int, Error?).self) { group in
            var iterator = requests.makeIterator()
            func launch() -> Bool {
                guard let beats = iterator.next() else { return false }
                group.addTask { [self] in await send(beats) }
                return true
            }
            for _ in 0..<max(1, options.concurrency) where launch() {}
            for await (delivered, error) in group {
                sent += delivered
                if let error { failure = error }
                _ = launch()
            }
        }
        lock.withLock { heartbeatsSent += sent }
        if sent == 0, let failure { throw failure }
        return sent
    }

    /// Sends `beats` (node, patch, log version): one request for one node, one status-patch
    /// batch for several. A batch the server refuses (all or nothing: one of its nodes deleted
    /// meanwhile) is sent again node by node; one that does not reach the server is not.
    /// Returns how many were delivered and the last error.
    private func send(_ beats: [(String, JSONValue, Int)]) async -> (Int, Error?) {
        var patches: [(index: Int, patch: StatusPatch)] = []
        var failure: Error?
        for (i, (name, patch, _)) in beats.enumerated() {
            var patch = patch
            // A relay node's heartbeat carries its relay (address, onion keys, counters).
            if let relay = relays.relay(name) {
                do { try relay.rotateKeys() } catch {
                    failure = error
                    continue
                }
                patch = patch.merging("relay", await relay.status())
            }
            patches.append((i, StatusPatch(key: ObjectKey(kind: "FogNode", namespace: "", name: name), patch: patch)))
        }
        func delivered(_ i: Int) { lock.withLock { logSent[beats[i].0] = max(logSent[beats[i].0] ?? 0, beats[i].2) } }
        if patches.count > 1 {
            do {
                try await client.sendStatusPatches(patches.map(\.patch))
                for p in patches { delivered(p.index) }
                return (patches.count, failure)
            } catch let e as TransportError {
                return (0, e)
            } catch {}
        }
        var count = 0
        for p in patches {
            do {
                _ = try await client.patchStatus(p.patch.key, p.patch.patch)
                delivered(p.index)
                count += 1
            } catch { failure = error }
        }
        return (count, failure)
    }

    private var catalog: DataCatalog?

    /// Trains the tasks bound to online simulated nodes (a phone on battery below 20 % skips;
    /// above 40 °C it trains half the steps; Byzantine nodes send poisoned updates).
    public func runTasks() async throws {
        guard let dir = options.dataDirectory else { return }
        try await taskGate.run { try await self.runPendingTasks(dir) }
    }

    private let taskGate = SerialGate()

    /// The regional model caches of this fleet's aggregator nodes (the same `ModelCache` a real
    /// agent serves over HTTP), reached in memory at `sim://NODE`.
    private var caches: [String: ModelCache] = [:]
    private var peerAnnounced: Set<String> = []
    private var cacheReported: [String: ModelCache.Counters] = [:]

    /// `name`'s cache, while the node is online (an offline aggregator serves nobody).
    func cache(of name: String) -> ModelCache? {
        lock.withLock {
            guard let i = model.index(of: name), model.nodes[i].online else { return nil }
            if let c = caches[name] { return c }
            let c = ModelCache(upstream: client)
            caches[name] = c
            return c
        }
    }

    /// The regional aggregation of this fleet's aggregator nodes (the same `RegionalAggregator` a
    /// real agent runs behind its peer endpoint), reached in memory at `sim://NODE`.
    private var aggregators: [String: RegionalAggregator] = [:]

    /// `name`'s regional aggregator, while the node is online.
    func aggregator(of name: String) -> RegionalAggregator? {
        guard let models = cache(of: name) else { return nil }
        return lock.withLock {
            if let a = aggregators[name] { return a }
            let a = RegionalAggregator(client: client, clock: clock, node: name, models: models, alive: { [weak self] in self?.isOnline(name) ?? false },
                                       note: { [weak self] line in self?.note(name, line) })
            aggregators[name] = a
            return a
        }
    }

    func isOnline(_ name: String) -> Bool {
        lock.withLock { model.index(of: name).map { model.nodes[$0].online } ?? false }
    }

    func note(_ name: String, _ line: String) {
        let now = clock.now()
        lock.withLock { noteLocked(name, line, at: now) }
    }

    /// How the fleet's participants reach its aggregators (an offline one cannot be reached).
    var uploads: PeerUpdateUpload {
        { [weak self] address, upload in
            guard address.hasPrefix("sim://"), let self, let aggregator = self.aggregator(of: String(address.dropFirst(6))) else {
                throw TransportError(.unavailable, "no simulated aggregator at \(address)")
            }
            try await aggregator.receive(upload)
        }
    }

    /// How the fleet's participants reach its aggregators' caches.
    var peers: PeerModelFetch {
        { [weak self] address, digest in
            guard address.hasPrefix("sim://"), let self, let cache = self.cache(of: String(address.dropFirst(6))) else {
                throw TransportError(.unavailable, "no simulated model cache at \(address)")
            }
            return try await cache.get(digest)
        }
    }

    private func runPendingTasks(_ dir: String) async throws {
        let peers = self.peers, uploads = self.uploads
        let executor = lock.withLock { () -> TaskExecutor in
            if catalog == nil { catalog = DataCatalog(directory: dir) }
            var executor = TaskExecutor(client: client, data: catalog!, peers: peers, uploads: uploads)
            // The fleet's nodes upload onion-routed updates through its own relays.
            executor.onion = OnionUpload.uploader(client: client, transport: relayTransport)
            return executor
        }
        let online = lock.withLock { Set(model.nodes.filter(\.online).map(\.name)) }
        var pending: [Resource] = []
        // Aggregate tasks first, so that the region's aggregator collects before its participants upload.
        for task in try await executor.pending(for: online) {
            guard task.spec?["type"]?.stringValue == "aggregate" else { pending.append(task); continue }
            if let node = task.spec?["node"]?.stringValue, let aggregator = aggregator(of: node) { aggregator.begin(task) } else { pending.append(task) }
        }
        // An aggregator's cache serves the models its own tasks name.
        for task in pending {
            if let node = task.spec?["node"]?.stringValue, task.spec?["modelCache"]?["node"]?.stringValue == node,
               let digest = task.spec?["model"]?.stringValue {
                cache(of: node)?.allow(digest)
            }
        }
        // The fleet's nodes carry out their tasks and report them together, in one write.
        let work = pending.map { task in
            let node = task.spec?["node"]?.stringValue ?? ""
            let device = lock.withLock { () -> TaskExecutor.DeviceState in
                guard let i = model.index(of: node) else { return .init() }
                let n = model.nodes[i]
                let plugged = model.telemetry(i)?.onExternalPower ?? true
                return .init(lowBattery: n.routine != nil && n.batteryPercent < 20 && !plugged, hot: n.routine != nil && n.celsius > 40,
                             byzantine: n.byzantine)
            }
            return (task: task, device: device)
        }
        let results = try await executor.run(work)
        // The aggregators that now hold all their region's updates combine them before the step ends.
        for aggregator in lock.withLock({ Array(aggregators.values) }) { await aggregator.awaitCombined() }
        let now = clock.now()
        lock.withLock {
            for (task, result) in results {
                noteLocked(task.spec?["node"]?.stringValue ?? "", TaskExecutor.summary(of: task, result: result), at: now)
            }
        }
    }

    /// The fleet's onion relays (SimulatedFleet+Relays.swift).
    let relays = SimulatedRelays()

    /// Whether `name` is online now (an offline relay answers nobody).
    /// Fault injection: keeps `name` offline (silent) or online from now on.
    /// Returns false for a node the fleet does not drive.
    @discardableResult
    public func force(_ name: String, online: Bool) -> Bool {
        lock.withLock {
            guard let i = model.index(of: name) else { return false }
            model.force(i, online: online)
            if online { nextBeat[i] = clock.now() }
            return true
        }
    }


    /// When the next heartbeat is due.
    public var nextDue: Date? { lock.withLock { nextBeat.min() } }

    /// Ticks until cancelled; errors (server away) are retried with backoff and jitter.
    /// `heartbeatsAfter`: the heartbeat loop starts once it returns (tasks are run at once), so
    /// that a caller can hold the fleet's next heartbeats until something has happened
    /// (`fogctl up` holds them until its jobs are allocated, so that allocation sees the first).
    public func run(heartbeatsAfter gate: (@Sendable () async -> Void)? = nil) async throws {
        guard options.dataDirectory != nil || options.bidding else {
            await gate?()
            return try await heartbeatLoop()
        }
        // Heartbeats on the clock; training tasks as soon as they are created; bids as soon as
        // an auction opens (SimulatedFleet+Bidding.swift).
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                await gate?()
                try await self.heartbeatLoop()
            }
            if options.dataDirectory != nil { group.addTask { try await self.taskLoop() } }
            if options.bidding { group.addTask { try await self.bidLoop() } }
            try await group.next()
            group.cancelAll()
        }
    }

    /// Runs the pending tasks whenever a TrainingTask changes (a watch, resumed after errors).
    func taskLoop() async throws {
        await ChangeFollower.follow("TrainingTask", client: client, clock: clock, jitter: { self.lock.withLock { self.rng.unit() } },
                                    wants: { $0.object?.status?["phase"] == nil }) { try await runTasks() }
    }

    func heartbeatLoop() async throws {
        var failures = 0
        while !Task.isCancelled {
            do {
                try await tick()
                failures = 0
                try await clock.sleep(until: nextDue ?? clock.now().addingTimeInterval(options.heartbeatInterval))
            } catch is CancellationError {
                return
            } catch {
                failures += 1
                let wait = Backoff.delay(attempt: failures, jitter: lock.withLock { rng.unit() })
                do { try await clock.sleep(until: clock.now().addingTimeInterval(wait)) } catch { return }
            }
        }
    }
}

/// Retry delays for agents: 0.5 s doubling to 30 s, with ±50 % jitter so a fleet
/// that lost its server does not return in lockstep.
public enum Backoff {
    public static func delay(attempt: Int, jitter unit: Double, base: Double = 0.5, cap: Double = 30) -> Double {
        let raw = min(cap, base * pow(2, Double(max(0, attempt - 1))))
        return raw * (0.5 + unit)
    }
}

extension JSONValue {
    func merging(_ key: String, _ value: JSONValue) -> JSONValue {
        var o = objectValue ?? [:]
        o[key] = value
        return .object(o)
    }
}

/// Runs one body at a time; callers queue in order.
actor SerialGate {
    private var busy = false
    private var waiters: [CheckedContinuation<Void, Never>] = []

    func run<T: Sendable>(_ body: @Sendable () async throws -> T) async throws -> T {
        while busy { await withCheckedContinuation { waiters.append($0) } }
        busy = true
        defer {
            busy = false
            if !waiters.isEmpty { waiters.removeFirst().resume() }
        }
        return try await body()
    }
}

/// A node the simulated fleet cannot take over.
public struct SimulatedFleetError: Error, CustomStringConvertible, Sendable {
    public let message: String
    public var description: String { message }
}
