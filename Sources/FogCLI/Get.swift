import ArgumentParser
import FogClient
import FogManifest
import FogModel
import FogStore
import Foundation

struct Get: AsyncParsableCommand, Sendable {
    static let configuration = CommandConfiguration(
        abstract: "List objects of a kind, or show named ones.",
        discussion: """
            KIND is a kind name, plural, singular or short name, case-insensitive (see `fogctl kinds`); KIND/NAME works \
            too, and so do several kinds at once, as in kubectl: `fogctl get fognodes,federatedjobs`, `fogctl get fn/a,fj/b` \
            or `fogctl get pp/low tier/small`. `fogctl get all` lists every namespaced kind but events.
            -o takes table, wide, yaml, json, name, jsonpath=TEMPLATE (`{.items[*].metadata.name}`, `{range .items[*]}…{end}`) \
            or custom-columns=HEADER:PATH,… (`NAME:.metadata.name,PHASE:.status.phase`).
            --field-selector filters on any field path: `status.phase=Running,spec.region!=eu-west` (=, == and !=).
            """)

    @Argument(help: "KIND [NAME ...], KIND/NAME ..., KIND,KIND or all")
    var arguments: [String] = []
    @Option(name: .shortAndLong, help: "Namespace (default: default).")
    var namespace: String?
    @Flag(name: [.customShort("A"), .customLong("all-namespaces")], help: "List across all namespaces.")
    var allNamespaces = false
    @Option(name: [.customShort("l"), .customLong("selector")], help: "Label selector: a=b, a!=b, a in (x,y), a notin (x), a, !a.")
    var selector: String?
    @Option(name: .customLong("field-selector"), help: ArgumentHelp("Field selector: path=value, path!=value, comma-separated.", valueName: "selector"))
    var fieldSelector: String?
    @Option(name: .shortAndLong, help: "table, wide, yaml, json, name, jsonpath=TEMPLATE or custom-columns=SPEC.")
    var output: String = "table"
    @Flag(name: .customLong("show-labels"), help: "Add a LABELS column.")
    var showLabels = false
    @Option(name: [.customShort("L"), .customLong("label-columns")], help: ArgumentHelp("Add a column with the value of these labels (comma-separated; repeatable).", valueName: "keys"))
    var labelColumns: [String] = []
    @Option(name: .customLong("sort-by"), help: ArgumentHelp("Sort by this JSONPath (e.g. .status.trust or {.metadata.creationTimestamp}).", valueName: "path"))
    var sortBy: String?
    @Flag(name: .customLong("no-headers"), help: "Leave out the header line of tables.")
    var noHeaders = false
    @Flag(name: [.customShort("w"), .customLong("watch")], help: "After listing, print changes as they happen (writes from any process).")
    var watch = false
    @Option(help: ArgumentHelp("With -w: stop after this long (default: until interrupted).", valueName: "duration"))
    var timeout: DurationArgument?
    @OptionGroup var global: GlobalOptions

    /// How objects are printed.
    enum Format: Sendable {
        case table(wide: Bool), yaml, json, name
        case jsonpath(JSONPathTemplate)
        case customColumns([(header: String, path: JSONPathTemplate)])

        init(_ text: String) throws {
            switch text {
            case "table": self = .table(wide: false)
            case "wide": self = .table(wide: true)
            case "yaml": self = .yaml
            case "json": self = .json
            case "name": self = .name
            default:
                if text.hasPrefix("jsonpath=") || text.hasPrefix("jsonpath ") {
                    do { self = .jsonpath(try JSONPathTemplate(String(text.dropFirst(9)))) } catch {
                        throw CommandFailure(code: 1, "error: -o jsonpath: \(error)")
                    }
                } else if text.hasPrefix("custom-columns=") {
                    var columns: [(String, JSONPathTemplate)] = []
                    for spec in text.dropFirst(15).split(separator: ",") {
                        let parts = spec.split(separator: ":", maxSplits: 1).map(String.init)
                        guard parts.count == 2, !parts[0].isEmpty else {
                            throw CommandFailure(code: 1, "error: -o custom-columns: each column is HEADER:PATH (got \"\(spec)\")")
                        }
                        do { columns.append((parts[0], try JSONPathTemplate(parts[1]))) } catch {
                            throw CommandFailure(code: 1, "error: -o custom-columns \(parts[0]): \(error)")
                        }
                    }
                    guard !columns.isEmpty else { throw CommandFailure(code: 1, "error: -o custom-columns needs at least one HEADER:PATH") }
                    self = .customColumns(columns)
                } else {
                    throw CommandFailure(code: 1, "error: -o must be table, wide, yaml, json, name, jsonpath=TEMPLATE or custom-columns=SPEC (got \"\(text)\")")
                }
            }
        }
    }

