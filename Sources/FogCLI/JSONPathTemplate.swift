import FogModel

/// kubectl's JSONPath templates, as `-o jsonpath=…`, `-o custom-columns=…`, `--sort-by` and
/// `wait --for=jsonpath=…` use them: text with `{expressions}`; an expression is a path from
/// the root (`.a.b`, `['a.b']`, `[0]`, `[-1]`, `[1:3]`, `[*]`, `..name`,
/// `[?(@.type=="Ready")]`), a quoted string (`{"\n"}`), or `range PATH` … `end`.
struct JSONPathTemplate: Sendable {
    struct Failure: Error, CustomStringConvertible {
        let message: String
        var description: String { message }
    }

    indirect enum Step: Equatable, Sendable {
        case field(String)
        case index(Int)
        case slice(Int?, Int?)
        case wildcard
        case descendant(String)
        case filter(path: [Step], op: String?, literal: JSONValue?)
    }

    enum Piece: Sendable {
        case text(String)
        case path([Step])
        case range([Step], [Piece])
    }

    let pieces: [Piece]

    init(_ template: String) throws {
        var tokens: [(isExpression: Bool, body: String)] = []
        var text = ""
        var chars = Array(template)
        var i = 0
        // Shell quoting often leaves the braces out: a bare path is one expression.
        if !template.contains("{") && (template.hasPrefix(".") || template.hasPrefix("[")) { chars = Array("{" + template + "}") }
        while i < chars.count {
            if chars[i] == "{" {
                if !text.isEmpty { tokens.append((false, text)); text = "" }
                var depth = 0, j = i, quote: Character?
                repeat {
                    let c = chars[j]
                    if let q = quote { if c == q { quote = nil } } else if c == "\"" || c == "'" { quote = c }
                    else if c == "{" { depth += 1 } else if c == "}" { depth -= 1 }
                    j += 1
                } while j < chars.count && depth > 0
                guard depth == 0 else { throw Failure(message: "unclosed { in template \"\(template)\"") }
                tokens.append((true, String(chars[(i + 1)..<(j - 1)]).trimmingCharacters(in: .whitespaces)))
                i = j
            } else {
                text.append(chars[i])
                i += 1
            }
        }
        if !text.isEmpty { tokens.append((false, text)) }
        var index = 0
        pieces = try Self.pieces(tokens, &index, inRange: false)
    }

    static func pieces(_ tokens: [(isExpression: Bool, body: String)], _ index: inout Int, inRange: Bool) throws -> [Piece] {
        var out: [Piece] = []
        while index < tokens.count {
            let t = tokens[index]
            index += 1
            guard t.isExpression else { out.append(.text(t.body)); continue }
            if t.body == "end" {
                guard inRange else { throw Failure(message: "{end} without {range}") }
                return out
            }
            if t.body.hasPrefix("range ") {
                let path = try parsePath(String(t.body.dropFirst(6)).trimmingCharacters(in: .whitespaces))
                let body = try pieces(tokens, &index, inRange: true)
                out.append(.range(path, body))
                continue
            }
            if let first = t.body.first, first == "\"" || first == "'" {
                out.append(.text(unescape(String(t.body.dropFirst().dropLast()))))
                continue
            }
            out.append(.path(try parsePath(t.body)))
        }
        if inRange { throw Failure(message: "{range} without {end}") }
        return out
    }

    static func unescape(_ s: String) -> String {
        s.replacingOccurrences(of: "\\n", with: "\n").replacingOccurrences(of: "\\t", with: "\t").replacingOccurrences(of: "\\\"", with: "\"")
    }

    /// A path: `$`, `@` or nothing, then steps.
    static func parsePath(_ text: String) throws -> [Step] {
        var s = Substring(text)
        if s.hasPrefix("$") || s.hasPrefix("@") { s = s.dropFirst() }
        var steps: [Step] = []
        func name(_ s: inout Substring) -> String {
            let n = s.prefix { $0 != "." && $0 != "[" }
            s = s.dropFirst(n.count)
            return String(n)
        }
        while let c = s.first {
            if s.hasPrefix("..") {
                s = s.dropFirst(2)
                let n = name(&s)
                guard !n.isEmpty else { throw Failure(message: "\"..\" needs a field name in \(text)") }
                steps.append(.descendant(n))
            } else if c == "." {
                s = s.dropFirst()
                let n = name(&s)
                if n == "*" { steps.append(.wildcard) } else if !n.isEmpty { steps.append(.field(n)) }
            } else if c == "[" {
                guard let close = closing(s) else { throw Failure(message: "unclosed [ in \(text)") }
                let inner = String(s[s.index(after: s.startIndex)..<close]).trimmingCharacters(in: .whitespaces)
                s = s[s.index(after: close)...]
                steps.append(try bracket(inner, in: text))
            } else {
                // A path may start without a dot (`status.phase`).
                let n = name(&s)
                guard !n.isEmpty else { throw Failure(message: "unexpected \"\(c)\" in \(text)") }
                steps.append(.field(n))
            }
        }
        return steps
    }

