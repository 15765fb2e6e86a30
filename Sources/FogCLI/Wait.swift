import ArgumentParser
import FogClient
import FogModel
import Foundation

/// `fogctl wait`: block until objects meet a condition, as kubectl wait does; driven by the
/// watch API (a change is seen when it is written, not at the next poll).
struct Wait: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Wait until objects meet a condition, a JSONPath value, or are deleted.",
        discussion: """
            fogctl wait fj/digits --for=condition=Succeeded
            fogctl wait fj/digits --for=jsonpath='{.status.phase}'=Succeeded --timeout 5m
            fogctl wait fn --all --for=condition=Ready
            fogctl wait fj/old --for=delete
            """)

    /// What `--for` asks.
    enum Goal: CustomStringConvertible, Sendable {
        case condition(type: String, status: String)
        case jsonpath(JSONPathTemplate, String, value: String?)
        case deleted

        init(_ text: String) throws {
            if text == "delete" { self = .deleted; return }
            if text.hasPrefix("condition=") {
                let parts = text.dropFirst(10).split(separator: "=", maxSplits: 1).map(String.init)
                guard let type = parts.first, !type.isEmpty else { throw CommandFailure(code: 1, "error: --for=condition=TYPE[=STATUS] needs a type") }
                self = .condition(type: type, status: parts.count > 1 ? parts[1] : "True")
                return
            }
            if text.hasPrefix("jsonpath=") {
                let body = String(text.dropFirst(9))
                // `{.status.phase}=Succeeded`: the value follows the closing brace.
                var expression = body, value: String?
                if let close = body.lastIndex(of: "}"), body[body.index(after: close)...].hasPrefix("=") {
                    expression = String(body[...close])
                    value = String(body[body.index(close, offsetBy: 2)...])
                } else if !body.hasPrefix("{"), let eq = body.firstIndex(of: "=") {
                    expression = String(body[..<eq])
                    value = String(body[body.index(after: eq)...])
                }
                do { self = .jsonpath(try JSONPathTemplate(expression), expression, value: value) } catch {
                    throw CommandFailure(code: 1, "error: --for=jsonpath: \(error)")
                }
                return
            }
            throw CommandFailure(code: 1, "error: --for must be delete, condition=TYPE[=STATUS] or jsonpath=EXPR[=VALUE] (got \"\(text)\")")
        }

        func met(_ r: Resource?) -> Bool {
            switch self {
            case .deleted: return r == nil
            case .condition(let type, let status):
                guard let c = r?.condition(type) else { return false }
                return c.status.rawValue.lowercased() == status.lowercased()
            case .jsonpath(let template, _, let value):
                guard let r else { return false }
                let found = template.values(r.json)
                guard let value else { return !found.isEmpty && !found.allSatisfy(\.isNull) }
                return found.contains { JSONPathTemplate.text($0) == value }
            }
        }

        var description: String {
            switch self {
            case .deleted: return "deletion"
            case .condition(let type, let status): return "condition \(type)=\(status)"
            case .jsonpath(_, let e, let v): return "\(e)" + (v.map { "=" + $0 } ?? "")
            }
        }
    }

    @Argument(help: "KIND NAME ... or KIND/NAME ...")
    var arguments: [String] = []
    @Option(name: .customLong("for"), help: "delete, condition=TYPE[=STATUS] or jsonpath=EXPR[=VALUE].")
    var goal: String
    @Option(help: ArgumentHelp("Give up after this long (exit 1).", valueName: "duration"))
    var timeout: DurationArgument = DurationArgument(argument: "30s")!
    @Option(name: .shortAndLong, help: "Namespace (default: default).")
    var namespace: String?
    @Option(name: [.customShort("l"), .customLong("selector")], help: "Wait for the objects of the kind that match this label selector.")
    var selector: String?
    @Flag(help: "Wait for every object of the kind.")
    var all = false
    @OptionGroup var global: GlobalOptions

    func run() async throws {
        let goal = try Goal(self.goal)
        let client = try global.client()
        let refs = try await ObjectReferences.parse(arguments, namespace: namespace, selector: selector, all: all, client: client)
        guard !refs.targets.isEmpty else { throw CommandFailure(code: 1, "error: no matching resources found") }
        let revision: Int64
        var pending: [ObjectKey: String] = [:]
        do {
            revision = try await client.currentRevision()
            for (info, key) in refs.targets {
                let ref = "\(info.singular)/\(key.name)"
                let r = try await client.get(key)
                if r == nil, case .deleted = goal {} else if r == nil {
                    throw CommandFailure(code: 1, CLI.notFound(info.plural, key.name))
                }
                if goal.met(r) { CLI.console.out(Self.said(ref, goal)) } else { pending[key] = ref }
            }
        } catch let e as CommandFailure { throw e } catch { throw CLI.storeFailure(error) }
        if pending.isEmpty { return }
        let kinds = Set(pending.keys.map(\.kind))
        let stream = client.watch(kind: kinds.count == 1 ? kinds.first : nil, namespace: nil, from: revision)
        let start = pending
        let left = try await CLI.within(seconds: timeout.seconds) { () async throws -> [ObjectKey: String] in
            var waiting = start
            for try await event in stream {
                guard let r = event.object, let ref = waiting[r.key] else { continue }
                let current: Resource? = { if case .deleted = event { return nil } else { return r } }()
                if goal.met(current) {
                    CLI.console.out(Self.said(ref, goal))
                    waiting[r.key] = nil
                    if waiting.isEmpty { return [:] }
                }
            }
            return waiting
        }
        if let left, left.isEmpty { return }
        let still = (left ?? pending).values.sorted()
        throw CommandFailure(code: 1, "error: timed out waiting for \(goal) on \(still.joined(separator: ", "))")
    }

    static func said(_ ref: String, _ goal: Goal) -> String {
        if case .deleted = goal { return "\(ref) deleted\n" }
        return "\(ref) condition met\n"
    }
}
