import FogModel
import Foundation

/// A compiled JSON Schema (the 2020-12 subset fog's schemas use: type,
/// properties, required, additionalProperties, items, enum, const, numeric and
/// length bounds, pattern, min/maxItems, uniqueItems, min/maxProperties,
/// $ref/$defs, oneOf/anyOf, default). Immutable once its refs are resolved.
public final class JSONSchema: @unchecked Sendable {
    public struct Violation: Sendable, Hashable {
        public enum Kind: Sendable, Hashable { case value, missing, unknownField }
        public var path: String
        public var message: String
        public var kind: Kind
    }

    var types: [String]?
    /// `types` as a set of `TypeBit`s, checked for every value.
    var typeMask: UInt8?
    var properties: [String: JSONSchema] = [:]
    var propertyOrder: [String] = []
    /// `properties` in `propertyOrder`, for `property(named:)`.
    var propertyList: [(name: String, schema: JSONSchema)] = []
    var required: [String] = []
    var additionalAllowed = true
    var additionalSchema: JSONSchema?
    var items: JSONSchema?
    var minItems: Int?
    var maxItems: Int?
    var uniqueItems = false
    var enumValues: [JSONValue]?
    var constValue: JSONValue?
    var minimum: Double?
    var maximum: Double?
    var exclusiveMinimum: Double?
    var exclusiveMaximum: Double?
    var minLength: Int?
    var maxLength: Int?
    var pattern: NSRegularExpression?
    /// `pattern` as a byte matcher, when `CompiledPatterns` has one.
    var compiledPattern: (@Sendable (String) -> Bool)?
    var patternSource: String?
    var minProperties: Int?
    var maxProperties: Int?
    var oneOf: [JSONSchema] = []
    var anyOf: [JSONSchema] = []
    var refName: String?
    var ref: JSONSchema?
    public private(set) var defaultValue: JSONValue?
    public private(set) var description: String?
    /// The raw schema document (for extension keywords such as `x-fog`).
    public let raw: JSONValue

    struct CompileError: Error, CustomStringConvertible {
        let message: String
        var description: String { message }
    }

    /// Compiles `raw`; `$ref`s are recorded relative to `file` and resolved by `SchemaSet`.
    init(_ raw: JSONValue, file: String, defs: inout [String: JSONSchema], pointer: String) throws {
        self.raw = raw
        guard let o = raw.objectValue else {
            if raw == .bool(true) { return }
            throw CompileError(message: "\(file)\(pointer): a schema must be an object")
        }
        if let t = o["type"] {
            if let s = t.stringValue { types = [s] } else { types = t.arrayValue?.compactMap(\.stringValue) }
            typeMask = types.map(Self.mask(of:))
        }
        if let p = o["properties"]?.objectValue {
            for key in p.keys.sorted() {
                properties[key] = try JSONSchema(p[key]!, file: file, defs: &defs, pointer: pointer + "/properties/" + key)
            }
            propertyOrder = p.keys.sorted()
            propertyList = propertyOrder.map { ($0, properties[$0]!) }
        }
        required = o["required"]?.arrayValue?.compactMap(\.stringValue) ?? []
        switch o["additionalProperties"] {
        case .bool(let b)?: additionalAllowed = b
        case .object?: additionalSchema = try JSONSchema(o["additionalProperties"]!, file: file, defs: &defs, pointer: pointer + "/additionalProperties")
        default: break
        }
        if let i = o["items"] { items = try JSONSchema(i, file: file, defs: &defs, pointer: pointer + "/items") }
        minItems = o["minItems"]?.intValue.map(Int.init)
        maxItems = o["maxItems"]?.intValue.map(Int.init)
        uniqueItems = o["uniqueItems"]?.boolValue ?? false
        enumValues = o["enum"]?.arrayValue
        constValue = o["const"]
        minimum = o["minimum"]?.numberValue
        maximum = o["maximum"]?.numberValue
        exclusiveMinimum = o["exclusiveMinimum"]?.numberValue
        exclusiveMaximum = o["exclusiveMaximum"]?.numberValue
        minLength = o["minLength"]?.intValue.map(Int.init)
        maxLength = o["maxLength"]?.intValue.map(Int.init)
        minProperties = o["minProperties"]?.intValue.map(Int.init)
        maxProperties = o["maxProperties"]?.intValue.map(Int.init)
        if let p = o["pattern"]?.stringValue {
            patternSource = p
            compiledPattern = CompiledPatterns.bySource[p]
            do { pattern = try NSRegularExpression(pattern: p) } catch {
                throw CompileError(message: "\(file)\(pointer)/pattern: invalid regular expression \(p)")
            }
        }
        oneOf = try (o["oneOf"]?.arrayValue ?? []).enumerated().map {
            try JSONSchema($1, file: file, defs: &defs, pointer: pointer + "/oneOf/\($0)")
        }
        anyOf = try (o["anyOf"]?.arrayValue ?? []).enumerated().map {
            try JSONSchema($1, file: file, defs: &defs, pointer: pointer + "/anyOf/\($0)")
        }
        if let r = o["$ref"]?.stringValue {
            refName = r.hasPrefix("#") ? file + r : r
        }
        defaultValue = o["default"]
        description = o["description"]?.stringValue
        if let d = o["$defs"]?.objectValue {
            for (name, sub) in d {
                defs[file + "#/$defs/" + name] = try JSONSchema(sub, file: file, defs: &defs, pointer: pointer + "/$defs/" + name)
            }
        }
    }

