/// A failure any layer of the API reports the way Kubernetes does: an HTTP
/// status and a Status `reason` (`NotFound`, `Conflict`, …) with a message.
/// The embedded store, the API server and the HTTP client throw the same types.
public protocol FogAPIError: Error, Sendable, CustomStringConvertible {
    /// The Kubernetes Status reason, e.g. `NotFound`.
    var reason: String { get }
    var httpStatus: Int { get }
    var message: String { get }
}

extension FogAPIError {
    public var description: String { message }
}

/// The typed error a Kubernetes Status body stands for: by its `reason` when
/// known, else by its HTTP status; anything else is a `StoreError` of code `.storage`.
public func fogAPIError(reason: String?, httpStatus: Int, message: String) -> any FogAPIError {
    if let reason {
        if let code = StoreError.Code(reason: reason) { return StoreError(code, message) }
        if let code = AdmissionError.Code(reason: reason) { return AdmissionError(code, message) }
        if let code = AuthError.Code(reason: reason) { return AuthError(code, message) }
        if let code = TransportError.Code(reason: reason) { return TransportError(code, message) }
    }
    switch httpStatus {
    case 400: return AdmissionError(.badRequest, message)
    case 401: return AuthError(.unauthorized, message)
    case 403: return AuthError(.forbidden, message)
    case 404: return StoreError(.notFound, message)
    case 409: return StoreError(.conflict, message)
    case 410: return StoreError(.compacted, message)
    case 413: return AdmissionError(.tooLarge, message)
    case 429: return AdmissionError(.tooManyRequests, message)
    case 422: return AdmissionError(.invalid, message)
    default: return StoreError(.storage, message)
    }
}

/// A store failure: the object is missing or already there, the write lost a
/// race, the revision has been compacted, or the storage itself failed.
public struct StoreError: FogAPIError, Hashable {
    /// A struct over a private enum, so that new codes do not break exhaustive switches.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum _Code: String, Hashable, Sendable {
            case notFound = "NotFound"
            case alreadyExists = "AlreadyExists"
            case conflict = "Conflict"
            case compacted = "Expired"
            case storage = "InternalError"
        }

        private var code: _Code

        private init(_ code: _Code) {
            self.code = code
        }

        /// The code whose Status reason is `reason`.
        public init?(reason: String) {
            guard let code = _Code(rawValue: reason) else { return nil }
            self.init(code)
        }

        /// 404.
        public static let notFound = Code(.notFound)
        /// 409: the name is taken.
        public static let alreadyExists = Code(.alreadyExists)
        /// 409: the object changed since it was read, or an expectation does not hold.
        public static let conflict = Code(.conflict)
        /// 410 (reason `Expired`): the revision has been compacted; list again.
        public static let compacted = Code(.compacted)
        /// 500 (reason `InternalError`): the state file failed.
        public static let storage = Code(.storage)

        /// The Kubernetes Status reason.
        public var reason: String { code.rawValue }

        public var httpStatus: Int {
            switch code {
            case .notFound: return 404
            case .alreadyExists, .conflict: return 409
            case .compacted: return 410
            case .storage: return 500
            }
        }

        public var description: String { reason }
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var reason: String { code.reason }
    public var httpStatus: Int { code.httpStatus }
}

/// A request refused before it reaches the store: malformed, invalid against its schema, or too large.
public struct AdmissionError: FogAPIError, Hashable {
    /// A struct over a private enum, so that new codes do not break exhaustive switches.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum _Code: String, Hashable, Sendable {
            case invalid = "Invalid"
            case badRequest = "BadRequest"
            case tooLarge = "RequestEntityTooLarge"
            case tooManyRequests = "TooManyRequests"
        }

        private var code: _Code

        private init(_ code: _Code) {
            self.code = code
        }

        /// The code whose Status reason is `reason`.
        public init?(reason: String) {
            guard let code = _Code(rawValue: reason) else { return nil }
            self.init(code)
        }

        /// 422: the object does not satisfy its schema.
        public static let invalid = Code(.invalid)
        /// 400: the request is malformed.
        public static let badRequest = Code(.badRequest)
        /// 413 (reason `RequestEntityTooLarge`).
        public static let tooLarge = Code(.tooLarge)
        /// 429: the caller holds too much at once (e.g. open watches).
        public static let tooManyRequests = Code(.tooManyRequests)

        /// The Kubernetes Status reason.
        public var reason: String { code.rawValue }

        public var httpStatus: Int {
            switch code {
            case .invalid: return 422
            case .badRequest: return 400
            case .tooLarge: return 413
            case .tooManyRequests: return 429
            }
        }

        public var description: String { reason }
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var reason: String { code.reason }
    public var httpStatus: Int { code.httpStatus }
}

/// The caller is not known, or may not do what it asks.
public struct AuthError: FogAPIError, Hashable {
    /// A struct over a private enum, so that new codes do not break exhaustive switches.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum _Code: String, Hashable, Sendable {
            case unauthorized = "Unauthorized"
            case forbidden = "Forbidden"
        }

        private var code: _Code

        private init(_ code: _Code) {
            self.code = code
        }

        /// The code whose Status reason is `reason`.
        public init?(reason: String) {
            guard let code = _Code(rawValue: reason) else { return nil }
            self.init(code)
        }

        /// 401: no credentials, or credentials not valid.
        public static let unauthorized = Code(.unauthorized)
        /// 403: known, but not allowed.
        public static let forbidden = Code(.forbidden)

        /// The Kubernetes Status reason.
        public var reason: String { code.rawValue }

        public var httpStatus: Int {
            switch code {
            case .unauthorized: return 401
            case .forbidden: return 403
            }
        }

        public var description: String { reason }
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var reason: String { code.reason }
    public var httpStatus: Int { code.httpStatus }
}

/// The server cannot be reached, or is not ready: try again later.
public struct TransportError: FogAPIError, Hashable {
    /// A struct over a private enum, so that new codes do not break exhaustive switches.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum _Code: String, Hashable, Sendable {
            case unavailable = "ServiceUnavailable"
        }

        private var code: _Code

        private init(_ code: _Code) {
            self.code = code
        }

        /// The code whose Status reason is `reason`.
        public init?(reason: String) {
            guard let code = _Code(rawValue: reason) else { return nil }
            self.init(code)
        }

        /// 503 (reason `ServiceUnavailable`).
        public static let unavailable = Code(.unavailable)

        /// The Kubernetes Status reason.
        public var reason: String { code.rawValue }

        public var httpStatus: Int {
            switch code {
            case .unavailable: return 503
            }
        }

        public var description: String { reason }
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var reason: String { code.reason }
    public var httpStatus: Int { code.httpStatus }
}
