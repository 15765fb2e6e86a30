// Seeded random numbers shared by the simulated fleet and the learning library:
// the same seed gives the same sequence on every platform and toolchain.

/// SplitMix64: a tiny generator used to expand one 64-bit seed into the state
/// of a larger generator, and to derive independent seeds from a seed and a
/// few integers (`SplitMix64.mix`).
public struct SplitMix64: RandomNumberGenerator, Sendable {
    public private(set) var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A seed derived from `seed` and `values` (for example a round and a
    /// client index), so that each (round, client) pair gets its own stream.
    ///
    ///     let clientSeed = SplitMix64.mix(jobSeed, round, client)
    public static func mix(_ seed: UInt64, _ values: Int...) -> UInt64 {
        var g = SplitMix64(seed: seed)
        var h = g.next()
        for v in values {
            g = SplitMix64(seed: h ^ UInt64(bitPattern: Int64(v)))
            h = g.next()
        }
        return h
    }
}
