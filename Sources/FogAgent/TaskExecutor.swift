import FogAPI
import FogClient
import FogLearning
import FogManifest
import FogModel
import FogStore
import Foundation

/// Carries out `TrainingTask`s bound to a node — for the simulated fleet and for
/// `fogctl agent --data DIR` alike: decodes the task's spec, hands it to the handler of its
/// type (`TaskHandlers`: training's `TrainTaskHandler`, inference's `InferTaskHandler`), and
/// reports in the task's status what the handler returns: phase, its figures, and the lines of
/// what it did (`status.log`, a `StatusLog`, sent with that same result: `fogctl logs tt/NAME`).
/// It holds what handlers share: the node's data, and how to reach the server, the regional
/// cache and aggregator, and the onion circuits.
public struct TaskExecutor: Sendable {
    public let client: any FogClient
    public let data: DataCatalog
    /// How to reach a regional model cache a task names (nil: always the server).
    public var peers: PeerModelFetch?
    /// How to reach the regional aggregator a task names (nil: updates always go to the server).
    public var uploads: PeerUpdateUpload?
    /// How to upload through onion circuits, for tasks that ask for it (nil: such a task fails;
    /// it is never uploaded directly).
    public var onion: OnionUpload.Upload?

    /// How each type of task is carried out (`TaskHandlers.all`); a type without a handler fails.
    public var handlers: [TrainingTaskSpec.TaskType: any TaskHandler] = TaskHandlers.all

    public init(client: any FogClient, data: DataCatalog, peers: PeerModelFetch? = nil, uploads: PeerUpdateUpload? = nil) {
        self.client = client
        self.data = data
        self.peers = peers
        self.uploads = uploads
    }

    /// Sends an update: to the region's aggregator when the task names one (and it takes it),
    /// else — or when it refuses or cannot be reached — to the server as a blob. Returns the
    /// server's digest (nil when the aggregator took it) and where it went.
    func deliver(_ blob: [UInt8], task: Resource, spec: TrainingTaskSpec, samples: Int, note: (String) -> Void) async throws -> (digest: String?, to: String) {
        if let aggregator = spec.aggregator, let uploads {
            do {
                try await uploads(aggregator.address, RegionalAggregator.Upload(namespace: task.namespace, aggregateTask: aggregator.task, node: spec.node,
                                                                                participantTask: task.name, samples: samples, token: aggregator.token, bytes: blob))
                return (nil, aggregator.node)
            } catch {
                note("the aggregator \(aggregator.node) did not take the update (\(error)); uploading it to the server")
            }
        }
        return (try await client.putBlob(blob), "server")
    }

    /// The global model `digest`: from the task's regional cache when it names one (checked
    /// against the digest: a cache cannot change a model), else — or when the cache fails — the server.
    func globalModel(_ digest: String, cache: TrainingTaskSpec.ModelCacheRef?, note: (String) -> Void) async throws -> (bytes: [UInt8], from: String) {
        if let cache, let peers {
            do {
                let (bytes, hit) = try await peers(cache.address, digest)
                guard BlobStore.digest(of: bytes) == digest else { throw TaskError(message: "it sent a blob whose digest is not \(digest)") }
                return (bytes, hit ? "cache-hit" : "cache-miss")
            } catch {
                note("the model cache on \(cache.node) failed (\(error)); fetching from the server")
            }
        }
        return (try await client.getBlob(digest), "server")
    }

    /// How the device is doing, for the seed's mobile rules.
    public struct DeviceState: Sendable {
        /// Below the battery threshold and not charging: skip the round.
        public var lowBattery = false
        /// Hot: train half the local steps.
        public var hot = false
        /// Hidden misbehaviour of a simulated Byzantine node: send the delta reversed ×4.
        public var byzantine = false
        public init(lowBattery: Bool = false, hot: Bool = false, byzantine: Bool = false) {
            self.lowBattery = lowBattery; self.hot = hot; self.byzantine = byzantine
        }
    }

