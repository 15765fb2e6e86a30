import Foundation

// Auction clearing: which sealed bids win a procurement (reverse) auction for
// participants, and what each winner is paid. Pure and deterministic: the same
// bids and rules always give the same outcome, whatever the order of the bids.
//
// Scoring (trust-weighted effective price). A bid of unit price p from a node
// of trust t ∈ [0, 1], under trust weight w ∈ [0, 1], competes at
//
//     effective(p, t) = p / (1 − w + w·t)
//
// Lower is better. w = 0 ranks by price alone; at the default w = 0.3 a node of
// trust 1 competes at its price and one of trust 0.5 at p / 0.85 (a 1.00 ask
// competes as 1.18). The factor 1 − w + w·t is positive unless w = 1 and
// t = 0 (such a bid cannot win: `zeroTrust`). Because the effective price is
// increasing in p, the winner rule below is monotone in each bid, so every
// winner has a critical value.
//
// Winners. Eligible bids (trust ≥ minTrust, price ≤ reserve, one per node: its
// lowest-ranked) are ranked by (effective price ↑, trust ↓, node ↑, id ↑) — the
// tie-breaks make the ranking total. k = min(maxCount, eligible) winners:
//   1. seeds: for each required region, its best-ranked bid (under a
//      hierarchy, its best-ranked aggregator-capable bid: the region's
//      aggregator);
//   2. fill: the best-ranked k − (number of required regions) other bids.
// Fails (no winners) when fewer than minCount bids are eligible, a required
// region has no qualifying bid, or there are more required regions than
// maxCount.
//
// Payments (per unit, then × units).
//   - criticalValue: each winner is paid the highest price at which it would
//     still have won, the others' bids fixed, capped at the reserve. It depends
//     only on the others' bids, so bidding one's true cost is a dominant
//     strategy (a single-minded bidder cannot raise payment − cost by bidding
//     anything else). Without regions it is the first loser's effective price,
//     rescaled to the winner's trust: the uniform (k+1)-th price auction.
//   - firstPrice: each winner is paid its own bid, which rewards shading.
//
// Budget. The effective reserve is min(reserve, budget / (units × maxCount)),
// and no payment exceeds it: the total paid is at most the budget.

/// How winners are paid.
public enum AuctionMechanism: String, Sendable, CaseIterable {
    /// The highest price at which each winner would still have won (truthful).
    case criticalValue = "critical-value"
    /// Each winner's own bid (for comparison: not truthful).
    case firstPrice = "first-price"
}

/// One sealed bid as the mechanism sees it.
public struct SealedBid: Sendable, Equatable {
    /// The bid's name (unique within an auction).
    public var id: String
    public var node: String
    /// Asked unit price (per hour or per request), ≥ 0.
    public var price: Double
    /// The node's trust, 0–1.
    public var trust: Double
    public var region: String
    /// Whether the node may aggregate for its region.
    public var aggregator: Bool

    public init(id: String, node: String, price: Double, trust: Double, region: String = "", aggregator: Bool = false) {
        self.id = id; self.node = node; self.price = price; self.trust = trust; self.region = region; self.aggregator = aggregator
    }
}

/// What the buyer wants and accepts.
public struct AuctionRules: Sendable, Equatable {
    public var mechanism: AuctionMechanism
    /// Highest unit price accepted.
    public var reserve: Double
    /// Units bought from each winner (hours or requests); payments are per unit × units.
    public var units: Double
    /// The most the whole auction may pay; nil: reserve × units × maxCount.
    public var budget: Double?
    public var minCount: Int
    public var maxCount: Int
    public var minTrust: Double
    public var trustWeight: Double
    public var hierarchy: Bool
    /// Regions that must each have a winner (under a hierarchy, an aggregator).
    public var requiredRegions: [String]

    public init(mechanism: AuctionMechanism = .criticalValue, reserve: Double, units: Double = 1, budget: Double? = nil,
                minCount: Int = 1, maxCount: Int, minTrust: Double = 0, trustWeight: Double = 0.3,
                hierarchy: Bool = false, requiredRegions: [String] = []) {
        self.mechanism = mechanism; self.reserve = reserve; self.units = units; self.budget = budget
        self.minCount = minCount; self.maxCount = maxCount; self.minTrust = minTrust; self.trustWeight = trustWeight
        self.hierarchy = hierarchy; self.requiredRegions = requiredRegions
    }

    /// The unit price no bid may exceed and no payment may exceed: the reserve, lowered so that
    /// maxCount winners paid it for `units` stay within the budget.
    public var effectiveReserve: Double {
        var r = reserve
        if let b = budget, maxCount > 0, units > 0 { r = min(r, b / (units * Double(maxCount))) }
        return max(0, r)
    }
}

