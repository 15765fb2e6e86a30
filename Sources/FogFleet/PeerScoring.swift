import Foundation
import FogModel

// Peer scoring: how good a node is for a piece of work, 0–100, under one of
// eight weightings. Four base components (latency, uptime, performance,
// reliability) plus, for four of the algorithms, a fifth (proximity, load,
// efficiency or reputation). Every component is 0–100; the total is their
// weighted mean. Pure arithmetic, no I/O: the node lifecycle controller and the
// scheduler feed it what they know.
//
// Missing data earns nothing: an unmeasured component scores 0 (unknown load
// counts as full load), so a node nobody has measured never outranks a measured
// good one. Two deliberate exceptions: trust with no history is the Bayesian
// prior 0.5, and a GPU model the table does not know leaves the measured
// throughput as it is (weight 1.0).

// MARK: - Inputs

/// What the scorer knows about one node. Every measurement is optional; see
/// each component's function for how an absent one counts.
public struct NodeStats: Sendable, Equatable {
    /// Round trip to the node in milliseconds, exponentially weighted (`LatencyEWMA`).
    public var latencyMillis: Double?
    /// Weighted share of time ready, 0…1 (recent time weighted more).
    public var uptime: Double?
    /// Ready share of each recent window (e.g. hourly buckets), oldest first.
    /// Feeds the consistency bonus, and stands in for `uptime` when that is nil.
    public var uptimeWindows: [Double]
    /// Measured generation throughput.
    public var tokensPerSecond: Double?
    /// The accelerator's marketing name, e.g. "NVIDIA GeForce RTX 4090". Nil: CPU only.
    public var gpuModel: String?
    /// How many of `gpuModel` the node has; 0 means CPU only. More GPUs do not raise
    /// the GPU weight: the measured tokens/s already counts them.
    public var gpuCount: Int
    /// Current utilisation, 0…1.
    public var load: Double?
    public var disconnectionsPerDay: Double?
    /// Mean time from a disconnection back to ready.
    public var meanRecoverySeconds: Double?
    /// How long the node has been known.
    public var ageSeconds: Double
    public var region: String?
    public var zone: String?
    /// Asking price for the node's capacity, per hour.
    public var pricePerHour: Double?
    /// Reputation, 0…1 (`TrustScore.value`).
    public var trust: Double

    public init(latencyMillis: Double? = nil, uptime: Double? = nil, uptimeWindows: [Double] = [],
                tokensPerSecond: Double? = nil, gpuModel: String? = nil, gpuCount: Int = 1, load: Double? = nil,
                disconnectionsPerDay: Double? = nil, meanRecoverySeconds: Double? = nil, ageSeconds: Double = 0,
                region: String? = nil, zone: String? = nil, pricePerHour: Double? = nil,
                trust: Double = TrustScore.prior) {
        self.latencyMillis = latencyMillis; self.uptime = uptime; self.uptimeWindows = uptimeWindows
        self.tokensPerSecond = tokensPerSecond; self.gpuModel = gpuModel; self.gpuCount = gpuCount; self.load = load
        self.disconnectionsPerDay = disconnectionsPerDay; self.meanRecoverySeconds = meanRecoverySeconds
        self.ageSeconds = ageSeconds; self.region = region; self.zone = zone
        self.pricePerHour = pricePerHour; self.trust = trust
    }
}

extension NodeStats {
    /// Folds one heartbeat in: the round trip into the latency average, CPU
    /// utilisation (the only utilisation telemetry carries) as the load.
    public mutating func record(_ telemetry: NodeTelemetry, alpha: Double = LatencyEWMA.defaultAlpha) {
        if let rtt = telemetry.rttMillis, rtt.isFinite, rtt >= 0 {
            latencyMillis = PeerScoring.ewma(previous: latencyMillis, sample: rtt, alpha: alpha)
        }
        if let u = telemetry.cpu?.utilization, u.isFinite { load = u }
    }
}

