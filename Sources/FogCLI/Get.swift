import ArgumentParser
import FogClient
import FogManifest
import FogModel
import FogStore
import Foundation

struct Get: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List objects of a kind, or show named ones.",
        discussion: """
            KIND is a kind name, plural, singular or short name, case-insensitive (see `fogctl kinds`); KIND/NAME works \
            too, and so do several kinds at once, as in kubectl: `fogctl get fognodes,federatedjobs` or `fogctl get fn/a,fj/b`.
            """)

    @Argument(help: "KIND [NAME ...] or KIND/NAME")
    var arguments: [String] = []
    @Option(name: .shortAndLong, help: "Namespace (default: default).")
    var namespace: String?
    @Flag(name: [.customShort("A"), .customLong("all-namespaces")], help: "List across all namespaces.")
    var allNamespaces = false
    @Option(name: [.customShort("l"), .customLong("selector")], help: "Label selector: a=b, a!=b, a in (x,y), a notin (x), a, !a.")
    var selector: String?
    @Option(name: .shortAndLong, help: "table, wide, yaml, json or name.")
    var output: String = "table"
    @Flag(name: [.customShort("w"), .customLong("watch")], help: "After listing, print changes as they happen (writes from any process).")
    var watch = false
    @Option(help: ArgumentHelp("With -w: stop after this long (default: until interrupted).", valueName: "duration"))
    var timeout: DurationArgument?
    @OptionGroup var global: GlobalOptions

    func validate() throws {
        guard ["table", "wide", "yaml", "json", "name"].contains(output) else {
            throw ValidationError("-o must be table, wide, yaml, json or name (got \"\(output)\")")
        }
        if arguments.isEmpty { throw ValidationError("you must name a kind, e.g. `fogctl get fognodes` (see `fogctl kinds`)") }
    }

    func run() async throws {
        guard arguments[0].contains(",") else {
            var kindName = arguments[0]
            var names = Array(arguments.dropFirst())
            if let slash = kindName.firstIndex(of: "/") {
                names.insert(String(kindName[kindName.index(after: slash)...]), at: 0)
                kindName = String(kindName[..<slash])
            }
            return try await get(info: try CLI.kind(kindName), names: names)
        }
        // Several kinds (`fognodes,federatedjobs`, or `fn/a,fj/b`): one section per kind, in the order named.
        guard arguments.count == 1 else {
            throw CommandFailure(code: 1, "error: with several kinds, name objects as KIND/NAME (e.g. fn/a,fj/b), not as extra arguments")
        }
        if watch { throw CommandFailure(code: 1, "error: -w watches one kind at a time") }
        var groups: [(info: KindInfo, names: [String])] = []
        for part in arguments[0].split(separator: ",", omittingEmptySubsequences: false).map(String.init) {
            guard !part.isEmpty else { throw CommandFailure(code: 1, "error: empty kind in \"\(arguments[0])\"") }
            let kindName = part.split(separator: "/", maxSplits: 1).first.map(String.init) ?? part
            let info = try CLI.kind(kindName)
            let name = part.contains("/") ? String(part[part.index(after: part.firstIndex(of: "/")!)...]) : nil
            if let i = groups.firstIndex(where: { $0.info.kind == info.kind }) {
                if let name { groups[i].names.append(name) }
            } else {
                groups.append((info, name.map { [$0] } ?? []))
            }
        }
        let client = try global.client()
        let labelSelector = try parsedSelector()
        var sections: [String] = []
        var all: [Resource] = []
        var missing: [String] = []
        for g in groups {
            let (items, absent, _) = try await fetch(client: client, info: g.info, names: g.names, selector: labelSelector)
            all += items
            missing += absent.map { CLI.notFound(g.info.plural, $0) }
            if !items.isEmpty { sections.append(Self.table(items, info: g.info, wide: output == "wide", showNamespace: g.info.namespaced && allNamespaces, prefixKind: true)) }
        }
        switch output {
        case "yaml": CLI.console.out(YAMLPrinter.render(Self.list(all)))
        case "json": CLI.console.out(JSONPrettyPrinter.render(Self.list(all)))
        case "name": CLI.console.out(all.map { CLI.resourceRef($0) + "\n" }.joined())
        default:
            if sections.isEmpty { CLI.console.err("No resources found\n") } else { CLI.console.out(sections.joined(separator: "\n")) }
        }
        if !missing.isEmpty { throw CommandFailure(code: 1, missing.joined(separator: "\n")) }
    }

    func parsedSelector() throws -> LabelSelector {
        do { return try LabelSelector.parse(selector ?? "") } catch { throw CommandFailure(code: 1, "error: \(error)") }
    }

    /// The objects asked for: the named ones (and which are missing), or the list.
    func fetch(client: any FogClient, info: KindInfo, names: [String], selector: LabelSelector) async throws
        -> (items: [Resource], missing: [String], revision: Int64) {
        let ns = info.namespaced ? (namespace ?? "default") : ""
        var items: [Resource] = []
        var missing: [String] = []
        do {
            if names.isEmpty {
                let list = try await client.list(kind: info.kind, namespace: info.namespaced && !allNamespaces ? ns : nil, selector: selector)
                // Events read in the order they happened, as with kubectl; other kinds by name.
                return (info.kind == "Event" ? EventOrder.chronological(list.items) : list.items, [], list.revision)
            }
            let revision = try await client.currentRevision()
            for name in names {
                if let r = try await client.get(ObjectKey(kind: info.kind, namespace: ns, name: name)) { items.append(r) } else { missing.append(name) }
            }
            return (items, missing, revision)
        } catch { throw CLI.storeFailure(error) }
    }

    func get(info: KindInfo, names: [String]) async throws {
        let labelSelector = try parsedSelector()
        let client = try global.client()
        let ns = info.namespaced ? (namespace ?? "default") : ""
        let (items, missing, listRevision) = try await fetch(client: client, info: info, names: names, selector: labelSelector)

        let single = names.count == 1 && missing.isEmpty
        switch output {
        case "yaml":
            if !items.isEmpty || names.isEmpty { CLI.console.out(YAMLPrinter.render(single ? items[0].json : Self.list(items))) }
        case "json":
            if !items.isEmpty || names.isEmpty { CLI.console.out(JSONPrettyPrinter.render(single ? items[0].json : Self.list(items))) }
        case "name":
            CLI.console.out(items.map { CLI.resourceRef($0) + "\n" }.joined())
        default:
            if items.isEmpty && names.isEmpty {
                CLI.console.err(info.namespaced && !allNamespaces ? "No resources found in \(ns) namespace.\n" : "No resources found\n")
            } else if !items.isEmpty {
                CLI.console.out(Self.table(items, info: info, wide: output == "wide", showNamespace: info.namespaced && allNamespaces))
            }
        }
        if !missing.isEmpty && !watch {
            throw CommandFailure(code: 1, missing.map { CLI.notFound(info.plural, $0) }.joined(separator: "\n"))
        }
        if watch {
            try await follow(client: client, info: info, namespace: info.namespaced && !allNamespaces ? ns : nil,
                             selector: labelSelector, names: Set(names), from: listRevision, headerPrinted: !items.isEmpty)
        }
    }

    /// `-w`: one line (or document) per change, like kubectl.
    func follow(client: any FogClient, info: KindInfo, namespace: String?, selector: LabelSelector, names: Set<String>,
                from revision: Int64, headerPrinted: Bool) async throws {
        let stream = client.watch(kind: info.kind, namespace: namespace, from: revision)
        let output = self.output
        let showNamespace = info.namespaced && allNamespaces
        let body: @Sendable () async throws -> Void = {
            var header = headerPrinted
            for try await event in stream {
                guard let r = event.object, names.isEmpty || names.contains(r.name),
                      selector.isEmpty || selector.matches(r.metadata.labels) else { continue }
                switch output {
                case "yaml": CLI.console.out("---\n" + YAMLPrinter.render(r.json))
                case "json": CLI.console.out(JSONCoding.encode(["type": .string(event.typeName), "object": r.json]) + "\n")
                case "name": CLI.console.out(CLI.resourceRef(r) + "\n")
                default:
                    var table = Self.table([r], info: info, wide: output == "wide", showNamespace: showNamespace)
                    if header { table = String(table.drop(while: { $0 != "\n" }).dropFirst()) }
                    header = true
                    if case .deleted = event { table = table.replacingOccurrences(of: "\n", with: "   (deleted)\n") }
                    CLI.console.out(table)
                }
            }
        }
        do {
            if let timeout {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask { try await body() }
                    group.addTask { try await Task.sleep(for: .nanoseconds(Int64(timeout.seconds * 1e9))) }
                    try await group.next()
                    group.cancelAll()
                }
            } else {
                try await body()
            }
        } catch is CancellationError {
        } catch { throw CLI.storeFailure(error) }
    }

    static func list(_ items: [Resource]) -> JSONValue {
        .object(["apiVersion": .string(fogAPIVersion), "kind": "List", "items": .array(items.map(\.json))])
    }

    static func table(_ items: [Resource], info: KindInfo, wide: Bool, showNamespace: Bool, prefixKind: Bool = false,
                      now: Date = Date()) -> String {
        let columns = info.columns.filter { wide || $0.priority == 0 }
        var header = (showNamespace ? ["NAMESPACE"] : []) + ["NAME"] + columns.map(\.name)
        let hasAge = columns.contains { $0.type == "date" }
        if !hasAge { header.append("AGE") }
        let rows = items.map { r -> [String] in
            let json = r.json
            var row = (showNamespace ? [r.namespace] : []) + [prefixKind ? info.singular + "/" + r.name : r.name]
            for c in columns {
                let v = ColumnPath.evaluate(c.jsonPath, in: json)
                row.append(c.type == "date" ? Timestamp.age(from: v?.stringValue, now: now) : ColumnPath.text(v))
            }
            if !hasAge { row.append(Timestamp.age(from: r.metadata.creationTimestamp, now: now)) }
            return row
        }
        return TablePrinter.render(header: header, rows: rows)
    }
}

struct Kinds: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List the kinds fog knows, with their short names and scope (like kubectl api-resources).")

    func run() async throws {
        let rows = CLI.registry.kinds.map { k in
            [k.plural, k.shortNames.joined(separator: ","), fogAPIVersion, k.namespaced ? "true" : "false", k.kind]
        }
        CLI.console.out(TablePrinter.render(header: ["NAME", "SHORTNAMES", "APIVERSION", "NAMESPACED", "KIND"], rows: rows))
    }
}
