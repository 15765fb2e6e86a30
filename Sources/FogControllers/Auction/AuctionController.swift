import FogAPI
import FogFleet
import FogMarket
import FogModel
import FogRuntime
import FogStore
import Foundation

/// Runs each Auction: `Open` (bids received, each one's digest recorded in `status.bids` at
/// receipt) until `closesAt`; then the bids are checked (the node exists and is eligible for
/// the job, the bid unchanged since receipt and not expired; trust is the node's, never the
/// bid's) and cleared by FogMarket's `AuctionClearing`. Winners of a job's auction are booked
/// in one store transaction with the same compare-and-swap on every winner's
/// `status.reservations` as direct allocation, together with the job's `status.allocation`
/// (phase `Allocated`) and the auction's outcome (phase `Closed`): a node never wins more than
/// its capacity across concurrent auctions and direct jobs (a conflict clears again on fresh
/// state). No clearing: the auction reopens with the reserve raised by half, up to its ceiling,
/// for at most `maxRounds` rounds, then `Failed` with the reason. Every bid ends with an
/// outcome (Won, Lost with a reason, or Closed when its auction or job is deleted): none is
/// left open.
public struct AuctionController: Controller {
    public let name = "auction"
    public let kind = "Auction"
    public static let finalizer = "fog/auction"
    let index: NodeIndex

    public init() { index = NodeIndex() }
    init(nodes: NodeIndex) { index = nodes }

    public var workers: Int { 2 }

    public var sources: [WatchSource] {
        Watches.for("Auction")
            .watches("Bid") { bid, _ in
                guard let a = bid.spec?["auction"]?.stringValue else { return [] }
                return [ObjectKey(kind: "Auction", namespace: bid.namespace, name: a)]
            }
            .sources
    }

    public var conditionTypes: Set<String> { ["Open", "Cleared"] }

    public func reconcile(_ key: ObjectKey, _ ctx: ReconcileContext) async throws -> ReconcileResult {
        do { return try await reconcileAuction(key, ctx) } catch is CacheBehind {
            return .requeue(after: 0.02)
        } catch let e as StoreError where e.code == .conflict {
            // A metadata write (finalizer) raced a status write: read again shortly.
            return .requeue(after: 0.02)
        }
    }