/// Who is asking: where the work comes from and what capacity usually costs.
public struct ScoringContext: Sendable, Equatable {
    public var requesterRegion: String?
    public var requesterZone: String?
    /// The price per hour at which a node with performance 100 is fairly priced
    /// (efficiency 50).
    public var referencePricePerHour: Double

    public static let defaultReferencePricePerHour = 0.50

    public init(requesterRegion: String? = nil, requesterZone: String? = nil,
                referencePricePerHour: Double = ScoringContext.defaultReferencePricePerHour) {
        self.requesterRegion = requesterRegion; self.requesterZone = requesterZone
        self.referencePricePerHour = referencePricePerHour
    }
}

// MARK: - Algorithms and weights

/// One scored quantity, 0–100.
public enum ScoreComponent: String, CaseIterable, Sendable {
    case latency, uptime, performance, reliability
    case proximity, load, efficiency, reputation
}

/// How much each component counts. The four base weights always apply; `extra`
/// names the fifth component when the algorithm has one.
public struct ScoreWeights: Sendable, Equatable {
    public var latency: Double
    public var uptime: Double
    public var performance: Double
    public var reliability: Double
    public var extra: ScoreComponent?
    public var extraWeight: Double

    public init(latency: Double, uptime: Double, performance: Double, reliability: Double,
                extra: ScoreComponent? = nil, extraWeight: Double = 0) {
        self.latency = latency; self.uptime = uptime; self.performance = performance
        self.reliability = reliability; self.extra = extra; self.extraWeight = extra == nil ? 0 : extraWeight
    }

    public var sum: Double { latency + uptime + performance + reliability + extraWeight }

    /// The same proportions scaled to sum to 100. (The seed's eight sets already
    /// do; the total divides by `sum` regardless, so a custom set need not.)
    public var normalized: ScoreWeights {
        let s = sum
        guard s > 0, s != 100 else { return self }
        let f = 100 / s
        return ScoreWeights(latency: latency * f, uptime: uptime * f, performance: performance * f,
                            reliability: reliability * f, extra: extra, extraWeight: extraWeight * f)
    }

    public func weight(of component: ScoreComponent) -> Double {
        switch component {
        case .latency: return latency
        case .uptime: return uptime
        case .performance: return performance
        case .reliability: return reliability
        default: return component == extra ? extraWeight : 0
        }
    }
}

/// The eight weightings of the seed (the algorithms are named in FogModel, where a job's
/// `placement.algorithm` decodes to them).
extension ScoringAlgorithm {
    /// Percentages; each set sums to 100.
    public var weights: ScoreWeights {
        switch self {
        case .standard: return ScoreWeights(latency: 25, uptime: 25, performance: 30, reliability: 20)
        case .latencyOptimized: return ScoreWeights(latency: 60, uptime: 15, performance: 15, reliability: 10)
        case .throughputOptimized: return ScoreWeights(latency: 10, uptime: 20, performance: 55, reliability: 15)
        case .reliabilityOptimized: return ScoreWeights(latency: 15, uptime: 35, performance: 20, reliability: 30)
        case .geographicProximity:
            return ScoreWeights(latency: 20, uptime: 20, performance: 25, reliability: 15, extra: .proximity, extraWeight: 20)
        case .loadBalanced:
            return ScoreWeights(latency: 20, uptime: 20, performance: 20, reliability: 20, extra: .load, extraWeight: 20)
        case .economic:
            return ScoreWeights(latency: 15, uptime: 20, performance: 25, reliability: 20, extra: .efficiency, extraWeight: 20)
        case .consensus:
            return ScoreWeights(latency: 15, uptime: 25, performance: 25, reliability: 15, extra: .reputation, extraWeight: 20)
        }
    }

    /// The round trip that earns a full latency score. The balanced scale of the
    /// seed (10 ms = 100, 100 ms = 50, 1 s = 0) saturates below 10 ms, exactly
    /// where latency-optimized candidates differ, so that algorithm grades on the
    /// same curve one decade finer: 1 ms = 100, 10 ms = 50, 100 ms = 0.
    public var latencyTargetMillis: Double {
        self == .latencyOptimized ? 1 : PeerScoring.latencyTargetMillis
    }

