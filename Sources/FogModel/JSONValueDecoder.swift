/// Decodes a `Decodable` value straight from a `JSONValue` tree, with no trip
/// through bytes: the controllers decode a typed spec for every node and job
/// they read, 10,000 nodes at a time in the benchmarks.
///
/// Numbers convert as the schemas' types do: an integer field takes `3` or
/// `3.0`, a number field takes either. Errors name the field path and what was
/// expected, in the words of schema admission:
/// `spec.capacity.cpu: must be a number (got string "x")`.
///
/// ```swift
/// let spec = try JSONValueDecoder().decode(FogNodeSpec.self, from: json, path: "spec")
/// ```
public struct JSONValueDecoder: Sendable {
    public init() {}

    /// `value` decoded as `T`; `path` is where `value` sits (`spec`), for error messages.
    public func decode<T: Decodable>(_ type: T.Type, from value: JSONValue, path: String = "") throws(JSONDecodingError) -> T {
        do {
            return try JSONValueDecoding(value: value, node: nil, root: path).decode(T.self)
        } catch let e as JSONDecodingError {
            throw e
        } catch let e as DecodingError {
            throw JSONDecodingError(e, root: path)
        } catch {
            throw JSONDecodingError(path: path, message: "\(error)")
        }
    }
}

/// Why a JSON value did not decode: the field path (`spec.roles[1]`) and what was wrong there.
public struct JSONDecodingError: Error, CustomStringConvertible, Sendable, Equatable {
    public var path: String
    public var message: String

    public init(path: String, message: String) {
        self.path = path
        self.message = message
    }

    /// `path: message`, or the message alone at the root.
    public var description: String { path.isEmpty ? message : path + ": " + message }

    /// From a `DecodingError` thrown by a type's own `init(from:)`.
    init(_ e: DecodingError, root: String) {
        switch e {
        case .keyNotFound(let key, let c):
            self.init(path: CodingPathText.render(c.codingPath + [key], root: root), message: "required field is missing")
        case .valueNotFound(_, let c), .typeMismatch(_, let c), .dataCorrupted(let c):
            self.init(path: CodingPathText.render(c.codingPath, root: root), message: c.debugDescription)
        @unknown default:
            self.init(path: root, message: "\(e)")
        }
    }
}

/// A spec field whose values are the schema's `enum`: a value outside it fails to decode with
/// the allowed values listed (`must be one of: direct, auction (got "bid")`).
public protocol SchemaEnum: RawRepresentable, CaseIterable, Decodable, Sendable, Hashable where RawValue == String {}

extension SchemaEnum {
    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let value = Self(rawValue: text) else {
            throw JSONDecodingError(path: CodingPathText.render(decoder.codingPath, root: (decoder as? JSONValueDecoding)?.root ?? ""),
                                    message: "must be one of: \(Self.allCases.map(\.rawValue).joined(separator: ", ")) (got \(JSONValueText.render(.string(text))))")
        }
        self = value
    }
}

// MARK: - Paths and values in messages

/// An array position in a coding path.
struct IndexKey: CodingKey {
    var intValue: Int?
    var stringValue: String { String(intValue ?? 0) }
    init(_ index: Int) { intValue = index }
    init?(stringValue: String) { nil }
    init?(intValue: Int) { self.intValue = intValue }
}

enum CodingPathText {
    /// `root.a.b[2]`.
    static func render(_ keys: [any CodingKey], root: String) -> String {
        var out = root
        for key in keys {
            if key is IndexKey { out = FieldPath.element(out, key.intValue ?? 0) } else { out = FieldPath.child(out, key.stringValue) }
        }
        return out
    }
}

enum JSONValueText {
    /// What a value is, for "(got …)": `string "x"`, `3`, `a mapping`.
    static func describe(_ v: JSONValue) -> String {
        switch v {
        case .string: return "string " + render(v)
        default: return render(v)
        }
    }

    static func render(_ v: JSONValue) -> String {
        switch v {
        case .string(let s): return JSONCoding.encode(.string(s.count > 60 ? String(s.prefix(57)) + "..." : s))
        case .object: return "a mapping"
        case .array: return "a list"
        case .double(let d): return d.rounded() == d && abs(d) < 1e15 ? String(Int64(d)) : String(d)
        default: return JSONCoding.encode(v)
        }
    }
}

// MARK: - The decoder

/// One position in the tree being decoded; its coding path is built only for an error.
final class PathNode {
    let parent: PathNode?
    let key: any CodingKey
    init(parent: PathNode?, key: any CodingKey) {
        self.parent = parent
        self.key = key
    }

