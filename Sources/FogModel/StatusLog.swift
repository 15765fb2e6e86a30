import Foundation

/// The short log an agent keeps in the status of what it runs (`status.log` of a
/// `TrainingTask` and of a `FogNode`): lines `"<time with microseconds> <message>"`, oldest
/// first, bounded to the last `maxLines` lines and `maxBytes` bytes, so that the agent's
/// status writes stay far below `ObjectLimits.maxAgentStatusBytes`. Agents append lines as
/// things happen and send the whole (bounded) array with the status patch they make anyway —
/// a task's result, a node's next heartbeat — never one write per line. `fogctl logs` prints
/// them; `-f` prints what `newLines(after:in:)` finds in each new version.
///
/// ```swift
/// var log = StatusLog()
/// log.append("picked up round 3 (shard 2)", at: now)
/// patch["log"] = log.json
/// ```
public struct StatusLog: Sendable, Equatable {
    /// Most lines kept.
    public static let maxLines = 100
    /// Most bytes kept, all lines together.
    public static let maxBytes = 8_192
    /// Longest line; a longer message is cut (with "…").
    public static let maxLineBytes = 512

    public private(set) var lines: [String]

    public init(lines: [String] = []) {
        self.lines = []
        for l in lines { push(Self.cut(l)) }
    }

    /// The lines of a `status.log` value (none when absent or not an array of strings).
    public init(_ value: JSONValue?) {
        self.init(lines: (value?.arrayValue ?? []).compactMap(\.stringValue))
    }

    /// Appends `message` stamped with `date` (microseconds, UTC), dropping the oldest lines
    /// beyond the bounds. A message's line breaks become spaces: one entry, one line.
    public mutating func append(_ message: String, at date: Date) {
        let flat = message.split(whereSeparator: \.isNewline).joined(separator: " ")
        push(Self.cut(Timestamp.formatMicro(date) + " " + flat))
    }

    public var json: JSONValue { .array(lines.map { .string($0) }) }

    private mutating func push(_ line: String) {
        lines.append(line)
        var bytes = lines.reduce(0) { $0 + $1.utf8.count }
        while lines.count > Self.maxLines || (bytes > Self.maxBytes && lines.count > 1) {
            bytes -= lines.removeFirst().utf8.count
        }
    }

    static func cut(_ line: String) -> String {
        guard line.utf8.count > maxLineBytes else { return line }
        var out = ""
        var bytes = 0
        for ch in line {
            let n = String(ch).utf8.count
            if bytes + n > maxLineBytes - 3 { break }
            out.append(ch)
            bytes += n
        }
        return out + "…"
    }

    /// The lines of `current` that `previous` (an earlier version of the same log) did not
    /// have: the log only grows at its end and loses lines at its start, so the longest tail
    /// of `previous` that `current` starts with is what both hold. (Lines carry microsecond
    /// times, so two different lines are seldom equal.) When they share nothing, every line
    /// of `current` is new.
    public static func newLines(after previous: [String], in current: [String]) -> [String] {
        guard !previous.isEmpty else { return current }
        var k = min(previous.count, current.count)
        while k > 0 {
            if Array(previous.suffix(k)) == Array(current.prefix(k)) { return Array(current.dropFirst(k)) }
            k -= 1
        }
        return current
    }
}
