import Foundation
import FogModel

extension SchemaSet {
    /// `resource`'s spec as `T`: its kind's schema defaults filled in, then decoded. The one
    /// way controllers, agents and commands read a spec, so that no schema default is
    /// repeated in code. Throws (naming the field path, from `spec`) when the spec is not
    /// what `T` reads, or when `resource` is not of `T`'s kind.
    ///
    /// ```swift
    /// let spec = try SchemaSet.builtIn.spec(FederatedJobSpec.self, of: job)
    /// let rounds = spec.training.rounds  // 10 when the manifest says nothing
    /// ```
    public func spec<T: KindSpec>(_ type: T.Type, of resource: Resource) throws(JSONDecodingError) -> T {
        guard resource.kind == T.kind else {
            throw JSONDecodingError(path: "kind", message: "must be \(T.kind) (got \(resource.kind))")
        }
        return try spec(type, from: resource.spec)
    }

    /// A spec as `T` (`nil`: an empty spec), with `T`'s kind's schema defaults filled in first.
    public func spec<T: KindSpec>(_ type: T.Type, from spec: JSONValue?) throws(JSONDecodingError) -> T {
        try JSONValueDecoder().decode(T.self, from: defaulted(spec ?? .object([:]), kind: T.kind), path: "spec")
    }

    /// `spec` with the defaults of `kind`'s schema filled in (unchanged for an unknown kind).
    public func defaulted(_ spec: JSONValue, kind: String) -> JSONValue {
        guard let schema = byKind[kind]?.property("spec") else { return spec }
        var value = spec
        schema.applyDefaults(&value)
        return value
    }
}

extension Resource {
    /// This object's spec as `T`, defaulted by the built-in schemas (`SchemaSet.spec(_:of:)`).
    /// Remembered per object while its spec stays the same: controllers decode the same
    /// object's spec on each of their reconciles, and defaulting and decoding it cost more
    /// than comparing it with the one decoded last.
    public func decodeSpec<T: KindSpec>(_ type: T.Type) throws(JSONDecodingError) -> T {
        let memoKey = DecodedSpecs.Key(type: ObjectIdentifier(T.self), namespace: namespace, name: name)
        if let hit = DecodedSpecs.shared.get(memoKey, spec: spec) as? T { return hit }
        let decoded = try SchemaSet.builtIn.spec(type, of: self)
        DecodedSpecs.shared.set(memoKey, spec: spec, decoded: decoded)
        return decoded
    }
}

/// The spec each object last decoded to, by type and object, with the spec it came from.
final class DecodedSpecs: @unchecked Sendable {
    struct Key: Hashable {
        let type: ObjectIdentifier
        let namespace: String
        let name: String
    }

    static let shared = DecodedSpecs()
    /// At most this many entries; past it the memo starts again (a fleet of this many
    /// objects decodes each once more).
    static let capacity = 200_000
    private let lock = NSLock()
    private var entries: [Key: (spec: JSONValue?, decoded: Any)] = [:]

    func get(_ key: Key, spec: JSONValue?) -> Any? {
        lock.withLock {
            guard let e = entries[key], e.spec == spec else { return nil }
            return e.decoded
        }
    }

    func set(_ key: Key, spec: JSONValue?, decoded: Any) {
        lock.withLock {
            if entries.count >= Self.capacity { entries.removeAll(keepingCapacity: true) }
            entries[key] = (spec, decoded)
        }
    }
}
