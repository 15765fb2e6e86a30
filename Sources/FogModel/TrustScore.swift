/// Reputation from task outcomes: the Bayesian estimate of the success rate
/// with a uniform prior, (successes + 1) / (successes + failures + 2). No
/// history gives 0.5; 9 successes and 1 failure give 10/12.
public struct TrustScore: Sendable, Equatable {
    public static let prior = 0.5

    public var successes: Int
    public var failures: Int

    public init(successes: Int = 0, failures: Int = 0) {
        self.successes = max(0, successes); self.failures = max(0, failures)
    }

    public var value: Double { Double(successes + 1) / Double(successes + failures + 2) }

    public mutating func record(success: Bool) {
        if success { successes += 1 } else { failures += 1 }
    }
}

