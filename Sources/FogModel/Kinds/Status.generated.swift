// Generated from the kinds' schemas (schemas/*.json, $defs/Status) by StatusTypeGenerator
// (FogManifest). Do not edit: change the schema, then run
// FOG_REGENERATE=1 swift test --filter StatusTypeTests

/// Auction status, written by the auction controller.
public struct AuctionStatus: KindStatus {
    public static let kind = "Auction"

    /// Bids received.
    public var bidCount: Int?

    /// Every bid received, by name: its node, the sha256 digest of its spec at receipt (a bid changed
    /// afterwards is detectable) and when it was received.
    public var bids: [String: Bid]?

    /// The highest unit payment to a winner.
    public var clearingPrice: Double?

    /// When the auction closed or failed.
    public var closedAt: String?

    /// When bidding closes.
    public var closesAt: String?

    /// Open (True while taking bids) and Cleared (winners booked, or why not).
    public var conditions: [Condition]?

    /// A standalone auction's booking: the capacity held on each winner (under reservationKey in its
    /// status.reservations) until the auction is deleted.
    public var lease: Lease?

    public var observedGeneration: Int?

    /// When the current round opened.
    public var openedAt: String?

    /// Open (taking bids), Closed (winners chosen), or Failed (no clearing after the last round). The
    /// API server treats Closed, Cleared and Failed as no longer open: bids become readable to tenants
    /// and new ones are refused.
    public var phase: Phase?

    /// After close: every bid ranked (eligible ones by trust-weighted effective price), with its
    /// outcome.
    public var ranking: [RankingItem]?

    /// Why the auction failed.
    public var reason: String?

    /// The unit reserve in force (after the budget).
    public var reservePrice: Double?

    /// Bidding round, from 1 (each reopening adds one).
    public var round: Int?

    /// What the winners are paid in all (unit payments × units).
    public var totalPayment: Double?

    /// Winners.
    public var winnerCount: Int?

    public init(bidCount: Int? = nil, bids: [String: Bid]? = nil, clearingPrice: Double? = nil, closedAt: String? = nil, closesAt: String? = nil, conditions: [Condition]? = nil, lease: Lease? = nil, observedGeneration: Int? = nil, openedAt: String? = nil, phase: Phase? = nil, ranking: [RankingItem]? = nil, reason: String? = nil, reservePrice: Double? = nil, round: Int? = nil, totalPayment: Double? = nil, winnerCount: Int? = nil) {
        self.bidCount = bidCount
        self.bids = bids
        self.clearingPrice = clearingPrice
        self.closedAt = closedAt
        self.closesAt = closesAt
        self.conditions = conditions
        self.lease = lease
        self.observedGeneration = observedGeneration
        self.openedAt = openedAt
        self.phase = phase
        self.ranking = ranking
        self.reason = reason
        self.reservePrice = reservePrice
        self.round = round
        self.totalPayment = totalPayment
        self.winnerCount = winnerCount
    }

    /// Reads `json`, the object at `path` (for errors).
    public init(json o: [String: JSONValue], at path: String) throws(JSONDecodingError) {
        if let v = o["bidCount"], !v.isNull { bidCount = try StatusRead.int(v, path + ".bidCount") } else { bidCount = nil }
        if let v = o["bids"], !v.isNull { bids = try StatusRead.map(v, path + ".bids") { e, ep throws(JSONDecodingError) in try Bid(json: StatusRead.object(e, ep), at: ep) } } else { bids = nil }
        if let v = o["clearingPrice"], !v.isNull { clearingPrice = try StatusRead.double(v, path + ".clearingPrice") } else { clearingPrice = nil }
        if let v = o["closedAt"], !v.isNull { closedAt = try StatusRead.string(v, path + ".closedAt") } else { closedAt = nil }
        if let v = o["closesAt"], !v.isNull { closesAt = try StatusRead.string(v, path + ".closesAt") } else { closesAt = nil }
        if let v = o["conditions"], !v.isNull { conditions = try StatusRead.array(v, path + ".conditions") { e, ep throws(JSONDecodingError) in try StatusRead.condition(e, ep) } } else { conditions = nil }
        if let v = o["lease"], !v.isNull { lease = try Lease(json: StatusRead.object(v, path + ".lease"), at: path + ".lease") } else { lease = nil }
        if let v = o["observedGeneration"], !v.isNull { observedGeneration = try StatusRead.int(v, path + ".observedGeneration") } else { observedGeneration = nil }
        if let v = o["openedAt"], !v.isNull { openedAt = try StatusRead.string(v, path + ".openedAt") } else { openedAt = nil }
        if let v = o["phase"], !v.isNull { phase = try StatusRead.enumeration(Phase.self, v, path + ".phase") } else { phase = nil }
        if let v = o["ranking"], !v.isNull { ranking = try StatusRead.array(v, path + ".ranking") { e, ep throws(JSONDecodingError) in try RankingItem(json: StatusRead.object(e, ep), at: ep) } } else { ranking = nil }
        if let v = o["reason"], !v.isNull { reason = try StatusRead.string(v, path + ".reason") } else { reason = nil }
        if let v = o["reservePrice"], !v.isNull { reservePrice = try StatusRead.double(v, path + ".reservePrice") } else { reservePrice = nil }
        if let v = o["round"], !v.isNull { round = try StatusRead.int(v, path + ".round") } else { round = nil }
        if let v = o["totalPayment"], !v.isNull { totalPayment = try StatusRead.double(v, path + ".totalPayment") } else { totalPayment = nil }
        if let v = o["winnerCount"], !v.isNull { winnerCount = try StatusRead.int(v, path + ".winnerCount") } else { winnerCount = nil }
    }

    /// As JSON, nil fields left out.
    public var jsonObject: [String: JSONValue] {
        var o: [String: JSONValue] = [:]
        if let v = bidCount { o["bidCount"] = .int(Int64(v)) }
        if let v = bids { o["bids"] = .object(v.mapValues { e in .object(e.jsonObject) }) }
        if let v = clearingPrice { o["clearingPrice"] = .double(v) }
        if let v = closedAt { o["closedAt"] = .string(v) }
        if let v = closesAt { o["closesAt"] = .string(v) }
        if let v = conditions { o["conditions"] = .array(v.map { e in e.json }) }
        if let v = lease { o["lease"] = .object(v.jsonObject) }
        if let v = observedGeneration { o["observedGeneration"] = .int(Int64(v)) }
        if let v = openedAt { o["openedAt"] = .string(v) }
        if let v = phase { o["phase"] = .string(v.rawValue) }
        if let v = ranking { o["ranking"] = .array(v.map { e in .object(e.jsonObject) }) }
        if let v = reason { o["reason"] = .string(v) }
        if let v = reservePrice { o["reservePrice"] = .double(v) }
        if let v = round { o["round"] = .int(Int64(v)) }
        if let v = totalPayment { o["totalPayment"] = .double(v) }
        if let v = winnerCount { o["winnerCount"] = .int(Int64(v)) }
        return o
    }

    public func write(into status: inout [String: JSONValue], changedFrom old: Self) {
        if bidCount != old.bidCount { status["bidCount"] = bidCount.map { v in .int(Int64(v)) } }
        if bids != old.bids { status["bids"] = bids.map { v in .object(v.mapValues { e in .object(e.jsonObject) }) } }
        if clearingPrice != old.clearingPrice { status["clearingPrice"] = clearingPrice.map { v in .double(v) } }
        if closedAt != old.closedAt { status["closedAt"] = closedAt.map { v in .string(v) } }
        if closesAt != old.closesAt { status["closesAt"] = closesAt.map { v in .string(v) } }
        if conditions != old.conditions { status["conditions"] = conditions.map { v in .array(v.map { e in e.json }) } }
        if lease != old.lease { status["lease"] = lease.map { v in .object(v.jsonObject) } }
        if observedGeneration != old.observedGeneration { status["observedGeneration"] = observedGeneration.map { v in .int(Int64(v)) } }
        if openedAt != old.openedAt { status["openedAt"] = openedAt.map { v in .string(v) } }
        if phase != old.phase { status["phase"] = phase.map { v in .string(v.rawValue) } }
        if ranking != old.ranking { status["ranking"] = ranking.map { v in .array(v.map { e in .object(e.jsonObject) }) } }
        if reason != old.reason { status["reason"] = reason.map { v in .string(v) } }
        if reservePrice != old.reservePrice { status["reservePrice"] = reservePrice.map { v in .double(v) } }
        if round != old.round { status["round"] = round.map { v in .int(Int64(v)) } }
        if totalPayment != old.totalPayment { status["totalPayment"] = totalPayment.map { v in .double(v) } }
        if winnerCount != old.winnerCount { status["winnerCount"] = winnerCount.map { v in .int(Int64(v)) } }
    }

    public static func fieldName(_ field: PartialKeyPath<Self>) -> String? {
        if field == \Self.bidCount { return "bidCount" }
        if field == \Self.bids { return "bids" }
        if field == \Self.clearingPrice { return "clearingPrice" }
        if field == \Self.closedAt { return "closedAt" }
        if field == \Self.closesAt { return "closesAt" }
        if field == \Self.conditions { return "conditions" }
        if field == \Self.lease { return "lease" }
        if field == \Self.observedGeneration { return "observedGeneration" }
        if field == \Self.openedAt { return "openedAt" }
        if field == \Self.phase { return "phase" }
        if field == \Self.ranking { return "ranking" }
        if field == \Self.reason { return "reason" }
        if field == \Self.reservePrice { return "reservePrice" }
        if field == \Self.round { return "round" }
        if field == \Self.totalPayment { return "totalPayment" }
        if field == \Self.winnerCount { return "winnerCount" }
        return nil
    }

    public struct Bid: StatusObject {
        public var digest: String?

        public var node: String?

        public var receivedAt: String?

        public init(digest: String? = nil, node: String? = nil, receivedAt: String? = nil) {
            self.digest = digest
            self.node = node
            self.receivedAt = receivedAt
        }

        /// Reads `json`, the object at `path` (for errors).
        public init(json o: [String: JSONValue], at path: String) throws(JSONDecodingError) {
            if let v = o["digest"], !v.isNull { digest = try StatusRead.string(v, path + ".digest") } else { digest = nil }
            if let v = o["node"], !v.isNull { node = try StatusRead.string(v, path + ".node") } else { node = nil }
            if let v = o["receivedAt"], !v.isNull { receivedAt = try StatusRead.string(v, path + ".receivedAt") } else { receivedAt = nil }
        }

        /// As JSON, nil fields left out.
        public var jsonObject: [String: JSONValue] {
            var o: [String: JSONValue] = [:]
            if let v = digest { o["digest"] = .string(v) }
            if let v = node { o["node"] = .string(v) }
            if let v = receivedAt { o["receivedAt"] = .string(v) }
            return o
        }
    }

    /// A standalone auction's booking: the capacity held on each winner (under reservationKey in its
    /// status.reservations) until the auction is deleted.
    public struct Lease: StatusObject {
        public var nodes: [String]?

        public var perNode: PerNode?

        public var reservationKey: String?

        public init(nodes: [String]? = nil, perNode: PerNode? = nil, reservationKey: String? = nil) {
            self.nodes = nodes
            self.perNode = perNode
            self.reservationKey = reservationKey
        }

        /// Reads `json`, the object at `path` (for errors).
        public init(json o: [String: JSONValue], at path: String) throws(JSONDecodingError) {
            if let v = o["nodes"], !v.isNull { nodes = try StatusRead.array(v, path + ".nodes") { e, ep throws(JSONDecodingError) in try StatusRead.string(e, ep) } } else { nodes = nil }
            if let v = o["perNode"], !v.isNull { perNode = try PerNode(json: StatusRead.object(v, path + ".perNode"), at: path + ".perNode") } else { perNode = nil }
            if let v = o["reservationKey"], !v.isNull { reservationKey = try StatusRead.string(v, path + ".reservationKey") } else { reservationKey = nil }
        }

        /// As JSON, nil fields left out.
        public var jsonObject: [String: JSONValue] {
            var o: [String: JSONValue] = [:]
            if let v = nodes { o["nodes"] = .array(v.map { e in .string(e) }) }
            if let v = perNode { o["perNode"] = .object(v.jsonObject) }
            if let v = reservationKey { o["reservationKey"] = .string(v) }
            return o
        }

        public struct PerNode: StatusObject {
            public var cpu: Double?

            public var gpu: Int?

            public var memoryGiB: Double?

            public init(cpu: Double? = nil, gpu: Int? = nil, memoryGiB: Double? = nil) {
                self.cpu = cpu
                self.gpu = gpu
                self.memoryGiB = memoryGiB
            }

            /// Reads `json`, the object at `path` (for errors).
            public init(json o: [String: JSONValue], at path: String) throws(JSONDecodingError) {
                if let v = o["cpu"], !v.isNull { cpu = try StatusRead.double(v, path + ".cpu") } else { cpu = nil }
                if let v = o["gpu"], !v.isNull { gpu = try StatusRead.int(v, path + ".gpu") } else { gpu = nil }
                if let v = o["memoryGiB"], !v.isNull { memoryGiB = try StatusRead.double(v, path + ".memoryGiB") } else { memoryGiB = nil }
            }

            /// As JSON, nil fields left out.
            public var jsonObject: [String: JSONValue] {
                var o: [String: JSONValue] = [:]
                if let v = cpu { o["cpu"] = .double(v) }
                if let v = gpu { o["gpu"] = .int(Int64(v)) }
                if let v = memoryGiB { o["memoryGiB"] = .double(v) }
                return o
            }
        }
    }

    /// Open (taking bids), Closed (winners chosen), or Failed (no clearing after the last round). The
    /// API server treats Closed, Cleared and Failed as no longer open: bids become readable to tenants
    /// and new ones are refused.
    public enum Phase: String, SchemaEnum {
        case `open` = "Open"
        case closed = "Closed"
        case failed = "Failed"
    }

    public struct RankingItem: StatusObject {
        public var bid: String?

        public var effectivePrice: Double?

        public var node: String?

        public var outcome: Outcome?

        /// Unit payment (winners).
        public var payment: Double?

        public var price: Double?

        public var rank: Int?

        public var reason: String?

        public var region: String?

        public var trust: Double?

        public init(bid: String? = nil, effectivePrice: Double? = nil, node: String? = nil, outcome: Outcome? = nil, payment: Double? = nil, price: Double? = nil, rank: Int? = nil, reason: String? = nil, region: String? = nil, trust: Double? = nil) {
            self.bid = bid
            self.effectivePrice = effectivePrice
            self.node = node
            self.outcome = outcome
            self.payment = payment
            self.price = price
            self.rank = rank
            self.reason = reason
            self.region = region
            self.trust = trust
        }

        /// Reads `json`, the object at `path` (for errors).
        public init(json o: [String: JSONValue], at path: String) throws(JSONDecodingError) {
            if let v = o["bid"], !v.isNull { bid = try StatusRead.string(v, path + ".bid") } else { bid = nil }
            if let v = o["effectivePrice"], !v.isNull { effectivePrice = try StatusRead.double(v, path + ".effectivePrice") } else { effectivePrice = nil }
            if let v = o["node"], !v.isNull { node = try StatusRead.string(v, path + ".node") } else { node = nil }
            if let v = o["outcome"], !v.isNull { outcome = try StatusRead.enumeration(Outcome.self, v, path + ".outcome") } else { outcome = nil }
            if let v = o["payment"], !v.isNull { payment = try StatusRead.double(v, path + ".payment") } else { payment = nil }
            if let v = o["price"], !v.isNull { price = try StatusRead.double(v, path + ".price") } else { price = nil }
            if let v = o["rank"], !v.isNull { rank = try StatusRead.int(v, path + ".rank") } else { rank = nil }
            if let v = o["reason"], !v.isNull { reason = try StatusRead.string(v, path + ".reason") } else { reason = nil }
            if let v = o["region"], !v.isNull { region = try StatusRead.string(v, path + ".region") } else { region = nil }
            if let v = o["trust"], !v.isNull { trust = try StatusRead.double(v, path + ".trust") } else { trust = nil }
        }

        /// As JSON, nil fields left out.
        public var jsonObject: [String: JSONValue] {
            var o: [String: JSONValue] = [:]
            if let v = bid { o["bid"] = .string(v) }
            if let v = effectivePrice { o["effectivePrice"] = .double(v) }
            if let v = node { o["node"] = .string(v) }
            if let v = outcome { o["outcome"] = .string(v.rawValue) }
            if let v = payment { o["payment"] = .double(v) }
            if let v = price { o["price"] = .double(v) }
            if let v = rank { o["rank"] = .int(Int64(v)) }
            if let v = reason { o["reason"] = .string(v) }
            if let v = region { o["region"] = .string(v) }
            if let v = trust { o["trust"] = .double(v) }
            return o
        }

        public enum Outcome: String, SchemaEnum {
            case won = "Won"
            case lost = "Lost"
        }
    }
}

/// Bid status, written by the auction controller.
public struct BidStatus: KindStatus {
    public static let kind = "Bid"

    /// The unit price the bid was awarded.
    public var awardedPrice: Double?

    /// sha256 of the bid's spec at receipt.
    public var digest: String?

    public var message: String?

    public var observedGeneration: Int?

    /// Pending while the auction is open; Won, Lost, or Closed (the auction or its job was deleted).
    public var outcome: Outcome?

    public var rank: Int?

    /// Why: Outbid, AboveReserve, BelowMinTrust, Ineligible (with the node's exclusion), Expired,
    /// DuplicateNode, NoClearing, AuctionDeleted, AuctionClosed.
    public var reason: String?

    public init(awardedPrice: Double? = nil, digest: String? = nil, message: String? = nil, observedGeneration: Int? = nil, outcome: Outcome? = nil, rank: Int? = nil, reason: String? = nil) {
        self.awardedPrice = awardedPrice
        self.digest = digest
        self.message = message
        self.observedGeneration = observedGeneration
        self.outcome = outcome
        self.rank = rank
        self.reason = reason
    }

    /// Reads `json`, the object at `path` (for errors).
    public init(json o: [String: JSONValue], at path: String) throws(JSONDecodingError) {
        if let v = o["awardedPrice"], !v.isNull { awardedPrice = try StatusRead.double(v, path + ".awardedPrice") } else { awardedPrice = nil }
        if let v = o["digest"], !v.isNull { digest = try StatusRead.string(v, path + ".digest") } else { digest = nil }
        if let v = o["message"], !v.isNull { message = try StatusRead.string(v, path + ".message") } else { message = nil }
        if let v = o["observedGeneration"], !v.isNull { observedGeneration = try StatusRead.int(v, path + ".observedGeneration") } else { observedGeneration = nil }
        if let v = o["outcome"], !v.isNull { outcome = try StatusRead.enumeration(Outcome.self, v, path + ".outcome") } else { outcome = nil }
        if let v = o["rank"], !v.isNull { rank = try StatusRead.int(v, path + ".rank") } else { rank = nil }
        if let v = o["reason"], !v.isNull { reason = try StatusRead.string(v, path + ".reason") } else { reason = nil }
    }

    /// As JSON, nil fields left out.
    public var jsonObject: [String: JSONValue] {
        var o: [String: JSONValue] = [:]
        if let v = awardedPrice { o["awardedPrice"] = .double(v) }
        if let v = digest { o["digest"] = .string(v) }
        if let v = message { o["message"] = .string(v) }
        if let v = observedGeneration { o["observedGeneration"] = .int(Int64(v)) }
        if let v = outcome { o["outcome"] = .string(v.rawValue) }
        if let v = rank { o["rank"] = .int(Int64(v)) }
        if let v = reason { o["reason"] = .string(v) }
        return o
    }

    public func write(into status: inout [String: JSONValue], changedFrom old: Self) {
        if awardedPrice != old.awardedPrice { status["awardedPrice"] = awardedPrice.map { v in .double(v) } }
        if digest != old.digest { status["digest"] = digest.map { v in .string(v) } }
        if message != old.message { status["message"] = message.map { v in .string(v) } }
        if observedGeneration != old.observedGeneration { status["observedGeneration"] = observedGeneration.map { v in .int(Int64(v)) } }
        if outcome != old.outcome { status["outcome"] = outcome.map { v in .string(v.rawValue) } }
        if rank != old.rank { status["rank"] = rank.map { v in .int(Int64(v)) } }
        if reason != old.reason { status["reason"] = reason.map { v in .string(v) } }
    }

    public static func fieldName(_ field: PartialKeyPath<Self>) -> String? {
        if field == \Self.awardedPrice { return "awardedPrice" }
        if field == \Self.digest { return "digest" }
        if field == \Self.message { return "message" }
        if field == \Self.observedGeneration { return "observedGeneration" }
        if field == \Self.outcome { return "outcome" }
        if field == \Self.rank { return "rank" }
        if field == \Self.reason { return "reason" }
        return nil
    }

    /// Pending while the auction is open; Won, Lost, or Closed (the auction or its job was deleted).
    public enum Outcome: String, SchemaEnum {
        case pending = "Pending"
        case won = "Won"
        case lost = "Lost"
        case closed = "Closed"
    }
}

