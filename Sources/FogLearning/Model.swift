import Foundation

/// A classifier whose parameters are one flat `[Float]` vector, so that
/// training, aggregation and Byzantine detection treat every model the same
/// way: as a point in ℝ^parameterCount.
///
/// Conformers implement two low-level routines over unsafe buffers (no
/// allocation per row); the safe API (`evaluate`, `lossAndGradient`,
/// `predict`) is provided by an extension.
///
///     let model = LogisticRegression(featureCount: 64, classCount: 10)
///     var w = model.initialParameters(seed: 1)
///     let (loss, g) = model.lossAndGradient(parameters: w, on: train)
///     let e = model.evaluate(parameters: w, on: test)   // e.loss, e.accuracy
public protocol Model: Sendable {
    var featureCount: Int { get }
    var classCount: Int { get }
    var parameterCount: Int { get }
    /// Floats of scratch space that `logits` and `accumulate` need.
    var scratchCount: Int { get }

    /// Initial parameters (deterministic for a seed).
    func initialParameters(seed: UInt64) -> [Float]

    /// Writes the `classCount` logits of one row `x` (featureCount values)
    /// into `output`.
    func logits(parameters: UnsafeBufferPointer<Float>, x: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>,
                scratch: UnsafeMutablePointer<Float>)

    /// Softmax cross-entropy over the rows `rows` of `features`/`labels`:
    /// returns the *summed* loss and the number of rows predicted right, and
    /// when `gradient` is given adds the *summed* gradient to it.
    func accumulate(parameters: UnsafeBufferPointer<Float>, features: UnsafeBufferPointer<Float>,
                    labels: UnsafeBufferPointer<Int>, rows: UnsafeBufferPointer<Int>,
                    gradient: UnsafeMutableBufferPointer<Float>?, scratch: UnsafeMutablePointer<Float>) -> BatchStatistics
}

/// Summed loss and correct predictions over a batch.
public struct BatchStatistics: Sendable, Hashable {
    public var lossSum: Double
    public var correct: Int
    public init(lossSum: Double = 0, correct: Int = 0) {
        self.lossSum = lossSum
        self.correct = correct
    }
}

/// Mean cross-entropy and accuracy of a model on a data set.
public struct Evaluation: Sendable, Hashable {
    public var loss: Float
    public var accuracy: Float
    public init(loss: Float, accuracy: Float) {
        self.loss = loss
        self.accuracy = accuracy
    }
}

extension Model {
    /// Mean loss and accuracy on `data` (all rows, or `rows`).
    public func evaluate(parameters: [Float], on data: Dataset, rows: [Int]? = nil) -> Evaluation {
        precondition(parameters.count == parameterCount, "parameter vector has the wrong length")
        precondition(data.featureCount == featureCount, "data set has the wrong number of features")
        let rows = rows ?? Array(0..<data.count)
        guard !rows.isEmpty else { return Evaluation(loss: 0, accuracy: 0) }
        var scratch = [Float](repeating: 0, count: scratchCount)
        let stats = parameters.withUnsafeBufferPointer { p in
            data.features.withUnsafeBufferPointer { f in
                data.labels.withUnsafeBufferPointer { y in
                    rows.withUnsafeBufferPointer { r in
                        scratch.withUnsafeMutableBufferPointer { s in
                            accumulate(parameters: p, features: f, labels: y, rows: r, gradient: nil, scratch: s.baseAddress!)
                        }
                    }
                }
            }
        }
        return Evaluation(loss: Float(stats.lossSum / Double(rows.count)),
                          accuracy: Float(Double(stats.correct) / Double(rows.count)))
    }

