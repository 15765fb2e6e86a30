import Foundation

/// The Gaussian mechanism of DP-FedAvg, on the aggregator's side: every participant's update
/// is clipped to L2 norm `C` (``clipNorm``), the clipped updates are averaged, and Gaussian
/// noise is added to the mean.
///
/// Adding or removing one participant changes the sum of clipped updates by at most `C` in
/// L2 norm, so noise of standard deviation `σ·C` on the sum (σ = ``noiseMultiplier``) makes
/// one round the Gaussian mechanism with noise multiplier σ — what ``RDPAccountant`` counts.
/// On the mean of `n` updates that is `σ·C/n` per coordinate.
///
/// Clipping belongs on the aggregator, after a compressed update is decoded: the bound then
/// holds whatever the codec did (8-bit rounding can lengthen a vector slightly).
///
/// Under Poisson sampling the guarantee is for a *fixed* denominator: `n` should be the
/// expected number of participants (`q` times the eligible population), not the number that
/// happened to report, or the count itself leaks (McMahan et al. 2018, "Learning
/// differentially private recurrent language models"). ``noisyMean(of:denominator:using:)``
/// takes the denominator for that reason.
///
/// Noise comes from the generator the caller passes. A seeded generator (the module's
/// `Xoshiro256`) makes a run reproducible, for simulations and tests — on one platform, as
/// the Gaussian transform uses the C library's `log`, `sin` and `cos`. Noise that protects
/// real data must be unpredictable: `SystemRandomNumberGenerator`, or a generator seeded
/// from it and kept secret; a seed that is known lets anyone subtract the noise.
public struct GaussianMechanism: Sendable, Hashable {
    /// C, the L2 norm every update is clipped to (> 0).
    public var clipNorm: Float
    /// σ, the noise standard deviation divided by ``clipNorm`` (≥ 0).
    public var noiseMultiplier: Double

    public init(clipNorm: Float, noiseMultiplier: Double) {
        precondition(clipNorm > 0 && clipNorm.isFinite, "clip norm must be positive and finite")
        precondition(noiseMultiplier >= 0 && noiseMultiplier.isFinite, "noise multiplier must be non-negative and finite")
        self.clipNorm = clipNorm
        self.noiseMultiplier = noiseMultiplier
    }

    /// The L2 norm of `v`, accumulated in double precision.
    public static func l2Norm(_ v: [Float]) -> Float {
        var sum = 0.0
        for x in v { sum += Double(x) * Double(x) }
        return Float(sum.squareRoot())
    }

    /// Scales `v` down, if needed, so that its L2 norm is at most `norm`, and returns its norm
    /// before clipping. A vector already within the norm is left exactly as it is.
    ///
    /// A vector with a non-finite coordinate has no meaningful norm; it is replaced by zeros
    /// (it would otherwise poison the aggregate and void the sensitivity bound) and the
    /// returned norm is non-finite, so the caller can exclude or flag its sender.
    ///
    /// ```swift
    /// var update: [Float] = [3, 4]
    /// let before = GaussianMechanism.clip(&update, norm: 1)   // 5; update is now [0.6, 0.8]
    /// ```
    @discardableResult
    public static func clip(_ v: inout [Float], norm: Float) -> Float {
        precondition(norm >= 0, "clip norm must be non-negative")
        var sum = 0.0
        for x in v { sum += Double(x) * Double(x) }
        let original = sum.squareRoot()
        guard original.isFinite else {
            for k in v.indices { v[k] = 0 }
            return Float(original)
        }
        if original > Double(norm) {
            let scale = Double(norm) / original
            for k in v.indices { v[k] = Float(Double(v[k]) * scale) }
        }
        return Float(original)
    }

    /// The standard deviation of the noise on the mean of `denominator` clipped updates: σ·C/n.
    public func noiseStandardDeviation(denominator n: Double) -> Double {
        precondition(n > 0, "denominator must be positive")
        return noiseMultiplier * Double(clipNorm) / n
    }

    /// Adds independent N(0, (σ·C/n)²) noise to every coordinate of `mean`, the mean of `n`
    /// clipped updates.
    public func addNoise(toMean mean: inout [Float], denominator n: Double, using generator: inout some RandomNumberGenerator) {
        let std = noiseStandardDeviation(denominator: n)
        guard std > 0 else { return }
        var gaussian = GaussianSampler()
        for k in mean.indices {
            mean[k] = Float(Double(mean[k]) + std * gaussian.next(using: &generator))
        }
    }

    /// Clips each update to ``clipNorm``, sums them, divides by `denominator` (by default the
    /// number of updates; see the type's note on Poisson sampling) and adds the noise.
    /// Returns the noisy mean and each update's norm before clipping.
    ///
    /// - Precondition: at least one update, all of the same length.
    public func noisyMean(of updates: [[Float]], denominator: Double? = nil,
                          using generator: inout some RandomNumberGenerator) -> (mean: [Float], norms: [Float]) {
        precondition(!updates.isEmpty, "at least one update")
        let dimension = updates[0].count
        precondition(updates.allSatisfy { $0.count == dimension }, "updates must have the same length")
        let n = denominator ?? Double(updates.count)
        var sum = [Double](repeating: 0, count: dimension)
        var norms: [Float] = []
        norms.reserveCapacity(updates.count)
        for update in updates {
            var clipped = update
            norms.append(Self.clip(&clipped, norm: clipNorm))
            for k in 0..<dimension { sum[k] += Double(clipped[k]) }
        }
        var mean = sum.map { Float($0 / n) }
        addNoise(toMean: &mean, denominator: n, using: &generator)
        return (mean, norms)
    }
}

/// Standard normal samples by the Box–Muller transform: two uniforms give two independent
/// normals; the second is kept for the next call.
public struct GaussianSampler: Sendable {
    private var spare: Double?

    public init() {}

    /// One N(0, 1) sample.
    public mutating func next(using generator: inout some RandomNumberGenerator) -> Double {
        if let s = spare {
            spare = nil
            return s
        }
        // u1 in (0, 1] so that log(u1) is finite; u2 in [0, 1). 53 random bits each.
        let u1 = Double((generator.next() >> 11) + 1) * 0x1p-53
        let u2 = Double(generator.next() >> 11) * 0x1p-53
        let radius = (-2 * log(u1)).squareRoot()
        let angle = 2 * Double.pi * u2
        spare = radius * sin(angle)
        return radius * cos(angle)
    }
}
