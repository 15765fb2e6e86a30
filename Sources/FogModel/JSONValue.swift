/// A JSON document tree. Objects are unordered; serialisation sorts keys, so
/// equal values always serialise to equal bytes (the store and `diff` rely on it).
public enum JSONValue: Sendable, Hashable {
    case null
    case bool(Bool)
    case int(Int64)
    case double(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    public var objectValue: [String: JSONValue]? {
        if case .object(let o) = self { return o }
        return nil
    }
    public var arrayValue: [JSONValue]? {
        if case .array(let a) = self { return a }
        return nil
    }
    public var stringValue: String? {
        if case .string(let s) = self { return s }
        return nil
    }
    public var boolValue: Bool? {
        if case .bool(let b) = self { return b }
        return nil
    }
    /// Integers and doubles alike, as a `Double`.
    public var numberValue: Double? {
        switch self {
        case .int(let i): return Double(i)
        case .double(let d): return d
        default: return nil
        }
    }
    public var intValue: Int64? {
        switch self {
        case .int(let i): return i
        case .double(let d) where d.rounded() == d && abs(d) < 9.0e15: return Int64(d)
        default: return nil
        }
    }
    public var isNull: Bool { if case .null = self { return true }; return false }

    /// The JSON Schema type name of this value.
    public var typeName: String {
        switch self {
        case .null: return "null"
        case .bool: return "boolean"
        case .int: return "integer"
        case .double: return "number"
        case .string: return "string"
        case .array: return "array"
        case .object: return "object"
        }
    }

    public subscript(key: String) -> JSONValue? {
        get { objectValue?[key] }
        set {
            guard case .object(var o) = self else { return }
            o[key] = newValue
            self = .object(o)
        }
    }

    /// Follows a dotted path (`spec.capacity.cpu`); array indices as `[N]`.
    public func value(at path: String) -> JSONValue? {
        var current: JSONValue? = self
        for segment in FieldPath.parse(path) {
            switch segment {
            case .key(let k): current = current?[k]
            case .index(let i):
                guard let a = current?.arrayValue, i >= 0, i < a.count else { return nil }
                current = a[i]
            }
        }
        return current
    }
}

extension JSONValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByFloatLiteral,
    ExpressibleByBooleanLiteral, ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral, ExpressibleByNilLiteral
{
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int64) { self = .int(value) }
    public init(floatLiteral value: Double) { self = .double(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        self = .object(Dictionary(elements, uniquingKeysWith: { _, b in b }))
    }
    public init(nilLiteral: ()) { self = .null }
}

/// One step of a field path: an object key or an array index.
public enum FieldPath {
    public enum Segment: Hashable, Sendable {
        case key(String)
        case index(Int)
    }

    /// `spec.roles[1]` → key spec, key roles, index 1 (a bracket that holds no integer holds a
    /// key). Scanned as UTF-8: predicates parse their paths on every change they look at.
    public static func parse(_ path: String) -> [Segment] {
        var out: [Segment] = []
        let u = path.utf8
        var i = u.startIndex
        var tokenStart = i
        func flush(_ end: String.Index) { if tokenStart < end { out.append(.key(String(path[tokenStart..<end]))) } }
        while i < u.endIndex {
            let c = u[i]
            if c == UInt8(ascii: ".") {
                flush(i)
                i = u.index(after: i)
                tokenStart = i
            } else if c == UInt8(ascii: "[") {
                flush(i)
                let open = u.index(after: i)
                var j = open
                while j < u.endIndex, u[j] != UInt8(ascii: "]") { j = u.index(after: j) }
                let inner = String(path[open..<j])
                if let n = Int(inner) { out.append(.index(n)) } else { out.append(.key(inner)) }
                i = j < u.endIndex ? u.index(after: j) : j
                tokenStart = i
            } else {
                i = u.index(after: i)
            }
        }
        flush(i)
        return out
    }

    /// `parent.key`, or `key` at the root.
    public static func child(_ parent: String, _ key: String) -> String {
        parent.isEmpty ? key : parent + "." + key
    }

    public static func element(_ parent: String, _ index: Int) -> String {
        parent + "[" + String(index) + "]"
    }

    /// The dotted form of `segments`: `spec.roles[1]`.
    public static func render(_ segments: [Segment]) -> String {
        var out = ""
        for s in segments {
            switch s {
            case .key(let k): out = child(out, k)
            case .index(let i): out = element(out, i)
            }
        }
        return out
    }
}
