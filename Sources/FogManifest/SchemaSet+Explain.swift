import FogModel

/// A field of a kind as its schema describes it, for `fogctl explain` (kubectl explain's
/// view of a CRD): its type in kubectl's notation, its description, its fields (for an
/// object, or the items of an array of objects, or the values of a map of objects), and
/// what constrains its value.
public struct SchemaField: Sendable {
    /// One entry of FIELDS.
    public struct Child: Sendable {
        public var name: String
        public var type: String
        public var required: Bool
        public var description: String?
        public var field: SchemaField
    }

    /// `string`, `integer`, `number`, `boolean`, `Object`, `[]Object`, `[]string`,
    /// `map[string]integer`, … (kubectl's notation).
    public var type: String
    public var description: String?
    public var enumValues: [String]
    public var defaultValue: String?
    /// Bounds and patterns, as "minimum: 1", "pattern: ^…$".
    public var constraints: [String]
    /// The fields of this field (of its items for an array, of its values for a map), in name order.
    public var children: [Child] { childrenThunk() }
    private let childrenThunk: @Sendable () -> [Child]
    /// The schema the fields come from (nil for scalars).
    let container: JSONSchema?

    /// `overrides`: schemas to use for some of the fields (a kind's `status` is its `$defs/Status`).
    init(_ schema: JSONSchema, description: String? = nil, overrides: [String: JSONSchema] = [:]) {
        let s = schema.followingRefs
        // The description where the field is used says more than the shared definition's.
        self.description = description ?? schema.description ?? s.description
        type = s.typeLabel
        enumValues = (s.enumValues ?? []).map { $0.stringValue ?? JSONCoding.encode($0) }
        defaultValue = (schema.defaultValue ?? s.defaultValue).map { $0.stringValue.map { JSONCoding.encode(.string($0)) } ?? JSONCoding.encode($0) }
        var c: [String] = []
        if let v = s.minimum { c.append("minimum: " + JSONSchema.num(v)) }
        if let v = s.maximum { c.append("maximum: " + JSONSchema.num(v)) }
        if let v = s.exclusiveMinimum { c.append("exclusiveMinimum: " + JSONSchema.num(v)) }
        if let v = s.exclusiveMaximum { c.append("exclusiveMaximum: " + JSONSchema.num(v)) }
        if let v = s.minLength { c.append("minLength: \(v)") }
        if let v = s.maxLength { c.append("maxLength: \(v)") }
        if let v = s.minItems { c.append("minItems: \(v)") }
        if let v = s.maxItems { c.append("maxItems: \(v)") }
        if let v = s.patternSource { c.append("pattern: " + v) }
        if let v = s.constValue { c.append("const: " + JSONSchema.render(v)) }
        constraints = c
        container = s.fieldContainer
        let holder = container
        childrenThunk = {
            guard let holder else { return [] }
            return holder.allPropertyNames.compactMap { name in
                guard let p = overrides[name] ?? holder.property(name) else { return nil }
                let f = SchemaField(p)
                return Child(name: name, type: f.type, required: holder.allRequired.contains(name), description: f.description, field: f)
            }
        }
    }

    /// The field `name` below this one (through an array's items or a map's values), or nil.
    public func child(_ name: String) -> SchemaField? {
        guard let p = container?.property(name) else { return nil }
        return SchemaField(p)
    }
}

extension SchemaSet {
    /// The schema of `kind` at `path` (field names from the object's root: `[]` for the
    /// kind itself, `["spec", "training", "rounds"]`), `status` read from the kind's
    /// `$defs/Status`. Throws naming the first field that does not exist, and the fields
    /// that do there.
    public func explain(kind: String, path: [String]) throws(ExplainError) -> SchemaField {
        guard let root = byKind[kind] else { throw ExplainError(message: "unknown kind \"\(kind)\"") }
        let overrides = statusByKind[kind].map { ["status": $0] } ?? [:]
        var field = SchemaField(root, overrides: overrides)
        var walked: [String] = []
        for name in path {
            let next: SchemaField?
            if walked.isEmpty, let o = overrides[name] {
                next = SchemaField(o)
            } else {
                next = field.child(name)
            }
            guard let next else {
                let at = ([kind] + walked).joined(separator: ".")
                let known = field.children.map(\.name)
                var message = "field \"\(name)\" does not exist in \(at)"
                if let close = JSONSchema.closest(name, among: known) { message += "; did you mean \"\(close)\"?" }
                if !known.isEmpty { message += " (fields: \(known.joined(separator: ", ")))" } else { message += " (\(field.type) has no fields)" }
                throw ExplainError(message: message)
            }
            field = next
            walked.append(name)
        }
        return field
    }
}

/// A field `fogctl explain` cannot find.
public struct ExplainError: Error, Sendable, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}

extension JSONSchema {
    /// This schema with `$ref`s followed to a schema that says something of its own.
    var followingRefs: JSONSchema {
        var s = self
        while s.types == nil, s.properties.isEmpty, s.items == nil, let r = s.ref { s = r }
        return s
    }

    /// The schema whose properties are this field's fields: itself for an object, its items
    /// for an array, its values for a map (recursively for arrays of arrays).
    var fieldContainer: JSONSchema? {
        let s = followingRefs
        if !s.allPropertyNames.isEmpty { return s }
        if let items = s.items { return items.followingRefs.fieldContainer }
        if let values = s.additionalSchema { return values.followingRefs.fieldContainer }
        return nil
    }

    /// Property names here and in the schema this one refers to.
    var allPropertyNames: [String] {
        var names = propertyOrder
        if let r = ref { for n in r.allPropertyNames where !names.contains(n) { names.append(n) } }
        return names.sorted()
    }

    var allRequired: Set<String> { Set(required).union(ref?.allRequired ?? []) }

    /// kubectl's notation for this schema's type.
    var typeLabel: String {
        let s = followingRefs
        let t = s.types?.first { $0 != "null" } ?? (s.properties.isEmpty && s.ref?.properties.isEmpty != false ? nil : "object")
        switch t {
        case "object"?:
            if s.allPropertyNames.isEmpty, let values = s.additionalSchema { return "map[string]" + values.typeLabel }
            return "Object"
        case "array"?:
            return "[]" + (s.items?.typeLabel ?? "Object")
        case let other?: return other
        default:
            if !s.oneOf.isEmpty || !s.anyOf.isEmpty {
                let options = (s.oneOf + s.anyOf).map(\.typeLabel)
                return Array(Set(options)).sorted().joined(separator: "|")
            }
            return "Object"
        }
    }
}