    func resolveRefs(_ lookup: [String: JSONSchema]) throws {
        var visited = Set<ObjectIdentifier>()
        try resolve(lookup, &visited)
    }

    private func resolve(_ lookup: [String: JSONSchema], _ visited: inout Set<ObjectIdentifier>) throws {
        guard visited.insert(ObjectIdentifier(self)).inserted else { return }
        if let refName {
            guard let target = lookup[refName] else { throw CompileError(message: "unresolved $ref \(refName)") }
            ref = target
            try target.resolve(lookup, &visited)
        }
        for s in properties.values { try s.resolve(lookup, &visited) }
        try additionalSchema?.resolve(lookup, &visited)
        try items?.resolve(lookup, &visited)
        for s in oneOf + anyOf { try s.resolve(lookup, &visited) }
    }

    /// The schema of property `key`: a schema with few properties compares names (short
    /// strings compare faster than they hash), a larger one looks them up.
    @inline(__always) func property(named key: String) -> JSONSchema? {
        guard propertyList.count <= 16 else { return properties[key] }
        for (name, schema) in propertyList where name == key { return schema }
        return nil
    }

    /// The property schemas of this schema, following `$ref`.
    public func property(_ name: String) -> JSONSchema? { properties[name] ?? ref?.property(name) }

    // MARK: Validation

    public func validate(_ value: JSONValue, path: String = "") -> [Violation] {
        var out: [Violation] = []
        var stack = PathStack(FieldPath.parse(path))
        validate(value, path: &stack, into: &out)
        return out
    }

    /// The field path is kept as segments and rendered only for a violation.
    struct PathStack {
        var segments: [FieldPath.Segment]
        init(_ s: [FieldPath.Segment]) { segments = s }
        var text: String { FieldPath.render(segments) }
        func child(_ key: String) -> String { FieldPath.child(text, key) }
        func element(_ i: Int) -> String { FieldPath.element(text, i) }
    }

