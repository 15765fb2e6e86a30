/// One client's contribution to a round.
///
/// `parameters` is the client's full parameter vector after local training,
/// not a delta: like Flower's strategies, every aggregation rule here works
/// on parameter vectors. (For the mean-based rules the two are the same —
/// mean(w_i) = w_global + mean(w_i − w_global) — and for the median, the
/// trimmed mean and Krum's distances shifting every vector by w_global
/// changes nothing either; `ByzantineDetection` is where deltas matter, and it
/// takes the global vector to compute them.)
public struct Update: Sendable, Hashable {
    public var id: String
    public var parameters: [Float]
    /// Training rows behind the update: the weight in sample-weighted means.
    public var samples: Int

    public init(id: String, parameters: [Float], samples: Int) {
        self.id = id
        self.parameters = parameters
        self.samples = samples
    }
}

/// Server-side aggregation rules. The raw values are the names used in
/// manifests and reports.
public enum AggregationStrategy: String, Sendable, Hashable, CaseIterable, Codable {
    /// Sample-weighted mean (FedAvg).
    case fedavg
    /// FedProx: the server rule is FedAvg's; the proximal term μ/2·‖w − w_global‖²
    /// is applied by the clients (`LocalTrainingConfig.proximalMu`).
    case fedprox
    /// Coordinate-wise median (mean of the two middle values for an even count).
    case fedmedian
    /// Coordinate-wise trimmed mean: ⌊β·n⌋ values are dropped at each end of
    /// every coordinate and the rest averaged (unweighted).
    case trimmedMean = "trimmed-mean"
    /// Krum: the single update whose summed squared distance to its n − f − 2
    /// nearest neighbours is smallest.
    case krum
    /// Multi-Krum: the sample-weighted mean of the m updates with the best
    /// Krum scores (m = n − f by default).
    case multiKrum = "multi-krum"
}

/// The outcome of aggregating a round.
public struct AggregationResult: Sendable, Hashable {
    public var parameters: [Float]
    /// Ids of the updates that entered the result (for the coordinate-wise
    /// rules, all of them).
    public var selected: [String]
    /// Krum scores in input order (Krum and Multi-Krum only).
    public var scores: [Double]?
}

/// A configured aggregation rule.
///
///     let agg = Aggregator(strategy: .multiKrum, byzantineCount: 3)
///     let next = try agg.aggregate(updates).parameters
public struct Aggregator: Sendable, Hashable {
    public var strategy: AggregationStrategy
    /// β for trimmed-mean: the fraction dropped at each end, 0 ≤ β < 0.5.
    public var trimFraction: Double
    /// f for Krum and Multi-Krum: how many updates may be Byzantine.
    public var byzantineCount: Int
    /// m for Multi-Krum; `nil` means n − f.
    public var selectionCount: Int?

    public init(strategy: AggregationStrategy, trimFraction: Double = 0.2, byzantineCount: Int = 0, selectionCount: Int? = nil) {
        self.strategy = strategy
        self.trimFraction = trimFraction
        self.byzantineCount = byzantineCount
        self.selectionCount = selectionCount
    }

