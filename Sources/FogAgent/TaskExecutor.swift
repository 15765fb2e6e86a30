import FogClient
import FogLearning
import FogModel
import FogStore
import Foundation

/// Carries out `TrainingTask`s bound to a node — for the simulated fleet and for
/// `fogctl agent --data DIR` alike: reads the task's recipe, trains from the
/// round's global model on the node's shard, uploads the update (compressed
/// with the task's codec) as a content-addressed blob, and reports in the task's
/// status: phase, update digest, samples, loss, bytes sent.
public struct TaskExecutor: Sendable {
    public let client: any FogClient
    public let data: DataCatalog

    public init(client: any FogClient, data: DataCatalog) {
        self.client = client
        self.data = data
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
    public func run(_ task: Resource, device: DeviceState = DeviceState()) async throws {
        let started = Timestamp.format(Date())
        if device.lowBattery {
            _ = try await client.patchStatus(task.key, ["phase": "Skipped", "reason": "BatteryLow", "startedAt": .string(started)])
            return
        }
        do {
            let recipe = try TaskRecipe(taskSpec: task.spec)
            guard let modelDigest = task.spec?["model"]?.stringValue else { throw TaskError(message: "the task names no model") }
            let global = try ParameterBlob.decode(try await client.getBlob(modelDigest))
            let shard = try data.shard(recipe)
            let model = recipe.model.make(featureCount: shard.featureCount, classCount: max(shard.classCount, 10))
            guard model.parameterCount == global.count else {
                throw TaskError(message: "the global model has \(global.count) parameters; this data set and architecture need \(model.parameterCount)")
            }
            var config = recipe.training
            if device.hot {
                let steps = max(1, (shard.count + config.batchSize - 1) / config.batchSize * config.epochs / 2)
                config.maxSteps = steps
            }
            let round = Int(task.spec?["round"]?.intValue ?? 0)
            let result = LocalTraining.train(model: model, from: global, on: shard, config: config,
                                             seed: SplitMix64.mix(recipe.seed, 4, round, recipe.shardIndex))
            var parameters = result.parameters
            if device.byzantine { Attack.signFlip().apply(to: &parameters, global: global, seed: 0) }
            let blob = ParameterBlob.encodeUpdate(parameters, codec: recipe.codec)
            let digest = try await client.putBlob(blob)
            _ = try await client.patchStatus(task.key, [
                "phase": "Succeeded", "update": .string(digest), "samples": .int(Int64(result.samples)),
                "steps": .int(Int64(result.steps)), "loss": .double(Double(result.meanLoss)), "bytesSent": .int(Int64(blob.count)),
                "codec": .string(recipe.codec.name), "startedAt": .string(started), "finishedAt": .string(Timestamp.format(Date())),
            ])
        } catch let e as StoreError where e.code == .unavailable {
            throw e
        } catch {
            _ = try? await client.patchStatus(task.key, ["phase": "Failed", "reason": .string("\(error)"), "startedAt": .string(started)])
        }
    }
}

struct TaskError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}
