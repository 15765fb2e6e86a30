import FogAPI
import FogClient
import FogLearning
import FogManifest
import FogModel
import FogStore
import Foundation

/// Carries out `TrainingTask`s bound to a node — for the simulated fleet and for
/// `fogctl agent --data DIR` alike: reads the task's recipe, trains from the
/// round's global model on the node's shard, uploads the update (compressed
/// with the task's codec) as a content-addressed blob, and reports in the task's
/// status: phase, update digest, samples, loss, bytes sent, and the lines of what it did
/// (`status.log`, a `StatusLog`, sent with that same result: `fogctl logs tt/NAME`).
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

    /// Carries out one task (uploading its update or reading its inputs) and returns the status
    /// patch that reports it: Succeeded with its figures, Skipped, or Failed with the reason. Only
    /// transport failures (the server away) are thrown, for the caller to retry.
    public func outcome(of task: Resource, device: DeviceState = DeviceState()) async throws -> JSONValue {
        let startDate = Date()
        let started = Timestamp.format(startDate)
        var log = StatusLog()
        func note(_ message: String) { log.append(message, at: Date()) }
        let spec: TrainingTaskSpec
        do { spec = try task.decodeSpec(TrainingTaskSpec.self) } catch {
            log.append("failed: the task's spec does not decode: \(error)", at: startDate)
            return ["phase": "Failed", "reason": .string("\(error)"), "startedAt": .string(started), "log": log.json]
        }
        // Answering a request is short; the battery rule is about a training round's work. (A
        // skipped infer batch would never be answered: the inference controller waits for it.)
        if spec.type == .infer { return try await infer(task, spec: spec, started: started, startDate: startDate) }
        if spec.type == .aggregate {
            // Aggregate tasks go to the node's RegionalAggregator; an executor without one cannot carry them out.
            note("failed: this node does not aggregate (no aggregator role, or no peer endpoint)")
            return ["phase": "Failed", "reason": "this node does not aggregate", "startedAt": .string(started), "log": log.json]
        }
        log.append("picked up on \(spec.node): job \(spec.job) round \(spec.round), shard \(spec.shard.index) of \(spec.shard.count)", at: startDate)
        if device.lowBattery {
            note("skipped: battery below 20 % and not charging (BatteryLow)")
            return ["phase": "Skipped", "reason": "BatteryLow", "startedAt": .string(started), "log": log.json]
        }
        do {
            let recipe = try TaskRecipe(task: spec)
            guard let modelDigest = spec.model else { throw TaskError(message: "the task names no model") }
            let fetched = try await globalModel(modelDigest, cache: spec.modelCache, note: note)
            let global = try ParameterBlob.decode(fetched.bytes)
            note("global model \(Self.short(modelDigest)): \(global.count) parameters, from \(fetched.from == "server" ? "the server" : "the regional cache on " + (spec.modelCache?.node ?? "") + (fetched.from == "cache-hit" ? " (hit)" : " (miss)"))")
            let shard = try data.shard(recipe)
            let model = recipe.model.make(featureCount: shard.featureCount, classCount: max(shard.classCount, 10))
            guard model.parameterCount == global.count else {
                throw TaskError(message: "the global model has \(global.count) parameters; this data set and architecture need \(model.parameterCount)")
            }
            var config = recipe.training
            if device.hot {
                let steps = max(1, (shard.count + config.batchSize - 1) / config.batchSize * config.epochs / 2)
                config.maxSteps = steps
                note("device above 40 °C: half the local steps (\(steps))")
            }
            let round = spec.round
            let result = LocalTraining.train(model: model, from: global, on: shard, config: config,
                                             seed: SplitMix64.mix(recipe.seed, 4, round, recipe.shardIndex))
            var parameters = result.parameters
            if device.byzantine { Attack.signFlip().apply(to: &parameters, global: global, seed: 0) }
            let blob = ParameterBlob.encodeUpdate(parameters, codec: recipe.codec)
            note(String(format: "trained %d epoch%@ on %d samples: %d steps, mean loss %.4f", config.epochs, config.epochs == 1 ? "" : "s",
                        result.samples, result.steps, Double(result.meanLoss)))
            let digest: String?
            let to: String
            var viaCircuit: [String: JSONValue] = [:]
            if let route = spec.onion {
                // Under onion routing: through a circuit of the pool to the server, never directly
                // (and not to a regional aggregator).
                guard let onion else { throw TaskError(message: "the task asks for onion routing and this node cannot reach relays; not uploading directly") }
                let sent = try await onion(route, blob)
                digest = sent.digest
                to = "server"
                viaCircuit = ["bytesViaCircuits": .int(Int64(sent.bytesSent)), "circuit": .array(sent.relays.map { .string($0) })]
                if !sent.failures.isEmpty { viaCircuit["circuitFailures"] = .array(sent.failures.map { .string($0) }) }
                for f in sent.failures { note("circuit failed, next one: \(f)") }
                note("sent through circuit \(sent.relays.joined(separator: " → ")) (\(sent.bytesSent) bytes of cells)")
            } else {
                (digest, to) = try await deliver(blob, task: task, spec: spec, samples: result.samples, note: note)
            }
            let finished = Date()
            if let digest {
                log.append("uploaded update \(Self.short(digest)) (\(blob.count) bytes, codec \(recipe.codec.name))", at: finished)
            } else {
                log.append("sent the update (\(blob.count) bytes, codec \(recipe.codec.name)) to the region's aggregator \(to)", at: finished)
            }
            log.append(String(format: "Succeeded in %.0f ms", finished.timeIntervalSince(startDate) * 1000), at: finished)
            // Bytes by link, as this node moved them: the model from the regional cache (and, on a
            // miss, the cache's fetch from the server for it) or the server; the update to the aggregator or the server.
            var traffic = TaskTraffic()
            switch fetched.from {
            case "cache-hit": traffic.withinRegion += fetched.bytes.count
            case "cache-miss": traffic.withinRegion += fetched.bytes.count; traffic.server += fetched.bytes.count
            default: traffic.server += fetched.bytes.count
            }
            if digest == nil { traffic.withinRegion += blob.count } else { traffic.server += blob.count }
            var status: [String: JSONValue] = [
                "phase": "Succeeded", "samples": .int(Int64(result.samples)),
                "steps": .int(Int64(result.steps)), "loss": .double(Double(result.meanLoss)), "bytesSent": .int(Int64(blob.count)),
                "codec": .string(recipe.codec.name), "startedAt": .string(started), "finishedAt": .string(Timestamp.format(finished)),
                "modelFrom": .string(fetched.from), "bytesReceived": .int(Int64(fetched.bytes.count)), "log": log.json,
                "uploadedTo": .string(to), "traffic": traffic.json,
            ]
            if let digest { status["update"] = .string(digest) }
            return .object(status.merging(viaCircuit) { a, _ in a })
        } catch let e as TransportError {
            throw e
        } catch {
            note("failed: \(error)")
            return ["phase": "Failed", "reason": .string("\(error)"), "startedAt": .string(started), "log": log.json]
        }
    }

    /// A digest as log lines show it: `sha256:` and the first 12 hex digits.
    static func short(_ digest: String) -> String { String(digest.prefix(19)) }
}