/// CircuitPool status, written by the circuit-pool controller (docs/circuits.md).
public struct CircuitPoolStatus: KindStatus {
    public static let kind = "CircuitPool"

    /// Bytes of cells the control plane has sent through this pool's circuits (builds and probes).
    public var bytesRelayed: Int?

    /// The circuits kept ready.
    public var circuits: [Circuit]?

    /// Circuits built so far (the last circuit id's number).
    public var circuitsBuilt: Int?

    /// Ready (circuit-pool: True PoolFull; False TooFewRelays, NotDiverseEnough, RelaysNotAnswering or
    /// NoRelayTransport, with the reason in words), Reconciled (the controller runner, when a reconcile
    /// fails).
    public var conditions: [Condition]?

    /// Relays per circuit: spec.hops, raised to the privacy policy's onionRouting.hops.
    public var hops: Int?

    /// Why the hops differ from spec.hops.
    public var note: String?

    public var observedGeneration: Int?

    /// Circuits ready for use.
    public var readyCircuits: Int?

    /// Circuits replaced because a relay went NotReady, fell below the min trust, lost its key or
    /// stopped answering.
    public var rebuilds: Int?

    /// Relay nodes seen, and those eligible (Ready, publishing an address and key, trust at least the
    /// minimum).
    public var relays: Relays?

    /// Circuits replaced at their lifetime so far.
    public var rotations: Int?

    public init(bytesRelayed: Int? = nil, circuits: [Circuit]? = nil, circuitsBuilt: Int? = nil, conditions: [Condition]? = nil, hops: Int? = nil, note: String? = nil, observedGeneration: Int? = nil, readyCircuits: Int? = nil, rebuilds: Int? = nil, relays: Relays? = nil, rotations: Int? = nil) {
        self.bytesRelayed = bytesRelayed
        self.circuits = circuits
        self.circuitsBuilt = circuitsBuilt
        self.conditions = conditions
        self.hops = hops
        self.note = note
        self.observedGeneration = observedGeneration
        self.readyCircuits = readyCircuits
        self.rebuilds = rebuilds
        self.relays = relays
        self.rotations = rotations
    }

    /// Reads `json`, the object at `path` (for errors).
    public init(json o: [String: JSONValue], at path: String) throws(JSONDecodingError) {
        if let v = o["bytesRelayed"], !v.isNull { bytesRelayed = try StatusRead.int(v, path + ".bytesRelayed") } else { bytesRelayed = nil }
        if let v = o["circuits"], !v.isNull { circuits = try StatusRead.array(v, path + ".circuits") { e, ep throws(JSONDecodingError) in try Circuit(json: StatusRead.object(e, ep), at: ep) } } else { circuits = nil }
        if let v = o["circuitsBuilt"], !v.isNull { circuitsBuilt = try StatusRead.int(v, path + ".circuitsBuilt") } else { circuitsBuilt = nil }
        if let v = o["conditions"], !v.isNull { conditions = try StatusRead.array(v, path + ".conditions") { e, ep throws(JSONDecodingError) in try StatusRead.condition(e, ep) } } else { conditions = nil }
        if let v = o["hops"], !v.isNull { hops = try StatusRead.int(v, path + ".hops") } else { hops = nil }
        if let v = o["note"], !v.isNull { note = try StatusRead.string(v, path + ".note") } else { note = nil }
        if let v = o["observedGeneration"], !v.isNull { observedGeneration = try StatusRead.int(v, path + ".observedGeneration") } else { observedGeneration = nil }
        if let v = o["readyCircuits"], !v.isNull { readyCircuits = try StatusRead.int(v, path + ".readyCircuits") } else { readyCircuits = nil }
        if let v = o["rebuilds"], !v.isNull { rebuilds = try StatusRead.int(v, path + ".rebuilds") } else { rebuilds = nil }
        if let v = o["relays"], !v.isNull { relays = try Relays(json: StatusRead.object(v, path + ".relays"), at: path + ".relays") } else { relays = nil }
        if let v = o["rotations"], !v.isNull { rotations = try StatusRead.int(v, path + ".rotations") } else { rotations = nil }
    }

    /// As JSON, nil fields left out.
    public var jsonObject: [String: JSONValue] {
        var o: [String: JSONValue] = [:]
        if let v = bytesRelayed { o["bytesRelayed"] = .int(Int64(v)) }
        if let v = circuits { o["circuits"] = .array(v.map { e in .object(e.jsonObject) }) }
        if let v = circuitsBuilt { o["circuitsBuilt"] = .int(Int64(v)) }
        if let v = conditions { o["conditions"] = .array(v.map { e in e.json }) }
        if let v = hops { o["hops"] = .int(Int64(v)) }
        if let v = note { o["note"] = .string(v) }
        if let v = observedGeneration { o["observedGeneration"] = .int(Int64(v)) }
        if let v = readyCircuits { o["readyCircuits"] = .int(Int64(v)) }
        if let v = rebuilds { o["rebuilds"] = .int(Int64(v)) }
        if let v = relays { o["relays"] = .object(v.jsonObject) }
        if let v = rotations { o["rotations"] = .int(Int64(v)) }
        return o
    }

    public func write(into status: inout [String: JSONValue], changedFrom old: Self) {
        if bytesRelayed != old.bytesRelayed { status["bytesRelayed"] = bytesRelayed.map { v in .int(Int64(v)) } }
        if circuits != old.circuits { status["circuits"] = circuits.map { v in .array(v.map { e in .object(e.jsonObject) }) } }
        if circuitsBuilt != old.circuitsBuilt { status["circuitsBuilt"] = circuitsBuilt.map { v in .int(Int64(v)) } }
        if conditions != old.conditions { status["conditions"] = conditions.map { v in .array(v.map { e in e.json }) } }
        if hops != old.hops { status["hops"] = hops.map { v in .int(Int64(v)) } }
        if note != old.note { status["note"] = note.map { v in .string(v) } }
        if observedGeneration != old.observedGeneration { status["observedGeneration"] = observedGeneration.map { v in .int(Int64(v)) } }
        if readyCircuits != old.readyCircuits { status["readyCircuits"] = readyCircuits.map { v in .int(Int64(v)) } }
        if rebuilds != old.rebuilds { status["rebuilds"] = rebuilds.map { v in .int(Int64(v)) } }
        if relays != old.relays { status["relays"] = relays.map { v in .object(v.jsonObject) } }
        if rotations != old.rotations { status["rotations"] = rotations.map { v in .int(Int64(v)) } }
    }

    public static func fieldName(_ field: PartialKeyPath<Self>) -> String? {
        if field == \Self.bytesRelayed { return "bytesRelayed" }
        if field == \Self.circuits { return "circuits" }
        if field == \Self.circuitsBuilt { return "circuitsBuilt" }
        if field == \Self.conditions { return "conditions" }
        if field == \Self.hops { return "hops" }
        if field == \Self.note { return "note" }
        if field == \Self.observedGeneration { return "observedGeneration" }
        if field == \Self.readyCircuits { return "readyCircuits" }
        if field == \Self.rebuilds { return "rebuilds" }
        if field == \Self.relays { return "relays" }
        if field == \Self.rotations { return "rotations" }
        return nil
    }

    public struct Circuit: StatusObject {
        /// How long the last build over this path took (create through every hop and the exit's
        /// confirmation back).
        public var buildMillis: Double?

        /// When it was built.
        public var built: String

        /// Bytes of cells the control plane sent over this path.
        public var bytesRelayed: Int?

        /// When it is rotated (built + lifetime).
        public var expires: String

        /// Ready (a circuit that fails is replaced, not listed).
        public var health: String

        /// How an origin reaches each relay, in path order: its address and newest onion public key (copied
        /// from the relay's status.relay, as agents may not read other nodes).
        public var hops: [Hop]?

        /// POOL-N.
        public var id: String

        /// When a circuit over this path last built through every relay.
        public var probed: String?

        /// Their regions, in the same order.
        public var regions: [String]?

        /// Relay node names, first hop (guard) to exit.
        public var relays: [String]

        public init(buildMillis: Double? = nil, built: String, bytesRelayed: Int? = nil, expires: String, health: String, hops: [Hop]? = nil, id: String, probed: String? = nil, regions: [String]? = nil, relays: [String]) {
            self.buildMillis = buildMillis
            self.built = built
            self.bytesRelayed = bytesRelayed
            self.expires = expires
            self.health = health
            self.hops = hops
            self.id = id
            self.probed = probed
            self.regions = regions
            self.relays = relays
        }

        /// Reads `json`, the object at `path` (for errors).
        public init(json o: [String: JSONValue], at path: String) throws(JSONDecodingError) {
            if let v = o["buildMillis"], !v.isNull { buildMillis = try StatusRead.double(v, path + ".buildMillis") } else { buildMillis = nil }
            built = try StatusRead.string(try StatusRead.required(o["built"], path + ".built"), path + ".built")
            if let v = o["bytesRelayed"], !v.isNull { bytesRelayed = try StatusRead.int(v, path + ".bytesRelayed") } else { bytesRelayed = nil }
            expires = try StatusRead.string(try StatusRead.required(o["expires"], path + ".expires"), path + ".expires")
            health = try StatusRead.string(try StatusRead.required(o["health"], path + ".health"), path + ".health")
            if let v = o["hops"], !v.isNull { hops = try StatusRead.array(v, path + ".hops") { e, ep throws(JSONDecodingError) in try Hop(json: StatusRead.object(e, ep), at: ep) } } else { hops = nil }
            id = try StatusRead.string(try StatusRead.required(o["id"], path + ".id"), path + ".id")
            if let v = o["probed"], !v.isNull { probed = try StatusRead.string(v, path + ".probed") } else { probed = nil }
            if let v = o["regions"], !v.isNull { regions = try StatusRead.array(v, path + ".regions") { e, ep throws(JSONDecodingError) in try StatusRead.string(e, ep) } } else { regions = nil }
            relays = try StatusRead.array(try StatusRead.required(o["relays"], path + ".relays"), path + ".relays") { e, ep throws(JSONDecodingError) in try StatusRead.string(e, ep) }
        }

        /// As JSON, nil fields left out.
        public var jsonObject: [String: JSONValue] {
            var o: [String: JSONValue] = [:]
            if let v = buildMillis { o["buildMillis"] = .double(v) }
            o["built"] = .string(built)
            if let v = bytesRelayed { o["bytesRelayed"] = .int(Int64(v)) }
            o["expires"] = .string(expires)
            o["health"] = .string(health)
            if let v = hops { o["hops"] = .array(v.map { e in .object(e.jsonObject) }) }
            o["id"] = .string(id)
            if let v = probed { o["probed"] = .string(v) }
            if let v = regions { o["regions"] = .array(v.map { e in .string(e) }) }
            o["relays"] = .array(relays.map { e in .string(e) })
            return o
        }

        public struct Hop: StatusObject {
            public var address: String

            public var node: String

            /// Base64 X25519 public key.
            public var publicKey: String

            public init(address: String, node: String, publicKey: String) {
                self.address = address
                self.node = node
                self.publicKey = publicKey
            }

            /// Reads `json`, the object at `path` (for errors).
            public init(json o: [String: JSONValue], at path: String) throws(JSONDecodingError) {
                address = try StatusRead.string(try StatusRead.required(o["address"], path + ".address"), path + ".address")
                node = try StatusRead.string(try StatusRead.required(o["node"], path + ".node"), path + ".node")
                publicKey = try StatusRead.string(try StatusRead.required(o["publicKey"], path + ".publicKey"), path + ".publicKey")
            }

            /// As JSON, nil fields left out.
            public var jsonObject: [String: JSONValue] {
                var o: [String: JSONValue] = [:]
                o["address"] = .string(address)
                o["node"] = .string(node)
                o["publicKey"] = .string(publicKey)
                return o
            }
        }
    }

    /// Relay nodes seen, and those eligible (Ready, publishing an address and key, trust at least the
    /// minimum).
    public struct Relays: StatusObject {
        public var eligible: Int?

        public var total: Int?

        public init(eligible: Int? = nil, total: Int? = nil) {
            self.eligible = eligible
            self.total = total
        }

        /// Reads `json`, the object at `path` (for errors).
        public init(json o: [String: JSONValue], at path: String) throws(JSONDecodingError) {
            if let v = o["eligible"], !v.isNull { eligible = try StatusRead.int(v, path + ".eligible") } else { eligible = nil }
            if let v = o["total"], !v.isNull { total = try StatusRead.int(v, path + ".total") } else { total = nil }
        }

        /// As JSON, nil fields left out.
        public var jsonObject: [String: JSONValue] {
            var o: [String: JSONValue] = [:]
            if let v = eligible { o["eligible"] = .int(Int64(v)) }
            if let v = total { o["total"] = .int(Int64(v)) }
            return o
        }
    }
}

/// FederatedJob status, written by the federated-job (phase Pending/Admitted, quote), allocation
/// (allocation, Allocated), training (training, cost) and inference (inference, cost) controllers.
/// Not checked on apply; the tests check what the controllers write against it.
public struct FederatedJobStatus: KindStatus {
    public static let kind = "FederatedJob"

    /// The participants chosen by the allocation controller (written with their nodes' reservations in
    /// one transaction).
    public var allocation: Allocation?

    /// TierResolved, PrivacyResolved, Admitted, Stopped (federated-job), Allocated, Degraded
    /// (allocation), Training, Failed (training), ModelReady, Served (inference), Reconciled (written
    /// by the controller runner when a reconcile fails: False with reason TerminalError or
    /// ReconcileError and the message prefixed by the controller's name; True with reason Reconciled
    /// once that controller succeeds again).
    public var conditions: [Condition]?

    /// Cost so far, in the quote's shape: the quote's unit price times what the job used of its unit
    /// (hours run for training, requests served for inference).
    public var cost: Cost?

    /// Inference progress and results, written by the inference controller.
    public var inference: Inference?

    /// metadata.generation of the spec the controllers last reconciled (written with every controller
    /// status write).
    public var observedGeneration: Int?

    /// Lifecycle phase (FogMarket JobPhase): Pending → Admitted → Allocated → Running → Succeeded, or
    /// Failed.
    public var phase: Phase?

    /// The price quoted at admission and locked then (FogMarket Quote): unitPrice × quantity = total.
    public var quote: Quote?

    /// The last `fogctl retry` the federated-job controller carried out: the run ended is cleared and
    /// the job admitted again.
    public var retry: Retry?

    /// The last `fogctl stop` the federated-job controller carried out: the run ended as Failed.
    public var stop: Stop?

    /// Training progress, written by the training controller.
    public var training: Training?

    public init(allocation: Allocation? = nil, conditions: [Condition]? = nil, cost: Cost? = nil, inference: Inference? = nil, observedGeneration: Int? = nil, phase: Phase? = nil, quote: Quote? = nil, retry: Retry? = nil, stop: Stop? = nil, training: Training? = nil) {
        self.allocation = allocation
        self.conditions = conditions
        self.cost = cost
        self.inference = inference
        self.observedGeneration = observedGeneration
        self.phase = phase
        self.quote = quote
        self.retry = retry
        self.stop = stop
        self.training = training
    }

    /// Reads `json`, the object at `path` (for errors).
    public init(json o: [String: JSONValue], at path: String) throws(JSONDecodingError) {
        if let v = o["allocation"], !v.isNull { allocation = try Allocation(json: StatusRead.object(v, path + ".allocation"), at: path + ".allocation") } else { allocation = nil }
        if let v = o["conditions"], !v.isNull { conditions = try StatusRead.array(v, path + ".conditions") { e, ep throws(JSONDecodingError) in try StatusRead.condition(e, ep) } } else { conditions = nil }
        if let v = o["cost"], !v.isNull { cost = try Cost(json: StatusRead.object(v, path + ".cost"), at: path + ".cost") } else { cost = nil }
        if let v = o["inference"], !v.isNull { inference = try Inference(json: StatusRead.object(v, path + ".inference"), at: path + ".inference") } else { inference = nil }
        if let v = o["observedGeneration"], !v.isNull { observedGeneration = try StatusRead.int(v, path + ".observedGeneration") } else { observedGeneration = nil }
        if let v = o["phase"], !v.isNull { phase = try StatusRead.enumeration(Phase.self, v, path + ".phase") } else { phase = nil }
        if let v = o["quote"], !v.isNull { quote = try Quote(json: StatusRead.object(v, path + ".quote"), at: path + ".quote") } else { quote = nil }
        if let v = o["retry"], !v.isNull { retry = try Retry(json: StatusRead.object(v, path + ".retry"), at: path + ".retry") } else { retry = nil }
        if let v = o["stop"], !v.isNull { stop = try Stop(json: StatusRead.object(v, path + ".stop"), at: path + ".stop") } else { stop = nil }
        if let v = o["training"], !v.isNull { training = try Training(json: StatusRead.object(v, path + ".training"), at: path + ".training") } else { training = nil }
    }

    /// As JSON, nil fields left out.
    public var jsonObject: [String: JSONValue] {
        var o: [String: JSONValue] = [:]
        if let v = allocation { o["allocation"] = .object(v.jsonObject) }
        if let v = conditions { o["conditions"] = .array(v.map { e in e.json }) }
        if let v = cost { o["cost"] = .object(v.jsonObject) }
        if let v = inference { o["inference"] = .object(v.jsonObject) }
        if let v = observedGeneration { o["observedGeneration"] = .int(Int64(v)) }
        if let v = phase { o["phase"] = .string(v.rawValue) }
        if let v = quote { o["quote"] = .object(v.jsonObject) }
        if let v = retry { o["retry"] = .object(v.jsonObject) }
        if let v = stop { o["stop"] = .object(v.jsonObject) }
        if let v = training { o["training"] = .object(v.jsonObject) }
        return o
    }

    public func write(into status: inout [String: JSONValue], changedFrom old: Self) {
        if allocation != old.allocation { status["allocation"] = allocation.map { v in .object(v.jsonObject) } }
        if conditions != old.conditions { status["conditions"] = conditions.map { v in .array(v.map { e in e.json }) } }
        if cost != old.cost { status["cost"] = cost.map { v in .object(v.jsonObject) } }
        if inference != old.inference { status["inference"] = inference.map { v in .object(v.jsonObject) } }
        if observedGeneration != old.observedGeneration { status["observedGeneration"] = observedGeneration.map { v in .int(Int64(v)) } }
        if phase != old.phase { status["phase"] = phase.map { v in .string(v.rawValue) } }
        if quote != old.quote { status["quote"] = quote.map { v in .object(v.jsonObject) } }
        if retry != old.retry { status["retry"] = retry.map { v in .object(v.jsonObject) } }
        if stop != old.stop { status["stop"] = stop.map { v in .object(v.jsonObject) } }
        if training != old.training { status["training"] = training.map { v in .object(v.jsonObject) } }
    }

    public static func fieldName(_ field: PartialKeyPath<Self>) -> String? {
        if field == \Self.allocation { return "allocation" }
        if field == \Self.conditions { return "conditions" }
        if field == \Self.cost { return "cost" }
        if field == \Self.inference { return "inference" }
        if field == \Self.observedGeneration { return "observedGeneration" }
        if field == \Self.phase { return "phase" }
        if field == \Self.quote { return "quote" }
        if field == \Self.retry { return "retry" }
        if field == \Self.stop { return "stop" }
        if field == \Self.training { return "training" }
        return nil
    }

    /// The participants chosen by the allocation controller (written with their nodes' reservations in
    /// one transaction).
    public struct Allocation: StatusObject {
        /// Region → aggregator node (hierarchy.enabled only).
        public var aggregators: [String: String]?

        /// The scoring algorithm that ranked the candidates.
        public var algorithm: ScoringAlgorithm?

        /// The Auction the participants were bought in (auction mode).
        public var auction: String?

        /// Number of participants.
        public var participantCount: Int

        /// One entry per participant node.
        public var participants: [Participant]

        /// Sum of the participants' prices, to four decimals.
        public var totalPrice: Double?

        /// Sum of the participants' scores, to two decimals.
        public var totalScore: Double?

        public init(aggregators: [String: String]? = nil, algorithm: ScoringAlgorithm? = nil, auction: String? = nil, participantCount: Int, participants: [Participant], totalPrice: Double? = nil, totalScore: Double? = nil) {
            self.aggregators = aggregators
            self.algorithm = algorithm
            self.auction = auction
            self.participantCount = participantCount
            self.participants = participants
            self.totalPrice = totalPrice
            self.totalScore = totalScore
        }

        /// Reads `json`, the object at `path` (for errors).
        public init(json o: [String: JSONValue], at path: String) throws(JSONDecodingError) {
            if let v = o["aggregators"], !v.isNull { aggregators = try StatusRead.map(v, path + ".aggregators") { e, ep throws(JSONDecodingError) in try StatusRead.string(e, ep) } } else { aggregators = nil }
            if let v = o["algorithm"], !v.isNull { algorithm = try StatusRead.enumeration(ScoringAlgorithm.self, v, path + ".algorithm") } else { algorithm = nil }
            if let v = o["auction"], !v.isNull { auction = try StatusRead.string(v, path + ".auction") } else { auction = nil }
            participantCount = try StatusRead.int(try StatusRead.required(o["participantCount"], path + ".participantCount"), path + ".participantCount")
            participants = try StatusRead.array(try StatusRead.required(o["participants"], path + ".participants"), path + ".participants") { e, ep throws(JSONDecodingError) in try Participant(json: StatusRead.object(e, ep), at: ep) }
            if let v = o["totalPrice"], !v.isNull { totalPrice = try StatusRead.double(v, path + ".totalPrice") } else { totalPrice = nil }
            if let v = o["totalScore"], !v.isNull { totalScore = try StatusRead.double(v, path + ".totalScore") } else { totalScore = nil }
        }