    /// What the algorithm is for, in one line.
    public var summary: String {
        switch self {
        case .standard: return "Balanced: all four factors, performance slightly first; general-purpose work."
        case .latencyOptimized: return "Fastest round trip first, graded below 10 ms; interactive inference and chat."
        case .throughputOptimized: return "Tokens per second on strong GPUs first; batch processing and bulk inference."
        case .reliabilityOptimized: return "Steady uptime and few disconnections first; production and SLA-bound work."
        case .geographicProximity: return "Nodes near the requester first; edge and data-locality work."
        case .loadBalanced: return "Idle capacity first; spreads work evenly across the fleet."
        case .economic: return "Performance per unit of price first; budget-bound work."
        case .consensus: return "Track record of completed tasks first; open, trust-minimised fleets."
        }
    }
}

/// One node's score under one algorithm: every component and the total.
public struct ScoreBreakdown: Sendable, Equatable {
    public var algorithm: ScoringAlgorithm
    public var latency: Double
    public var uptime: Double
    public var performance: Double
    public var reliability: Double
    /// The algorithm's fifth component (`algorithm.weights.extra`), when it has one.
    public var extra: Double?
    /// Weighted mean of the components, 0–100.
    public var total: Double

    public var extraComponent: ScoreComponent? { algorithm.weights.extra }

    /// A component's score; nil for a fifth component the algorithm does not use.
    public subscript(component: ScoreComponent) -> Double? {
        switch component {
        case .latency: return latency
        case .uptime: return uptime
        case .performance: return performance
        case .reliability: return reliability
        default: return component == extraComponent ? extra : nil
        }
    }
}

/// A node picked by `PeerScoring.top`.
public struct RankedNode: Sendable, Equatable {
    public var id: String
    public var score: ScoreBreakdown
    public init(id: String, score: ScoreBreakdown) { self.id = id; self.score = score }
}

// MARK: - Latency average

/// Exponentially weighted round trip: each sample moves the average by `alpha`
/// of the difference, so recent samples weigh more and old ones fade (with
/// alpha 0.3 a sample's weight halves about every two samples).
public struct LatencyEWMA: Sendable, Equatable {
    public static let defaultAlpha = 0.3

    public var alpha: Double
    public private(set) var value: Double?
    public private(set) var samples = 0

    public init(alpha: Double = LatencyEWMA.defaultAlpha) { self.alpha = alpha }

    /// Adds a sample in milliseconds; a negative or non-finite one is ignored.
    public mutating func record(_ millis: Double) {
        guard millis.isFinite, millis >= 0 else { return }
        value = PeerScoring.ewma(previous: value, sample: millis, alpha: alpha)
        samples += 1
    }
}

// MARK: - Scoring

public enum PeerScoring {
    // Latency: 100 − 50·log10(ms / target), clamped to 0…100.
    /// The round trip worth 100 on the balanced scale.
    public static let latencyTargetMillis = 10.0

    // Uptime: 100 · uptime · (0.9 + 0.1 · consistency).
    /// Share of the uptime score that depends on consistency across windows.
    public static let consistencyShare = 0.1
    /// Windows after which a window's weight halves, for `weightedUptime`.
    public static let uptimeHalfLifeWindows = 12.0