    var keys: [any CodingKey] {
        var out: [any CodingKey] = []
        var n: PathNode? = self
        while let node = n { out.append(node.key); n = node.parent }
        return out.reversed()
    }
}

final class JSONValueDecoding: Decoder, SingleValueDecodingContainer {
    let value: JSONValue
    let node: PathNode?
    let root: String

    init(value: JSONValue, node: PathNode?, root: String) {
        self.value = value
        self.node = node
        self.root = root
    }

    var codingPath: [any CodingKey] { node?.keys ?? [] }
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        guard case .object(let object) = value else { throw mismatch("a mapping", value) }
        return KeyedDecodingContainer(KeyedContainer<Key>(object: object, decoder: self))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        guard case .array(let array) = value else { throw mismatch("a list", value) }
        return UnkeyedContainer(array: array, decoder: self)
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer { self }

    // MARK: Errors

    func path(_ key: (any CodingKey)? = nil) -> String {
        var keys = codingPath
        if let key { keys.append(key) }
        return CodingPathText.render(keys, root: root)
    }

    func mismatch(_ expected: String, _ got: JSONValue, at key: (any CodingKey)? = nil) -> JSONDecodingError {
        JSONDecodingError(path: path(key), message: "must be \(expected) (got \(JSONValueText.describe(got)))")
    }

    // MARK: Values

    /// `v` (at `key` below this position) as `T`: scalars directly, anything else by its `init(from:)`.
    func decode<T: Decodable>(_ type: T.Type, _ v: JSONValue, key: any CodingKey) throws -> T {
        if T.self == String.self { return try string(v, key) as! T }
        if T.self == Double.self { return try double(v, key) as! T }
        if T.self == Int.self { return try int(v, key) as! T }
        if T.self == Bool.self { return try bool(v, key) as! T }
        if T.self == JSONValue.self { return v as! T }
        return try T(from: JSONValueDecoding(value: v, node: PathNode(parent: node, key: key), root: root))
    }

    func string(_ v: JSONValue, _ key: (any CodingKey)?) throws -> String {
        guard case .string(let s) = v else { throw mismatch("a string", v, at: key) }
        return s
    }

    func bool(_ v: JSONValue, _ key: (any CodingKey)?) throws -> Bool {
        guard case .bool(let b) = v else { throw mismatch("true or false", v, at: key) }
        return b
    }

    func double(_ v: JSONValue, _ key: (any CodingKey)?) throws -> Double {
        switch v {
        case .double(let d): return d
        case .int(let i): return Double(i)
        default: throw mismatch("a number", v, at: key)
        }
    }

    func int64(_ v: JSONValue, _ key: (any CodingKey)?) throws -> Int64 {
        guard let i = v.intValue else { throw mismatch("an integer", v, at: key) }
        return i
    }

    func int(_ v: JSONValue, _ key: (any CodingKey)?) throws -> Int {
        guard let i = Int(exactly: try int64(v, key)) else { throw mismatch("an integer that fits", v, at: key) }
        return i
    }

    func integer<T: FixedWidthInteger>(_ v: JSONValue, _ key: (any CodingKey)?) throws -> T {
        guard let i = T(exactly: try int64(v, key)) else { throw mismatch("an integer between \(T.min) and \(T.max)", v, at: key) }
        return i
    }

    // MARK: SingleValueDecodingContainer

    func decodeNil() -> Bool { value.isNull }
    func decode(_ type: Bool.Type) throws -> Bool { try bool(value, nil) }
    func decode(_ type: String.Type) throws -> String { try string(value, nil) }
    func decode(_ type: Double.Type) throws -> Double { try double(value, nil) }
    func decode(_ type: Float.Type) throws -> Float { Float(try double(value, nil)) }
    func decode(_ type: Int.Type) throws -> Int { try int(value, nil) }
    func decode(_ type: Int8.Type) throws -> Int8 { try integer(value, nil) }
    func decode(_ type: Int16.Type) throws -> Int16 { try integer(value, nil) }
    func decode(_ type: Int32.Type) throws -> Int32 { try integer(value, nil) }
    func decode(_ type: Int64.Type) throws -> Int64 { try int64(value, nil) }
    func decode(_ type: UInt.Type) throws -> UInt { try integer(value, nil) }
    func decode(_ type: UInt8.Type) throws -> UInt8 { try integer(value, nil) }
    func decode(_ type: UInt16.Type) throws -> UInt16 { try integer(value, nil) }
    func decode(_ type: UInt32.Type) throws -> UInt32 { try integer(value, nil) }
    func decode(_ type: UInt64.Type) throws -> UInt64 { try integer(value, nil) }
    func decode<T: Decodable>(_ type: T.Type) throws -> T {
        if T.self == JSONValue.self { return value as! T }
        return try T(from: self)
    }
}

