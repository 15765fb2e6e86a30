/// `Auction.spec` (schemas/auction.json): what a procurement auction buys, and how it clears.
public struct AuctionSpec: KindSpec {
    public static let kind = "Auction"

    public enum Mechanism: String, SchemaEnum {
        case criticalValue = "critical-value"
        case firstPrice = "first-price"
    }

    public enum Unit: String, SchemaEnum {
        case hour, request
    }

    public struct Requirements: Decodable, Sendable, Equatable {
        public var cpu: Double?
        public var memoryGiB: Double?
        public var gpu: Bool
    }

    /// Absent: a standalone auction.
    public var job: String?
    public var mechanism: Mechanism
    public var participantsWanted: Int
    /// Absent: `participantsWanted`.
    public var participantsMin: Int?
    public var unit: Unit
    public var units: Double
    /// Absent: no limit.
    public var reservePrice: Double?
    /// Absent: the reserve (no reopening at a higher one).
    public var reserveCeiling: Double?
    public var maxRounds: Int
    public var currency: String
    /// Absent: the job's placement.requirements.
    public var requirements: Requirements?
    public var regions: [String]?
    /// Privacy mechanisms every winner must support (a job's: those its PrivacyPolicy enables).
    public var requiredPrivacyCapabilities: [PrivacyMechanism]?
    public var hierarchy: Bool
    /// RFC 3339; takes precedence over `duration`.
    public var closesAt: String?
    public var duration: String
    public var minTrust: Double
    public var trustWeight: Double
}

/// `Bid.spec` (schemas/bid.json): a node's sealed ask in an auction.
public struct BidSpec: KindSpec {
    public static let kind = "Bid"

    public struct Capacity: Decodable, Sendable, Equatable {
        public var cpu: Double?
        public var memoryGiB: Double?
        public var gpu: Int
    }

    public var auction: String
    public var node: String
    public var price: Double
    public var capacity: Capacity?
    /// RFC 3339; absent: valid until the auction closes.
    public var expiresAt: String?
}
