import FogAPI
import FogCircuits
import FogClient
import FogFleet
import FogLearning
import FogModel
import FogRuntime
import FogStore
import Foundation

/// A real node's agent: registers its `FogNode` if missing, then heartbeats its
/// host telemetry (and the measured round trip to the server) into the node's
/// status. Survives server restarts (retry with backoff and jitter); stops when
/// its task is cancelled. What it does (registered, tasks run, failed attempts) goes into the
/// node's `status.log` (a bounded `StatusLog`), sent with the next heartbeat.
public final class NodeAgent: @unchecked Sendable {
    public struct Options: Sendable {
        public var node: String
        public var nodeClass = "edge"
        public var region = "local"
        public var zone: String?
        public var roles = ["compute"]
        /// Seconds between heartbeats.
        public var interval: Double = 5
        public var latencyAlpha = 0.3
        /// Where data sets live: with it, the agent runs the training tasks bound to its node.
        public var dataDirectory: String?
        /// Where this agent serves its peers (`http://host:port`), published in the node's
        /// status: an aggregator's regional model cache is reached there.
        public var peerAddress: String?
        /// How this node reaches relays to upload onion-routed updates (nil: such tasks fail).
        public var onionTransport: RelayTransport?
        public init(node: String) { self.node = node }
    }

    public enum State: Sendable, Equatable { case starting, registered, reporting, retrying(attempt: Int), stopped }

    let client: any FogClient
    let clock: any FogClock
    private var reader: HostTelemetryReader
    public let options: Options
    private let lock = NSLock()
    private var rttAverage: Double?
    private var rng: SplitMix64
    private var _state: State = .starting
    private var _heartbeats = 0
    private var registered = false
    private var log = StatusLog()
    /// Lines appended (`logVersion`) and the count the last successful heartbeat carried.
    private var logVersion = 0
    private var logSent = 0
    private var logSeeded = false

    /// The regional model cache this node keeps when it aggregates (and serves peers).
    public let modelCache: ModelCache?
    /// How this agent reaches another node's model cache (over HTTP for real agents).
    let peers: PeerModelFetch?
    /// How this agent reaches its region's aggregator (over HTTP for real agents).
    let uploads: PeerUpdateUpload?
    private var cacheReported: ModelCache.Counters?
    /// The regional aggregation this node does when it aggregates (and serves peers): its
    /// peer endpoint hands it the region's updates (`receive`).
    public private(set) var regionalAggregator: RegionalAggregator?

    public init(client: any FogClient, clock: any FogClock, reader: HostTelemetryReader, options: Options, seed: UInt64 = UInt64.random(in: 0...UInt64.max),
                peers: PeerModelFetch? = nil, uploads: PeerUpdateUpload? = nil) {
        self.client = client
        self.clock = clock
        self.reader = reader
        self.options = options
        self.peers = peers
        self.uploads = uploads
        modelCache = options.peerAddress != nil && options.roles.contains("aggregator") ? ModelCache(upstream: client) : nil
        rng = SplitMix64(seed: seed)
        // It runs the aggregate tasks bound to its node, which it sees only when it runs tasks (--data).
        if let modelCache, options.dataDirectory != nil {
            regionalAggregator = RegionalAggregator(client: client, clock: clock, node: options.node, models: modelCache, note: { [weak self] in self?.note($0) })
        }
    }

    /// This node's onion relay (role relay, `--relay-listen`); set before `run`.
    public var relay: OnionRelay? {
        get { lock.withLock { _relay } }
        set { lock.withLock { _relay = newValue } }
    }
    private var _relay: OnionRelay?

    public var state: State { lock.withLock { _state } }
    /// Notified when the agent's state, heartbeat count, task count or sleep changes.
    public let changes = AsyncSignal()
    private var catalog: DataCatalog?
    private var _tasksRun = 0
    public var tasksRun: Int { lock.withLock { _tasksRun } }

    /// Runs the training tasks bound to this node that nobody has started. A phone
    /// below 20 % on battery skips; above 40 °C it trains half its steps.
    public func runTasks() async throws {
        guard let executor = executor() else { return }
        for task in try await executor.pending(for: [options.node]) { try await runOnce(task, executor) }
    }