    func reconcileAuction(_ key: ObjectKey, _ ctx: ReconcileContext) async throws -> ReconcileResult {
        guard let auction = ctx.cache.get(key) else {
            // Gone (its job deleted, or deleted itself): no bid of it stays open.
            try await closeBids(of: key, ctx, outcome: "Closed", reason: "AuctionDeleted", message: "the auction was deleted")
            return .done
        }
        if auction.metadata.deletionTimestamp != nil {
            try await closeBids(of: key, ctx, outcome: "Closed", reason: "AuctionDeleted", message: "the auction was deleted")
            if let released = try await releaseLease(of: auction, ctx) {
                guard released else { return .requeue(after: 0.02) }
            }
            try await ctx.removeFinalizer(auction, Self.finalizer)
            return .done
        }
        let spec = try auction.reconciledSpec(AuctionSpec.self)
        let phase = auction.status?["phase"]?.stringValue
        if phase == "Closed" || phase == "Failed" {
            // Bids that came after the close (in-process writers the server did not stop).
            try await closeBids(of: key, ctx, outcome: "Lost", reason: "AuctionClosed",
                                message: "the auction was already \(phase!) when the bid arrived")
            return .done
        }
        let current = try await ctx.ensureFinalizer(auction, Self.finalizer)
        let now = ctx.now
        let window = DurationText.seconds(spec.duration) ?? 2
        if phase == nil, spec.job == nil, Self.lease(spec) == nil {
            return try await fail(current, ctx, reason: "NothingToBook",
                                  message: "a standalone auction books capacity on its winners: spec.requirements must say how much (cpu, memoryGiB or gpu)")
        }
        if phase == nil {
            let closes = spec.closesAt.flatMap(Timestamp.parse) ?? now.addingTimeInterval(window)
            try await ctx.updateStatus(current, as: AuctionStatus.self, { s in
                s.phase = .open
                s.round = 1
                s.openedAt = Timestamp.formatMicro(now)
                s.closesAt = Timestamp.formatMicro(closes)
                if let r = spec.reservePrice { s.reservePrice = r }
                s.bidCount = 0
            }, conditions: [Condition(type: "Open", status: .true, reason: "TakingBids",
                                      message: "bids taken until \(Timestamp.format(closes))")])
            await ctx.events.record(auction, .normal, reason: "Opened",
                                    message: "taking bids until \(Timestamp.format(closes))" + (spec.reservePrice.map { String(format: ", reserve %.4f", $0) } ?? ""))
            return .requeue(after: max(0.001, closes.timeIntervalSince(now)))
        }
        // Open: record the digest of every bid not seen yet, at receipt.
        let fresh = ctx.cache.get(key) ?? current
        let bids = Self.bids(of: key, ctx.cache)
        let recorded = fresh.status?["bids"]?.objectValue ?? [:]
        var receipts: [String: JSONValue] = [:]
        var bidPatches: [StatusPatch] = []
        for b in bids where recorded[b.name] == nil {
            let digest = Self.digest(b)
            receipts[b.name] = ["node": .string(b.spec?["node"]?.stringValue ?? ""), "digest": .string(digest),
                                "receivedAt": .string(Timestamp.formatMicro(now))]
            bidPatches.append(StatusPatch(key: b.key, patch: ["outcome": "Pending", "digest": .string(digest)]))
        }
        var closing = fresh
        if !receipts.isEmpty {
            let all = recorded.merging(receipts) { a, _ in a }
            _ = try await ctx.client.patchStatuses(
                [StatusPatch(key: key, expect: [.init(path: "phase", value: "Open")],
                             patch: ["bids": .object(receipts), "bidCount": .int(Int64(all.count))])] + bidPatches)
            // A close in this same reconcile counts the bids just received: they were made while
            // the auction was open (the API server refuses bids on a closed one), and the cache
            // has not seen the receipts yet. (Under load, bids and the close timer arrive together.)
            closing.status?["bids"] = .object(all)
            closing.status?["bidCount"] = .int(Int64(all.count))
        }
        let closesAt = fresh.status?["closesAt"]?.stringValue.flatMap(Timestamp.parse) ?? now
        if now < closesAt { return .requeue(after: max(0.001, closesAt.timeIntervalSince(now))) }
        return try await close(closing, spec: spec, ctx, window: window)
    }

    // MARK: - Close

