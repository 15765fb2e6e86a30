import FogAPI
import FogFleet
import FogMarket
import FogModel
import FogRuntime
import FogStore
import Foundation

/// Turns an admitted job (`allocation.mode: direct`) into participants and keeps
/// them healthy. Eligible nodes (`Eligibility`) are ranked with the job's
/// scoring algorithm, and `ParticipantSelection` chooses between
/// `participants.min` and `.max` of them maximising total score within the
/// job's quote. Capacity is reserved in each node's `status.reservations` in the
/// same store transaction as the job's `status.allocation`, with a
/// compare-and-swap on every touched node's reservations: two workers or two
/// servers can never book the same capacity twice. A participant that stops
/// being eligible (NotReady, no longer Harvestable, cordoned, trust fallen
/// below `placement.minTrust` after flagged updates…) is replaced by the best
/// eligible node (`ParticipantReplaced`), which takes over its data shard; with fewer than
/// `participants.min` left and none to be found, the job is `Degraded=True`
/// until nodes return. Reservations are released when the job ends or is deleted.
public struct AllocationController: Controller {
    public let name = "allocation"
    public let kind = "FederatedJob"
    public static let finalizer = "fog/allocation"
    /// How often a job waiting for nodes looks again (besides node changes of its own participants).
    public let retryInterval: Double
    let index: NodeIndex
    /// Eligible, scored nodes per shape of job, for first allocations.
    let pools = CandidatePools()
    /// Jobs short of participants (never allocated, or Degraded): a node that
    /// becomes Ready is offered to them at once rather than at their next retry.
    let waiting = WaitingJobs()

    /// One by default, as a scheduler binds pods: jobs rank the same nodes first, so two
    /// workers mostly collide on the same reservations and one of them starts over (it
    /// stays correct with more: every booking is a compare-and-swap).
    public let workers: Int

    public init(retryInterval: Double = 5, workers: Int = 1) { self.init(retryInterval: retryInterval, workers: workers, nodes: NodeIndex()) }
    init(retryInterval: Double = 5, workers: Int = 1, nodes: NodeIndex) {
        self.retryInterval = retryInterval
        self.workers = max(1, workers)
        index = nodes
    }

    public var sources: [WatchSource] {
        Watches.for("FederatedJob")
            // An auction-mode job's auction failing changes why it waits.
            .watches("Auction", when: [.changed("status.phase")]) { auction, _ in
                auction.spec?["job"]?.stringValue.map { [ObjectKey(kind: "FederatedJob", namespace: auction.namespace, name: $0)] } ?? []
            }
            // Only what can change a placement: the node's spec and labels, its conditions
            // (Ready, Harvestable), its reservations and its harvestable CPU. Heartbeats and
            // scores alone do not, and enqueueing the waiting jobs on each made every heartbeat
            // cost a pass over the fleet per waiting job.
            .watches("FogNode", when: [.generationChanged, .metadataChanged, .lifecycleChanged, .changed("status.conditions"),
                                       .changed("status.reservations"), .changed("status.harvest.allocatableCpu")]) { node, cache in
             // Jobs holding the node: its reservations name them (written in the same transaction as their allocations).
             var keys = (node.status?["reservations"]?.objectValue ?? [:]).keys.sorted().compactMap { k -> ObjectKey? in
                 let parts = k.split(separator: "/", maxSplits: 1)
                 return parts.count == 2 ? ObjectKey(kind: "FederatedJob", namespace: String(parts[0]), name: String(parts[1])) : nil
             }
             // A Ready node may be what a job short of participants is waiting for. (Jobs not tried
             // yet are queued by their own changes; enqueueing them on every node write would
             // rescore the fleet for each of them on each heartbeat.)
             if node.condition("Ready")?.status == .true { keys += waiting.keys }
             return keys
         }
         .sources
    }

    public var conditionTypes: Set<String> { ["Allocated", "Degraded"] }