    private func executor() -> TaskExecutor? {
        guard let dir = options.dataDirectory else { return nil }
        return lock.withLock { () -> TaskExecutor in
            if catalog == nil { catalog = DataCatalog(directory: dir) }
            var executor = TaskExecutor(client: client, data: catalog!, peers: peers, uploads: uploads)
            if let onionTransport = options.onionTransport { executor.onion = OnionUpload.uploader(client: client, transport: onionTransport) }
            return executor
        }
    }

    /// Tasks this agent has begun, oldest first (bounded): a task seen both in a listing and
    /// in the watch runs once.
    private var begun: [String] = []
    private var begunSet: Set<String> = []
    private static let begunLimit = 4096

    private func runOnce(_ task: Resource, _ executor: TaskExecutor) async throws {
        // This node's own task naming its cache: the cache may serve that model to the region.
        if let cache = modelCache, task.spec?["modelCache"]?["node"]?.stringValue == options.node, let digest = task.spec?["model"]?.stringValue {
            cache.allow(digest)
        }
        let name = task.key.description
        let fresh = lock.withLock { () -> Bool in
            guard begunSet.insert(name).inserted else { return false }
            begun.append(name)
            if begun.count > Self.begunLimit { begunSet.remove(begun.removeFirst()) }
            return true
        }
        guard fresh else { return }
        // An aggregate task: collected and combined in the background (its region's updates,
        // this node's own among them, arrive while the agent goes on with its tasks).
        if task.spec?["type"]?.stringValue == "aggregate", let aggregator = regionalAggregator {
            note("aggregating for region \(task.spec?["region"]?.stringValue ?? "?"): task \(name)")
            aggregator.begin(task)
            return
        }
        let t = lock.withLock { reader.read(now: clock.now().timeIntervalSince1970) }
        let device = TaskExecutor.DeviceState(lowBattery: (t.battery?.percent ?? 100) < 20 && t.onExternalPower != true,
                                              hot: (t.maxCelsius ?? 0) > 40)
        let result = try await executor.run(task, device: device)
        note(TaskExecutor.summary(of: task, result: result))
        lock.withLock { _tasksRun += 1 }
        changes.notify()
    }

    /// Whether `task` is this node's and nobody has started it.
    private func isPending(_ task: Resource) -> Bool {
        task.status?["phase"] == nil && task.spec?["node"]?.stringValue == options.node
    }

    /// Watches the tasks bound to this node (an agent's token sees only those) and runs each
    /// as soon as it is created, instead of at the next heartbeat. A broken watch resumes from
    /// the last revision it saw; when that is compacted, from a new listing (nothing missed).
    public func watchTasks() async {
        guard let executor = executor() else { return }
        var failures = 0
        var revision: Int64?
        note("watching for tasks")
        while !Task.isCancelled {
            do {
                if revision == nil {
                    let list = try await client.list(kind: "TrainingTask", namespace: nil, selector: LabelSelector())
                    for task in list.items.sorted(by: { $0.name < $1.name }) where isPending(task) { try await runOnce(task, executor) }
                    revision = list.revision
                }
                lock.withLock { _watching = true }
                changes.notify()
                for try await event in client.watch(kind: "TrainingTask", namespace: nil, from: revision!) {
                    revision = event.revision
                    failures = 0
                    if case .deleted = event { continue }
                    if let task = event.object, isPending(task) { try await runOnce(task, executor) }
                }
            } catch is CancellationError {
                break
            } catch {
                if Task.isCancelled { break }
                if let e = error as? StoreError, e.code == .compacted { revision = nil }
                failures += 1
                let wait = lock.withLock { Backoff.delay(attempt: failures, jitter: rng.unit(), cap: 30) }
                note(String(format: "task watch failed (attempt %d): %@; resuming in %.1fs", failures, Self.describe(error), wait))
                let until = clock.now().addingTimeInterval(wait)
                lock.withLock { _watching = false; _watchRetryAt = until }
                changes.notify()
                do { try await clock.sleep(until: until) } catch { break }
                lock.withLock { _watchRetryAt = nil }
            }
        }
        lock.withLock { _watching = false }
        changes.notify()
    }

