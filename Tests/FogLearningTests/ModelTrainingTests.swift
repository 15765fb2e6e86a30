import Foundation
import Testing
@testable import FogLearning
import FogManifest
import FogModel

@Suite("Models and local training")
struct ModelTrainingTests {
    /// A few digit rows to differentiate on.
    static let rows = Digits.split.train.rows(Array(0..<12))

    /// Compares the analytic gradient with central differences on every parameter.
    static func checkGradient(_ model: some Model, parameters: [Float]) {
        let data = rows
        let (_, gradient) = model.lossAndGradient(parameters: parameters, on: data)
        let h: Float = 3e-3  // small enough that no ReLU changes side on these rows
        var worst: Float = 0
        for i in 0..<model.parameterCount {
            var plus = parameters, minus = parameters
            plus[i] += h
            minus[i] -= h
            let numeric = (model.evaluate(parameters: plus, on: data).loss - model.evaluate(parameters: minus, on: data).loss) / (2 * h)
            worst = max(worst, abs(numeric - gradient[i]) / max(1e-2, abs(numeric) + abs(gradient[i])))
        }
        #expect(worst < 0.02, "largest relative gradient error \(worst)")
    }

    @Test("logistic regression: gradient matches finite differences")
    func logisticGradient() {
        let model = LogisticRegression(featureCount: 64, classCount: 10)
        var rng = Xoshiro256(seed: 1)
        let w = (0..<model.parameterCount).map { _ in Float(rng.nextGaussian() * 0.3) }
        Self.checkGradient(model, parameters: w)
    }

    @Test("MLP: gradient matches finite differences")
    func mlpGradient() {
        let model = MultilayerPerceptron(featureCount: 64, hiddenCount: 8, classCount: 10)
        var w = model.initialParameters(seed: 2)
        var rng = Xoshiro256(seed: 3)
        for i in w.indices { w[i] += Float(rng.nextGaussian() * 0.05) }  // biases non-zero too
        Self.checkGradient(model, parameters: w)
    }

    @Test("MLP initialisation: He for the hidden layer, Xavier for the output, zero biases")
    func initialisation() {
        let model = MultilayerPerceptron(featureCount: 64, hiddenCount: 200, classCount: 10)
        let w = model.initialParameters(seed: 7)
        #expect(w == model.initialParameters(seed: 7))
        #expect(w != model.initialParameters(seed: 8))
        func sd(_ xs: ArraySlice<Float>) -> Double {
            (xs.reduce(0.0) { $0 + Double($1) * Double($1) } / Double(xs.count)).squareRoot()
        }
        let w1 = w[0..<(200 * 64)]
        let w2 = w[(200 * 64 + 200)..<(200 * 64 + 200 + 2000)]
        #expect(abs(sd(w1) - (2.0 / 64).squareRoot()) < 0.01)
        #expect(abs(sd(w2) - (2.0 / 210).squareRoot()) < 0.01)
        #expect(w[(200 * 64)..<(200 * 64 + 200)].allSatisfy { $0 == 0 })
    }

    @Test("evaluation: uniform logits give loss ln 10; predictions are arg-max")
    func evaluation() {
        let model = LogisticRegression(featureCount: 64, classCount: 10)
        let zero = model.initialParameters(seed: 0)
        let e = model.evaluate(parameters: zero, on: Self.rows)
        #expect(abs(e.loss - logf(10)) < 1e-5)
        var w = zero
        w[model.parameterCount - 10 + 3] = 1  // bias of class 3
        #expect(model.predict(parameters: w, features: Self.rows.features) == [Int](repeating: 3, count: 12))
    }

    @Test("local SGD lowers the loss, is deterministic, and stops at maxSteps")
    func localTraining() {
        let (train, _) = Digits.split
        let shard = train.rows(Array(0..<150))
        let model = LogisticRegression(featureCount: 64, classCount: 10)
        let w0 = model.initialParameters(seed: 0)
        let config = LocalTrainingConfig(learningRate: 0.1, batchSize: 32, epochs: 2)
        let r = LocalTraining.train(model: model, from: w0, on: shard, config: config, seed: 4)
        #expect(r.samples == 150)
        #expect(r.steps == 10)  // 2 epochs × ⌈150 / 32⌉
        #expect(model.evaluate(parameters: r.parameters, on: shard).loss < model.evaluate(parameters: w0, on: shard).loss)
        #expect(r.meanLoss > 0 && r.meanLoss < logf(10) + 1e-4)
        #expect(LocalTraining.train(model: model, from: w0, on: shard, config: config, seed: 4) == r)
        var limited = config
        limited.maxSteps = 3
        let hot = LocalTraining.train(model: model, from: w0, on: shard, config: limited, seed: 4)
        #expect(hot.steps == 3 && hot.samples == 150)
    }