    // Performance: 100 · (tokens/s ÷ 150) · GPU weight · e^(−1 · load), clamped.
    /// Tokens per second worth 100 on a weight-1.0 GPU at no load.
    public static let referenceTokensPerSecond = 150.0
    /// k in the load penalty e^(−k·load): a half-loaded node keeps 61 %, a full one 37 %.
    public static let loadPenaltyRate = 1.0
    /// The weight of a CPU-only node (no GPU model, or a GPU count of 0).
    public static let cpuWeight = 0.5
    /// The weight of a GPU not in `gpuWeights`: the measured tokens/s stands as is.
    public static let unknownGPUWeight = 1.0
    /// GPU weights, matched in order on whole words of the model name
    /// ("NVIDIA GeForce RTX 4090" matches "RTX 4090"; "A100-SXM4-80GB" matches "A100").
    /// RTX 4090, 4080 and 3090 are the seed's; the rest place other cards around them.
    public static let gpuWeights: [(model: String, weight: Double)] = [
        ("H100", 1.5), ("A100", 1.3),
        ("RTX 4090", 1.2), ("RTX 4080", 1.1), ("RTX 3090", 1.0),
        ("RTX 3080", 0.9), ("RTX 3070", 0.8), ("RTX 3060", 0.7), ("GTX 1080", 0.6),
    ]

    // Reliability: 60·e^(−disconnections/day) + 20·e^(−recovery/600 s) + 20·min(1, age/30 days).
    public static let stabilityPoints = 60.0
    public static let recoveryPoints = 20.0
    public static let recoveryScaleSeconds = 600.0
    public static let longevityPoints = 20.0
    public static let longevitySaturationSeconds = 30.0 * 86_400

    // Proximity.
    public static let sameZoneProximity = 100.0
    public static let sameRegionProximity = 70.0
    /// Regions sharing the part before the first "-" ("eu-west" and "eu-central").
    public static let sameRegionGroupProximity = 40.0

    // MARK: Components

    /// 100 − 50·log10(ms / target), clamped to 0…100. With the default target:
    /// 10 ms → 100, 31.6 ms → 75, 100 ms → 50, 1 s → 0 (and anything faster
    /// than 10 ms also 100). A negative or NaN round trip scores 0.
    public static func latencyScore(ms: Double, targetMillis: Double = latencyTargetMillis) -> Double {
        guard ms >= 0, targetMillis > 0 else { return 0 }
        if ms == 0 { return 100 }
        return clamp100(100 - 50 * log10(ms / targetMillis))
    }

    /// The next exponentially weighted average: alpha · sample + (1 − alpha) · previous,
    /// or the sample itself when there is no previous value. Alpha is clamped to 0…1.
    public static func ewma(previous: Double?, sample: Double, alpha: Double = LatencyEWMA.defaultAlpha) -> Double {
        guard let previous, previous.isFinite else { return sample }
        let a = alpha.isNaN ? LatencyEWMA.defaultAlpha : min(max(alpha, 0), 1)
        return a * sample + (1 - a) * previous
    }

    /// Ready share over windows (oldest first), each window's weight halving every
    /// `halfLife` windows back from the newest. Nil without windows.
    public static func weightedUptime(_ windows: [Double], halfLife: Double = uptimeHalfLifeWindows) -> Double? {
        guard !windows.isEmpty else { return nil }
        let decay = halfLife > 0 ? pow(0.5, 1 / halfLife) : 0
        var weight = 1.0, sum = 0.0, total = 0.0
        for w in windows.reversed() {
            sum += weight * unit(w)
            total += weight
            weight *= decay
        }
        return total > 0 ? sum / total : nil
    }

    /// 1 − 2σ of the window values (σ the population standard deviation; 0.5 is
    /// the largest σ values in 0…1 can have), so identical windows give 1 and a
    /// half-on, half-off record gives 0. Nil with fewer than two windows.
    public static func consistency(_ windows: [Double]) -> Double? {
        guard windows.count >= 2 else { return nil }
        var sum = 0.0
        for w in windows { sum += unit(w) }
        let mean = sum / Double(windows.count)
        var squares = 0.0
        for w in windows { let d = unit(w) - mean; squares += d * d }
        return max(0, 1 - 2 * (squares / Double(windows.count)).squareRoot())
    }

