/// `Tier.spec` (schemas/tier.json): a size tier's price ranges, device classes, SLA and discounts.
public struct TierSpec: KindSpec {
    public static let kind = "Tier"

    public enum Size: String, SchemaEnum {
        case small, medium, large, enterprise
    }

    /// A unit price range; `max` absent means unbounded.
    public struct PriceRange: Decodable, Sendable, Equatable {
        public var min: Double
        public var max: Double?
    }

    public struct Inference: Decodable, Sendable, Equatable {
        public var pricePerRequest: PriceRange
    }

    public struct Training: Decodable, Sendable, Equatable {
        public var pricePerHour: PriceRange
    }

    public struct SLA: Decodable, Sendable, Equatable {
        public var uptimePercent: Double
        /// Absent: best effort.
        public var maxLatencyMs: Double?
    }

    /// One graduated discount step: `percent` off the units beyond each threshold it names.
    public struct VolumeDiscount: Decodable, Sendable, Equatable {
        public var minRequests: Double?
        public var minHours: Double?
        public var minSpend: Double?
        public var percent: Double
    }

    public var size: Size
    public var description: String?
    public var currency: String
    public var inference: Inference
    public var training: Training
    public var deviceClasses: [DeviceClass]
    public var allowedPrivacyLevels: [PrivacyPolicySpec.Level]
    public var dedicated: Bool
    public var sla: SLA
    /// Absent: unlimited.
    public var maxConcurrentJobs: Int?
    public var volumeDiscounts: [VolumeDiscount]?
}
