import Foundation

/// A Rényi-DP accountant for the Poisson-subsampled Gaussian mechanism: the mechanism of
/// DP-FedAvg, where each round every eligible participant takes part independently with
/// probability `q`, each update is clipped to L2 norm `C`, and Gaussian noise of standard
/// deviation `σ·C` is added to the sum.
///
/// The accountant keeps, for each Rényi order α, the RDP spent so far (RDP composes by
/// addition), and converts to (ε, δ)-DP on demand by taking the best order. It reproduces
/// Google's dp-accounting `RdpAccountant` (0.6.0) with its default orders, number for
/// number; `Tests/FogLearningTests/PrivacyAccountantTests.swift` holds vectors made with it
/// by `scripts/dp-test-vectors.py`.
///
/// ## RDP of one step
/// With `σ` the noise multiplier (noise standard deviation divided by the clip norm) and `q`
/// the sampling rate, the RDP of order α is `log(A_α)/(α − 1)` with
/// `A_α = E_{z∼N(0,σ²)}[((1 − q) + q·e^{(2z − 1)/(2σ²)})^α]` (Mironov, Talwar and Zhang 2019,
/// "Rényi Differential Privacy of the Sampled Gaussian Mechanism"):
/// - `q = 0`: nothing is released, RDP 0; `σ = 0`: no noise, RDP ∞.
/// - `q = 1`: the plain Gaussian mechanism, `α/(2σ²)` exactly.
/// - integer α: the binomial expansion
///   `A_α = Σ_{i=0…α} C(α,i) qⁱ (1−q)^{α−i} e^{(i²−i)/(2σ²)}`, summed in log space.
/// - fractional α: the two-sided series of section 3.3 of the paper, split at
///   `z₀ = σ²·log(1/q − 1) + ½`, each term weighted by a Gaussian tail (`erfc`), summed in log
///   space until both halves decrease and their last terms are below `e⁻³⁰` of the total; a
///   series that has not settled after 1000 terms gives ∞ for that order, which then simply
///   never wins. As in the reference, every term enters by its magnitude (`log|C(α,i)|`);
///   past `i > α` the binomial coefficients of a fractional order alternate in sign, so the
///   series over-estimates `A_α` a little (σ = 2, q = 0.1, α = 1.5: 0.00273 where numerical
///   integration gives 0.00210). The error is on the safe side.
///
/// ## From RDP to (ε, δ)
/// For each order, the conversion of Balle et al. 2020 ("Hypothesis testing interpretations
/// and Rényi differential privacy", eq. 20) and Canonne, Kamath and Steinke 2020 ("The
/// discrete Gaussian for differential privacy", proposition 12), which dp-accounting uses:
///
///     ε(α) = rdp(α) + log((α − 1)/α) − (log δ + log α)/(α − 1)
///
/// It is never worse than the classic `rdp(α) + log(1/δ)/(α − 1)` (Mironov 2017). Orders at or
/// below 1.01 are skipped (the formula is unstable there). An order whose RDP is so small
/// that `δ² > 1 − e^{−rdp}` gives ε = 0 (the KL-divergence bound `δ ≤ √(1 − e^{−KL})`). The
/// answer is the smallest ε over the orders (the first order on ties), and that order.
///
/// ## Orders
/// ``defaultOrders`` is dp-accounting's default grid: 1.1, 1.2, …, 10.9 (every tenth), the
/// integers 11…63, then 128, 256, 512 and 1024 — 156 orders.
///
/// ```swift
/// var accountant = RDPAccountant()
/// accountant.compose(noiseMultiplier: 1.1, samplingRate: 0.01, steps: 100)
/// let (epsilon, order) = accountant.epsilon(delta: 1e-5)   // ≈ 0.956 at α = 10.7
/// ```
public struct RDPAccountant: Sendable, Hashable {
    /// dp-accounting's default orders: `1 + x/10` for x in 1…99, 11…63, 128, 256, 512, 1024.
    public static let defaultOrders: [Double] = {
        var orders: [Double] = (1...99).map { (x: Int) -> Double in 1 + Double(x) / 10.0 }
        orders += (11...63).map { (x: Int) -> Double in Double(x) }
        orders += [128, 256, 512, 1024]
        return orders
    }()

    /// The Rényi orders the accountant tracks, each above 1.
    public let orders: [Double]
    /// The RDP spent so far at each of ``orders``.
    public private(set) var rdp: [Double]
    /// The number of steps (rounds) composed so far.
    public private(set) var steps: Int