extension TaskExecutor {
    /// Milliseconds since `start` on the node's own monotonic clock: a duration the node
    /// measured by itself, never a difference between its clock and another machine's.
    static func millis(since start: ContinuousClock.Instant) -> Double { (ContinuousClock.now - start).milliseconds }

    /// An inference task: predicts a batch (rows of the data set's test part, or raw rows
    /// from an input blob, scaled as the model's training data was) with the given model.
    func infer(_ task: Resource, spec: TrainingTaskSpec, started: String, startDate: Date) async throws -> JSONValue {
        let clockStart = ContinuousClock.now
        var log = StatusLog()
        log.append("picked up on \(spec.node): infer batch of job \(spec.job)", at: startDate)
        do {
            let recipe = try TaskRecipe(task: spec)
            guard let modelDigest = spec.model else { throw TaskError(message: "the task names no model") }
            let parameters = try ParameterBlob.decode(try await client.getBlob(modelDigest))
            let (train, test) = try data.split(recipe.dataset, testFraction: recipe.testFraction, seed: recipe.seed)
            let model = recipe.model.make(featureCount: train.featureCount, classCount: max(train.classCount, 10))
            guard model.parameterCount == parameters.count else { throw TaskError(message: "the model does not fit the data set") }
            var features: [Float]
            var labels: [Int]?
            if let input = spec.input {
                let raw = try ParameterBlob.decode(try await client.getBlob(input))
                guard raw.count % train.featureCount == 0 else {
                    throw TaskError(message: "the input holds \(raw.count) values, not rows of \(train.featureCount) features")
                }
                let rows = Dataset(features: raw, labels: Array(repeating: 0, count: raw.count / train.featureCount), featureCount: train.featureCount,
                                   classCount: train.classCount)
                features = try data.scaler(recipe.dataset, testFraction: recipe.testFraction, seed: recipe.seed).transform(rows).features
            } else {
                guard let rows = spec.rows else { throw TaskError(message: "the task names neither rows nor an input") }
                let (start, count) = (rows.start, rows.count)
                guard start >= 0, count > 0, start + count <= test.count else { throw TaskError(message: "rows \(start)..<\(start + count) are outside the test part (\(test.count) rows)") }
                let batch = test.rows(Array(start..<(start + count)))
                features = batch.features
                labels = batch.labels
            }
            let predictions = model.predict(parameters: parameters, features: features)
            let millis = Self.millis(since: clockStart)
            var line = String(format: "predicted %d rows with model %@ in %.1f ms", predictions.count, Self.short(modelDigest), millis)
            if let labels { line += " (\(zip(predictions, labels).filter { $0 == $1 }.count) correct)" }
            log.append(line, at: Date())
            var status: [String: JSONValue] = [
                "phase": "Succeeded", "predictions": .array(predictions.map { .int(Int64($0)) }),
                "startedAt": .string(started), "finishedAt": .string(Timestamp.format(Date())),
                "serviceMillis": .double(millis), "log": log.json,
            ]
            if let labels { status["correct"] = .int(Int64(zip(predictions, labels).filter { $0 == $1 }.count)) }
            return .object(status)
        } catch let e as TransportError {
            throw e
        } catch {
            log.append("failed: \(error)", at: Date())
            return ["phase": "Failed", "reason": .string("\(error)"), "startedAt": .string(started), "log": log.json]
        }
    }

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