    /// Aggregates `updates`, which must be non-empty and of equal length.
    /// Throws `LearningError` on empty input, different lengths, negative
    /// sample counts or an out-of-range β, f or m.
    public func aggregate(_ updates: [Update]) throws -> AggregationResult {
        guard let first = updates.first else { throw LearningError.emptyInput("no updates to aggregate") }
        let length = first.parameters.count
        for u in updates where u.parameters.count != length {
            throw LearningError.shapeMismatch("update \(u.id) has \(u.parameters.count) parameters, \(first.id) has \(length)")
        }
        for u in updates where u.samples < 0 {
            throw LearningError.invalidArgument("update \(u.id) has a negative sample count")
        }
        let n = updates.count
        let ids = updates.map(\.id)
        switch strategy {
        case .fedavg, .fedprox:
            return AggregationResult(parameters: Aggregation.weightedMean(updates), selected: ids, scores: nil)
        case .fedmedian:
            return AggregationResult(parameters: Aggregation.median(updates.map(\.parameters)), selected: ids, scores: nil)
        case .trimmedMean:
            guard trimFraction >= 0, trimFraction < 0.5 else {
                throw LearningError.invalidArgument("trimmed-mean β must be in [0, 0.5), got \(trimFraction)")
            }
            let k = Int(trimFraction * Double(n))
            return AggregationResult(parameters: Aggregation.trimmedMean(updates.map(\.parameters), trim: k),
                                     selected: ids, scores: nil)
        case .krum, .multiKrum:
            guard byzantineCount >= 0, byzantineCount < n else {
                throw LearningError.invalidArgument("Krum f must be in 0..<\(n), got \(byzantineCount)")
            }
            let scores = Aggregation.krumScores(updates.map(\.parameters), byzantine: byzantineCount)
            // Best score first; equal scores by input order.
            let ranked = (0..<n).sorted { scores[$0] != scores[$1] ? scores[$0] < scores[$1] : $0 < $1 }
            if strategy == .krum {
                let best = ranked[0]
                return AggregationResult(parameters: updates[best].parameters, selected: [ids[best]], scores: scores)
            }
            let m = selectionCount ?? (n - byzantineCount)
            guard m >= 1, m <= n else { throw LearningError.invalidArgument("Multi-Krum m must be in 1...\(n), got \(m)") }
            let chosen = ranked.prefix(m).sorted()
            let subset = chosen.map { updates[$0] }
            return AggregationResult(parameters: Aggregation.weightedMean(subset), selected: chosen.map { ids[$0] },
                                     scores: scores)
        }
    }
}

/// The numeric cores of the aggregation rules, over contiguous Float vectors.
enum Aggregation {
    /// Coordinates per block: the output block (32 KiB) stays in L1 while
    /// each update streams through it.
    static let meanBlock = 8192

    /// Σ (samples_i / Σ samples) · w_i; equal weights if every update has 0 samples.
    static func weightedMean(_ updates: [Update]) -> [Float] {
        let total = updates.reduce(0) { $0 + $1.samples }
        let weights = updates.map { total > 0 ? Float(Double($0.samples) / Double(total)) : 1 / Float(updates.count) }
        return weightedMean(updates.map(\.parameters), weights: weights)
    }

    static func weightedMean(_ vectors: [[Float]], weights: [Float]) -> [Float] {
        let length = vectors[0].count
        var out = [Float](repeating: 0, count: length)
        withPointers(vectors) { ptrs in
            out.withUnsafeMutableBufferPointer { y in
                let y = y.baseAddress!
                var start = 0
                while start < length {
                    let count = min(meanBlock, length - start)
                    let yb = y + start
                    for (v, w) in zip(ptrs, weights) {
                        let xb = v + start
                        for j in 0..<count { yb[j] += w * xb[j] }
                    }
                    start += count
                }
            }
        }
        return out
    }

    /// Coordinates gathered per block for the order statistics: 64 × n floats.
    static let orderBlock = 64

    /// Coordinate-wise median.
    static func median(_ vectors: [[Float]]) -> [Float] {
        let n = vectors.count
        return orderStatistic(vectors) { column in
            if n % 2 == 1 {
                select(column, 0, n, n / 2)
                return column[n / 2]
            }
            select(column, 0, n, n / 2)
            // The lower middle is the largest value left of n/2.
            var lower = column[0]
            for i in 1..<(n / 2) where column[i] > lower { lower = column[i] }
            return (lower + column[n / 2]) / 2
        }
    }

    /// Coordinate-wise mean after dropping the `trim` smallest and `trim`
    /// largest values of each coordinate (`2 · trim < n`).
    static func trimmedMean(_ vectors: [[Float]], trim: Int) -> [Float] {
        let n = vectors.count
        precondition(2 * trim < n, "trimmed mean would drop every value")
        let inverse = 1 / Float(n - 2 * trim)
        return orderStatistic(vectors) { column in
            if trim > 0 {
                select(column, 0, n, trim)                // column[0..<trim]: the smallest
                select(column, trim, n, n - trim - 1)     // column[n-trim..<n]: the largest
            }
            var sum: Float = 0
            for i in trim..<(n - trim) { sum += column[i] }
            return sum * inverse
        }
    }

