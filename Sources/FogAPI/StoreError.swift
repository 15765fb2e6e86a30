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
}
