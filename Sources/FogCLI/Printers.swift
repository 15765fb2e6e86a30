import FogModel
import Foundation

/// Renders JSON values as block-style YAML, kubectl-like: apiVersion, kind,
/// metadata, spec, status first; other keys sorted; strings quoted when plain
/// style would read back as something else.
public enum YAMLPrinter {
    static let topOrder = ["apiVersion", "kind", "metadata", "spec", "status"]
    static let metaOrder = ["name", "namespace", "uid", "resourceVersion", "generation", "creationTimestamp", "deletionTimestamp"]

    public static func render(_ value: JSONValue) -> String {
        var out = ""
        switch value {
        case .object(let o) where !o.isEmpty: object(o, indent: 0, path: "", into: &out)
        case .array(let a) where !a.isEmpty: array(a, indent: 0, path: "", into: &out)
        default: out = scalar(value) + "\n"
        }
        return out
    }

    static func orderedKeys(_ o: [String: JSONValue], path: String) -> [String] {
        let order = path == "" ? topOrder : (path == "metadata" ? metaOrder : [])
        let first = order.filter { o[$0] != nil }
        return first + o.keys.filter { !order.contains($0) }.sorted()
    }

    static func object(_ o: [String: JSONValue], indent: Int, path: String, into out: inout String) {
        let pad = String(repeating: " ", count: indent)
        for key in orderedKeys(o, path: path) {
            let v = o[key]!
            let k = scalar(.string(key))
            switch v {
            case .object(let child) where !child.isEmpty:
                out += "\(pad)\(k):\n"
                object(child, indent: indent + 2, path: path.isEmpty ? key : path + "." + key, into: &out)
            case .array(let items) where !items.isEmpty:
                out += "\(pad)\(k):\n"
                array(items, indent: indent, path: path + "." + key, into: &out)
            default:
                out += "\(pad)\(k): \(scalar(v))\n"
            }
        }
    }

    static func array(_ a: [JSONValue], indent: Int, path: String, into out: inout String) {
        let pad = String(repeating: " ", count: indent)
        for item in a {
            switch item {
            case .object(let o) where !o.isEmpty:
                var nested = ""
                object(o, indent: indent + 2, path: path + "[]", into: &nested)
                // The first line of the mapping shares the "- " of the item.
                let dropped = nested.dropFirst(indent + 2)
                out += "\(pad)- " + dropped
            case .array(let inner) where !inner.isEmpty:
                out += "\(pad)-\n"
                array(inner, indent: indent + 2, path: path + "[]", into: &out)
            default:
                out += "\(pad)- \(scalar(item))\n"
            }
        }
    }

    static func scalar(_ v: JSONValue) -> String {
        switch v {
        case .null: return "null"
        case .bool(let b): return b ? "true" : "false"
        case .int(let i): return String(i)
        case .double(let d): return JSONCoding.formatDouble(d)
        case .object: return "{}"
        case .array: return "[]"
        case .string(let s): return needsQuotes(s) ? JSONCoding.encode(.string(s)) : s
        }
    }

    static let reserved: Set<String> = ["", "~", "null", "Null", "NULL", "true", "True", "TRUE", "false", "False", "FALSE",
                                        "yes", "Yes", "YES", "no", "No", "NO", "on", "On", "ON", "off", "Off", "OFF",
                                        "y", "Y", "n", "N", ".inf", ".Inf", ".INF", "-.inf", ".nan", ".NaN", "<<"]

    static func needsQuotes(_ s: String) -> Bool {
        if reserved.contains(s) { return true }
        guard let first = s.unicodeScalars.first, let last = s.unicodeScalars.last else { return true }
        if " \t".unicodeScalars.contains(first) || " \t".unicodeScalars.contains(last) { return true }
        if "-?:,[]{}#&*!|>'\"%@`".unicodeScalars.contains(first) { return true }
        if first.properties.numericType != nil || first == "+" || first == "." {
            if Double(s) != nil || Int(s) != nil || s.hasPrefix("0x") || s.hasPrefix("0o") || s.contains(":") { return true }
            if YAMLNumberShape.looksNumeric(s) { return true }
        }
        if s.contains(": ") || s.contains(" #") || s.hasSuffix(":") { return true }
        for u in s.unicodeScalars where u.value < 0x20 || u.value == 0x7F || u == "\u{FEFF}" { return true }
        return false
    }
}

enum YAMLNumberShape {
    /// Numbers in YAML 1.1 spellings other tools may still read (`1_000`, `1e3`, `0755`).
    static func looksNumeric(_ s: String) -> Bool {
        let stripped = s.replacingOccurrences(of: "_", with: "")
        return Double(stripped) != nil
    }
}