    /// A field selector: dotted paths compared with = (==) or !=, all of which must hold.
    struct FieldSelector: Sendable {
        var terms: [(path: String, equal: Bool, value: String)] = []

        init(_ text: String?) throws {
            guard let text, !text.isEmpty else { return }
            for term in text.split(separator: ",").map(String.init) {
                let (op, equal): (String, Bool) = term.contains("!=") ? ("!=", false) : (term.contains("==") ? "==" : "=", true)
                guard let r = term.range(of: op) else { throw CommandFailure(code: 1, "error: --field-selector: \"\(term)\" is not path=value or path!=value") }
                let path = String(term[..<r.lowerBound]).trimmingCharacters(in: .whitespaces)
                guard !path.isEmpty else { throw CommandFailure(code: 1, "error: --field-selector: \"\(term)\" names no field") }
                terms.append((path, equal, String(term[r.upperBound...]).trimmingCharacters(in: .whitespaces)))
            }
        }

        func matches(_ r: Resource) -> Bool {
            let json = r.json
            return terms.allSatisfy { t in
                let v = json.value(at: t.path).map(JSONPathTemplate.text) ?? ""
                return (v == t.value) == t.equal
            }
        }
    }

    func validate() throws {
        if arguments.isEmpty { throw ValidationError("you must name a kind, e.g. `fogctl get fognodes` (see `fogctl kinds`)") }
    }

    /// The kinds and names asked for, in the order named.
    func groups() throws -> (groups: [(info: KindInfo, names: [String])], several: Bool) {
        if arguments == ["all"] {
            return (CLI.registry.kinds.filter { $0.namespaced && $0.kind != "Event" }.map { ($0, []) }, true)
        }
        // `KIND NAME ...`: one kind, names after it.
        if arguments.count >= 1, !arguments[0].contains(","), !arguments[0].contains("/") {
            if let bad = arguments.dropFirst().first(where: { $0.contains("/") }) {
                throw CommandFailure(code: 1, "error: there is no need to name a kind as KIND/NAME (\"\(bad)\") after a kind given on its own")
            }
            return ([(try CLI.kind(arguments[0]), Array(arguments.dropFirst()))], false)
        }
        // `fn/a,fj/b`, `pp/low tier/small`, `fognodes,federatedjobs`: each word KIND or KIND/NAME.
        var groups: [(info: KindInfo, names: [String])] = []
        for word in arguments {
            for part in word.split(separator: ",", omittingEmptySubsequences: false).map(String.init) {
                guard !part.isEmpty else { throw CommandFailure(code: 1, "error: empty kind in \"\(word)\"") }
                let kindName = part.split(separator: "/", maxSplits: 1).first.map(String.init) ?? part
                let info = try CLI.kind(kindName)
                var name: String?
                if let slash = part.firstIndex(of: "/") {
                    name = String(part[part.index(after: slash)...])
                    guard !name!.isEmpty else { throw CommandFailure(code: 1, "error: \"\(part)\" names no object") }
                } else if arguments.count > 1 {
                    throw CommandFailure(code: 1, "error: with several arguments, name each object as KIND/NAME (got \"\(part)\")")
                }
                if let i = groups.firstIndex(where: { $0.info.kind == info.kind }) {
                    if let name { groups[i].names.append(name) }
                } else {
                    groups.append((info, name.map { [$0] } ?? []))
                }
            }
        }
        return (groups, groups.count > 1)
    }

    func run() async throws {
        let format = try Format(output)
        let fields = try FieldSelector(fieldSelector)
        let (groups, several) = try groups()
        if !several { return try await get(info: groups[0].info, names: groups[0].names, format: format, fields: fields) }
        if watch { throw CommandFailure(code: 1, "error: -w watches one kind at a time") }
        let client = try global.client()
        let labelSelector = try parsedSelector()
        var sections: [String] = []
        var all: [Resource] = []
        var missing: [String] = []
        for g in groups {
            let (fetched, absent, _) = try await fetch(client: client, info: g.info, names: g.names, selector: labelSelector)
            let items = try sorted(fetched.filter(fields.matches))
            all += items
            missing += absent.map { CLI.notFound(g.info.plural, $0) }
            if !items.isEmpty, case .table(let wide) = format {
                sections.append(table(items, info: g.info, wide: wide, showNamespace: g.info.namespaced && allNamespaces, prefixKind: true).text)
            }
        }
        switch format {
        case .table:
            if sections.isEmpty { CLI.console.err("No resources found\n") } else { CLI.console.out(sections.joined(separator: "\n")) }
        default: CLI.console.out(render(all, info: nil, single: false, format: format))
        }
        if !missing.isEmpty { throw CommandFailure(code: 1, missing.joined(separator: "\n")) }
    }