/// Why a bid did not win.
public enum LossReason: String, Sendable, Equatable {
    case aboveReserve = "AboveReserve"
    case belowMinTrust = "BelowMinTrust"
    case zeroTrust = "ZeroTrust"
    case invalidPrice = "InvalidPrice"
    /// Another bid of the same node ranks better.
    case duplicateNode = "DuplicateNode"
    /// Ranked below the winners.
    case outbid = "Outbid"
    /// The auction found no feasible set of winners.
    case noClearing = "NoClearing"
}

/// One bid, ranked, and what became of it.
public struct RankedBid: Sendable, Equatable {
    public var bid: SealedBid
    /// Position among eligible bids, 1-based; nil for an ineligible bid.
    public var rank: Int?
    public var effectivePrice: Double
    /// Unit payment when won.
    public var payment: Double?
    public var loss: LossReason?
    /// Whether it won as its region's seed (under a hierarchy: the region's aggregator).
    public var seed: Bool
    public var won: Bool { payment != nil }
}

/// Why an auction cleared no winners.
public enum ClearingFailure: Error, Sendable, Equatable, CustomStringConvertible {
    case notEnoughBids(needed: Int, eligible: Int)
    case regionUncovered(String)
    case tooManyRequiredRegions(required: Int, maxCount: Int)
    case invalidRules(String)

    public var description: String {
        switch self {
        case let .notEnoughBids(needed, eligible): return "not enough valid bids: \(needed) needed, \(eligible) eligible within the reserve"
        case let .regionUncovered(r): return "region \(r) has no eligible bid"
        case let .tooManyRequiredRegions(required, maxCount): return "\(required) required regions but at most \(maxCount) winners"
        case let .invalidRules(why): return "invalid auction rules: \(why)"
        }
    }
}

/// The outcome of one clearing.
public struct AuctionOutcome: Sendable, Equatable {
    /// Every bid: eligible ones by rank, then the ineligible by id.
    public var ranked: [RankedBid]
    public var failure: ClearingFailure?
    /// The unit reserve that applied (after the budget).
    public var reserve: Double
    public var units: Double

    public var winners: [RankedBid] { ranked.filter(\.won) }
    /// The highest unit payment (what the auction cleared at); nil without winners.
    public var clearingPrice: Double? { winners.map { $0.payment! }.max() }
    /// Total paid: unit payments × units.
    public var totalPayment: Double { winners.reduce(0) { $0 + $1.payment! } * units }
}

public enum AuctionClearing {
    /// The trust-weighted effective price (see the file's header); +∞ when the factor is 0.
    public static func effectivePrice(_ price: Double, trust: Double, weight: Double) -> Double {
        let f = factor(trust: trust, weight: weight)
        return f > 0 ? price / f : .infinity
    }

    static func factor(trust: Double, weight: Double) -> Double {
        let w = min(1, max(0, weight)), t = min(1, max(0, trust))
        return 1 - w + w * t
    }

