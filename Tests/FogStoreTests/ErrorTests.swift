import FogAPI
import Testing

@Suite struct ErrorTests {
    /// Every code of every error type, with the reason and status the API server gives it.
    static let all: [(error: any FogAPIError, reason: String, status: Int)] = [
        (StoreError(.notFound, "m"), "NotFound", 404),
        (StoreError(.alreadyExists, "m"), "AlreadyExists", 409),
        (StoreError(.conflict, "m"), "Conflict", 409),
        (StoreError(.compacted, "m"), "Expired", 410),
        (StoreError(.storage, "m"), "InternalError", 500),
        (AdmissionError(.invalid, "m"), "Invalid", 422),
        (AdmissionError(.badRequest, "m"), "BadRequest", 400),
        (AdmissionError(.tooLarge, "m"), "RequestEntityTooLarge", 413),
        (AuthError(.unauthorized, "m"), "Unauthorized", 401),
        (AuthError(.forbidden, "m"), "Forbidden", 403),
        (TransportError(.unavailable, "m"), "ServiceUnavailable", 503),
    ]

    /// Whether two errors are of the same type with the same code and message.
    static func same(_ a: any FogAPIError, _ b: any FogAPIError) -> Bool {
        switch (a, b) {
        case let (a as StoreError, b as StoreError): return a == b
        case let (a as AdmissionError, b as AdmissionError): return a == b
        case let (a as AuthError, b as AuthError): return a == b
        case let (a as TransportError, b as TransportError): return a == b
        default: return false
        }
    }

    @Test func everyCodeRoundTripsThroughReasonAndStatus() {
        for (error, reason, status) in Self.all {
            #expect(error.reason == reason)
            #expect(error.httpStatus == status)
            #expect(error.message == "m" && "\(error)" == "m")
            let rebuilt = fogAPIError(reason: error.reason, httpStatus: error.httpStatus, message: error.message)
            #expect(Self.same(rebuilt, error), "\(reason) came back as \(type(of: rebuilt)) \(rebuilt.reason)")
            #expect(rebuilt.httpStatus == status)
        }
    }

    @Test func reasonsAreDistinct() {
        #expect(Set(Self.all.map(\.reason)).count == Self.all.count)
    }

    @Test func withoutAKnownReasonTheStatusDecides() {
        let byStatus: [(Int, any FogAPIError)] = [
            (400, AdmissionError(.badRequest, "m")), (401, AuthError(.unauthorized, "m")), (403, AuthError(.forbidden, "m")),
            (404, StoreError(.notFound, "m")), (409, StoreError(.conflict, "m")), (410, StoreError(.compacted, "m")),
            (413, AdmissionError(.tooLarge, "m")), (422, AdmissionError(.invalid, "m")), (500, StoreError(.storage, "m")),
            (502, StoreError(.storage, "m")),
        ]
        for (status, expected) in byStatus {
            #expect(Self.same(fogAPIError(reason: nil, httpStatus: status, message: "m"), expected), "HTTP \(status)")
            #expect(Self.same(fogAPIError(reason: "SomethingNew", httpStatus: status, message: "m"), expected), "HTTP \(status)")
        }
    }

    @Test func codesCompareAndPrintByReason() {
        #expect(StoreError(.conflict, "m").code == .conflict)
        #expect(StoreError(.conflict, "m").code != .alreadyExists)
        #expect(StoreError.Code.compacted.description == "Expired")
        #expect(StoreError.Code(reason: "Expired") == .compacted)
        #expect(StoreError.Code(reason: "Forbidden") == nil)
        #expect(AuthError.Code(reason: "Forbidden") == .forbidden)
    }
}
