import FogModel

/// The privacy levels of the marketplace and what each one demands of a PrivacyPolicy:
/// `medium` needs differential privacy; `high` and `critical` also secure aggregation
/// and onion routing. The one copy of that rule (the privacy-policy controller checks
/// policies with it).
public enum PrivacyLevel: String, Sendable, CaseIterable {
    case low, medium, high, critical

    /// The mechanisms a policy may enable, in the order they are reported.
    public static let mechanisms = PrivacyMechanism.allCases.map(\.rawValue)

    /// The mechanisms a node takes part in: its `spec.privacyCapabilities`, all when absent.
    public static func capabilities(of node: FogNodeSpec) -> Set<String> {
        Set((node.privacyCapabilities ?? PrivacyMechanism.allCases).map(\.rawValue))
    }

    /// The mechanisms of `required` that a node with `capabilities` lacks, in report order.
    public static func lacking(_ required: Set<String>, capabilities: Set<String>) -> [String] {
        mechanisms.filter { required.contains($0) && !capabilities.contains($0) }
    }

    /// The mechanisms a policy of this level must enable.
    public var requiredMechanisms: [String] {
        switch self {
        case .low: return []
        case .medium: return ["differentialPrivacy"]
        case .high, .critical: return ["differentialPrivacy", "secureAggregation", "onionRouting"]
        }
    }

    /// The level a PrivacyPolicy's `spec.level` names.
    public init(_ level: PrivacyPolicySpec.Level) {
        switch level {
        case .low: self = .low
        case .medium: self = .medium
        case .high: self = .high
        case .critical: self = .critical
        }
    }

    /// The mechanisms a PrivacyPolicy spec enables (a present block is on unless it says
    /// `enabled: false`; an absent one is off), in the order of `mechanisms`.
    public static func enabledMechanisms(_ spec: PrivacyPolicySpec) -> [String] {
        let on = [spec.anonymization?.enabled, spec.differentialPrivacy?.enabled, spec.secureAggregation?.enabled, spec.onionRouting?.enabled]
        return zip(mechanisms, on).filter { $0.1 == true }.map(\.0)
    }

    /// What the policy misses for its level (empty: it meets it).
    public static func missing(_ spec: PrivacyPolicySpec) -> (level: PrivacyLevel, enabled: [String], missing: [String]) {
        let level = PrivacyLevel(spec.level)
        let enabled = enabledMechanisms(spec)
        return (level, enabled, level.requiredMechanisms.filter { !enabled.contains($0) })
    }
}
