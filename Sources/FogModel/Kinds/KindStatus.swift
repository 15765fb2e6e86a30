/// An object in a status (a kind's whole status, or a part such as `FederatedJobStatus.Training`),
/// read from and written to JSON by generated code.
public protocol StatusObject: Sendable, Equatable {
    /// Reads a status object (generated, straight from JSON); `path` names it in errors.
    init(json: [String: JSONValue], at path: String) throws(JSONDecodingError)
    /// As JSON, nil fields left out (generated).
    var jsonObject: [String: JSONValue] { get }
}

/// A kind's status as Swift reads and writes it (`FogNodeStatus`, `FederatedJobStatus`, …):
/// generated from the kind's schema (`$defs/Status`) into `Status.generated.swift`, so the
/// schema is the one description of what each writer may put there.
///
/// Several writers share one status (a node's: its agent, node-lifecycle, allocation,
/// harvest); each sets only its own fields. `write(into:changedFrom:)` carries a writer's
/// changes into the stored status without touching the others.
public protocol KindStatus: StatusObject {
    /// The kind whose status this is (`FogNode`).
    static var kind: String { get }
    /// Writes into `status` the fields in which this value differs from `old` (a field now nil
    /// is removed), as JSON; the others stay as stored. Compared typed, so a writer's update
    /// encodes only what it changed.
    func write(into status: inout [String: JSONValue], changedFrom old: Self)
    /// The status field a key path names (`\FogNodeStatus.trust` → `trust`).
    static func fieldName(_ field: PartialKeyPath<Self>) -> String?
}

extension KindStatus {
    /// `status` as `Self` (`nil`: an empty status). Throws, naming the field path under
    /// `status`, when a field is not what the schema describes.
    public init(json status: JSONValue?) throws(JSONDecodingError) {
        try self.init(json: StatusRead.object(status ?? .object([:]), "status"), at: "status")
    }

    /// Only `fields` of `status` (the others nil): a writer that owns a few fields of a large
    /// status (a node's, a job's) reads just those.
    public init(json status: [String: JSONValue], only fields: [PartialKeyPath<Self>]) throws(JSONDecodingError) {
        var part: [String: JSONValue] = [:]
        for f in fields { if let name = Self.fieldName(f), let v = status[name] { part[name] = v } }
        try self.init(json: part, at: "status")
    }

    /// This status as JSON, fields that are nil left out.
    public var json: JSONValue { .object(jsonObject) }
}