        /// As JSON, nil fields left out.
        public var jsonObject: [String: JSONValue] {
            var o: [String: JSONValue] = [:]
            if let v = aggregators { o["aggregators"] = .object(v.mapValues { e in .string(e) }) }
            if let v = algorithm { o["algorithm"] = .string(v.rawValue) }
            if let v = auction { o["auction"] = .string(v) }
            o["participantCount"] = .int(Int64(participantCount))
            o["participants"] = .array(participants.map { e in .object(e.jsonObject) })
            if let v = totalPrice { o["totalPrice"] = .double(v) }
            if let v = totalScore { o["totalScore"] = .double(v) }
            return o
        }

        /// A participant.
        public struct Participant: StatusObject {
            /// Whether it aggregates its region's updates (hierarchy.enabled).
            public var aggregator: Bool?

            /// The winning Bid (auction mode).
            public var bid: String?

            /// The node's spec.class.
            public var `class`: DeviceClass?

            /// The FogNode.
            public var node: String

            /// What the job pays this participant, to four decimals (from an auction: its unit payment ×
            /// units).
            public var price: Double?

            /// The node's spec.region.
            public var region: String?

            /// The node's score under the job's algorithm when chosen, to two decimals.
            public var score: Double?

            /// When it joined the job.
            public var since: String?

            /// The unit payment the auction awarded (auction mode).
            public var unitPrice: Double?

            public init(aggregator: Bool? = nil, bid: String? = nil, `class`: DeviceClass? = nil, node: String, price: Double? = nil, region: String? = nil, score: Double? = nil, since: String? = nil, unitPrice: Double? = nil) {
                self.aggregator = aggregator
                self.bid = bid
                self.`class` = `class`
                self.node = node
                self.price = price
                self.region = region
                self.score = score
                self.since = since
                self.unitPrice = unitPrice
            }

            /// Reads `json`, the object at `path` (for errors).
            public init(json o: [String: JSONValue], at path: String) throws(JSONDecodingError) {
                if let v = o["aggregator"], !v.isNull { aggregator = try StatusRead.bool(v, path + ".aggregator") } else { aggregator = nil }
                if let v = o["bid"], !v.isNull { bid = try StatusRead.string(v, path + ".bid") } else { bid = nil }
                if let v = o["class"], !v.isNull { `class` = try StatusRead.enumeration(DeviceClass.self, v, path + ".class") } else { `class` = nil }
                node = try StatusRead.string(try StatusRead.required(o["node"], path + ".node"), path + ".node")
                if let v = o["price"], !v.isNull { price = try StatusRead.double(v, path + ".price") } else { price = nil }
                if let v = o["region"], !v.isNull { region = try StatusRead.string(v, path + ".region") } else { region = nil }
                if let v = o["score"], !v.isNull { score = try StatusRead.double(v, path + ".score") } else { score = nil }
                if let v = o["since"], !v.isNull { since = try StatusRead.string(v, path + ".since") } else { since = nil }
                if let v = o["unitPrice"], !v.isNull { unitPrice = try StatusRead.double(v, path + ".unitPrice") } else { unitPrice = nil }
            }

            /// As JSON, nil fields left out.
            public var jsonObject: [String: JSONValue] {
                var o: [String: JSONValue] = [:]
                if let v = aggregator { o["aggregator"] = .bool(v) }
                if let v = bid { o["bid"] = .string(v) }
                if let v = `class` { o["class"] = .string(v.rawValue) }
                o["node"] = .string(node)
                if let v = price { o["price"] = .double(v) }
                if let v = region { o["region"] = .string(v) }
                if let v = score { o["score"] = .double(v) }
                if let v = since { o["since"] = .string(v) }
                if let v = unitPrice { o["unitPrice"] = .double(v) }
                return o
            }
        }
    }

    /// Cost so far, in the quote's shape: the quote's unit price times what the job used of its unit
    /// (hours run for training, requests served for inference).
    public struct Cost: StatusObject {
        /// ISO 4217 currency code (the quote's).
        public var currency: String

        /// Units used so far: hours run (training) or requests served (inference).
        public var quantity: Double

        /// unitPrice × quantity, to four decimals.
        public var total: Double

        /// The quote's unit.
        public var unit: Unit

        /// The quote's unit price.
        public var unitPrice: Double

        public init(currency: String, quantity: Double, total: Double, unit: Unit, unitPrice: Double) {
            self.currency = currency
            self.quantity = quantity
            self.total = total
            self.unit = unit
            self.unitPrice = unitPrice
        }

        /// Reads `json`, the object at `path` (for errors).
        public init(json o: [String: JSONValue], at path: String) throws(JSONDecodingError) {
            currency = try StatusRead.string(try StatusRead.required(o["currency"], path + ".currency"), path + ".currency")
            quantity = try StatusRead.double(try StatusRead.required(o["quantity"], path + ".quantity"), path + ".quantity")
            total = try StatusRead.double(try StatusRead.required(o["total"], path + ".total"), path + ".total")
            unit = try StatusRead.enumeration(Unit.self, try StatusRead.required(o["unit"], path + ".unit"), path + ".unit")
            unitPrice = try StatusRead.double(try StatusRead.required(o["unitPrice"], path + ".unitPrice"), path + ".unitPrice")
        }

        /// As JSON, nil fields left out.
        public var jsonObject: [String: JSONValue] {
            var o: [String: JSONValue] = [:]
            o["currency"] = .string(currency)
            o["quantity"] = .double(quantity)
            o["total"] = .double(total)
            o["unit"] = .string(unit.rawValue)
            o["unitPrice"] = .double(unitPrice)
            return o
        }

        /// The quote's unit.
        public enum Unit: String, SchemaEnum {
            case hour
            case request
        }
    }

    /// Inference progress and results, written by the inference controller.
    public struct Inference: StatusObject {
        /// Share of correct predictions, 0..1.
        public var accuracy: Double?

        /// Batches (infer TrainingTasks) issued.
        public var batches: Int?

        /// Tasks issued to last answer observed, on the controller's clock.
        public var completionMillis: Double?

        /// Batches that failed.
        public var failedBatches: Int?

        /// When the batches were issued, with microseconds (the controller's clock: completionMillis is
        /// measured against it).
        public var issuedAt: String?

        /// Which clock each latency figure comes from.
        public var latencyClocks: String?

        /// Digest of the model blob served.
        public var model: String?

        /// Median batch service time, on each node's monotonic clock.
        public var p50Millis: Double?

        /// 99th percentile batch service time.
        public var p99Millis: Double?

        /// Requests sent (inference.requests).
        public var requests: Int?

        /// Predictions returned.
        public var served: Int?

        /// The latency SLA applied (inference.maxLatencyMs, else the tier's).
        public var slaMillis: Double?

        /// Whether p99Millis ≤ slaMillis.
        public var withinSLA: Bool?

        public init(accuracy: Double? = nil, batches: Int? = nil, completionMillis: Double? = nil, failedBatches: Int? = nil, issuedAt: String? = nil, latencyClocks: String? = nil, model: String? = nil, p50Millis: Double? = nil, p99Millis: Double? = nil, requests: Int? = nil, served: Int? = nil, slaMillis: Double? = nil, withinSLA: Bool? = nil) {
            self.accuracy = accuracy
            self.batches = batches
            self.completionMillis = completionMillis
            self.failedBatches = failedBatches
            self.issuedAt = issuedAt
            self.latencyClocks = latencyClocks
            self.model = model
            self.p50Millis = p50Millis
            self.p99Millis = p99Millis
            self.requests = requests
            self.served = served
            self.slaMillis = slaMillis
            self.withinSLA = withinSLA
        }

        /// Reads `json`, the object at `path` (for errors).
        public init(json o: [String: JSONValue], at path: String) throws(JSONDecodingError) {
            if let v = o["accuracy"], !v.isNull { accuracy = try StatusRead.double(v, path + ".accuracy") } else { accuracy = nil }
            if let v = o["batches"], !v.isNull { batches = try StatusRead.int(v, path + ".batches") } else { batches = nil }
            if let v = o["completionMillis"], !v.isNull { completionMillis = try StatusRead.double(v, path + ".completionMillis") } else { completionMillis = nil }
            if let v = o["failedBatches"], !v.isNull { failedBatches = try StatusRead.int(v, path + ".failedBatches") } else { failedBatches = nil }
            if let v = o["issuedAt"], !v.isNull { issuedAt = try StatusRead.string(v, path + ".issuedAt") } else { issuedAt = nil }
            if let v = o["latencyClocks"], !v.isNull { latencyClocks = try StatusRead.string(v, path + ".latencyClocks") } else { latencyClocks = nil }
            if let v = o["model"], !v.isNull { model = try StatusRead.string(v, path + ".model") } else { model = nil }
            if let v = o["p50Millis"], !v.isNull { p50Millis = try StatusRead.double(v, path + ".p50Millis") } else { p50Millis = nil }
            if let v = o["p99Millis"], !v.isNull { p99Millis = try StatusRead.double(v, path + ".p99Millis") } else { p99Millis = nil }
            if let v = o["requests"], !v.isNull { requests = try StatusRead.int(v, path + ".requests") } else { requests = nil }
            if let v = o["served"], !v.isNull { served = try StatusRead.int(v, path + ".served") } else { served = nil }
            if let v = o["slaMillis"], !v.isNull { slaMillis = try StatusRead.double(v, path + ".slaMillis") } else { slaMillis = nil }
            if let v = o["withinSLA"], !v.isNull { withinSLA = try StatusRead.bool(v, path + ".withinSLA") } else { withinSLA = nil }
        }

        /// As JSON, nil fields left out.
        public var jsonObject: [String: JSONValue] {
            var o: [String: JSONValue] = [:]
            if let v = accuracy { o["accuracy"] = .double(v) }
            if let v = batches { o["batches"] = .int(Int64(v)) }
            if let v = completionMillis { o["completionMillis"] = .double(v) }
            if let v = failedBatches { o["failedBatches"] = .int(Int64(v)) }
            if let v = issuedAt { o["issuedAt"] = .string(v) }
            if let v = latencyClocks { o["latencyClocks"] = .string(v) }
            if let v = model { o["model"] = .string(v) }
            if let v = p50Millis { o["p50Millis"] = .double(v) }
            if let v = p99Millis { o["p99Millis"] = .double(v) }
            if let v = requests { o["requests"] = .int(Int64(v)) }
            if let v = served { o["served"] = .int(Int64(v)) }
            if let v = slaMillis { o["slaMillis"] = .double(v) }
            if let v = withinSLA { o["withinSLA"] = .bool(v) }
            return o
        }
    }

    /// Lifecycle phase (FogMarket JobPhase): Pending → Admitted → Allocated → Running → Succeeded, or
    /// Failed.
    public enum Phase: String, SchemaEnum {
        case pending = "Pending"
        case admitted = "Admitted"
        case allocated = "Allocated"
        case running = "Running"
        case succeeded = "Succeeded"
        case failed = "Failed"
    }

    /// The price quoted at admission and locked then (FogMarket Quote): unitPrice × quantity = total.
    public struct Quote: StatusObject {
        /// Which bound of the tier's range held the unit price, when one did.
        public var clamped: Clamped?

        /// ISO 4217 currency code.
        public var currency: String

        /// The factors of the unit price, in order.
        public var factors: [Factor]

        /// Units quoted: estimated hours, or requests.
        public var quantity: Double

        /// unitPrice × quantity.
        public var total: Double

        /// The product of the factors before the tier's range.
        public var unclampedUnitPrice: Double?

        /// What one unit is: hour (training) or request (inference).
        public var unit: Unit

        /// The product of the factors, held within the tier's range.
        public var unitPrice: Double

        public init(clamped: Clamped? = nil, currency: String, factors: [Factor], quantity: Double, total: Double, unclampedUnitPrice: Double? = nil, unit: Unit, unitPrice: Double) {
            self.clamped = clamped
            self.currency = currency
            self.factors = factors
            self.quantity = quantity
            self.total = total
            self.unclampedUnitPrice = unclampedUnitPrice
            self.unit = unit
            self.unitPrice = unitPrice
        }

        /// Reads `json`, the object at `path` (for errors).
        public init(json o: [String: JSONValue], at path: String) throws(JSONDecodingError) {
            if let v = o["clamped"], !v.isNull { clamped = try StatusRead.enumeration(Clamped.self, v, path + ".clamped") } else { clamped = nil }
            currency = try StatusRead.string(try StatusRead.required(o["currency"], path + ".currency"), path + ".currency")
            factors = try StatusRead.array(try StatusRead.required(o["factors"], path + ".factors"), path + ".factors") { e, ep throws(JSONDecodingError) in try Factor(json: StatusRead.object(e, ep), at: ep) }
            quantity = try StatusRead.double(try StatusRead.required(o["quantity"], path + ".quantity"), path + ".quantity")
            total = try StatusRead.double(try StatusRead.required(o["total"], path + ".total"), path + ".total")
            if let v = o["unclampedUnitPrice"], !v.isNull { unclampedUnitPrice = try StatusRead.double(v, path + ".unclampedUnitPrice") } else { unclampedUnitPrice = nil }
            unit = try StatusRead.enumeration(Unit.self, try StatusRead.required(o["unit"], path + ".unit"), path + ".unit")
            unitPrice = try StatusRead.double(try StatusRead.required(o["unitPrice"], path + ".unitPrice"), path + ".unitPrice")
        }

        /// As JSON, nil fields left out.
        public var jsonObject: [String: JSONValue] {
            var o: [String: JSONValue] = [:]
            if let v = clamped { o["clamped"] = .string(v.rawValue) }
            o["currency"] = .string(currency)
            o["factors"] = .array(factors.map { e in .object(e.jsonObject) })
            o["quantity"] = .double(quantity)
            o["total"] = .double(total)
            if let v = unclampedUnitPrice { o["unclampedUnitPrice"] = .double(v) }
            o["unit"] = .string(unit.rawValue)
            o["unitPrice"] = .double(unitPrice)
            return o
        }

        /// Which bound of the tier's range held the unit price, when one did.
        public enum Clamped: String, SchemaEnum {
            case min
            case max
        }

        /// One factor.
        public struct Factor: StatusObject {
            /// How it was obtained.
            public var detail: String?

            /// Factor name.
            public var name: Name

            /// Its value.
            public var value: Double

            public init(detail: String? = nil, name: Name, value: Double) {
                self.detail = detail
                self.name = name
                self.value = value
            }

            /// Reads `json`, the object at `path` (for errors).
            public init(json o: [String: JSONValue], at path: String) throws(JSONDecodingError) {
                if let v = o["detail"], !v.isNull { detail = try StatusRead.string(v, path + ".detail") } else { detail = nil }
                name = try StatusRead.enumeration(Name.self, try StatusRead.required(o["name"], path + ".name"), path + ".name")
                value = try StatusRead.double(try StatusRead.required(o["value"], path + ".value"), path + ".value")
            }

            /// As JSON, nil fields left out.
            public var jsonObject: [String: JSONValue] {
                var o: [String: JSONValue] = [:]
                if let v = detail { o["detail"] = .string(v) }
                o["name"] = .string(name.rawValue)
                o["value"] = .double(value)
                return o
            }

            /// Factor name.
            public enum Name: String, SchemaEnum {
                case base
                case model
                case privacy
                case participants
                case volumeDiscount
                case market
                case duration
            }
        }

        /// What one unit is: hour (training) or request (inference).
        public enum Unit: String, SchemaEnum {
            case hour
            case request
        }
    }

    /// The last `fogctl retry` the federated-job controller carried out: the run ended is cleared and
    /// the job admitted again.
    public struct Retry: StatusObject {
        /// The value of the job's fog/retry annotation it answered (`fogctl retry` writes the time it was
        /// asked).
        public var requested: String

        /// Runs of this job so far, the first counted as 1.
        public var runs: Int

        public init(requested: String, runs: Int) {
            self.requested = requested
            self.runs = runs
        }

        /// Reads `json`, the object at `path` (for errors).
        public init(json o: [String: JSONValue], at path: String) throws(JSONDecodingError) {
            requested = try StatusRead.string(try StatusRead.required(o["requested"], path + ".requested"), path + ".requested")
            runs = try StatusRead.int(try StatusRead.required(o["runs"], path + ".runs"), path + ".runs")
        }

        /// As JSON, nil fields left out.
        public var jsonObject: [String: JSONValue] {
            var o: [String: JSONValue] = [:]
            o["requested"] = .string(requested)
            o["runs"] = .int(Int64(runs))
            return o
        }
    }

    /// The last `fogctl stop` the federated-job controller carried out: the run ended as Failed.
    public struct Stop: StatusObject {
        /// The phase the run was stopped in.
        public var from: Phase

        /// The value of the job's fog/stop annotation it answered (`fogctl stop` writes the time it was
        /// asked).
        public var requested: String

        public init(from: Phase, requested: String) {
            self.from = from
            self.requested = requested
        }

        /// Reads `json`, the object at `path` (for errors).
        public init(json o: [String: JSONValue], at path: String) throws(JSONDecodingError) {
            from = try StatusRead.enumeration(Phase.self, try StatusRead.required(o["from"], path + ".from"), path + ".from")
            requested = try StatusRead.string(try StatusRead.required(o["requested"], path + ".requested"), path + ".requested")
        }

        /// As JSON, nil fields left out.
        public var jsonObject: [String: JSONValue] {
            var o: [String: JSONValue] = [:]
            o["from"] = .string(from.rawValue)
            o["requested"] = .string(requested)
            return o
        }
    }

    /// Training progress, written by the training controller.
    public struct Training: StatusObject {
        /// Test accuracy of the current global model, 0..1.
        public var accuracy: Double?

        /// Update bytes received over all rounds.
        public var bytesSent: Int?

        /// Under onion routing: bytes of cells the participants put on their circuits' first links, all
        /// rounds (docs/circuits.md).
        public var bytesViaCircuits: Int?

        /// Under onion routing: NAMESPACE/NAME of the CircuitPool the updates travel through.
        public var circuitPool: String?

        /// When training finished.
        public var finishedAt: String?

        /// Test loss of the current global model.
        public var loss: Double?

        /// Digest of the current global model blob.
        public var model: String?

        /// All rounds so far: global-model fetches served by regional caches (hits, misses), straight from
        /// the server (direct), the server's model bytes sent, and what it would have sent without caches.
        public var modelCache: ModelCache?

        /// Digest of a JSON blob describing what the model expects of its inputs: the per-feature min-max
        /// scaling fitted on the training part, the feature names and the classes (`fogctl model pull` puts
        /// it in the pulled model).
        public var preprocessing: String?

        /// Differential privacy accounting (with a differentialPrivacy policy).
        public var privacy: Privacy?

        /// The round in progress (0 before the first starts; the last round once finished).
        public var round: Int?

        /// When the current round started.
        public var roundStartedAt: String?

        /// One entry per finished round, oldest first (at most 200 kept).
        public var rounds: [Round]?

        /// Number of shards the data set is split into.
        public var shardCount: Int?

        /// Participant node → its data shard index.
        public var shards: [String: Int]?

        /// When training started.
        public var startedAt: String?

        /// All rounds so far: the bytes the job's participants and aggregators moved (global models,
        /// updates, regional aggregates), measured by the nodes that moved them and reported in their
        /// tasks' status.traffic, by link.
        public var traffic: Traffic?

        /// Why the next round has not started (onion routing: no CircuitPool with enough hops is Ready).
        public var waitingFor: String?

        public init(accuracy: Double? = nil, bytesSent: Int? = nil, bytesViaCircuits: Int? = nil, circuitPool: String? = nil, finishedAt: String? = nil, loss: Double? = nil, model: String? = nil, modelCache: ModelCache? = nil, preprocessing: String? = nil, privacy: Privacy? = nil, round: Int? = nil, roundStartedAt: String? = nil, rounds: [Round]? = nil, shardCount: Int? = nil, shards: [String: Int]? = nil, startedAt: String? = nil, traffic: Traffic? = nil, waitingFor: String? = nil) {
            self.accuracy = accuracy
            self.bytesSent = bytesSent
            self.bytesViaCircuits = bytesViaCircuits
            self.circuitPool = circuitPool
            self.finishedAt = finishedAt
            self.loss = loss
            self.model = model
            self.modelCache = modelCache
            self.preprocessing = preprocessing
            self.privacy = privacy
            self.round = round
            self.roundStartedAt = roundStartedAt
            self.rounds = rounds
            self.shardCount = shardCount
            self.shards = shards
            self.startedAt = startedAt
            self.traffic = traffic
            self.waitingFor = waitingFor
        }