    /// Applies `reduce` to each coordinate's n values (in a scratch buffer it
    /// may reorder), gathering blocks of coordinates to keep memory access
    /// sequential.
    static func orderStatistic(_ vectors: [[Float]], _ reduce: (UnsafeMutablePointer<Float>) -> Float) -> [Float] {
        let n = vectors.count
        let length = vectors[0].count
        var out = [Float](repeating: 0, count: length)
        var buffer = [Float](repeating: 0, count: orderBlock * n)
        withPointers(vectors) { ptrs in
            out.withUnsafeMutableBufferPointer { y in
                buffer.withUnsafeMutableBufferPointer { b in
                    let b = b.baseAddress!
                    var start = 0
                    while start < length {
                        let count = min(orderBlock, length - start)
                        for (i, v) in ptrs.enumerated() {
                            let x = v + start
                            for k in 0..<count { b[k * n + i] = x[k] }
                        }
                        for k in 0..<count { y[start + k] = reduce(b + k * n) }
                        start += count
                    }
                }
            }
        }
        return out
    }

    /// Rearranges `a[lo..<hi]` so that `a[k]` holds the value it would hold
    /// if the range were sorted, with nothing larger before it and nothing
    /// smaller after it. Quickselect with a median-of-three pivot and
    /// branch-free Lomuto partitions (a compare and a conditional increment
    /// per element, no unpredictable branch); a second pass gathers the
    /// values equal to the pivot, so ties (coordinates no client changed)
    /// cost one pass. Always terminates, NaN included (it compares as "not
    /// less"), though NaN values end up in no particular place.
    static func select(_ a: UnsafeMutablePointer<Float>, _ lo: Int, _ hi: Int, _ k: Int) {
        var lo = lo, hi = hi - 1  // inclusive
        while hi - lo >= 8 {
            let mid = lo + (hi - lo) / 2
            if a[mid] < a[lo] { swap(a, mid, lo) }
            if a[hi] < a[lo] { swap(a, hi, lo) }
            if a[hi] < a[mid] { swap(a, hi, mid) }
            swap(a, mid, hi)  // the pivot waits at hi
            let pivot = a[hi]
            // a[lo..<store] < pivot, a[store..<i] ≥ pivot.
            var store = lo
            for i in lo..<hi {
                let x = a[i]
                a[i] = a[store]
                a[store] = x
                store &+= Int(unsafeBitCast(x < pivot, to: UInt8.self))
            }
            swap(a, store, hi)
            if k < store { hi = store - 1; continue }
            if k == store { return }
            // a[store + 1 ... hi] ≥ pivot: gather the values equal to it.
            var equal = store + 1
            for i in (store + 1)...hi {
                let x = a[i]
                a[i] = a[equal]
                a[equal] = x
                equal &+= Int(unsafeBitCast(x <= pivot, to: UInt8.self))
            }
            if k < equal { return }
            lo = equal
        }
        // Insertion sort of the short range that contains k.
        if hi > lo {
            for i in (lo + 1)...hi {
                let x = a[i]
                var j = i
                while j > lo && a[j - 1] > x {
                    a[j] = a[j - 1]
                    j -= 1
                }
                a[j] = x
            }
        }
    }

    @inline(__always)
    private static func swap(_ a: UnsafeMutablePointer<Float>, _ i: Int, _ j: Int) {
        let t = a[i]
        a[i] = a[j]
        a[j] = t
    }

    /// Coordinates per block for the pairwise distances: n × 1024 floats
    /// (400 KiB for 100 updates) stay in L2 while all pairs are formed.
    static let distanceBlock = 1024

    /// All pairwise squared Euclidean distances, `d[i * n + j]`.
    static func pairwiseSquaredDistances(_ vectors: [[Float]]) -> [Double] {
        let n = vectors.count
        let length = vectors[0].count
        var d = [Double](repeating: 0, count: n * n)
        withPointers(vectors) { ptrs in
            var start = 0
            while start < length {
                let count = min(distanceBlock, length - start)
                for i in 0..<n {
                    for j in (i + 1)..<n {
                        let s = Double(squaredDistance(ptrs[i] + start, ptrs[j] + start, count))
                        d[i * n + j] += s
                    }
                }
                start += count
            }
        }
        for i in 0..<n {
            for j in (i + 1)..<n { d[j * n + i] = d[i * n + j] }
        }
        return d
    }

