/// A relay as path selection sees it (facts the controller reads from the FogNode).
public struct RelayCandidate: Sendable, Equatable {
    public var name: String
    public var region: String
    /// Its owner (a family, as Tor's): two relays of one owner never share a circuit. Absent:
    /// the relay is its own family.
    public var owner: String?
    /// 0...1.
    public var trust: Double
    /// Peer score 0...100.
    public var score: Double
    /// Fraction of time up, 0...1.
    public var uptime: Double
    /// Ready, publishing an onion key and a relay address, under its limits.
    public var usable: Bool

    public init(name: String, region: String, owner: String?, trust: Double, score: Double, uptime: Double, usable: Bool = true) {
        self.name = name
        self.region = region
        self.owner = owner
        self.trust = trust
        self.score = score
        self.uptime = uptime
        self.usable = usable
    }

    /// The family key: the owner, or the relay's own name when it has none.
    public var family: String { owner.map { "owner:" + $0 } ?? "relay:" + name }

    /// How likely it is to be picked: score × uptime, never zero (a new relay with no score
    /// yet still gets some traffic).
    public var weight: Double { max(0.01, (score / 100) * uptime) }
}

/// The rules a path must satisfy (a CircuitPool's spec).
public struct PathConstraints: Sendable, Equatable {
    public var hops: Int
    /// Every hop in a different region.
    public var distinctRegions: Bool
    /// Lowest trust accepted.
    public var minTrust: Double
    /// Relays not to use (for example the ones of the circuit being replaced, or full ones).
    public var excluded: Set<String>

    public init(hops: Int, distinctRegions: Bool, minTrust: Double, excluded: Set<String> = []) {
        self.hops = hops
        self.distinctRegions = distinctRegions
        self.minTrust = minTrust
        self.excluded = excluded
    }

    /// Whether `path` satisfies every rule (the one check the tests and the controller share).
    public func violations(of path: [RelayCandidate]) -> [String] {
        var out: [String] = []
        if path.count != hops { out.append("\(path.count) hops, want \(hops)") }
        if Set(path.map(\.name)).count != path.count { out.append("a relay appears twice") }
        if Set(path.map(\.family)).count != path.count { out.append("two relays of one owner") }
        if distinctRegions, Set(path.map(\.region)).count != path.count { out.append("two relays in one region") }
        for r in path {
            if r.trust < minTrust { out.append("\(r.name) trust \(r.trust) < \(minTrust)") }
            if !r.usable { out.append("\(r.name) not usable") }
            if excluded.contains(r.name) { out.append("\(r.name) excluded") }
        }
        return out
    }
}

/// Why no path could be built, in words an operator can act on.
public struct PathRefusal: Error, Equatable, Sendable, CustomStringConvertible {
    public enum Reason: String, Sendable {
        /// Fewer eligible relays than hops.
        case tooFewRelays = "TooFewRelays"
        /// Enough relays, but not enough distinct regions / owners among them.
        case notDiverseEnough = "NotDiverseEnough"
    }
    public var reason: Reason
    public var message: String
    public var description: String { message }
}