    static func closing(_ s: Substring) -> Substring.Index? {
        var quote: Character?
        var depth = 0
        var i = s.startIndex
        while i < s.endIndex {
            let c = s[i]
            if let q = quote { if c == q { quote = nil } } else if c == "\"" || c == "'" { quote = c }
            else if c == "[" { depth += 1 } else if c == "]" { depth -= 1; if depth == 0 { return i } }
            i = s.index(after: i)
        }
        return nil
    }

    static func bracket(_ inner: String, in text: String) throws -> Step {
        if inner == "*" { return .wildcard }
        if let q = inner.first, q == "'" || q == "\"", inner.last == q, inner.count >= 2 { return .field(String(inner.dropFirst().dropLast())) }
        if inner.hasPrefix("?(") && inner.hasSuffix(")") {
            let body = String(inner.dropFirst(2).dropLast()).trimmingCharacters(in: .whitespaces)
            for op in ["==", "!=", "<=", ">=", "<", ">"] {
                if let r = body.range(of: op) {
                    let lhs = String(body[..<r.lowerBound]).trimmingCharacters(in: .whitespaces)
                    let rhs = String(body[r.upperBound...]).trimmingCharacters(in: .whitespaces)
                    return .filter(path: try parsePath(lhs), op: op, literal: literal(rhs))
                }
            }
            return .filter(path: try parsePath(body), op: nil, literal: nil)
        }
        if inner.contains(":") {
            let parts = inner.split(separator: ":", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2 else { throw Failure(message: "bad slice [\(inner)] in \(text)") }
            return .slice(parts[0].isEmpty ? nil : Int(parts[0]), parts[1].isEmpty ? nil : Int(parts[1]))
        }
        guard let n = Int(inner) else { throw Failure(message: "bad subscript [\(inner)] in \(text)") }
        return .index(n)
    }

    static func literal(_ s: String) -> JSONValue {
        if let q = s.first, q == "'" || q == "\"", s.count >= 2 { return .string(String(s.dropFirst().dropLast())) }
        if let i = Int64(s) { return .int(i) }
        if let d = Double(s) { return .double(d) }
        if s == "true" || s == "false" { return .bool(s == "true") }
        return .string(s)
    }

    // MARK: Evaluation

    static func evaluate(_ steps: [Step], _ root: JSONValue) -> [JSONValue] {
        var current = [root]
        for step in steps {
            var next: [JSONValue] = []
            for v in current {
                switch step {
                case .field(let n): if let x = v[n] { next.append(x) }
                case .index(let i):
                    if let a = v.arrayValue { let j = i < 0 ? a.count + i : i; if j >= 0 && j < a.count { next.append(a[j]) } }
                case .slice(let from, let to):
                    if let a = v.arrayValue {
                        func clamp(_ x: Int) -> Int { min(max(x < 0 ? a.count + x : x, 0), a.count) }
                        let lo = clamp(from ?? 0), hi = clamp(to ?? a.count)
                        if lo < hi { next += a[lo..<hi] }
                    }
                case .wildcard:
                    if let a = v.arrayValue { next += a } else if let o = v.objectValue { next += o.keys.sorted().map { o[$0]! } }
                case .descendant(let n): descend(v, n, into: &next)
                case .filter(let path, let op, let literal):
                    let items = v.arrayValue ?? []
                    next += items.filter { item in
                        let found = evaluate(path, item)
                        guard let op, let literal else { return !found.isEmpty }
                        return found.contains { compare($0, op, literal) }
                    }
                }
            }
            current = next
        }
        return current
    }

    static func descend(_ v: JSONValue, _ name: String, into out: inout [JSONValue]) {
        switch v {
        case .object(let o):
            if let x = o[name] { out.append(x) }
            for k in o.keys.sorted() { descend(o[k]!, name, into: &out) }
        case .array(let a): for x in a { descend(x, name, into: &out) }
        default: break
        }
    }

    static func compare(_ a: JSONValue, _ op: String, _ b: JSONValue) -> Bool {
        if let x = a.numberValue, let y = b.numberValue { return holds(x, op, y) }
        return holds(text(a), op, text(b))
    }

    static func holds<T: Comparable>(_ x: T, _ op: String, _ y: T) -> Bool {
        switch op {
        case "==": return x == y
        case "!=": return x != y
        case "<": return x < y
        case ">": return x > y
        case "<=": return x <= y
        default: return x >= y
        }
    }

    /// A value as kubectl prints it: strings bare, everything else as JSON.
    static func text(_ v: JSONValue) -> String {
        switch v {
        case .string(let s): return s
        case .double(let d): return JSONCoding.formatDouble(d)
        default: return JSONCoding.encode(v)
        }
    }

    func render(_ root: JSONValue) -> String { Self.render(pieces, root) }

    static func render(_ pieces: [Piece], _ root: JSONValue) -> String {
        var out = ""
        for p in pieces {
            switch p {
            case .text(let t): out += t
            case .path(let steps): out += evaluate(steps, root).map(text).joined(separator: " ")
            case .range(let steps, let body): for v in evaluate(steps, root) { out += render(body, v) }
            }
        }
        return out
    }

    /// The values of a single-expression template (`{.status.phase}`), for comparisons and sorting.
    func values(_ root: JSONValue) -> [JSONValue] {
        var out: [JSONValue] = []
        for case .path(let steps) in pieces { out += Self.evaluate(steps, root) }
        return out
    }
}
