import FogAPI
import FogClient
import FogLearning
import FogModel
import Foundation

/// `infer` tasks (the inference family's): predicts a batch — rows of the data set's test
/// part, or raw rows from an input blob, scaled as the model's training data was — with the
/// task's model, and reports the predictions and `serviceMillis`, the time the node spent on
/// the batch on its own monotonic clock. Answering is short, so the battery rule of training
/// does not apply (a skipped batch would never be answered: the inference controller waits for it).
public struct InferTaskHandler: TaskHandler {
    public init() {}

    public func outcome(of task: Resource, spec: TrainingTaskSpec, device: TaskExecutor.DeviceState, on executor: TaskExecutor,
                        startedAt startDate: Date) async throws -> JSONValue {
        let started = Timestamp.format(startDate)
        let clockStart = ContinuousClock.now
        var log = StatusLog()
        log.append("picked up on \(spec.node): infer batch of job \(spec.job)", at: startDate)
        do {
            let recipe = try TaskRecipe(task: spec)
            guard let modelDigest = spec.model else { throw TaskError(message: "the task names no model") }
            let parameters = try ParameterBlob.decode(try await executor.client.getBlob(modelDigest))
            let (train, test) = try executor.data.split(recipe.dataset, testFraction: recipe.testFraction, seed: recipe.seed)
            let model = recipe.model.make(featureCount: train.featureCount, classCount: max(train.classCount, 10))
            guard model.parameterCount == parameters.count else { throw TaskError(message: "the model does not fit the data set") }
            var features: [Float]
            var labels: [Int]?
            if let input = spec.input {
                let raw = try ParameterBlob.decode(try await executor.client.getBlob(input))
                guard raw.count % train.featureCount == 0 else {
                    throw TaskError(message: "the input holds \(raw.count) values, not rows of \(train.featureCount) features")
                }
                let rows = Dataset(features: raw, labels: Array(repeating: 0, count: raw.count / train.featureCount), featureCount: train.featureCount,
                                   classCount: train.classCount)
                features = try executor.data.scaler(recipe.dataset, testFraction: recipe.testFraction, seed: recipe.seed).transform(rows).features
            } else {
                guard let rows = spec.rows else { throw TaskError(message: "the task names neither rows nor an input") }
                let (start, count) = (rows.start, rows.count)
                guard start >= 0, count > 0, start + count <= test.count else { throw TaskError(message: "rows \(start)..<\(start + count) are outside the test part (\(test.count) rows)") }
                let batch = test.rows(Array(start..<(start + count)))
                features = batch.features
                labels = batch.labels
            }
            let predictions = model.predict(parameters: parameters, features: features)
            let millis = TaskExecutor.millis(since: clockStart)
            var line = String(format: "predicted %d rows with model %@ in %.1f ms", predictions.count, TaskExecutor.short(modelDigest), millis)
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
}