    func close(_ auction: Resource, spec: AuctionSpec, _ ctx: ReconcileContext, window: Double) async throws -> ReconcileResult {
        let now = ctx.now
        let key = auction.key
        let recorded = auction.status?["bids"]?.objectValue ?? [:]
        let round = Int(auction.status?["round"]?.intValue ?? 1)
        let reserve = auction.status?["reservePrice"]?.numberValue ?? spec.reservePrice ?? .infinity
        // The job the auction buys for, if any, and its view for eligibility.
        var job: Resource?
        var view: JobView?
        var tier: TierTerms?
        if let jobName = spec.job {
            job = ctx.cache.get(ObjectKey(kind: "FederatedJob", namespace: key.namespace, name: jobName))
            if let j = job, let v = try? JobView.resolved(j, ctx.cache) {
                view = v
                if let t = ctx.cache.get(ObjectKey(kind: "Tier", namespace: "", name: v.tier)),
                   let ts = try? t.reconciledSpec(TierSpec.self) { tier = TierTerms(name: t.name, spec: ts) }
            }
            guard let j = job, JobPhase(status: j.status) == .admitted, view != nil, tier != nil else {
                return try await fail(auction, ctx, reason: "JobNotWaiting",
                                      message: "job \(jobName) is \(job.map { JobPhase(status: $0.status).rawValue } ?? "gone"): nothing to buy for")
            }
        }
        // Validate the bids; trust and region are the node's own.
        var sealed: [SealedBid] = []
        var rejected: [String: (String, String)] = [:]  // bid → (reason, message)
        var facts: [String: NodeFacts] = [:]
        for b in Self.bids(of: key, ctx.cache) {
            guard let receipt = recorded[b.name] else { continue }  // not yet received: next round, or refused
            guard let bs = try? b.reconciledSpec(BidSpec.self) else { rejected[b.name] = ("Invalid", "the bid's spec does not decode"); continue }
            if receipt["digest"]?.stringValue != Self.digest(b) {
                rejected[b.name] = ("Tampered", "the bid changed after it was received"); continue
            }
            if let exp = bs.expiresAt.flatMap(Timestamp.parse), exp < now { rejected[b.name] = ("Expired", "expired at \(bs.expiresAt!)"); continue }
            guard let nodeObject = ctx.cache.get(ObjectKey(kind: "FogNode", namespace: "", name: bs.node)),
                  let node = NodeIndex.facts(nodeObject) else {
                rejected[b.name] = ("Ineligible", "node \(bs.node) does not exist"); continue
            }
            if let view, let tier, let why = Eligibility.exclusion(node, job: view, tier: tier) {
                rejected[b.name] = ("Ineligible", why.rawValue); continue
            }
            if view == nil {
                let lacking = PrivacyLevel.lacking(Set((spec.requiredPrivacyCapabilities ?? []).map(\.rawValue)), capabilities: node.privacyCapabilities)
                if !lacking.isEmpty {
                    rejected[b.name] = ("Ineligible", Exclusion.privacyCapabilityMissing.rawValue + ": " + lacking.joined(separator: ", ")); continue
                }
                if let req = spec.requirements {
                    let cap = NodeCapacity(node, excluding: AuctionLease.reservationKey(key))
                    if cap.freeCpu + 1e-9 < (req.cpu ?? 0) || cap.freeMemoryGiB + 1e-9 < (req.memoryGiB ?? 0) || (req.gpu && cap.freeGpus < 1) {
                        rejected[b.name] = ("Ineligible", "not enough free capacity"); continue
                    }
                }
            }
            facts[bs.node] = node
            sealed.append(SealedBid(id: b.name, node: bs.node, price: bs.price, trust: node.trust, region: node.region,
                                    aggregator: node.roles.contains("aggregator")))
        }
        let rules = AuctionRules(mechanism: spec.mechanism == .firstPrice ? .firstPrice : .criticalValue, reserve: reserve,
                                 units: spec.units, budget: nil, minCount: spec.participantsMin ?? spec.participantsWanted,
                                 maxCount: spec.participantsWanted, minTrust: spec.minTrust, trustWeight: spec.trustWeight,
                                 hierarchy: spec.hierarchy, requiredRegions: spec.hierarchy ? (spec.regions ?? []) : [])
        let outcome = AuctionClearing.clear(sealed, rules: rules)

        if let failure = outcome.failure {
            let ceiling = spec.reserveCeiling ?? reserve
            if round < spec.maxRounds && reserve < ceiling - 1e-12 {
                // Reopen with a higher reserve, up to the ceiling.
                let raised = min(ceiling, reserve * 1.5)
                let closes = now.addingTimeInterval(window)
                try await ctx.updateStatus(auction, as: AuctionStatus.self, { s in
                    s.round = round + 1
                    s.reservePrice = raised
                    s.openedAt = Timestamp.formatMicro(now)
                    s.closesAt = Timestamp.formatMicro(closes)
                }, conditions: [Condition(type: "Open", status: .true, reason: "Reopened",
                                          message: String(format: "round %d: %@; reserve raised to %.4f", round + 1, failure.description, raised))])
                await ctx.events.record(auction, .normal, reason: "Reopened",
                                        message: String(format: "round %d cleared nothing (%@): reserve %.4f → %.4f", round, failure.description, reserve, raised))
                return .requeue(after: window)
            }
            return try await fail(auction, ctx, reason: "NoClearing", message: failure.description, ranking: Self.ranking(outcome, rejected: rejected, bids: Self.bids(of: key, ctx.cache)))
        }

        // Book the winners (a job's auction), the job's allocation and the auction's outcome in one transaction.
        let winners = outcome.winners
        let ranking = Self.ranking(outcome, rejected: rejected, bids: Self.bids(of: key, ctx.cache))
        var auctionPatch: [String: JSONValue] = [
            "phase": "Closed", "closedAt": .string(Timestamp.formatMicro(now)),
            "winnerCount": .int(Int64(winners.count)), "ranking": .array(ranking),
            "clearingPrice": .double(Self.round4(outcome.clearingPrice ?? 0)),
            "totalPayment": .double(Self.round4(outcome.totalPayment)),
        ]
        auctionPatch["reservePrice"] = reserve.isFinite ? .double(reserve) : nil
        if job == nil, let lease = Self.lease(spec) {
            auctionPatch["lease"] = ["reservationKey": .string(AuctionLease.reservationKey(key)), "perNode": lease,
                                     "nodes": .array(winners.map(\.bid.node).sorted().map { .string($0) })]
        }
        var patches: [StatusPatch] = [StatusPatch(key: key, expect: [.init(path: "phase", value: "Open")], patch: .object(auctionPatch))]
        if let job, let view {
            let resKey = view.reservationKey
            let quote = Quote(json: job.status?["quote"])
            var byName: [String: NodeFacts] = [:]
            var scores: [String: Double] = [:]
            let context = ScoringContext()
            for w in winners {
                guard let node = facts[w.bid.node] else { continue }
                byName[w.bid.node] = node
                scores[w.bid.node] = AllocationController.selectionScore(
                    PeerScoring.score(index.stats(node, now: now.timeIntervalSince1970), algorithm: view.algorithm, context: context).total)
                patches.append(StatusPatch(key: node.key, expect: [.init(path: "reservations", value: node.reservationsJSON)],
                                           patch: ["reservations": .object([resKey: view.reservation])]))
            }
            // By name: the same winners give the same participant order (and data shards) whatever
            // their bids were (a bid's markup follows its node's utilisation at bidding time).
            let chosen = winners.map(\.bid.node).sorted()
            var allocation = AllocationController.allocationJSON(chosen: chosen, byName: byName, scores: scores, job: view, quote: quote,
                                                                 now: now.timeIntervalSince1970, previous: nil)
            allocation = Self.withPayments(allocation, outcome: outcome, auction: key.name)
            patches.append(StatusPatch(key: job.key, expect: [.init(path: "allocation", value: job.status?["allocation"]),
                                                              .init(path: "phase", value: job.status?["phase"])],
                                       patch: ["allocation": allocation, "phase": .string(JobPhase.allocated.rawValue)]))
            _ = try await ctx.ensureFinalizer(job, AllocationController.finalizer)
        } else if let lease = Self.lease(spec) {
            // A standalone auction: its winners' capacity is held for the auction's owner, under
            // the auction's own reservation key, until the auction is deleted.
            let resKey = AuctionLease.reservationKey(key)
            for w in winners {
                guard let node = facts[w.bid.node] else { continue }
                patches.append(StatusPatch(key: node.key, expect: [.init(path: "reservations", value: node.reservationsJSON)],
                                           patch: ["reservations": .object([resKey: lease])]))
            }
        }
        do {
            _ = try await ctx.client.patchStatuses(patches)
        } catch let e as StoreError where e.code == .conflict {
            // A winner was booked by someone else (or a cache is behind): clear again on fresh state.
            return .requeue(after: 0.02)
        }
        // Every bid's outcome.
        try await settleBids(outcome, rejected: rejected, ctx, key: key)
        let message = String(format: "%d winner%@ of %d bids, clearing %.4f %@ per %@, %.2f %@ in all", winners.count, winners.count == 1 ? "" : "s",
                             recorded.count, outcome.clearingPrice ?? 0, spec.currency, spec.unit.rawValue, outcome.totalPayment, spec.currency)
        if let closed = try await ctx.client.get(key) {
            try await ctx.updateStatus(closed, { _ in }, conditions: [
                Condition(type: "Open", status: .false, reason: "Closed", message: "closed at round \(round)"),
                Condition(type: "Cleared", status: .true, reason: "WinnersBooked", message: message)])
        }
        await ctx.events.record(auction, .normal, reason: "Closed", message: message)
        if let job { await ctx.events.record(job, .normal, reason: "AuctionClosed", message: "auction \(key.name): " + message) }
        return .done
    }

