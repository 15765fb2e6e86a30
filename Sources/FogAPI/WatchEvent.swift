import FogModel

/// What a watch delivers: changes in revision order, and bookmarks that say
/// "nothing you asked for happened up to this revision".
public enum WatchEvent: Sendable, Hashable {
    case added(Resource, revision: Int64)
    case modified(Resource, revision: Int64)
    case deleted(Resource, revision: Int64)
    case bookmark(revision: Int64)

    public var revision: Int64 {
        switch self {
        case .added(_, let r), .modified(_, let r), .deleted(_, let r), .bookmark(let r): return r
        }
    }

    public var object: Resource? {
        switch self {
        case .added(let o, _), .modified(let o, _), .deleted(let o, _): return o
        case .bookmark: return nil
        }
    }

    public var typeName: String {
        switch self {
        case .added: return "ADDED"
        case .modified: return "MODIFIED"
        case .deleted: return "DELETED"
        case .bookmark: return "BOOKMARK"
        }
    }

    public init(_ e: StoreEvent) {
        switch e.type {
        case .added: self = .added(e.object, revision: e.revision)
        case .modified: self = .modified(e.object, revision: e.revision)
        case .deleted: self = .deleted(e.object, revision: e.revision)
        }
    }
}
