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

    /// A field's type, for the Swift type's name and for the code that reads and writes it.
    indirect enum TypeDesc {
        case string, int, double, bool, json, condition
        case enumeration(String)
        case structure(String)
        case array(TypeDesc)
        case map(TypeDesc)

        var swift: String {
            switch self {
            case .string: return "String"
            case .int: return "Int"
            case .double: return "Double"
            case .bool: return "Bool"
            case .json: return "JSONValue"
            case .condition: return "Condition"
            case .enumeration(let n), .structure(let n): return n
            case .array(let e): return "[\(e.swift)]"
            case .map(let e): return "[String: \(e.swift)]"
            }
        }

        /// An expression reading JSON value `v` (at the path expression `p`) as this type.
        func read(_ v: String, _ p: String) -> String {
            switch self {
            case .string: return "try StatusRead.string(\(v), \(p))"
            case .int: return "try StatusRead.int(\(v), \(p))"
            case .double: return "try StatusRead.double(\(v), \(p))"
            case .bool: return "try StatusRead.bool(\(v), \(p))"
            case .json: return v
            case .condition: return "try StatusRead.condition(\(v), \(p))"
            case .enumeration(let n): return "try StatusRead.enumeration(\(n).self, \(v), \(p))"
            case .structure(let n): return "try \(n)(json: StatusRead.object(\(v), \(p)), at: \(p))"
            case .array(let e): return "try StatusRead.array(\(v), \(p)) { e, ep throws(JSONDecodingError) in \(e.read("e", "ep")) }"
            case .map(let e): return "try StatusRead.map(\(v), \(p)) { e, ep throws(JSONDecodingError) in \(e.read("e", "ep")) }"
            }
        }

        /// An expression writing value `v` of this type as JSON.
        func write(_ v: String) -> String {
            switch self {
            case .string: return ".string(\(v))"
            case .int: return ".int(Int64(\(v)))"
            case .double: return ".double(\(v))"
            case .bool: return ".bool(\(v))"
            case .json: return v
            case .condition: return "\(v).json"
            case .enumeration: return ".string(\(v).rawValue)"
            case .structure: return ".object(\(v).jsonObject)"
            case .array(let e): return ".array(\(v).map { e in \(e.write("e")) })"
            case .map(let e): return ".object(\(v).mapValues { e in \(e.write("e")) })"
            }
        }
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
        var fields: [(name: String, type: String, optional: Bool, desc: TypeDesc)] = []
        for key in properties.keys.sorted() {
            let property = properties[key]!
            let desc = try typeExpr(property, hint: typeName(key), path: path + "." + key, indent: inner,
                                    nested: &nested, nestedNames: &nestedNames)
            let optional = !required.contains(key)
            let type = desc.swift + (optional ? "?" : "")
            fields.append((key, type, optional, desc))
            if kind != nil || !fields.dropLast().isEmpty { out.append("") }
            doc(property["description"]?.stringValue, indent: inner, into: &out)
            out.append("\(inner)public var \(identifier(key)): \(type)")
        }
        out.append("")
        let parameters = fields.map { "\(identifier($0.name)): \($0.type)\($0.optional ? " = nil" : "")" }
        out.append("\(inner)public init(\(parameters.joined(separator: ", "))) {")
        for f in fields { out.append("\(inner)    self.\(identifier(f.name)) = \(identifier(f.name))") }
        out.append("\(inner)}")
        // Straight from and to JSON (no Codable containers): status writes are on the hot path.
        out.append("")
        out.append("\(inner)/// Reads `json`, the object at `path` (for errors).")
        out.append("\(inner)public init(json o: [String: JSONValue], at path: String) throws(JSONDecodingError) {")
        for f in fields {
            let name = identifier(f.name)
            let fieldPath = "path + \".\(f.name)\""
            if f.optional {
                out.append("\(inner)    if let v = o[\"\(f.name)\"], !v.isNull { \(name) = \(f.desc.read("v", fieldPath)) } else { \(name) = nil }")
            } else {
                out.append("\(inner)    \(name) = \(f.desc.read("try StatusRead.required(o[\"\(f.name)\"], \(fieldPath))", fieldPath))")
            }
        }
        out.append("\(inner)}")
        out.append("")
        out.append("\(inner)/// As JSON, nil fields left out.")
        out.append("\(inner)public var jsonObject: [String: JSONValue] {")
        out.append("\(inner)    var o: [String: JSONValue] = [:]")
        for f in fields {
            let name = identifier(f.name)
            if f.optional {
                out.append("\(inner)    if let v = \(name) { o[\"\(f.name)\"] = \(f.desc.write("v")) }")
            } else {
                out.append("\(inner)    o[\"\(f.name)\"] = \(f.desc.write(name))")
            }
        }
        out.append("\(inner)    return o")
        out.append("\(inner)}")
        if kind != nil {
            out.append("")
            out.append("\(inner)public func write(into status: inout [String: JSONValue], changedFrom old: Self) {")
            for f in fields {
                let name = identifier(f.name)
                out.append("\(inner)    if \(name) != old.\(name) { status[\"\(f.name)\"] = \(name).map { v in \(f.desc.write("v")) } }")
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
                                 nested: inout [[String]], nestedNames: inout Set<String>) throws -> TypeDesc {
        // A type the code already has for the same values (`x-swift-type`: a domain enum, or
        // an enum generated elsewhere in the same status).
        if let named = schema["x-swift-type"]?.stringValue {
            guard schema["type"]?.stringValue == "string" else { throw Failure(description: "\(path): x-swift-type is for string enums") }
            return .enumeration(named)
        }
        if let ref = schema["$ref"]?.stringValue {
            switch ref {
            case "status.json#/$defs/Timestamp": return .string
            case "status.json#/$defs/Condition": return .condition
            case "status.json#/$defs/LogLines": return .array(.string)
            default: throw Failure(description: "\(path): no Swift type for $ref \(ref)")
            }
        }
        guard let type = schema["type"]?.stringValue else { return .json }
        switch type {
        case "string":
            guard let values = schema["enum"]?.arrayValue?.compactMap(\.stringValue) else { return .string }
            let name = try claim(hint, path: path, in: &nestedNames)
            var lines: [String] = []
            doc(schema["description"]?.stringValue, indent: indent, into: &lines)
            lines.append("\(indent)public enum \(name): String, SchemaEnum {")
            for v in values {
                let c = caseName(v)
                lines.append("\(indent)    case \(c)\(c.trimmingBackticks == v ? "" : " = \"\(v)\"")")
            }
            lines.append("\(indent)}")
            nested.append(lines)
            return .enumeration(name)
        case "integer": return .int
        case "number": return .double
        case "boolean": return .bool
        case "array":
            guard let items = schema["items"] else { return .array(.json) }
            return .array(try typeExpr(items, hint: singular(hint), path: path + "[]", indent: indent,
                                       nested: &nested, nestedNames: &nestedNames))
        case "object":
            if let properties = schema["properties"]?.objectValue, !properties.isEmpty {
                if schema["additionalProperties"]?.boolValue == true {
                    throw Failure(description: "\(path): an object with both properties and additionalProperties: true has no exact Swift type")
                }
                let name = try claim(hint, path: path, in: &nestedNames)
                var lines: [String] = []
                try structDecl(name: name, schema: schema, conformances: "StatusObject", kind: nil,
                               path: path, indent: indent, into: &lines)
                nested.append(lines)
                return .structure(name)
            }
            if let values = schema["additionalProperties"], values.objectValue != nil {
                return .map(try typeExpr(values, hint: singular(hint), path: path + "{}", indent: indent,
                                         nested: &nested, nestedNames: &nestedNames))
            }
            return .json
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