    /// 100 · uptime · (0.9 + 0.1 · consistency): uptime carries 90 points and
    /// consistency scales the last 10, so a node that is always down scores 0 however
    /// steady. Uptime falls back to `weightedUptime(windows)`; no uptime at all
    /// scores 0, and no consistency (fewer than two windows) earns no bonus.
    public static func uptimeScore(uptime: Double?, windows: [Double] = []) -> Double {
        guard let u = uptime ?? weightedUptime(windows), !u.isNaN else { return 0 }
        let c = consistency(windows) ?? 0
        return clamp100(100 * unit(u) * (1 - consistencyShare + consistencyShare * c))
    }

    /// The multiplier for a GPU model (see `gpuWeights`): `cpuWeight` without a
    /// GPU, `unknownGPUWeight` for one the table does not name.
    public static func gpuWeight(model: String?, count: Int = 1) -> Double {
        guard let model, count > 0 else { return cpuWeight }
        return GPUName.firstWeight(in: model, keys: gpuKeys) ?? unknownGPUWeight
    }

    /// 100 · (tokens/s ÷ 150) · GPU weight · e^(−load), clamped to 0…100. No
    /// throughput measured scores 0; unknown load counts as full load.
    public static func performanceScore(tokensPerSecond: Double?, gpuModel: String?, gpuCount: Int = 1,
                                        load: Double?) -> Double {
        guard let tps = tokensPerSecond, tps > 0 else { return 0 }
        let l = load.map(unit) ?? 1
        return clamp100(100 * tps / referenceTokensPerSecond * gpuWeight(model: gpuModel, count: gpuCount)
                        * exp(-loadPenaltyRate * l))
    }

    /// 60·e^(−disconnections per day) + 20·e^(−recovery seconds / 600) + 20·min(1, age / 30 days).
    /// Stability halves about every 0.7 disconnections a day; recovery loses 63 %
    /// of its points per 10 minutes; longevity grows linearly to 30 days. A node
    /// with no disconnections has nothing to recover from and keeps the recovery
    /// points; an unknown rate or recovery time earns that part nothing.
    public static func reliabilityScore(disconnectionsPerDay: Double?, meanRecoverySeconds: Double?,
                                        ageSeconds: Double) -> Double {
        var score = 0.0
        if let d = disconnectionsPerDay, !d.isNaN {
            score += stabilityPoints * exp(-max(0, d))
        }
        if let d = disconnectionsPerDay, d <= 0 {
            score += recoveryPoints
        } else if let r = meanRecoverySeconds, !r.isNaN {
            score += recoveryPoints * exp(-max(0, r) / recoveryScaleSeconds)
        }
        if ageSeconds > 0 {
            score += longevityPoints * min(1, ageSeconds / longevitySaturationSeconds)
        }
        return clamp100(score)
    }

    /// Same zone 100, same region 70, same region group 40, known and farther 0.
    /// When the locations cannot be compared (either side's region unknown), the
    /// round trip stands in, capped at 70: a guess never beats a confirmed same
    /// region. No location and no round trip scores 0.
    public static func proximityScore(region: String?, zone: String?, latencyMillis: Double?,
                                      context: ScoringContext) -> Double {
        let regionsKnown = region != nil && context.requesterRegion != nil
        if let zone, zone == context.requesterZone, !regionsKnown || region == context.requesterRegion {
            return sameZoneProximity
        }
        if let region, let requester = context.requesterRegion {
            if region == requester { return sameRegionProximity }
            return regionGroup(region) == regionGroup(requester) ? sameRegionGroupProximity : 0
        }
        guard let ms = latencyMillis else { return 0 }
        return min(sameRegionProximity, latencyScore(ms: ms))
    }

    /// 100 · (1 − load); unknown load counts as full load and scores 0.
    public static func loadScore(load: Double?) -> Double {
        guard let load, !load.isNaN else { return 0 }
        return 100 * (1 - unit(load))
    }

    /// Value for money: with ρ = (performance / 100) · (reference price / price),
    /// 100 · ρ / (1 + ρ). Performance 100 at the reference price gives 50, three
    /// times that value 75; the scale never saturates. Unknown price scores 0, a
    /// free node with any performance 100.
    public static func efficiencyScore(performance: Double, pricePerHour: Double?,
                                       referencePricePerHour: Double = ScoringContext.defaultReferencePricePerHour) -> Double {
        guard let price = pricePerHour, !price.isNaN, performance > 0, referencePricePerHour > 0 else { return 0 }
        guard price > 0 else { return 100 }
        let rho = performance / 100 * referencePricePerHour / price
        return clamp100(100 * rho / (1 + rho))
    }