        /// Reads `json`, the object at `path` (for errors).
        public init(json o: [String: JSONValue], at path: String) throws(JSONDecodingError) {
            if let v = o["accuracy"], !v.isNull { accuracy = try StatusRead.double(v, path + ".accuracy") } else { accuracy = nil }
            if let v = o["bytesSent"], !v.isNull { bytesSent = try StatusRead.int(v, path + ".bytesSent") } else { bytesSent = nil }
            if let v = o["bytesViaCircuits"], !v.isNull { bytesViaCircuits = try StatusRead.int(v, path + ".bytesViaCircuits") } else { bytesViaCircuits = nil }
            if let v = o["circuitPool"], !v.isNull { circuitPool = try StatusRead.string(v, path + ".circuitPool") } else { circuitPool = nil }
            if let v = o["finishedAt"], !v.isNull { finishedAt = try StatusRead.string(v, path + ".finishedAt") } else { finishedAt = nil }
            if let v = o["loss"], !v.isNull { loss = try StatusRead.double(v, path + ".loss") } else { loss = nil }
            if let v = o["model"], !v.isNull { model = try StatusRead.string(v, path + ".model") } else { model = nil }
            if let v = o["modelCache"], !v.isNull { modelCache = try ModelCache(json: StatusRead.object(v, path + ".modelCache"), at: path + ".modelCache") } else { modelCache = nil }
            if let v = o["preprocessing"], !v.isNull { preprocessing = try StatusRead.string(v, path + ".preprocessing") } else { preprocessing = nil }
            if let v = o["privacy"], !v.isNull { privacy = try Privacy(json: StatusRead.object(v, path + ".privacy"), at: path + ".privacy") } else { privacy = nil }
            if let v = o["round"], !v.isNull { round = try StatusRead.int(v, path + ".round") } else { round = nil }
            if let v = o["roundStartedAt"], !v.isNull { roundStartedAt = try StatusRead.string(v, path + ".roundStartedAt") } else { roundStartedAt = nil }
            if let v = o["rounds"], !v.isNull { rounds = try StatusRead.array(v, path + ".rounds") { e, ep throws(JSONDecodingError) in try Round(json: StatusRead.object(e, ep), at: ep) } } else { rounds = nil }
            if let v = o["shardCount"], !v.isNull { shardCount = try StatusRead.int(v, path + ".shardCount") } else { shardCount = nil }
            if let v = o["shards"], !v.isNull { shards = try StatusRead.map(v, path + ".shards") { e, ep throws(JSONDecodingError) in try StatusRead.int(e, ep) } } else { shards = nil }
            if let v = o["startedAt"], !v.isNull { startedAt = try StatusRead.string(v, path + ".startedAt") } else { startedAt = nil }
            if let v = o["traffic"], !v.isNull { traffic = try Traffic(json: StatusRead.object(v, path + ".traffic"), at: path + ".traffic") } else { traffic = nil }
            if let v = o["waitingFor"], !v.isNull { waitingFor = try StatusRead.string(v, path + ".waitingFor") } else { waitingFor = nil }
        }

        /// As JSON, nil fields left out.
        public var jsonObject: [String: JSONValue] {
            var o: [String: JSONValue] = [:]
            if let v = accuracy { o["accuracy"] = .double(v) }
            if let v = bytesSent { o["bytesSent"] = .int(Int64(v)) }
            if let v = bytesViaCircuits { o["bytesViaCircuits"] = .int(Int64(v)) }
            if let v = circuitPool { o["circuitPool"] = .string(v) }
            if let v = finishedAt { o["finishedAt"] = .string(v) }
            if let v = loss { o["loss"] = .double(v) }
            if let v = model { o["model"] = .string(v) }
            if let v = modelCache { o["modelCache"] = .object(v.jsonObject) }
            if let v = preprocessing { o["preprocessing"] = .string(v) }
            if let v = privacy { o["privacy"] = .object(v.jsonObject) }
            if let v = round { o["round"] = .int(Int64(v)) }
            if let v = roundStartedAt { o["roundStartedAt"] = .string(v) }
            if let v = rounds { o["rounds"] = .array(v.map { e in .object(e.jsonObject) }) }
            if let v = shardCount { o["shardCount"] = .int(Int64(v)) }
            if let v = shards { o["shards"] = .object(v.mapValues { e in .int(Int64(e)) }) }
            if let v = startedAt { o["startedAt"] = .string(v) }
            if let v = traffic { o["traffic"] = .object(v.jsonObject) }
            if let v = waitingFor { o["waitingFor"] = .string(v) }
            return o
        }

        /// All rounds so far: global-model fetches served by regional caches (hits, misses), straight from
        /// the server (direct), the server's model bytes sent, and what it would have sent without caches.
        public struct ModelCache: StatusObject {
            public var bytesWithoutCache: Int?

            public var direct: Int?

            public var hits: Int?

            public var misses: Int?

            public var serverBytes: Int?

            public init(bytesWithoutCache: Int? = nil, direct: Int? = nil, hits: Int? = nil, misses: Int? = nil, serverBytes: Int? = nil) {
                self.bytesWithoutCache = bytesWithoutCache
                self.direct = direct
                self.hits = hits
                self.misses = misses
                self.serverBytes = serverBytes
            }

            /// Reads `json`, the object at `path` (for errors).
            public init(json o: [String: JSONValue], at path: String) throws(JSONDecodingError) {
                if let v = o["bytesWithoutCache"], !v.isNull { bytesWithoutCache = try StatusRead.int(v, path + ".bytesWithoutCache") } else { bytesWithoutCache = nil }
                if let v = o["direct"], !v.isNull { direct = try StatusRead.int(v, path + ".direct") } else { direct = nil }
                if let v = o["hits"], !v.isNull { hits = try StatusRead.int(v, path + ".hits") } else { hits = nil }
                if let v = o["misses"], !v.isNull { misses = try StatusRead.int(v, path + ".misses") } else { misses = nil }
                if let v = o["serverBytes"], !v.isNull { serverBytes = try StatusRead.int(v, path + ".serverBytes") } else { serverBytes = nil }
            }

            /// As JSON, nil fields left out.
            public var jsonObject: [String: JSONValue] {
                var o: [String: JSONValue] = [:]
                if let v = bytesWithoutCache { o["bytesWithoutCache"] = .int(Int64(v)) }
                if let v = direct { o["direct"] = .int(Int64(v)) }
                if let v = hits { o["hits"] = .int(Int64(v)) }
                if let v = misses { o["misses"] = .int(Int64(v)) }
                if let v = serverBytes { o["serverBytes"] = .int(Int64(v)) }
                return o
            }
        }

        /// Differential privacy accounting (with a differentialPrivacy policy).
        public struct Privacy: StatusObject {
            /// Update clipping norm.
            public var clipNorm: Double?

            /// The policy's δ.
            public var delta: Double?

            /// ε spent so far.
            public var epsilon: Double?

            /// The policy's ε.
            public var epsilonBudget: Double?

            /// Gaussian noise multiplier.
            public var noiseMultiplier: Double?

            public init(clipNorm: Double? = nil, delta: Double? = nil, epsilon: Double? = nil, epsilonBudget: Double? = nil, noiseMultiplier: Double? = nil) {
                self.clipNorm = clipNorm
                self.delta = delta
                self.epsilon = epsilon
                self.epsilonBudget = epsilonBudget
                self.noiseMultiplier = noiseMultiplier
            }

            /// Reads `json`, the object at `path` (for errors).
            public init(json o: [String: JSONValue], at path: String) throws(JSONDecodingError) {
                if let v = o["clipNorm"], !v.isNull { clipNorm = try StatusRead.double(v, path + ".clipNorm") } else { clipNorm = nil }
                if let v = o["delta"], !v.isNull { delta = try StatusRead.double(v, path + ".delta") } else { delta = nil }
                if let v = o["epsilon"], !v.isNull { epsilon = try StatusRead.double(v, path + ".epsilon") } else { epsilon = nil }
                if let v = o["epsilonBudget"], !v.isNull { epsilonBudget = try StatusRead.double(v, path + ".epsilonBudget") } else { epsilonBudget = nil }
                if let v = o["noiseMultiplier"], !v.isNull { noiseMultiplier = try StatusRead.double(v, path + ".noiseMultiplier") } else { noiseMultiplier = nil }
            }

            /// As JSON, nil fields left out.
            public var jsonObject: [String: JSONValue] {
                var o: [String: JSONValue] = [:]
                if let v = clipNorm { o["clipNorm"] = .double(v) }
                if let v = delta { o["delta"] = .double(v) }
                if let v = epsilon { o["epsilon"] = .double(v) }
                if let v = epsilonBudget { o["epsilonBudget"] = .double(v) }
                if let v = noiseMultiplier { o["noiseMultiplier"] = .double(v) }
                return o
            }
        }

        /// A finished round.
        public struct Round: StatusObject {
            /// Test accuracy of the new global model, 0..1.
            public var accuracy: Double?

            /// Under hierarchy: the regional aggregates the regions' aggregator nodes computed and uploaded
            /// this round, as their aggregate tasks reported them.
            public var aggregators: [Aggregator]?

            /// Update and regional aggregate bytes the controller read from the server's blob store.
            public var bytes: Int?

            /// Under onion routing: bytes of cells this round's participants put on their circuits (failed
            /// attempts included).
            public var bytesViaCircuits: Int?

            /// Per-client metrics of the round, one entry per task (kept for the last 20 rounds, and at most
            /// 2000 entries over them; older entries drop them).
            public var clients: [Client]?

            /// Nodes whose tasks did not succeed in time.
            public var dropped: [String]?

            /// Privacy spent after this round (with differential privacy).
            public var epsilon: Double?

            /// Nodes whose updates Byzantine detection flagged.
            public var excluded: [String]?

            /// Test loss of the new global model.
            public var loss: Double?

            /// How the round's participants got the global model, as they reported it: from their region's
            /// model cache, which had it (hits) or fetched it first (misses), or from the server (direct); and
            /// the bytes the server sent (misses and direct) against those it would have sent without caches.
            public var models: Models?

            /// Updates aggregated.
            public var participants: Int?

            /// Round number.
            public var round: Int

            /// The round's duration: from its tasks' creation to its aggregation, on the controller's clock.
            public var seconds: Double?

            /// When the round's tasks were created (the controller's clock).
            public var startedAt: String?

            /// The round's bytes by link, measured by the participants and aggregators that moved them.
            public var traffic: Traffic?

            public init(accuracy: Double? = nil, aggregators: [Aggregator]? = nil, bytes: Int? = nil, bytesViaCircuits: Int? = nil, clients: [Client]? = nil, dropped: [String]? = nil, epsilon: Double? = nil, excluded: [String]? = nil, loss: Double? = nil, models: Models? = nil, participants: Int? = nil, round: Int, seconds: Double? = nil, startedAt: String? = nil, traffic: Traffic? = nil) {
                self.accuracy = accuracy
                self.aggregators = aggregators
                self.bytes = bytes
                self.bytesViaCircuits = bytesViaCircuits
                self.clients = clients
                self.dropped = dropped
                self.epsilon = epsilon
                self.excluded = excluded
                self.loss = loss
                self.models = models
                self.participants = participants
                self.round = round
                self.seconds = seconds
                self.startedAt = startedAt
                self.traffic = traffic
            }

            /// Reads `json`, the object at `path` (for errors).
            public init(json o: [String: JSONValue], at path: String) throws(JSONDecodingError) {
                if let v = o["accuracy"], !v.isNull { accuracy = try StatusRead.double(v, path + ".accuracy") } else { accuracy = nil }
                if let v = o["aggregators"], !v.isNull { aggregators = try StatusRead.array(v, path + ".aggregators") { e, ep throws(JSONDecodingError) in try Aggregator(json: StatusRead.object(e, ep), at: ep) } } else { aggregators = nil }
                if let v = o["bytes"], !v.isNull { bytes = try StatusRead.int(v, path + ".bytes") } else { bytes = nil }
                if let v = o["bytesViaCircuits"], !v.isNull { bytesViaCircuits = try StatusRead.int(v, path + ".bytesViaCircuits") } else { bytesViaCircuits = nil }
                if let v = o["clients"], !v.isNull { clients = try StatusRead.array(v, path + ".clients") { e, ep throws(JSONDecodingError) in try Client(json: StatusRead.object(e, ep), at: ep) } } else { clients = nil }
                if let v = o["dropped"], !v.isNull { dropped = try StatusRead.array(v, path + ".dropped") { e, ep throws(JSONDecodingError) in try StatusRead.string(e, ep) } } else { dropped = nil }
                if let v = o["epsilon"], !v.isNull { epsilon = try StatusRead.double(v, path + ".epsilon") } else { epsilon = nil }
                if let v = o["excluded"], !v.isNull { excluded = try StatusRead.array(v, path + ".excluded") { e, ep throws(JSONDecodingError) in try StatusRead.string(e, ep) } } else { excluded = nil }
                if let v = o["loss"], !v.isNull { loss = try StatusRead.double(v, path + ".loss") } else { loss = nil }
                if let v = o["models"], !v.isNull { models = try Models(json: StatusRead.object(v, path + ".models"), at: path + ".models") } else { models = nil }
                if let v = o["participants"], !v.isNull { participants = try StatusRead.int(v, path + ".participants") } else { participants = nil }
                round = try StatusRead.int(try StatusRead.required(o["round"], path + ".round"), path + ".round")
                if let v = o["seconds"], !v.isNull { seconds = try StatusRead.double(v, path + ".seconds") } else { seconds = nil }
                if let v = o["startedAt"], !v.isNull { startedAt = try StatusRead.string(v, path + ".startedAt") } else { startedAt = nil }
                if let v = o["traffic"], !v.isNull { traffic = try Traffic(json: StatusRead.object(v, path + ".traffic"), at: path + ".traffic") } else { traffic = nil }
            }

            /// As JSON, nil fields left out.
            public var jsonObject: [String: JSONValue] {
                var o: [String: JSONValue] = [:]
                if let v = accuracy { o["accuracy"] = .double(v) }
                if let v = aggregators { o["aggregators"] = .array(v.map { e in .object(e.jsonObject) }) }
                if let v = bytes { o["bytes"] = .int(Int64(v)) }
                if let v = bytesViaCircuits { o["bytesViaCircuits"] = .int(Int64(v)) }
                if let v = clients { o["clients"] = .array(v.map { e in .object(e.jsonObject) }) }
                if let v = dropped { o["dropped"] = .array(v.map { e in .string(e) }) }
                if let v = epsilon { o["epsilon"] = .double(v) }
                if let v = excluded { o["excluded"] = .array(v.map { e in .string(e) }) }
                if let v = loss { o["loss"] = .double(v) }
                if let v = models { o["models"] = .object(v.jsonObject) }
                if let v = participants { o["participants"] = .int(Int64(v)) }
                o["round"] = .int(Int64(round))
                if let v = seconds { o["seconds"] = .double(v) }
                if let v = startedAt { o["startedAt"] = .string(v) }
                if let v = traffic { o["traffic"] = .object(v.jsonObject) }
                return o
            }

            public struct Aggregator: StatusObject {
                /// The aggregator node.
                public var aggregator: String?

                /// Updates its screening removed.
                public var excluded: Int?

                /// Participants whose updates had not arrived when it combined.
                public var missing: Int?

                public var region: String?

                /// Samples behind the aggregate.
                public var samples: Int?

                /// Updates combined.
                public var updates: Int?

                public init(aggregator: String? = nil, excluded: Int? = nil, missing: Int? = nil, region: String? = nil, samples: Int? = nil, updates: Int? = nil) {
                    self.aggregator = aggregator
                    self.excluded = excluded
                    self.missing = missing
                    self.region = region
                    self.samples = samples
                    self.updates = updates
                }

                /// Reads `json`, the object at `path` (for errors).
                public init(json o: [String: JSONValue], at path: String) throws(JSONDecodingError) {
                    if let v = o["aggregator"], !v.isNull { aggregator = try StatusRead.string(v, path + ".aggregator") } else { aggregator = nil }
                    if let v = o["excluded"], !v.isNull { excluded = try StatusRead.int(v, path + ".excluded") } else { excluded = nil }
                    if let v = o["missing"], !v.isNull { missing = try StatusRead.int(v, path + ".missing") } else { missing = nil }
                    if let v = o["region"], !v.isNull { region = try StatusRead.string(v, path + ".region") } else { region = nil }
                    if let v = o["samples"], !v.isNull { samples = try StatusRead.int(v, path + ".samples") } else { samples = nil }
                    if let v = o["updates"], !v.isNull { updates = try StatusRead.int(v, path + ".updates") } else { updates = nil }
                }

                /// As JSON, nil fields left out.
                public var jsonObject: [String: JSONValue] {
                    var o: [String: JSONValue] = [:]
                    if let v = aggregator { o["aggregator"] = .string(v) }
                    if let v = excluded { o["excluded"] = .int(Int64(v)) }
                    if let v = missing { o["missing"] = .int(Int64(v)) }
                    if let v = region { o["region"] = .string(v) }
                    if let v = samples { o["samples"] = .int(Int64(v)) }
                    if let v = updates { o["updates"] = .int(Int64(v)) }
                    return o
                }
            }

            /// One participant's report.
            public struct Client: StatusObject {
                /// Size of its update blob, in bytes.
                public var bytes: Int?

                /// Its mean local training loss.
                public var loss: Double?

                /// The participant's FogNode.
                public var node: String

                /// Skipped or Failed: why.
                public var reason: String?

                /// Samples it trained on.
                public var samples: Int?

                /// How its task ended: Succeeded, Skipped, Failed, or Missing (no report in time); Excluded when
                /// Byzantine detection flagged its update.
                public var status: Status

                public init(bytes: Int? = nil, loss: Double? = nil, node: String, reason: String? = nil, samples: Int? = nil, status: Status) {
                    self.bytes = bytes
                    self.loss = loss
                    self.node = node
                    self.reason = reason
                    self.samples = samples
                    self.status = status
                }

                /// Reads `json`, the object at `path` (for errors).
                public init(json o: [String: JSONValue], at path: String) throws(JSONDecodingError) {
                    if let v = o["bytes"], !v.isNull { bytes = try StatusRead.int(v, path + ".bytes") } else { bytes = nil }
                    if let v = o["loss"], !v.isNull { loss = try StatusRead.double(v, path + ".loss") } else { loss = nil }
                    node = try StatusRead.string(try StatusRead.required(o["node"], path + ".node"), path + ".node")
                    if let v = o["reason"], !v.isNull { reason = try StatusRead.string(v, path + ".reason") } else { reason = nil }
                    if let v = o["samples"], !v.isNull { samples = try StatusRead.int(v, path + ".samples") } else { samples = nil }
                    status = try StatusRead.enumeration(Status.self, try StatusRead.required(o["status"], path + ".status"), path + ".status")
                }

                /// As JSON, nil fields left out.
                public var jsonObject: [String: JSONValue] {
                    var o: [String: JSONValue] = [:]
                    if let v = bytes { o["bytes"] = .int(Int64(v)) }
                    if let v = loss { o["loss"] = .double(v) }
                    o["node"] = .string(node)
                    if let v = reason { o["reason"] = .string(v) }
                    if let v = samples { o["samples"] = .int(Int64(v)) }
                    o["status"] = .string(status.rawValue)
                    return o
                }

                /// How its task ended: Succeeded, Skipped, Failed, or Missing (no report in time); Excluded when
                /// Byzantine detection flagged its update.
                public enum Status: String, SchemaEnum {
                    case succeeded = "Succeeded"
                    case skipped = "Skipped"
                    case failed = "Failed"
                    case missing = "Missing"
                    case excluded = "Excluded"
                }
            }

            /// How the round's participants got the global model, as they reported it: from their region's
            /// model cache, which had it (hits) or fetched it first (misses), or from the server (direct); and
            /// the bytes the server sent (misses and direct) against those it would have sent without caches.
            public struct Models: StatusObject {
                public var bytesWithoutCache: Int?

                public var direct: Int?

                public var hits: Int?

                public var misses: Int?

                public var serverBytes: Int?

                public init(bytesWithoutCache: Int? = nil, direct: Int? = nil, hits: Int? = nil, misses: Int? = nil, serverBytes: Int? = nil) {
                    self.bytesWithoutCache = bytesWithoutCache
                    self.direct = direct
                    self.hits = hits
                    self.misses = misses
                    self.serverBytes = serverBytes
                }

                /// Reads `json`, the object at `path` (for errors).
                public init(json o: [String: JSONValue], at path: String) throws(JSONDecodingError) {
                    if let v = o["bytesWithoutCache"], !v.isNull { bytesWithoutCache = try StatusRead.int(v, path + ".bytesWithoutCache") } else { bytesWithoutCache = nil }
                    if let v = o["direct"], !v.isNull { direct = try StatusRead.int(v, path + ".direct") } else { direct = nil }
                    if let v = o["hits"], !v.isNull { hits = try StatusRead.int(v, path + ".hits") } else { hits = nil }
                    if let v = o["misses"], !v.isNull { misses = try StatusRead.int(v, path + ".misses") } else { misses = nil }
                    if let v = o["serverBytes"], !v.isNull { serverBytes = try StatusRead.int(v, path + ".serverBytes") } else { serverBytes = nil }
                }

