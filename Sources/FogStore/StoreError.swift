import FogModel

/// A store failure with the HTTP status Kubernetes would give it.
public struct StoreError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Code: String, Sendable, Hashable {
        case notFound = "NotFound"
        case alreadyExists = "AlreadyExists"
        case conflict = "Conflict"
        case invalid = "Invalid"
        case compacted = "Expired"
        case storage = "InternalError"
        // Raised by the API server, carried to remote clients the same way.
        case badRequest = "BadRequest"
        case unauthorized = "Unauthorized"
        case forbidden = "Forbidden"
        case tooLarge = "RequestEntityTooLarge"
        case unavailable = "ServiceUnavailable"
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var httpStatus: Int {
        switch code {
        case .notFound: return 404
        case .alreadyExists, .conflict: return 409
        case .invalid: return 422
        case .compacted: return 410
        case .storage: return 500
        case .badRequest: return 400
        case .unauthorized: return 401
        case .forbidden: return 403
        case .tooLarge: return 413
        case .unavailable: return 503
        }
    }

    public var description: String { message }

    static func notFound(_ key: ObjectKey) -> StoreError {
        StoreError(.notFound, "\(key.kind.lowercased()) \"\(key.name)\" not found" + (key.namespace.isEmpty ? "" : " in namespace \"\(key.namespace)\""))
    }
    static func conflict(_ key: ObjectKey, stored: Int64, given: Int64) -> StoreError {
        StoreError(.conflict, "Operation cannot be fulfilled on \(key.kind.lowercased()) \"\(key.name)\": the object has been modified (resourceVersion \(given) is stale, the stored one is \(stored)); read the latest version and try again")
    }
}
