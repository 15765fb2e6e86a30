import Foundation

/// Fetches one commit of a repository with the system `git` into a checkout of its own
/// (one directory per source, so sources never share a working tree or a lock), shallow
/// (`--depth 1`), killed at a timeout. Credentials come from a file the server holds
/// (`secretRef`): a git-credential-store line (`https://user:token@host`) for https, or
/// a private key for ssh. They reach git through `-c credential.helper=store --file …`
/// or `GIT_SSH_COMMAND`, never on a command line of their own and never in a message:
/// git's own errors are passed through `redacted` before they are shown.
public struct GitFetcher: Sendable {
    public struct Failure: Error, CustomStringConvertible, Sendable {
        public let message: String
        /// The git process was killed at the fetch's timeout.
        public var timedOut = false
        public init(message: String, timedOut: Bool = false) { self.message = message; self.timedOut = timedOut }
        public var description: String { message }
    }

    /// Where checkouts live: `<root>/<namespace>/<name>`.
    public let root: String
    /// Where `secretRef` names files; nil: sources with a secretRef fail to fetch.
    public let credentialsDirectory: String?
    public let git: String

    public init(root: String, credentialsDirectory: String? = nil, git: String = GitFetcher.findGit()) {
        self.root = root
        self.credentialsDirectory = credentialsDirectory
        self.git = git
    }

    public static func findGit() -> String {
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
            let p = "\(dir)/git"
            if FileManager.default.isExecutableFile(atPath: p) { return p }
        }
        return "/usr/bin/git"
    }

    /// Fetches `ref` (a branch, a tag or a commit) of `url` into the source's checkout and
    /// checks it out; returns the commit and the checkout directory.
    public func fetch(namespace: String, name: String, url: String, ref: String, secret: String?, timeout: Double) async throws -> (commit: String, directory: String) {
        let dir = "\(root)/\(namespace)/\(name)"
        let deadline = DispatchTime.now() + timeout
        var config: [String] = ["-c", "advice.detachedHead=false", "-c", "core.hooksPath=/dev/null"]
        var env = ["GIT_TERMINAL_PROMPT": "0", "GIT_CONFIG_NOSYSTEM": "1", "HOME": root, "LANG": "C"]
        if let secret {
            guard let credentialsDirectory else { throw Failure(message: "secretRef \(secret): this controller has no credentials directory (fogctl server --git-credentials DIR)") }
            let file = "\(credentialsDirectory)/\(secret)"
            guard let head = FileManager.default.contents(atPath: file)?.prefix(32) else { throw Failure(message: "secretRef \(secret): no readable file of that name in the credentials directory") }
            if String(decoding: head, as: UTF8.self).hasPrefix("-----BEGIN") {
                env["GIT_SSH_COMMAND"] = "ssh -i '\(file)' -o IdentitiesOnly=yes -o BatchMode=yes -o StrictHostKeyChecking=accept-new"
            } else {
                config += ["-c", "credential.helper=", "-c", "credential.helper=store --file=\(file)"]
            }
        }
        do {
            return try await fetch(into: dir, url: url, ref: ref, config: config, env: env, deadline: deadline)
        } catch let e as Failure where e.timedOut || Task.isCancelled {
            // A killed git may leave its lock files behind: the next fetch starts from a new checkout.
            try? FileManager.default.removeItem(atPath: dir)
            throw e
        }
    }

    private func fetch(into dir: String, url: String, ref: String, config: [String], env: [String: String],
                       deadline: DispatchTime) async throws -> (commit: String, directory: String) {
        if !FileManager.default.fileExists(atPath: dir + "/.git") {
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            try await run(["init", "-q", dir], env: env, deadline: deadline)
        }
        let fetchURL = url.hasPrefix("/") ? "file://" + url : url
        try await run(config + ["-C", dir, "fetch", "-q", "--depth", "1", "--no-tags", "--", fetchURL, ref], env: env, deadline: deadline)
        let commit = try await run(["-C", dir, "rev-parse", "--verify", "FETCH_HEAD^{commit}"], env: env, deadline: deadline)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        try await run(config + ["-C", dir, "checkout", "-q", "--force", "--detach", commit], env: env, deadline: deadline)
        try await run(["-C", dir, "clean", "-q", "-f", "-d", "-x"], env: env, deadline: deadline)
        return (commit, dir)
    }

    /// Forgets a source's checkout (the source was deleted).
    public func remove(namespace: String, name: String) {
        try? FileManager.default.removeItem(atPath: "\(root)/\(namespace)/\(name)")
    }

    /// Runs git; its standard output, or a `Failure` with its (redacted) error output.
    @discardableResult
    func run(_ arguments: [String], env: [String: String], deadline: DispatchTime) async throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: git)
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment.filter { $0.key == "PATH" }
        environment.merge(env) { _, b in b }
        process.environment = environment
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        let flag = TimeoutFlag()
        // Cancellation (the manager shutting down) kills git too: a shutdown does not wait for a fetch.
        let outcome: (Int32, Data, Data, Bool) = try await withTaskCancellationHandler { try await withCheckedThrowingContinuation { continuation in
            process.terminationHandler = { p in
                flag.finish()
                let o = out.fileHandleForReading.readDataToEndOfFile()
                let e = err.fileHandleForReading.readDataToEndOfFile()
                continuation.resume(returning: (p.terminationStatus, o, e, flag.value))
            }
            do { try process.run() } catch {
                continuation.resume(throwing: Failure(message: "cannot run \(git): \(error)"))
                return
            }
            let pid = process.processIdentifier
            flag.started(pid)
            // Cancelled before git started: onCancel found no process to kill.
            if Task.isCancelled { kill(pid, SIGKILL) }
            DispatchQueue.global().asyncAfter(deadline: deadline) {
                // Still running (no termination seen): SIGKILL, not `terminate()`'s SIGTERM, which a
                // child inherits as ignored from a process that handles SIGTERM itself (a service
                // group does): `fogctl server`'s git would outlive its timeout.
                guard !flag.finished else { return }
                flag.set()
                kill(pid, SIGKILL)
            }
        } } onCancel: {
            if let pid = flag.runningPID { kill(pid, SIGKILL) }
        }
        let (status, o, e, timedOut) = outcome
        if timedOut { throw Failure(message: "git \(arguments.first { !$0.hasPrefix("-") && !$0.contains("=") && !$0.hasPrefix("/") } ?? ""): timed out", timedOut: true) }
        guard status == 0 else {
            let text = String(decoding: e, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            throw Failure(message: Self.redacted(text.isEmpty ? "git exited with \(status)" : text))
        }
        return String(decoding: o, as: UTF8.self)
    }

    /// `text` with any `user:password@` of a URL removed.
    public static func redacted(_ text: String) -> String {
        text.replacingOccurrences(of: #"://[^/@\s]+@"#, with: "://***@", options: .regularExpression)
    }
}

private final class TimeoutFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var flag = false
    private var done = false
    func set() { lock.withLock { flag = true } }
    var value: Bool { lock.withLock { flag } }
    private var pid: Int32?
    func finish() { lock.withLock { done = true } }
    var finished: Bool { lock.withLock { done } }
    func started(_ p: Int32) { lock.withLock { pid = p } }
    /// The process, while it runs.
    var runningPID: Int32? { lock.withLock { done ? nil : pid } }
}