                /// As JSON, nil fields left out.
                public var jsonObject: [String: JSONValue] {
                    var o: [String: JSONValue] = [:]
                    if let v = bytesWithoutCache { o["bytesWithoutCache"] = .int(Int64(v)) }
                    if let v = direct { o["direct"] = .int(Int64(v)) }
                    if let v = hits { o["hits"] = .int(Int64(v)) }
                    if let v = misses { o["misses"] = .int(Int64(v)) }
                    if let v = serverBytes { o["serverBytes"] = .int(Int64(v)) }
                    return o
                }
            }

            /// The round's bytes by link, measured by the participants and aggregators that moved them.
            public struct Traffic: StatusObject {
                /// Bytes between nodes of different regions.
                public var crossRegion: Int?

                /// Bytes between nodes and the server (outside every region: each of these bytes leaves or enters a
                /// region).
                public var server: Int?

                /// Bytes between nodes of the same region (a participant and its region's model cache or
                /// aggregator).
                public var withinRegion: Int?

                public init(crossRegion: Int? = nil, server: Int? = nil, withinRegion: Int? = nil) {
                    self.crossRegion = crossRegion
                    self.server = server
                    self.withinRegion = withinRegion
                }

                /// Reads `json`, the object at `path` (for errors).
                public init(json o: [String: JSONValue], at path: String) throws(JSONDecodingError) {
                    if let v = o["crossRegion"], !v.isNull { crossRegion = try StatusRead.int(v, path + ".crossRegion") } else { crossRegion = nil }
                    if let v = o["server"], !v.isNull { server = try StatusRead.int(v, path + ".server") } else { server = nil }
                    if let v = o["withinRegion"], !v.isNull { withinRegion = try StatusRead.int(v, path + ".withinRegion") } else { withinRegion = nil }
                }

                /// As JSON, nil fields left out.
                public var jsonObject: [String: JSONValue] {
                    var o: [String: JSONValue] = [:]
                    if let v = crossRegion { o["crossRegion"] = .int(Int64(v)) }
                    if let v = server { o["server"] = .int(Int64(v)) }
                    if let v = withinRegion { o["withinRegion"] = .int(Int64(v)) }
                    return o
                }
            }
        }

        /// All rounds so far: the bytes the job's participants and aggregators moved (global models,
        /// updates, regional aggregates), measured by the nodes that moved them and reported in their
        /// tasks' status.traffic, by link.
        public struct Traffic: StatusObject {
            /// Bytes between nodes of different regions.
            public var crossRegion: Int?

            /// Bytes between nodes and the server (outside every region: each of these bytes leaves or enters a
            /// region).
            public var server: Int?

            /// Bytes between nodes of the same region (a participant and its region's model cache or
            /// aggregator).
            public var withinRegion: Int?

            public init(crossRegion: Int? = nil, server: Int? = nil, withinRegion: Int? = nil) {
                self.crossRegion = crossRegion
                self.server = server
                self.withinRegion = withinRegion
            }

            /// Reads `json`, the object at `path` (for errors).
            public init(json o: [String: JSONValue], at path: String) throws(JSONDecodingError) {
                if let v = o["crossRegion"], !v.isNull { crossRegion = try StatusRead.int(v, path + ".crossRegion") } else { crossRegion = nil }
                if let v = o["server"], !v.isNull { server = try StatusRead.int(v, path + ".server") } else { server = nil }
                if let v = o["withinRegion"], !v.isNull { withinRegion = try StatusRead.int(v, path + ".withinRegion") } else { withinRegion = nil }
            }

            /// As JSON, nil fields left out.
            public var jsonObject: [String: JSONValue] {
                var o: [String: JSONValue] = [:]
                if let v = crossRegion { o["crossRegion"] = .int(Int64(v)) }
                if let v = server { o["server"] = .int(Int64(v)) }
                if let v = withinRegion { o["withinRegion"] = .int(Int64(v)) }
                return o
            }
        }
    }
}

/// FogNode status, as the node's agent (or the simulated fleet) and the controllers write it:
/// heartbeat and telemetry (agent), Ready, availability, scores and trust (node-lifecycle),
/// Harvestable and harvest (harvest), reservations (allocation), taskOutcomes (training). Not
/// checked on apply; the tests check what the controllers write against it.
public struct FogNodeStatus: KindStatus {
    public static let kind = "FogNode"

    /// Availability history kept by the node-lifecycle controller: lifetime counters and the last 24
    /// hourly buckets. Times are RFC 3339 (with microseconds); durations are seconds.
    public var availability: Availability?

    /// Ready (node-lifecycle: True HeartbeatFresh, False HeartbeatTimeout, Unknown NoHeartbeat),
    /// Harvestable (harvest: the HarvestReason), Reconciled (written by the controller runner when a
    /// reconcile fails: False with reason TerminalError or ReconcileError and the message prefixed by
    /// the controller's name; True with reason Reconciled once that controller succeeds again).
    public var conditions: [Condition]?

    /// What the harvest controller decided under the matching harvest policies (absent when none
    /// matches).
    public var harvest: Harvest?

    /// When the node's agent (or the simulated fleet) last reported; the node-lifecycle controller
    /// derives Ready from its age.
    public var lastHeartbeatTime: String?

    /// The agent's (or the simulated fleet's) recent log lines for this node (registered, tasks run,
    /// failures and retries, going offline), carried by its heartbeats; `fogctl logs fn/NAME`.
    public var log: [String]?

    /// The node's regional model cache, as its agent counts it: requests served from memory (hits),
    /// fetched from the server first (misses), and bytes.
    public var modelCache: ModelCache?

    /// metadata.generation of the spec the controllers last reconciled (written with every controller
    /// status write).
    public var observedGeneration: Int?

    /// Where the node's agent serves its peers (an aggregator's regional model cache), carried by its
    /// heartbeats.
    public var peer: Peer?

    /// A relay node's onion relay (role relay), carried by its agent's heartbeats: where origins reach
    /// it, its onion public keys (X25519, newest first; the private halves stay on the node) and what
    /// it has relayed (docs/circuits.md).
    public var relay: Relay?

    /// Capacity reserved on this node per job, keyed namespace/name; written only by the allocation
    /// controller, in the same transaction as the job's allocation.
    public var reservations: [String: Reservation]?

    /// Peer scores under the standard algorithm, 0..100, to one decimal (refreshed with availability).
    public var scores: Scores?

    /// Task outcomes counted by the controllers that run tasks on the node (training: an accepted
    /// update succeeds; an excluded or missing one fails).
    public var taskOutcomes: TaskOutcomes?

    /// What the host reported at the last heartbeat (NodeTelemetry); a reading the host does not expose
    /// is absent (each heartbeat is a merge patch that removes readings gone since).
    public var telemetry: Telemetry?

    /// Trust from task outcomes, (succeeded + 1) / (succeeded + failed + 2), to four decimals.
    public var trust: Double?

    public init(availability: Availability? = nil, conditions: [Condition]? = nil, harvest: Harvest? = nil, lastHeartbeatTime: String? = nil, log: [String]? = nil, modelCache: ModelCache? = nil, observedGeneration: Int? = nil, peer: Peer? = nil, relay: Relay? = nil, reservations: [String: Reservation]? = nil, scores: Scores? = nil, taskOutcomes: TaskOutcomes? = nil, telemetry: Telemetry? = nil, trust: Double? = nil) {
        self.availability = availability
        self.conditions = conditions
        self.harvest = harvest
        self.lastHeartbeatTime = lastHeartbeatTime
        self.log = log
        self.modelCache = modelCache
        self.observedGeneration = observedGeneration
        self.peer = peer
        self.relay = relay
        self.reservations = reservations
        self.scores = scores
        self.taskOutcomes = taskOutcomes
        self.telemetry = telemetry
        self.trust = trust
    }

    /// Reads `json`, the object at `path` (for errors).
    public init(json o: [String: JSONValue], at path: String) throws(JSONDecodingError) {
        if let v = o["availability"], !v.isNull { availability = try Availability(json: StatusRead.object(v, path + ".availability"), at: path + ".availability") } else { availability = nil }
        if let v = o["conditions"], !v.isNull { conditions = try StatusRead.array(v, path + ".conditions") { e, ep throws(JSONDecodingError) in try StatusRead.condition(e, ep) } } else { conditions = nil }
        if let v = o["harvest"], !v.isNull { harvest = try Harvest(json: StatusRead.object(v, path + ".harvest"), at: path + ".harvest") } else { harvest = nil }
        if let v = o["lastHeartbeatTime"], !v.isNull { lastHeartbeatTime = try StatusRead.string(v, path + ".lastHeartbeatTime") } else { lastHeartbeatTime = nil }
        if let v = o["log"], !v.isNull { log = try StatusRead.array(v, path + ".log") { e, ep throws(JSONDecodingError) in try StatusRead.string(e, ep) } } else { log = nil }
        if let v = o["modelCache"], !v.isNull { modelCache = try ModelCache(json: StatusRead.object(v, path + ".modelCache"), at: path + ".modelCache") } else { modelCache = nil }
        if let v = o["observedGeneration"], !v.isNull { observedGeneration = try StatusRead.int(v, path + ".observedGeneration") } else { observedGeneration = nil }
        if let v = o["peer"], !v.isNull { peer = try Peer(json: StatusRead.object(v, path + ".peer"), at: path + ".peer") } else { peer = nil }
        if let v = o["relay"], !v.isNull { relay = try Relay(json: StatusRead.object(v, path + ".relay"), at: path + ".relay") } else { relay = nil }
        if let v = o["reservations"], !v.isNull { reservations = try StatusRead.map(v, path + ".reservations") { e, ep throws(JSONDecodingError) in try Reservation(json: StatusRead.object(e, ep), at: ep) } } else { reservations = nil }
        if let v = o["scores"], !v.isNull { scores = try Scores(json: StatusRead.object(v, path + ".scores"), at: path + ".scores") } else { scores = nil }
        if let v = o["taskOutcomes"], !v.isNull { taskOutcomes = try TaskOutcomes(json: StatusRead.object(v, path + ".taskOutcomes"), at: path + ".taskOutcomes") } else { taskOutcomes = nil }
        if let v = o["telemetry"], !v.isNull { telemetry = try Telemetry(json: StatusRead.object(v, path + ".telemetry"), at: path + ".telemetry") } else { telemetry = nil }
        if let v = o["trust"], !v.isNull { trust = try StatusRead.double(v, path + ".trust") } else { trust = nil }
    }

    /// As JSON, nil fields left out.
    public var jsonObject: [String: JSONValue] {
        var o: [String: JSONValue] = [:]
        if let v = availability { o["availability"] = .object(v.jsonObject) }
        if let v = conditions { o["conditions"] = .array(v.map { e in e.json }) }
        if let v = harvest { o["harvest"] = .object(v.jsonObject) }
        if let v = lastHeartbeatTime { o["lastHeartbeatTime"] = .string(v) }
        if let v = log { o["log"] = .array(v.map { e in .string(e) }) }
        if let v = modelCache { o["modelCache"] = .object(v.jsonObject) }
        if let v = observedGeneration { o["observedGeneration"] = .int(Int64(v)) }
        if let v = peer { o["peer"] = .object(v.jsonObject) }
        if let v = relay { o["relay"] = .object(v.jsonObject) }
        if let v = reservations { o["reservations"] = .object(v.mapValues { e in .object(e.jsonObject) }) }
        if let v = scores { o["scores"] = .object(v.jsonObject) }
        if let v = taskOutcomes { o["taskOutcomes"] = .object(v.jsonObject) }
        if let v = telemetry { o["telemetry"] = .object(v.jsonObject) }
        if let v = trust { o["trust"] = .double(v) }
        return o
    }

    public func write(into status: inout [String: JSONValue], changedFrom old: Self) {
        if availability != old.availability { status["availability"] = availability.map { v in .object(v.jsonObject) } }
        if conditions != old.conditions { status["conditions"] = conditions.map { v in .array(v.map { e in e.json }) } }
        if harvest != old.harvest { status["harvest"] = harvest.map { v in .object(v.jsonObject) } }
        if lastHeartbeatTime != old.lastHeartbeatTime { status["lastHeartbeatTime"] = lastHeartbeatTime.map { v in .string(v) } }
        if log != old.log { status["log"] = log.map { v in .array(v.map { e in .string(e) }) } }
        if modelCache != old.modelCache { status["modelCache"] = modelCache.map { v in .object(v.jsonObject) } }
        if observedGeneration != old.observedGeneration { status["observedGeneration"] = observedGeneration.map { v in .int(Int64(v)) } }
        if peer != old.peer { status["peer"] = peer.map { v in .object(v.jsonObject) } }
        if relay != old.relay { status["relay"] = relay.map { v in .object(v.jsonObject) } }
        if reservations != old.reservations { status["reservations"] = reservations.map { v in .object(v.mapValues { e in .object(e.jsonObject) }) } }
        if scores != old.scores { status["scores"] = scores.map { v in .object(v.jsonObject) } }
        if taskOutcomes != old.taskOutcomes { status["taskOutcomes"] = taskOutcomes.map { v in .object(v.jsonObject) } }
        if telemetry != old.telemetry { status["telemetry"] = telemetry.map { v in .object(v.jsonObject) } }
        if trust != old.trust { status["trust"] = trust.map { v in .double(v) } }
    }

    public static func fieldName(_ field: PartialKeyPath<Self>) -> String? {
        if field == \Self.availability { return "availability" }
        if field == \Self.conditions { return "conditions" }
        if field == \Self.harvest { return "harvest" }
        if field == \Self.lastHeartbeatTime { return "lastHeartbeatTime" }
        if field == \Self.log { return "log" }
        if field == \Self.modelCache { return "modelCache" }
        if field == \Self.observedGeneration { return "observedGeneration" }
        if field == \Self.peer { return "peer" }
        if field == \Self.relay { return "relay" }
        if field == \Self.reservations { return "reservations" }
        if field == \Self.scores { return "scores" }
        if field == \Self.taskOutcomes { return "taskOutcomes" }
        if field == \Self.telemetry { return "telemetry" }
        if field == \Self.trust { return "trust" }
        return nil
    }

    /// Availability history kept by the node-lifecycle controller: lifetime counters and the last 24
    /// hourly buckets. Times are RFC 3339 (with microseconds); durations are seconds.
    public struct Availability: StatusObject {
        /// Until when time has been attributed.
        public var accountedUntil: String

        /// Ready → NotReady transitions.
        public var disconnections: Int?

        /// When the current outage began; absent while the node is up.
        public var downSince: String?

        /// When the controller first saw the node Ready.
        public var firstSeen: String

        /// The last 24 hourly buckets, oldest first, each [the hour's start (RFC 3339), ready seconds,
        /// observed seconds].
        public var hourly: [[JSONValue]]?

        /// Seconds attributed to NotReady.
        public var notReadySeconds: Double?

        /// The state since accountedUntil.
        public var ready: Bool

        /// Seconds attributed to Ready.
        public var readySeconds: Double?

        /// NotReady → Ready transitions after a disconnection.
        public var recoveries: Int?

        /// Total time those recoveries took, in seconds.
        public var recoverySeconds: Double?

        /// Weighted uptime, 0..1: the last 24 hours count 70 %, the whole life 30 %.
        public var uptime: Double?

        public init(accountedUntil: String, disconnections: Int? = nil, downSince: String? = nil, firstSeen: String, hourly: [[JSONValue]]? = nil, notReadySeconds: Double? = nil, ready: Bool, readySeconds: Double? = nil, recoveries: Int? = nil, recoverySeconds: Double? = nil, uptime: Double? = nil) {
            self.accountedUntil = accountedUntil
            self.disconnections = disconnections
            self.downSince = downSince
            self.firstSeen = firstSeen
            self.hourly = hourly
            self.notReadySeconds = notReadySeconds
            self.ready = ready
            self.readySeconds = readySeconds
            self.recoveries = recoveries
            self.recoverySeconds = recoverySeconds
            self.uptime = uptime
        }

        /// Reads `json`, the object at `path` (for errors).
        public init(json o: [String: JSONValue], at path: String) throws(JSONDecodingError) {
            accountedUntil = try StatusRead.string(try StatusRead.required(o["accountedUntil"], path + ".accountedUntil"), path + ".accountedUntil")
            if let v = o["disconnections"], !v.isNull { disconnections = try StatusRead.int(v, path + ".disconnections") } else { disconnections = nil }
            if let v = o["downSince"], !v.isNull { downSince = try StatusRead.string(v, path + ".downSince") } else { downSince = nil }
            firstSeen = try StatusRead.string(try StatusRead.required(o["firstSeen"], path + ".firstSeen"), path + ".firstSeen")
            if let v = o["hourly"], !v.isNull { hourly = try StatusRead.array(v, path + ".hourly") { e, ep throws(JSONDecodingError) in try StatusRead.array(e, ep) { e, ep throws(JSONDecodingError) in e } } } else { hourly = nil }
            if let v = o["notReadySeconds"], !v.isNull { notReadySeconds = try StatusRead.double(v, path + ".notReadySeconds") } else { notReadySeconds = nil }
            ready = try StatusRead.bool(try StatusRead.required(o["ready"], path + ".ready"), path + ".ready")
            if let v = o["readySeconds"], !v.isNull { readySeconds = try StatusRead.double(v, path + ".readySeconds") } else { readySeconds = nil }
            if let v = o["recoveries"], !v.isNull { recoveries = try StatusRead.int(v, path + ".recoveries") } else { recoveries = nil }
            if let v = o["recoverySeconds"], !v.isNull { recoverySeconds = try StatusRead.double(v, path + ".recoverySeconds") } else { recoverySeconds = nil }
            if let v = o["uptime"], !v.isNull { uptime = try StatusRead.double(v, path + ".uptime") } else { uptime = nil }
        }

        /// As JSON, nil fields left out.
        public var jsonObject: [String: JSONValue] {
            var o: [String: JSONValue] = [:]
            o["accountedUntil"] = .string(accountedUntil)
            if let v = disconnections { o["disconnections"] = .int(Int64(v)) }
            if let v = downSince { o["downSince"] = .string(v) }
            o["firstSeen"] = .string(firstSeen)
            if let v = hourly { o["hourly"] = .array(v.map { e in .array(e.map { e in e }) }) }
            if let v = notReadySeconds { o["notReadySeconds"] = .double(v) }
            o["ready"] = .bool(ready)
            if let v = readySeconds { o["readySeconds"] = .double(v) }
            if let v = recoveries { o["recoveries"] = .int(Int64(v)) }
            if let v = recoverySeconds { o["recoverySeconds"] = .double(v) }
            if let v = uptime { o["uptime"] = .double(v) }
            return o
        }
    }

    /// What the harvest controller decided under the matching harvest policies (absent when none
    /// matches).
    public struct Harvest: StatusObject {
        /// Until when core-seconds have been credited (RFC 3339, with microseconds).
        public var accountedUntil: String?

        /// cpuShare × capacity.cpu, in cores.
        public var allocatableCpu: Double?

        /// Core-seconds offered so far, per harvest policy name.
        public var coreSeconds: [String: Double]?

        /// Share of the node's CPU that may be allocated, 0..1 (0 when not eligible).
        public var cpuShare: Double

        /// The HarvestPolicy that decided (the first eligible one, else the first by name).
        public var policy: String

        /// Why the node may or may not lend compute (also the Harvestable condition's reason).
        public var reason: Reason

        public init(accountedUntil: String? = nil, allocatableCpu: Double? = nil, coreSeconds: [String: Double]? = nil, cpuShare: Double, policy: String, reason: Reason) {
            self.accountedUntil = accountedUntil
            self.allocatableCpu = allocatableCpu
            self.coreSeconds = coreSeconds
            self.cpuShare = cpuShare
            self.policy = policy
            self.reason = reason
        }

        /// Reads `json`, the object at `path` (for errors).
        public init(json o: [String: JSONValue], at path: String) throws(JSONDecodingError) {
            if let v = o["accountedUntil"], !v.isNull { accountedUntil = try StatusRead.string(v, path + ".accountedUntil") } else { accountedUntil = nil }
            if let v = o["allocatableCpu"], !v.isNull { allocatableCpu = try StatusRead.double(v, path + ".allocatableCpu") } else { allocatableCpu = nil }
            if let v = o["coreSeconds"], !v.isNull { coreSeconds = try StatusRead.map(v, path + ".coreSeconds") { e, ep throws(JSONDecodingError) in try StatusRead.double(e, ep) } } else { coreSeconds = nil }
            cpuShare = try StatusRead.double(try StatusRead.required(o["cpuShare"], path + ".cpuShare"), path + ".cpuShare")
            policy = try StatusRead.string(try StatusRead.required(o["policy"], path + ".policy"), path + ".policy")
            reason = try StatusRead.enumeration(Reason.self, try StatusRead.required(o["reason"], path + ".reason"), path + ".reason")
        }