    /// 100 · trust.
    public static func reputationScore(trust: Double) -> Double { 100 * unit(trust) }

    // MARK: Whole score

    /// Every component the algorithm uses and their weighted mean.
    public static func score(_ stats: NodeStats, algorithm: ScoringAlgorithm = .standard,
                             context: ScoringContext = ScoringContext()) -> ScoreBreakdown {
        score(stats, algorithm: algorithm, weights: algorithm.weights,
              latencyTargetMillis: algorithm.latencyTargetMillis, context: context)
    }

    static func score(_ s: NodeStats, algorithm: ScoringAlgorithm, weights w: ScoreWeights,
                      latencyTargetMillis: Double, context: ScoringContext) -> ScoreBreakdown {
        let latency = s.latencyMillis.map { latencyScore(ms: $0, targetMillis: latencyTargetMillis) } ?? 0
        let uptime = uptimeScore(uptime: s.uptime, windows: s.uptimeWindows)
        let performance = performanceScore(tokensPerSecond: s.tokensPerSecond, gpuModel: s.gpuModel,
                                           gpuCount: s.gpuCount, load: s.load)
        let reliability = reliabilityScore(disconnectionsPerDay: s.disconnectionsPerDay,
                                           meanRecoverySeconds: s.meanRecoverySeconds, ageSeconds: s.ageSeconds)
        var extra: Double?
        switch w.extra {
        case .proximity?: extra = proximityScore(region: s.region, zone: s.zone, latencyMillis: s.latencyMillis, context: context)
        case .load?: extra = loadScore(load: s.load)
        case .efficiency?:
            extra = efficiencyScore(performance: performance, pricePerHour: s.pricePerHour,
                                    referencePricePerHour: context.referencePricePerHour)
        case .reputation?: extra = reputationScore(trust: s.trust)
        default: extra = nil
        }
        let weighted = w.latency * latency + w.uptime * uptime + w.performance * performance
            + w.reliability * reliability + w.extraWeight * (extra ?? 0)
        let sum = w.sum
        return ScoreBreakdown(algorithm: algorithm, latency: latency, uptime: uptime, performance: performance,
                              reliability: reliability, extra: extra, total: sum > 0 ? clamp100(weighted / sum) : 0)
    }

    // MARK: Top k

    /// The `k` best nodes, best first; equal totals rank by id, ascending. Keeps
    /// a bounded heap of the best k seen so far, so the cost is O(n log k) and
    /// the only allocations are the heap and the result.
    public static func top<Nodes: Sequence>(_ nodes: Nodes, k: Int, algorithm: ScoringAlgorithm = .standard,
                                            context: ScoringContext = ScoringContext()) -> [RankedNode]
    where Nodes.Element == (id: String, stats: NodeStats) {
        guard k > 0 else { return [] }
        let weights = algorithm.weights
        let target = algorithm.latencyTargetMillis
        // A min-heap under `ranksBelow`: the root is the worst node kept.
        var heap: [RankedNode] = []
        heap.reserveCapacity(min(k, max(16, nodes.underestimatedCount)))
        for node in nodes {
            let s = score(node.stats, algorithm: algorithm, weights: weights, latencyTargetMillis: target, context: context)
            if heap.count < k {
                heap.append(RankedNode(id: node.id, score: s))
                siftUp(&heap, from: heap.count - 1)
            } else if ranksBelow(heap[0].score.total, heap[0].id, s.total, node.id) {
                heap[0] = RankedNode(id: node.id, score: s)
                siftDown(&heap, from: 0)
            }
        }
        heap.sort { ranksBelow($1.score.total, $1.id, $0.score.total, $0.id) }
        return heap
    }

