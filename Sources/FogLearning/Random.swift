import FogModel
import Foundation

// Seeded random numbers for FogLearning.
//
// Everything random in this module — splits, partitions, initial weights,
// minibatch order, simulated attacks — draws from `Xoshiro256` seeded through
// `SplitMix64`, and every draw (bounded integers, shuffles, normals, gammas)
// is implemented here rather than taken from the standard library, whose
// algorithms may change between Swift releases. The same seed therefore gives
// the same integers on every platform and toolchain, and the same normals and
// gammas on one platform (they use the C library's `log` and `pow`, whose last
// bits may differ between platforms).

/// xoshiro256**: the generator behind every random draw in FogLearning.
/// Its 256-bit state is filled from a 64-bit seed by `SplitMix64`.
///
///     var rng = Xoshiro256(seed: 42)
///     let u = rng.nextDouble()        // uniform in [0, 1)
///     let k = rng.nextInt(below: 10)  // uniform in 0..<10
public struct Xoshiro256: RandomNumberGenerator, Sendable {
    private var s0, s1, s2, s3: UInt64

    public init(seed: UInt64) {
        var sm = SplitMix64(seed: seed)
        s0 = sm.next(); s1 = sm.next(); s2 = sm.next(); s3 = sm.next()
    }

    @inline(__always)
    public mutating func next() -> UInt64 {
        let result = rotl(s1 &* 5, 7) &* 9
        let t = s1 << 17
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = rotl(s3, 45)
        return result
    }

    @inline(__always)
    private func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

    /// Uniform in [0, 1) with 53 random bits.
    @inline(__always)
    public mutating func nextDouble() -> Double {
        Double(next() >> 11) * 0x1.0p-53
    }

    /// Uniform in [0, 1) with 24 random bits.
    @inline(__always)
    public mutating func nextFloat() -> Float {
        Float(next() >> 40) * 0x1.0p-24
    }

    /// Uniform in `0..<bound` without modulo bias (Lemire's multiply-shift
    /// with rejection). `bound` must be positive.
    public mutating func nextInt(below bound: Int) -> Int {
        precondition(bound > 0, "bound must be positive")
        let b = UInt64(bound)
        var product = next().multipliedFullWidth(by: b)
        if product.low < b {
            let threshold = (0 &- b) % b
            while product.low < threshold {
                product = next().multipliedFullWidth(by: b)
            }
        }
        return Int(product.high)
    }

    /// Standard normal N(0, 1) (Marsaglia's polar method; the second value of
    /// each pair is dropped so that the stream has no hidden state).
    public mutating func nextGaussian() -> Double {
        while true {
            let u = 2 * nextDouble() - 1
            let v = 2 * nextDouble() - 1
            let s = u * u + v * v
            if s > 0 && s < 1 {
                return u * (-2 * log(s) / s).squareRoot()
            }
        }
    }

    /// Gamma(shape, 1) by Marsaglia and Tsang's method (2000). For
    /// `shape < 1` it draws Gamma(shape + 1) and multiplies by U^(1/shape).
    ///
    ///     var rng = Xoshiro256(seed: 1)
    ///     let g = rng.nextGamma(shape: 0.5)   // mean 0.5, variance 0.5
    public mutating func nextGamma(shape: Double) -> Double {
        precondition(shape > 0 && shape.isFinite, "gamma shape must be positive and finite")
        if shape < 1 {
            let g = nextGamma(shape: shape + 1)
            var u = nextDouble()
            while u == 0 { u = nextDouble() }
            return g * pow(u, 1 / shape)
        }
        let d = shape - 1.0 / 3.0
        let c = 1 / (9 * d).squareRoot()
        while true {
            var x: Double
            var v: Double
            repeat {
                x = nextGaussian()
                v = 1 + c * x
            } while v <= 0
            v = v * v * v
            let u = nextDouble()
            let x2 = x * x
            // Squeeze test first; the logarithm only when it fails.
            if u < 1 - 0.0331 * x2 * x2 { return d * v }
            if u > 0, log(u) < 0.5 * x2 + d * (1 - v + log(v)) { return d * v }
        }
    }

    /// A draw from the symmetric Dirichlet(α, …, α) over `count` components,
    /// as normalised Gamma(α) draws. The result sums to 1.
    public mutating func nextDirichlet(alpha: Double, count: Int) -> [Double] {
        precondition(count > 0, "count must be positive")
        var g = (0..<count).map { _ in nextGamma(shape: alpha) }
        var total = g.reduce(0, +)
        if total <= 0 || !total.isFinite {
            // Every component underflowed (tiny α): put all the mass on one.
            g = [Double](repeating: 0, count: count)
            g[nextInt(below: count)] = 1
            total = 1
        }
        return g.map { $0 / total }
    }

    /// Fisher–Yates shuffle in place, using `nextInt(below:)`.
    public mutating func shuffle<T>(_ array: inout [T]) {
        var i = array.count - 1
        while i > 0 {
            let j = nextInt(below: i + 1)
            if i != j { array.swapAt(i, j) }
            i -= 1
        }
    }
}