struct KeyedContainer<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let object: [String: JSONValue]
    let decoder: JSONValueDecoding

    var codingPath: [any CodingKey] { decoder.codingPath }
    var allKeys: [Key] { object.keys.compactMap { Key(stringValue: $0) } }
    func contains(_ key: Key) -> Bool { object[key.stringValue] != nil }

    func value(_ key: Key) throws -> JSONValue {
        guard let v = object[key.stringValue] else {
            throw JSONDecodingError(path: decoder.path(key), message: "required field is missing")
        }
        return v
    }

    /// The value at `key`, nil when absent or null.
    func present(_ key: Key) -> JSONValue? {
        guard let v = object[key.stringValue], !v.isNull else { return nil }
        return v
    }

    func decodeNil(forKey key: Key) throws -> Bool { try value(key).isNull }
    func decode(_ type: Bool.Type, forKey key: Key) throws -> Bool { try decoder.bool(try value(key), key) }
    func decode(_ type: String.Type, forKey key: Key) throws -> String { try decoder.string(try value(key), key) }
    func decode(_ type: Double.Type, forKey key: Key) throws -> Double { try decoder.double(try value(key), key) }
    func decode(_ type: Float.Type, forKey key: Key) throws -> Float { Float(try decoder.double(try value(key), key)) }
    func decode(_ type: Int.Type, forKey key: Key) throws -> Int { try decoder.int(try value(key), key) }
    func decode(_ type: Int8.Type, forKey key: Key) throws -> Int8 { try decoder.integer(try value(key), key) }
    func decode(_ type: Int16.Type, forKey key: Key) throws -> Int16 { try decoder.integer(try value(key), key) }
    func decode(_ type: Int32.Type, forKey key: Key) throws -> Int32 { try decoder.integer(try value(key), key) }
    func decode(_ type: Int64.Type, forKey key: Key) throws -> Int64 { try decoder.int64(try value(key), key) }
    func decode(_ type: UInt.Type, forKey key: Key) throws -> UInt { try decoder.integer(try value(key), key) }
    func decode(_ type: UInt8.Type, forKey key: Key) throws -> UInt8 { try decoder.integer(try value(key), key) }
    func decode(_ type: UInt16.Type, forKey key: Key) throws -> UInt16 { try decoder.integer(try value(key), key) }
    func decode(_ type: UInt32.Type, forKey key: Key) throws -> UInt32 { try decoder.integer(try value(key), key) }
    func decode(_ type: UInt64.Type, forKey key: Key) throws -> UInt64 { try decoder.integer(try value(key), key) }
    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T { try decoder.decode(T.self, try value(key), key: key) }

    func decodeIfPresent(_ type: Bool.Type, forKey key: Key) throws -> Bool? { try present(key).map { try decoder.bool($0, key) } }
    func decodeIfPresent(_ type: String.Type, forKey key: Key) throws -> String? { try present(key).map { try decoder.string($0, key) } }
    func decodeIfPresent(_ type: Double.Type, forKey key: Key) throws -> Double? { try present(key).map { try decoder.double($0, key) } }
    func decodeIfPresent(_ type: Int.Type, forKey key: Key) throws -> Int? { try present(key).map { try decoder.int($0, key) } }
    func decodeIfPresent(_ type: Int64.Type, forKey key: Key) throws -> Int64? { try present(key).map { try decoder.int64($0, key) } }
    func decodeIfPresent<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T? {
        try present(key).map { try decoder.decode(T.self, $0, key: key) }
    }

    func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws -> KeyedDecodingContainer<NestedKey> {
        try JSONValueDecoding(value: try value(key), node: PathNode(parent: decoder.node, key: key), root: decoder.root).container(keyedBy: type)
    }

    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
        try JSONValueDecoding(value: try value(key), node: PathNode(parent: decoder.node, key: key), root: decoder.root).unkeyedContainer()
    }

    func superDecoder() throws -> any Decoder { decoder }
    func superDecoder(forKey key: Key) throws -> any Decoder {
        JSONValueDecoding(value: object[key.stringValue] ?? .null, node: PathNode(parent: decoder.node, key: key), root: decoder.root)
    }
}

struct UnkeyedContainer: UnkeyedDecodingContainer {
    let array: [JSONValue]
    let decoder: JSONValueDecoding
    var currentIndex = 0

