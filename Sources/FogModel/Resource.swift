import Foundation

/// The API group and version every fog object carries.
public let fogAPIVersion = "fog/v1alpha1"

/// The version of this build (fogctl's and its server's).
public enum FogBuild {
    public static let version = "0.5.0-dev"
}

/// A reference from an object to the object that owns it; owned objects are
/// garbage-collected when their owner goes.
public struct OwnerReference: Sendable, Hashable {
    public var apiVersion: String
    public var kind: String
    public var name: String
    public var uid: String
    public var controller: Bool?
    public var blockOwnerDeletion: Bool?

    public init(apiVersion: String = fogAPIVersion, kind: String, name: String, uid: String,
                controller: Bool? = nil, blockOwnerDeletion: Bool? = nil) {
        self.apiVersion = apiVersion
        self.kind = kind
        self.name = name
        self.uid = uid
        self.controller = controller
        self.blockOwnerDeletion = blockOwnerDeletion
    }
}

/// Kubernetes-style object metadata. `namespace` is "" for cluster-scoped kinds.
public struct ObjectMeta: Sendable, Hashable {
    public var name: String
    public var namespace: String
    public var uid: String = ""
    /// Store-wide revision of the last write to this object; 0 before it is stored.
    public var resourceVersion: Int64 = 0
    /// Incremented by the store on every change to `spec`.
    public var generation: Int64 = 0
    public var creationTimestamp: String?
    public var deletionTimestamp: String?
    public var labels: [String: String] = [:]
    public var annotations: [String: String] = [:]
    public var finalizers: [String] = []
    public var ownerReferences: [OwnerReference] = []

    public init(name: String, namespace: String = "") {
        self.name = name
        self.namespace = namespace
    }
}

/// One object of any kind: typed metadata, and the rest of the document
/// (`spec`, `status`, or an Event's top-level fields) as JSON.
public struct Resource: Sendable, Hashable {
    public var apiVersion: String
    public var kind: String
    public var metadata: ObjectMeta
    /// Top-level fields other than apiVersion, kind and metadata.
    public var content: [String: JSONValue]

    public init(apiVersion: String = fogAPIVersion, kind: String, metadata: ObjectMeta,
                content: [String: JSONValue] = [:]) {
        self.apiVersion = apiVersion
        self.kind = kind
        self.metadata = metadata
        self.content = content
    }

    public var spec: JSONValue? {
        get { content["spec"] }
        set { content["spec"] = newValue }
    }
    public var status: JSONValue? {
        get { content["status"] }
        set { content["status"] = newValue }
    }
    public var name: String { metadata.name }
    public var namespace: String { metadata.namespace }
    public var key: ObjectKey { ObjectKey(kind: kind, namespace: metadata.namespace, name: metadata.name) }

    /// The condition of one type, decoding only that one (hot paths read one condition of many objects).
    public func condition(_ type: String) -> Condition? {
        guard let all = status?["conditions"]?.arrayValue else { return nil }
        for c in all where c["type"]?.stringValue == type { return Condition(json: c) }
        return nil
    }

    /// `status.conditions`, decoded.
    public var conditions: [Condition] {
        get { (status?["conditions"]?.arrayValue ?? []).compactMap(Condition.init(json:)) }
        set {
            var s = status?.objectValue ?? [:]
            s["conditions"] = .array(newValue.map(\.json))
            status = .object(s)
        }
    }
}

/// Identifies one object: kind, namespace ("" when cluster-scoped) and name.
public struct ObjectKey: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var kind: String
    public var namespace: String
    public var name: String
    public init(kind: String, namespace: String, name: String) {
        self.kind = kind
        self.namespace = namespace
        self.name = name
    }
    public var description: String {
        namespace.isEmpty ? "\(kind)/\(name)" : "\(kind)/\(namespace)/\(name)"
    }
    public static func < (a: ObjectKey, b: ObjectKey) -> Bool {
        (a.kind, a.namespace, a.name) < (b.kind, b.namespace, b.name)
    }
}

// MARK: - JSON conversion

public struct ResourceDecodingError: Error, CustomStringConvertible, Sendable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

extension OwnerReference {
    public var json: JSONValue {
        var o: [String: JSONValue] = ["apiVersion": .string(apiVersion), "kind": .string(kind),
                                      "name": .string(name), "uid": .string(uid)]
        if let controller { o["controller"] = .bool(controller) }
        if let blockOwnerDeletion { o["blockOwnerDeletion"] = .bool(blockOwnerDeletion) }
        return .object(o)
    }

    public init?(json: JSONValue) {
        guard let kind = json["kind"]?.stringValue, let name = json["name"]?.stringValue else { return nil }
        self.init(apiVersion: json["apiVersion"]?.stringValue ?? fogAPIVersion, kind: kind, name: name,
                  uid: json["uid"]?.stringValue ?? "", controller: json["controller"]?.boolValue,
                  blockOwnerDeletion: json["blockOwnerDeletion"]?.boolValue)
    }
}

