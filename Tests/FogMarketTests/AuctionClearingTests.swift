import FogModel
import Foundation
import Testing
@testable import FogMarket

private extension SplitMix64 {
    mutating func unit() -> Double { Double(next() >> 11) / Double(1 << 53) }
    mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
    mutating func chance(_ p: Double) -> Bool { unit() < p }
}

/// A random auction: bids, rules, with the bid prices as the bidders' true costs.
private struct Instance {
    var bids: [SealedBid]
    var rules: AuctionRules

    /// `sharedNodes`: now and then two bids name the same node (a node's bids are one bidder, so
    /// the truthfulness checks, which deviate one bid at a time, use one bid per node).
    static func random(_ g: inout SplitMix64, mechanism: AuctionMechanism, sharedNodes: Bool = false) -> Instance {
        let regions = ["eu", "us", "ap"]
        let n = 1 + g.below(30)
        var bids: [SealedBid] = []
        for i in 0..<n {
            // Prices on a coarse grid sometimes, so that ties happen.
            let price = g.chance(0.3) ? Double(1 + g.below(6)) * 0.5 : 0.1 + g.unit() * 4
            let trust = g.chance(0.2) ? 1 : (g.unit() * 100).rounded() / 100
            bids.append(SealedBid(id: "b\(i)", node: "n\(sharedNodes && g.chance(0.05) ? 0 : i)", price: price, trust: trust,
                                  region: regions[g.below(regions.count)], aggregator: g.chance(0.4)))
        }
        let maxCount = 1 + g.below(8)
        let minCount = g.below(maxCount + 1)
        let hierarchy = g.chance(0.3)
        let required = g.chance(0.4) ? Array(regions.prefix(1 + g.below(3))) : []
        let units = Double(1 + g.below(10))
        let reserve = 0.5 + g.unit() * 4
        let budget: Double? = g.chance(0.5) ? reserve * units * Double(maxCount) * (0.3 + g.unit()) : nil
        let rules = AuctionRules(mechanism: mechanism, reserve: reserve, units: units, budget: budget, minCount: minCount,
                                 maxCount: maxCount, minTrust: g.chance(0.3) ? g.unit() * 0.5 : 0,
                                 trustWeight: [0, 0.3, 0.5, 1][g.below(4)], hierarchy: hierarchy, requiredRegions: required)
        return Instance(bids: bids, rules: rules)
    }

    /// Bidder `i`'s utility (payment − true cost, × units; 0 when losing) if it bids `price`.
    func utility(of i: Int, bidding price: Double) -> Double {
        var bs = bids
        bs[i].price = price
        let outcome = AuctionClearing.clear(bs, rules: rules)
        guard let mine = outcome.ranked.first(where: { $0.bid.id == bids[i].id }), let pay = mine.payment else { return 0 }
        return (pay - bids[i].price) * rules.units
    }
}

/// Deviations tried for a bidder of cost c: a grid from c/2 to 2c, the reserve, and a hair
/// below and above every other bid's price rescaled to this bidder's trust (where the rank changes).
private func deviations(_ inst: Instance, _ i: Int) -> [Double] {
    let c = inst.bids[i].price
    var out = stride(from: 0.5, through: 2.0, by: 0.1).map { c * $0 } + [0, inst.rules.effectiveReserve]
    let f = AuctionClearing.factor(trust: inst.bids[i].trust, weight: inst.rules.trustWeight)
    for (j, b) in inst.bids.enumerated() where j != i {
        let e = AuctionClearing.effectivePrice(b.price, trust: b.trust, weight: inst.rules.trustWeight)
        guard e.isFinite else { continue }
        out += [e * f * (1 - 1e-6), e * f * (1 + 1e-6)]
    }
    return out
}

@Suite struct AuctionClearingTests {
    /// The worked example in docs/marketplace.md (Auctions): three winners wanted, no regions.
    @Test func workedExampleUniformCriticalValue() {
        let bids = [SealedBid(id: "a", node: "a", price: 0.80, trust: 1.0),
                    SealedBid(id: "b", node: "b", price: 0.70, trust: 0.5),
                    SealedBid(id: "c", node: "c", price: 1.00, trust: 0.9),
                    SealedBid(id: "d", node: "d", price: 1.10, trust: 1.0),
                    SealedBid(id: "e", node: "e", price: 2.50, trust: 1.0)]
        let rules = AuctionRules(reserve: 2.0, units: 10, maxCount: 3)
        let o = AuctionClearing.clear(bids, rules: rules)
        // Effective prices: a 0.80, b 0.70/0.85 = 0.8235, c 1.00/0.97 = 1.0309, d 1.10; e above the reserve.
        #expect(o.winners.map(\.bid.id) == ["a", "b", "c"])
        // Each winner is paid d's effective price (1.10) rescaled to its own trust factor.
        let pay = Dictionary(uniqueKeysWithValues: o.winners.map { ($0.bid.id, $0.payment!) })
        #expect(abs(pay["a"]! - 1.10) < 1e-9)
        #expect(abs(pay["b"]! - 1.10 * 0.85) < 1e-9)
        #expect(abs(pay["c"]! - 1.10 * 0.97) < 1e-9)
        #expect(o.ranked.first { $0.bid.id == "d" }?.loss == .outbid)
        #expect(o.ranked.first { $0.bid.id == "e" }?.loss == .aboveReserve)
        let first = AuctionClearing.clear(bids, rules: AuctionRules(mechanism: .firstPrice, reserve: 2.0, units: 10, maxCount: 3))
        #expect(first.winners.map { $0.payment! } == [0.80, 0.70, 1.00])
    }

