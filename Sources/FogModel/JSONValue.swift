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

    public static func parse(_ path: String) -> [Segment] {
        var out: [Segment] = []
        var token = ""
        var i = path.startIndex
        while i < path.endIndex {
            let c = path[i]
            if c == "." {
                if !token.isEmpty { out.append(.key(token)); token = "" }
            } else if c == "[" {
                if !token.isEmpty { out.append(.key(token)); token = "" }
                var j = path.index(after: i)
                var digits = ""
                while j < path.endIndex, path[j] != "]" { digits.append(path[j]); j = path.index(after: j) }
                if let n = Int(digits) { out.append(.index(n)) } else { out.append(.key(digits)) }
                i = j
            } else {
                token.append(c)
            }
            if i < path.endIndex { i = path.index(after: i) }
        }
        if !token.isEmpty { out.append(.key(token)) }
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
