/// Reals kept as integer counts of `1/scale`, for sums that are added to and taken from one
/// change at a time (a tally kept by a cache's change handler): integer sums are exact, so
/// taking a share away again leaves what was there, and the sum does not depend on the order
/// of the changes, as a running sum of doubles would. A value is clamped to ±`limit` (so that
/// many of them cannot overflow); one that is not a number counts as nothing.
public struct FixedPoint: Sendable {
    public let scale: Double
    public let limit: Double

    public init(scale: Double, limit: Double) {
        self.scale = scale
        self.limit = limit
    }

    public func units(_ x: Double) -> Int64 {
        guard !x.isNaN else { return 0 }
        return Int64((Swift.min(Swift.max(x, -limit), limit) * scale).rounded())
    }

    public func value(_ units: Int64) -> Double { Double(units) / scale }
}