    public func reconcile(_ key: ObjectKey, _ ctx: ReconcileContext) async throws -> ReconcileResult {
        guard let job = ctx.cache.get(key) else { return .done }
        let phase = JobPhase(status: job.status)
        // Releasing needs only the job's key: a job whose spec does not decode is still let go.
        if job.metadata.deletionTimestamp != nil || phase.isFinal {
            waiting.remove(key)
            return try await release(job, ctx)
        }
        guard phase.holdsSlot else {
            waiting.remove(key)
            return .done
        }
        let view = try JobView.resolved(job, ctx.cache)
        // Auction mode: the first participants come from the job's auction (the auctions family
        // books them with the same reservations); once allocated, failover is direct allocation's.
        let hasParticipants = !(job.status?["allocation"]?["participants"]?.arrayValue ?? []).isEmpty
        guard view.mode == .direct || hasParticipants else {
            let auction = ctx.cache.get(ObjectKey(kind: "Auction", namespace: job.namespace, name: job.name))
            let failed = auction?.status?["phase"]?.stringValue == "Failed"
            try await ctx.updateStatus(job, { _ in }, conditions: [
                failed ? Condition(type: "Allocated", status: .false, reason: "AuctionFailed",
                                   message: "auction \(job.name) failed: " + (auction?.status?["reason"]?.stringValue ?? ""))
                    : Condition(type: "Allocated", status: .false, reason: "AwaitingAuction",
                                message: "allocation.mode is auction: participants come from auction \(job.name)")])
            return .done
        }
        guard let tierObject = ctx.cache.get(ObjectKey(kind: "Tier", namespace: "", name: view.tier)) else { return .done }
        let tier = TierTerms(name: tierObject.name, spec: try tierObject.reconciledSpec(TierSpec.self))
        let quote = Quote(json: job.status?["quote"])
        let now = ctx.now.timeIntervalSince1970
        // The nodes this reconcile touches: the job's own, then those it chooses.
        var byName: [String: NodeFacts] = [:]

        // Current participants, and which of them still qualify.
        let current = (job.status?["allocation"]?["participants"]?.arrayValue ?? []).compactMap { $0["node"]?.stringValue }
        // The job's own nodes are read from the cache itself: the index follows the cache a moment
        // behind, and a change of one of them is what this reconcile may be answering.
        var unreadable: Set<String> = []
        for name in current {
            guard let node = ctx.cache.get(ObjectKey(kind: "FogNode", namespace: "", name: name)) else { continue }
            byName[name] = NodeIndex.facts(node)
            if byName[name] == nil { unreadable.insert(name) }
        }
        var kept: [String] = []
        var lost: [(String, String)] = []
        for name in current {
            if let node = byName[name] {
                if let why = Eligibility.exclusion(node, job: view, tier: tier, keeping: true) { lost.append((name, why.rawValue)) } else { kept.append(name) }
            } else {
                lost.append((name, unreadable.contains(name) ? "InvalidSpec" : "Deleted"))
            }
        }
        if !current.isEmpty && lost.isEmpty && job.condition("Degraded")?.status != .true
            && job.condition("Allocated")?.status == .true {
            return .done
        }

        // Candidates: eligible nodes not already in the job, scored with the job's algorithm. A first
        // allocation takes them from the pool of its shape (only nodes changed since are looked at).
        let context = ScoringContext()
        func score(_ node: NodeFacts) -> Double {
            Self.selectionScore(PeerScoring.score(index.stats(node, now: now), algorithm: view.algorithm, context: context).total)
        }
        func candidate(_ node: NodeFacts, score: Double, aggregator: Bool) -> Candidate {
            Candidate(id: node.name, score: score, price: Eligibility.price(node, job: view, quote: quote), region: node.region, aggregator: aggregator)
        }
        // Candidates come from the pool of the job's shape, for a first allocation and for
        // failover alike: nodes outside the job hold none of its reservations, so the pool's
        // judgement (every reservation counted) is the job's own. (Failover used to filter and
        // score every node itself.) Only those it could need: fewer than its participant count
        // of others dominate them (`CandidateDominance`), which leaves the best selection as it
        // is over every eligible node; a price factor that would not keep the nodes' order by
        // ask (negative, not a number) takes every node.
        let shape = CandidatePools.Shape(view, tier: tierObject.name, tierGeneration: tierObject.metadata.generation)
        let inJob = Set(current)
        let factor = Eligibility.priceFactor(job: view, quote: quote)
        let most = max(view.maxParticipants, view.minParticipants, current.count)
        func pooled(_ take: CandidatePools.Take) -> [CandidatePools.Entry] {
            pools.candidates(shape, index: index, cache: ctx.cache, now: now,
                             eligible: { Eligibility.exclusion($0, job: view, tier: tier, ownReservation: false) == nil },
                             score: score, take: take, excluding: inJob).entries
        }
        var pooledEntries = pooled(factor.isFinite && factor >= 0 ? .undominated(count: most) : .all)
        var candidates = pooledEntries.map { candidate($0.node, score: $0.score, aggregator: $0.aggregator) }
        let budget = quote.map { q in min(q.total, view.budget ?? q.total) } ?? view.budget
        var chosen: [String]
        var replaced: [(String, String)] = []
        var runnerUps: [String: AuctionFailover.RunnerUp] = [:]
        var shortfall: String?
        if current.isEmpty {
            let problem = SelectionProblem(candidates: candidates, minCount: view.minParticipants, maxCount: view.maxParticipants,
                                           budget: budget, hierarchy: view.hierarchy,
                                           requiredRegions: view.hierarchy ? Array(view.regions).sorted() : [])
            var result = ParticipantSelection.select(problem)
            if case .failure = result {
                // The same failure over every eligible node, but its message counts them all.
                pooledEntries = pooled(.all)
                candidates = pooledEntries.map { candidate($0.node, score: $0.score, aggregator: $0.aggregator) }
                var everyNode = problem
                everyNode.candidates = candidates
                result = ParticipantSelection.select(everyNode)
            }
            switch result {
            case .success(let s): chosen = s.chosen.map(\.id)
            case .failure(let f):
                waiting.insert(key)
                try await ctx.updateStatus(job, { _ in }, conditions: [
                    Condition(type: "Allocated", status: .false, reason: "InsufficientNodes", message: f.description)])
                return .requeue(after: retryInterval)
            }
        } else {
            // Failover: the same selection as the first allocation, with the participants that
            // still qualify pinned (FogMarket's Failover); back to strength after a shortfall too.
            let keptCandidates = kept.compactMap { name -> Candidate? in
                guard let node = byName[name] else { return nil }
                return candidate(node, score: score(node), aggregator: node.roles.contains("aggregator"))
            }
            // Auction mode: the job's closed auction's next-best bids replace lost winners first
            // (Auction/AuctionFailover.swift); direct failover below covers what they cannot.
            if view.mode == .auction && !lost.isEmpty {
                let previous = Dictionary((job.status?["allocation"]?["participants"]?.arrayValue ?? []).compactMap { p in
                    p["node"]?.stringValue.map { ($0, p) } }, uniquingKeysWith: { a, _ in a })
                let eligible = Dictionary(pooled(.all).map { ($0.name, $0.node) }, uniquingKeysWith: { a, _ in a })
                runnerUps = AuctionFailover.replacements(
                    lost: lost.map { (node: $0.0, region: previous[$0.0]?["region"]?.stringValue ?? "", aggregator: previous[$0.0]?["aggregator"]?.boolValue ?? false) },
                    auction: ctx.cache.get(ObjectKey(kind: "Auction", namespace: job.namespace, name: job.name)), eligible: eligible, taken: inJob,
                    hierarchy: view.hierarchy)
                if runnerUps.count < lost.count { runnerUps = [:] }  // all or none: otherwise direct failover decides
            }
            let plan = Failover.plan(Failover.Problem(
                kept: keptCandidates, lost: lost.map { (id: $0.0, region: byName[$0.0]?.region ?? "") }, candidates: candidates,
                minCount: view.minParticipants, target: max(view.minParticipants, current.count), budget: budget,
                hierarchy: view.hierarchy, requiredRegions: view.hierarchy ? Array(view.regions).sorted() : []))
            chosen = plan.chosen
            replaced = plan.replaced.map { ($0.old, $0.new) }
            if !runnerUps.isEmpty {
                chosen = current.map { runnerUps[$0]?.node ?? $0 }
                replaced = lost.map { ($0.0, runnerUps[$0.0]!.node) }
            }
            if plan.short && runnerUps.isEmpty {
                shortfall = "\(chosen.count) of at least \(view.minParticipants) participants eligible; lost: "
                    + lost.map { "\($0.0) (\($0.1))" }.joined(separator: ", ")
            }
        }

        var scoreOf: [String: Double] = [:]
        let chosenSet = Set(chosen)
        for (i, c) in candidates.enumerated() where chosenSet.contains(c.id) {
            scoreOf[c.id] = c.score
            byName[c.id] = pooledEntries[i].node
        }

        // One transaction: reservations on every touched node (compare-and-swap) and the job's allocation.
        let resKey = view.reservationKey
        var patches: [StatusPatch] = []
        let added = chosen.filter { !current.contains($0) }
        let removed = current.filter { !chosen.contains($0) }
        for name in added {
            guard let node = byName[name] else { continue }
            patches.append(StatusPatch(key: node.key, expect: [.init(path: "reservations", value: node.reservationsJSON)],
                                       patch: ["reservations": .object([resKey: view.reservation])]))
        }
        for name in removed {
            guard let node = byName[name], node.reservations[resKey] != nil else { continue }
            patches.append(StatusPatch(key: node.key, expect: [.init(path: "reservations", value: node.reservationsJSON)],
                                       patch: ["reservations": .object([resKey: .null])]))
        }
        let allocation = AuctionFailover.withRunnerUps(
            Self.allocationJSON(chosen: chosen, byName: byName, scores: scoreOf, job: view, quote: quote, now: now,
                                previous: job.status?["allocation"]), runnerUps)
        let total = allocation["totalPrice"]?.numberValue ?? 0
        let regions = Set(chosen.compactMap { byName[$0]?.region }.filter { !$0.isEmpty })
        var conditions = [Condition(type: "Allocated", status: .true, reason: "Allocated",
                                    message: String(format: "%d participants in %d region%@, %.2f %@ to nodes", chosen.count, regions.count,
                                                    regions.count == 1 ? "" : "s", total, quote?.currency ?? "USD"))]
        conditions.append(shortfall.map { Condition(type: "Degraded", status: .true, reason: "InsufficientNodes", message: $0) }
                          ?? Condition(type: "Degraded", status: .false, reason: "AtStrength", message: ""))
        // The phase and the conditions move with the allocation, in the same transaction (the
        // conditions compared and swapped too: another controller's condition written since the
        // cache was read is not overwritten; the reconcile looks again instead).
        var jobPatch: [String: JSONValue] = ["allocation": allocation, "observedGeneration": .int(job.metadata.generation)]
        if phase == .admitted { jobPatch["phase"] = .string(JobPhase.allocated.rawValue) }
        var withConditions = job
        var cs = withConditions.conditions
        for c in conditions { cs.set(c, now: ctx.timestamp) }
        withConditions.conditions = cs
        jobPatch["conditions"] = withConditions.status?["conditions"]
        patches.append(StatusPatch(key: job.key, expect: [.init(path: "allocation", value: job.status?["allocation"]),
                                                          .init(path: "phase", value: job.status?["phase"]),
                                                          .init(path: "conditions", value: job.status?["conditions"])],
                                   patch: .object(jobPatch)))
        if !added.isEmpty { _ = try await ctx.ensureFinalizer(job, Self.finalizer) }
        do {
            _ = try await ctx.client.patchStatuses(patches)
        } catch let e as StoreError where e.code == .conflict {
            // Someone booked one of these nodes first (or the cache is behind): look again shortly.
            return .requeue(after: 0.02)
        }
        for (old, new) in replaced {
            let how = runnerUps[old].map { String(format: " (next-best bid %@ of the job's auction, %.4f per unit)", $0.bid, $0.unitPrice) } ?? ""
            await ctx.events.record(job, .normal, reason: "ParticipantReplaced", message: "\(old) → \(new): \(lost.first { $0.0 == old }?.1 ?? "lost")" + how)
        }
        if current.isEmpty {
            await ctx.events.record(job, .normal, reason: "Allocated", message: conditions[0].message)
        }
        if shortfall == nil { waiting.remove(key) } else { waiting.insert(key) }
        return shortfall == nil ? .done : .requeue(after: retryInterval)
    }

