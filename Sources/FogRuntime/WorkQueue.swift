import Foundation
import HeapModule

/// A work queue with controller-runtime's semantics, as a state machine with
/// no timers of its own (the runner drives it with a clock):
/// - fair: keys come out in the order they went in;
/// - stingy: a key is never handed out twice at once, duplicate adds collapse,
///   and a key added while it is being processed is handed out again after `done`;
/// - per-key exponential backoff for failures (`base × 2ⁿ`, capped), `addAfter` for timers.
public final class WorkQueue<Key: Hashable & Sendable>: @unchecked Sendable {
    public struct Backoff: Sendable {
        public var base: TimeInterval
        public var cap: TimeInterval
        public init(base: TimeInterval = 0.005, cap: TimeInterval = 1000) {
            self.base = base
            self.cap = cap
        }
        /// The delay before retry number `failures` (1 for the first failure).
        public func delay(failures: Int) -> TimeInterval {
            min(cap, base * pow(2, Double(max(0, failures - 1))))
        }
    }

    private let lock = NSLock()
    private var order: [Key] = []
    private var head = 0
    private var queued = Set<Key>()
    private var processing = Set<Key>()
    private var dirty = Set<Key>()
    private var failures: [Key: Int] = [:]
    /// The due date of each delayed key, and the same dates in a min-heap: a key whose
    /// date moved earlier leaves its old entry behind, skipped when it surfaces.
    private var delayed: [Key: Date] = [:]
    private var timers = Heap<Timer>()

    private struct Timer: Comparable {
        var due: Date
        var key: Key
        static func < (a: Timer, b: Timer) -> Bool { a.due < b.due }
        static func == (a: Timer, b: Timer) -> Bool { a.due == b.due && a.key == b.key }
    }
    public let backoff: Backoff
    /// Called whenever something may have become ready (the runner's wake-up).
    public var onReady: (@Sendable () -> Void)?

    public init(backoff: Backoff = Backoff()) { self.backoff = backoff }

    public func add(_ key: Key) {
        let notify = lock.withLock { () -> Bool in addLocked(key) }
        if notify { onReady?() }
    }

    private func addLocked(_ key: Key) -> Bool {
        if processing.contains(key) {
            dirty.insert(key)
            return false
        }
        guard queued.insert(key).inserted else { return false }
        order.append(key)
        return true
    }

    /// Adds `key` once `now + delay` has passed (the earliest request wins).
    public func add(_ key: Key, after delay: TimeInterval, now: Date) {
        if delay <= 0 { add(key); return }
        lock.withLock {
            let due = now.addingTimeInterval(delay)
            if let existing = delayed[key], existing <= due { return }
            delayed[key] = due
            timers.insert(Timer(due: due, key: key))
        }
        onReady?()
    }

    /// Records a failure and schedules a retry after the backoff; returns the delay.
    @discardableResult
    public func addRateLimited(_ key: Key, now: Date) -> TimeInterval {
        let n = lock.withLock { () -> Int in
            failures[key, default: 0] += 1
            return failures[key]!
        }
        let delay = backoff.delay(failures: n)
        add(key, after: delay, now: now)
        return delay
    }

    /// Clears the failure count of `key` (after a success or a terminal error).
    public func forget(_ key: Key) { lock.withLock { _ = failures.removeValue(forKey: key) } }

    public func failureCount(_ key: Key) -> Int { lock.withLock { failures[key] ?? 0 } }

    /// Moves delayed keys that are due at `now` into the queue.
    public func promoteDue(now: Date) {
        let notify = lock.withLock { () -> Bool in
            var any = false
            while let top = timers.min, top.due <= now {
                timers.removeMin()
                guard delayed[top.key] == top.due else { continue }
                delayed.removeValue(forKey: top.key)
                any = addLocked(top.key) || any
            }
            return any
        }
        if notify { onReady?() }
    }

    /// The next key to process, marked as processing; nil when none is ready.
    public func next() -> Key? {
        lock.withLock {
            guard head < order.count else { return nil }
            let key = order[head]
            head += 1
            if head > 1024 && head * 2 > order.count {
                order.removeFirst(head)
                head = 0
            }
            queued.remove(key)
            processing.insert(key)
            return key
        }
    }

    /// Ends processing of `key`; if it was added meanwhile, it is queued again.
    public func done(_ key: Key) {
        let notify = lock.withLock { () -> Bool in
            processing.remove(key)
            if dirty.remove(key) != nil { return addLocked(key) }
            return false
        }
        if notify { onReady?() }
    }

    /// The earliest due date of a delayed key.
    public var nextDue: Date? {
        lock.withLock {
            while let top = timers.min, delayed[top.key] != top.due { timers.removeMin() }
            return timers.min?.due
        }
    }
    /// Keys waiting to be handed out (not counting delayed ones).
    public var depth: Int { lock.withLock { order.count - head } }
    public var processingCount: Int { lock.withLock { processing.count } }
    /// Nothing queued and nothing in progress (delayed keys may remain).
    public var isIdle: Bool { lock.withLock { order.count == head && processing.isEmpty } }
}
