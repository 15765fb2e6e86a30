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

    public func write(into status: inout [String: JSONValue], changedFrom old: Self) {
        if bidCount != old.bidCount { status["bidCount"] = StatusField.json(bidCount) }
        if bids != old.bids { status["bids"] = StatusField.json(bids) }
        if clearingPrice != old.clearingPrice { status["clearingPrice"] = StatusField.json(clearingPrice) }
        if closedAt != old.closedAt { status["closedAt"] = StatusField.json(closedAt) }
        if closesAt != old.closesAt { status["closesAt"] = StatusField.json(closesAt) }
        if conditions != old.conditions { status["conditions"] = StatusField.json(conditions) }
        if lease != old.lease { status["lease"] = StatusField.json(lease) }
        if observedGeneration != old.observedGeneration { status["observedGeneration"] = StatusField.json(observedGeneration) }
        if openedAt != old.openedAt { status["openedAt"] = StatusField.json(openedAt) }
        if phase != old.phase { status["phase"] = StatusField.json(phase) }
        if ranking != old.ranking { status["ranking"] = StatusField.json(ranking) }
        if reason != old.reason { status["reason"] = StatusField.json(reason) }
        if reservePrice != old.reservePrice { status["reservePrice"] = StatusField.json(reservePrice) }
        if round != old.round { status["round"] = StatusField.json(round) }
        if totalPayment != old.totalPayment { status["totalPayment"] = StatusField.json(totalPayment) }
        if winnerCount != old.winnerCount { status["winnerCount"] = StatusField.json(winnerCount) }
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

    public struct Bid: Codable, Sendable, Equatable {
        public var digest: String?

        public var node: String?

        public var receivedAt: String?

        public init(digest: String? = nil, node: String? = nil, receivedAt: String? = nil) {
            self.digest = digest
            self.node = node
            self.receivedAt = receivedAt
        }
    }

    /// A standalone auction's booking: the capacity held on each winner (under reservationKey in its
    /// status.reservations) until the auction is deleted.
    public struct Lease: Codable, Sendable, Equatable {
        public var nodes: [String]?

        public var perNode: PerNode?

        public var reservationKey: String?

        public init(nodes: [String]? = nil, perNode: PerNode? = nil, reservationKey: String? = nil) {
            self.nodes = nodes
            self.perNode = perNode
            self.reservationKey = reservationKey
        }

        public struct PerNode: Codable, Sendable, Equatable {
            public var cpu: Double?

            public var gpu: Int?

            public var memoryGiB: Double?

            public init(cpu: Double? = nil, gpu: Int? = nil, memoryGiB: Double? = nil) {
                self.cpu = cpu
                self.gpu = gpu
                self.memoryGiB = memoryGiB
            }
        }
    }

    /// Open (taking bids), Closed (winners chosen), or Failed (no clearing after the last round). The
    /// API server treats Closed, Cleared and Failed as no longer open: bids become readable to tenants
    /// and new ones are refused.
    public enum Phase: String, SchemaEnum, Encodable {
        case `open` = "Open"
        case closed = "Closed"
        case failed = "Failed"
    }

    public struct RankingItem: Codable, Sendable, Equatable {
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

        public enum Outcome: String, SchemaEnum, Encodable {
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

    public func write(into status: inout [String: JSONValue], changedFrom old: Self) {
        if awardedPrice != old.awardedPrice { status["awardedPrice"] = StatusField.json(awardedPrice) }
        if digest != old.digest { status["digest"] = StatusField.json(digest) }
        if message != old.message { status["message"] = StatusField.json(message) }
        if observedGeneration != old.observedGeneration { status["observedGeneration"] = StatusField.json(observedGeneration) }
        if outcome != old.outcome { status["outcome"] = StatusField.json(outcome) }
        if rank != old.rank { status["rank"] = StatusField.json(rank) }
        if reason != old.reason { status["reason"] = StatusField.json(reason) }
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
    public enum Outcome: String, SchemaEnum, Encodable {
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

    public func write(into status: inout [String: JSONValue], changedFrom old: Self) {
        if bytesRelayed != old.bytesRelayed { status["bytesRelayed"] = StatusField.json(bytesRelayed) }
        if circuits != old.circuits { status["circuits"] = StatusField.json(circuits) }
        if circuitsBuilt != old.circuitsBuilt { status["circuitsBuilt"] = StatusField.json(circuitsBuilt) }
        if conditions != old.conditions { status["conditions"] = StatusField.json(conditions) }
        if hops != old.hops { status["hops"] = StatusField.json(hops) }
        if note != old.note { status["note"] = StatusField.json(note) }
        if observedGeneration != old.observedGeneration { status["observedGeneration"] = StatusField.json(observedGeneration) }
        if readyCircuits != old.readyCircuits { status["readyCircuits"] = StatusField.json(readyCircuits) }
        if rebuilds != old.rebuilds { status["rebuilds"] = StatusField.json(rebuilds) }
        if relays != old.relays { status["relays"] = StatusField.json(relays) }
        if rotations != old.rotations { status["rotations"] = StatusField.json(rotations) }
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

    public struct Circuit: Codable, Sendable, Equatable {
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

        public struct Hop: Codable, Sendable, Equatable {
            public var address: String

            public var node: String

            /// Base64 X25519 public key.
            public var publicKey: String

            public init(address: String, node: String, publicKey: String) {
                self.address = address
                self.node = node
                self.publicKey = publicKey
            }
        }
    }

    /// Relay nodes seen, and those eligible (Ready, publishing an address and key, trust at least the
    /// minimum).
    public struct Relays: Codable, Sendable, Equatable {
        public var eligible: Int?

        public var total: Int?

        public init(eligible: Int? = nil, total: Int? = nil) {
            self.eligible = eligible
            self.total = total
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

    public func write(into status: inout [String: JSONValue], changedFrom old: Self) {
        if allocation != old.allocation { status["allocation"] = StatusField.json(allocation) }
        if conditions != old.conditions { status["conditions"] = StatusField.json(conditions) }
        if cost != old.cost { status["cost"] = StatusField.json(cost) }
        if inference != old.inference { status["inference"] = StatusField.json(inference) }
        if observedGeneration != old.observedGeneration { status["observedGeneration"] = StatusField.json(observedGeneration) }
        if phase != old.phase { status["phase"] = StatusField.json(phase) }
        if quote != old.quote { status["quote"] = StatusField.json(quote) }
        if retry != old.retry { status["retry"] = StatusField.json(retry) }
        if stop != old.stop { status["stop"] = StatusField.json(stop) }
        if training != old.training { status["training"] = StatusField.json(training) }
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
    public struct Allocation: Codable, Sendable, Equatable {
        /// Region → aggregator node (hierarchy.enabled only).
        public var aggregators: [String: String]?

        /// The scoring algorithm that ranked the candidates.
        public var algorithm: Algorithm?

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

        public init(aggregators: [String: String]? = nil, algorithm: Algorithm? = nil, auction: String? = nil, participantCount: Int, participants: [Participant], totalPrice: Double? = nil, totalScore: Double? = nil) {
            self.aggregators = aggregators
            self.algorithm = algorithm
            self.auction = auction
            self.participantCount = participantCount
            self.participants = participants
            self.totalPrice = totalPrice
            self.totalScore = totalScore
        }

        /// The scoring algorithm that ranked the candidates.
        public enum Algorithm: String, SchemaEnum, Encodable {
            case standard
            case latencyOptimized = "latency-optimized"
            case throughputOptimized = "throughput-optimized"
            case reliabilityOptimized = "reliability-optimized"
            case geographicProximity = "geographic-proximity"
            case loadBalanced = "load-balanced"
            case economic
            case consensus
        }

        /// A participant.
        public struct Participant: Codable, Sendable, Equatable {
            /// Whether it aggregates its region's updates (hierarchy.enabled).
            public var aggregator: Bool?

            /// The winning Bid (auction mode).
            public var bid: String?

            /// The node's spec.class.
            public var `class`: Class?

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

            public init(aggregator: Bool? = nil, bid: String? = nil, `class`: Class? = nil, node: String, price: Double? = nil, region: String? = nil, score: Double? = nil, since: String? = nil, unitPrice: Double? = nil) {
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

            /// The node's spec.class.
            public enum Class: String, SchemaEnum, Encodable {
                case mobile
                case edge
                case fog
                case cloud
            }
        }
    }

    /// Cost so far, in the quote's shape: the quote's unit price times what the job used of its unit
    /// (hours run for training, requests served for inference).
    public struct Cost: Codable, Sendable, Equatable {
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

        /// The quote's unit.
        public enum Unit: String, SchemaEnum, Encodable {
            case hour
            case request
        }
    }

    /// Inference progress and results, written by the inference controller.
    public struct Inference: Codable, Sendable, Equatable {
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
    }

    /// Lifecycle phase (FogMarket JobPhase): Pending → Admitted → Allocated → Running → Succeeded, or
    /// Failed.
    public enum Phase: String, SchemaEnum, Encodable {
        case pending = "Pending"
        case admitted = "Admitted"
        case allocated = "Allocated"
        case running = "Running"
        case succeeded = "Succeeded"
        case failed = "Failed"
    }

    /// The price quoted at admission and locked then (FogMarket Quote): unitPrice × quantity = total.
    public struct Quote: Codable, Sendable, Equatable {
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

        /// Which bound of the tier's range held the unit price, when one did.
        public enum Clamped: String, SchemaEnum, Encodable {
            case min
            case max
        }

        /// One factor.
        public struct Factor: Codable, Sendable, Equatable {
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

            /// Factor name.
            public enum Name: String, SchemaEnum, Encodable {
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
        public enum Unit: String, SchemaEnum, Encodable {
            case hour
            case request
        }
    }

    /// The last `fogctl retry` the federated-job controller carried out: the run ended is cleared and
    /// the job admitted again.
    public struct Retry: Codable, Sendable, Equatable {
        /// The value of the job's fog/retry annotation it answered (`fogctl retry` writes the time it was
        /// asked).
        public var requested: String

        /// Runs of this job so far, the first counted as 1.
        public var runs: Int

        public init(requested: String, runs: Int) {
            self.requested = requested
            self.runs = runs
        }
    }

    /// The last `fogctl stop` the federated-job controller carried out: the run ended as Failed.
    public struct Stop: Codable, Sendable, Equatable {
        /// The phase the run was stopped in.
        public var from: Phase

        /// The value of the job's fog/stop annotation it answered (`fogctl stop` writes the time it was
        /// asked).
        public var requested: String

        public init(from: Phase, requested: String) {
            self.from = from
            self.requested = requested
        }
    }

    /// Training progress, written by the training controller.
    public struct Training: Codable, Sendable, Equatable {
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

        /// All rounds so far: global-model fetches served by regional caches (hits, misses), straight from
        /// the server (direct), the server's model bytes sent, and what it would have sent without caches.
        public struct ModelCache: Codable, Sendable, Equatable {
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
        }

        /// Differential privacy accounting (with a differentialPrivacy policy).
        public struct Privacy: Codable, Sendable, Equatable {
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
        }

        /// A finished round.
        public struct Round: Codable, Sendable, Equatable {
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

            public struct Aggregator: Codable, Sendable, Equatable {
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
            }

            /// One participant's report.
            public struct Client: Codable, Sendable, Equatable {
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

                /// How its task ended: Succeeded, Skipped, Failed, or Missing (no report in time); Excluded when
                /// Byzantine detection flagged its update.
                public enum Status: String, SchemaEnum, Encodable {
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
            public struct Models: Codable, Sendable, Equatable {
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
            }

            /// The round's bytes by link, measured by the participants and aggregators that moved them.
            public struct Traffic: Codable, Sendable, Equatable {
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
            }
        }

        /// All rounds so far: the bytes the job's participants and aggregators moved (global models,
        /// updates, regional aggregates), measured by the nodes that moved them and reported in their
        /// tasks' status.traffic, by link.
        public struct Traffic: Codable, Sendable, Equatable {
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

    public func write(into status: inout [String: JSONValue], changedFrom old: Self) {
        if availability != old.availability { status["availability"] = StatusField.json(availability) }
        if conditions != old.conditions { status["conditions"] = StatusField.json(conditions) }
        if harvest != old.harvest { status["harvest"] = StatusField.json(harvest) }
        if lastHeartbeatTime != old.lastHeartbeatTime { status["lastHeartbeatTime"] = StatusField.json(lastHeartbeatTime) }
        if log != old.log { status["log"] = StatusField.json(log) }
        if modelCache != old.modelCache { status["modelCache"] = StatusField.json(modelCache) }
        if observedGeneration != old.observedGeneration { status["observedGeneration"] = StatusField.json(observedGeneration) }
        if peer != old.peer { status["peer"] = StatusField.json(peer) }
        if relay != old.relay { status["relay"] = StatusField.json(relay) }
        if reservations != old.reservations { status["reservations"] = StatusField.json(reservations) }
        if scores != old.scores { status["scores"] = StatusField.json(scores) }
        if taskOutcomes != old.taskOutcomes { status["taskOutcomes"] = StatusField.json(taskOutcomes) }
        if telemetry != old.telemetry { status["telemetry"] = StatusField.json(telemetry) }
        if trust != old.trust { status["trust"] = StatusField.json(trust) }
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
    public struct Availability: Codable, Sendable, Equatable {
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
    }

    /// What the harvest controller decided under the matching harvest policies (absent when none
    /// matches).
    public struct Harvest: Codable, Sendable, Equatable {
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

        /// Why the node may or may not lend compute (also the Harvestable condition's reason).
        public enum Reason: String, SchemaEnum, Encodable {
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
    public struct ModelCache: Codable, Sendable, Equatable {
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
    }

    /// Where the node's agent serves its peers (an aggregator's regional model cache), carried by its
    /// heartbeats.
    public struct Peer: Codable, Sendable, Equatable {
        /// http://host:port, or sim://NODE for a simulated node.
        public var address: String?

        public init(address: String? = nil) {
            self.address = address
        }
    }

    /// A relay node's onion relay (role relay), carried by its agent's heartbeats: where origins reach
    /// it, its onion public keys (X25519, newest first; the private halves stay on the node) and what
    /// it has relayed (docs/circuits.md).
    public struct Relay: Codable, Sendable, Equatable {
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

        public struct Limits: Codable, Sendable, Equatable {
            public var circuitBytesPerSecond: Double?

            public var maxCircuits: Int?

            public init(circuitBytesPerSecond: Double? = nil, maxCircuits: Int? = nil) {
                self.circuitBytesPerSecond = circuitBytesPerSecond
                self.maxCircuits = maxCircuits
            }
        }

        public struct OnionKey: Codable, Sendable, Equatable {
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
        }
    }

    /// What one participant reserves.
    public struct Reservation: Codable, Sendable, Equatable {
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
    }

    /// Peer scores under the standard algorithm, 0..100, to one decimal (refreshed with availability).
    public struct Scores: Codable, Sendable, Equatable {
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
    }

    /// Task outcomes counted by the controllers that run tasks on the node (training: an accepted
    /// update succeeds; an excluded or missing one fails).
    public struct TaskOutcomes: Codable, Sendable, Equatable {
        /// Tasks that failed.
        public var failed: Int?

        /// Tasks that succeeded.
        public var succeeded: Int?

        public init(failed: Int? = nil, succeeded: Int? = nil) {
            self.failed = failed
            self.succeeded = succeeded
        }
    }

    /// What the host reported at the last heartbeat (NodeTelemetry); a reading the host does not expose
    /// is absent (each heartbeat is a merge patch that removes readings gone since).
    public struct Telemetry: Codable, Sendable, Equatable {
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

        /// CPU readings.
        public struct Cpu: Codable, Sendable, Equatable {
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
        }

        /// Memory readings.
        public struct Memory: Codable, Sendable, Equatable {
            /// MemAvailable, in bytes.
            public var availableBytes: Int?

            /// MemTotal, in bytes.
            public var totalBytes: Int?

            public init(availableBytes: Int? = nil, totalBytes: Int? = nil) {
                self.availableBytes = availableBytes
                self.totalBytes = totalBytes
            }
        }

        /// Power supply readings.
        public struct Power: Codable, Sendable, Equatable {
            /// Whether a mains or USB supply is online.
            public var acOnline: Bool?

            /// The first battery found.
            public var battery: Battery?

            public init(acOnline: Bool? = nil, battery: Battery? = nil) {
                self.acOnline = acOnline
                self.battery = battery
            }

            /// The first battery found.
            public struct Battery: Codable, Sendable, Equatable {
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
            }
        }

        /// Thermal zones.
        public struct Thermal: Codable, Sendable, Equatable {
            /// The hottest zone, in °C.
            public var maxCelsius: Double?

            /// Every readable thermal zone.
            public var zones: [Zone]?

            public init(maxCelsius: Double? = nil, zones: [Zone]? = nil) {
                self.maxCelsius = maxCelsius
                self.zones = zones
            }

            /// One thermal zone.
            public struct Zone: Codable, Sendable, Equatable {
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

    public func write(into status: inout [String: JSONValue], changedFrom old: Self) {
        if conditions != old.conditions { status["conditions"] = StatusField.json(conditions) }
        if drift != old.drift { status["drift"] = StatusField.json(drift) }
        if driftRepairs != old.driftRepairs { status["driftRepairs"] = StatusField.json(driftRepairs) }
        if errors != old.errors { status["errors"] = StatusField.json(errors) }
        if inventory != old.inventory { status["inventory"] = StatusField.json(inventory) }
        if inventoryCount != old.inventoryCount { status["inventoryCount"] = StatusField.json(inventoryCount) }
        if lastAppliedRevision != old.lastAppliedRevision { status["lastAppliedRevision"] = StatusField.json(lastAppliedRevision) }
        if lastAppliedTime != old.lastAppliedTime { status["lastAppliedTime"] = StatusField.json(lastAppliedTime) }
        if lastFetchTime != old.lastFetchTime { status["lastFetchTime"] = StatusField.json(lastFetchTime) }
        if lastFetchedRevision != old.lastFetchedRevision { status["lastFetchedRevision"] = StatusField.json(lastFetchedRevision) }
        if lastHandledReconcileAt != old.lastHandledReconcileAt { status["lastHandledReconcileAt"] = StatusField.json(lastHandledReconcileAt) }
        if observedGeneration != old.observedGeneration { status["observedGeneration"] = StatusField.json(observedGeneration) }
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

    public func write(into status: inout [String: JSONValue], changedFrom old: Self) {
        if conditions != old.conditions { status["conditions"] = StatusField.json(conditions) }
        if eligibleNodes != old.eligibleNodes { status["eligibleNodes"] = StatusField.json(eligibleNodes) }
        if harvestedCoreSeconds != old.harvestedCoreSeconds { status["harvestedCoreSeconds"] = StatusField.json(harvestedCoreSeconds) }
        if matchedNodes != old.matchedNodes { status["matchedNodes"] = StatusField.json(matchedNodes) }
        if observedGeneration != old.observedGeneration { status["observedGeneration"] = StatusField.json(observedGeneration) }
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

    public func write(into status: inout [String: JSONValue], changedFrom old: Self) {
        if conditions != old.conditions { status["conditions"] = StatusField.json(conditions) }
        if mechanisms != old.mechanisms { status["mechanisms"] = StatusField.json(mechanisms) }
        if observedGeneration != old.observedGeneration { status["observedGeneration"] = StatusField.json(observedGeneration) }
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

    public func write(into status: inout [String: JSONValue], changedFrom old: Self) {
        if conditions != old.conditions { status["conditions"] = StatusField.json(conditions) }
        if jobs != old.jobs { status["jobs"] = StatusField.json(jobs) }
        if observedGeneration != old.observedGeneration { status["observedGeneration"] = StatusField.json(observedGeneration) }
        if runningJobs != old.runningJobs { status["runningJobs"] = StatusField.json(runningJobs) }
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

    public func write(into status: inout [String: JSONValue], changedFrom old: Self) {
        if aggregate != old.aggregate { status["aggregate"] = StatusField.json(aggregate) }
        if bytesReceived != old.bytesReceived { status["bytesReceived"] = StatusField.json(bytesReceived) }
        if bytesSent != old.bytesSent { status["bytesSent"] = StatusField.json(bytesSent) }
        if bytesViaCircuits != old.bytesViaCircuits { status["bytesViaCircuits"] = StatusField.json(bytesViaCircuits) }
        if circuit != old.circuit { status["circuit"] = StatusField.json(circuit) }
        if circuitFailures != old.circuitFailures { status["circuitFailures"] = StatusField.json(circuitFailures) }
        if codec != old.codec { status["codec"] = StatusField.json(codec) }
        if contributors != old.contributors { status["contributors"] = StatusField.json(contributors) }
        if correct != old.correct { status["correct"] = StatusField.json(correct) }
        if excluded != old.excluded { status["excluded"] = StatusField.json(excluded) }
        if finishedAt != old.finishedAt { status["finishedAt"] = StatusField.json(finishedAt) }
        if form != old.form { status["form"] = StatusField.json(form) }
        if log != old.log { status["log"] = StatusField.json(log) }
        if loss != old.loss { status["loss"] = StatusField.json(loss) }
        if missing != old.missing { status["missing"] = StatusField.json(missing) }
        if modelFrom != old.modelFrom { status["modelFrom"] = StatusField.json(modelFrom) }
        if phase != old.phase { status["phase"] = StatusField.json(phase) }
        if predictions != old.predictions { status["predictions"] = StatusField.json(predictions) }
        if reason != old.reason { status["reason"] = StatusField.json(reason) }
        if samples != old.samples { status["samples"] = StatusField.json(samples) }
        if serviceMillis != old.serviceMillis { status["serviceMillis"] = StatusField.json(serviceMillis) }
        if startedAt != old.startedAt { status["startedAt"] = StatusField.json(startedAt) }
        if steps != old.steps { status["steps"] = StatusField.json(steps) }
        if traffic != old.traffic { status["traffic"] = StatusField.json(traffic) }
        if update != old.update { status["update"] = StatusField.json(update) }
        if uploadedTo != old.uploadedTo { status["uploadedTo"] = StatusField.json(uploadedTo) }
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
    public enum Codec: String, SchemaEnum, Encodable {
        case none
        case int8
        case topk
    }

    public struct ExcludedItem: Codable, Sendable, Equatable {
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

        public enum Reason: String, SchemaEnum, Encodable {
            case nonFinite = "non-finite"
            case size
            case direction
        }
    }

    /// aggregate: model (the strategy's aggregate) or clipped-sum (under differential privacy: the sum
    /// of the clipped changes, no noise).
    public enum Form: String, SchemaEnum, Encodable {
        case model
        case clippedSum = "clipped-sum"
    }

    /// train: where the global model came from: the regional cache, which had it (cache-hit) or fetched
    /// it from the server first (cache-miss), or the server directly.
    public enum ModelFrom: String, SchemaEnum, Encodable {
        case cacheHit = "cache-hit"
        case cacheMiss = "cache-miss"
        case server
    }

    /// How the task ended.
    public enum Phase: String, SchemaEnum, Encodable {
        case succeeded = "Succeeded"
        case failed = "Failed"
        case skipped = "Skipped"
    }

    /// Bytes this task moved, measured by the node that carried it out, by link: withinRegion (with a
    /// peer in its own region: the regional cache, the aggregator), crossRegion (with a peer in another
    /// region), server (with the server, which sits outside every region; a regional cache's fetch from
    /// the server on this task's behalf counts here).
    public struct Traffic: Codable, Sendable, Equatable {
        public var crossRegion: Int?

        public var server: Int?

        public var withinRegion: Int?

        public init(crossRegion: Int? = nil, server: Int? = nil, withinRegion: Int? = nil) {
            self.crossRegion = crossRegion
            self.server = server
            self.withinRegion = withinRegion
        }
    }
}

/// Every kind's status type.
public enum KindStatuses {
    public static let all: [any KindStatus.Type] = [AuctionStatus.self, BidStatus.self, CircuitPoolStatus.self, FederatedJobStatus.self, FogNodeStatus.self, GitSourceStatus.self, HarvestPolicyStatus.self, PrivacyPolicyStatus.self, TierStatus.self, TrainingTaskStatus.self]

    /// The status type of `kind`, if its schema describes a status.
    public static func type(of kind: String) -> (any KindStatus.Type)? { all.first { $0.kind == kind } }
}