    func fail(_ auction: Resource, _ ctx: ReconcileContext, reason: String, message: String, ranking: [JSONValue] = []) async throws -> ReconcileResult {
        let ranked = try ranking.enumerated().map { i, r throws(TerminalError) in
            try r.statusPart(AuctionStatus.RankingItem.self, at: FieldPath.element("status.ranking", i))
        }
        try await ctx.updateStatus(auction, as: AuctionStatus.self, { s in
            s.phase = .failed
            s.reason = message
            s.closedAt = Timestamp.formatMicro(ctx.now)
            s.winnerCount = 0
            if !ranked.isEmpty { s.ranking = ranked }
        }, conditions: [Condition(type: "Open", status: .false, reason: "Closed", message: "closed without winners"),
                        Condition(type: "Cleared", status: .false, reason: reason, message: message)])
        try await closeBids(of: auction.key, ctx, outcome: "Lost", reason: "NoClearing", message: message)
        await ctx.events.record(auction, .warning, reason: "Failed", message: message)
        return .done
    }

    // MARK: - Leases (standalone auctions)

    /// What a standalone auction holds on each winner (nil: its requirements ask for nothing).
    static func lease(_ spec: AuctionSpec) -> JSONValue? {
        guard let r = spec.requirements, (r.cpu ?? 0) > 0 || (r.memoryGiB ?? 0) > 0 || r.gpu else { return nil }
        return ["cpu": .double(r.cpu ?? 0), "memoryGiB": .double(r.memoryGiB ?? 0), "gpu": .int(r.gpu ? 1 : 0)]
    }

