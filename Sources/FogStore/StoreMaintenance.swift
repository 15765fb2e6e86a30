import Foundation

/// Keeps a state file bounded while a long-running process writes to it (`fogctl server`,
/// `up` and `reconcile --watch` run one). A round:
///
/// 1. compacts the event log to its window (`compactionPoint`), at most `batchSize`
///    entries per transaction;
/// 2. gives free pages back to the file system beyond a share of the file (`freeShare`),
///    at most `pagesPerStep` per transaction;
/// 3. checkpoints the WAL and truncates it, waiting at most `checkpointWait` for readers.
///
/// `run` does a round every `interval`, and sooner once this process has written
/// `everyRevisions` revisions since the last one, so the log holds at most the window plus
/// `everyRevisions` entries (and one per live object) however fast the writes come.
/// `finish` is the shutdown checkpoint: the WAL into the database, the WAL truncated.
public final class StoreMaintenance: Sendable {
    public struct Policy: Sendable, Equatable {
        /// The log keeps at most the last `keepRevisions` revisions...
        public var keepRevisions: Int64 = 10_000
        /// ...and none older than `keepSeconds`.
        public var keepSeconds: Double = 300
        /// Time between two rounds...
        public var interval: Duration = .seconds(60)
        /// ...or this many revisions written by this process, whichever comes first.
        public var everyRevisions: Int64 = 2_000
        /// Log entries looked at per compaction transaction (a few milliseconds of the write lock).
        public var batchSize = 1_000
        /// Free pages given back per transaction.
        public var pagesPerStep = 1_000
        /// The share of the file's pages that may stay free: room for the log's next
        /// writes (a round frees about `everyRevisions` entries' worth, which the writes
        /// after it take again), so that pages are not moved out and back at every round.
        /// The file stays within 1 / (1 - share) of its used pages.
        public var freeShare = 0.25
        /// How long a round's checkpoint waits for readers before leaving the WAL for the next round.
        public var checkpointWait: Duration = .seconds(1)
        public init() {}
    }

    public struct Report: Sendable, Equatable {
        public var compaction: CompactionSummary
        public var releasedPages: Int
        public var walTruncated: Bool
        /// The whole round, and its three steps.
        public var seconds: Double
        public var compactionSeconds: Double
        public var releaseSeconds: Double
        public var checkpointSeconds: Double
    }

    public let store: SQLiteStore
    public let policy: Policy
    private let queue = DispatchQueue(label: "fog.store.maintenance", qos: .utility)

    public init(store: SQLiteStore, policy: Policy = Policy()) {
        self.store = store
        self.policy = policy
    }

    /// One round, on the calling thread.
    public func runOnce() throws -> Report {
        func seconds() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }
        let t0 = seconds()
        let point = try store.compactionPoint(keepRevisions: policy.keepRevisions, keepSeconds: policy.keepSeconds)
        let compaction = try store.compact(before: point, batchSize: policy.batchSize)
        let t1 = seconds()
        let released = try store.releaseFreePages(pagesPerStep: policy.pagesPerStep, keepingFree: policy.freeShare)
        let t2 = seconds()
        let truncated = try store.checkpoint(waitingAtMost: policy.checkpointWait)
        let t3 = seconds()
        return Report(compaction: compaction, releasedPages: released, walTruncated: truncated,
                      seconds: t3 - t0, compactionSeconds: t1 - t0, releaseSeconds: t2 - t1, checkpointSeconds: t3 - t2)
    }

    /// Rounds until the task is cancelled, each on the maintenance's own thread (they block
    /// on SQLite); every round's report or error goes to `report`.
    public func run(report: @escaping @Sendable (Result<Report, Error>) -> Void = { _ in }) async {
        var mark = (try? store.currentRevision()) ?? 0
        while !Task.isCancelled {
            let due = mark + max(1, policy.everyRevisions)
            await withTaskGroup(of: Void.self) { group in
                group.addTask { [policy] in try? await Task.sleep(for: policy.interval) }
                group.addTask { [store] in await store.notifier.wait(after: due - 1) }
                await group.next()
                group.cancelAll()
            }
            if Task.isCancelled { return }
            mark = (try? store.currentRevision()) ?? mark
            let result = await withCheckedContinuation { (c: CheckedContinuation<Result<Report, Error>, Never>) in
                queue.async { c.resume(returning: Result { try self.runOnce() }) }
            }
            report(result)
        }
    }

    /// The shutdown checkpoint: waits for readers as long as a write would; true when the
    /// WAL was emptied and truncated to zero bytes.
    @discardableResult
    public func finish() throws -> Bool {
        try store.checkpoint()
    }
}
