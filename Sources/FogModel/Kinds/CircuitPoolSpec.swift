/// `CircuitPool.spec` (schemas/circuitpool.json): onion circuits kept ready over relay nodes.
public struct CircuitPoolSpec: KindSpec {
    public static let kind = "CircuitPool"

    public struct Constraints: Decodable, Sendable, Equatable {
        /// Every hop of a circuit in a different region.
        public var distinctRegions: Bool
        /// Lowest relay trust accepted, 0...1.
        public var minTrust: Double
    }

    /// Relays per circuit (raised to the privacy policy's `onionRouting.hops` when that is more).
    public var hops: Int
    /// Circuits kept ready.
    public var circuits: Int
    /// Age at which a circuit is replaced (a duration text such as `10m`).
    public var lifetime: String
    public var constraints: Constraints
    /// The PrivacyPolicy whose jobs route through this pool.
    public var privacy: String?
}