    /// Tasks for `nodes` that nobody has started.
    public func pending(for nodes: Set<String>) async throws -> [Resource] {
        try await client.list(kind: "TrainingTask", namespace: nil, selector: LabelSelector()).items.filter {
            $0.status?["phase"] == nil && nodes.contains($0.spec?["node"]?.stringValue ?? "")
        }.sorted { $0.name < $1.name }
    }

    /// Runs one task and reports it; a failure is reported as phase Failed with the reason.
    /// Returns the status it reported (for the node's own log).
    @discardableResult
    public func run(_ task: Resource, device: DeviceState = DeviceState()) async throws -> JSONValue {
        let result = try await outcome(of: task, device: device)
        _ = try await client.patchStatus(task.key, result)
        return result
    }

    /// Runs tasks (of several nodes, as a simulated fleet holds them) and reports them all in
    /// one write, as nodes reporting at the same moment would. Returns what each reported.
    @discardableResult
    public func run(_ tasks: [(task: Resource, device: DeviceState)]) async throws -> [(task: Resource, result: JSONValue)] {
        var patches: [StatusPatch] = []
        var results: [(task: Resource, result: JSONValue)] = []
        for (task, device) in tasks {
            let result = try await outcome(of: task, device: device)
            patches.append(StatusPatch(key: task.key, patch: result))
            results.append((task, result))
        }
        guard !patches.isEmpty else { return [] }
        _ = try await client.patchStatuses(patches)
        return results
    }

    /// Carries out one task with the handler of its type (uploading its update or reading its
    /// inputs) and returns the status patch that reports it: Succeeded with its figures, Skipped,
    /// or Failed with the reason. Only transport failures (the server away) are thrown, for the
    /// caller to retry.
    public func outcome(of task: Resource, device: DeviceState = DeviceState()) async throws -> JSONValue {
        let startDate = Date()
        let spec: TrainingTaskSpec
        do { spec = try task.decodeSpec(TrainingTaskSpec.self) } catch {
            var log = StatusLog()
            log.append("failed: the task's spec does not decode: \(error)", at: startDate)
            return ["phase": "Failed", "reason": .string("\(error)"), "startedAt": .string(Timestamp.format(startDate)), "log": log.json]
        }
        guard let handler = handlers[spec.type] else {
            // Aggregate tasks go to the node's RegionalAggregator; an executor without one cannot carry them out.
            var log = StatusLog()
            log.append("failed: this node does not carry out \(spec.type.rawValue) tasks", at: startDate)
            return ["phase": "Failed", "reason": .string("this node does not carry out \(spec.type.rawValue) tasks"),
                    "startedAt": .string(Timestamp.format(startDate)), "log": log.json]
        }
        return try await handler.outcome(of: task, spec: spec, device: device, on: self, startedAt: startDate)
    }

    /// A digest as log lines show it: `sha256:` and the first 12 hex digits.
    static func short(_ digest: String) -> String { String(digest.prefix(19)) }
}

extension TaskExecutor {
    /// Milliseconds since `start` on the node's own monotonic clock: a duration the node
    /// measured by itself, never a difference between its clock and another machine's.
    static func millis(since start: ContinuousClock.Instant) -> Double { (ContinuousClock.now - start).milliseconds }

    /// The line a node's own log gets for a task it carried out, from the task's result.
    public static func summary(of task: Resource, result: JSONValue) -> String {
        let phase = result["phase"]?.stringValue ?? "?"
        var line = "task \(task.namespace)/\(task.name) (\(task.spec?["type"]?.stringValue ?? "train")): \(phase)"
        if let loss = result["loss"]?.numberValue { line += String(format: ", loss %.4f", loss) }
        if let bytes = result["bytesSent"]?.intValue { line += ", \(bytes) bytes sent" }
        if let p = result["predictions"]?.arrayValue { line += ", \(p.count) rows predicted" }
        if let reason = result["reason"]?.stringValue { line += ": " + reason }
        return line
    }
}

struct TaskError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}