    func validate(_ value: JSONValue, path stack: inout PathStack, into out: inout [Violation]) {
        if let ref { ref.validate(value, path: &stack, into: &out) }
        var path: String { stack.text }
        if let typeMask, !Self.matches(value, mask: typeMask), let types {
            out.append(Violation(path: path, message: "must be \(Self.describe(types)) (got \(Self.describe(value)))", kind: .value))
            return
        }
        if let constValue, !Self.equal(constValue, value) {
            out.append(Violation(path: path, message: "must be \(Self.render(constValue)) (got \(Self.render(value)))", kind: .value))
        }
        if let enumValues, !enumValues.contains(where: { Self.equal($0, value) }) {
            out.append(Violation(path: path, message: "must be one of: \(enumValues.map(Self.render).joined(separator: ", ")) (got \(Self.render(value)))", kind: .value))
        }
        switch value {
        case .int, .double:
            let n = value.numberValue!
            var shown: String { Self.render(value) }
            if let minimum, n < minimum { out.append(Violation(path: path, message: "must be >= \(Self.num(minimum)) (got \(shown))", kind: .value)) }
            if let maximum, n > maximum { out.append(Violation(path: path, message: "must be <= \(Self.num(maximum)) (got \(shown))", kind: .value)) }
            if let exclusiveMinimum, n <= exclusiveMinimum { out.append(Violation(path: path, message: "must be > \(Self.num(exclusiveMinimum)) (got \(shown))", kind: .value)) }
            if let exclusiveMaximum, n >= exclusiveMaximum { out.append(Violation(path: path, message: "must be < \(Self.num(exclusiveMaximum)) (got \(shown))", kind: .value)) }
        case .string(let s) where minLength != nil || maxLength != nil || pattern != nil:
            // Characters are counted only when bytes cannot settle it (a character is 1-4 bytes).
            let bytes = s.utf8.count
            var count: Int { s.utf8.allSatisfy { $0 < 0x80 } ? bytes : s.count }
            if let minLength, bytes < minLength || (minLength > 1 && count < minLength) || (minLength == 1 && bytes == 0) {
                out.append(Violation(path: path, message: minLength == 1 ? "must not be empty" : "must be at least \(minLength) characters (got \(count))", kind: .value))
            }
            if let maxLength, bytes > maxLength, count > maxLength { out.append(Violation(path: path, message: "must be at most \(maxLength) characters (got \(count))", kind: .value)) }
            if let pattern, let src = patternSource {
                if !patternMatches(pattern, s) {
                    out.append(Violation(path: path, message: "must match the pattern \(src) (got \(Self.render(value)))", kind: .value))
                }
            }
        case .array(let a):
            if let minItems, a.count < minItems { out.append(Violation(path: path, message: "must have at least \(minItems) item\(minItems == 1 ? "" : "s") (got \(a.count))", kind: .value)) }
            if let maxItems, a.count > maxItems { out.append(Violation(path: path, message: "must have at most \(maxItems) items (got \(a.count))", kind: .value)) }
            if uniqueItems {
                var seen: [JSONValue: Int] = [:]
                for (i, e) in a.enumerated() {
                    if let first = seen[e] {
                        out.append(Violation(path: stack.element(i), message: "items must be unique; this repeats item \(first)", kind: .value))
                    } else { seen[e] = i }
                }
            }
            if let items {
                for (i, e) in a.enumerated() {
                    stack.segments.append(.index(i))
                    items.validate(e, path: &stack, into: &out)
                    stack.segments.removeLast()
                }
            }
        case .object(let o):
            for name in required where o[name] == nil {
                out.append(Violation(path: stack.child(name), message: "required field is missing", kind: .missing))
            }
            if let minProperties, o.count < minProperties { out.append(Violation(path: path, message: "must have at least \(minProperties) entr\(minProperties == 1 ? "y" : "ies")", kind: .value)) }
            if let maxProperties, o.count > maxProperties { out.append(Violation(path: path, message: "must have at most \(maxProperties) entries", kind: .value)) }
            let firstViolation = out.count
            for (key, v) in o {
                if let p = property(named: key) {
                    stack.segments.append(.key(key))
                    p.validate(v, path: &stack, into: &out)
                    stack.segments.removeLast()
                } else if let additionalSchema {
                    stack.segments.append(.key(key))
                    additionalSchema.validate(v, path: &stack, into: &out)
                    stack.segments.removeLast()
                } else if !additionalAllowed {
                    let child = stack.child(key)
                    var message = "unknown field \"\(key)\""
                    if let guess = Self.closest(key, among: propertyOrder) { message += "; did you mean \"\(guess)\"?" }
                    if !propertyOrder.isEmpty { message += " (expected one of: \(propertyOrder.joined(separator: ", ")))" }
                    out.append(Violation(path: child, message: message, kind: .unknownField))
                }
            }
            // Report fields in a stable order (dictionary order is not).
            if out.count - firstViolation > 1 { out[firstViolation...].sort { $0.path < $1.path } }
        default: break
        }
        func alternatives(_ schemas: [JSONSchema]) -> [[Violation]] {
            schemas.map { schema in
                var violations: [Violation] = []
                var branch = stack
                schema.validate(value, path: &branch, into: &violations)
                return violations
            }
        }
        if !anyOf.isEmpty {
            let results = alternatives(anyOf)
            if !results.contains(where: \.isEmpty) { out.append(contentsOf: results.min { $0.count < $1.count }!) }
        }
        if !oneOf.isEmpty {
            let results = alternatives(oneOf)
            let passing = results.filter(\.isEmpty).count
            if passing == 0 {
                out.append(contentsOf: results.min { $0.count < $1.count }!)
            } else if passing > 1 {
                out.append(Violation(path: path, message: "matches more than one of the allowed forms", kind: .value))
            }
        }
    }

