/// The two patch formats `fogctl patch` takes: RFC 7386 merge patches and RFC 6902 JSON
/// patches (with RFC 6901 pointers). Pure functions over `JSONValue`.
public enum JSONPatch {
    /// A patch that cannot be applied: the operation's index and what is wrong.
    public struct Failure: Error, CustomStringConvertible, Equatable {
        public let message: String
        public init(_ message: String) { self.message = message }
        public var description: String { message }
    }

    /// RFC 7386: objects merge key by key, `null` removes a key, anything else replaces.
    public static func merge(_ target: JSONValue, _ patch: JSONValue) -> JSONValue {
        guard case .object(let p) = patch else { return patch }
        var t = target.objectValue ?? [:]
        for (k, v) in p {
            if v.isNull { t[k] = nil } else { t[k] = merge(t[k] ?? .null, v) }
        }
        return .object(t)
    }

    /// The merge patch that turns `from` into `to` (`merge(from, diff(from, to)) == to` for
    /// objects): changed keys, `null` for removed ones, arrays and scalars whole.
    public static func diff(from: JSONValue, to: JSONValue) -> JSONValue {
        guard case .object(let a) = from, case .object(let b) = to else { return to }
        var patch: [String: JSONValue] = [:]
        for (k, v) in b where a[k] != v {
            if let old = a[k], old.objectValue != nil, v.objectValue != nil { patch[k] = diff(from: old, to: v) } else { patch[k] = v }
        }
        for k in a.keys where b[k] == nil { patch[k] = .null }
        return .object(patch)
    }

    /// RFC 6902: applies the operations of `patch` (a JSON array) in order, all or nothing.
    public static func apply(_ patch: JSONValue, to document: JSONValue) throws -> JSONValue {
        guard let operations = patch.arrayValue else {
            throw Failure("a JSON patch is an array of operations (got \(patch.typeName))")
        }
        var doc = document
        for (i, op) in operations.enumerated() {
            func fail(_ m: String) -> Failure { Failure("operation \(i) (\(op["op"]?.stringValue ?? "?")): \(m)") }
            guard let name = op["op"]?.stringValue else { throw fail("\"op\" is missing") }
            guard let pathText = op["path"]?.stringValue else { throw fail("\"path\" is missing") }
            let path: [String]
            do { path = try pointer(pathText) } catch let e as Failure { throw fail(e.message) }
            func from() throws -> [String] {
                guard let f = op["from"]?.stringValue else { throw fail("\"from\" is missing") }
                do { return try pointer(f) } catch let e as Failure { throw fail(e.message) }
            }
            func value() throws -> JSONValue {
                guard let v = op.objectValue?["value"] else { throw fail("\"value\" is missing") }
                return v
            }
            do {
                switch name {
                case "add": doc = try add(value(), at: path, in: doc)
                case "remove": doc = try remove(at: path, in: doc).document
                case "replace":
                    let v = try value()
                    _ = try get(path, in: doc)
                    doc = try remove(at: path, in: doc).document
                    doc = try add(v, at: path, in: doc)
                case "move":
                    let source = try from()
                    if path.count > source.count && Array(path.prefix(source.count)) == source {
                        throw Failure("cannot move \(render(source)) into its own child \(pathText)")
                    }
                    let (rest, moved) = try remove(at: source, in: doc)
                    doc = try add(moved, at: path, in: rest)
                case "copy": doc = try add(get(try from(), in: doc), at: path, in: doc)
                case "test":
                    let want = try value()
                    let have = try get(path, in: doc)
                    guard have == want else {
                        throw Failure("test failed at \(pathText): expected \(JSONCoding.encode(want)), found \(JSONCoding.encode(have))")
                    }
                default: throw Failure("unknown op (add, remove, replace, move, copy or test)")
                }
            } catch let e as Failure where !e.message.hasPrefix("operation ") {
                throw fail(e.message)
            }
        }
        return doc
    }

    /// RFC 6901: "" is the whole document; "/a/0/b~1c" is ["a", "0", "b/c"].
    public static func pointer(_ text: String) throws -> [String] {
        if text.isEmpty { return [] }
        guard text.hasPrefix("/") else { throw Failure("a path is a JSON pointer starting with / (got \"\(text)\")") }
        return text.dropFirst().split(separator: "/", omittingEmptySubsequences: false).map {
            $0.replacingOccurrences(of: "~1", with: "/").replacingOccurrences(of: "~0", with: "~")
        }
    }

    static func render(_ tokens: [String]) -> String {
        tokens.isEmpty ? "\"\"" : tokens.map { "/" + $0.replacingOccurrences(of: "~", with: "~0").replacingOccurrences(of: "/", with: "~1") }.joined()
    }

    static func index(_ token: String, count: Int, appending: Bool) throws -> Int {
        if appending && token == "-" { return count }
        guard let i = Int(token), i >= 0, String(i) == token else { throw Failure("\"\(token)\" is not an array index") }
        guard i < count || (appending && i == count) else { throw Failure("index \(i) is out of range (the array has \(count) items)") }
        return i
    }

    static func get(_ path: [String], in doc: JSONValue) throws -> JSONValue {
        var current = doc
        for (depth, token) in path.enumerated() {
            switch current {
            case .object(let o):
                guard let next = o[token] else { throw Failure("\(render(Array(path.prefix(depth + 1)))) does not exist") }
                current = next
            case .array(let a): current = a[try index(token, count: a.count, appending: false)]
            default: throw Failure("\(render(Array(path.prefix(depth)))) is a \(current.typeName), not an object or array")
            }
        }
        return current
    }

    static func add(_ value: JSONValue, at path: [String], in doc: JSONValue) throws -> JSONValue {
        guard let token = path.first else { return value }
        let rest = Array(path.dropFirst())
        switch doc {
        case .object(var o):
            if rest.isEmpty { o[token] = value } else {
                guard let child = o[token] else { throw Failure("/\(token) does not exist") }
                o[token] = try add(value, at: rest, in: child)
            }
            return .object(o)
        case .array(var a):
            if rest.isEmpty {
                a.insert(value, at: try index(token, count: a.count, appending: true))
            } else {
                let i = try index(token, count: a.count, appending: false)
                a[i] = try add(value, at: rest, in: a[i])
            }
            return .array(a)
        default:
            throw Failure("cannot add under a \(doc.typeName)")
        }
    }

    static func remove(at path: [String], in doc: JSONValue) throws -> (document: JSONValue, removed: JSONValue) {
        guard let token = path.first else { throw Failure("cannot remove the whole document") }
        let rest = Array(path.dropFirst())
        switch doc {
        case .object(var o):
            guard let child = o[token] else { throw Failure("/\(token) does not exist") }
            if rest.isEmpty {
                o[token] = nil
                return (.object(o), child)
            }
            let (next, removed) = try remove(at: rest, in: child)
            o[token] = next
            return (.object(o), removed)
        case .array(var a):
            let i = try index(token, count: a.count, appending: false)
            if rest.isEmpty {
                let removed = a.remove(at: i)
                return (.array(a), removed)
            }
            let (next, removed) = try remove(at: rest, in: a[i])
            a[i] = next
            return (.array(a), removed)
        default:
            throw Failure("cannot remove under a \(doc.typeName)")
        }
    }
}
