/// The limits every object obeys, the same in `fogctl apply`, on the API and in the store
/// (which checks every write, so no path around the first two can store more). Each refusal
/// names its limit.
public enum ObjectLimits {
    /// Largest object, as stored (compact JSON): etcd's default request limit, 1.5 MiB.
    public static let maxObjectBytes = 1_572_864
    /// Most bytes of annotations (keys and values together): Kubernetes' 256 KiB.
    public static let maxAnnotationBytes = 262_144
    /// Deepest nesting of mappings and sequences in an object (its root is level 0). The YAML
    /// reader takes the same limit, so whatever is stored can be read back and applied again.
    public static let maxDepth = 64
    /// Largest status one agent write may carry (a heartbeat is about 2 KB): an agent cannot
    /// fill its node's object and crowd out what the controllers write there.
    public static let maxAgentStatusBytes = 65_536
    /// Most distinct events kept about one object; recording another drops the oldest.
    public static let maxEventsPerObject = 50

    public struct Violation: Error, Sendable, Equatable {
        /// The object is too big (HTTP 413) rather than malformed (422).
        public var tooLarge: Bool
        public var message: String
    }

    /// What is wrong with `object` against the limits, or nil. `encodedBytes`: its size as
    /// stored, when the caller has it already.
    public static func violation(of object: Resource, encodedBytes: Int? = nil) -> Violation? {
        let annotations = object.metadata.annotations.reduce(0) { $0 + $1.key.utf8.count + $1.value.utf8.count }
        if annotations > maxAnnotationBytes {
            return Violation(tooLarge: true, message: "metadata.annotations: \(annotations) bytes; the limit is \(maxAnnotationBytes) bytes (256 KiB) in total")
        }
        // One walk gives the depth and an upper bound of the size; the object is encoded only
        // when the bound does not settle it.
        var walk = SizeWalk()
        walk.visit(.object(object.content), depth: 0)
        let depth = walk.depth
        if depth > maxDepth {
            return Violation(tooLarge: false, message: "nested \(depth) levels deep; the limit is \(maxDepth) levels")
        }
        let bound = walk.bound + metadataSizeBound(object) + 6 * (object.apiVersion.utf8.count + object.kind.utf8.count) + 64
        let bytes = encodedBytes ?? (bound <= maxObjectBytes ? 0 : object.encoded().utf8.count)
        if bytes > maxObjectBytes {
            return Violation(tooLarge: true, message: "the object is \(bytes) bytes; the limit is \(maxObjectBytes) bytes (1.5 MiB)")
        }
        return nil
    }
}

extension ObjectLimits {
    /// Nesting depth and an upper bound of the encoded size of a value, in one walk without
    /// allocating: strings as if every byte were escaped (`\u00XX`), numbers at their longest.
    struct SizeWalk {
        var depth = 0
        var bound = 0
        mutating func visit(_ value: JSONValue, depth level: Int) {
            switch value {
            case .null, .bool: bound += 5
            case .int, .double: bound += 32
            case .string(let s): bound += 2 + 6 * s.utf8.count
            case .array(let a):
                bound += 2
                if !a.isEmpty { depth = max(depth, level + 1) }
                for e in a { bound += 1; visit(e, depth: level + 1) }
            case .object(let o):
                bound += 2
                if !o.isEmpty { depth = max(depth, level + 1) }
                for (k, v) in o { bound += 4 + 6 * k.utf8.count; visit(v, depth: level + 1) }
            }
        }
    }

    /// An upper bound of the encoded size of `object`'s metadata.
    static func metadataSizeBound(_ object: Resource) -> Int {
        var walk = SizeWalk()
        walk.visit(object.metadata.json, depth: 0)
        return walk.bound
    }
}

extension JSONValue {
    /// Levels of mappings and sequences below this value: 0 for a scalar or an empty
    /// container, 1 for a container of scalars.
    public var nestingDepth: Int {
        var walk = ObjectLimits.SizeWalk()
        walk.visit(self, depth: 0)
        return walk.depth
    }
}