    /// Krum score of each vector: the sum of its squared distances to its
    /// max(1, n − f − 2) nearest other vectors (0 when it is alone).
    static func krumScores(_ vectors: [[Float]], byzantine f: Int) -> [Double] {
        let n = vectors.count
        guard n > 1 else { return [Double](repeating: 0, count: n) }
        let d = pairwiseSquaredDistances(vectors)
        let neighbours = min(n - 1, max(1, n - f - 2))
        return (0..<n).map { i in
            var row = [Double]()
            row.reserveCapacity(n - 1)
            for j in 0..<n where j != i { row.append(d[i * n + j]) }
            row.sort()
            return row.prefix(neighbours).reduce(0, +)
        }
    }

    /// Σ (a[i] − b[i])², with 8-wide vector partial sums. (Multiply then add:
    /// `addingProduct` would be a fused multiply-add, which the x86-64
    /// baseline has no instruction for and computes lane by lane in software.)
    @inline(__always)
    static func squaredDistance(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ n: Int) -> Float {
        var acc0 = SIMD8<Float>(), acc1 = SIMD8<Float>()
        let ra = UnsafeRawPointer(a), rb = UnsafeRawPointer(b)
        var i = 0
        while i + 16 <= n {
            let d0 = ra.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
                - rb.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
            let d1 = ra.loadUnaligned(fromByteOffset: i * 4 + 32, as: SIMD8<Float>.self)
                - rb.loadUnaligned(fromByteOffset: i * 4 + 32, as: SIMD8<Float>.self)
            acc0 += d0 * d0
            acc1 += d1 * d1
            i += 16
        }
        var sum = (acc0 + acc1).sum()
        while i < n {
            let t = a[i] - b[i]
            sum += t * t
            i += 1
        }
        return sum
    }

    /// Σ a[i]·b[i], with 8-wide vector partial sums.
    @inline(__always)
    static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ n: Int) -> Float {
        var acc0 = SIMD8<Float>(), acc1 = SIMD8<Float>()
        let ra = UnsafeRawPointer(a), rb = UnsafeRawPointer(b)
        var i = 0
        while i + 16 <= n {
            acc0 += ra.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
                * rb.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
            acc1 += ra.loadUnaligned(fromByteOffset: i * 4 + 32, as: SIMD8<Float>.self)
                * rb.loadUnaligned(fromByteOffset: i * 4 + 32, as: SIMD8<Float>.self)
            i += 16
        }
        var sum = (acc0 + acc1).sum()
        while i < n {
            sum += a[i] * b[i]
            i += 1
        }
        return sum
    }

    /// Calls `body` with base pointers to every vector, valid for its duration.
    static func withPointers<R>(_ vectors: [[Float]], _ body: ([UnsafePointer<Float>]) -> R) -> R {
        var ptrs = [UnsafePointer<Float>]()
        ptrs.reserveCapacity(vectors.count)
        func nest(_ i: Int) -> R {
            if i == vectors.count { return body(ptrs) }
            return vectors[i].withUnsafeBufferPointer { b in
                ptrs.append(b.baseAddress ?? UnsafePointer(bitPattern: 0x10)!)
                return nest(i + 1)
            }
        }
        return nest(0)
    }
}

/// Two-level aggregation: each region's updates are combined by its aggregator,
/// then the regional results are combined, weighted by the samples behind them.
/// With `fedavg` this is exactly flat FedAvg (up to floating-point rounding):
/// Σ_r (n_r/N) Σ_{i∈r} (n_i/n_r) w_i = Σ_i (n_i/N) w_i. The round pipeline's split
/// (`RoundPipeline.regional`, then `combine`) without screening or privacy.
public enum HierarchicalAggregation {
    public static func aggregate(_ updates: [Update], region: (String) -> String, with aggregator: Aggregator) throws -> [Float] {
        guard let first = updates.first else { throw LearningError.emptyInput("no updates to aggregate") }
        var none = SystemRandomNumberGenerator()
        let regions = Dictionary(updates.map { ($0.id, region($0.id)) }, uniquingKeysWith: { a, _ in a })
        let pipeline = RoundPipeline(aggregator: aggregator, region: { regions[$0] ?? "" })
        return try pipeline.run(updates, global: [Float](repeating: 0, count: first.parameters.count), using: &none).parameters
    }
}