    /// Gives back the capacity a deleted standalone auction holds: nil when it holds none,
    /// false when a node changed meanwhile (try again), true once released.
    func releaseLease(of auction: Resource, _ ctx: ReconcileContext) async throws -> Bool? {
        let resKey = AuctionLease.reservationKey(auction.key)
        let holding = ctx.cache.list("FogNode").filter { $0.status?["reservations"]?[resKey] != nil }
        guard !holding.isEmpty else { return nil }
        do {
            _ = try await ctx.client.patchStatuses(holding.map { n in
                StatusPatch(key: n.key, expect: [.init(path: "reservations", value: n.status?["reservations"])],
                            patch: ["reservations": .object([resKey: .null])])
            })
        } catch let e as StoreError where e.code == .conflict { return false }
        await ctx.events.record(auction, .normal, reason: "Released",
                                message: "released the capacity held on \(holding.count) node\(holding.count == 1 ? "" : "s")")
        return true
    }

    // MARK: - Bids

    static func bids(of auction: ObjectKey, _ cache: InformerSet) -> [Resource] {
        cache.list("Bid", namespace: auction.namespace).filter { $0.spec?["auction"]?.stringValue == auction.name }.sorted { $0.name < $1.name }
    }

    /// The sha256 of a bid's spec in canonical JSON (sorted keys): what receipt records.
    static func digest(_ bid: Resource) -> String { BlobStore.digest(of: JSONCoding.encodeBytes(bid.spec ?? .null)) }

    static func isFinal(_ bid: Resource) -> Bool {
        let o = bid.status?["outcome"]?.stringValue
        return o == "Won" || o == "Lost" || o == "Closed"
    }

    /// Gives every bid of `auction` without a final outcome this one (except `skipping`). Each
    /// write expects the outcome the cache shows: a bid the cache shows still Pending but that
    /// was just settled (Won) is never overwritten; on a conflict the reconcile runs again.
    func closeBids(of auction: ObjectKey, _ ctx: ReconcileContext, outcome: String, reason: String, message: String,
                   skipping: Set<String> = []) async throws {
        let open = Self.bids(of: auction, ctx.cache).filter { !Self.isFinal($0) && !skipping.contains($0.name) }
        guard !open.isEmpty else { return }
        do {
            _ = try await ctx.client.patchStatuses(open.map {
                StatusPatch(key: $0.key, expect: [.init(path: "outcome", value: $0.status?["outcome"])],
                            patch: ["outcome": .string(outcome), "reason": .string(reason), "message": .string(message)])
            })
        } catch let e as StoreError where e.code == .conflict {
            throw CacheBehind()
        }
    }

