import FogRuntime
import FogTesting
import Foundation
import Testing

@Suite struct WorkQueueTests {
    let t0 = TestEpoch.date

    @Test func duplicateAddsCollapseAndOrderIsFair() {
        let q = WorkQueue<String>()
        q.add("a"); q.add("b"); q.add("a"); q.add("c"); q.add("b")
        #expect(q.depth == 3)
        #expect([q.next(), q.next(), q.next(), q.next()] == ["a", "b", "c", nil])
    }

    @Test func aKeyIsNeverHandedOutTwiceAtOnceAndReAddsRunAfter() {
        let q = WorkQueue<String>()
        q.add("a")
        #expect(q.next() == "a")
        q.add("a")  // while processing
        q.add("a")
        #expect(q.next() == nil)
        #expect(!q.isIdle)
        q.done("a")
        #expect(q.next() == "a")
        q.done("a")
        #expect(q.next() == nil)
        #expect(q.isIdle)
    }

    @Test func backoffGrowsExponentiallyFromFiveMillisecondsAndIsCapped() {
        let q = WorkQueue<String>()
        let delays = (0..<6).map { _ in q.addRateLimited("a", now: t0) }
        #expect(delays == [0.005, 0.01, 0.02, 0.04, 0.08, 0.16])
        #expect(WorkQueue<String>.Backoff().delay(failures: 40) == 1000)
        let capped = WorkQueue<String>(backoff: .init(base: 1, cap: 8))
        #expect((0..<6).map { _ in capped.addRateLimited("x", now: t0) } == [1, 2, 4, 8, 8, 8])
        capped.forget("x")
        #expect(capped.addRateLimited("x", now: t0) == 1)
    }

    @Test func delayedKeysBecomeReadyWhenDueAndTheEarliestRequestWins() {
        let q = WorkQueue<String>()
        q.add("a", after: 10, now: t0)
        q.add("a", after: 30, now: t0)
        #expect(q.nextDue == t0.addingTimeInterval(10))
        q.promoteDue(now: t0.addingTimeInterval(9.9))
        #expect(q.next() == nil)
        q.promoteDue(now: t0.addingTimeInterval(10))
        #expect(q.next() == "a")
        #expect(q.nextDue == nil)
    }

    @Test func aRetryDueWhileProcessingRunsAfterDone() {
        let q = WorkQueue<String>()
        q.add("a")
        #expect(q.next() == "a")
        q.add("a", after: 1, now: t0)
        q.promoteDue(now: t0.addingTimeInterval(1))
        #expect(q.next() == nil)
        q.done("a")
        #expect(q.next() == "a")
    }

    @Test func onReadyFiresForNewWork() {
        let q = WorkQueue<String>()
        let count = Counter()
        q.onReady = { count.increment() }
        q.add("a")
        q.add("a")  // collapsed: no new work
        #expect(count.value == 1)
    }
}

final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var n = 0
    func increment() { lock.withLock { n += 1 } }
    var value: Int { lock.withLock { n } }
}
