import ArgumentParser
import FogClient
import FogModel
import Foundation

/// `fogctl logs KIND/NAME [-f] [--tail N]`: the log lines agents keep in `status.log` — a
/// TrainingTask's (what its executor did) and a FogNode's (what its agent did). `-f` follows
/// through the watch API and prints only the lines each new version adds.
struct Logs: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the log lines of a TrainingTask or a FogNode's agent (-f to follow).",
        discussion: """
            Agents keep the last 100 lines (8 KiB) in the object's status.log and send them with the status writes \
            they make anyway: a task's lines arrive with its result, a node's with its next heartbeat. -f follows \
            the object through the watch API and prints the lines each new version adds; it ends when a task has \
            finished, on --timeout, or when interrupted.
            """)

    @Argument(help: "KIND/NAME (or KIND NAME): a TrainingTask (tt) or a FogNode (fn).")
    var arguments: [String]
    @Option(name: .shortAndLong, help: "Namespace of a TrainingTask (default: default).")
    var namespace = "default"
    @Flag(name: [.customShort("f"), .customLong("follow")], help: "Keep printing new lines as they arrive.")
    var follow = false
    @Option(help: ArgumentHelp("Print only the last N lines already there (-1: all).", valueName: "n"))
    var tail = -1
    @Option(help: ArgumentHelp("With -f: stop after this long (default: until the task finishes, or interrupted).", valueName: "duration"))
    var timeout: DurationArgument?
    @OptionGroup var global: GlobalOptions

    func validate() throws {
        if arguments.isEmpty || arguments.count > 2 { throw ValidationError("name one object: KIND/NAME or KIND NAME, e.g. `fogctl logs tt/digits-fedavg-r3-0`") }
        if tail < -1 { throw ValidationError("--tail must be -1 (all) or more") }
    }

    func run() async throws {
        var kindName = arguments[0]
        var name = arguments.count == 2 ? arguments[1] : ""
        if arguments.count == 1 {
            guard let slash = kindName.firstIndex(of: "/") else {
                throw CommandFailure(code: 1, "error: name the object as KIND/NAME, e.g. tt/\(kindName) or fn/\(kindName)")
            }
            name = String(kindName[kindName.index(after: slash)...])
            kindName = String(kindName[..<slash])
        }
        let info = try CLI.kind(kindName)
        guard ["TrainingTask", "FogNode"].contains(info.kind) else {
            throw CommandFailure(code: 1, "error: \(info.plural) keep no logs; trainingtasks (tt) and fognodes (fn) do"
                + (info.kind == "FederatedJob" ? " (a job's rounds: `fogctl rounds \(name)`)" : ""))
        }
        let key = ObjectKey(kind: info.kind, namespace: info.namespaced ? namespace : "", name: name)
        let client = try global.client()
        do {
            let from = try await client.currentRevision()
            guard let object = try await client.get(key) else { throw CommandFailure(code: 1, CLI.notFound(info.plural, name)) }
            let shown = StatusLog(object.status?["log"]).lines
            CLI.console.out((tail >= 0 ? Array(shown.suffix(tail)) : shown).map { $0 + "\n" }.joined())
            guard follow, !Self.finished(object) else { return }
            let stream = client.watch(kind: info.kind, namespace: info.namespaced ? namespace : nil, from: from)
            let name = key.name
            let body: @Sendable () async throws -> Void = {
                var previous = shown
                for try await event in stream {
                    guard let r = event.object, r.name == name else { continue }
                    if case .deleted = event { return }
                    let lines = StatusLog(r.status?["log"]).lines
                    let new = StatusLog.newLines(after: previous, in: lines)
                    if !new.isEmpty { CLI.console.out(new.map { $0 + "\n" }.joined()) }
                    previous = lines
                    if Self.finished(r) { return }
                }
            }
            try await Self.withTimeout(timeout?.seconds, body)
        } catch let e as CommandFailure { throw e } catch is CancellationError {
        } catch { throw CLI.storeFailure(error) }
    }

    /// A task that has reported writes no more lines.
    static func finished(_ r: Resource) -> Bool {
        r.kind == "TrainingTask" && ["Succeeded", "Failed", "Skipped"].contains(r.status?["phase"]?.stringValue ?? "")
    }

    /// Runs `body` until it returns, or until `seconds` have passed (nil: no limit).
    static func withTimeout(_ seconds: Double?, _ body: @escaping @Sendable () async throws -> Void) async throws {
        guard let seconds else { return try await body() }
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await body() }
            group.addTask { try await Task.sleep(for: .nanoseconds(Int64(seconds * 1e9))) }
            try await group.next()
            group.cancelAll()
        }
    }
}
