import FogClient
import FogMarket
import FogModel
import FogRuntime
import Foundation

/// The simulated fleet's bidders: each simulated node bids on open auctions from its own typed
/// bid policy (`spec.bidding`, FogMarket's `BidPolicy`), as a real agent does: once per
/// auction, only when Ready, with the auction's requirements free on it, below its cap on
/// concurrent commitments (jobs reserved on it plus its bids still pending), only when it takes
/// part in the privacy mechanisms the auction requires, and, when the auction names regions, only in them.
extension SimulatedFleet {
    /// Bids whenever an auction opens or reopens (a watch, resumed after errors).
    func bidLoop() async throws {
        await ChangeFollower.follow("Auction", client: client, clock: clock, jitter: { 0.5 },
                                    wants: { $0.object?.status?["phase"]?.stringValue == "Open" }) { _ = try await bidOnOpenAuctions() }
    }

    /// Places the fleet's bids on every open auction it has not bid on yet; returns how many.
    @discardableResult
    public func bidOnOpenAuctions() async throws -> Int {
        let auctions = try await client.list(kind: "Auction", namespace: nil, selector: LabelSelector()).items
            .filter { $0.status?["phase"]?.stringValue == "Open" }
        guard !auctions.isEmpty else { return 0 }
        let mine = Set(nodeNames)
        let nodes = try await client.list(kind: "FogNode", namespace: nil, selector: LabelSelector()).items
            .filter { mine.contains($0.name) }
        let existing = try await client.list(kind: "Bid", namespace: nil, selector: LabelSelector()).items
        let bids = Self.bids(on: auctions, by: nodes, existing: existing)
        var placed = 0
        // New names only: a bid is never rewritten (its digest was recorded at receipt).
        for chunk in stride(from: 0, to: bids.count, by: 500) {
            let part = Array(bids[chunk..<min(bids.count, chunk + 500)])
            do {
                _ = try await client.apply(part, dryRun: false)
                placed += part.count
            } catch {
                // An auction closed meanwhile (the server refuses its bids): place the others one by one.
                for b in part { if (try? await client.create(b)) != nil { placed += 1 } }
            }
        }
        return placed
    }

    /// The bids `nodes` place on `auctions`, given the bids that exist (pure: tests call it).
    public static func bids(on auctions: [Resource], by nodes: [Resource], existing: [Resource]) -> [Resource] {
        var taken: Set<String> = []  // "namespace/auction/node"
        var pending: [String: Int] = [:]
        for b in existing {
            guard let a = b.spec?["auction"]?.stringValue, let n = b.spec?["node"]?.stringValue else { continue }
            taken.insert(b.namespace + "/" + a + "/" + n)
            let outcome = b.status?["outcome"]?.stringValue
            if outcome == nil || outcome == "Pending" { pending[n, default: 0] += 1 }
        }
        var out: [Resource] = []
        let specs: [(Resource, AuctionSpec)] = auctions.compactMap { a in (try? a.decodeSpec(AuctionSpec.self)).map { (a, $0) } }
        for node in nodes.sorted(by: { $0.name < $1.name }) {
            guard node.condition("Ready")?.status == .true, node.metadata.deletionTimestamp == nil,
                  let ns = try? node.decodeSpec(FogNodeSpec.self), !ns.unschedulable else { continue }
            let reservations = node.status?["reservations"]?.objectValue ?? [:]
            // Each node takes the auctions in its own (seeded) order, so that under a cap on
            // commitments a fleet spreads its bids over many auctions rather than the first few.
            let order = specs.sorted { Self.mix(node.name, $0.0) < Self.mix(node.name, $1.0) }
            for (auction, spec) in order {
                if let regions = spec.regions, !regions.isEmpty, !regions.contains(ns.region) { continue }
                let required = Set((spec.requiredPrivacyCapabilities ?? []).map(\.rawValue))
                if !PrivacyLevel.lacking(required, capabilities: PrivacyLevel.capabilities(of: ns)).isEmpty { continue }
                if taken.contains(auction.namespace + "/" + auction.name + "/" + node.name) { continue }
                let situation = BidPolicy.Situation(
                    unit: spec.unit.rawValue, cpuWanted: spec.requirements?.cpu ?? 0, memoryGiBWanted: spec.requirements?.memoryGiB ?? 0,
                    capacityCpu: ns.capacity.cpu, committedCpu: reservations.values.reduce(0) { $0 + ($1["cpu"]?.numberValue ?? 0) },
                    capacityMemoryGiB: ns.capacity.memoryGiB,
                    committedMemoryGiB: reservations.values.reduce(0) { $0 + ($1["memoryGiB"]?.numberValue ?? 0) },
                    commitments: reservations.count + pending[node.name, default: 0])
                guard case .success(let price) = BidPolicy(ns).bid(situation) else { continue }
                var meta = ObjectMeta(name: Self.bidName(auction: auction.name, node: node.name), namespace: auction.namespace)
                meta.labels = ["fog/auction": auction.name, "fog/node": node.name]
                out.append(Resource(kind: "Bid", metadata: meta, content: ["spec": [
                    "auction": .string(auction.name), "node": .string(node.name),
                    "price": .double((price * 1_000_000).rounded(.up) / 1_000_000),
                ]]))
                pending[node.name, default: 0] += 1
                taken.insert(auction.namespace + "/" + auction.name + "/" + node.name)
            }
        }
        return out
    }

    /// A node's order over auctions: FNV-1a of the node's and the auction's names.
    static func mix(_ node: String, _ auction: Resource) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in (node + "|" + auction.namespace + "/" + auction.name).utf8 { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        return h
    }

    /// `<auction>-<node>`, shortened with a hash when longer than a name may be.
    public static func bidName(auction: String, node: String) -> String {
        let name = auction + "-" + node
        guard name.count > 63 else { return name }
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in name.utf8 { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        return String(name.prefix(50)).trimmingCharacters(in: CharacterSet(charactersIn: "-")) + "-" + String(h % 0xFFFF_FFFF, radix: 16)
    }
}