/// Picks circuit paths: weighted by score × uptime, seeded, and exact — it returns a path
/// whenever one satisfying every constraint exists, and says why not otherwise.
///
/// Distinct regions and distinct owners together make "choose `hops` relays, no two sharing
/// a region or an owner" a matching problem (each relay is an edge between its region and its
/// owner); a maximum bipartite matching says at once whether a path exists. Picking then goes
/// hop by hop (the exit first, as Tor does): a weighted draw among the relays that still leave
/// a completable path, so the draw never paints itself into a corner.
public enum PathSelection {
    public static func select<G: RandomNumberGenerator>(from candidates: [RelayCandidate], _ c: PathConstraints,
                                                        using rng: inout G) -> Result<[RelayCandidate], PathRefusal> {
        let eligible = candidates.filter { $0.usable && $0.trust >= c.minTrust && !c.excluded.contains($0.name) }
        // One relay per name (a name listed twice is one relay).
        var seen = Set<String>()
        let pool = eligible.filter { seen.insert($0.name).inserted }
        guard pool.count >= c.hops else {
            let unusable = candidates.filter { !$0.usable }.count
            let lowTrust = candidates.filter { $0.usable && $0.trust < c.minTrust }.count
            return .failure(PathRefusal(reason: .tooFewRelays, message:
                "\(pool.count) eligible relays for \(c.hops) hops (\(candidates.count) relays: \(unusable) not ready or without an onion key, \(lowTrust) below trust \(c.minTrust)"
                + (c.excluded.isEmpty ? "" : ", \(c.excluded.count) excluded") + ")"))
        }
        let best = maximumDiversePath(pool, distinctRegions: c.distinctRegions)
        guard best >= c.hops else {
            let what = c.distinctRegions ? "distinct regions and distinct owners" : "distinct owners"
            let regions = Set(pool.map(\.region)).count, owners = Set(pool.map(\.family)).count
            return .failure(PathRefusal(reason: .notDiverseEnough, message:
                "at most \(best) of \(pool.count) eligible relays have \(what) (\(regions) regions, \(owners) owners), \(c.hops) hops needed"))
        }
        var chosen: [RelayCandidate] = []
        var remaining = pool
        while chosen.count < c.hops {
            // Relays that do not clash with those chosen.
            var open = remaining.filter { r in
                !chosen.contains { $0.family == r.family || (c.distinctRegions && $0.region == r.region) }
            }
            while true {
                guard let pick = weightedDraw(open, using: &rng) else {
                    // Cannot happen: the matching said a completion exists.
                    return .failure(PathRefusal(reason: .notDiverseEnough, message: "no completion found after \(chosen.count) hops"))
                }
                let candidate = open[pick]
                let rest = open.filter { r in r.name != candidate.name && r.family != candidate.family && !(c.distinctRegions && r.region == candidate.region) }
                if maximumDiversePath(rest, distinctRegions: c.distinctRegions) >= c.hops - chosen.count - 1 {
                    chosen.append(candidate)
                    remaining = rest
                    break
                }
                open.remove(at: pick)
            }
        }
        // The exit was picked first; the circuit runs guard → middle → exit.
        return .success(chosen.reversed())
    }

    static func weightedDraw<G: RandomNumberGenerator>(_ items: [RelayCandidate], using rng: inout G) -> Int? {
        guard !items.isEmpty else { return nil }
        let total = items.reduce(0) { $0 + $1.weight }
        var x = Double.random(in: 0..<total, using: &rng)
        for (i, r) in items.enumerated() {
            x -= r.weight
            if x < 0 { return i }
        }
        return items.count - 1
    }

    /// The most relays that can share a path: a maximum matching between regions and owners
    /// (augmenting paths), or the number of owners when regions may repeat.
    static func maximumDiversePath(_ relays: [RelayCandidate], distinctRegions: Bool) -> Int {
        guard distinctRegions else { return Set(relays.map(\.family)).count }
        var regionIndex: [String: Int] = [:], ownerIndex: [String: Int] = [:]
        var edges: [[Int]] = []
        for r in relays {
            let ri = regionIndex[r.region] ?? { let i = regionIndex.count; regionIndex[r.region] = i; edges.append([]); return i }()
            let oi = ownerIndex[r.family] ?? { let i = ownerIndex.count; ownerIndex[r.family] = i; return i }()
            if !edges[ri].contains(oi) { edges[ri].append(oi) }
        }
        var ownerMatch = [Int](repeating: -1, count: ownerIndex.count)
        func augment(_ region: Int, _ visited: inout [Bool]) -> Bool {
            for o in edges[region] where !visited[o] {
                visited[o] = true
                if ownerMatch[o] == -1 || augment(ownerMatch[o], &visited) {
                    ownerMatch[o] = region
                    return true
                }
            }
            return false
        }
        var size = 0
        for region in edges.indices {
            var visited = [Bool](repeating: false, count: ownerIndex.count)
            if augment(region, &visited) { size += 1 }
        }
        return size
    }
}