    /// An accountant that has spent nothing.
    ///
    /// - Precondition: every order is above 1.
    public init(orders: [Double] = RDPAccountant.defaultOrders) {
        precondition(!orders.isEmpty && orders.allSatisfy { $0 > 1 }, "RDP orders must be above 1")
        self.orders = orders
        self.rdp = Array(repeating: 0, count: orders.count)
        self.steps = 0
    }

    /// An accountant restored from saved state (``orders``, ``rdp`` and ``steps`` of an earlier one).
    ///
    /// - Precondition: `rdp` has one value per order, none negative or NaN, and `steps ≥ 0`.
    public init(orders: [Double], rdp: [Double], steps: Int) {
        self.init(orders: orders)
        precondition(rdp.count == orders.count, "one RDP value per order")
        precondition(rdp.allSatisfy { $0 >= 0 }, "RDP values must be non-negative")
        precondition(steps >= 0, "steps must be non-negative")
        self.rdp = rdp
        self.steps = steps
    }

    /// Adds `steps` rounds of the Poisson-subsampled Gaussian mechanism.
    ///
    /// - Parameters:
    ///   - noiseMultiplier: σ, the noise standard deviation divided by the clip norm (≥ 0; 0 spends ∞).
    ///   - samplingRate: q in [0, 1]: expected participants per round over the eligible
    ///     population, or 1 when every eligible participant takes part.
    ///   - steps: how many such rounds (≥ 0).
    public mutating func compose(noiseMultiplier: Double, samplingRate: Double, steps: Int = 1) {
        precondition(steps >= 0, "steps must be non-negative")
        guard steps > 0 else { return }  // and no 0·∞ when σ = 0
        let perStep = Self.subsampledGaussianRDP(noiseMultiplier: noiseMultiplier, samplingRate: samplingRate, orders: orders)
        let count = Double(steps)
        for k in rdp.indices { rdp[k] += count * perStep[k] }
        self.steps += steps
    }

    /// The ε spent so far at target `delta`, and the order that gives it.
    public func epsilon(delta: Double) -> (epsilon: Double, order: Double) {
        Self.epsilon(orders: orders, rdp: rdp, delta: delta)
    }

    /// The ε that would be spent after `steps` further rounds at these parameters; the
    /// accountant itself is unchanged.
    public func projectedEpsilon(delta: Double, noiseMultiplier: Double, samplingRate: Double, steps: Int = 1) -> Double {
        let perStep = Self.subsampledGaussianRDP(noiseMultiplier: noiseMultiplier, samplingRate: samplingRate, orders: orders)
        return projected(perStep: perStep, steps: steps, delta: delta)
    }

    /// Whether `steps` further rounds (by default the next one) would take ε above `epsilonBudget`.
    ///
    /// A job asks this before starting a round and stops, with its budget exhausted, when
    /// the answer is yes: ε then never exceeds the budget. The projection adds exactly what
    /// ``compose(noiseMultiplier:samplingRate:steps:)`` would add.
    public func wouldExceed(epsilonBudget: Double, delta: Double, noiseMultiplier: Double, samplingRate: Double,
                            steps: Int = 1) -> Bool {
        projectedEpsilon(delta: delta, noiseMultiplier: noiseMultiplier, samplingRate: samplingRate, steps: steps) > epsilonBudget
    }

    /// The largest number of further rounds `k` (0 ≤ k ≤ `limit`) after which ε is still at
    /// most `epsilonBudget`; `limit` when even that many fit (for instance when `q = 0`; a
    /// limit of `Int.max` counts as `Int.max − 1`).
    ///
    /// ε grows with the number of steps at every order, so this is a search: doubling, then
    /// bisection, about `2·log₂ k` conversions.
    public func remainingSteps(epsilonBudget: Double, delta: Double, noiseMultiplier: Double, samplingRate: Double,
                               limit: Int = 1_000_000) -> Int {
        precondition(limit >= 0, "limit must be non-negative")
        let limit = min(limit, Int.max - 1)
        let perStep = Self.subsampledGaussianRDP(noiseMultiplier: noiseMultiplier, samplingRate: samplingRate, orders: orders)
        func fits(_ k: Int) -> Bool { projected(perStep: perStep, steps: k, delta: delta) <= epsilonBudget }
        guard limit > 0, fits(0), fits(1) else { return 0 }
        // Invariant: fits(low), and high is past the limit or does not fit.
        var low = 1
        var high = 2
        while high <= limit, fits(high) {
            low = high
            high = high > limit / 2 ? limit + 1 : high * 2
        }
        high = min(high, limit + 1)
        while high - low > 1 {
            let mid = low + (high - low) / 2
            if fits(mid) { low = mid } else { high = mid }
        }
        return low
    }

