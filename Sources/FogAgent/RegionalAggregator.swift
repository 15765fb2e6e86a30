import FogAPI
import FogClient
import FogLearning
import FogModel
import FogRuntime
import FogStore
import Foundation

/// An aggregator node's part in hierarchical aggregation (seed 003: a fog node as its region's
/// partial aggregator): for each aggregate task bound to its node it collects the region's
/// training updates (uploaded to its peer endpoint, or in memory for the simulated fleet),
/// runs the job's screening, strategy and clipping on them — `RoundPipeline.regional`, the
/// same code the controller runs on updates that reach the server — uploads the one regional
/// aggregate to the server, and reports in the task's status what it combined: contributors,
/// excluded updates, missing participants, samples, and the bytes it moved by link.
///
/// It combines as soon as every participant has uploaded, or after the task's
/// `collectSeconds` on its own clock with whatever has arrived. Uploads are authorised by the
/// round's token, of which the task holds only the SHA-256.
public final class RegionalAggregator: @unchecked Sendable {
    /// One participant's update, as it arrived.
    public typealias Upload = RegionalUpdateUpload

    let client: any FogClient
    let clock: any FogClock
    /// The node it aggregates on: only aggregate tasks bound to it are carried out.
    public let node: String
    /// The node's model cache: the aggregator fetches the round's global model through it (so
    /// the region's participants then find it there).
    let models: ModelCache?
    /// Whether the node is up (a simulated node taken offline neither accepts nor reports).
    let alive: @Sendable () -> Bool
    /// Lines for the node's own log.
    let note: @Sendable (String) -> Void
    private let lock = NSLock()
    private var rounds: [String: Collecting] = [:]
    private var running: [String: Task<Void, Never>] = [:]
    /// Aggregate tasks already begun, oldest first (bounded): a task listed again is not begun twice.
    private var begun: [String] = []
    private static let begunLimit = 1024
    private var watchers: [ObjectIdentifier: AsyncSignal] = [:]
    /// How long an upload for a task the aggregator has not seen yet waits for it: a round's
    /// tasks reach the participants and the aggregator at about the same moment.
    public var registrationWait: Duration = .seconds(5)
    /// Notified when an aggregate has been reported (for tests).
    public let reported = AsyncSignal()

    /// One aggregate task being collected; its mutable state is read and written under the aggregator's lock.
    final class Collecting: @unchecked Sendable {
        let task: Resource
        let spec: TrainingTaskSpec
        let expected: [String: String]
        var received: [String: Upload] = [:]
        var bytesReceived = 0
        /// Combining has begun: later uploads are refused (409).
        var closed = false
        /// Combined and reported.
        var finished = false
        let complete = AsyncSignal()
        init(task: Resource, spec: TrainingTaskSpec) {
            self.task = task
            self.spec = spec
            expected = Dictionary((spec.participants ?? []).map { ($0.node, $0.task) }, uniquingKeysWith: { a, _ in a })
        }
    }

    public init(client: any FogClient, clock: any FogClock, node: String, models: ModelCache?, alive: @escaping @Sendable () -> Bool = { true },
                note: @escaping @Sendable (String) -> Void = { _ in }) {
        self.client = client
        self.clock = clock
        self.node = node
        self.models = models
        self.alive = alive
        self.note = note
    }

    static func key(_ namespace: String, _ name: String) -> String { namespace + "/" + name }

    /// Starts collecting for `task` (an aggregate task bound to this node) and returns at once;
    /// the aggregate is computed and reported in the background. A task begun before is ignored.
    public func begin(_ task: Resource) {
        guard task.spec?["node"]?.stringValue == node else { return }
        let key = Self.key(task.namespace, task.name)
        let spec: TrainingTaskSpec
        do { spec = try task.decodeSpec(TrainingTaskSpec.self) } catch {
            let client = self.client
            Task { _ = try? await client.patchStatus(task.key, ["phase": "Failed", "reason": .string("the task's spec does not decode: \(error)")]) }
            return
        }
        let (collecting, waiting) = lock.withLock { () -> (Collecting?, [AsyncSignal]) in
            guard !begun.contains(key) else { return (nil, []) }
            begun.append(key)
            // A finished round is kept (to refuse late uploads with 409) until it is this old.
            if begun.count > Self.begunLimit { rounds[begun.removeFirst()] = nil }
            let c = Collecting(task: task, spec: spec)
            rounds[key] = c
            return (c, Array(watchers.values))
        }
        guard let collecting else { return }
        if let digest = spec.model { models?.allow(digest) }
        for w in waiting { w.notify() }
        let job = Task { await self.collect(collecting, key: key) }
        lock.withLock { if !collecting.finished { running[key] = job } }
    }