    // MARK: Defaults

    /// Whether this schema or anything below it declares a default (computed once refs are resolved).
    private(set) var hasDefaults = true
    /// The properties that have a default or anything with one below them (computed with
    /// `hasDefaults`; until then, every property).
    private var defaultedProperties: [(name: String, schema: JSONSchema)]?
    var propertiesWithDefaults: [(name: String, schema: JSONSchema)] {
        defaultedProperties ?? propertyOrder.map { ($0, properties[$0]!) }
    }

    func computeHasDefaults(_ visiting: inout Set<ObjectIdentifier>) -> Bool {
        guard visiting.insert(ObjectIdentifier(self)).inserted else { return true }
        var any = defaultValue != nil
        if let ref { any = ref.computeHasDefaults(&visiting) || any }
        for p in properties.values { any = p.computeHasDefaults(&visiting) || any }
        if let additionalSchema { any = additionalSchema.computeHasDefaults(&visiting) || any }
        if let items { any = items.computeHasDefaults(&visiting) || any }
        hasDefaults = any
        defaultedProperties = propertyOrder.compactMap { name in
            let schema = properties[name]!
            return schema.hasDefaults || schema.effectiveDefault != nil ? (name, schema) : nil
        }
        return any
    }

    /// Fills in `default`s of absent properties, recursively, in objects that are present.
    public func applyDefaults(_ value: inout JSONValue) {
        guard hasDefaults else { return }
        if let ref { ref.applyDefaults(&value) }
        switch value {
        case .object(var o):
            // The enum gives up its reference first, so the dictionary is changed in place.
            value = .null
            for (name, schema) in propertiesWithDefaults {
                if let i = o.index(forKey: name) {
                    schema.applyDefaults(&o.values[i])  // in place, without hashing the name again
                } else if var d = schema.effectiveDefault {
                    schema.applyDefaults(&d)
                    o[name] = d
                }
            }
            if let additionalSchema, additionalSchema.hasDefaults {
                for key in o.keys where properties[key] == nil { additionalSchema.applyDefaults(&o[key]!) }
            }
            value = .object(o)
        case .array(var a):
            guard let items, items.hasDefaults else { return }
            value = .null
            for i in a.indices { items.applyDefaults(&a[i]) }
            value = .array(a)
        default: break
        }
    }

    var effectiveDefault: JSONValue? { defaultValue ?? ref?.effectiveDefault }

    // MARK: Helpers

    /// Pattern results memoised per schema node: manifests repeat the same
    /// regions, zones and names thousands of times.
    private var patternCache: [String: Bool] = [:]
    private let patternLock = NSLock()

    func patternMatches(_ pattern: NSRegularExpression, _ s: String) -> Bool {
        if let compiledPattern { return compiledPattern(s) }
        if let hit = patternLock.withLock({ patternCache[s] }) { return hit }
        let result = pattern.firstMatch(in: s, range: NSRange(s.startIndex..., in: s)) != nil
        patternLock.withLock {
            if patternCache.count > 4096 { patternCache.removeAll() }
            patternCache[s] = result
        }
        return result
    }