    /// The smallest noise multiplier σ with which `steps` rounds at sampling rate
    /// `samplingRate` spend at most `epsilonBudget` at `delta`, to a relative precision of
    /// `tolerance` (the answer errs on the side of more noise); `nil` when no σ up to 8192
    /// fits. For a privacy policy that gives ε but no noise multiplier.
    public static func noiseMultiplier(epsilonBudget: Double, delta: Double, samplingRate: Double, steps: Int,
                                       orders: [Double] = RDPAccountant.defaultOrders,
                                       tolerance: Double = 1e-4) -> Double? {
        precondition(steps >= 0 && epsilonBudget > 0 && tolerance > 0)
        func fits(_ sigma: Double) -> Bool {
            var accountant = RDPAccountant(orders: orders)
            accountant.compose(noiseMultiplier: sigma, samplingRate: samplingRate, steps: steps)
            return accountant.epsilon(delta: delta).epsilon <= epsilonBudget
        }
        var high = 1.0
        while !fits(high) {
            high *= 2
            if high > 1e4 { return nil }
        }
        var low = high / 2
        while low > 1e-3, fits(low) {
            high = low
            low /= 2
        }
        if fits(low) { return low }
        while (high - low) > tolerance * high {
            let mid = (low + high) / 2
            if fits(mid) { high = mid } else { low = mid }
        }
        return high
    }

    private func projected(perStep: [Double], steps: Int, delta: Double) -> Double {
        precondition(steps >= 0, "steps must be non-negative")
        guard steps > 0 else { return epsilon(delta: delta).epsilon }
        let count = Double(steps)
        var after = rdp
        for k in after.indices { after[k] += count * perStep[k] }
        return Self.epsilon(orders: orders, rdp: after, delta: delta).epsilon
    }
}

// MARK: - RDP of the subsampled Gaussian

extension RDPAccountant {
    /// RDP of one step of the Poisson-subsampled Gaussian mechanism at each order.
    ///
    /// - Precondition: `noiseMultiplier ≥ 0`, `samplingRate` in [0, 1].
    public static func subsampledGaussianRDP(noiseMultiplier sigma: Double, samplingRate q: Double,
                                             orders: [Double]) -> [Double] {
        precondition(q >= 0 && q <= 1, "sampling rate must be in [0, 1], got \(q)")
        precondition(sigma >= 0, "noise multiplier must be non-negative, got \(sigma)")
        return orders.map { alpha in
            if q == 0 { return 0 }
            if alpha.isInfinite || sigma == 0 { return .infinity }
            if q == 1 { return alpha / (2 * (sigma * sigma)) }
            let logA = alpha.rounded() == alpha
                ? logAInteger(q: q, sigma: sigma, alpha: Int(alpha))
                : logAFractional(q: q, sigma: sigma, alpha: alpha)
            return logA / (alpha - 1)
        }
    }

    /// log(A_α) for an integer α and 0 < q < 1: the binomial expansion, in log space.
    static func logAInteger(q: Double, sigma: Double, alpha: Int) -> Double {
        var logA = -Double.infinity
        let logQ = log(q)
        let log1mq = log1p(-q)
        let twoSigma2 = 2 * (sigma * sigma)
        let a = Double(alpha)
        for i in 0...alpha {
            let di = Double(i)
            let logCoef = logBinomial(a, di) + di * logQ + (a - di) * log1mq
            let s = logCoef + (di * di - di) / twoSigma2
            logA = logAdd(logA, s)
        }
        return logA
    }

    /// The most terms of the fractional-order series; beyond it the order counts as ∞.
    static let maxFractionalTerms = 1000