    /// Returns once every collection that has all its updates has combined and reported them
    /// (the simulated fleet's nodes report within the step that ran their tasks).
    public func awaitCombined() async {
        let jobs = lock.withLock { running.filter { rounds[$0.key].map { $0.closed || $0.received.count == $0.expected.count } ?? false }.map(\.value) }
        for job in jobs { await job.value }
    }

    /// Accepts one participant's update, or throws why not (with the HTTP status it stands for).
    public func receive(_ upload: Upload) async throws {
        guard alive() else { throw TransportError(.unavailable, "this node is not aggregating") }
        let key = Self.key(upload.namespace, upload.aggregateTask)
        if lock.withLock({ rounds[key] == nil }),
           let task = try? await client.get(ObjectKey(kind: "TrainingTask", namespace: upload.namespace, name: upload.aggregateTask)),
           task.spec?["type"]?.stringValue == "aggregate", task.spec?["node"]?.stringValue == node, task.status?["phase"] == nil {
            // An update that came before this node's watch brought the task: the task is read at once.
            begin(task)
        }
        guard let collecting = await awaitRound(key) else {
            throw StoreError(.notFound, "no aggregate task \(key) on this node")
        }
        guard let hash = collecting.spec.uploadTokenSHA256, BlobStore.tokenHash(upload.token) == hash else {
            throw AuthError(.unauthorized, "the upload token for \(key) is not the round's")
        }
        guard collecting.expected[upload.node] == upload.participantTask else {
            throw AuthError(.forbidden, "\(upload.node) (task \(upload.participantTask)) is not a participant of \(key)")
        }
        let complete = try lock.withLock { () -> Bool in
            guard !collecting.closed else { throw StoreError(.conflict, "\(key) has already combined its updates") }
            if collecting.received[upload.node] == nil { collecting.bytesReceived += upload.bytes.count }
            collecting.received[upload.node] = upload
            return collecting.received.count == collecting.expected.count
        }
        if complete { collecting.complete.notify() }
    }

    private func awaitRound(_ key: String) async -> Collecting? {
        if let c = lock.withLock({ rounds[key] }) { return c }
        let signal = AsyncSignal()
        let id = ObjectIdentifier(signal)
        lock.withLock { watchers[id] = signal }
        defer { lock.withLock { watchers[id] = nil } }
        let wall = ContinuousClock()
        let deadline = wall.now + registrationWait
        while true {
            if let c = lock.withLock({ rounds[key] }) { return c }
            let left = deadline - wall.now
            if left <= .zero || Task.isCancelled { return nil }
            await Self.first(signal, orAfter: left)
        }
    }