    /// A region's only qualifying bid is paid the reserve (nothing competes with it for its seat).
    @Test func soleAggregatorOfARequiredRegionIsPaidTheReserve() {
        let bids = [SealedBid(id: "eu1", node: "eu1", price: 0.5, trust: 1, region: "eu", aggregator: true),
                    SealedBid(id: "eu2", node: "eu2", price: 0.6, trust: 1, region: "eu"),
                    SealedBid(id: "us1", node: "us1", price: 1.5, trust: 1, region: "us", aggregator: true),
                    SealedBid(id: "us2", node: "us2", price: 0.4, trust: 1, region: "us")]
        let o = AuctionClearing.clear(bids, rules: AuctionRules(reserve: 2, maxCount: 3, hierarchy: true, requiredRegions: ["eu", "us"]))
        #expect(Set(o.winners.map(\.bid.id)) == ["eu1", "us1", "us2"])
        #expect(o.winners.first { $0.bid.id == "us1" }?.payment == 2)
        #expect(o.winners.first { $0.bid.id == "us1" }?.seed == true)
    }

    @Test func failsWithAReason() {
        let o = AuctionClearing.clear([SealedBid(id: "a", node: "a", price: 3, trust: 1)], rules: AuctionRules(reserve: 2, maxCount: 2))
        #expect(o.failure == .notEnoughBids(needed: 1, eligible: 0))
        #expect(o.ranked.first?.loss == .aboveReserve)
    }

    /// Over 1,000 seeded random instances (each cleared under both mechanisms): winners are paid at
    /// least their bid, never more than the reserve, the total never exceeds the budget; the count
    /// and regions hold; the outcome does not depend on the order of the bids.
    @Test func paymentsReserveBudgetAndConstraintsHold() {
        var g = SplitMix64(seed: 15)
        var cleared = 0
        for _ in 0..<1000 {
            for mechanism in AuctionMechanism.allCases {
                let inst = Instance.random(&g, mechanism: mechanism, sharedNodes: true)
                let o = AuctionClearing.clear(inst.bids, rules: inst.rules)
                let r = inst.rules
                for w in o.winners {
                    #expect(w.payment! >= w.bid.price - 1e-9, "payment below bid")
                    #expect(w.payment! <= r.reserve + 1e-9 && w.payment! <= r.effectiveReserve + 1e-9)
                }
                if let b = r.budget { #expect(o.totalPayment <= b + 1e-6) }
                if o.failure == nil {
                    cleared += 1
                    #expect(o.winners.count >= max(1, r.minCount) && o.winners.count <= r.maxCount)
                    #expect(Set(o.winners.map(\.bid.node)).count == o.winners.count, "a node won twice")
                    for region in r.requiredRegions {
                        #expect(o.winners.contains { $0.bid.region == region && (!r.hierarchy || $0.bid.aggregator) })
                    }
                } else {
                    #expect(o.winners.isEmpty)
                }
                var shuffled = inst.bids
                shuffled.shuffle(using: &g)
                let again = AuctionClearing.clear(shuffled, rules: r)
                #expect(again.winners.map(\.bid.id) == o.winners.map(\.bid.id))
                #expect(again.winners.map(\.payment) == o.winners.map(\.payment))
            }
        }
        #expect(cleared > 500)
    }

    /// Truthfulness under critical-value payments: over 1,000 random instances, no bidder raises
    /// its utility (payment − true cost) by bidding anything on the deviation grid instead of its cost.
    @Test func criticalValueIsTruthful() {
        var g = SplitMix64(seed: 1515)
        var checked = 0
        for _ in 0..<1000 {
            let inst = Instance.random(&g, mechanism: .criticalValue)
            for i in inst.bids.indices.prefix(6) {
                let truthful = inst.utility(of: i, bidding: inst.bids[i].price)
                #expect(truthful >= -1e-9)
                for d in deviations(inst, i) where d >= 0 {
                    let u = inst.utility(of: i, bidding: d)
                    #expect(u <= truthful + 1e-7, "bidder \(inst.bids[i].id) gains \(u - truthful) bidding \(d) for cost \(inst.bids[i].price)")
                    checked += 1
                }
            }
        }
        #expect(checked > 50_000)
    }

    /// The same check shows first-price is not truthful: in many instances some winner gains by
    /// asking more than its cost (shading).
    @Test func firstPriceIsNotTruthful() {
        var g = SplitMix64(seed: 1515)
        var instancesWithAGain = 0
        for _ in 0..<1000 {
            let inst = Instance.random(&g, mechanism: .firstPrice)
            var gains = false
            for i in inst.bids.indices.prefix(6) where !gains {
                let truthful = inst.utility(of: i, bidding: inst.bids[i].price)
                #expect(abs(truthful) < 1e-9)  // paid exactly its cost: no surplus when truthful
                gains = deviations(inst, i).contains { $0 >= 0 && inst.utility(of: i, bidding: $0) > truthful + 1e-7 }
            }
            if gains { instancesWithAGain += 1 }
        }
        #expect(instancesWithAGain > 300, "first price rewarded shading in only \(instancesWithAGain) of 1000 instances")
    }
}
