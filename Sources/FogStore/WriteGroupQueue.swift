import Foundation

/// The queue behind group commit, shared by both stores: writes wait here while a group is
/// being written, and the writer takes them a group at a time. The first write to arrive when
/// nothing is being written is told to start the writer, so a lone write waits for nothing.
public final class WriteGroupQueue<Write>: @unchecked Sendable {
    /// At most this many writes per group: every write of a group waits for the whole group.
    public let maxGroup: Int
    private let lock = NSLock()
    private var waiting: [Write] = []
    private var writing = false
    private var groups = 0
    private var writes = 0

    public init(maxGroup: Int) {
        precondition(maxGroup > 0, "a group holds one write at least")
        self.maxGroup = maxGroup
    }

    /// Groups taken so far and the writes they held (their ratio is the mean group size).
    public var counts: (groups: Int, writes: Int) { lock.withLock { (groups, writes) } }
    /// Writes waiting for the group being written.
    public var queued: Int { lock.withLock { waiting.count } }

    /// Queues `write`; true when the caller must start the writer (none was running).
    public func enqueue(_ write: Write) -> Bool {
        lock.withLock {
            waiting.append(write)
            if writing { return false }
            writing = true
            return true
        }
    }

    /// The next group, oldest first; empty when none is waiting, and the writer then stops
    /// (the next `enqueue` starts it again).
    public func next() -> [Write] {
        lock.withLock {
            if waiting.isEmpty { writing = false; return [] }
            let n = min(waiting.count, maxGroup)
            let group = Array(waiting.prefix(n))
            waiting.removeFirst(n)
            groups += 1
            writes += n
            return group
        }
    }
}