    /// log(A_α) for a fractional α and 0 < q < 1 (Mironov, Talwar and Zhang 2019, §3.3).
    static func logAFractional(q: Double, sigma: Double, alpha: Double) -> Double {
        var logA0 = -Double.infinity
        var logA1 = -Double.infinity
        let sigma2 = sigma * sigma
        let z0 = sigma2 * log(1 / q - 1) + 0.5
        let logQ = log(q)
        let log1mq = log1p(-q)
        let logHalf = log(0.5)
        let tailScale = 2.0.squareRoot() * sigma
        var lastS0 = -Double.infinity
        var lastS1 = -Double.infinity
        for step in 0..<maxFractionalTerms {
            let i = Double(step)
            let logCoef = logBinomial(alpha, i)
            let j = alpha - i
            let logT0 = logCoef + i * logQ + j * log1mq
            let logT1 = logCoef + j * logQ + i * log1mq
            let logE0 = logHalf + logErfc((i - z0) / tailScale)
            let logE1 = logHalf + logErfc((z0 - j) / tailScale)
            let logS0 = logT0 + (i * i - i) / (2 * sigma2) + logE0
            let logS1 = logT1 + (j * j - j) / (2 * sigma2) + logE1
            logA0 = logAdd(logA0, logS0)
            logA1 = logAdd(logA1, logS1)
            let total = logAdd(logA0, logA1)
            if logS0 < lastS0, logS1 < lastS1, max(logS0, logS1) < total - 30 {
                return total
            }
            lastS0 = logS0
            lastS1 = logS1
        }
        return .infinity
    }

    /// log(eˣ + eʸ) without overflow.
    static func logAdd(_ x: Double, _ y: Double) -> Double {
        let a = min(x, y)
        let b = max(x, y)
        if a == -.infinity { return b }
        return log1p(exp(a - b)) + b
    }

    /// log|C(n, k)| through log-gamma, for real n and k.
    static func logBinomial(_ n: Double, _ k: Double) -> Double {
        logGamma(n + 1) - logGamma(k + 1) - logGamma(n - k + 1)
    }

    /// log|Γ(x)|; the reentrant form, so concurrent callers share no global sign.
    static func logGamma(_ x: Double) -> Double {
        var sign: Int32 = 0
        return lgamma_r(x, &sign)
    }

    /// log(erfc(x)), accurate where erfc(x) itself underflows.
    static func logErfc(_ x: Double) -> Double {
        if x.isNaN { return .nan }
        if x < 25 { return log(erfc(x)) }
        if x == .infinity { return -.infinity }
        // erfc(x) = e^{−x²}/(x√π) · Σₙ (−1)ⁿ (2n−1)!!/(2x²)ⁿ; at x ≥ 25 ten terms are exact to
        // far below a double's precision (the tenth is about 1e−20).
        let inverse = 1 / (2 * x * x)
        var term = 1.0
        var sum = 1.0
        for n in 1...10 {
            term *= -Double(2 * n - 1) * inverse
            sum += term
        }
        return -x * x - log(x) - 0.5 * log(Double.pi) + log(sum)
    }
}

// MARK: - Conversion to (ε, δ)

extension RDPAccountant {
    /// The smallest ε over `orders` for target `delta`, and the order that gives it (see the
    /// type's documentation for the conversion). `delta = 0` gives ε = 0 if nothing was
    /// spent and ∞ otherwise (order 0 in both cases, as in the reference).
    ///
    /// - Precondition: `delta ≥ 0`; one RDP value per order; every order at least 1.
    public static func epsilon(orders: [Double], rdp: [Double], delta: Double) -> (epsilon: Double, order: Double) {
        precondition(delta >= 0, "delta must be non-negative, got \(delta)")
        if delta == 0 {
            return rdp.allSatisfy { $0 == 0 } ? (0, 0) : (.infinity, 0)
        }
        precondition(orders.count == rdp.count && !orders.isEmpty, "one RDP value per order")
        var best = Double.infinity
        var bestIndex = 0
        var first = true
        for (k, (alpha, r)) in zip(orders, rdp).enumerated() {
            precondition(alpha >= 1, "Rényi orders must be at least 1, got \(alpha)")
            let epsilon: Double
            if r.isNaN {
                epsilon = .infinity  // cannot happen from compose; counted as spent, not as free
            } else if r < 0 {
                epsilon = 0  // numerical trouble upstream; the reference answers 0 as well
            } else if delta * delta + expm1(-r) > 0 {
                epsilon = 0  // δ ≤ √(1 − e^{−KL}) already holds
            } else if alpha > 1.01 {
                epsilon = r + log1p(-1 / alpha) - log(delta * alpha) / (alpha - 1)
            } else {
                epsilon = .infinity
            }
            if first || epsilon < best {
                best = epsilon
                bestIndex = k
                first = false
            }
        }
        return (max(0, best), orders[bestIndex])
    }
}