    /// The cache showed a bid's outcome older than the store's: reconcile again shortly.
    struct CacheBehind: Error {}

    func settleBids(_ outcome: AuctionOutcome, rejected: [String: (String, String)], _ ctx: ReconcileContext, key: ObjectKey) async throws {
        var patches: [StatusPatch] = []
        var seen: Set<String> = []
        for r in outcome.ranked {
            seen.insert(r.bid.id)
            var p: [String: JSONValue] = ["outcome": .string(r.won ? "Won" : "Lost")]
            if let rank = r.rank { p["rank"] = .int(Int64(rank)) }
            if let pay = r.payment { p["awardedPrice"] = .double(Self.round4(pay)) } else { p["reason"] = .string(r.loss?.rawValue ?? "Outbid") }
            patches.append(StatusPatch(key: ObjectKey(kind: "Bid", namespace: key.namespace, name: r.bid.id), patch: .object(p)))
        }
        for (name, why) in rejected where !seen.contains(name) {
            patches.append(StatusPatch(key: ObjectKey(kind: "Bid", namespace: key.namespace, name: name),
                                       patch: ["outcome": "Lost", "reason": .string(why.0), "message": .string(why.1)]))
        }
        if !patches.isEmpty { _ = try await ctx.client.patchStatuses(patches) }
        // Bids received after the clearing snapshot: lost too.
        try await closeBids(of: key, ctx, outcome: "Lost", reason: "AuctionClosed", message: "received after the auction closed",
                            skipping: seen.union(rejected.keys))
    }

    /// The ranked bid table kept in the auction's status (`describe auction` prints it).
    static func ranking(_ o: AuctionOutcome, rejected: [String: (String, String)], bids: [Resource]) -> [JSONValue] {
        var rows: [JSONValue] = o.ranked.map { r in
            var row: [String: JSONValue] = ["bid": .string(r.bid.id), "node": .string(r.bid.node), "price": .double(r.bid.price),
                                            "trust": .double(r.bid.trust), "region": .string(r.bid.region),
                                            "outcome": .string(r.won ? "Won" : "Lost")]
            if r.effectivePrice.isFinite { row["effectivePrice"] = .double(round4(r.effectivePrice)) }
            if let rank = r.rank { row["rank"] = .int(Int64(rank)) }
            if let p = r.payment { row["payment"] = .double(round4(p)) } else { row["reason"] = .string(r.loss?.rawValue ?? "Outbid") }
            return .object(row)
        }
        let byName = Dictionary(uniqueKeysWithValues: bids.map { ($0.name, $0) })
        for (name, why) in rejected.sorted(by: { $0.key < $1.key }) {
            rows.append(["bid": .string(name), "node": .string(byName[name]?.spec?["node"]?.stringValue ?? ""),
                         "price": .double(byName[name]?.spec?["price"]?.numberValue ?? 0), "outcome": "Lost",
                         "reason": .string(why.0 + (why.1.isEmpty ? "" : ": " + why.1))])
        }
        return rows
    }

    /// The allocation with each participant's price replaced by its payment (unit payment ×
    /// units) and its bid recorded, and the total recomputed.
    static func withPayments(_ allocation: JSONValue, outcome: AuctionOutcome, auction: String) -> JSONValue {
        guard var o = allocation.objectValue else { return allocation }
        let byNode = Dictionary(uniqueKeysWithValues: outcome.winners.map { ($0.bid.node, $0) })
        var total = 0.0
        o["participants"] = .array((o["participants"]?.arrayValue ?? []).map { p in
            guard var q = p.objectValue, let n = q["node"]?.stringValue, let w = byNode[n] else { return p }
            let price = round4(w.payment! * outcome.units)
            total += price
            q["price"] = .double(price)
            q["bid"] = .string(w.bid.id)
            q["unitPrice"] = .double(round4(w.payment!))
            return .object(q)
        })
        o["totalPrice"] = .double(round4(total))
        o["auction"] = .string(auction)
        return .object(o)
    }

    /// Four decimals, rounded down: a rounded payment never exceeds the reserve or the budget.
    static func round4(_ x: Double) -> Double { (x * 10000).rounded(.down) / 10000 }
}
