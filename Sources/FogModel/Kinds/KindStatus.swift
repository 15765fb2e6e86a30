/// A kind's status as Swift reads and writes it (`FogNodeStatus`, `FederatedJobStatus`, …):
/// generated from the kind's schema (`$defs/Status`) into `Status.generated.swift`, so the
/// schema is the one description of what each writer may put there.
///
/// Several writers share one status (a node's: its agent, node-lifecycle, allocation,
/// harvest); each sets only its own fields. `JSONValue.merging(typed:from:)` carries a
/// writer's changes into the stored status without touching fields the type does not know.
public protocol KindStatus: Codable, Sendable, Equatable {
    /// The kind whose status this is (`FogNode`).
    static var kind: String { get }
}

extension KindStatus {
    /// `status` as `Self` (`nil`: an empty status). Throws, naming the field path under
    /// `status`, when a field is not what the schema describes.
    public init(json status: JSONValue?) throws(JSONDecodingError) {
        self = try JSONValueDecoder().decode(Self.self, from: status ?? .object([:]), path: "status")
    }

    /// This status as JSON, fields that are nil left out.
    public var json: JSONValue {
        // Encoding into a tree fails only for values that throw from their own `encode(to:)`;
        // generated statuses hold none.
        (try? JSONValueEncoder().encode(self)) ?? .object([:])
    }
}
