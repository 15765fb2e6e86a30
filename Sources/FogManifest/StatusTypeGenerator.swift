import FogModel

/// Writes the Swift types of every kind's status from its schema's `$defs/Status`
/// (`FogNodeStatus`, `FederatedJobStatus`, …, in `Sources/FogModel/Kinds/Status.generated.swift`),
/// so that the schema stays the one description of a status and the types cannot drift from
/// it: `StatusTypeTests` regenerates the file and fails when it differs
/// (`FOG_REGENERATE=1 swift test --filter StatusTypeTests` writes it).
///
/// How schema shapes become types: an object with `properties` → a nested struct (fields not
/// `required` are optional); an object with only `additionalProperties` → `[String: T]`; a
/// string `enum` → a nested `SchemaEnum`; `integer` → `Int`, `number` → `Double`; the shared
/// `Timestamp` → `String` (RFC 3339), `Condition` → `Condition`, `LogLines` → `[String]`;
/// anything looser (free-form objects, mixed types) → `JSONValue`. A nested type is named
/// after its field (`quote` → `Quote`), an array's or map's element after the field in the
/// singular (`participants` → `Participant`). A field whose schema names `x-swift-type` has that
/// type (`PrivacyMechanism`, or `Phase` for a second field holding a job's phase).
public enum StatusTypeGenerator {
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// The file's whole text, for `schemas`' kinds that describe a status.
    public static func source(_ schemas: SchemaSet) throws -> String {
        var out = """
        // Generated from the kinds' schemas (schemas/*.json, $defs/Status) by StatusTypeGenerator
        // (FogManifest). Do not edit: change the schema, then run
        // FOG_REGENERATE=1 swift test --filter StatusTypeTests

        """
        var typed: [String] = []
        for info in schemas.registry.kinds.sorted(by: { $0.kind < $1.kind }) {
            guard let status = schemas.byKind[info.kind]?.raw["$defs"]?["Status"],
                  let properties = status["properties"]?.objectValue, !properties.isEmpty else { continue }
            var lines: [String] = []
            try structDecl(name: info.kind + "Status", schema: status, conformances: "KindStatus",
                           kind: info.kind, path: info.kind + ".status", indent: "", into: &lines)
            out += "\n" + lines.joined(separator: "\n") + "\n"
            typed.append(info.kind + "Status.self")
        }
        out += """

        /// Every kind's status type.
        public enum KindStatuses {
            public static let all: [any KindStatus.Type] = [\(typed.joined(separator: ", "))]

            /// The status type of `kind`, if its schema describes a status.
            public static func type(of kind: String) -> (any KindStatus.Type)? { all.first { $0.kind == kind } }
        }

        """
        return out
    }

    private static func structDecl(name: String, schema: JSONValue, conformances: String, kind: String?,
                                   path: String, indent: String, into out: inout [String]) throws {
        let inner = indent + "    "
        doc(schema["description"]?.stringValue, indent: indent, into: &out)
        out.append("\(indent)public struct \(name): \(conformances) {")
        let properties = schema["properties"]?.objectValue ?? [:]
        if let kind {
            out.append("\(inner)public static let kind = \"\(kind)\"")
        }
        let required = Set((schema["required"]?.arrayValue ?? []).compactMap(\.stringValue))
        var nested: [[String]] = []
        var nestedNames: Set<String> = []
        var fields: [(name: String, type: String, optional: Bool)] = []
        for key in properties.keys.sorted() {
            let property = properties[key]!
            var type = try typeExpr(property, hint: typeName(key), path: path + "." + key, indent: inner,
                                    nested: &nested, nestedNames: &nestedNames)
            let optional = !required.contains(key)
            if optional { type += "?" }
            fields.append((key, type, optional))
            if kind != nil || !fields.dropLast().isEmpty { out.append("") }
            doc(property["description"]?.stringValue, indent: inner, into: &out)
            out.append("\(inner)public var \(identifier(key)): \(type)")
        }
        out.append("")
        let parameters = fields.map { "\(identifier($0.name)): \($0.type)\($0.optional ? " = nil" : "")" }
        out.append("\(inner)public init(\(parameters.joined(separator: ", "))) {")
        for f in fields { out.append("\(inner)    self.\(identifier(f.name)) = \(identifier(f.name))") }
        out.append("\(inner)}")
        if kind != nil {
            out.append("")
            out.append("\(inner)public func write(into status: inout [String: JSONValue], changedFrom old: Self) {")
            for f in fields {
                let name = identifier(f.name)
                out.append("\(inner)    if \(name) != old.\(name) { status[\"\(f.name)\"] = StatusField.json(\(name)) }")
            }
            out.append("\(inner)}")
            out.append("")
            out.append("\(inner)public static func fieldName(_ field: PartialKeyPath<Self>) -> String? {")
            for f in fields {
                out.append("\(inner)    if field == \\Self.\(identifier(f.name)) { return \"\(f.name)\" }")
            }
            out.append("\(inner)    return nil")
            out.append("\(inner)}")
        }
        for n in nested { out.append(""); out.append(contentsOf: n) }
        out.append("\(indent)}")
    }

