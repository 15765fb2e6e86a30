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
/// filled in later by nested containers (each holds its own slot). Members are kept in their
/// own stored properties so that adding one mutates in place.
final class EncodingSlot {
    private var scalar: JSONValue?
    private var members: [String: EncodingSlot]?
    private var elements: [EncodingSlot]?

    func set(_ value: JSONValue) { scalar = value; members = nil; elements = nil }

    var value: JSONValue {
        if let members {
            var o: [String: JSONValue] = [:]
            o.reserveCapacity(members.count)
            for (k, slot) in members { o[k] = slot.value }
            return .object(o)
        }
        if let elements { return .array(elements.map(\.value)) }
        return scalar ?? .object([:])
    }

    func member(_ key: String) -> EncodingSlot {
        let slot = EncodingSlot()
        ensureObject()
        members![key] = slot
        return slot
    }

    /// Sets `key` to a plain value (no slot of its own).
    func setMember(_ key: String, _ value: JSONValue) {
        let slot = EncodingSlot()
        slot.scalar = value
        ensureObject()
        members![key] = slot
    }

    func ensureObject() {
        if members == nil { members = [:]; scalar = nil; elements = nil }
    }

    func appendElement() -> EncodingSlot {
        let slot = EncodingSlot()
        ensureArray()
        elements!.append(slot)
        return slot
    }

    func ensureArray() {
        if elements == nil { elements = []; scalar = nil; members = nil }
    }

    var count: Int { elements?.count ?? 0 }
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
        // Metatype comparisons, not dynamic casts: this runs for every field of every status write.
        if T.self == String.self { slot.set(.string(value as! String)) }
        else if T.self == Double.self { slot.set(.double(value as! Double)) }
        else if T.self == Int.self { slot.set(.int(Int64(value as! Int))) }
        else if T.self == Bool.self { slot.set(.bool(value as! Bool)) }
        else if T.self == JSONValue.self { slot.set(value as! JSONValue) }
        else if T.self == Int64.self { slot.set(.int(value as! Int64)) }
        else { try value.encode(to: JSONTreeEncoder(codingPath: path, slot: slot)) }
    }
}

struct KeyedTreeContainer<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let slot: EncodingSlot
    let codingPath: [any CodingKey]

    mutating func encodeNil(forKey key: Key) throws { slot.setMember(key.stringValue, .null) }
    mutating func encode(_ value: Bool, forKey key: Key) throws { slot.setMember(key.stringValue, .bool(value)) }
    mutating func encode(_ value: String, forKey key: Key) throws { slot.setMember(key.stringValue, .string(value)) }
    mutating func encode(_ value: Double, forKey key: Key) throws { slot.setMember(key.stringValue, .double(value)) }
    mutating func encode(_ value: Float, forKey key: Key) throws { slot.setMember(key.stringValue, .double(Double(value))) }
    mutating func encode(_ value: Int, forKey key: Key) throws { slot.setMember(key.stringValue, .int(Int64(value))) }
    mutating func encode(_ value: Int64, forKey key: Key) throws { slot.setMember(key.stringValue, .int(value)) }
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

    mutating func encodeNil() throws { slot.appendElement().set(.null) }
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

    mutating func encodeNil() throws { slot.set(.null) }
    mutating func encode(_ value: Bool) throws { slot.set(.bool(value)) }
    mutating func encode(_ value: String) throws { slot.set(.string(value)) }
    mutating func encode(_ value: Double) throws { slot.set(.double(value)) }
    mutating func encode(_ value: Int) throws { slot.set(.int(Int64(value))) }
    mutating func encode(_ value: Int64) throws { slot.set(.int(value)) }
    mutating func encode<T: Encodable>(_ value: T) throws { try JSONTreeEncoder.encode(value, into: slot, path: codingPath) }
}

extension JSONValue: Encodable {
    public func encode(to encoder: any Encoder) throws {
        if let tree = encoder as? JSONTreeEncoder { tree.slot.set(self); return }
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