    init(array: [JSONValue], decoder: JSONValueDecoding) {
        self.array = array
        self.decoder = decoder
    }

    var codingPath: [any CodingKey] { decoder.codingPath }
    var count: Int? { array.count }
    var isAtEnd: Bool { currentIndex >= array.count }

    mutating func next() throws -> (JSONValue, IndexKey) {
        let key = IndexKey(currentIndex)
        guard currentIndex < array.count else {
            throw JSONDecodingError(path: decoder.path(key), message: "the list has only \(array.count) items")
        }
        defer { currentIndex += 1 }
        return (array[currentIndex], key)
    }

    mutating func decodeNil() throws -> Bool {
        guard currentIndex < array.count, array[currentIndex].isNull else { return false }
        currentIndex += 1
        return true
    }

    mutating func decode(_ type: Bool.Type) throws -> Bool { let (v, k) = try next(); return try decoder.bool(v, k) }
    mutating func decode(_ type: String.Type) throws -> String { let (v, k) = try next(); return try decoder.string(v, k) }
    mutating func decode(_ type: Double.Type) throws -> Double { let (v, k) = try next(); return try decoder.double(v, k) }
    mutating func decode(_ type: Float.Type) throws -> Float { let (v, k) = try next(); return Float(try decoder.double(v, k)) }
    mutating func decode(_ type: Int.Type) throws -> Int { let (v, k) = try next(); return try decoder.int(v, k) }
    mutating func decode(_ type: Int8.Type) throws -> Int8 { let (v, k) = try next(); return try decoder.integer(v, k) }
    mutating func decode(_ type: Int16.Type) throws -> Int16 { let (v, k) = try next(); return try decoder.integer(v, k) }
    mutating func decode(_ type: Int32.Type) throws -> Int32 { let (v, k) = try next(); return try decoder.integer(v, k) }
    mutating func decode(_ type: Int64.Type) throws -> Int64 { let (v, k) = try next(); return try decoder.int64(v, k) }
    mutating func decode(_ type: UInt.Type) throws -> UInt { let (v, k) = try next(); return try decoder.integer(v, k) }
    mutating func decode(_ type: UInt8.Type) throws -> UInt8 { let (v, k) = try next(); return try decoder.integer(v, k) }
    mutating func decode(_ type: UInt16.Type) throws -> UInt16 { let (v, k) = try next(); return try decoder.integer(v, k) }
    mutating func decode(_ type: UInt32.Type) throws -> UInt32 { let (v, k) = try next(); return try decoder.integer(v, k) }
    mutating func decode(_ type: UInt64.Type) throws -> UInt64 { let (v, k) = try next(); return try decoder.integer(v, k) }
    mutating func decode<T: Decodable>(_ type: T.Type) throws -> T { let (v, k) = try next(); return try decoder.decode(T.self, v, key: k) }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws -> KeyedDecodingContainer<NestedKey> {
        let (v, k) = try next()
        return try JSONValueDecoding(value: v, node: PathNode(parent: decoder.node, key: k), root: decoder.root).container(keyedBy: type)
    }

    mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer {
        let (v, k) = try next()
        return try JSONValueDecoding(value: v, node: PathNode(parent: decoder.node, key: k), root: decoder.root).unkeyedContainer()
    }

    mutating func superDecoder() throws -> any Decoder {
        let (v, k) = try next()
        return JSONValueDecoding(value: v, node: PathNode(parent: decoder.node, key: k), root: decoder.root)
    }
}

extension JSONValue: Decodable {
    /// Any JSON value, from any decoder (`JSONValueDecoder` hands the tree over as it is).
    public init(from decoder: any Decoder) throws {
        if let d = decoder as? JSONValueDecoding { self = d.value; return }
        if let keyed = try? decoder.container(keyedBy: AnyKey.self) {
            var o: [String: JSONValue] = [:]
            for k in keyed.allKeys { o[k.stringValue] = try keyed.decode(JSONValue.self, forKey: k) }
            self = .object(o)
        } else if var list = try? decoder.unkeyedContainer() {
            var a: [JSONValue] = []
            while !list.isAtEnd { a.append(try list.decode(JSONValue.self)) }
            self = .array(a)
        } else {
            let c = try decoder.singleValueContainer()
            if c.decodeNil() { self = .null }
            else if let b = try? c.decode(Bool.self) { self = .bool(b) }
            else if let i = try? c.decode(Int64.self) { self = .int(i) }
            else if let d = try? c.decode(Double.self) { self = .double(d) }
            else { self = .string(try c.decode(String.self)) }
        }
    }

    private struct AnyKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }
}
