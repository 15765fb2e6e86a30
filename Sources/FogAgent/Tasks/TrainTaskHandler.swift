import FogAPI
import FogClient
import FogLearning
import FogModel
import Foundation

/// `train` tasks (the training family's): fetches the round's global model (from the
/// task's regional cache when it names one), trains on the node's shard with the task's
/// recipe, and sends the update (compressed with the task's codec) to the region's
/// aggregator, through onion circuits, or to the server as a content-addressed blob. The
/// seed's mobile rules apply here: a phone low on battery and not charging skips the round; a
/// hot one trains half its local steps.
public struct TrainTaskHandler: TaskHandler {
    public init() {}

    public func outcome(of task: Resource, spec: TrainingTaskSpec, device: TaskExecutor.DeviceState, on executor: TaskExecutor,
                        startedAt startDate: Date) async throws -> JSONValue {
        let started = Timestamp.format(startDate)
        var log = StatusLog()
        func note(_ message: String) { log.append(message, at: Date()) }
        log.append("picked up on \(spec.node): job \(spec.job) round \(spec.round), shard \(spec.shard.index) of \(spec.shard.count)", at: startDate)
        if device.lowBattery {
            note("skipped: battery below 20 % and not charging (BatteryLow)")
            return ["phase": "Skipped", "reason": "BatteryLow", "startedAt": .string(started), "log": log.json]
        }
        do {
            let recipe = try TaskRecipe(task: spec)
            guard let modelDigest = spec.model else { throw TaskError(message: "the task names no model") }
            let fetched = try await executor.globalModel(modelDigest, cache: spec.modelCache, note: note)
            let global = try ParameterBlob.decode(fetched.bytes)
            note("global model \(TaskExecutor.short(modelDigest)): \(global.count) parameters, from \(fetched.from == "server" ? "the server" : "the regional cache on " + (spec.modelCache?.node ?? "") + (fetched.from == "cache-hit" ? " (hit)" : " (miss)"))")
            let shard = try executor.data.shard(recipe)
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
                guard let onion = executor.onion else { throw TaskError(message: "the task asks for onion routing and this node cannot reach relays; not uploading directly") }
                let sent = try await onion(route, blob)
                digest = sent.digest
                to = "server"
                viaCircuit = ["bytesViaCircuits": .int(Int64(sent.bytesSent)), "circuit": .array(sent.relays.map { .string($0) })]
                if !sent.failures.isEmpty { viaCircuit["circuitFailures"] = .array(sent.failures.map { .string($0) }) }
                for f in sent.failures { note("circuit failed, next one: \(f)") }
                note("sent through circuit \(sent.relays.joined(separator: " → ")) (\(sent.bytesSent) bytes of cells)")
            } else {
                (digest, to) = try await executor.deliver(blob, task: task, spec: spec, samples: result.samples, note: note)
            }
            let finished = Date()
            if let digest {
                log.append("uploaded update \(TaskExecutor.short(digest)) (\(blob.count) bytes, codec \(recipe.codec.name))", at: finished)
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
}
