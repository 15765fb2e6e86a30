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

/// A level-triggered wake-up: `notify` makes the next (or current) `wait` return. It can
/// also pass each notification on to other signals (`forward(to:)`), so that more than one
/// party can follow the same source, each with its own `wait`.
public final class AsyncSignal: @unchecked Sendable {
    private let lock = NSLock()
    private var pending = false
    private var waiter: CheckedContinuation<Void, Never>?
    private var followers: [ObjectIdentifier: AsyncSignal] = [:]

    public init() {}

    public func notify() {
        let (c, next) = lock.withLock { () -> (CheckedContinuation<Void, Never>?, [AsyncSignal]) in
            let next = followers.isEmpty ? [] : Array(followers.values)
            if let w = waiter { waiter = nil; return (w, next) }
            pending = true
            return (nil, next)
        }
        c?.resume()
        for f in next { f.notify() }
    }

    /// Every later `notify` of this signal also notifies `other`, until `stopForwarding(to:)`.
    public func forward(to other: AsyncSignal) {
        lock.withLock { followers[ObjectIdentifier(other)] = other }
    }

    public func stopForwarding(to other: AsyncSignal) {
        _ = lock.withLock { followers.removeValue(forKey: ObjectIdentifier(other)) }
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