    private var _watching = false
    private var _watchRetryAt: Date?
    /// Whether the task watch is open (for tests and status lines).
    public var watching: Bool { lock.withLock { _watching } }
    /// When a broken task watch is tried again, while it waits.
    public var watchRetryAt: Date? { lock.withLock { _watchRetryAt } }

    /// Adds a line to the node's log; the next heartbeat carries it.
    public func note(_ message: String) {
        let now = clock.now()
        lock.withLock {
            log.append(message, at: now)
            logVersion += 1
        }
    }

    /// The node's log as this agent holds it.
    public var logLines: [String] { lock.withLock { log.lines } }
    private var _sleepingUntil: Date?
    /// When the agent's loop wakes next, while it waits (for tests and status lines).
    public var sleepingUntil: Date? { lock.withLock { _sleepingUntil } }

    private func pause(_ seconds: Double) async throws {
        let until = clock.now().addingTimeInterval(seconds)
        lock.withLock { _sleepingUntil = until }
        changes.notify()
        defer { lock.withLock { _sleepingUntil = nil }; changes.notify() }
        try await clock.sleep(until: until)
    }
    public var heartbeats: Int { lock.withLock { _heartbeats } }
    var key: ObjectKey { ObjectKey(kind: "FogNode", namespace: "", name: options.node) }

    /// The node this agent would create, sized from the host's telemetry.
    public func nodeObject(_ t: NodeTelemetry) -> Resource {
        var r = Resource(kind: "FogNode", metadata: ObjectMeta(name: options.node))
        var labels = ["fog/class": options.nodeClass, "fog/region": options.region, "fog/agent": "true"]
        if let z = options.zone { labels["fog/zone"] = z }
        r.metadata.labels = labels
        let cpu = Double(t.cpu?.count ?? 1)
        let memGiB = max(0.25, ((Double(t.memory?.totalBytes ?? 1 << 30) / 1_073_741_824) * 100).rounded() / 100)
        var spec: [String: JSONValue] = ["region": .string(options.region), "class": .string(options.nodeClass),
                                         "capacity": ["cpu": .double(cpu), "memoryGiB": .double(memGiB)],
                                         "roles": .array(options.roles.map { .string($0) }), "unschedulable": false]
        if let z = options.zone { spec["zone"] = .string(z) }
        r.content["spec"] = .object(spec)
        return r
    }

    /// Creates the node if it does not exist (an existing node is left as its owner wrote it).
    public func register() async throws {
        if let existing = try await client.get(key) {
            // Carry on the log an earlier run of the agent left.
            let earlier = StatusLog(existing.status?["log"])
            lock.withLock {
                if !logSeeded { log = StatusLog(lines: earlier.lines + log.lines) }
                logSeeded = true
            }
            note("agent started on fognode/\(options.node)")
        } else {
            let at = clock.now().timeIntervalSince1970
            let t = lock.withLock { reader.read(now: at) }
            do { _ = try await client.create(nodeObject(t)) } catch let e as StoreError where e.code == .alreadyExists {}
            note("registered fognode/\(options.node) (class \(options.nodeClass), region \(options.region))")
        }
        lock.withLock { registered = true; _state = .registered }
        changes.notify()
    }

