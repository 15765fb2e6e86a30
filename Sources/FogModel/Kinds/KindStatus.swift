/// A kind's status as Swift reads and writes it (`FogNodeStatus`, `FederatedJobStatus`, …):
/// generated from the kind's schema (`$defs/Status`) into `Status.generated.swift`, so the
/// schema is the one description of what each writer may put there.
///
/// Several writers share one status (a node's: its agent, node-lifecycle, allocation,
/// harvest); each sets only its own fields. `changes(to:)` carries a writer's changes into the
/// stored status without touching the others.
public protocol KindStatus: Codable, Sendable, Equatable {
    /// The kind whose status this is (`FogNode`).
    static var kind: String { get }
    /// The status fields the type holds (the schema's `properties`).
    static var fields: Set<String> { get }
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

extension KindStatus {
    /// Writes into `status` the fields of this value that differ from it (a field now nil is
    /// removed); fields outside `Self.fields` stay as they are. A number that only changed
    /// representation (`3` and `3.0`) is left alone, so re-encoding writes nothing.
    public func write(into status: inout [String: JSONValue]) {
        let encoded = json.objectValue ?? [:]
        for field in Self.fields {
            if let new = encoded[field] {
                if let old = status[field], old.sameNumbers(as: new) { continue }
                status[field] = new
            } else if status[field] != nil {
                status[field] = nil
            }
        }
    }
}

extension JSONValue {
    /// Equal, counting an integer and a double of the same value as equal.
    public func sameNumbers(as other: JSONValue) -> Bool {
        switch (self, other) {
        case (.int(let a), .double(let b)), (.double(let b), .int(let a)): return Double(a) == b
        case (.array(let a), .array(let b)):
            return a.count == b.count && zip(a, b).allSatisfy { $0.sameNumbers(as: $1) }
        case (.object(let a), .object(let b)):
            guard a.count == b.count else { return false }
            for (k, v) in a { guard let w = b[k], v.sameNumbers(as: w) else { return false } }
            return true
        default: return self == other
        }
    }
}