    private static func typeExpr(_ schema: JSONValue, hint: String, path: String, indent: String,
                                 nested: inout [[String]], nestedNames: inout Set<String>) throws -> String {
        // A type the code already has for the same values (`x-swift-type`: a domain enum, or
        // an enum generated elsewhere in the same status).
        if let named = schema["x-swift-type"]?.stringValue { return named }
        if let ref = schema["$ref"]?.stringValue {
            switch ref {
            case "status.json#/$defs/Timestamp": return "String"
            case "status.json#/$defs/Condition": return "Condition"
            case "status.json#/$defs/LogLines": return "[String]"
            default: throw Failure(description: "\(path): no Swift type for $ref \(ref)")
            }
        }
        guard let type = schema["type"]?.stringValue else { return "JSONValue" }
        switch type {
        case "string":
            guard let values = schema["enum"]?.arrayValue?.compactMap(\.stringValue) else { return "String" }
            let name = try claim(hint, path: path, in: &nestedNames)
            var lines: [String] = []
            doc(schema["description"]?.stringValue, indent: indent, into: &lines)
            lines.append("\(indent)public enum \(name): String, SchemaEnum, Encodable {")
            for v in values {
                let c = caseName(v)
                lines.append("\(indent)    case \(c)\(c.trimmingBackticks == v ? "" : " = \"\(v)\"")")
            }
            lines.append("\(indent)}")
            nested.append(lines)
            return name
        case "integer": return "Int"
        case "number": return "Double"
        case "boolean": return "Bool"
        case "array":
            guard let items = schema["items"] else { return "[JSONValue]" }
            return "[" + (try typeExpr(items, hint: singular(hint), path: path + "[]", indent: indent,
                                       nested: &nested, nestedNames: &nestedNames)) + "]"
        case "object":
            if let properties = schema["properties"]?.objectValue, !properties.isEmpty {
                if schema["additionalProperties"]?.boolValue == true {
                    throw Failure(description: "\(path): an object with both properties and additionalProperties: true has no exact Swift type")
                }
                let name = try claim(hint, path: path, in: &nestedNames)
                var lines: [String] = []
                try structDecl(name: name, schema: schema, conformances: "Codable, Sendable, Equatable", kind: nil,
                               path: path, indent: indent, into: &lines)
                nested.append(lines)
                return name
            }
            if let values = schema["additionalProperties"], values.objectValue != nil {
                return "[String: " + (try typeExpr(values, hint: singular(hint), path: path + "{}", indent: indent,
                                                   nested: &nested, nestedNames: &nestedNames)) + "]"
            }
            return "JSONValue"
        default:
            throw Failure(description: "\(path): no Swift type for type \(type)")
        }
    }

    /// `name`, unless a sibling type already has it (then the schema needs another field name).
    private static func claim(_ name: String, path: String, in names: inout Set<String>) throws -> String {
        let usable = ["Type", "Protocol", "Self"].contains(name) ? name + "Value" : name
        guard names.insert(usable).inserted else {
            throw Failure(description: "\(path): a second nested type named \(usable)")
        }
        return usable
    }

    private static func doc(_ text: String?, indent: String, into out: inout [String]) {
        guard let text, !text.isEmpty else { return }
        var line = ""
        for word in text.split(separator: " ", omittingEmptySubsequences: true) {
            if !line.isEmpty && line.count + word.count + 1 > 96 {
                out.append("\(indent)/// \(line)")
                line = ""
            }
            line += (line.isEmpty ? "" : " ") + word
        }
        if !line.isEmpty { out.append("\(indent)/// \(line)") }
    }

    static let keywords: Set<String> = [
        "associatedtype", "class", "deinit", "enum", "extension", "fileprivate", "func", "import", "init", "inout",
        "internal", "let", "open", "operator", "private", "precedencegroup", "protocol", "public", "rethrows",
        "static", "struct", "subscript", "typealias", "var", "break", "case", "catch", "continue", "default",
        "defer", "do", "else", "fallthrough", "for", "guard", "if", "in", "repeat", "return", "throw", "switch",
        "where", "while", "Any", "as", "false", "is", "nil", "self", "Self", "super", "throws", "true", "try",
    ]

    /// A field or case name as Swift writes it (`class` → `` `class` ``).
    static func identifier(_ name: String) -> String {
        keywords.contains(name) ? "`\(name)`" : name
    }

    /// `latency-optimized` → `latencyOptimized`, `Pending` → `pending`, `True` → `` `true` ``.
    static func caseName(_ raw: String) -> String {
        let words = raw.split(whereSeparator: { !$0.isLetter && !$0.isNumber }).map(String.init)
        guard let first = words.first else { return "_empty" }
        var name = first.prefix(1).lowercased() + first.dropFirst()
        if first.allSatisfy(\.isUppercase) { name = first.lowercased() }
        for w in words.dropFirst() { name += w.prefix(1).uppercased() + w.dropFirst() }
        if let c = name.first, c.isNumber { name = "_" + name }
        return identifier(name)
    }

    static func typeName(_ field: String) -> String { field.prefix(1).uppercased() + field.dropFirst() }

    /// `Participants` → `Participant`, `Entries` → `Entry`; a name not in the plural gets `Item`.
    static func singular(_ name: String) -> String {
        if name.hasSuffix("ies") { return String(name.dropLast(3)) + "y" }
        if name.hasSuffix("sses") { return String(name.dropLast(2)) }
        if name.hasSuffix("s") && !name.hasSuffix("ss") { return String(name.dropLast()) }
        return name + "Item"
    }
}

private extension String {
    var trimmingBackticks: String { filter { $0 != "`" } }
}
