/// `HarvestPolicy.spec` (schemas/harvestpolicy.json): which nodes lend idle compute, and when.
public struct HarvestPolicySpec: KindSpec {
    public static let kind = "HarvestPolicy"

    /// A daily window; an end before the start wraps past midnight.
    public struct TimeWindow: Decodable, Sendable, Equatable {
        public enum Day: String, SchemaEnum {
            case Mon, Tue, Wed, Thu, Fri, Sat, Sun
        }

        /// HH:MM.
        public var start: String
        /// HH:MM (24:00 allowed).
        public var end: String
        /// Absent: every day.
        public var days: [Day]?
    }

    /// Absent or empty: every node.
    public var nodeSelector: LabelSelector?
    public var requireCharging: Bool
    public var minBatteryPercent: Double
    public var maxThermalCelsius: Double
    public var minIdleSeconds: Double
    public var maxCpuShare: Double
    /// Absent: any time.
    public var windows: [TimeWindow]?
    /// An IANA time zone name.
    public var timeZone: String
}

extension LabelSelector: Decodable {
    /// A `{matchLabels, matchExpressions}` selector, as in Kubernetes.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: Keys.self)
        var reqs: [Requirement] = []
        for (k, v) in (try c.decodeIfPresent([String: String].self, forKey: .matchLabels) ?? [:]).sorted(by: { $0.key < $1.key }) {
            reqs.append(.equals(k, v))
        }
        for e in try c.decodeIfPresent([Expression].self, forKey: .matchExpressions) ?? [] {
            let values = Set(e.values ?? [])
            switch e.operator {
            case .In: reqs.append(.isIn(e.key, values))
            case .NotIn: reqs.append(.notIn(e.key, values))
            case .Exists: reqs.append(.exists(e.key))
            case .DoesNotExist: reqs.append(.doesNotExist(e.key))
            }
        }
        self.init(reqs)
    }

    private enum Keys: String, CodingKey { case matchLabels, matchExpressions }

    private struct Expression: Decodable {
        enum Operator: String, SchemaEnum { case In, NotIn, Exists, DoesNotExist }
        var key: String
        var `operator`: Operator
        var values: [String]?
    }
}