    /// The JSON Schema types, one bit each.
    enum TypeBit {
        static let null: UInt8 = 1, boolean: UInt8 = 2, string: UInt8 = 4, array: UInt8 = 8, object: UInt8 = 16, integer: UInt8 = 32, number: UInt8 = 64
    }

    static func mask(of types: [String]) -> UInt8 {
        types.reduce(0) { mask, t in
            switch t {
            case "null": return mask | TypeBit.null
            case "boolean": return mask | TypeBit.boolean
            case "string": return mask | TypeBit.string
            case "array": return mask | TypeBit.array
            case "object": return mask | TypeBit.object
            case "integer": return mask | TypeBit.integer
            case "number": return mask | TypeBit.number
            default: return mask
            }
        }
    }

    /// Whether `v` is of one of the types in `mask` (an integral double counts as an integer).
    static func matches(_ v: JSONValue, mask: UInt8) -> Bool {
        switch v {
        case .null: return mask & TypeBit.null != 0
        case .bool: return mask & TypeBit.boolean != 0
        case .string: return mask & TypeBit.string != 0
        case .array: return mask & TypeBit.array != 0
        case .object: return mask & TypeBit.object != 0
        case .int: return mask & (TypeBit.integer | TypeBit.number) != 0
        case .double(let d): return mask & TypeBit.number != 0 || (mask & TypeBit.integer != 0 && d.rounded() == d)
        }
    }

    static func equal(_ a: JSONValue, _ b: JSONValue) -> Bool {
        if let x = a.numberValue, let y = b.numberValue { return x == y }
        return a == b
    }

    static func describe(_ types: [String]) -> String {
        let words = types.map { t -> String in
            switch t {
            case "object": return "a mapping"
            case "array": return "a list"
            case "string": return "a string"
            case "integer": return "an integer"
            case "number": return "a number"
            case "boolean": return "true or false"
            default: return t
            }
        }
        return words.joined(separator: " or ")
    }

    static func describe(_ v: JSONValue) -> String {
        switch v {
        case .object: return "a mapping"
        case .array: return "a list"
        case .null: return "null"
        case .string(let s): return "string \(render(.string(s)))"
        default: return render(v)
        }
    }

    static func render(_ v: JSONValue) -> String {
        switch v {
        case .string(let s):
            let shown = s.count > 60 ? String(s.prefix(57)) + "..." : s
            return JSONCoding.encode(.string(shown))
        case .double(let d): return num(d)
        case .object: return "a mapping"
        case .array: return "a list"
        default: return JSONCoding.encode(v)
        }
    }

    static func num(_ d: Double) -> String {
        d.rounded() == d && abs(d) < 1e15 ? String(Int64(d)) : String(d)
    }

    /// A known name within edit distance 2 of `word`, for "did you mean".
    static func closest(_ word: String, among names: [String]) -> String? {
        let w = Array(word.lowercased())
        var best: (String, Int)?
        for name in names {
            let d = distance(w, Array(name.lowercased()))
            if d <= 2, d < (best?.1 ?? Int.max) { best = (name, d) }
        }
        return best?.0
    }

    static func distance(_ a: [Character], _ b: [Character]) -> Int {
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var prev = Array(0...b.count)
        for i in 1...a.count {
            var cur = [i] + Array(repeating: 0, count: b.count)
            for j in 1...b.count {
                cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            prev = cur
        }
        return prev[b.count]
    }
}

/// Every schema in `schemas/`, compiled, with cross-file `$ref`s resolved and
/// the kind registry read from each kind schema's `x-fog` block.
public struct SchemaSet: Sendable {
    public let schemas: [String: JSONSchema]
    /// Kind name → its schema.
    public let byKind: [String: JSONSchema]
    public let registry: KindRegistry
    /// Kind name → the description of its status (`$defs/Status` of its schema). Admission
    /// does not apply it: a manifest's status is dropped (see `validateStatus(of:)`).
    let statusByKind: [String: JSONSchema]

