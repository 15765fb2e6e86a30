/// `FogNode.spec` (schemas/fognode.json): where a node is, what it offers and what it asks.
public struct FogNodeSpec: KindSpec {
    public static let kind = "FogNode"

    /// What a node may do.
    public enum Role: String, SchemaEnum {
        case compute, relay, aggregator
    }

    public struct Capacity: Decodable, Sendable, Equatable {
        /// CPU cores offered (fractions allowed).
        public var cpu: Double
        public var memoryGiB: Double
        /// Absent when the node has none.
        public var gpu: GPU?
        /// Nominal inference throughput (a performance score input).
        public var tokensPerSecond: Double?
    }

    public struct GPU: Decodable, Sendable, Equatable {
        /// The model as the scoring table names it.
        public var model: String
        public var count: Int
        /// Memory per GPU.
        public var memoryGiB: Double?
    }

    public struct Price: Decodable, Sendable, Equatable {
        public var askPerHour: Double
        /// Absent: derived from `askPerHour` (see FogMarket's `Eligibility.price`).
        public var askPerRequest: Double?
        public var currency: String
    }

    /// How the node bids in auctions (`spec.bidding`): typed and validated by the schema, no scripts.
    public struct Bidding: Decodable, Sendable, Equatable {
        public var enabled: Bool
        /// Absent: `price.askPerHour`.
        public var floorPerHour: Double?
        /// Absent: `price.askPerRequest`, else the hourly floor / 3600.
        public var floorPerRequest: Double?
        public var markupAtFullUtilisation: Double
        public var maxCommitments: Int
    }

    public var region: String
    public var zone: String?
    public var `class`: DeviceClass
    public var capacity: Capacity
    public var roles: [Role]
    /// Absent: the node accepts what the marketplace pays.
    public var price: Price?
    /// Absent: bid at the ask, with the schema's defaults.
    public var bidding: Bidding?
    public var owner: String?
    /// The privacy mechanisms the node takes part in; absent: all of them.
    public var privacyCapabilities: [PrivacyMechanism]?
    /// Cordoned: no new work is allocated to it.
    public var unschedulable: Bool
    /// The simulated fleet's behaviour profile (`FleetProfile.named`); ignored by real agents.
    public var profile: String?
}