    /// Whether (total a, id a) ranks after (total b, id b).
    @inline(__always)
    static func ranksBelow(_ ta: Double, _ ia: String, _ tb: Double, _ ib: String) -> Bool {
        ta < tb || (ta == tb && ia > ib)
    }

    private static func below(_ heap: [RankedNode], _ i: Int, _ j: Int) -> Bool {
        ranksBelow(heap[i].score.total, heap[i].id, heap[j].score.total, heap[j].id)
    }

    private static func siftUp(_ heap: inout [RankedNode], from index: Int) {
        var child = index
        while child > 0 {
            let parent = (child - 1) / 2
            guard below(heap, child, parent) else { return }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    private static func siftDown(_ heap: inout [RankedNode], from index: Int) {
        var parent = index
        let n = heap.count
        while true {
            let left = 2 * parent + 1
            guard left < n else { return }
            var worst = left
            if left + 1 < n, below(heap, left + 1, left) { worst = left + 1 }
            guard below(heap, worst, parent) else { return }
            heap.swapAt(worst, parent)
            parent = worst
        }
    }

    // MARK: Helpers

    /// NaN → 0, otherwise clamped to 0…100.
    @inline(__always)
    static func clamp100(_ x: Double) -> Double { x.isNaN ? 0 : min(max(x, 0), 100) }

    /// NaN → 0, otherwise clamped to 0…1.
    @inline(__always)
    static func unit(_ x: Double) -> Double { x.isNaN ? 0 : min(max(x, 0), 1) }

    private static func regionGroup(_ region: String) -> Substring {
        region.firstIndex(of: "-").map { region[..<$0] } ?? region[...]
    }

    private static let gpuKeys: [GPUName.Key] = gpuWeights.map { (GPUName.words(of: $0.model), $0.weight) }
}

// MARK: - GPU names

/// Matching of GPU model names on whole words: runs of ASCII letters or of digits,
/// compared without case, so "RTX4090", "rtx 4090" and "GeForce RTX 4090 D" all
/// contain the words "rtx", "4090", while "RTX A1000" does not contain "a", "100".
/// Scans the name's UTF-8 in place; allocates nothing.
enum GPUName {
    typealias Key = (words: [[UInt8]], weight: Double)

    /// Lower-cased words of a table entry.
    static func words(of name: String) -> [[UInt8]] {
        var name = name
        return name.withUTF8 { bytes in
            var words: [[UInt8]] = []
            var cursor = Cursor(bytes: bytes)
            while let r = cursor.next() { words.append(bytes[r].map(lower)) }
            return words
        }
    }

    /// The weight of the first key whose words occur consecutively in `name`.
    static func firstWeight(in name: String, keys: [Key]) -> Double? {
        var name = name
        return name.withUTF8 { bytes in
            for key in keys where contains(key.words, in: bytes) { return key.weight }
            return nil
        }
    }

    /// Whether `words` occur consecutively in `bytes`.
    static func contains(_ words: [[UInt8]], in bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let first = words.first else { return false }
        var cursor = Cursor(bytes: bytes)
        var matched = 0
        while let r = cursor.next() {
            if equal(bytes, r, words[matched]) {
                matched += 1
            } else {
                // Words within one entry differ, so a failed match can only restart here.
                matched = equal(bytes, r, first) ? 1 : 0
            }
            if matched == words.count { return true }
        }
        return false
    }

    private static func equal(_ bytes: UnsafeBufferPointer<UInt8>, _ r: Range<Int>, _ key: [UInt8]) -> Bool {
        guard r.count == key.count else { return false }
        var j = 0
        for i in r {
            if lower(bytes[i]) != key[j] { return false }
            j += 1
        }
        return true
    }

    @inline(__always)
    static func lower(_ b: UInt8) -> UInt8 { b >= 65 && b <= 90 ? b + 32 : b }

    /// 0: separator, 1: letter, 2: digit.
    @inline(__always)
    static func kind(_ b: UInt8) -> Int {
        if (b >= 65 && b <= 90) || (b >= 97 && b <= 122) { return 1 }
        if b >= 48 && b <= 57 { return 2 }
        return 0
    }

    /// Yields the words of a UTF-8 buffer as index ranges.
    struct Cursor {
        let bytes: UnsafeBufferPointer<UInt8>
        var i = 0

        mutating func next() -> Range<Int>? {
            let n = bytes.count
            while i < n, kind(bytes[i]) == 0 { i += 1 }
            guard i < n else { return nil }
            let start = i
            let k = kind(bytes[i])
            while i < n, kind(bytes[i]) == k { i += 1 }
            return start..<i
        }
    }
}

// MARK: - Seed profiles

/// The seed's five peer profiles, for tests and the simulator. The seed gives
/// GPU, tokens/s, uptime and latency range; the rest is ours and matches the
/// simulator's `FleetProfile`s: typical load (the fastest node is the most
/// sought after and runs hottest; LoadBalanced the coolest), mean recovery
/// (the simulator's mean outage), and disconnections a day following from both:
/// (1 − uptime) · 86 400 s ÷ recovery. Prices are rough hourly rates for each
/// card; trust comes from 100 task outcomes with a success share equal to the uptime.
public enum SeedProfile: String, CaseIterable, Sendable {
    case highPerformance = "HighPerformance"
    case lowLatency = "LowLatency"
    case unreliable = "Unreliable"
    case stable = "Stable"
    case loadBalanced = "LoadBalanced"

    /// Age given to every profile's typical node: longevity fully earned, so it
    /// does not separate them.
    public static let typicalAgeSeconds = 30.0 * 86_400

    /// The simulator's profile, where the numbers live.
    public var fleet: FleetProfile {
        switch self {
        case .highPerformance: return .highPerformance
        case .lowLatency: return .lowLatency
        case .unreliable: return .unreliable
        case .stable: return .stable
        case .loadBalanced: return .loadBalanced
        }
    }

    public var gpuModel: String { fleet.gpuModel ?? "" }
    public var tokensPerSecond: Double { fleet.tokensPerSecond }
    public var uptime: Double { fleet.uptime }
    /// Round-trip range, milliseconds.
    public var latencyRange: ClosedRange<Double> { fleet.latencyMillis }
    public var typicalLoad: Double { fleet.baseLoad }
    public var meanRecoverySeconds: Double { fleet.meanOutageSeconds }

    /// (1 − uptime) · 86 400 ÷ mean recovery: 2.88, 7.2, 24, 0.288 and 5.76.
    public var disconnectionsPerDay: Double { (1 - uptime) * 86_400 / meanRecoverySeconds }

    public var pricePerHour: Double { fleet.askPerHour }

    /// 100 task outcomes, successes = uptime · 100 rounded.
    public var taskHistory: TrustScore {
        let successes = Int((uptime * 100).rounded())
        return TrustScore(successes: successes, failures: 100 - successes)
    }

    /// A typical day in 24 hourly windows, oldest first: the day's downtime,
    /// (1 − uptime) · 24 h, as one outage from the first hour on (an outage-prone
    /// node loses whole hours, which is what the consistency bonus should see).
    public var typicalUptimeWindows: [Double] {
        let down = (1 - uptime) * 24
        return (0..<24).map { 1 - min(1, max(0, down - Double($0))) }
    }

    /// The profile at the middle of its latency range and its typical load.
    public var typicalStats: NodeStats {
        NodeStats(latencyMillis: (latencyRange.lowerBound + latencyRange.upperBound) / 2, uptime: uptime,
                  uptimeWindows: typicalUptimeWindows, tokensPerSecond: tokensPerSecond, gpuModel: gpuModel,
                  load: typicalLoad, disconnectionsPerDay: disconnectionsPerDay,
                  meanRecoverySeconds: meanRecoverySeconds, ageSeconds: Self.typicalAgeSeconds,
                  pricePerHour: pricePerHour, trust: taskHistory.value)
    }
}
