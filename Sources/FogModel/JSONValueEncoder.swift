/// Encodes an `Encodable` value straight into a `JSONValue` tree, the counterpart of
/// `JSONValueDecoder`: controllers build a typed status (`FogNodeStatus`, …) and the store
/// takes JSON. Integers become `.int`, floating-point numbers `.double` (also when whole),
/// `nil` optionals are left out (`encodeIfPresent`), a `JSONValue` is taken as it is.
///
/// ```swift
/// let json = try JSONValueEncoder().encode(status)   // .object(["phase": "Running", …])
/// ```
public struct JSONValueEncoder: Sendable {
    public init() {}

    public func encode<T: Encodable>(_ value: T) throws -> JSONValue {
        if let json = value as? JSONValue { return json }
        let encoder = JSONTreeEncoder(codingPath: [])
        try value.encode(to: encoder)
        return encoder.slot.value
    }
}

/// Where one encoder's value goes: a plain value, or an object or array whose members are
/// filled in later by nested containers (each holds its own slot).
final class EncodingSlot {
    enum Content {
        case empty
        case value(JSONValue)
        case object([String: EncodingSlot])
        case array([EncodingSlot])
    }
    var content: Content = .empty

    var value: JSONValue {
        switch content {
        case .empty: return .object([:])
        case .value(let v): return v
        case .object(let members):
            var o: [String: JSONValue] = [:]
            o.reserveCapacity(members.count)
            for (k, slot) in members { o[k] = slot.value }
            return .object(o)
        case .array(let elements): return .array(elements.map(\.value))
        }
    }

    func member(_ key: String) -> EncodingSlot {
        var members: [String: EncodingSlot]
        if case .object(let m) = content { members = m } else { members = [:] }
        let slot = EncodingSlot()
        members[key] = slot
        content = .object(members)
        return slot
    }

    func ensureObject() {
        if case .object = content { return }
        content = .object([:])
    }

    func appendElement() -> EncodingSlot {
        var elements: [EncodingSlot]
        if case .array(let a) = content { elements = a } else { elements = [] }
        let slot = EncodingSlot()
        elements.append(slot)
        content = .array(elements)
        return slot
    }

    func ensureArray() {
        if case .array = content { return }
        content = .array([])
    }

    var count: Int {
        if case .array(let a) = content { return a.count }
        return 0
    }
}

final class JSONTreeEncoder: Encoder {
    let codingPath: [any CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }
    let slot: EncodingSlot

    init(codingPath: [any CodingKey], slot: EncodingSlot = EncodingSlot()) {
        self.codingPath = codingPath
        self.slot = slot
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        slot.ensureObject()
        return KeyedEncodingContainer(KeyedTreeContainer<Key>(slot: slot, codingPath: codingPath))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        slot.ensureArray()
        return UnkeyedTreeContainer(slot: slot, codingPath: codingPath)
    }

    func singleValueContainer() -> any SingleValueEncodingContainer {
        SingleTreeContainer(slot: slot, codingPath: codingPath)
    }

    /// `value` into `slot`: scalars and `JSONValue` directly, anything else through its `encode(to:)`.
    static func encode<T: Encodable>(_ value: T, into slot: EncodingSlot, path: [any CodingKey]) throws {
        switch value {
        case let v as JSONValue: slot.content = .value(v)
        case let v as String: slot.content = .value(.string(v))
        case let v as Double: slot.content = .value(.double(v))
        case let v as Int: slot.content = .value(.int(Int64(v)))
        case let v as Int64: slot.content = .value(.int(v))
        case let v as Bool: slot.content = .value(.bool(v))
        default: try value.encode(to: JSONTreeEncoder(codingPath: path, slot: slot))
        }
    }
}

