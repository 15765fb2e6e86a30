import FogCircuits
import FogModel
import Foundation
import Testing

/// Seeded generated fleets: every path built satisfies every constraint, and whenever no path
/// is returned, a brute-force search confirms none exists (and the refusal says why).
@Suite struct PathSelectionTests {
    static func fleet(_ g: inout SplitMix64) -> [RelayCandidate] {
        let n = Int(g.next() % 14)
        let regions = ["eu-west", "eu-central", "us-east", "us-west", "ap-south"].prefix(1 + Int(g.next() % 5))
        let owners: [String?] = ["acme", "globex", "initech", "umbrella", nil, nil].shuffled(using: &g).prefix(1 + Int(g.next() % 6)).map { $0 }
        return (0..<n).map { i in
            RelayCandidate(name: "relay-\(i % 12)", region: regions.randomElement(using: &g)!, owner: owners.randomElement(using: &g)!,
                           trust: Double(g.next() % 101) / 100, score: Double(g.next() % 101), uptime: Double(g.next() % 101) / 100,
                           usable: g.next() % 6 != 0)
        }
    }

    /// Whether any path satisfies the constraints (every subset of the eligible relays).
    static func anyPathExists(_ relays: [RelayCandidate], _ c: PathConstraints) -> Bool {
        var seen = Set<String>()
        let pool = relays.filter { $0.usable && $0.trust >= c.minTrust && !c.excluded.contains($0.name) && seen.insert($0.name).inserted }
        func search(_ from: Int, _ chosen: [RelayCandidate]) -> Bool {
            if chosen.count == c.hops { return c.violations(of: chosen).isEmpty }
            guard from < pool.count else { return false }
            for i in from..<pool.count where c.violations(of: chosen + [pool[i]]).allSatisfy({ $0.hasSuffix("want \(c.hops)") }) {
                if search(i + 1, chosen + [pool[i]]) { return true }
            }
            return false
        }
        return search(0, [])
    }

    @Test func everyPathOverManyGeneratedFleetsSatisfiesEveryConstraintOrNoneExists() {
        var g = SplitMix64(seed: 17)
        var built = 0, refused = 0
        for _ in 0..<3000 {
            let relays = Self.fleet(&g)
            let c = PathConstraints(hops: 1 + Int(g.next() % 4), distinctRegions: g.next() % 3 != 0,
                                    minTrust: Double(g.next() % 60) / 100,
                                    excluded: g.next() % 4 == 0 ? ["relay-\(g.next() % 12)"] : [])
            switch PathSelection.select(from: relays, c, using: &g) {
            case .success(let path):
                built += 1
                #expect(c.violations(of: path).isEmpty, "\(c) \(path.map(\.name)): \(c.violations(of: path))")
                #expect(path.allSatisfy { p in relays.contains(p) })
            case .failure(let refusal):
                refused += 1
                #expect(!Self.anyPathExists(relays, c), "refused (\(refusal.message)) though a path exists: \(c) \(relays)")
                #expect(!refusal.message.isEmpty)
            }
        }
        // The generator reaches both outcomes often.
        #expect(built > 500 && refused > 500, "built \(built), refused \(refused)")
    }

    @Test func theSameSeedPicksTheSamePath() throws {
        let relays = (0..<30).map { i in RelayCandidate(name: "r\(i)", region: "region-\(i % 5)", owner: "owner-\(i % 7)", trust: 0.8, score: 50, uptime: 1) }
        let c = PathConstraints(hops: 3, distinctRegions: true, minTrust: 0.4)
        var a = SplitMix64(seed: 99), b = SplitMix64(seed: 99)
        let first = try PathSelection.select(from: relays, c, using: &a).get()
        let second = try PathSelection.select(from: relays, c, using: &b).get()
        #expect(first == second && first.count == 3)
    }

    @Test func pathsFavourHighScoreAndUptime() throws {
        // Three regions, two relays each: one strong, one weak.
        let relays = (0..<6).map { i in
            RelayCandidate(name: "r\(i)", region: "region-\(i / 2)", owner: "owner-\(i)", trust: 0.9, score: i % 2 == 0 ? 90 : 10, uptime: i % 2 == 0 ? 1 : 0.5)
        }
        var g = SplitMix64(seed: 5)
        var strong = 0, total = 0
        for _ in 0..<2000 {
            let path = try PathSelection.select(from: relays, PathConstraints(hops: 3, distinctRegions: true, minTrust: 0), using: &g).get()
            strong += path.filter { $0.score == 90 }.count
            total += path.count
        }
        // Weights 0.9 against 0.05: about 95 % of the picks are strong relays.
        #expect(Double(strong) / Double(total) > 0.9)
    }

    @Test func refusalsSayWhy() {
        var g = SplitMix64(seed: 1)
        let twoRegions = (0..<8).map { RelayCandidate(name: "r\($0)", region: "region-\($0 % 2)", owner: "o\($0)", trust: 0.9, score: 50, uptime: 1) }
        let c = PathConstraints(hops: 3, distinctRegions: true, minTrust: 0.4)
        guard case .failure(let diverse) = PathSelection.select(from: twoRegions, c, using: &g) else { Issue.record("expected a refusal"); return }
        #expect(diverse.reason == .notDiverseEnough)
        #expect(diverse.message == "at most 2 of 8 eligible relays have distinct regions and distinct owners (2 regions, 8 owners), 3 hops needed")

        let lowTrust = twoRegions.map { var r = $0; r.trust = 0.1; return r }
        guard case .failure(let few) = PathSelection.select(from: lowTrust, c, using: &g) else { Issue.record("expected a refusal"); return }
        #expect(few.reason == .tooFewRelays)
        #expect(few.message == "0 eligible relays for 3 hops (8 relays: 0 not ready or without an onion key, 8 below trust 0.4)")

        // One owner runs every relay: no two may share a circuit (Tor's families).
        let oneOwner = (0..<8).map { RelayCandidate(name: "r\($0)", region: "region-\($0)", owner: "acme", trust: 0.9, score: 50, uptime: 1) }
        guard case .failure(let family) = PathSelection.select(from: oneOwner, c, using: &g) else { Issue.record("expected a refusal"); return }
        #expect(family.reason == .notDiverseEnough)
    }
}
