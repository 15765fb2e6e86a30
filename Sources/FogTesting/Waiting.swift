import FogRuntime
import FogStore
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

/// Waits for asynchronous work to reach a state (a condition, not a duration), looking at the
/// condition only when something it may depend on has changed: after each change `store`
/// records (a watch from its current revision, which also sees other processes' writes) and
/// at each notification of `signals` (a manager's `activity`, an agent's `changes`, a cache's
/// `activity`). Nothing polls: the limit (seconds on the process's monotonic clock) is the
/// only timer, and when it passes the wait throws `WaitTimedOut`.
public func eventually(_ what: String, limit: Double = 30, watching store: SQLiteStore? = nil, wakingOn signals: [AsyncSignal] = [],
                       _ condition: () async throws -> Bool) async throws {
    precondition(store != nil || !signals.isEmpty, "eventually(\(what)): name the store or signals whose changes it waits on")
    let wake = AsyncSignal()
    for s in signals { s.forward(to: wake) }
    defer { for s in signals { s.stopForwarding(to: wake) } }
    let expired = ExpiryFlag()
    let timer = Task {
        try? await Task.sleep(for: .milliseconds(Int64(limit * 1000)))
        expired.set()
        wake.notify()
    }
    defer { timer.cancel() }
    var follower: Task<Void, Never>?
    if let store {
        // The watch starts before the first look, so no change between the two is missed.
        let from = try store.currentRevision()
        let stream = store.watch(kind: nil, namespace: nil, from: from, bookmarkEvery: 0)
        follower = Task {
            do { for try await _ in stream { wake.notify() } } catch {}
        }
    }
    defer { follower?.cancel() }
    while true {
        if try await condition() { return }
        if expired.isSet { throw WaitTimedOut(what: what) }
        await wake.wait()
        try Task.checkCancellation()
    }
}

/// Waits until `manager` is settled (see `Manager.isSettled`), following its activity.
public func settled(_ manager: Manager, within window: TimeInterval = 0, limit: Double = 120, _ what: String = "manager settled") async throws {
    do {
        try await eventually(what, limit: limit, wakingOn: [manager.activity]) { await manager.isSettled(within: window) }
    } catch is WaitTimedOut {
        throw WaitTimedOut(what: what + " (" + (await manager.unsettledReason(within: window)) + ")")
    }
}

private final class ExpiryFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    func set() { lock.withLock { value = true } }
    var isSet: Bool { lock.withLock { value } }
}