    public init(files: [String: String]) throws {
        var compiled: [String: JSONSchema] = [:]
        var lookup: [String: JSONSchema] = [:]
        var kinds: [KindInfo] = []
        var byKind: [String: JSONSchema] = [:]
        var statusByKind: [String: JSONSchema] = [:]
        for name in files.keys.sorted() {
            let raw = try JSONCoding.parse(files[name]!)
            var defs: [String: JSONSchema] = [:]
            let schema = try JSONSchema(raw, file: name, defs: &defs, pointer: "#")
            compiled[name] = schema
            lookup[name] = schema
            lookup[name + "#"] = schema
            for (k, v) in defs { lookup[k] = v }
            if let x = raw["x-fog"] {
                let info = try Self.kindInfo(x, file: name)
                kinds.append(info)
                byKind[info.kind] = schema
                statusByKind[info.kind] = lookup[name + "#/$defs/Status"]
            }
        }
        for s in compiled.values { try s.resolveRefs(lookup) }
        // No property refers to the status descriptions: their own refs are resolved here.
        for s in statusByKind.values { try s.resolveRefs(lookup) }
        var visiting = Set<ObjectIdentifier>()
        for s in compiled.values.sorted(by: { $0.defaultValue == nil && $1.defaultValue != nil }) {
            visiting.removeAll()
            _ = s.computeHasDefaults(&visiting)
        }
        schemas = compiled
        self.byKind = byKind
        self.statusByKind = statusByKind
        registry = KindRegistry(kinds.sorted { $0.kind < $1.kind })
    }

    static func kindInfo(_ x: JSONValue, file: String) throws -> KindInfo {
        guard let kind = x["kind"]?.stringValue, let plural = x["plural"]?.stringValue,
              let singular = x["singular"]?.stringValue, let scope = x["scope"]?.stringValue
        else { throw JSONSchema.CompileError(message: "\(file): x-fog needs kind, plural, singular and scope") }
        let columns = (x["columns"]?.arrayValue ?? []).compactMap { c -> KindInfo.Column? in
            guard let n = c["name"]?.stringValue, let p = c["jsonPath"]?.stringValue else { return nil }
            return KindInfo.Column(name: n, jsonPath: p, type: c["type"]?.stringValue ?? "string",
                                   priority: Int(c["priority"]?.intValue ?? 0))
        }
        return KindInfo(kind: kind, plural: plural, singular: singular,
                        shortNames: (x["shortNames"]?.arrayValue ?? []).compactMap(\.stringValue),
                        namespaced: scope == "Namespaced", columns: columns)
    }

    /// What is wrong with `object`'s status against its kind's status description
    /// (`$defs/Status`), one "path: message" per problem, paths from `status`
    /// (`status.training.round: must be an integer (got string "3")`). Empty when the status
    /// fits or is absent. For checking what controllers and agents write; admission never
    /// calls it (a manifest's status is dropped, not checked).
    /// The top-level fields `$defs/Status` of `kind` describes (nil when it describes none).
    public func statusFields(of kind: String) -> Set<String>? {
        guard let schema = statusByKind[kind] else { return nil }
        var s: JSONSchema? = schema
        while let r = s, r.properties.isEmpty, let next = r.ref { s = next }
        return s.map { Set($0.properties.keys) }
    }

    public func validateStatus(of object: Resource) -> [String] {
        guard byKind[object.kind] != nil else { return ["kind: unknown kind \"\(object.kind)\""] }
        guard let schema = statusByKind[object.kind] else { return ["status: the \(object.kind) schema describes no status ($defs/Status)"] }
        guard let status = object.status else { return [] }
        return schema.validate(status, path: "status").map { "\($0.path): \($0.message)" }
    }

    /// The schemas shipped in `schemas/`, embedded at build time.
    public static let builtIn: SchemaSet = {
        do { return try SchemaSet(files: EmbeddedSchemas.files) } catch {
            fatalError("the embedded schemas are invalid: \(error)")
        }
    }()
}
