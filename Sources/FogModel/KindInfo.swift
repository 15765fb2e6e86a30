/// What a kind is called and how it is shown: the fog equivalent of a CRD's
/// names and printer columns. Read from each schema's `x-fog` block.
public struct KindInfo: Sendable, Hashable {
    public struct Column: Sendable, Hashable {
        public var name: String
        public var jsonPath: String
        public var type: String
        /// 0: always shown; 1: only with `-o wide`.
        public var priority: Int
        public init(name: String, jsonPath: String, type: String = "string", priority: Int = 0) {
            self.name = name
            self.jsonPath = jsonPath
            self.type = type
            self.priority = priority
        }
    }

    public var kind: String
    public var plural: String
    public var singular: String
    public var shortNames: [String]
    public var namespaced: Bool
    public var columns: [Column]

    public init(kind: String, plural: String, singular: String, shortNames: [String] = [],
                namespaced: Bool, columns: [Column] = []) {
        self.kind = kind
        self.plural = plural
        self.singular = singular
        self.shortNames = shortNames
        self.namespaced = namespaced
        self.columns = columns
    }
}

/// All known kinds, found by kind name, plural, singular or short name, case-insensitively.
public struct KindRegistry: Sendable {
    public private(set) var kinds: [KindInfo] = []
    private var byAlias: [String: Int] = [:]

    public init(_ kinds: [KindInfo] = []) { for k in kinds { register(k) } }

    public mutating func register(_ info: KindInfo) {
        kinds.append(info)
        let i = kinds.count - 1
        for alias in [info.kind, info.plural, info.singular] + info.shortNames {
            byAlias[alias.lowercased()] = i
        }
    }

    public func lookup(_ name: String) -> KindInfo? { byAlias[name.lowercased()].map { kinds[$0] } }
    public func info(forKind kind: String) -> KindInfo? { kinds.first { $0.kind == kind } }
}
