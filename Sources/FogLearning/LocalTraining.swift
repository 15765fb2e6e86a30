/// Hyper-parameters of a client's local training in one round.
public struct LocalTrainingConfig: Sendable, Hashable {
    public var learningRate: Float
    public var batchSize: Int
    /// Passes over the client's data.
    public var epochs: Int
    /// FedProx: adds μ/2 · ‖w − w_global‖² to the local loss (0 = plain SGD).
    public var proximalMu: Float
    /// Stop after this many minibatch steps even if the epochs are not done
    /// (a hot or low-battery device trains less). `nil`: no limit.
    public var maxSteps: Int?

    public init(learningRate: Float = 0.1, batchSize: Int = 32, epochs: Int = 1, proximalMu: Float = 0, maxSteps: Int? = nil) {
        self.learningRate = learningRate
        self.batchSize = batchSize
        self.epochs = epochs
        self.proximalMu = proximalMu
        self.maxSteps = maxSteps
    }
}

/// What a client sends back after local training.
public struct LocalTrainingResult: Sendable, Hashable {
    /// The parameters after training (a full vector, not a delta).
    public var parameters: [Float]
    /// The client's number of training rows (the aggregation weight), even
    /// when `maxSteps` stopped it early.
    public var samples: Int
    /// Minibatch steps taken.
    public var steps: Int
    /// Mean cross-entropy over the rows seen, each measured just before the
    /// step that used it (what a training loop reports).
    public var meanLoss: Float
}

/// Minibatch SGD on one client's data.
public enum LocalTraining {
    /// Trains from `global` on `data` and returns the new parameters.
    ///
    /// Each epoch visits the rows in a fresh order drawn from `seed`; each
    /// step takes the mean gradient over a minibatch of `batchSize` rows (the
    /// last one may be smaller), adds μ (w − w_global) when `proximalMu` > 0,
    /// and moves w by −learningRate × that. Nothing is allocated per row.
    ///
    ///     let r = LocalTraining.train(model: model, from: global, on: shard,
    ///                                 config: LocalTrainingConfig(learningRate: 0.1), seed: 9)
    ///     let update = Update(id: "node-a", parameters: r.parameters, samples: r.samples)
    public static func train(model: some Model, from global: [Float], on data: Dataset, config: LocalTrainingConfig,
                             seed: UInt64) -> LocalTrainingResult {
        precondition(global.count == model.parameterCount, "global parameters have the wrong length")
        precondition(data.featureCount == model.featureCount, "data set has the wrong number of features")
        precondition(config.batchSize > 0 && config.epochs >= 0, "batchSize must be positive and epochs ≥ 0")
        var w = global
        let n = data.count
        guard n > 0 else { return LocalTrainingResult(parameters: w, samples: 0, steps: 0, meanLoss: 0) }
        var rng = Xoshiro256(seed: seed)
        var order = Array(0..<n)
        var gradient = [Float](repeating: 0, count: model.parameterCount)
        var scratch = [Float](repeating: 0, count: model.scratchCount)
        let limit = config.maxSteps ?? Int.max
        let lr = config.learningRate, mu = config.proximalMu
        var steps = 0
        var lossSum = 0.0
        var seen = 0
        data.features.withUnsafeBufferPointer { f in
            data.labels.withUnsafeBufferPointer { y in
                global.withUnsafeBufferPointer { g0 in
                    w.withUnsafeMutableBufferPointer { w in
                        gradient.withUnsafeMutableBufferPointer { g in
                            scratch.withUnsafeMutableBufferPointer { s in
                                epochs: for _ in 0..<config.epochs {
                                    rng.shuffle(&order)
                                    var start = 0
                                    while start < n {
                                        if steps >= limit { break epochs }
                                        let end = min(start + config.batchSize, n)
                                        for i in g.indices { g[i] = 0 }
                                        let stats = order.withUnsafeBufferPointer { o in
                                            model.accumulate(parameters: UnsafeBufferPointer(w), features: f, labels: y,
                                                             rows: UnsafeBufferPointer(rebasing: o[start..<end]),
                                                             gradient: g, scratch: s.baseAddress!)
                                        }
                                        lossSum += stats.lossSum
                                        seen += end - start
                                        let scale = lr / Float(end - start)
                                        if mu > 0 {
                                            for i in w.indices { w[i] -= scale * g[i] + lr * mu * (w[i] - g0[i]) }
                                        } else {
                                            for i in w.indices { w[i] -= scale * g[i] }
                                        }
                                        steps += 1
                                        start = end
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        return LocalTrainingResult(parameters: w, samples: n, steps: steps,
                                   meanLoss: seen > 0 ? Float(lossSum / Double(seen)) : 0)
    }
}