    /// Mean loss and its gradient with respect to the parameters on `data`
    /// (all rows, or `rows`).
    public func lossAndGradient(parameters: [Float], on data: Dataset, rows: [Int]? = nil) -> (loss: Float, gradient: [Float]) {
        precondition(parameters.count == parameterCount, "parameter vector has the wrong length")
        precondition(data.featureCount == featureCount, "data set has the wrong number of features")
        let rows = rows ?? Array(0..<data.count)
        var gradient = [Float](repeating: 0, count: parameterCount)
        guard !rows.isEmpty else { return (0, gradient) }
        var scratch = [Float](repeating: 0, count: scratchCount)
        let stats = parameters.withUnsafeBufferPointer { p in
            data.features.withUnsafeBufferPointer { f in
                data.labels.withUnsafeBufferPointer { y in
                    rows.withUnsafeBufferPointer { r in
                        gradient.withUnsafeMutableBufferPointer { g in
                            scratch.withUnsafeMutableBufferPointer { s in
                                accumulate(parameters: p, features: f, labels: y, rows: r, gradient: g, scratch: s.baseAddress!)
                            }
                        }
                    }
                }
            }
        }
        let inverse = 1 / Float(rows.count)
        for i in gradient.indices { gradient[i] *= inverse }
        return (Float(stats.lossSum / Double(rows.count)), gradient)
    }

    /// The predicted class of each row of `features` (row-major, featureCount per row).
    public func predict(parameters: [Float], features: [Float]) -> [Int] {
        precondition(parameters.count == parameterCount, "parameter vector has the wrong length")
        precondition(features.count % featureCount == 0, "features must be whole rows")
        let n = features.count / featureCount
        var out = [Int](repeating: 0, count: n)
        var logitsBuffer = [Float](repeating: 0, count: classCount)
        var scratch = [Float](repeating: 0, count: scratchCount)
        parameters.withUnsafeBufferPointer { p in
            features.withUnsafeBufferPointer { f in
                logitsBuffer.withUnsafeMutableBufferPointer { z in
                    scratch.withUnsafeMutableBufferPointer { s in
                        for i in 0..<n {
                            logits(parameters: p, x: f.baseAddress! + i * featureCount, output: z.baseAddress!,
                                   scratch: s.baseAddress!)
                            out[i] = Kernels.argmax(z.baseAddress!, classCount)
                        }
                    }
                }
            }
        }
        return out
    }
}

/// Which model to build.
public enum ModelKind: Sendable, Hashable, CustomStringConvertible {
    /// Multinomial logistic regression (softmax over a linear map).
    case logisticRegression
    /// One hidden ReLU layer of `hidden` units, then softmax.
    case mlp(hidden: Int)

    public func make(featureCount: Int, classCount: Int) -> any Model {
        switch self {
        case .logisticRegression: return LogisticRegression(featureCount: featureCount, classCount: classCount)
        case .mlp(let h): return MultilayerPerceptron(featureCount: featureCount, hiddenCount: h, classCount: classCount)
        }
    }

    public var description: String {
        switch self {
        case .logisticRegression: return "logistic-regression"
        case .mlp(let h): return "mlp-\(h)"
        }
    }
}

/// Multinomial logistic regression: logits = W x + b, softmax cross-entropy.
///
/// Layout of the parameter vector: W (classCount × featureCount, row-major),
/// then b (classCount). Initial parameters are all zero (the loss is convex;
/// the seed is not used).
public struct LogisticRegression: Model, Hashable {
    public let featureCount: Int
    public let classCount: Int

    public init(featureCount: Int, classCount: Int) {
        precondition(featureCount > 0 && classCount > 1, "need ≥ 1 feature and ≥ 2 classes")
        self.featureCount = featureCount
        self.classCount = classCount
    }

    public var parameterCount: Int { classCount * featureCount + classCount }
    public var scratchCount: Int { classCount }

    public func initialParameters(seed: UInt64) -> [Float] {
        [Float](repeating: 0, count: parameterCount)
    }

    public func logits(parameters: UnsafeBufferPointer<Float>, x: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>,
                       scratch: UnsafeMutablePointer<Float>) {
        let w = parameters.baseAddress!
        let b = w + classCount * featureCount
        for c in 0..<classCount {
            output[c] = b[c] + Kernels.dot(w + c * featureCount, x, featureCount)
        }
    }