    /// A score as selection compares it: to the hundredth the allocation records and `top` shows.
    /// Finer digits come from when each node was first seen (its longevity grows by the second),
    /// which is the order heartbeats happened to be processed in: two nodes equal to the hundredth
    /// are a tie, which selection breaks by name, so the same fleet gives the same participants
    /// in the same order (and the same data shards) from run to run.
    static func selectionScore(_ score: Double) -> Double { (score * 100).rounded() / 100 }

    static func allocationJSON(chosen: [String], byName: [String: NodeFacts], scores: [String: Double], job: JobView,
                               quote: Quote?, now: Double, previous: JSONValue?) -> JSONValue {
        var old: [String: JSONValue] = [:]
        for p in previous?["participants"]?.arrayValue ?? [] { if let n = p["node"]?.stringValue { old[n] = p } }
        var participants: [JSONValue] = []
        var totalScore = 0.0, totalPrice = 0.0
        var aggregators: [String: String] = [:]
        for name in chosen {
            if let kept = old[name] {
                participants.append(kept)
                totalScore += kept["score"]?.numberValue ?? 0
                totalPrice += kept["price"]?.numberValue ?? 0
                if kept["aggregator"]?.boolValue == true, let r = kept["region"]?.stringValue { aggregators[r] = aggregators[r] ?? name }
                continue
            }
            guard let node = byName[name] else { continue }
            let region = node.region
            let roles = node.roles
            let score = ((scores[name] ?? 0) * 100).rounded() / 100
            let price = (Eligibility.price(node, job: job, quote: quote) * 10000).rounded() / 10000
            let isAggregator = job.hierarchy && roles.contains("aggregator") && aggregators[region] == nil
            if isAggregator { aggregators[region] = name }
            participants.append(["node": .string(name), "region": .string(region), "class": node.classJSON,
                                 "score": .double(score), "price": .double(price), "aggregator": .bool(isAggregator),
                                 "since": .string(Timestamp.format(Date(timeIntervalSince1970: now)))])
            totalScore += score
            totalPrice += price
        }
        var o: [String: JSONValue] = ["participants": .array(participants), "participantCount": .int(Int64(participants.count)),
                                      "algorithm": .string(job.algorithm.rawValue),
                                      "totalScore": .double((totalScore * 100).rounded() / 100),
                                      "totalPrice": .double((totalPrice * 10000).rounded() / 10000)]
        if job.hierarchy { o["aggregators"] = .object(aggregators.mapValues { .string($0) }) }
        return .object(o)
    }