    @Test("one plain SGD step is w − lr · mean gradient; FedProx adds μ (w − w_global)")
    func sgdStep() {
        let data = Self.rows
        let model = LogisticRegression(featureCount: 64, classCount: 10)
        var rng = Xoshiro256(seed: 5)
        let w0 = (0..<model.parameterCount).map { _ in Float(rng.nextGaussian() * 0.1) }
        let (_, g) = model.lossAndGradient(parameters: w0, on: data)
        // One full batch, so the order does not matter.
        let plain = LocalTraining.train(model: model, from: w0, on: data, config: LocalTrainingConfig(learningRate: 0.5, batchSize: 12), seed: 1)
        for i in w0.indices { #expect(abs(plain.parameters[i] - (w0[i] - 0.5 * g[i])) < 1e-5) }
        // Two steps with FedProx: the second sees the proximal pull back towards w0.
        let prox = LocalTraining.train(model: model, from: w0, on: data,
                                       config: LocalTrainingConfig(learningRate: 0.5, batchSize: 12, epochs: 2, proximalMu: 1), seed: 1)
        let w1 = plain.parameters
        let (_, g1) = model.lossAndGradient(parameters: w1, on: data)
        for i in w0.indices {
            let expected = w1[i] - 0.5 * (g1[i] + 1 * (w1[i] - w0[i]))
            #expect(abs(prox.parameters[i] - expected) < 1e-5)
        }
    }
}

@Suite struct InferencePlanTests {
    @Test func rowsGoInBatchesRoundRobinOverTheParticipants() {
        let plan = InferencePlan.batches(rows: 50, batchSize: 16, participants: ["a", "b", "c"])
        #expect(plan.map(\.node) == ["a", "b", "c", "a"])
        #expect(plan.map(\.start) == [0, 16, 32, 48] && plan.map(\.count) == [16, 16, 16, 2])
        #expect(InferencePlan.batches(rows: 5, batchSize: 16, participants: []).isEmpty)
    }

    @Test func theModelComesFromTheJobItsSpecOrTheJobItNames() throws {
        var trained = Resource(kind: "FederatedJob", metadata: ObjectMeta(name: "t", namespace: "default"),
                               content: ["spec": ["type": "training", "tier": "small"]])
        trained.status = ["training": ["model": "sha256:aa"]]
        let trainedSpec = try trained.decodeSpec(FederatedJobSpec.self)
        #expect(InferencePlan.modelSource(of: trained, spec: trainedSpec) == .digest("sha256:aa"))
        let serving = Resource(kind: "FederatedJob", metadata: ObjectMeta(name: "s", namespace: "default"),
                               content: ["spec": ["type": "inference", "tier": "small", "model": ["fromJob": "t"]]])
        #expect(InferencePlan.modelSource(of: serving, spec: try serving.decodeSpec(FederatedJobSpec.self)) == .fromJob("t"))
        let task = InferencePlan.task(for: serving, name: "s-b0", batch: .init(index: 0, node: "n1", start: 0, count: 4), model: "sha256:aa",
                                      trainingSpec: trainedSpec, labels: ["fog/round": "1"], controller: true,
                                      what: ["rows": ["start": 0, "count": 4]])
        // The training's data and model, from its spec's defaults.
        #expect(task.spec?["dataset"] == "digits" && task.spec?["testFraction"] == 0.2 && task.spec?["architecture"] == "logistic-regression")
        #expect(task.spec?["hiddenUnits"] == nil)
        #expect(task.spec?["node"] == "n1" && task.spec?["type"] == "infer" && task.spec?["rows"]?["count"] == 4)
        #expect(task.metadata.labels == ["fog/job": "s", "fog/node": "n1", "fog/round": "1"])
        #expect(task.metadata.ownerReferences.first?.controller == true)
    }
}
