/// `PrivacyPolicy.spec` (schemas/privacypolicy.json): a privacy level and the mechanisms that
/// implement it. A mechanism block that is absent is off; one that is present is on unless it
/// says `enabled: false`.
/// A privacy mechanism a PrivacyPolicy may switch on and a FogNode may support
/// (`spec.privacyCapabilities`), in the order they are reported.
public enum PrivacyMechanism: String, SchemaEnum {
    case anonymization, differentialPrivacy, secureAggregation, onionRouting
}

public struct PrivacyPolicySpec: KindSpec {
    public static let kind = "PrivacyPolicy"

    public enum Level: String, SchemaEnum {
        case low, medium, high, critical
    }

    /// A mechanism with nothing to set but whether it is on.
    public struct Switch: Decodable, Sendable, Equatable {
        public var enabled: Bool
    }

    public struct DifferentialPrivacy: Decodable, Sendable, Equatable {
        public var enabled: Bool
        public var epsilon: Double
        public var delta: Double
        public var clipNorm: Double
        /// Absent: calibrated so that the job's rounds fit in `epsilon` (it depends on the job).
        public var noiseMultiplier: Double?
    }

    public struct OnionRouting: Decodable, Sendable, Equatable {
        public var enabled: Bool
        public var hops: Int
    }

    public var level: Level
    public var priceMultiplier: Double
    public var anonymization: Switch?
    public var differentialPrivacy: DifferentialPrivacy?
    public var secureAggregation: Switch?
    public var onionRouting: OnionRouting?
}