        /// As JSON, nil fields left out.
        public var jsonObject: [String: JSONValue] {
            var o: [String: JSONValue] = [:]
            if let v = accountedUntil { o["accountedUntil"] = .string(v) }
            if let v = allocatableCpu { o["allocatableCpu"] = .double(v) }
            if let v = coreSeconds { o["coreSeconds"] = .object(v.mapValues { e in .double(e) }) }
            o["cpuShare"] = .double(cpuShare)
            o["policy"] = .string(policy)
            o["reason"] = .string(reason.rawValue)
            return o
        }

        /// Why the node may or may not lend compute (also the Harvestable condition's reason).
        public enum Reason: String, SchemaEnum {
            case eligible = "Eligible"
            case noTelemetry = "NoTelemetry"
            case outsideWindow = "OutsideWindow"
            case onBattery = "OnBattery"
            case batteryLow = "BatteryLow"
            case tooHot = "TooHot"
            case busy = "Busy"
        }
    }

    /// The node's regional model cache, as its agent counts it: requests served from memory (hits),
    /// fetched from the server first (misses), and bytes.
    public struct ModelCache: StatusObject {
        public var bytesFetched: Int?

        public var bytesServed: Int?

        public var hits: Int?

        public var misses: Int?

        public init(bytesFetched: Int? = nil, bytesServed: Int? = nil, hits: Int? = nil, misses: Int? = nil) {
            self.bytesFetched = bytesFetched
            self.bytesServed = bytesServed
            self.hits = hits
            self.misses = misses
        }

        /// Reads `json`, the object at `path` (for errors).
        public init(json o: [String: JSONValue], at path: String) throws(JSONDecodingError) {
            if let v = o["bytesFetched"], !v.isNull { bytesFetched = try StatusRead.int(v, path + ".bytesFetched") } else { bytesFetched = nil }
            if let v = o["bytesServed"], !v.isNull { bytesServed = try StatusRead.int(v, path + ".bytesServed") } else { bytesServed = nil }
            if let v = o["hits"], !v.isNull { hits = try StatusRead.int(v, path + ".hits") } else { hits = nil }
            if let v = o["misses"], !v.isNull { misses = try StatusRead.int(v, path + ".misses") } else { misses = nil }
        }

        /// As JSON, nil fields left out.
        public var jsonObject: [String: JSONValue] {
            var o: [String: JSONValue] = [:]
            if let v = bytesFetched { o["bytesFetched"] = .int(Int64(v)) }
            if let v = bytesServed { o["bytesServed"] = .int(Int64(v)) }
            if let v = hits { o["hits"] = .int(Int64(v)) }
            if let v = misses { o["misses"] = .int(Int64(v)) }
            return o
        }
    }

    /// Where the node's agent serves its peers (an aggregator's regional model cache), carried by its
    /// heartbeats.
    public struct Peer: StatusObject {
        /// http://host:port, or sim://NODE for a simulated node.
        public var address: String?

        public init(address: String? = nil) {
            self.address = address
        }

        /// Reads `json`, the object at `path` (for errors).
        public init(json o: [String: JSONValue], at path: String) throws(JSONDecodingError) {
            if let v = o["address"], !v.isNull { address = try StatusRead.string(v, path + ".address") } else { address = nil }
        }

        /// As JSON, nil fields left out.
        public var jsonObject: [String: JSONValue] {
            var o: [String: JSONValue] = [:]
            if let v = address { o["address"] = .string(v) }
            return o
        }
    }

    /// A relay node's onion relay (role relay), carried by its agent's heartbeats: where origins reach
    /// it, its onion public keys (X25519, newest first; the private halves stay on the node) and what
    /// it has relayed (docs/circuits.md).
    public struct Relay: StatusObject {
        /// http://host:port of `fogctl agent --relay-listen`, or sim://NODE for a simulated relay.
        public var address: String?

        /// Bytes of cells received and sent back, over every circuit.
        public var bytesRelayed: Int?

        /// Cells refused (changed, replayed, out of order, unknown circuit).
        public var cellsRefused: Int?

        public var circuitsBuilt: Int?

        /// Circuit creates refused (no key opens them, or over the circuit limit).
        public var createsRefused: Int?

        public var limits: Limits?

        /// Newest first: origins build with the first; the previous one is still accepted until its overlap
        /// ends.
        public var onionKeys: [OnionKey]?

        public var openCircuits: Int?

        public init(address: String? = nil, bytesRelayed: Int? = nil, cellsRefused: Int? = nil, circuitsBuilt: Int? = nil, createsRefused: Int? = nil, limits: Limits? = nil, onionKeys: [OnionKey]? = nil, openCircuits: Int? = nil) {
            self.address = address
            self.bytesRelayed = bytesRelayed
            self.cellsRefused = cellsRefused
            self.circuitsBuilt = circuitsBuilt
            self.createsRefused = createsRefused
            self.limits = limits
            self.onionKeys = onionKeys
            self.openCircuits = openCircuits
        }

        /// Reads `json`, the object at `path` (for errors).
        public init(json o: [String: JSONValue], at path: String) throws(JSONDecodingError) {
            if let v = o["address"], !v.isNull { address = try StatusRead.string(v, path + ".address") } else { address = nil }
            if let v = o["bytesRelayed"], !v.isNull { bytesRelayed = try StatusRead.int(v, path + ".bytesRelayed") } else { bytesRelayed = nil }
            if let v = o["cellsRefused"], !v.isNull { cellsRefused = try StatusRead.int(v, path + ".cellsRefused") } else { cellsRefused = nil }
            if let v = o["circuitsBuilt"], !v.isNull { circuitsBuilt = try StatusRead.int(v, path + ".circuitsBuilt") } else { circuitsBuilt = nil }
            if let v = o["createsRefused"], !v.isNull { createsRefused = try StatusRead.int(v, path + ".createsRefused") } else { createsRefused = nil }
            if let v = o["limits"], !v.isNull { limits = try Limits(json: StatusRead.object(v, path + ".limits"), at: path + ".limits") } else { limits = nil }
            if let v = o["onionKeys"], !v.isNull { onionKeys = try StatusRead.array(v, path + ".onionKeys") { e, ep throws(JSONDecodingError) in try OnionKey(json: StatusRead.object(e, ep), at: ep) } } else { onionKeys = nil }
            if let v = o["openCircuits"], !v.isNull { openCircuits = try StatusRead.int(v, path + ".openCircuits") } else { openCircuits = nil }
        }

        /// As JSON, nil fields left out.
        public var jsonObject: [String: JSONValue] {
            var o: [String: JSONValue] = [:]
            if let v = address { o["address"] = .string(v) }
            if let v = bytesRelayed { o["bytesRelayed"] = .int(Int64(v)) }
            if let v = cellsRefused { o["cellsRefused"] = .int(Int64(v)) }
            if let v = circuitsBuilt { o["circuitsBuilt"] = .int(Int64(v)) }
            if let v = createsRefused { o["createsRefused"] = .int(Int64(v)) }
            if let v = limits { o["limits"] = .object(v.jsonObject) }
            if let v = onionKeys { o["onionKeys"] = .array(v.map { e in .object(e.jsonObject) }) }
            if let v = openCircuits { o["openCircuits"] = .int(Int64(v)) }
            return o
        }

        public struct Limits: StatusObject {
            public var circuitBytesPerSecond: Double?

            public var maxCircuits: Int?

            public init(circuitBytesPerSecond: Double? = nil, maxCircuits: Int? = nil) {
                self.circuitBytesPerSecond = circuitBytesPerSecond
                self.maxCircuits = maxCircuits
            }

            /// Reads `json`, the object at `path` (for errors).
            public init(json o: [String: JSONValue], at path: String) throws(JSONDecodingError) {
                if let v = o["circuitBytesPerSecond"], !v.isNull { circuitBytesPerSecond = try StatusRead.double(v, path + ".circuitBytesPerSecond") } else { circuitBytesPerSecond = nil }
                if let v = o["maxCircuits"], !v.isNull { maxCircuits = try StatusRead.int(v, path + ".maxCircuits") } else { maxCircuits = nil }
            }

            /// As JSON, nil fields left out.
            public var jsonObject: [String: JSONValue] {
                var o: [String: JSONValue] = [:]
                if let v = circuitBytesPerSecond { o["circuitBytesPerSecond"] = .double(v) }
                if let v = maxCircuits { o["maxCircuits"] = .int(Int64(v)) }
                return o
            }
        }

        public struct OnionKey: StatusObject {
            public var created: String

            /// Base64 of the 32-byte X25519 public key.
            public var publicKey: String

            /// When the next key replaces it (created + rotation period).
            public var rotates: String?

            public init(created: String, publicKey: String, rotates: String? = nil) {
                self.created = created
                self.publicKey = publicKey
                self.rotates = rotates
            }

            /// Reads `json`, the object at `path` (for errors).
            public init(json o: [String: JSONValue], at path: String) throws(JSONDecodingError) {
                created = try StatusRead.string(try StatusRead.required(o["created"], path + ".created"), path + ".created")
                publicKey = try StatusRead.string(try StatusRead.required(o["publicKey"], path + ".publicKey"), path + ".publicKey")
                if let v = o["rotates"], !v.isNull { rotates = try StatusRead.string(v, path + ".rotates") } else { rotates = nil }
            }

            /// As JSON, nil fields left out.
            public var jsonObject: [String: JSONValue] {
                var o: [String: JSONValue] = [:]
                o["created"] = .string(created)
                o["publicKey"] = .string(publicKey)
                if let v = rotates { o["rotates"] = .string(v) }
                return o
            }
        }
    }

    /// What one participant reserves.
    public struct Reservation: StatusObject {
        /// CPU cores.
        public var cpu: Double

        /// GPUs (0 or 1).
        public var gpu: Int

        /// Memory in GiB.
        public var memoryGiB: Double

        public init(cpu: Double, gpu: Int, memoryGiB: Double) {
            self.cpu = cpu
            self.gpu = gpu
            self.memoryGiB = memoryGiB
        }

        /// Reads `json`, the object at `path` (for errors).
        public init(json o: [String: JSONValue], at path: String) throws(JSONDecodingError) {
            cpu = try StatusRead.double(try StatusRead.required(o["cpu"], path + ".cpu"), path + ".cpu")
            gpu = try StatusRead.int(try StatusRead.required(o["gpu"], path + ".gpu"), path + ".gpu")
            memoryGiB = try StatusRead.double(try StatusRead.required(o["memoryGiB"], path + ".memoryGiB"), path + ".memoryGiB")
        }

        /// As JSON, nil fields left out.
        public var jsonObject: [String: JSONValue] {
            var o: [String: JSONValue] = [:]
            o["cpu"] = .double(cpu)
            o["gpu"] = .int(Int64(gpu))
            o["memoryGiB"] = .double(memoryGiB)
            return o
        }
    }

    /// Peer scores under the standard algorithm, 0..100, to one decimal (refreshed with availability).
    public struct Scores: StatusObject {
        /// Latency component.
        public var latency: Double?

        /// Performance component.
        public var performance: Double?

        /// Reliability component.
        public var reliability: Double?

        /// Weighted total under the standard algorithm.
        public var standard: Double?

        /// Uptime component.
        public var uptime: Double?

        public init(latency: Double? = nil, performance: Double? = nil, reliability: Double? = nil, standard: Double? = nil, uptime: Double? = nil) {
            self.latency = latency
            self.performance = performance
            self.reliability = reliability
            self.standard = standard
            self.uptime = uptime
        }

        /// Reads `json`, the object at `path` (for errors).
        public init(json o: [String: JSONValue], at path: String) throws(JSONDecodingError) {
            if let v = o["latency"], !v.isNull { latency = try StatusRead.double(v, path + ".latency") } else { latency = nil }
            if let v = o["performance"], !v.isNull { performance = try StatusRead.double(v, path + ".performance") } else { performance = nil }
            if let v = o["reliability"], !v.isNull { reliability = try StatusRead.double(v, path + ".reliability") } else { reliability = nil }
            if let v = o["standard"], !v.isNull { standard = try StatusRead.double(v, path + ".standard") } else { standard = nil }
            if let v = o["uptime"], !v.isNull { uptime = try StatusRead.double(v, path + ".uptime") } else { uptime = nil }
        }

        /// As JSON, nil fields left out.
        public var jsonObject: [String: JSONValue] {
            var o: [String: JSONValue] = [:]
            if let v = latency { o["latency"] = .double(v) }
            if let v = performance { o["performance"] = .double(v) }
            if let v = reliability { o["reliability"] = .double(v) }
            if let v = standard { o["standard"] = .double(v) }
            if let v = uptime { o["uptime"] = .double(v) }
            return o
        }
    }

    /// Task outcomes counted by the controllers that run tasks on the node (training: an accepted
    /// update succeeds; an excluded or missing one fails).
    public struct TaskOutcomes: StatusObject {
        /// Tasks that failed.
        public var failed: Int?

        /// Tasks that succeeded.
        public var succeeded: Int?

        public init(failed: Int? = nil, succeeded: Int? = nil) {
            self.failed = failed
            self.succeeded = succeeded
        }

        /// Reads `json`, the object at `path` (for errors).
        public init(json o: [String: JSONValue], at path: String) throws(JSONDecodingError) {
            if let v = o["failed"], !v.isNull { failed = try StatusRead.int(v, path + ".failed") } else { failed = nil }
            if let v = o["succeeded"], !v.isNull { succeeded = try StatusRead.int(v, path + ".succeeded") } else { succeeded = nil }
        }

        /// As JSON, nil fields left out.
        public var jsonObject: [String: JSONValue] {
            var o: [String: JSONValue] = [:]
            if let v = failed { o["failed"] = .int(Int64(v)) }
            if let v = succeeded { o["succeeded"] = .int(Int64(v)) }
            return o
        }
    }

    /// What the host reported at the last heartbeat (NodeTelemetry); a reading the host does not expose
    /// is absent (each heartbeat is a merge patch that removes readings gone since).
    public struct Telemetry: StatusObject {
        /// CPU readings.
        public var cpu: Cpu?

        /// Seconds since the host was last busy.
        public var idleSeconds: Double?

        /// Memory readings.
        public var memory: Memory?

        /// Power supply readings.
        public var power: Power?

        /// Exponentially weighted average of the round trips, in milliseconds (what scoring uses).
        public var rttAverageMillis: Double?

        /// Last measured round trip to the API server, in milliseconds.
        public var rttMillis: Double?

        /// Thermal zones.
        public var thermal: Thermal?

        public init(cpu: Cpu? = nil, idleSeconds: Double? = nil, memory: Memory? = nil, power: Power? = nil, rttAverageMillis: Double? = nil, rttMillis: Double? = nil, thermal: Thermal? = nil) {
            self.cpu = cpu
            self.idleSeconds = idleSeconds
            self.memory = memory
            self.power = power
            self.rttAverageMillis = rttAverageMillis
            self.rttMillis = rttMillis
            self.thermal = thermal
        }

        /// Reads `json`, the object at `path` (for errors).
        public init(json o: [String: JSONValue], at path: String) throws(JSONDecodingError) {
            if let v = o["cpu"], !v.isNull { cpu = try Cpu(json: StatusRead.object(v, path + ".cpu"), at: path + ".cpu") } else { cpu = nil }
            if let v = o["idleSeconds"], !v.isNull { idleSeconds = try StatusRead.double(v, path + ".idleSeconds") } else { idleSeconds = nil }
            if let v = o["memory"], !v.isNull { memory = try Memory(json: StatusRead.object(v, path + ".memory"), at: path + ".memory") } else { memory = nil }
            if let v = o["power"], !v.isNull { power = try Power(json: StatusRead.object(v, path + ".power"), at: path + ".power") } else { power = nil }
            if let v = o["rttAverageMillis"], !v.isNull { rttAverageMillis = try StatusRead.double(v, path + ".rttAverageMillis") } else { rttAverageMillis = nil }
            if let v = o["rttMillis"], !v.isNull { rttMillis = try StatusRead.double(v, path + ".rttMillis") } else { rttMillis = nil }
            if let v = o["thermal"], !v.isNull { thermal = try Thermal(json: StatusRead.object(v, path + ".thermal"), at: path + ".thermal") } else { thermal = nil }
        }

        /// As JSON, nil fields left out.
        public var jsonObject: [String: JSONValue] {
            var o: [String: JSONValue] = [:]
            if let v = cpu { o["cpu"] = .object(v.jsonObject) }
            if let v = idleSeconds { o["idleSeconds"] = .double(v) }
            if let v = memory { o["memory"] = .object(v.jsonObject) }
            if let v = power { o["power"] = .object(v.jsonObject) }
            if let v = rttAverageMillis { o["rttAverageMillis"] = .double(v) }
            if let v = rttMillis { o["rttMillis"] = .double(v) }
            if let v = thermal { o["thermal"] = .object(v.jsonObject) }
            return o
        }

        /// CPU readings.
        public struct Cpu: StatusObject {
            /// Online logical CPUs.
            public var count: Int?

            /// 1-minute run-queue load average.
            public var load1: Double?

            /// 15-minute run-queue load average.
            public var load15: Double?

            /// 5-minute run-queue load average.
            public var load5: Double?

            /// Busy share of all CPUs between two samples, 0..1.
            public var utilization: Double?

            public init(count: Int? = nil, load1: Double? = nil, load15: Double? = nil, load5: Double? = nil, utilization: Double? = nil) {
                self.count = count
                self.load1 = load1
                self.load15 = load15
                self.load5 = load5
                self.utilization = utilization
            }

            /// Reads `json`, the object at `path` (for errors).
            public init(json o: [String: JSONValue], at path: String) throws(JSONDecodingError) {
                if let v = o["count"], !v.isNull { count = try StatusRead.int(v, path + ".count") } else { count = nil }
                if let v = o["load1"], !v.isNull { load1 = try StatusRead.double(v, path + ".load1") } else { load1 = nil }
                if let v = o["load15"], !v.isNull { load15 = try StatusRead.double(v, path + ".load15") } else { load15 = nil }
                if let v = o["load5"], !v.isNull { load5 = try StatusRead.double(v, path + ".load5") } else { load5 = nil }
                if let v = o["utilization"], !v.isNull { utilization = try StatusRead.double(v, path + ".utilization") } else { utilization = nil }
            }

            /// As JSON, nil fields left out.
            public var jsonObject: [String: JSONValue] {
                var o: [String: JSONValue] = [:]
                if let v = count { o["count"] = .int(Int64(v)) }
                if let v = load1 { o["load1"] = .double(v) }
                if let v = load15 { o["load15"] = .double(v) }
                if let v = load5 { o["load5"] = .double(v) }
                if let v = utilization { o["utilization"] = .double(v) }
                return o
            }
        }

        /// Memory readings.
        public struct Memory: StatusObject {
            /// MemAvailable, in bytes.
            public var availableBytes: Int?

            /// MemTotal, in bytes.
            public var totalBytes: Int?

            public init(availableBytes: Int? = nil, totalBytes: Int? = nil) {
                self.availableBytes = availableBytes
                self.totalBytes = totalBytes
            }

            /// Reads `json`, the object at `path` (for errors).
            public init(json o: [String: JSONValue], at path: String) throws(JSONDecodingError) {
                if let v = o["availableBytes"], !v.isNull { availableBytes = try StatusRead.int(v, path + ".availableBytes") } else { availableBytes = nil }
                if let v = o["totalBytes"], !v.isNull { totalBytes = try StatusRead.int(v, path + ".totalBytes") } else { totalBytes = nil }
            }

            /// As JSON, nil fields left out.
            public var jsonObject: [String: JSONValue] {
                var o: [String: JSONValue] = [:]
                if let v = availableBytes { o["availableBytes"] = .int(Int64(v)) }
                if let v = totalBytes { o["totalBytes"] = .int(Int64(v)) }
                return o
            }
        }

        /// Power supply readings.
        public struct Power: StatusObject {
            /// Whether a mains or USB supply is online.
            public var acOnline: Bool?

            /// The first battery found.
            public var battery: Battery?

            public init(acOnline: Bool? = nil, battery: Battery? = nil) {
                self.acOnline = acOnline
                self.battery = battery
            }

            /// Reads `json`, the object at `path` (for errors).
            public init(json o: [String: JSONValue], at path: String) throws(JSONDecodingError) {
                if let v = o["acOnline"], !v.isNull { acOnline = try StatusRead.bool(v, path + ".acOnline") } else { acOnline = nil }
                if let v = o["battery"], !v.isNull { battery = try Battery(json: StatusRead.object(v, path + ".battery"), at: path + ".battery") } else { battery = nil }
            }

            /// As JSON, nil fields left out.
            public var jsonObject: [String: JSONValue] {
                var o: [String: JSONValue] = [:]
                if let v = acOnline { o["acOnline"] = .bool(v) }
                if let v = battery { o["battery"] = .object(v.jsonObject) }
                return o
            }

            /// The first battery found.
            public struct Battery: StatusObject {
                /// Taking charge or full on external power (derived from status).
                public var charging: Bool?

                /// Charge level in percent.
                public var percent: Double?

                /// The kernel's battery status: Charging, Discharging, Full, Not charging or Unknown.
                public var status: String?

                /// Battery temperature in °C.
                public var temperatureCelsius: Double?

