import FogAPI
import FogMarket
import FogModel
import FogRuntime
import Foundation

/// Opens the Auction of each admitted job with `allocation.mode: auction`: an Auction of the
/// job's name, owned by it (deleting the job deletes the auction, whose controller then closes
/// its bids), buying what the job needs: `participants.min`…`max`, the job's requirements and
/// regions (one aggregator per region under a hierarchy), the privacy mechanisms its PrivacyPolicy
/// enables (every winner must take part in them), its min trust and the mechanism.
///
/// Units and reserve: a training job buys `quote.quantity` hours from each winner, an inference
/// job its share of the requests (`⌈requests / participants.max⌉`). The first round's unit
/// reserve is `allocation.auction.reservePrice`, else the quote spread over the participants and
/// units: `quote.total / (participants.max × units)`; a reopened round may go up to the budget's
/// share, `budget.max / (participants.max × units)`. Winners are never paid above the reserve
/// in force, so the job never pays more than its budget.
public struct AuctionJobController: Controller {
    public let name = "auction-job"
    public let kind = "FederatedJob"

    public init() {}

    public var sources: [WatchSource] { Watches.for("FederatedJob").owns("Auction").sources }

    public func reconcile(_ key: ObjectKey, _ ctx: ReconcileContext) async throws -> ReconcileResult {
        guard let job = ctx.cache.get(key), job.metadata.deletionTimestamp == nil else { return .done }
        let phase = JobPhase(status: job.status)
        guard phase == .admitted else { return .done }
        let spec = try job.reconciledSpec(FederatedJobSpec.self)
        guard spec.allocation.mode == .auction else { return .done }
        let auctionKey = ObjectKey(kind: "Auction", namespace: job.namespace, name: job.name)
        if ctx.cache.get(auctionKey) != nil { return .done }
        guard let quote = Quote(json: job.status?["quote"]) else { return .done }
        guard try await ctx.client.get(auctionKey) == nil else { return .done }
        let policy = ctx.cache.get(ObjectKey(kind: "PrivacyPolicy", namespace: "", name: spec.privacy))
        let auction = Self.auction(for: job, spec: spec, quote: quote, privacy: try policy?.reconciledSpec(PrivacyPolicySpec.self))
        do { _ = try await ctx.client.create(auction) } catch let e as StoreError where e.code == .alreadyExists { return .done }
        await ctx.events.record(job, .normal, reason: "AuctionOpened",
                                message: String(format: "auction %@ opened: %d–%d participants, reserve %.4f %@ per %@ for %g %@s each",
                                                job.name, spec.participants.min, spec.participants.maxOrMin,
                                                auction.spec?["reservePrice"]?.numberValue ?? 0, quote.currency,
                                                auction.spec?["unit"]?.stringValue ?? "hour", auction.spec?["units"]?.numberValue ?? 1,
                                                auction.spec?["unit"]?.stringValue ?? "hour"))
        return .done
    }

    /// The auction a job opens (pure, for tests and `describe`).
    static func auction(for job: Resource, spec: FederatedJobSpec, quote: Quote, privacy: PrivacyPolicySpec? = nil) -> Resource {
        let maxP = spec.participants.maxOrMin
        let inference = spec.type == .inference
        let units = inference ? (quote.quantity / Double(max(1, maxP))).rounded(.up) : quote.quantity
        let share = Double(max(1, maxP)) * max(units, 1e-9)
        let ceilingTotal = spec.budget?.max ?? quote.total
        let ceiling = ceilingTotal / share
        let settings = spec.allocation.auction
        let reserve = min(ceiling, settings?.reservePrice ?? quote.total / share)
        var s: [String: JSONValue] = [
            "job": .string(job.name),
            "mechanism": .string(settings?.mechanism.rawValue ?? "critical-value"),
            "participantsWanted": .int(Int64(maxP)),
            "participantsMin": .int(Int64(spec.participants.min)),
            "unit": .string(inference ? "request" : "hour"),
            "units": .double(Self.round(units, 6)),
            "reservePrice": .double(Self.round(reserve, 6)),
            "reserveCeiling": .double(Self.round(max(reserve, ceiling), 6)),
            "maxRounds": .int(Int64(settings?.maxRounds ?? 3)),
            "currency": .string(quote.currency),
            "requirements": ["cpu": .double(spec.placement.requirements.cpu), "memoryGiB": .double(spec.placement.requirements.memoryGiB),
                             "gpu": .bool(spec.placement.requirements.gpu)],
            "hierarchy": .bool(spec.hierarchy.enabled),
            "duration": .string(settings?.duration ?? "2s"),
            "minTrust": .double(spec.placement.minTrust),
            "trustWeight": .double(settings?.trustWeight ?? 0.3),
        ]
        if let privacy, case let required = PrivacyLevel.enabledMechanisms(privacy), !required.isEmpty {
            s["requiredPrivacyCapabilities"] = .array(required.map { .string($0) })
        }
        if let regions = spec.placement.regions, !regions.isEmpty { s["regions"] = .array(regions.sorted().map { .string($0) }) }
        var meta = ObjectMeta(name: job.name, namespace: job.namespace)
        meta.labels = ["fog/job": job.name]
        meta.ownerReferences = [OwnerReference(kind: job.kind, name: job.name, uid: job.metadata.uid, controller: true, blockOwnerDeletion: true)]
        return Resource(kind: "Auction", metadata: meta, content: ["spec": .object(s)])
    }

    static func round(_ x: Double, _ digits: Int) -> Double {
        let f = pow(10, Double(digits))
        return (x * f).rounded(.down) / f
    }
}