    public func accumulate(parameters: UnsafeBufferPointer<Float>, features: UnsafeBufferPointer<Float>,
                           labels: UnsafeBufferPointer<Int>, rows: UnsafeBufferPointer<Int>,
                           gradient: UnsafeMutableBufferPointer<Float>?, scratch: UnsafeMutablePointer<Float>) -> BatchStatistics {
        precondition(parameters.count == parameterCount, "parameter vector has the wrong length")
        let d = featureCount, k = classCount
        let z = scratch
        var stats = BatchStatistics()
        for r in rows {
            let x = features.baseAddress! + r * d
            logits(parameters: parameters, x: x, output: z, scratch: z)
            let label = labels[r]
            let (loss, predicted) = Kernels.softmaxCrossEntropy(z, k, label: label)
            stats.lossSum += Double(loss)
            if predicted == label { stats.correct += 1 }
            if let g = gradient?.baseAddress {
                // z now holds p − onehot(label): dL/dW[c,:] = z[c] · x, dL/db[c] = z[c].
                let gb = g + k * d
                for c in 0..<k {
                    Kernels.axpy(z[c], x, g + c * d, d)
                    gb[c] += z[c]
                }
            }
        }
        return stats
    }
}

/// A multilayer perceptron with one hidden ReLU layer:
/// h = max(0, W1 x + b1), logits = W2 h + b2, softmax cross-entropy.
///
/// Layout: W1 (hidden × features), b1 (hidden), W2 (classes × hidden), b2
/// (classes). Initialisation: W1 ~ N(0, 2 / features) (He, for ReLU), W2 ~
/// N(0, 2 / (hidden + classes)) (Xavier/Glorot normal), biases zero.
public struct MultilayerPerceptron: Model, Hashable {
    public let featureCount: Int
    public let hiddenCount: Int
    public let classCount: Int

    public init(featureCount: Int, hiddenCount: Int, classCount: Int) {
        precondition(featureCount > 0 && hiddenCount > 0 && classCount > 1, "need ≥ 1 feature, ≥ 1 hidden unit and ≥ 2 classes")
        self.featureCount = featureCount
        self.hiddenCount = hiddenCount
        self.classCount = classCount
    }

    public var parameterCount: Int { hiddenCount * featureCount + hiddenCount + classCount * hiddenCount + classCount }
    /// logits (classes), hidden activations (hidden), hidden gradient (hidden).
    public var scratchCount: Int { classCount + 2 * hiddenCount }

    private var w1Offset: Int { 0 }
    private var b1Offset: Int { hiddenCount * featureCount }
    private var w2Offset: Int { b1Offset + hiddenCount }
    private var b2Offset: Int { w2Offset + classCount * hiddenCount }

    public func initialParameters(seed: UInt64) -> [Float] {
        var rng = Xoshiro256(seed: seed)
        var p = [Float](repeating: 0, count: parameterCount)
        let he = (2 / Double(featureCount)).squareRoot()
        for i in w1Offset..<b1Offset { p[i] = Float(rng.nextGaussian() * he) }
        let xavier = (2 / Double(hiddenCount + classCount)).squareRoot()
        for i in w2Offset..<b2Offset { p[i] = Float(rng.nextGaussian() * xavier) }
        return p
    }

    @inline(__always)
    private func forward(_ p: UnsafePointer<Float>, _ x: UnsafePointer<Float>, logits z: UnsafeMutablePointer<Float>,
                         hidden h: UnsafeMutablePointer<Float>) {
        let d = featureCount, m = hiddenCount
        let w1 = p + w1Offset, b1 = p + b1Offset, w2 = p + w2Offset, b2 = p + b2Offset
        for j in 0..<m {
            let a = b1[j] + Kernels.dot(w1 + j * d, x, d)
            h[j] = a > 0 ? a : 0
        }
        for c in 0..<classCount {
            z[c] = b2[c] + Kernels.dot(w2 + c * m, h, m)
        }
    }