    static func first(_ signal: AsyncSignal, orAfter wait: Duration) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await signal.wait() }
            group.addTask { try? await Task.sleep(for: wait) }
            await group.next()
            group.cancelAll()
        }
    }

    private func collect(_ c: Collecting, key: String) async {
        let until = clock.now().addingTimeInterval(c.spec.collectSeconds ?? 30)
        let clock = self.clock, complete = c.complete
        // Every update in, or the collection time over (on this node's clock), whichever comes first.
        if lock.withLock({ c.received.count < c.expected.count }) {
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await complete.wait() }
                group.addTask { try? await clock.sleep(until: until) }
                await group.next()
                group.cancelAll()
            }
        }
        let (uploads, received) = lock.withLock { () -> ([Upload], Int) in
            c.closed = true
            return (c.received.values.sorted { $0.node < $1.node }, c.bytesReceived)
        }
        let status: JSONValue
        do {
            status = try await combine(c, uploads: uploads, bytesReceived: received)
        } catch {
            status = ["phase": "Failed", "reason": .string("\(error)")]
        }
        guard alive() else { return }
        do {
            _ = try await client.patchStatus(c.task.key, status)
            note("aggregate task \(key): \(status["phase"]?.stringValue ?? "?"), \(status["contributors"]?.arrayValue?.count ?? 0) updates combined")
        } catch {
            note("aggregate task \(key): reporting failed: \(error)")
        }
        lock.withLock {
            c.finished = true
            c.received = [:]
            running[key] = nil
        }
        reported.notify()
    }

    /// Screens, aggregates and clips the region's updates, uploads the aggregate, and returns the status that reports it.
    func combine(_ c: Collecting, uploads: [Upload], bytesReceived: Int) async throws -> JSONValue {
        let startDate = Date()
        var log = StatusLog()
        log.append("collecting for region \(c.spec.region ?? "?"): \(uploads.count) of \(c.expected.count) updates arrived", at: startDate)
        guard let digest = c.spec.model else { throw TaskError(message: "the aggregate task names no global model") }
        var serverBytes = 0
        let globalBytes: [UInt8]
        if let models {
            let (bytes, hit) = try await models.get(digest)
            globalBytes = bytes
            if !hit { serverBytes += bytes.count }
        } else {
            globalBytes = try await client.getBlob(digest)
            serverBytes += globalBytes.count
        }
        let global = try ParameterBlob.decode(globalBytes)
        var updates: [Update] = []
        var unreadable: [String] = []
        for u in uploads {
            guard let parameters = try? ParameterBlob.decodeUpdate(u.bytes), parameters.count == global.count else {
                unreadable.append(u.node)
                continue
            }
            updates.append(Update(id: u.node, parameters: parameters, samples: u.samples))
        }
        guard let aggregation = c.spec.aggregation else { throw TaskError(message: "the aggregate task names no aggregation") }
        let pipeline = RoundPipeline(regional: aggregation)
        let share = try pipeline.regional(updates, global: global, region: c.spec.region ?? "")
        let missing = c.expected.keys.filter { n in !uploads.contains { $0.node == n } }.sorted()
        var status: [String: JSONValue] = [
            "phase": "Succeeded", "form": .string(share.form.rawValue), "samples": .int(Int64(share.samples)),
            "contributors": .array(share.accepted.map { .string($0) }),
            "excluded": .array(share.flags.map { ["node": .string($0.id), "reason": .string($0.reason.rawValue), "value": .double($0.value), "fence": .double($0.fence)] }
                + unreadable.map { ["node": .string($0), "reason": "non-finite", "value": 0, "fence": 0] }),
            "missing": .array(missing.map { .string($0) }), "bytesReceived": .int(Int64(bytesReceived)),
            "startedAt": .string(Timestamp.format(startDate)),
        ]
        if !share.accepted.isEmpty {
            let blob = ParameterBlob.encode(share.parameters)
            let aggregate = try await client.putBlob(blob)
            serverBytes += blob.count
            status["aggregate"] = .string(aggregate)
            status["bytesSent"] = .int(Int64(blob.count))
            log.append(String(format: "combined %d updates (%d samples, %d excluded, %d missing) into %@ (%d bytes, %@) and uploaded it",
                              share.accepted.count, share.samples, share.flags.count + unreadable.count, missing.count,
                              TaskExecutor.short(aggregate), blob.count, share.form.rawValue), at: Date())
        } else {
            log.append("nothing to combine: \(uploads.count) updates arrived, none accepted", at: Date())
        }
        // Each transfer is counted once, by the node that makes the request: the updates it received
        // are in their senders' traffic (and in bytesReceived here); its own are the aggregate and the model.
        status["traffic"] = ["withinRegion": 0, "crossRegion": 0, "server": .int(Int64(serverBytes))]
        status["finishedAt"] = .string(Timestamp.format(Date()))
        status["log"] = log.json
        return .object(status)
    }
}

/// How a participant reaches its region's aggregator: over HTTP for real agents (`fogctl
/// agent`), in memory for the simulated fleet. Throws when the aggregator refuses or cannot be reached.
public typealias PeerUpdateUpload = @Sendable (_ address: String, _ upload: RegionalAggregator.Upload) async throws -> Void
