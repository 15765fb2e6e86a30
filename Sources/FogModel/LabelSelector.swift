/// A Kubernetes label selector: `a=b, c!=d, e in (x,y), f notin (z), g, !h`.
public struct LabelSelector: Sendable, Hashable, CustomStringConvertible {
    public enum Requirement: Sendable, Hashable {
        case equals(String, String)
        case notEquals(String, String)
        case isIn(String, Set<String>)
        case notIn(String, Set<String>)
        case exists(String)
        case doesNotExist(String)

        public func matches(_ labels: [String: String]) -> Bool {
            switch self {
            case .equals(let k, let v): return labels[k] == v
            case .notEquals(let k, let v): return labels[k] != v
            case .isIn(let k, let vs): return labels[k].map(vs.contains) ?? false
            case .notIn(let k, let vs): return labels[k].map { !vs.contains($0) } ?? true
            case .exists(let k): return labels[k] != nil
            case .doesNotExist(let k): return labels[k] == nil
            }
        }

        var text: String {
            switch self {
            case .equals(let k, let v): return "\(k)=\(v)"
            case .notEquals(let k, let v): return "\(k)!=\(v)"
            case .isIn(let k, let vs): return "\(k) in (\(vs.sorted().joined(separator: ",")))"
            case .notIn(let k, let vs): return "\(k) notin (\(vs.sorted().joined(separator: ",")))"
            case .exists(let k): return k
            case .doesNotExist(let k): return "!\(k)"
            }
        }
    }

    public struct ParseError: Error, CustomStringConvertible, Sendable {
        public let message: String
        public var description: String { message }
    }

    public var requirements: [Requirement]

    public init(_ requirements: [Requirement] = []) { self.requirements = requirements }

    public init(matchLabels: [String: String]) {
        requirements = matchLabels.sorted { $0.key < $1.key }.map { .equals($0.key, $0.value) }
    }

    public var isEmpty: Bool { requirements.isEmpty }
    public var description: String { requirements.map(\.text).joined(separator: ",") }

    public func matches(_ labels: [String: String]) -> Bool { requirements.allSatisfy { $0.matches(labels) } }

    /// Parses kubectl's `-l` syntax; every key and value is checked against the label rules.
    public static func parse(_ text: String) throws -> LabelSelector {
        var scanner = Scanner(chars: Array(text))
        var reqs: [Requirement] = []
        scanner.skipSpaces()
        if scanner.atEnd { return LabelSelector() }
        while true {
            reqs.append(try scanner.requirement())
            scanner.skipSpaces()
            if scanner.atEnd { break }
            guard scanner.consume(",") else { throw scanner.fail("expected ',' between requirements") }
        }
        return LabelSelector(reqs)
    }

    struct Scanner {
        let chars: [Character]
        var pos = 0
        var atEnd: Bool { pos >= chars.count }

        func fail(_ m: String) -> ParseError {
            ParseError(message: "invalid label selector \"\(String(chars))\" at column \(pos + 1): \(m)")
        }
        mutating func skipSpaces() { while !atEnd, chars[pos] == " " { pos += 1 } }
        mutating func consume(_ s: String) -> Bool {
            let c = Array(s)
            guard pos + c.count <= chars.count, Array(chars[pos..<pos + c.count]) == c else { return false }
            pos += c.count
            return true
        }
        mutating func word() -> String {
            var w = ""
            while !atEnd, !" ,=!()".contains(chars[pos]) { w.append(chars[pos]); pos += 1 }
            return w
        }
        mutating func key() throws -> String {
            skipSpaces()
            let k = word()
            if k.isEmpty { throw fail("expected a label key") }
            if let p = Names.labelKeyProblem(k) { throw fail("\(p) (got \"\(k)\")") }
            return k
        }
        mutating func value() throws -> String {
            skipSpaces()
            let v = word()
            if let p = Names.labelValueProblem(v) { throw fail("\(p) (got \"\(v)\")") }
            return v
        }
        mutating func valueSet() throws -> Set<String> {
            skipSpaces()
            guard consume("(") else { throw fail("expected '(' after in/notin") }
            var vs = Set<String>()
            while true {
                vs.insert(try value())
                skipSpaces()
                if consume(")") { break }
                guard consume(",") else { throw fail("expected ',' or ')' in value set") }
            }
            return vs
        }
        mutating func requirement() throws -> Requirement {
            skipSpaces()
            if consume("!") { return .doesNotExist(try key()) }
            let k = try key()
            skipSpaces()
            if atEnd || chars[pos] == "," { return .exists(k) }
            if consume("==") || consume("=") { return .equals(k, try value()) }
            if consume("!=") { return .notEquals(k, try value()) }
            let save = pos
            let op = word()
            switch op {
            case "in": return .isIn(k, try valueSet())
            case "notin": return .notIn(k, try valueSet())
            default:
                pos = save
                throw fail("expected =, ==, !=, in or notin after \"\(k)\"")
            }
        }
    }
}

extension LabelSelector {
    /// A Kubernetes-style selector object, `{matchLabels: {…}, matchExpressions: [{key, operator, values}]}`
    /// (absent or empty: matches everything). Operators other than In, NotIn, Exists and
    /// DoesNotExist are left to the schema to refuse.
    public init(json: JSONValue?) {
        var reqs: [Requirement] = []
        for (k, v) in (json?["matchLabels"]?.objectValue ?? [:]).sorted(by: { $0.key < $1.key }) {
            if let s = v.stringValue { reqs.append(.equals(k, s)) }
        }
        for e in json?["matchExpressions"]?.arrayValue ?? [] {
            guard let key = e["key"]?.stringValue, let op = e["operator"]?.stringValue else { continue }
            let values = Set((e["values"]?.arrayValue ?? []).compactMap(\.stringValue))
            switch op {
            case "In": reqs.append(.isIn(key, values))
            case "NotIn": reqs.append(.notIn(key, values))
            case "Exists": reqs.append(.exists(key))
            case "DoesNotExist": reqs.append(.doesNotExist(key))
            default: break
            }
        }
        self.init(reqs)
    }
}