    /// Measures the round trip, reads the host, and patches status once.
    public func heartbeat() async throws {
        let started = ContinuousClock.now
        _ = try await client.currentRevision()
        let elapsed = ContinuousClock.now - started
        let rtt = elapsed.milliseconds
        let now = clock.now()
        var t = lock.withLock { reader.read(now: now.timeIntervalSince1970) }
        t.rttMillis = (rtt * 1000).rounded() / 1000
        let average = lock.withLock {
            rttAverage = rttAverage.map { options.latencyAlpha * rtt + (1 - options.latencyAlpha) * $0 } ?? rtt
            return rttAverage!
        }
        t.rttAverageMillis = (average * 1000).rounded() / 1000
        var patch: [String: JSONValue] = ["lastHeartbeatTime": .string(Timestamp.format(now)), "telemetry": t.mergePatch]
        if let address = options.peerAddress { patch["peer"] = ["address": .string(address)] }
        // A relay node publishes its relay address, onion keys (rotated when due) and counters.
        if let relay {
            try relay.rotateKeys()
            patch["relay"] = await relay.status()
        }
        let counters = modelCache?.counters
        if let counters, counters != lock.withLock({ cacheReported }) { patch["modelCache"] = counters.json }
        // The log rides along when it has lines the node's status does not have yet.
        let (lines, version) = lock.withLock { () -> (JSONValue?, Int) in (logVersion > logSent ? log.json : nil, logVersion) }
        if let lines { patch["log"] = lines }
        do {
            _ = try await client.patchStatus(key, .object(patch))
            lock.withLock {
                logSent = max(logSent, version)
                if counters != nil { cacheReported = counters }
            }
        } catch let e as StoreError where e.code == .notFound {
            // Deleted under us: register again at the next attempt.
            lock.withLock { registered = false }
            throw e
        }
        lock.withLock { _heartbeats += 1; _state = .reporting }
        changes.notify()
    }

    /// Why an agent stopped on its own: the server refused it (401, 403) or refused what it
    /// sends (4xx), which retrying cannot fix.
    public struct Stopped: Error, CustomStringConvertible, Sendable {
        public let reason: String
        public var description: String { reason }
    }

    /// Whether retrying `error` can help: the server away, slow or restarting, or the node
    /// deleted under the agent (it registers again). Refusals (401, 403, other 4xx) cannot.
    static func retryable(_ error: Error) -> Bool {
        switch error {
        case is AuthError, is AdmissionError: return false
        default: return true
        }
    }

    static func describe(_ error: Error) -> String {
        if let e = error as? any FogAPIError { return "\(e.reason) (\(e.httpStatus)): \(e.message)" }
        return "\(error)"
    }

    /// Registers and heartbeats every `interval` until cancelled, or until `heartbeats` have
    /// been sent (0: no limit). What retrying can fix is retried with backoff and jitter,
    /// each failure reported through `log`; what it cannot ends the run with `Stopped`.
    public func run(heartbeats limit: Int = 0, log: @Sendable (String) -> Void = { _ in }) async throws {
        // Tasks arrive through their own watch; heartbeats carry telemetry only. (With a
        // heartbeat limit the agent is a short probe: it runs what is pending after each.)
        let watcher = options.dataDirectory != nil && limit == 0 ? Task { await self.watchTasks() } : nil
        defer { watcher?.cancel() }
        var failures = 0
        while !Task.isCancelled {
            if limit > 0 && heartbeats >= limit { return }
            do {
                if !lock.withLock({ registered }) { try await register() }
                try await heartbeat()
                if watcher == nil { try await runTasks() }
                if failures > 0 {
                    let line = "heartbeat succeeded after \(failures) failed attempt\(failures == 1 ? "" : "s")"
                    log(line)
                    note(line)
                }
                failures = 0
                if limit > 0 && heartbeats >= limit { return }
                try await pause(options.interval)
            } catch is CancellationError {
                return
            } catch {
                // Stopping (SIGTERM) can surface as the interrupted request's own error: not a failure.
                if Task.isCancelled { return }
                guard Self.retryable(error) else {
                    lock.withLock { _state = .stopped }
                    changes.notify()
                    throw Stopped(reason: "the server refused fognode/\(options.node)'s agent: \(Self.describe(error))")
                }
                failures += 1
                let attempt = failures
                let wait = lock.withLock { () -> Double in
                    _state = .retrying(attempt: attempt)
                    return Backoff.delay(attempt: attempt, jitter: rng.unit(), cap: max(options.interval, 30))
                }
                let line = String(format: "heartbeat failed (attempt %d): %@; retrying in %.1fs", attempt, Self.describe(error), wait)
                log(line)
                note(line)
                do { try await pause(wait) } catch { return }
            }
        }
    }
}