                public init(charging: Bool? = nil, percent: Double? = nil, status: String? = nil, temperatureCelsius: Double? = nil) {
                    self.charging = charging
                    self.percent = percent
                    self.status = status
                    self.temperatureCelsius = temperatureCelsius
                }

                /// Reads `json`, the object at `path` (for errors).
                public init(json o: [String: JSONValue], at path: String) throws(JSONDecodingError) {
                    if let v = o["charging"], !v.isNull { charging = try StatusRead.bool(v, path + ".charging") } else { charging = nil }
                    if let v = o["percent"], !v.isNull { percent = try StatusRead.double(v, path + ".percent") } else { percent = nil }
                    if let v = o["status"], !v.isNull { status = try StatusRead.string(v, path + ".status") } else { status = nil }
                    if let v = o["temperatureCelsius"], !v.isNull { temperatureCelsius = try StatusRead.double(v, path + ".temperatureCelsius") } else { temperatureCelsius = nil }
                }

                /// As JSON, nil fields left out.
                public var jsonObject: [String: JSONValue] {
                    var o: [String: JSONValue] = [:]
                    if let v = charging { o["charging"] = .bool(v) }
                    if let v = percent { o["percent"] = .double(v) }
                    if let v = status { o["status"] = .string(v) }
                    if let v = temperatureCelsius { o["temperatureCelsius"] = .double(v) }
                    return o
                }
            }
        }

        /// Thermal zones.
        public struct Thermal: StatusObject {
            /// The hottest zone, in °C.
            public var maxCelsius: Double?

            /// Every readable thermal zone.
            public var zones: [Zone]?

            public init(maxCelsius: Double? = nil, zones: [Zone]? = nil) {
                self.maxCelsius = maxCelsius
                self.zones = zones
            }

            /// Reads `json`, the object at `path` (for errors).
            public init(json o: [String: JSONValue], at path: String) throws(JSONDecodingError) {
                if let v = o["maxCelsius"], !v.isNull { maxCelsius = try StatusRead.double(v, path + ".maxCelsius") } else { maxCelsius = nil }
                if let v = o["zones"], !v.isNull { zones = try StatusRead.array(v, path + ".zones") { e, ep throws(JSONDecodingError) in try Zone(json: StatusRead.object(e, ep), at: ep) } } else { zones = nil }
            }

            /// As JSON, nil fields left out.
            public var jsonObject: [String: JSONValue] {
                var o: [String: JSONValue] = [:]
                if let v = maxCelsius { o["maxCelsius"] = .double(v) }
                if let v = zones { o["zones"] = .array(v.map { e in .object(e.jsonObject) }) }
                return o
            }

            /// One thermal zone.
            public struct Zone: StatusObject {
                /// Temperature in °C.
                public var celsius: Double

                /// The zone's type, e.g. x86_pkg_temp.
                public var type: String?

                /// Directory name, e.g. thermal_zone0.
                public var zone: String

                public init(celsius: Double, type: String? = nil, zone: String) {
                    self.celsius = celsius
                    self.type = type
                    self.zone = zone
                }

                /// Reads `json`, the object at `path` (for errors).
                public init(json o: [String: JSONValue], at path: String) throws(JSONDecodingError) {
                    celsius = try StatusRead.double(try StatusRead.required(o["celsius"], path + ".celsius"), path + ".celsius")
                    if let v = o["type"], !v.isNull { type = try StatusRead.string(v, path + ".type") } else { type = nil }
                    zone = try StatusRead.string(try StatusRead.required(o["zone"], path + ".zone"), path + ".zone")
                }

                /// As JSON, nil fields left out.
                public var jsonObject: [String: JSONValue] {
                    var o: [String: JSONValue] = [:]
                    o["celsius"] = .double(celsius)
                    if let v = type { o["type"] = .string(v) }
                    o["zone"] = .string(zone)
                    return o
                }
            }
        }
    }
}

/// GitSource status, written by the gitsource controller.
public struct GitSourceStatus: KindStatus {
    public static let kind = "GitSource"

    /// Ready (the last fetched commit is applied), Stalled (it cannot be without a new commit or a spec
    /// change), Suspended.
    public var conditions: [Condition]?

    /// Under driftPolicy report: owned objects that differ from git, with the fields that differ.
    public var drift: [String]?

    /// Owned objects put back after a change outside git, since the source was created.
    public var driftRepairs: Int?

    /// Why the last fetched commit was not applied: every manifest problem (file in the repository,
    /// line:column, field path) or the refusal.
    public var errors: [String]?

    /// The objects this source applied, as KIND/NAMESPACE/NAME (cluster-scoped: KIND//NAME), sorted.
    public var inventory: [String]?

    /// How many objects the inventory holds.
    public var inventoryCount: Int?

    /// The commit whose manifests are applied.
    public var lastAppliedRevision: String?

    /// When it was applied.
    public var lastAppliedTime: String?

    /// When that commit was first fetched (a fetch that finds the same commit writes nothing).
    public var lastFetchTime: String?

    /// The commit the last fetch found (40 hex digits).
    public var lastFetchedRevision: String?

    /// The fog/reconcile-requested-at annotation last acted on (webhook, fogctl reconcile gitsource).
    public var lastHandledReconcileAt: String?

    public var observedGeneration: Int?

    public init(conditions: [Condition]? = nil, drift: [String]? = nil, driftRepairs: Int? = nil, errors: [String]? = nil, inventory: [String]? = nil, inventoryCount: Int? = nil, lastAppliedRevision: String? = nil, lastAppliedTime: String? = nil, lastFetchTime: String? = nil, lastFetchedRevision: String? = nil, lastHandledReconcileAt: String? = nil, observedGeneration: Int? = nil) {
        self.conditions = conditions
        self.drift = drift
        self.driftRepairs = driftRepairs
        self.errors = errors
        self.inventory = inventory
        self.inventoryCount = inventoryCount
        self.lastAppliedRevision = lastAppliedRevision
        self.lastAppliedTime = lastAppliedTime
        self.lastFetchTime = lastFetchTime
        self.lastFetchedRevision = lastFetchedRevision
        self.lastHandledReconcileAt = lastHandledReconcileAt
        self.observedGeneration = observedGeneration
    }

    /// Reads `json`, the object at `path` (for errors).
    public init(json o: [String: JSONValue], at path: String) throws(JSONDecodingError) {
        if let v = o["conditions"], !v.isNull { conditions = try StatusRead.array(v, path + ".conditions") { e, ep throws(JSONDecodingError) in try StatusRead.condition(e, ep) } } else { conditions = nil }
        if let v = o["drift"], !v.isNull { drift = try StatusRead.array(v, path + ".drift") { e, ep throws(JSONDecodingError) in try StatusRead.string(e, ep) } } else { drift = nil }
        if let v = o["driftRepairs"], !v.isNull { driftRepairs = try StatusRead.int(v, path + ".driftRepairs") } else { driftRepairs = nil }
        if let v = o["errors"], !v.isNull { errors = try StatusRead.array(v, path + ".errors") { e, ep throws(JSONDecodingError) in try StatusRead.string(e, ep) } } else { errors = nil }
        if let v = o["inventory"], !v.isNull { inventory = try StatusRead.array(v, path + ".inventory") { e, ep throws(JSONDecodingError) in try StatusRead.string(e, ep) } } else { inventory = nil }
        if let v = o["inventoryCount"], !v.isNull { inventoryCount = try StatusRead.int(v, path + ".inventoryCount") } else { inventoryCount = nil }
        if let v = o["lastAppliedRevision"], !v.isNull { lastAppliedRevision = try StatusRead.string(v, path + ".lastAppliedRevision") } else { lastAppliedRevision = nil }
        if let v = o["lastAppliedTime"], !v.isNull { lastAppliedTime = try StatusRead.string(v, path + ".lastAppliedTime") } else { lastAppliedTime = nil }
        if let v = o["lastFetchTime"], !v.isNull { lastFetchTime = try StatusRead.string(v, path + ".lastFetchTime") } else { lastFetchTime = nil }
        if let v = o["lastFetchedRevision"], !v.isNull { lastFetchedRevision = try StatusRead.string(v, path + ".lastFetchedRevision") } else { lastFetchedRevision = nil }
        if let v = o["lastHandledReconcileAt"], !v.isNull { lastHandledReconcileAt = try StatusRead.string(v, path + ".lastHandledReconcileAt") } else { lastHandledReconcileAt = nil }
        if let v = o["observedGeneration"], !v.isNull { observedGeneration = try StatusRead.int(v, path + ".observedGeneration") } else { observedGeneration = nil }
    }

    /// As JSON, nil fields left out.
    public var jsonObject: [String: JSONValue] {
        var o: [String: JSONValue] = [:]
        if let v = conditions { o["conditions"] = .array(v.map { e in e.json }) }
        if let v = drift { o["drift"] = .array(v.map { e in .string(e) }) }
        if let v = driftRepairs { o["driftRepairs"] = .int(Int64(v)) }
        if let v = errors { o["errors"] = .array(v.map { e in .string(e) }) }
        if let v = inventory { o["inventory"] = .array(v.map { e in .string(e) }) }
        if let v = inventoryCount { o["inventoryCount"] = .int(Int64(v)) }
        if let v = lastAppliedRevision { o["lastAppliedRevision"] = .string(v) }
        if let v = lastAppliedTime { o["lastAppliedTime"] = .string(v) }
        if let v = lastFetchTime { o["lastFetchTime"] = .string(v) }
        if let v = lastFetchedRevision { o["lastFetchedRevision"] = .string(v) }
        if let v = lastHandledReconcileAt { o["lastHandledReconcileAt"] = .string(v) }
        if let v = observedGeneration { o["observedGeneration"] = .int(Int64(v)) }
        return o
    }

    public func write(into status: inout [String: JSONValue], changedFrom old: Self) {
        if conditions != old.conditions { status["conditions"] = conditions.map { v in .array(v.map { e in e.json }) } }
        if drift != old.drift { status["drift"] = drift.map { v in .array(v.map { e in .string(e) }) } }
        if driftRepairs != old.driftRepairs { status["driftRepairs"] = driftRepairs.map { v in .int(Int64(v)) } }
        if errors != old.errors { status["errors"] = errors.map { v in .array(v.map { e in .string(e) }) } }
        if inventory != old.inventory { status["inventory"] = inventory.map { v in .array(v.map { e in .string(e) }) } }
        if inventoryCount != old.inventoryCount { status["inventoryCount"] = inventoryCount.map { v in .int(Int64(v)) } }
        if lastAppliedRevision != old.lastAppliedRevision { status["lastAppliedRevision"] = lastAppliedRevision.map { v in .string(v) } }
        if lastAppliedTime != old.lastAppliedTime { status["lastAppliedTime"] = lastAppliedTime.map { v in .string(v) } }
        if lastFetchTime != old.lastFetchTime { status["lastFetchTime"] = lastFetchTime.map { v in .string(v) } }
        if lastFetchedRevision != old.lastFetchedRevision { status["lastFetchedRevision"] = lastFetchedRevision.map { v in .string(v) } }
        if lastHandledReconcileAt != old.lastHandledReconcileAt { status["lastHandledReconcileAt"] = lastHandledReconcileAt.map { v in .string(v) } }
        if observedGeneration != old.observedGeneration { status["observedGeneration"] = observedGeneration.map { v in .int(Int64(v)) } }
    }

    public static func fieldName(_ field: PartialKeyPath<Self>) -> String? {
        if field == \Self.conditions { return "conditions" }
        if field == \Self.drift { return "drift" }
        if field == \Self.driftRepairs { return "driftRepairs" }
        if field == \Self.errors { return "errors" }
        if field == \Self.inventory { return "inventory" }
        if field == \Self.inventoryCount { return "inventoryCount" }
        if field == \Self.lastAppliedRevision { return "lastAppliedRevision" }
        if field == \Self.lastAppliedTime { return "lastAppliedTime" }
        if field == \Self.lastFetchTime { return "lastFetchTime" }
        if field == \Self.lastFetchedRevision { return "lastFetchedRevision" }
        if field == \Self.lastHandledReconcileAt { return "lastHandledReconcileAt" }
        if field == \Self.observedGeneration { return "observedGeneration" }
        return nil
    }
}

/// HarvestPolicy status, written by the harvest-policy controller. Not checked on apply; the tests
/// check what the controllers write against it.
public struct HarvestPolicyStatus: KindStatus {
    public static let kind = "HarvestPolicy"

    /// Ready (harvest-policy: True Valid, False InvalidSpec), Reconciled (written by the controller
    /// runner when a reconcile fails: False with reason TerminalError or ReconcileError and the message
    /// prefixed by the controller's name; True with reason Reconciled once that controller succeeds
    /// again).
    public var conditions: [Condition]?

    /// FogNodes whose status.harvest names this policy with reason Eligible.
    public var eligibleNodes: Int?

    /// Core-seconds offered under this policy, summed over the nodes' status.harvest.coreSeconds
    /// (rounded).
    public var harvestedCoreSeconds: Double?

    /// FogNodes the nodeSelector matches.
    public var matchedNodes: Int?

    /// metadata.generation of the spec the controllers last reconciled (written with every controller
    /// status write).
    public var observedGeneration: Int?

    public init(conditions: [Condition]? = nil, eligibleNodes: Int? = nil, harvestedCoreSeconds: Double? = nil, matchedNodes: Int? = nil, observedGeneration: Int? = nil) {
        self.conditions = conditions
        self.eligibleNodes = eligibleNodes
        self.harvestedCoreSeconds = harvestedCoreSeconds
        self.matchedNodes = matchedNodes
        self.observedGeneration = observedGeneration
    }

    /// Reads `json`, the object at `path` (for errors).
    public init(json o: [String: JSONValue], at path: String) throws(JSONDecodingError) {
        if let v = o["conditions"], !v.isNull { conditions = try StatusRead.array(v, path + ".conditions") { e, ep throws(JSONDecodingError) in try StatusRead.condition(e, ep) } } else { conditions = nil }
        if let v = o["eligibleNodes"], !v.isNull { eligibleNodes = try StatusRead.int(v, path + ".eligibleNodes") } else { eligibleNodes = nil }
        if let v = o["harvestedCoreSeconds"], !v.isNull { harvestedCoreSeconds = try StatusRead.double(v, path + ".harvestedCoreSeconds") } else { harvestedCoreSeconds = nil }
        if let v = o["matchedNodes"], !v.isNull { matchedNodes = try StatusRead.int(v, path + ".matchedNodes") } else { matchedNodes = nil }
        if let v = o["observedGeneration"], !v.isNull { observedGeneration = try StatusRead.int(v, path + ".observedGeneration") } else { observedGeneration = nil }
    }

    /// As JSON, nil fields left out.
    public var jsonObject: [String: JSONValue] {
        var o: [String: JSONValue] = [:]
        if let v = conditions { o["conditions"] = .array(v.map { e in e.json }) }
        if let v = eligibleNodes { o["eligibleNodes"] = .int(Int64(v)) }
        if let v = harvestedCoreSeconds { o["harvestedCoreSeconds"] = .double(v) }
        if let v = matchedNodes { o["matchedNodes"] = .int(Int64(v)) }
        if let v = observedGeneration { o["observedGeneration"] = .int(Int64(v)) }
        return o
    }

    public func write(into status: inout [String: JSONValue], changedFrom old: Self) {
        if conditions != old.conditions { status["conditions"] = conditions.map { v in .array(v.map { e in e.json }) } }
        if eligibleNodes != old.eligibleNodes { status["eligibleNodes"] = eligibleNodes.map { v in .int(Int64(v)) } }
        if harvestedCoreSeconds != old.harvestedCoreSeconds { status["harvestedCoreSeconds"] = harvestedCoreSeconds.map { v in .double(v) } }
        if matchedNodes != old.matchedNodes { status["matchedNodes"] = matchedNodes.map { v in .int(Int64(v)) } }
        if observedGeneration != old.observedGeneration { status["observedGeneration"] = observedGeneration.map { v in .int(Int64(v)) } }
    }

    public static func fieldName(_ field: PartialKeyPath<Self>) -> String? {
        if field == \Self.conditions { return "conditions" }
        if field == \Self.eligibleNodes { return "eligibleNodes" }
        if field == \Self.harvestedCoreSeconds { return "harvestedCoreSeconds" }
        if field == \Self.matchedNodes { return "matchedNodes" }
        if field == \Self.observedGeneration { return "observedGeneration" }
        return nil
    }
}

/// PrivacyPolicy status, written by the privacy-policy controller. Not checked on apply; the tests
/// check what the controllers write against it.
public struct PrivacyPolicyStatus: KindStatus {
    public static let kind = "PrivacyPolicy"

    /// Ready (privacy-policy: True Valid, False WeakerThanLevel), Reconciled (written by the controller
    /// runner when a reconcile fails: False with reason TerminalError or ReconcileError and the message
    /// prefixed by the controller's name; True with reason Reconciled once that controller succeeds
    /// again).
    public var conditions: [Condition]?

    /// The mechanisms the spec enables, in this order: anonymization, differentialPrivacy,
    /// secureAggregation, onionRouting.
    public var mechanisms: [PrivacyMechanism]?

    /// metadata.generation of the spec the controllers last reconciled (written with every controller
    /// status write).
    public var observedGeneration: Int?

    public init(conditions: [Condition]? = nil, mechanisms: [PrivacyMechanism]? = nil, observedGeneration: Int? = nil) {
        self.conditions = conditions
        self.mechanisms = mechanisms
        self.observedGeneration = observedGeneration
    }

    /// Reads `json`, the object at `path` (for errors).
    public init(json o: [String: JSONValue], at path: String) throws(JSONDecodingError) {
        if let v = o["conditions"], !v.isNull { conditions = try StatusRead.array(v, path + ".conditions") { e, ep throws(JSONDecodingError) in try StatusRead.condition(e, ep) } } else { conditions = nil }
        if let v = o["mechanisms"], !v.isNull { mechanisms = try StatusRead.array(v, path + ".mechanisms") { e, ep throws(JSONDecodingError) in try StatusRead.enumeration(PrivacyMechanism.self, e, ep) } } else { mechanisms = nil }
        if let v = o["observedGeneration"], !v.isNull { observedGeneration = try StatusRead.int(v, path + ".observedGeneration") } else { observedGeneration = nil }
    }

    /// As JSON, nil fields left out.
    public var jsonObject: [String: JSONValue] {
        var o: [String: JSONValue] = [:]
        if let v = conditions { o["conditions"] = .array(v.map { e in e.json }) }
        if let v = mechanisms { o["mechanisms"] = .array(v.map { e in .string(e.rawValue) }) }
        if let v = observedGeneration { o["observedGeneration"] = .int(Int64(v)) }
        return o
    }

    public func write(into status: inout [String: JSONValue], changedFrom old: Self) {
        if conditions != old.conditions { status["conditions"] = conditions.map { v in .array(v.map { e in e.json }) } }
        if mechanisms != old.mechanisms { status["mechanisms"] = mechanisms.map { v in .array(v.map { e in .string(e.rawValue) }) } }
        if observedGeneration != old.observedGeneration { status["observedGeneration"] = observedGeneration.map { v in .int(Int64(v)) } }
    }

    public static func fieldName(_ field: PartialKeyPath<Self>) -> String? {
        if field == \Self.conditions { return "conditions" }
        if field == \Self.mechanisms { return "mechanisms" }
        if field == \Self.observedGeneration { return "observedGeneration" }
        return nil
    }
}

/// Tier status, written by the tier controller. Not checked on apply; the tests check what the
/// controllers write against it.
public struct TierStatus: KindStatus {
    public static let kind = "Tier"

    /// Ready (tier: True Valid, False InvalidPriceRange), Reconciled (written by the controller runner
    /// when a reconcile fails: False with reason TerminalError or ReconcileError and the message
    /// prefixed by the controller's name; True with reason Reconciled once that controller succeeds
    /// again).
    public var conditions: [Condition]?

    /// FederatedJobs naming this tier, in any phase.
    public var jobs: Int?

    /// metadata.generation of the spec the controllers last reconciled (written with every controller
    /// status write).
    public var observedGeneration: Int?

    /// Of those, jobs holding a slot (Admitted, Allocated or Running).
    public var runningJobs: Int?

    public init(conditions: [Condition]? = nil, jobs: Int? = nil, observedGeneration: Int? = nil, runningJobs: Int? = nil) {
        self.conditions = conditions
        self.jobs = jobs
        self.observedGeneration = observedGeneration
        self.runningJobs = runningJobs
    }

    /// Reads `json`, the object at `path` (for errors).
    public init(json o: [String: JSONValue], at path: String) throws(JSONDecodingError) {
        if let v = o["conditions"], !v.isNull { conditions = try StatusRead.array(v, path + ".conditions") { e, ep throws(JSONDecodingError) in try StatusRead.condition(e, ep) } } else { conditions = nil }
        if let v = o["jobs"], !v.isNull { jobs = try StatusRead.int(v, path + ".jobs") } else { jobs = nil }
        if let v = o["observedGeneration"], !v.isNull { observedGeneration = try StatusRead.int(v, path + ".observedGeneration") } else { observedGeneration = nil }
        if let v = o["runningJobs"], !v.isNull { runningJobs = try StatusRead.int(v, path + ".runningJobs") } else { runningJobs = nil }
    }