    /// Clears `bids` under `rules`.
    public static func clear(_ bids: [SealedBid], rules: AuctionRules) -> AuctionOutcome {
        let reserve = rules.effectiveReserve
        var outcome = AuctionOutcome(ranked: [], failure: nil, reserve: reserve, units: rules.units)
        guard rules.minCount >= 0, rules.maxCount >= max(1, rules.minCount) else {
            outcome.failure = .invalidRules("participants \(rules.minCount)..\(rules.maxCount)")
            outcome.ranked = bids.sorted { $0.id < $1.id }.map { RankedBid(bid: $0, rank: nil, effectivePrice: .infinity, payment: nil, loss: .noClearing, seed: false) }
            return outcome
        }
        // Eligibility.
        var ineligible: [RankedBid] = []
        var entries: [Entry] = []
        for b in bids {
            let f = factor(trust: b.trust, weight: rules.trustWeight)
            let e = f > 0 ? b.price / f : .infinity
            var loss: LossReason?
            if !b.price.isFinite || b.price < 0 { loss = .invalidPrice }
            else if b.trust < rules.minTrust { loss = .belowMinTrust }
            else if f <= 0 { loss = .zeroTrust }
            else if b.price > reserve { loss = .aboveReserve }
            if let loss { ineligible.append(RankedBid(bid: b, rank: nil, effectivePrice: e, payment: nil, loss: loss, seed: false)); continue }
            entries.append(Entry(bid: b, effective: e, factor: f))
        }
        entries.sort(by: Entry.ranksBefore)
        // One bid per node: its best-ranked.
        var seenNodes: Set<String> = []
        var ranked: [Entry] = []
        for e in entries {
            if seenNodes.insert(e.bid.node).inserted { ranked.append(e) } else {
                ineligible.append(RankedBid(bid: e.bid, rank: nil, effectivePrice: e.effective, payment: nil, loss: .duplicateNode, seed: false))
            }
        }
        ineligible.sort { $0.bid.id < $1.bid.id }

        let required = Array(Set(rules.requiredRegions)).sorted()
        let requiredSet = Set(required)
        let n = ranked.count
        let k = min(rules.maxCount, n)
        func qualifiesAsSeed(_ e: Entry) -> Bool { requiredSet.contains(e.bid.region) && (!rules.hierarchy || e.bid.aggregator) }

        var failure: ClearingFailure?
        if required.count > rules.maxCount { failure = .tooManyRequiredRegions(required: required.count, maxCount: rules.maxCount) }
        else if n < max(1, rules.minCount) { failure = .notEnoughBids(needed: max(1, rules.minCount), eligible: n) }
        // Seeds among all eligible bids.
        var seedAt: [String: Int] = [:]
        for (i, e) in ranked.enumerated() where qualifiesAsSeed(e) && seedAt[e.bid.region] == nil { seedAt[e.bid.region] = i }
        if failure == nil, let missing = required.first(where: { seedAt[$0] == nil }) { failure = .regionUncovered(missing) }
        if failure == nil && k < required.count { failure = .notEnoughBids(needed: required.count, eligible: n) }

        var result: [RankedBid] = []
        result.reserveCapacity(bids.count)
        if let failure {
            outcome.failure = failure
            for (i, e) in ranked.enumerated() {
                result.append(RankedBid(bid: e.bid, rank: i + 1, effectivePrice: e.effective, payment: nil, loss: .noClearing, seed: false))
            }
            outcome.ranked = result + ineligible
            return outcome
        }
        let fillSlots = k - required.count
        let seedPositions = Set(seedAt.values)
        var winners: [Int: Bool] = [:]  // position → is seed
        var filled = 0
        for i in 0..<n {
            if seedPositions.contains(i) { winners[i] = true }
            else if filled < fillSlots { winners[i] = false; filled += 1 }
        }
        for (i, e) in ranked.enumerated() {
            guard let isSeed = winners[i] else {
                result.append(RankedBid(bid: e.bid, rank: i + 1, effectivePrice: e.effective, payment: nil, loss: .outbid, seed: false))
                continue
            }
            let pay: Double
            switch rules.mechanism {
            case .firstPrice: pay = e.bid.price
            case .criticalValue:
                pay = criticalValue(of: i, in: ranked, fillSlots: fillSlots, reserve: reserve, qualifiesAsSeed: qualifiesAsSeed)
            }
            result.append(RankedBid(bid: e.bid, rank: i + 1, effectivePrice: e.effective, payment: min(reserve, pay), loss: nil, seed: isSeed))
        }
        outcome.ranked = result + ineligible
        return outcome
    }

    /// The highest unit price at which the bid at `position` still wins, the others fixed.
    ///
    /// Put the bid back at position q of the others' ranking. It wins there iff it is its
    /// region's seed (no qualifying other ranks before q) or fewer than `fillSlots` non-seed
    /// others rank before q. Both are monotone in q, so the last winning q bounds its effective
    /// price by that of the other ranked at q (or by nothing: the reserve).
    static func criticalValue(of position: Int, in ranked: [Entry], fillSlots: Int, reserve: Double,
                              qualifiesAsSeed: (Entry) -> Bool) -> Double {
        let me = ranked[position]
        let iAmSeedType = qualifiesAsSeed(me)
        // The others' seeds (without me) and the position of my region's seed among them.
        var seeded: Set<String> = []
        var mySeedAt = Int.max  // index in the others' ranking of my region's seed
        var seedsBefore = 0
        var q = 0  // place: just before the others' q-th bid
        var previous: Entry?
        func winsAt(_ q: Int) -> Bool { (iAmSeedType && q <= mySeedAt) || (q - seedsBefore) < fillSlots }
        for (i, e) in ranked.enumerated() where i != position {
            let isSeed = qualifiesAsSeed(e) && seeded.insert(e.bid.region).inserted
            if isSeed && e.bid.region == me.bid.region { mySeedAt = q }
            // Placed just before e: losing there, the last winning place was just before
            // `previous`, so my effective price may rise to previous's and no further.
            if !winsAt(q) { return (previous?.effective ?? me.effective) * me.factor }
            if isSeed { seedsBefore += 1 }
            previous = e
            q += 1
        }
        // Placed last of all.
        if !winsAt(q) { return (previous?.effective ?? me.effective) * me.factor }
        // Winning even ranked last among the eligible: only the reserve bounds me.
        return reserve
    }

    struct Entry {
        var bid: SealedBid
        var effective: Double
        var factor: Double

        static func ranksBefore(_ a: Entry, _ b: Entry) -> Bool {
            if a.effective != b.effective { return a.effective < b.effective }
            if a.bid.trust != b.bid.trust { return a.bid.trust > b.bid.trust }
            if a.bid.node != b.bid.node { return a.bid.node < b.bid.node }
            return a.bid.id < b.bid.id
        }
    }
}
