import FogModel

/// The privacy levels of the marketplace and what each one demands of a PrivacyPolicy:
/// `medium` needs differential privacy; `high` and `critical` also secure aggregation
/// and onion routing. The one copy of that rule (the privacy-policy controller checks
/// policies with it).
public enum PrivacyLevel: String, Sendable, CaseIterable {
    case low, medium, high, critical

    /// The mechanisms a policy may enable, in the order they are reported.
    public static let mechanisms = ["anonymization", "differentialPrivacy", "secureAggregation", "onionRouting"]

    /// The mechanisms a policy of this level must enable.
    public var requiredMechanisms: [String] {
        switch self {
        case .low: return []
        case .medium: return ["differentialPrivacy"]
        case .high, .critical: return ["differentialPrivacy", "secureAggregation", "onionRouting"]
        }
    }

    /// The mechanisms a PrivacyPolicy spec enables (a block without `enabled` counts as enabled).
    public static func enabledMechanisms(_ spec: JSONValue?) -> [String] {
        mechanisms.filter { m in
            guard let block = spec?[m] else { return false }
            return block["enabled"]?.boolValue ?? true
        }
    }

    /// What the policy misses for its level (empty: it meets it).
    public static func missing(_ spec: JSONValue?) -> (level: PrivacyLevel, enabled: [String], missing: [String]) {
        let level = spec?["level"]?.stringValue.flatMap(PrivacyLevel.init(rawValue:)) ?? .low
        let enabled = enabledMechanisms(spec)
        return (level, enabled, level.requiredMechanisms.filter { !enabled.contains($0) })
    }
}