/// Indented JSON with sorted keys (objects in kubectl's field order), as `-o json` prints it.
public enum JSONPrettyPrinter {
    public static func render(_ value: JSONValue) -> String {
        var out = ""
        write(value, indent: 0, into: &out)
        return out + "\n"
    }

    static func write(_ value: JSONValue, indent: Int, into out: inout String) {
        let pad = String(repeating: " ", count: indent + 4)
        switch value {
        case .object(let o) where !o.isEmpty:
            out += "{\n"
            let isObject = o["apiVersion"] != nil && o["kind"] != nil
            let keys = isObject ? YAMLPrinter.orderedKeys(o, path: "") : o.keys.sorted()
            for (i, k) in keys.enumerated() {
                out += pad + JSONCoding.encode(.string(k)) + ": "
                write(o[k]!, indent: indent + 4, into: &out)
                out += i == keys.count - 1 ? "\n" : ",\n"
            }
            out += String(repeating: " ", count: indent) + "}"
        case .array(let a) where !a.isEmpty:
            out += "[\n"
            for (i, e) in a.enumerated() {
                out += pad
                write(e, indent: indent + 4, into: &out)
                out += i == a.count - 1 ? "\n" : ",\n"
            }
            out += String(repeating: " ", count: indent) + "]"
        default:
            out += JSONCoding.encode(value)
        }
    }
}

/// Evaluates the small JSONPath subset printer columns use: `.a.b`, `[N]`, `[?(@.type=="X")]`.
public enum ColumnPath {
    public static func evaluate(_ path: String, in root: JSONValue) -> JSONValue? {
        var current: JSONValue? = root
        var rest = Substring(path)
        while let c = rest.first, current != nil {
            if c == "." {
                rest = rest.dropFirst()
                let name = rest.prefix { $0 != "." && $0 != "[" }
                rest = rest.dropFirst(name.count)
                current = current?[String(name)]
            } else if c == "[" {
                guard let close = rest.firstIndex(of: "]") else { return nil }
                // A filter's closing bracket comes after its closing parenthesis.
                let end = rest.hasPrefix("[?(") ? (rest.range(of: ")]").map { rest.index(before: $0.upperBound) } ?? close) : close
                let inner = rest[rest.index(after: rest.startIndex)..<end]
                rest = rest[rest.index(after: end)...]
                if let n = Int(inner) {
                    guard let a = current?.arrayValue, n >= 0, n < a.count else { return nil }
                    current = a[n]
                } else if inner.hasPrefix("?(@.") {
                    // ?(@.field=="value")
                    let body = inner.dropFirst(4).dropLast()
                    let parts = body.components(separatedBy: "==")
                    guard parts.count == 2 else { return nil }
                    let field = parts[0].trimmingCharacters(in: .whitespaces)
                    let want = parts[1].trimmingCharacters(in: .whitespaces).trimmingCharacters(in: CharacterSet(charactersIn: "\"'"))
                    current = current?.arrayValue?.first { $0[field]?.stringValue == want }
                } else {
                    return nil
                }
            } else {
                return nil
            }
        }
        return current
    }

    public static func text(_ v: JSONValue?) -> String {
        guard let v else { return "<none>" }
        switch v {
        case .null: return "<none>"
        case .string(let s): return s.isEmpty ? "<none>" : s
        case .bool(let b): return b ? "true" : "false"
        case .int(let i): return String(i)
        case .double(let d): return JSONSchemaNumber.short(d)
        case .array(let a): return a.isEmpty ? "<none>" : a.map { text($0) }.joined(separator: ",")
        case .object: return JSONCoding.encode(v)
        }
    }
}

enum JSONSchemaNumber {
    static func short(_ d: Double) -> String {
        if d.rounded() == d && abs(d) < 1e15 { return String(Int64(d)) }
        return String(format: "%g", d)
    }
}

/// Aligned columns, three spaces apart, as kubectl prints them.
public enum TablePrinter {
    public static func render(header: [String]?, rows: [[String]]) -> String {
        let w = widths(header: header ?? [], rows: rows)
        return (header.map { line($0, widths: w) } ?? "") + rows.map { line($0, widths: w) }.joined()
    }

    /// The width of each column: its longest cell.
    public static func widths(header: [String], rows: [[String]]) -> [Int] {
        var widths = header.map(\.count)
        for row in rows {
            for (i, cell) in row.enumerated() {
                if i < widths.count { widths[i] = max(widths[i], cell.count) } else { widths.append(cell.count) }
            }
        }
        return widths
    }

    /// One row padded to `widths` (a cell longer than its column pushes the rest right).
    public static func line(_ cells: [String], widths: [Int]) -> String {
        var s = ""
        for (i, cell) in cells.enumerated() {
            if i == cells.count - 1 { s += cell } else { s += cell + String(repeating: " ", count: max(0, (i < widths.count ? widths[i] : cell.count) - cell.count) + 3) }
        }
        return s + "\n"
    }
}
