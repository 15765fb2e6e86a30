import Foundation

/// A scratch directory removed when the value goes away.
public final class TemporaryDirectory: @unchecked Sendable {
    public let path: String

    public init(_ prefix: String = "fog-test") throws {
        path = NSTemporaryDirectory() + prefix + "-" + UUID().uuidString.lowercased()
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    public func file(_ name: String) -> String { path + "/" + name }
}

/// Something a test waited for did not happen within its limit.
public struct WaitTimedOut: Error, CustomStringConvertible {
    public let what: String
    public var description: String { "timed out waiting for: \(what)" }
}

/// Waits for asynchronous work to reach a state (a condition, not a duration): checks it
/// every few milliseconds and throws `WaitTimedOut` after `limit` seconds, measured on the
/// process's monotonic clock.
public func eventually(_ what: String, limit: Double = 30, _ condition: () async throws -> Bool) async throws {
    let clock = ContinuousClock()
    let deadline = clock.now.advanced(by: .milliseconds(Int64(limit * 1000)))
    while clock.now < deadline {
        if try await condition() { return }
        try await Task.sleep(for: .milliseconds(3))
    }
    if try await condition() { return }
    throw WaitTimedOut(what: what)
}
