import Foundation

/// Time for the runtime: wall time for timestamps and due dates, and sleeping.
/// Injected everywhere time matters so tests run hours in milliseconds.
public protocol FogClock: Sendable {
    func now() -> Date
    /// Sleeps until `deadline`; throws `CancellationError` when the task is cancelled.
    func sleep(until deadline: Date) async throws
}

public struct SystemClock: FogClock {
    public init() {}
    public func now() -> Date { Date() }
    public func sleep(until deadline: Date) async throws {
        let seconds = deadline.timeIntervalSinceNow
        if seconds > 0 { try await Task.sleep(for: .nanoseconds(Int64(seconds * 1e9))) }
        try Task.checkCancellation()
    }
}

/// A clock that moves only when told to: `advance(by:)` wakes the sleepers it passes.
public final class ManualClock: FogClock, @unchecked Sendable {
    private let lock = NSLock()
    private var current: Date
    private var sleepers: [UUID: (deadline: Date, continuation: CheckedContinuation<Void, Error>)] = [:]

    public init(_ start: Date) { current = start }

    public func now() -> Date { lock.withLock { current } }

    public func advance(by seconds: TimeInterval) {
        let ready = lock.withLock { () -> [CheckedContinuation<Void, Error>] in
            current = current.addingTimeInterval(seconds)
            let due = sleepers.filter { $0.value.deadline <= current }
            for id in due.keys { sleepers.removeValue(forKey: id) }
            return due.map(\.value.continuation)
        }
        for c in ready { c.resume() }
    }

    /// How many tasks are sleeping on this clock (tests wait for the runtime to park).
    public var sleeperCount: Int { lock.withLock { sleepers.count } }

    public func sleep(until deadline: Date) async throws {
        let id = UUID()
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (c: CheckedContinuation<Void, Error>) in
                // Cancelled before we registered: `onCancel` has already run and found nothing.
                let outcome = lock.withLock { () -> Int in
                    if Task.isCancelled { return 2 }
                    if deadline <= current { return 1 }
                    sleepers[id] = (deadline, c)
                    return 0
                }
                if outcome == 1 { c.resume() }
                if outcome == 2 { c.resume(throwing: CancellationError()) }
            }
        } onCancel: {
            let c = lock.withLock { sleepers.removeValue(forKey: id)?.continuation }
            c?.resume(throwing: CancellationError())
        }
    }
}

/// A level-triggered wake-up: `notify` makes the next (or current) `wait` return.
public final class AsyncSignal: @unchecked Sendable {
    private let lock = NSLock()
    private var pending = false
    private var waiter: CheckedContinuation<Void, Never>?

    public init() {}

    public func notify() {
        let c = lock.withLock { () -> CheckedContinuation<Void, Never>? in
            if let w = waiter { waiter = nil; return w }
            pending = true
            return nil
        }
        c?.resume()
    }

    /// Returns at the next notification (or at once if one came since the last wait). One waiter at a time.
    public func wait() async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                let now = lock.withLock { () -> Bool in
                    if pending || Task.isCancelled { pending = false; return true }
                    waiter = c
                    return false
                }
                if now { c.resume() }
            }
        } onCancel: {
            let c = lock.withLock { () -> CheckedContinuation<Void, Never>? in
                let w = waiter
                waiter = nil
                return w
            }
            c?.resume()
        }
    }
}