    /// As JSON, nil fields left out.
    public var jsonObject: [String: JSONValue] {
        var o: [String: JSONValue] = [:]
        if let v = conditions { o["conditions"] = .array(v.map { e in e.json }) }
        if let v = jobs { o["jobs"] = .int(Int64(v)) }
        if let v = observedGeneration { o["observedGeneration"] = .int(Int64(v)) }
        if let v = runningJobs { o["runningJobs"] = .int(Int64(v)) }
        return o
    }

    public func write(into status: inout [String: JSONValue], changedFrom old: Self) {
        if conditions != old.conditions { status["conditions"] = conditions.map { v in .array(v.map { e in e.json }) } }
        if jobs != old.jobs { status["jobs"] = jobs.map { v in .int(Int64(v)) } }
        if observedGeneration != old.observedGeneration { status["observedGeneration"] = observedGeneration.map { v in .int(Int64(v)) } }
        if runningJobs != old.runningJobs { status["runningJobs"] = runningJobs.map { v in .int(Int64(v)) } }
    }

    public static func fieldName(_ field: PartialKeyPath<Self>) -> String? {
        if field == \Self.conditions { return "conditions" }
        if field == \Self.jobs { return "jobs" }
        if field == \Self.observedGeneration { return "observedGeneration" }
        if field == \Self.runningJobs { return "runningJobs" }
        return nil
    }
}

/// TrainingTask status, reported by the node's agent or the simulated fleet (TaskExecutor) with one
/// merge patch when the task ends; absent until then. Not checked on apply; the tests check what
/// the executors write against it.
public struct TrainingTaskStatus: KindStatus {
    public static let kind = "TrainingTask"

    /// aggregate: digest of the regional aggregate blob uploaded to the server.
    public var aggregate: String?

    /// train: size of the global model blob received, in bytes; aggregate: the updates received from
    /// the region's participants.
    public var bytesReceived: Int?

    /// train: size of the update blob, in bytes; aggregate: size of the regional aggregate uploaded.
    public var bytesSent: Int?

    /// train, through onion circuits: bytes of cells the node put on its first link (failed circuits
    /// included).
    public var bytesViaCircuits: Int?

    /// train, through onion circuits: the relays (guard to exit) of the circuit that carried the
    /// update.
    public var circuit: [String]?

    /// train, through onion circuits: why earlier circuits failed before one carried the update.
    public var circuitFailures: [String]?

    /// train: codec of the update.
    public var codec: Codec?

    /// aggregate: the participants whose updates went into the aggregate.
    public var contributors: [String]?

    /// infer: correct predictions (rows of the test part only).
    public var correct: Int?

    /// aggregate: updates Byzantine detection removed, with why.
    public var excluded: [ExcludedItem]?

    /// When it finished (the node's clock).
    public var finishedAt: String?

    /// aggregate: model (the strategy's aggregate) or clipped-sum (under differential privacy: the sum
    /// of the clipped changes, no noise).
    public var form: Form?

    /// What the executor did, line by line (picked up, trained, uploaded, or why it failed or skipped),
    /// written with the result; `fogctl logs tt/NAME`.
    public var log: [String]?

    /// train: mean local training loss.
    public var loss: Double?

    /// aggregate: participants whose updates had not arrived when it combined.
    public var missing: [String]?

    /// train: where the global model came from: the regional cache, which had it (cache-hit) or fetched
    /// it from the server first (cache-miss), or the server directly.
    public var modelFrom: ModelFrom?

    /// How the task ended.
    public var phase: Phase?

    /// infer: predicted class per row.
    public var predictions: [Int]?

    /// Skipped: BatteryLow; Failed: the error's description.
    public var reason: String?

    /// train: samples trained on; aggregate: samples behind the accepted updates.
    public var samples: Int?

    /// infer: time from pick-up to answer, on the node's monotonic clock.
    public var serviceMillis: Double?

    /// When the node picked the task up (the node's clock).
    public var startedAt: String?

    /// train: local SGD steps.
    public var steps: Int?

    /// Bytes this task moved, measured by the node that carried it out, by link: withinRegion (with a
    /// peer in its own region: the regional cache, the aggregator), crossRegion (with a peer in another
    /// region), server (with the server, which sits outside every region; a regional cache's fetch from
    /// the server on this task's behalf counts here).
    public var traffic: Traffic?

    /// train: digest of the update blob.
    public var update: String?

    /// train: where the update went: server, or the aggregator node's name (under hierarchy).
    public var uploadedTo: String?

    public init(aggregate: String? = nil, bytesReceived: Int? = nil, bytesSent: Int? = nil, bytesViaCircuits: Int? = nil, circuit: [String]? = nil, circuitFailures: [String]? = nil, codec: Codec? = nil, contributors: [String]? = nil, correct: Int? = nil, excluded: [ExcludedItem]? = nil, finishedAt: String? = nil, form: Form? = nil, log: [String]? = nil, loss: Double? = nil, missing: [String]? = nil, modelFrom: ModelFrom? = nil, phase: Phase? = nil, predictions: [Int]? = nil, reason: String? = nil, samples: Int? = nil, serviceMillis: Double? = nil, startedAt: String? = nil, steps: Int? = nil, traffic: Traffic? = nil, update: String? = nil, uploadedTo: String? = nil) {
        self.aggregate = aggregate
        self.bytesReceived = bytesReceived
        self.bytesSent = bytesSent
        self.bytesViaCircuits = bytesViaCircuits
        self.circuit = circuit
        self.circuitFailures = circuitFailures
        self.codec = codec
        self.contributors = contributors
        self.correct = correct
        self.excluded = excluded
        self.finishedAt = finishedAt
        self.form = form
        self.log = log
        self.loss = loss
        self.missing = missing
        self.modelFrom = modelFrom
        self.phase = phase
        self.predictions = predictions
        self.reason = reason
        self.samples = samples
        self.serviceMillis = serviceMillis
        self.startedAt = startedAt
        self.steps = steps
        self.traffic = traffic
        self.update = update
        self.uploadedTo = uploadedTo
    }

    /// Reads `json`, the object at `path` (for errors).
    public init(json o: [String: JSONValue], at path: String) throws(JSONDecodingError) {
        if let v = o["aggregate"], !v.isNull { aggregate = try StatusRead.string(v, path + ".aggregate") } else { aggregate = nil }
        if let v = o["bytesReceived"], !v.isNull { bytesReceived = try StatusRead.int(v, path + ".bytesReceived") } else { bytesReceived = nil }
        if let v = o["bytesSent"], !v.isNull { bytesSent = try StatusRead.int(v, path + ".bytesSent") } else { bytesSent = nil }
        if let v = o["bytesViaCircuits"], !v.isNull { bytesViaCircuits = try StatusRead.int(v, path + ".bytesViaCircuits") } else { bytesViaCircuits = nil }
        if let v = o["circuit"], !v.isNull { circuit = try StatusRead.array(v, path + ".circuit") { e, ep throws(JSONDecodingError) in try StatusRead.string(e, ep) } } else { circuit = nil }
        if let v = o["circuitFailures"], !v.isNull { circuitFailures = try StatusRead.array(v, path + ".circuitFailures") { e, ep throws(JSONDecodingError) in try StatusRead.string(e, ep) } } else { circuitFailures = nil }
        if let v = o["codec"], !v.isNull { codec = try StatusRead.enumeration(Codec.self, v, path + ".codec") } else { codec = nil }
        if let v = o["contributors"], !v.isNull { contributors = try StatusRead.array(v, path + ".contributors") { e, ep throws(JSONDecodingError) in try StatusRead.string(e, ep) } } else { contributors = nil }
        if let v = o["correct"], !v.isNull { correct = try StatusRead.int(v, path + ".correct") } else { correct = nil }
        if let v = o["excluded"], !v.isNull { excluded = try StatusRead.array(v, path + ".excluded") { e, ep throws(JSONDecodingError) in try ExcludedItem(json: StatusRead.object(e, ep), at: ep) } } else { excluded = nil }
        if let v = o["finishedAt"], !v.isNull { finishedAt = try StatusRead.string(v, path + ".finishedAt") } else { finishedAt = nil }
        if let v = o["form"], !v.isNull { form = try StatusRead.enumeration(Form.self, v, path + ".form") } else { form = nil }
        if let v = o["log"], !v.isNull { log = try StatusRead.array(v, path + ".log") { e, ep throws(JSONDecodingError) in try StatusRead.string(e, ep) } } else { log = nil }
        if let v = o["loss"], !v.isNull { loss = try StatusRead.double(v, path + ".loss") } else { loss = nil }
        if let v = o["missing"], !v.isNull { missing = try StatusRead.array(v, path + ".missing") { e, ep throws(JSONDecodingError) in try StatusRead.string(e, ep) } } else { missing = nil }
        if let v = o["modelFrom"], !v.isNull { modelFrom = try StatusRead.enumeration(ModelFrom.self, v, path + ".modelFrom") } else { modelFrom = nil }
        if let v = o["phase"], !v.isNull { phase = try StatusRead.enumeration(Phase.self, v, path + ".phase") } else { phase = nil }
        if let v = o["predictions"], !v.isNull { predictions = try StatusRead.array(v, path + ".predictions") { e, ep throws(JSONDecodingError) in try StatusRead.int(e, ep) } } else { predictions = nil }
        if let v = o["reason"], !v.isNull { reason = try StatusRead.string(v, path + ".reason") } else { reason = nil }
        if let v = o["samples"], !v.isNull { samples = try StatusRead.int(v, path + ".samples") } else { samples = nil }
        if let v = o["serviceMillis"], !v.isNull { serviceMillis = try StatusRead.double(v, path + ".serviceMillis") } else { serviceMillis = nil }
        if let v = o["startedAt"], !v.isNull { startedAt = try StatusRead.string(v, path + ".startedAt") } else { startedAt = nil }
        if let v = o["steps"], !v.isNull { steps = try StatusRead.int(v, path + ".steps") } else { steps = nil }
        if let v = o["traffic"], !v.isNull { traffic = try Traffic(json: StatusRead.object(v, path + ".traffic"), at: path + ".traffic") } else { traffic = nil }
        if let v = o["update"], !v.isNull { update = try StatusRead.string(v, path + ".update") } else { update = nil }
        if let v = o["uploadedTo"], !v.isNull { uploadedTo = try StatusRead.string(v, path + ".uploadedTo") } else { uploadedTo = nil }
    }

    /// As JSON, nil fields left out.
    public var jsonObject: [String: JSONValue] {
        var o: [String: JSONValue] = [:]
        if let v = aggregate { o["aggregate"] = .string(v) }
        if let v = bytesReceived { o["bytesReceived"] = .int(Int64(v)) }
        if let v = bytesSent { o["bytesSent"] = .int(Int64(v)) }
        if let v = bytesViaCircuits { o["bytesViaCircuits"] = .int(Int64(v)) }
        if let v = circuit { o["circuit"] = .array(v.map { e in .string(e) }) }
        if let v = circuitFailures { o["circuitFailures"] = .array(v.map { e in .string(e) }) }
        if let v = codec { o["codec"] = .string(v.rawValue) }
        if let v = contributors { o["contributors"] = .array(v.map { e in .string(e) }) }
        if let v = correct { o["correct"] = .int(Int64(v)) }
        if let v = excluded { o["excluded"] = .array(v.map { e in .object(e.jsonObject) }) }
        if let v = finishedAt { o["finishedAt"] = .string(v) }
        if let v = form { o["form"] = .string(v.rawValue) }
        if let v = log { o["log"] = .array(v.map { e in .string(e) }) }
        if let v = loss { o["loss"] = .double(v) }
        if let v = missing { o["missing"] = .array(v.map { e in .string(e) }) }
        if let v = modelFrom { o["modelFrom"] = .string(v.rawValue) }
        if let v = phase { o["phase"] = .string(v.rawValue) }
        if let v = predictions { o["predictions"] = .array(v.map { e in .int(Int64(e)) }) }
        if let v = reason { o["reason"] = .string(v) }
        if let v = samples { o["samples"] = .int(Int64(v)) }
        if let v = serviceMillis { o["serviceMillis"] = .double(v) }
        if let v = startedAt { o["startedAt"] = .string(v) }
        if let v = steps { o["steps"] = .int(Int64(v)) }
        if let v = traffic { o["traffic"] = .object(v.jsonObject) }
        if let v = update { o["update"] = .string(v) }
        if let v = uploadedTo { o["uploadedTo"] = .string(v) }
        return o
    }

    public func write(into status: inout [String: JSONValue], changedFrom old: Self) {
        if aggregate != old.aggregate { status["aggregate"] = aggregate.map { v in .string(v) } }
        if bytesReceived != old.bytesReceived { status["bytesReceived"] = bytesReceived.map { v in .int(Int64(v)) } }
        if bytesSent != old.bytesSent { status["bytesSent"] = bytesSent.map { v in .int(Int64(v)) } }
        if bytesViaCircuits != old.bytesViaCircuits { status["bytesViaCircuits"] = bytesViaCircuits.map { v in .int(Int64(v)) } }
        if circuit != old.circuit { status["circuit"] = circuit.map { v in .array(v.map { e in .string(e) }) } }
        if circuitFailures != old.circuitFailures { status["circuitFailures"] = circuitFailures.map { v in .array(v.map { e in .string(e) }) } }
        if codec != old.codec { status["codec"] = codec.map { v in .string(v.rawValue) } }
        if contributors != old.contributors { status["contributors"] = contributors.map { v in .array(v.map { e in .string(e) }) } }
        if correct != old.correct { status["correct"] = correct.map { v in .int(Int64(v)) } }
        if excluded != old.excluded { status["excluded"] = excluded.map { v in .array(v.map { e in .object(e.jsonObject) }) } }
        if finishedAt != old.finishedAt { status["finishedAt"] = finishedAt.map { v in .string(v) } }
        if form != old.form { status["form"] = form.map { v in .string(v.rawValue) } }
        if log != old.log { status["log"] = log.map { v in .array(v.map { e in .string(e) }) } }
        if loss != old.loss { status["loss"] = loss.map { v in .double(v) } }
        if missing != old.missing { status["missing"] = missing.map { v in .array(v.map { e in .string(e) }) } }
        if modelFrom != old.modelFrom { status["modelFrom"] = modelFrom.map { v in .string(v.rawValue) } }
        if phase != old.phase { status["phase"] = phase.map { v in .string(v.rawValue) } }
        if predictions != old.predictions { status["predictions"] = predictions.map { v in .array(v.map { e in .int(Int64(e)) }) } }
        if reason != old.reason { status["reason"] = reason.map { v in .string(v) } }
        if samples != old.samples { status["samples"] = samples.map { v in .int(Int64(v)) } }
        if serviceMillis != old.serviceMillis { status["serviceMillis"] = serviceMillis.map { v in .double(v) } }
        if startedAt != old.startedAt { status["startedAt"] = startedAt.map { v in .string(v) } }
        if steps != old.steps { status["steps"] = steps.map { v in .int(Int64(v)) } }
        if traffic != old.traffic { status["traffic"] = traffic.map { v in .object(v.jsonObject) } }
        if update != old.update { status["update"] = update.map { v in .string(v) } }
        if uploadedTo != old.uploadedTo { status["uploadedTo"] = uploadedTo.map { v in .string(v) } }
    }

    public static func fieldName(_ field: PartialKeyPath<Self>) -> String? {
        if field == \Self.aggregate { return "aggregate" }
        if field == \Self.bytesReceived { return "bytesReceived" }
        if field == \Self.bytesSent { return "bytesSent" }
        if field == \Self.bytesViaCircuits { return "bytesViaCircuits" }
        if field == \Self.circuit { return "circuit" }
        if field == \Self.circuitFailures { return "circuitFailures" }
        if field == \Self.codec { return "codec" }
        if field == \Self.contributors { return "contributors" }
        if field == \Self.correct { return "correct" }
        if field == \Self.excluded { return "excluded" }
        if field == \Self.finishedAt { return "finishedAt" }
        if field == \Self.form { return "form" }
        if field == \Self.log { return "log" }
        if field == \Self.loss { return "loss" }
        if field == \Self.missing { return "missing" }
        if field == \Self.modelFrom { return "modelFrom" }
        if field == \Self.phase { return "phase" }
        if field == \Self.predictions { return "predictions" }
        if field == \Self.reason { return "reason" }
        if field == \Self.samples { return "samples" }
        if field == \Self.serviceMillis { return "serviceMillis" }
        if field == \Self.startedAt { return "startedAt" }
        if field == \Self.steps { return "steps" }
        if field == \Self.traffic { return "traffic" }
        if field == \Self.update { return "update" }
        if field == \Self.uploadedTo { return "uploadedTo" }
        return nil
    }

    /// train: codec of the update.
    public enum Codec: String, SchemaEnum {
        case none
        case int8
        case topk
    }

    public struct ExcludedItem: StatusObject {
        public var fence: Double?

        public var node: String?

        public var reason: Reason?

        public var value: Double?

        public init(fence: Double? = nil, node: String? = nil, reason: Reason? = nil, value: Double? = nil) {
            self.fence = fence
            self.node = node
            self.reason = reason
            self.value = value
        }

        /// Reads `json`, the object at `path` (for errors).
        public init(json o: [String: JSONValue], at path: String) throws(JSONDecodingError) {
            if let v = o["fence"], !v.isNull { fence = try StatusRead.double(v, path + ".fence") } else { fence = nil }
            if let v = o["node"], !v.isNull { node = try StatusRead.string(v, path + ".node") } else { node = nil }
            if let v = o["reason"], !v.isNull { reason = try StatusRead.enumeration(Reason.self, v, path + ".reason") } else { reason = nil }
            if let v = o["value"], !v.isNull { value = try StatusRead.double(v, path + ".value") } else { value = nil }
        }

        /// As JSON, nil fields left out.
        public var jsonObject: [String: JSONValue] {
            var o: [String: JSONValue] = [:]
            if let v = fence { o["fence"] = .double(v) }
            if let v = node { o["node"] = .string(v) }
            if let v = reason { o["reason"] = .string(v.rawValue) }
            if let v = value { o["value"] = .double(v) }
            return o
        }

        public enum Reason: String, SchemaEnum {
            case nonFinite = "non-finite"
            case size
            case direction
        }
    }

    /// aggregate: model (the strategy's aggregate) or clipped-sum (under differential privacy: the sum
    /// of the clipped changes, no noise).
    public enum Form: String, SchemaEnum {
        case model
        case clippedSum = "clipped-sum"
    }

    /// train: where the global model came from: the regional cache, which had it (cache-hit) or fetched
    /// it from the server first (cache-miss), or the server directly.
    public enum ModelFrom: String, SchemaEnum {
        case cacheHit = "cache-hit"
        case cacheMiss = "cache-miss"
        case server
    }

    /// How the task ended.
    public enum Phase: String, SchemaEnum {
        case succeeded = "Succeeded"
        case failed = "Failed"
        case skipped = "Skipped"
    }

    /// Bytes this task moved, measured by the node that carried it out, by link: withinRegion (with a
    /// peer in its own region: the regional cache, the aggregator), crossRegion (with a peer in another
    /// region), server (with the server, which sits outside every region; a regional cache's fetch from
    /// the server on this task's behalf counts here).
    public struct Traffic: StatusObject {
        public var crossRegion: Int?

        public var server: Int?

        public var withinRegion: Int?

        public init(crossRegion: Int? = nil, server: Int? = nil, withinRegion: Int? = nil) {
            self.crossRegion = crossRegion
            self.server = server
            self.withinRegion = withinRegion
        }

        /// Reads `json`, the object at `path` (for errors).
        public init(json o: [String: JSONValue], at path: String) throws(JSONDecodingError) {
            if let v = o["crossRegion"], !v.isNull { crossRegion = try StatusRead.int(v, path + ".crossRegion") } else { crossRegion = nil }
            if let v = o["server"], !v.isNull { server = try StatusRead.int(v, path + ".server") } else { server = nil }
            if let v = o["withinRegion"], !v.isNull { withinRegion = try StatusRead.int(v, path + ".withinRegion") } else { withinRegion = nil }
        }

        /// As JSON, nil fields left out.
        public var jsonObject: [String: JSONValue] {
            var o: [String: JSONValue] = [:]
            if let v = crossRegion { o["crossRegion"] = .int(Int64(v)) }
            if let v = server { o["server"] = .int(Int64(v)) }
            if let v = withinRegion { o["withinRegion"] = .int(Int64(v)) }
            return o
        }
    }
}

/// Every kind's status type.
public enum KindStatuses {
    public static let all: [any KindStatus.Type] = [AuctionStatus.self, BidStatus.self, CircuitPoolStatus.self, FederatedJobStatus.self, FogNodeStatus.self, GitSourceStatus.self, HarvestPolicyStatus.self, PrivacyPolicyStatus.self, TierStatus.self, TrainingTaskStatus.self]

    /// The status type of `kind`, if its schema describes a status.
    public static func type(of kind: String) -> (any KindStatus.Type)? { all.first { $0.kind == kind } }
}
