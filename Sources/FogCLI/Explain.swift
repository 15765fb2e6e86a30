import ArgumentParser
import FogManifest
import FogModel

/// `fogctl explain KIND[.field.path]`: a kind's fields from its JSON schema, as kubectl
/// explain shows a CRD's: KIND, VERSION, the field and its type, its description, and its
/// fields with their types (`-required-` where the schema requires them). Offline: the schemas
/// are built in.
struct Explain: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Describe a kind's fields from its schema (like kubectl explain).",
        discussion: """
            KIND is a kind name, plural, singular or short name (see `fogctl kinds`); a dotted path goes down its \
            fields: `fogctl explain fj.spec.training`, `fogctl explain fognode.status.telemetry.cpu`. Through a list \
            the path goes to its items' fields, through a map to its values'. `status` is the status the kind's \
            controllers and agents write ($defs/Status of its schema).
            """)

    @Argument(help: "KIND or KIND.field.path")
    var path: String
    @Flag(help: "List every field below, indented, with its type.")
    var recursive = false
    /// Accepted as by every command (a context or --server does not break explain); the fields are this binary's schemas, which a server of the same version serves.
    @OptionGroup var global: GlobalOptions

    func run() async throws {
        let parts = path.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard let first = parts.first, !first.isEmpty, !parts.contains("") else {
            throw CommandFailure(code: 1, "error: \"\(path)\" is not KIND or KIND.field.path")
        }
        let info = try CLI.kind(first)
        let field: SchemaField
        do { field = try SchemaSet.builtIn.explain(kind: info.kind, path: Array(parts.dropFirst())) } catch {
            throw CommandFailure(code: 1, "error: \(error.message)")
        }
        CLI.console.out(Self.render(kind: info.kind, path: Array(parts.dropFirst()), field: field, recursive: recursive))
    }

    static func render(kind: String, path: [String], field: SchemaField, recursive: Bool) -> String {
        var out = "KIND:       \(kind)\nVERSION:    \(fogAPIVersion)\n\n"
        if let last = path.last { out += "FIELD: \(last) <\(field.type)>\n\n" }
        out += "DESCRIPTION:\n"
        out += wrap(field.description ?? "<empty>", indent: 4)
        var facts: [String] = []
        if !field.enumValues.isEmpty { facts.append("ENUM: " + field.enumValues.joined(separator: ", ")) }
        if let d = field.defaultValue { facts.append("DEFAULT: " + d) }
        facts += field.constraints
        if !facts.isEmpty { out += "\n" + facts.map { "    " + $0 + "\n" }.joined() }
        let children = field.children
        if !children.isEmpty {
            out += "\nFIELDS:\n"
            if recursive {
                var seen = Set<String>()
                list(children, depth: 1, seen: &seen, path: [kind] + path, into: &out)
            } else {
                for c in children {
                    out += "  \(c.name)\t<\(c.type)>" + (c.required ? " -required-" : "") + "\n"
                    out += wrap(c.description ?? "<no description>", indent: 4)
                    if !c.field.enumValues.isEmpty { out += "    enum: " + c.field.enumValues.joined(separator: ", ") + "\n" }
                    out += "\n"
                }
            }
        }
        return out
    }

    /// `--recursive`: every field below, two spaces deeper per level (kubectl's layout).
    static func list(_ children: [SchemaField.Child], depth: Int, seen: inout Set<String>, path: [String], into out: inout String) {
        for c in children {
            out += String(repeating: "  ", count: depth) + "\(c.name)\t<\(c.type)>" + (c.required ? " -required-" : "") + "\n"
            // A schema that contains itself stops after its first appearance on a path.
            let here = (path + [c.name]).joined(separator: ".")
            guard depth < 12, seen.insert(here).inserted else { continue }
            list(c.field.children, depth: depth + 1, seen: &seen, path: path + [c.name], into: &out)
        }
    }

    /// `text` wrapped at 80 columns, each line indented.
    static func wrap(_ text: String, indent: Int, width: Int = 80) -> String {
        let pad = String(repeating: " ", count: indent)
        var out = ""
        var line = ""
        for word in text.split(whereSeparator: { $0 == " " || $0 == "\n" }) {
            if !line.isEmpty && pad.count + line.count + 1 + word.count > width {
                out += pad + line + "\n"
                line = ""
            }
            line += (line.isEmpty ? "" : " ") + word
        }
        if !line.isEmpty { out += pad + line + "\n" }
        return out
    }
}
