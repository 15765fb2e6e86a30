/// How rows are dealt to clients.
public enum PartitionScheme: Sendable, Hashable, CustomStringConvertible {
    /// Shuffle all rows and deal them round-robin: shard sizes differ by at
    /// most one and every shard has (about) the global class mix.
    case iid
    /// Label skew: for each class, the shares of its rows going to the K
    /// clients are drawn from a symmetric Dirichlet(α, …, α). Small α (0.1)
    /// gives clients a few dominant classes; large α (100) approaches IID.
    case dirichlet(alpha: Double)

    public var description: String {
        switch self {
        case .iid: return "iid"
        case .dirichlet(let a): return "dirichlet(\(a))"
        }
    }
}

/// Rows of a data set split among clients: `shards[k]` holds the row
/// indices of client k in ascending order. Every row is in exactly one shard.
///
///     let p = try Partition(labels: train.labels, classCount: 10, clients: 10,
///                           scheme: .dirichlet(alpha: 0.5), seed: 3)
///     let client0 = train.rows(p.shards[0])
public struct Partition: Sendable, Equatable {
    public let shards: [[Int]]

    /// How many times a Dirichlet draw is repeated before rows are moved.
    public static let dirichletAttempts = 100

    /// Partitions `labels.count` rows among `clients`.
    ///
    /// Minimum size: every client gets at least `minimumSamples` rows (so that
    /// it can train at all), which needs `clients × minimumSamples ≤ rows`.
    /// - IID dealing gives ⌊rows / clients⌋ or one more to each client.
    /// - Dirichlet: if a draw leaves a client below the minimum, the whole
    ///   draw is repeated, continuing the same random stream, up to
    ///   `dirichletAttempts` times (the usual practice, which keeps the
    ///   Dirichlet shape); if every attempt fails (tiny α with many clients)
    ///   the last draw is repaired by moving rows one at a time, chosen at
    ///   random, from the largest client to the smallest until all reach the
    ///   minimum.
    public init(labels: [Int], classCount: Int, clients: Int, scheme: PartitionScheme, seed: UInt64,
                minimumSamples: Int = 10) throws {
        guard clients > 0 else { throw LearningError.invalidArgument("clients must be positive, got \(clients)") }
        guard minimumSamples >= 0 else { throw LearningError.invalidArgument("minimumSamples must be ≥ 0") }
        guard clients * minimumSamples <= labels.count else {
            throw LearningError.invalidArgument(
                "\(clients) clients × \(minimumSamples) minimum samples exceed the \(labels.count) rows")
        }
        guard labels.allSatisfy({ $0 >= 0 && $0 < classCount }) else {
            throw LearningError.invalidArgument("labels must lie in 0..<\(classCount)")
        }
        var rng = Xoshiro256(seed: seed)
        switch scheme {
        case .iid:
            shards = Partition.deal(count: labels.count, clients: clients, rng: &rng)
        case .dirichlet(let alpha):
            guard alpha > 0, alpha.isFinite else {
                throw LearningError.invalidArgument("Dirichlet α must be positive and finite, got \(alpha)")
            }
            shards = Partition.dirichlet(labels: labels, classCount: classCount, clients: clients, alpha: alpha,
                                         minimumSamples: minimumSamples, rng: &rng)
        }
    }

    /// Shard sizes.
    public var sizes: [Int] { shards.map(\.count) }

    /// `counts[k][c]`: rows of class c held by client k.
    public func classCounts(labels: [Int], classCount: Int) -> [[Int]] {
        shards.map { shard in
            var c = [Int](repeating: 0, count: classCount)
            for i in shard { c[labels[i]] += 1 }
            return c
        }
    }

    private static func deal(count: Int, clients: Int, rng: inout Xoshiro256) -> [[Int]] {
        var order = Array(0..<count)
        rng.shuffle(&order)
        var shards = [[Int]](repeating: [], count: clients)
        for (position, row) in order.enumerated() { shards[position % clients].append(row) }
        return shards.map { $0.sorted() }
    }

    private static func dirichlet(labels: [Int], classCount: Int, clients: Int, alpha: Double, minimumSamples: Int,
                                  rng: inout Xoshiro256) -> [[Int]] {
        var byClass = [[Int]](repeating: [], count: classCount)
        for (i, y) in labels.enumerated() { byClass[y].append(i) }
        var shards = [[Int]]()
        for _ in 0..<dirichletAttempts {
            shards = [[Int]](repeating: [], count: clients)
            for rows in byClass where !rows.isEmpty {
                var members = rows
                rng.shuffle(&members)
                let share = rng.nextDirichlet(alpha: alpha, count: clients)
                // Cut the shuffled class at the rounded cumulative shares.
                var cumulative = 0.0
                var start = 0
                for k in 0..<clients {
                    cumulative += share[k]
                    let end = k == clients - 1 ? members.count
                        : min(members.count, max(start, Int((cumulative * Double(members.count)).rounded())))
                    shards[k].append(contentsOf: members[start..<end])
                    start = end
                }
            }
            if shards.allSatisfy({ $0.count >= minimumSamples }) { return shards.map { $0.sorted() } }
        }
        // Repair the last draw: move random rows from the largest to the smallest shard.
        while true {
            let smallest = shards.indices.min { shards[$0].count < shards[$1].count }!
            if shards[smallest].count >= minimumSamples { break }
            let largest = shards.indices.max { shards[$0].count < shards[$1].count }!
            let pick = rng.nextInt(below: shards[largest].count)
            shards[largest].swapAt(pick, shards[largest].count - 1)
            shards[smallest].append(shards[largest].removeLast())
        }
        return shards.map { $0.sorted() }
    }
}
