import ArgumentParser
import FogAPI
import FogClient
import FogModel
import Foundation

/// A GitSource named on the command line as `gitsource NAME`, `gs NAME` or `gitsource/NAME`.
struct GitSourceReference: ParsableArguments {
    @Argument(help: ArgumentHelp("gitsource NAME (or gs NAME, gitsource/NAME).", valueName: "kind name"))
    var words: [String] = []
    @Option(name: .shortAndLong, help: "Namespace of the source.")
    var namespace = "default"

    /// The source's key, or nil when `words` is empty; a usage error for anything else.
    static func key(_ words: [String], namespace: String) throws -> ObjectKey? {
        guard !words.isEmpty else { return nil }
        var parts = words
        if parts.count == 1, let slash = parts[0].firstIndex(of: "/") {
            parts = [String(parts[0][..<slash]), String(parts[0][parts[0].index(after: slash)...])]
        }
        guard parts.count == 2, CLI.registry.lookup(parts[0])?.kind == "GitSource", !parts[1].isEmpty else {
            throw ValidationError("expected gitsource NAME (got \(words.joined(separator: " "))); only git sources are reconciled on request")
        }
        return ObjectKey(kind: "GitSource", namespace: namespace, name: parts[1])
    }

    func key() throws -> ObjectKey {
        guard let key = try Self.key(words, namespace: namespace) else { throw ValidationError("expected gitsource NAME") }
        return key
    }
}

enum GitOpsVerbs {
    /// Marks the source with `fog/reconcile-requested-at` (as the webhook does); returns the value.
    static func requestFetch(_ key: ObjectKey, client: any FogClient) async throws -> String {
        for attempt in 0..<5 {
            guard var source = try await client.get(key) else { throw CommandFailure(code: 1, CLI.notFound("gitsources", key.name)) }
            let at = Timestamp.formatMicro(Date())
            source.metadata.annotations["fog/reconcile-requested-at"] = at
            do {
                _ = try await client.update(source)
                return at
            } catch let e as StoreError where e.code == .conflict && attempt < 4 {
                continue
            }
        }
        throw CommandFailure(code: 1, "error: gitsource/\(key.name) kept changing; try again")
    }

    /// Waits (watch-driven) until the source has handled the request `at`; returns its Ready condition.
    static func waitHandled(_ key: ObjectKey, at: String, client: any FogClient, timeout: Double) async throws -> Condition? {
        let from = try await client.currentRevision()
        func handled(_ r: Resource?) -> Condition?? {
            guard let r, r.status?["lastHandledReconcileAt"]?.stringValue == at else { return nil }
            return .some(r.condition("Ready"))
        }
        if let done = handled(try await client.get(key)) { return done }
        return try await withThrowingTaskGroup(of: Condition??.self) { group in
            group.addTask {
                for try await event in client.watch(kind: "GitSource", namespace: key.namespace, from: from) {
                    if let o = event.object, o.key == key, let done = handled(o) { return done }
                }
                return nil
            }
            group.addTask {
                try await Task.sleep(for: .seconds(timeout))
                return nil
            }
            let first = try await group.next() ?? nil
            group.cancelAll()
            guard let done = first else {
                throw CommandFailure(code: 1, "error: gitsource/\(key.name) did not handle the request within \(Int(timeout))s (are controllers running? fogctl reconcile --watch, up --watch or a server)")
            }
            return done
        }
    }

    static func setSuspend(_ value: Bool, _ reference: GitSourceReference, global: GlobalOptions) async throws {
        let key = try reference.key()
        let client = try global.client()
        for attempt in 0..<5 {
            guard var source = try await client.get(key) else { throw CommandFailure(code: 1, CLI.notFound("gitsources", key.name)) }
            var spec = source.spec?.objectValue ?? [:]
            if spec["suspend"]?.boolValue == value {
                CLI.console.out("gitsource/\(key.name) already \(value ? "suspended" : "resumed")\n")
                return
            }
            spec["suspend"] = .bool(value)
            source.spec = .object(spec)
            do {
                _ = try await client.update(source)
                CLI.console.out("gitsource/\(key.name) \(value ? "suspended" : "resumed")\n")
                return
            } catch let e as StoreError where e.code == .conflict && attempt < 4 {
                continue
            } catch {
                throw CLI.storeFailure(error)
            }
        }
    }
}

struct SuspendCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "suspend",
        abstract: "Suspend a git source (like flux suspend source git): nothing is fetched, applied, pruned or repaired until resumed.",
        discussion: "fogctl suspend gitsource NAME [-n NS] sets spec.suspend; an applied manifest with suspend: false resumes it too.")
    @OptionGroup var source: GitSourceReference
    @OptionGroup var global: GlobalOptions
    func run() async throws { try await GitOpsVerbs.setSuspend(true, source, global: global) }
}

struct ResumeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "resume",
        abstract: "Resume a suspended git source (like flux resume source git).",
        discussion: "fogctl resume gitsource NAME [-n NS] clears spec.suspend; the source fetches and applies at once.")
    @OptionGroup var source: GitSourceReference
    @OptionGroup var global: GlobalOptions
    func run() async throws { try await GitOpsVerbs.setSuspend(false, source, global: global) }
}