extension ObjectMeta {
    /// Writes `json` compactly with sorted keys, without building it.
    func write(into out: inout [UInt8]) {
        var first = true
        func key(_ k: String) {
            out.append(first ? UInt8(ascii: "{") : UInt8(ascii: ","))
            first = false
            JSONCoding.writeString(k, into: &out)
            out.append(UInt8(ascii: ":"))
        }
        func strings(_ m: [String: String]) {
            JSONCoding.writeObject(m.sorted { $0.key < $1.key }.map { (key: $0.key, value: JSONValue.string($0.value)) }, into: &out)
        }
        // Keys in sorted order.
        if !annotations.isEmpty { key("annotations"); strings(annotations) }
        if let creationTimestamp { key("creationTimestamp"); JSONCoding.writeString(creationTimestamp, into: &out) }
        if let deletionTimestamp { key("deletionTimestamp"); JSONCoding.writeString(deletionTimestamp, into: &out) }
        if !finalizers.isEmpty { key("finalizers"); JSONCoding.write(.array(finalizers.map { .string($0) }), into: &out) }
        if generation > 0 { key("generation"); JSONCoding.writeInt(generation, into: &out) }
        if !labels.isEmpty { key("labels"); strings(labels) }
        key("name"); JSONCoding.writeString(name, into: &out)
        if !namespace.isEmpty { key("namespace"); JSONCoding.writeString(namespace, into: &out) }
        if !ownerReferences.isEmpty { key("ownerReferences"); JSONCoding.write(.array(ownerReferences.map(\.json)), into: &out) }
        if resourceVersion > 0 { key("resourceVersion"); JSONCoding.writeString(String(resourceVersion), into: &out) }
        if !uid.isEmpty { key("uid"); JSONCoding.writeString(uid, into: &out) }
        out.append(UInt8(ascii: "}"))
    }

    public var json: JSONValue {
        var o: [String: JSONValue] = ["name": .string(name)]
        if !namespace.isEmpty { o["namespace"] = .string(namespace) }
        if !uid.isEmpty { o["uid"] = .string(uid) }
        if resourceVersion > 0 { o["resourceVersion"] = .string(String(resourceVersion)) }
        if generation > 0 { o["generation"] = .int(generation) }
        if let creationTimestamp { o["creationTimestamp"] = .string(creationTimestamp) }
        if let deletionTimestamp { o["deletionTimestamp"] = .string(deletionTimestamp) }
        if !labels.isEmpty { o["labels"] = .object(labels.mapValues { .string($0) }) }
        if !annotations.isEmpty { o["annotations"] = .object(annotations.mapValues { .string($0) }) }
        if !finalizers.isEmpty { o["finalizers"] = .array(finalizers.map { .string($0) }) }
        if !ownerReferences.isEmpty { o["ownerReferences"] = .array(ownerReferences.map(\.json)) }
        return .object(o)
    }

    /// Reads metadata already checked by admission (or written by the store).
    public init(json: JSONValue) throws {
        guard let o = json.objectValue else { throw ResourceDecodingError("metadata must be an object") }
        guard let name = o["name"]?.stringValue else { throw ResourceDecodingError("metadata.name is required") }
        self.init(name: name, namespace: o["namespace"]?.stringValue ?? "")
        // One pass over the fields (short keys compare faster than they hash).
        for (key, value) in o {
            switch key {
            case "uid": uid = value.stringValue ?? ""
            case "resourceVersion": resourceVersion = value.stringValue.flatMap { Int64($0) } ?? value.intValue ?? 0
            case "generation": generation = value.intValue ?? 0
            case "creationTimestamp": creationTimestamp = value.stringValue
            case "deletionTimestamp": deletionTimestamp = value.stringValue
            case "labels": labels = (value.objectValue ?? [:]).compactMapValues(\.stringValue)
            case "annotations": annotations = (value.objectValue ?? [:]).compactMapValues(\.stringValue)
            case "finalizers": finalizers = (value.arrayValue ?? []).compactMap(\.stringValue)
            case "ownerReferences": ownerReferences = (value.arrayValue ?? []).compactMap(OwnerReference.init(json:))
            default: break
            }
        }
    }
}

extension Resource {
    public var json: JSONValue {
        var o = content
        o["apiVersion"] = .string(apiVersion)
        o["kind"] = .string(kind)
        o["metadata"] = metadata.json
        return .object(o)
    }

    public init(json: JSONValue) throws {
        guard var o = json.objectValue else { throw ResourceDecodingError("an object must be a mapping") }
        guard let kind = o.removeValue(forKey: "kind")?.stringValue else { throw ResourceDecodingError("kind is required") }
        let apiVersion = o.removeValue(forKey: "apiVersion")?.stringValue ?? fogAPIVersion
        guard let meta = o.removeValue(forKey: "metadata") else { throw ResourceDecodingError("metadata is required") }
        self.init(apiVersion: apiVersion, kind: kind, metadata: try ObjectMeta(json: meta), content: o)
    }

    /// The stored form: compact JSON with sorted keys (the same bytes as
    /// `JSONCoding.encode(json)`, with metadata written without a tree).
    public func encoded() -> String {
        var out: [UInt8] = []
        out.reserveCapacity(512)
        var keys = Array(content.keys)
        keys.append("apiVersion")
        keys.append("kind")
        keys.append("metadata")
        keys.sort()
        out.append(UInt8(ascii: "{"))
        for (n, key) in keys.enumerated() {
            if n > 0 { out.append(UInt8(ascii: ",")) }
            JSONCoding.writeString(key, into: &out)
            out.append(UInt8(ascii: ":"))
            switch key {
            case "apiVersion": JSONCoding.writeString(apiVersion, into: &out)
            case "kind": JSONCoding.writeString(kind, into: &out)
            case "metadata": metadata.write(into: &out)
            default: JSONCoding.write(content[key]!, into: &out)
            }
        }
        out.append(UInt8(ascii: "}"))
        return String(decoding: out, as: UTF8.self)
    }

    public static func decode(_ text: String) throws -> Resource { try Resource(json: JSONCoding.parse(text)) }
}