    public func logits(parameters: UnsafeBufferPointer<Float>, x: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>,
                       scratch: UnsafeMutablePointer<Float>) {
        forward(parameters.baseAddress!, x, logits: output, hidden: scratch + classCount)
    }

    public func accumulate(parameters: UnsafeBufferPointer<Float>, features: UnsafeBufferPointer<Float>,
                           labels: UnsafeBufferPointer<Int>, rows: UnsafeBufferPointer<Int>,
                           gradient: UnsafeMutableBufferPointer<Float>?, scratch: UnsafeMutablePointer<Float>) -> BatchStatistics {
        precondition(parameters.count == parameterCount, "parameter vector has the wrong length")
        let d = featureCount, m = hiddenCount, k = classCount
        let p = parameters.baseAddress!
        let z = scratch, h = scratch + k, dh = scratch + k + m
        let w2 = p + w2Offset
        var stats = BatchStatistics()
        for r in rows {
            let x = features.baseAddress! + r * d
            forward(p, x, logits: z, hidden: h)
            let label = labels[r]
            let (loss, predicted) = Kernels.softmaxCrossEntropy(z, k, label: label)
            stats.lossSum += Double(loss)
            if predicted == label { stats.correct += 1 }
            guard let g = gradient?.baseAddress else { continue }
            let gw1 = g + w1Offset, gb1 = g + b1Offset, gw2 = g + w2Offset, gb2 = g + b2Offset
            // Output layer: dL/dW2[c,:] = z[c] · h, dL/db2 = z; dL/dh = W2ᵀ z.
            for j in 0..<m { dh[j] = 0 }
            for c in 0..<k {
                let zc = z[c]
                gb2[c] += zc
                Kernels.axpy(zc, h, gw2 + c * m, m)
                Kernels.axpy(zc, w2 + c * m, dh, m)
            }
            // Hidden layer through the ReLU: rows of inactive units get nothing.
            for j in 0..<m where h[j] > 0 {
                let a = dh[j]
                gb1[j] += a
                Kernels.axpy(a, x, gw1 + j * d, d)
            }
        }
        return stats
    }
}

/// Small numeric kernels over raw pointers, shared by the models.
enum Kernels {
    /// Σ a[i]·b[i], with four partial sums.
    @inline(__always)
    static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ n: Int) -> Float {
        var s0: Float = 0, s1: Float = 0, s2: Float = 0, s3: Float = 0
        var i = 0
        while i + 4 <= n {
            s0 += a[i] * b[i]
            s1 += a[i + 1] * b[i + 1]
            s2 += a[i + 2] * b[i + 2]
            s3 += a[i + 3] * b[i + 3]
            i += 4
        }
        while i < n {
            s0 += a[i] * b[i]
            i += 1
        }
        return (s0 + s1) + (s2 + s3)
    }

    /// y[i] += alpha · x[i].
    @inline(__always)
    static func axpy(_ alpha: Float, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int) {
        for i in 0..<n { y[i] += alpha * x[i] }
    }

    @inline(__always)
    static func argmax(_ z: UnsafePointer<Float>, _ n: Int) -> Int {
        var best = 0
        for c in 1..<n where z[c] > z[best] { best = c }
        return best
    }

    /// Replaces the logits `z` by softmax(z) − onehot(label) (the gradient of
    /// the cross-entropy with respect to the logits) and returns the loss
    /// −log softmax(z)[label] and the arg-max of the logits.
    @inline(__always)
    static func softmaxCrossEntropy(_ z: UnsafeMutablePointer<Float>, _ n: Int, label: Int) -> (Float, Int) {
        let best = argmax(z, n)
        let top = z[best]
        let margin = z[label] - top
        var sum: Float = 0
        for c in 0..<n {
            let e = expf(z[c] - top)
            z[c] = e
            sum += e
        }
        let loss = logf(sum) - margin
        let inverse = 1 / sum
        for c in 0..<n { z[c] *= inverse }
        z[label] -= 1
        return (loss, best)
    }
}