struct KeyedTreeContainer<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let slot: EncodingSlot
    let codingPath: [any CodingKey]

    mutating func encodeNil(forKey key: Key) throws { slot.member(key.stringValue).content = .value(.null) }
    mutating func encode(_ value: Bool, forKey key: Key) throws { slot.member(key.stringValue).content = .value(.bool(value)) }
    mutating func encode(_ value: String, forKey key: Key) throws { slot.member(key.stringValue).content = .value(.string(value)) }
    mutating func encode(_ value: Double, forKey key: Key) throws { slot.member(key.stringValue).content = .value(.double(value)) }
    mutating func encode(_ value: Float, forKey key: Key) throws { slot.member(key.stringValue).content = .value(.double(Double(value))) }
    mutating func encode(_ value: Int, forKey key: Key) throws { slot.member(key.stringValue).content = .value(.int(Int64(value))) }
    mutating func encode(_ value: Int64, forKey key: Key) throws { slot.member(key.stringValue).content = .value(.int(value)) }
    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
        try JSONTreeEncoder.encode(value, into: slot.member(key.stringValue), path: codingPath + [key])
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key) -> KeyedEncodingContainer<NestedKey> {
        let child = slot.member(key.stringValue)
        child.ensureObject()
        return KeyedEncodingContainer(KeyedTreeContainer<NestedKey>(slot: child, codingPath: codingPath + [key]))
    }

    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        let child = slot.member(key.stringValue)
        child.ensureArray()
        return UnkeyedTreeContainer(slot: child, codingPath: codingPath + [key])
    }

    mutating func superEncoder() -> any Encoder { JSONTreeEncoder(codingPath: codingPath, slot: slot.member("super")) }
    mutating func superEncoder(forKey key: Key) -> any Encoder {
        JSONTreeEncoder(codingPath: codingPath + [key], slot: slot.member(key.stringValue))
    }
}

struct UnkeyedTreeContainer: UnkeyedEncodingContainer {
    let slot: EncodingSlot
    let codingPath: [any CodingKey]
    var count: Int { slot.count }

    mutating func encodeNil() throws { slot.appendElement().content = .value(.null) }
    mutating func encode<T: Encodable>(_ value: T) throws {
        let index = IndexKey(slot.count)
        try JSONTreeEncoder.encode(value, into: slot.appendElement(), path: codingPath + [index])
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
        let index = IndexKey(slot.count)
        let child = slot.appendElement()
        child.ensureObject()
        return KeyedEncodingContainer(KeyedTreeContainer<NestedKey>(slot: child, codingPath: codingPath + [index]))
    }

    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
        let index = IndexKey(slot.count)
        let child = slot.appendElement()
        child.ensureArray()
        return UnkeyedTreeContainer(slot: child, codingPath: codingPath + [index])
    }

    mutating func superEncoder() -> any Encoder {
        JSONTreeEncoder(codingPath: codingPath + [IndexKey(slot.count)], slot: slot.appendElement())
    }
}

struct SingleTreeContainer: SingleValueEncodingContainer {
    let slot: EncodingSlot
    let codingPath: [any CodingKey]

    mutating func encodeNil() throws { slot.content = .value(.null) }
    mutating func encode(_ value: Bool) throws { slot.content = .value(.bool(value)) }
    mutating func encode(_ value: String) throws { slot.content = .value(.string(value)) }
    mutating func encode(_ value: Double) throws { slot.content = .value(.double(value)) }
    mutating func encode(_ value: Int) throws { slot.content = .value(.int(Int64(value))) }
    mutating func encode(_ value: Int64) throws { slot.content = .value(.int(value)) }
    mutating func encode<T: Encodable>(_ value: T) throws { try JSONTreeEncoder.encode(value, into: slot, path: codingPath) }
}

extension JSONValue: Encodable {
    public func encode(to encoder: any Encoder) throws {
        if let tree = encoder as? JSONTreeEncoder { tree.slot.content = .value(self); return }
        var c = encoder.singleValueContainer()
        switch self {
        case .null: try c.encodeNil()
        case .bool(let b): try c.encode(b)
        case .int(let i): try c.encode(i)
        case .double(let d): try c.encode(d)
        case .string(let s): try c.encode(s)
        case .array(let a): try c.encode(a)
        case .object(let o): try c.encode(o)
        }
    }
}