    func parsedSelector() throws -> LabelSelector {
        do { return try LabelSelector.parse(selector ?? "") } catch { throw CommandFailure(code: 1, "error: \(error)") }
    }

    /// `--sort-by`: numbers by value, other values by their text; objects without the field last.
    func sorted(_ items: [Resource]) throws -> [Resource] {
        guard let sortBy else { return items }
        let template: JSONPathTemplate
        do { template = try JSONPathTemplate(sortBy.hasPrefix("{") || sortBy.hasPrefix(".") ? sortBy : "." + sortBy) } catch {
            throw CommandFailure(code: 1, "error: --sort-by: \(error)")
        }
        let keyed = items.map { ($0, template.values($0.json).first) }
        return keyed.enumerated().sorted { a, b in
            switch (a.element.1, b.element.1) {
            case (nil, nil): return a.offset < b.offset
            case (nil, _): return false
            case (_, nil): return true
            case (let x?, let y?):
                if let p = x.numberValue, let q = y.numberValue, p != q { return p < q }
                let s = JSONPathTemplate.text(x), t = JSONPathTemplate.text(y)
                return s != t ? s < t : a.offset < b.offset
            }
        }.map(\.element.0)
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

    /// yaml, json, name, jsonpath and custom-columns output (tables are drawn by `table`).
    func render(_ items: [Resource], info: KindInfo?, single: Bool, format: Format) -> String {
        let root = single ? items[0].json : Self.list(items)
        switch format {
        case .yaml: return YAMLPrinter.render(root)
        case .json: return JSONPrettyPrinter.render(root)
        case .name: return items.map { CLI.resourceRef($0) + "\n" }.joined()
        case .jsonpath(let t): return t.render(root)
        case .customColumns(let columns):
            let rows = items.map { r in columns.map { c in Self.cell(c.path.values(r.json)) } }
            return TablePrinter.render(header: noHeaders ? nil : columns.map(\.header), rows: rows)
        case .table(let wide):
            guard let info else { return "" }
            return table(items, info: info, wide: wide, showNamespace: info.namespaced && allNamespaces).text
        }
    }

    static func cell(_ values: [JSONValue]) -> String {
        values.isEmpty ? "<none>" : values.map { ColumnPath.text($0) }.joined(separator: ",")
    }

    func get(info: KindInfo, names: [String], format: Format, fields: FieldSelector) async throws {
        let labelSelector = try parsedSelector()
        let client = try global.client()
        let ns = info.namespaced ? (namespace ?? "default") : ""
        let (fetched, missing, listRevision) = try await fetch(client: client, info: info, names: names, selector: labelSelector)
        let items = try sorted(fetched.filter(fields.matches))

        let single = names.count == 1 && missing.isEmpty && !items.isEmpty
        var widths: [Int]?
        switch format {
        case .table(let wide):
            if items.isEmpty && names.isEmpty {
                CLI.console.err(info.namespaced && !allNamespaces ? "No resources found in \(ns) namespace.\n" : "No resources found\n")
            } else if !items.isEmpty {
                let t = table(items, info: info, wide: wide, showNamespace: info.namespaced && allNamespaces)
                widths = t.widths
                CLI.console.out(t.text)
            }
        case .customColumns:
            if !items.isEmpty || names.isEmpty { CLI.console.out(render(items, info: info, single: single, format: format)) }
        default:
            if !items.isEmpty || names.isEmpty { CLI.console.out(render(items, info: info, single: single, format: format)) }
        }
        if !missing.isEmpty && !watch {
            throw CommandFailure(code: 1, missing.map { CLI.notFound(info.plural, $0) }.joined(separator: "\n"))
        }
        if watch {
            try await follow(client: client, info: info, namespace: info.namespaced && !allNamespaces ? ns : nil,
                             selector: labelSelector, fields: fields, names: Set(names), from: listRevision, format: format, widths: widths)
        }
    }

    /// `-w`: one line (or document) per change, like kubectl; table rows line up with the
    /// columns of the listing above them.
    func follow(client: any FogClient, info: KindInfo, namespace: String?, selector: LabelSelector, fields: FieldSelector,
                names: Set<String>, from revision: Int64, format: Format, widths: [Int]?) async throws {
        let stream = client.watch(kind: info.kind, namespace: namespace, from: revision)
        let showNamespace = info.namespaced && allNamespaces
        let command = self
        let body: @Sendable () async throws -> Void = {
            var widths = widths
            for try await event in stream {
                guard let r = event.object, names.isEmpty || names.contains(r.name),
                      selector.isEmpty || selector.matches(r.metadata.labels), fields.matches(r) else { continue }
                switch format {
                case .yaml: CLI.console.out("---\n" + YAMLPrinter.render(r.json))
                case .json: CLI.console.out(JSONCoding.encode(["type": .string(event.typeName), "object": r.json]) + "\n")
                case .name: CLI.console.out(CLI.resourceRef(r) + "\n")
                case .jsonpath(let t): CLI.console.out(t.render(r.json))
                case .customColumns(let columns):
                    let row = columns.map { c in Self.cell(c.path.values(r.json)) }
                    let header = widths == nil && !command.noHeaders ? columns.map(\.header) : nil
                    let w = widths ?? TablePrinter.widths(header: columns.map(\.header), rows: [row])
                    widths = w
                    CLI.console.out((header.map { TablePrinter.line($0, widths: w) } ?? "") + TablePrinter.line(row, widths: w))
                case .table(let wide):
                    let t = command.table([r], info: info, wide: wide, showNamespace: showNamespace)
                    let w = widths.map { zip($0, t.widths).map(max) + t.widths.dropFirst($0.count) } ?? t.widths
                    var out = widths == nil && !command.noHeaders ? TablePrinter.line(t.header, widths: w) : ""
                    widths = w
                    var row = t.rows[0]
                    if case .deleted = event { row[row.count - 1] += "   (deleted)" }
                    out += TablePrinter.line(row, widths: w)
                    CLI.console.out(out)
                }
            }
        }
        do {
            if let timeout { _ = try await CLI.within(seconds: timeout.seconds, body) } else { try await body() }
        } catch is CancellationError {
        } catch { throw CLI.storeFailure(error) }
    }

    static func list(_ items: [Resource]) -> JSONValue {
        .object(["apiVersion": .string(fogAPIVersion), "kind": "List", "items": .array(items.map(\.json))])
    }

    /// The kind's columns (wide: all of them), with `--show-labels` and `-L` columns; an object
    /// being deleted shows `Terminating` in its PHASE (or READY, or a STATUS column of its own).
    func table(_ items: [Resource], info: KindInfo, wide: Bool, showNamespace: Bool, prefixKind: Bool = false,
               now: Date = Date()) -> (text: String, header: [String], rows: [[String]], widths: [Int]) {
        let columns = info.columns.filter { wide || $0.priority == 0 }
        let labelKeys = labelColumns.flatMap { $0.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) } }.filter { !$0.isEmpty }
        var header = (showNamespace ? ["NAMESPACE"] : []) + ["NAME"] + columns.map(\.name)
        let hasAge = columns.contains { $0.type == "date" }
        if !hasAge { header.append("AGE") }
        let statusColumn = header.firstIndex(of: "PHASE") ?? header.firstIndex(of: "READY") ?? header.firstIndex(of: "OUTCOME")
        let anyTerminating = items.contains { $0.metadata.deletionTimestamp != nil }
        let extraStatus = statusColumn == nil && anyTerminating
        if extraStatus { header.append("STATUS") }
        header += labelKeys.map { ($0.split(separator: "/").last.map(String.init) ?? $0).uppercased() }
        if showLabels { header.append("LABELS") }
        let rows = items.map { r -> [String] in
            let json = r.json
            var row = (showNamespace ? [r.namespace] : []) + [prefixKind ? info.singular + "/" + r.name : r.name]
            for c in columns {
                let v = ColumnPath.evaluate(c.jsonPath, in: json)
                row.append(c.type == "date" ? Timestamp.age(from: v?.stringValue, now: now) : ColumnPath.text(v))
            }
            if !hasAge { row.append(Timestamp.age(from: r.metadata.creationTimestamp, now: now)) }
            let terminating = r.metadata.deletionTimestamp != nil
            if let i = statusColumn, terminating { row[i] = "Terminating" }
            if extraStatus { row.append(terminating ? "Terminating" : "") }
            row += labelKeys.map { r.metadata.labels[$0] ?? "" }
            if showLabels {
                row.append(r.metadata.labels.isEmpty ? "<none>" : r.metadata.labels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ","))
            }
            return row
        }
        let widths = TablePrinter.widths(header: header, rows: rows)
        return (TablePrinter.render(header: noHeaders ? nil : header, rows: rows), header, rows, widths)
    }
}

struct Kinds: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List the kinds fog knows, with their short names and scope (like kubectl api-resources).")
    /// Accepted as by every command; the kinds are this binary's, which a server of the same version serves.
    @OptionGroup var global: GlobalOptions

    func run() async throws {
        let rows = CLI.registry.kinds.map { k in
            [k.plural, k.shortNames.joined(separator: ","), fogAPIVersion, k.namespaced ? "true" : "false", k.kind]
        }
        CLI.console.out(TablePrinter.render(header: ["NAME", "SHORTNAMES", "APIVERSION", "NAMESPACED", "KIND"], rows: rows))
    }
}