    /// Gives back every reservation the job holds, then lets a deleted job go.
    func release(_ job: Resource, _ ctx: ReconcileContext) async throws -> ReconcileResult {
        let resKey = JobView.reservationKey(job.key)
        // From the cache itself, not the index that follows it: no reservation may be missed.
        let holding = ctx.cache.list("FogNode").filter { $0.status?["reservations"]?[resKey] != nil }
        if !holding.isEmpty {
            let patches = holding.map { n in
                StatusPatch(key: n.key, expect: [.init(path: "reservations", value: n.status?["reservations"])],
                            patch: ["reservations": .object([resKey: .null])])
            }
            do { _ = try await ctx.client.patchStatuses(patches) } catch let e as StoreError where e.code == .conflict {
                return .requeue(after: 0.02)
            }
            await ctx.events.record(job, .normal, reason: "Released", message: "released reservations on \(holding.count) node\(holding.count == 1 ? "" : "s")")
        }
        if job.metadata.deletionTimestamp != nil {
            try await ctx.removeFinalizer(job, Self.finalizer)
        }
        return .done
    }
}

/// A set of job keys shared by an allocation controller's workers and its watch mapping.
final class WaitingJobs: @unchecked Sendable {
    private let lock = NSLock()
    private var set: Set<ObjectKey> = []
    /// `set` in order, kept until it changes: every Ready node's change asks for it.
    private var ordered: [ObjectKey]? = []

    func insert(_ key: ObjectKey) { lock.withLock { if set.insert(key).inserted { ordered = nil } } }
    func remove(_ key: ObjectKey) { lock.withLock { if set.remove(key) != nil { ordered = nil } } }
    var keys: [ObjectKey] {
        lock.withLock {
            if let ordered { return ordered }
            let sorted = set.sorted()
            ordered = sorted
            return sorted
        }
    }
}
