import FogModel
import Foundation
import Yams

/// One document of a manifest stream, converted to JSON, with the YAML node
/// kept to locate errors (positions are looked up only when needed).
public struct ParsedDocument: @unchecked Sendable {
    public var file: String
    public var index: Int
    public var value: JSONValue
    let node: Node?
    /// Location of the document start (line, column).
    public var line: Int
    public var column: Int

    /// Line and column of the value at `path`, or of the nearest ancestor that exists.
    /// For a missing key, pass `keyOnly: false`; for an unknown key, `keyOnly: true` points at the key itself.
    public func location(of path: String, atKey: Bool = false) -> (line: Int, column: Int) {
        guard let node else { return (line, column) }
        var current = node
        var best = node.mark.map { ($0.line, $0.column) } ?? (line, column)
        let segments = FieldPath.parse(path)
        for (n, segment) in segments.enumerated() {
            current = YAMLConversion.dealias(current)
            switch segment {
            case .key(let k):
                guard case .mapping(let m) = current,
                      let pair = YAMLConversion.pairs(of: m).first(where: { $0.0.string == k }) else { return best }
                if atKey && n == segments.count - 1, let mk = pair.0.mark { return (mk.line, mk.column) }
                current = pair.1
            case .index(let i):
                guard case .sequence(let s) = current, i >= 0, i < s.count else { return best }
                current = s[i]
            }
            if let mk = current.mark { best = (mk.line, mk.column) }
        }
        return best
    }
}

/// Reads manifest streams: YAML (many documents) and JSON, from bytes.
public enum YAMLDocuments {
    /// Parses every document of `data`. Documents that parsed before a syntax
    /// error are returned together with the error, so all problems are listed.
    public static func parse(_ data: [UInt8], file: String) -> (documents: [ParsedDocument], errors: [ManifestError]) {
        if data.count > ManifestLimits.maxFileBytes {
            return ([], [ManifestError(file: file, message: "file is \(data.count) bytes; the limit is \(ManifestLimits.maxFileBytes) bytes (16 MiB); split it into several files")])
        }
        guard let text = String(validating: data, as: UTF8.self) else {
            let offset = firstInvalidUTF8Offset(data)
            let (l, c) = lineColumn(ofByte: offset, in: data)
            return ([], [ManifestError(file: file, line: l, column: c, message: "not UTF-8 text (invalid byte at offset \(offset)); is this a binary file?")])
        }
        if let nul = data.firstIndex(of: 0) {
            let (l, c) = lineColumn(ofByte: nul, in: data)
            return ([], [ManifestError(file: file, line: l, column: c, message: "NUL byte in input; is this a binary file?")])
        }
        var documents: [ParsedDocument] = []
        var errors: [ManifestError] = []
        let parser: Parser
        do {
            parser = try Parser(yaml: text, resolver: .basic)
        } catch {
            return ([], [yamlError(error, file: file, document: 1, data: data)])
        }
        var index = 0
        while true {
            index += 1
            let node: Node
            do {
                guard let next = try parser.nextRoot() else { break }
                node = next
            } catch {
                errors.append(yamlError(error, file: file, document: index, data: data))
                break
            }
            let mark = node.mark
            var conversion = YAMLConversion(file: file, document: index)
            let value = conversion.convert(node, path: "", depth: 0)
            if !conversion.errors.isEmpty {
                errors.append(contentsOf: conversion.errors)
                continue
            }
            documents.append(ParsedDocument(file: file, index: index, value: value, node: node,
                                            line: mark?.line ?? 1, column: mark?.column ?? 1))
        }
        return (documents, errors)
    }

    static func firstInvalidUTF8Offset(_ data: [UInt8]) -> Int {
        var it = data.makeIterator()
        var decoder = UTF8()
        var offset = 0
        while true {
            switch decoder.decode(&it) {
            case .scalarValue(let s): offset += UTF8.width(s)
            case .emptyInput: return offset
            case .error: return offset
            }
        }
    }

    static func lineColumn(ofByte offset: Int, in data: [UInt8]) -> (Int, Int) {
        var line = 1
        var lineStart = 0
        for i in 0..<min(offset, data.count) where data[i] == 0x0A {
            line += 1
            lineStart = i + 1
        }
        let column = String(decoding: data[lineStart..<min(offset, data.count)], as: UTF8.self).count + 1
        return (line, column)
    }

    static func yamlError(_ error: Error, file: String, document: Int, data: [UInt8]) -> ManifestError {
        func located(_ problem: String, _ mark: Mark, context: YamlError.Context?) -> ManifestError {
            var message = problem
            if let context { message += " (\(context.text) at \(context.mark.line):\(context.mark.column))" }
            if lineHasTab(data, line: mark.line) { message += "; tabs cannot indent YAML, use spaces" }
            return ManifestError(file: file, document: document, line: mark.line, column: mark.column,
                                 message: "syntax error: " + message)
        }
        guard let y = error as? YamlError else {
            return ManifestError(file: file, document: document, message: "syntax error: \(error)")
        }
        switch y {
        case .scanner(let context, let problem, let mark, _),
             .parser(let context, let problem, let mark, _),
             .composer(let context, let problem, let mark, _):
            return located(problem, mark, context: context)
        case .reader(let problem, let offset, _, _):
            let (l, c) = lineColumn(ofByte: offset ?? 0, in: data)
            return ManifestError(file: file, document: document, line: l, column: c, message: "syntax error: \(problem)")
        case .duplicatedKeysInMapping(let duplicates, let context):
            return ManifestError(file: file, document: document, line: context.mark.line, column: context.mark.column,
                                 message: "duplicate key\(duplicates.count > 1 ? "s" : "") \(duplicates.map { "\"\($0)\"" }.joined(separator: ", ")) in one mapping")
        default:
            return ManifestError(file: file, document: document, message: "syntax error: \(y)")
        }
    }

    static func lineHasTab(_ data: [UInt8], line: Int) -> Bool {
        var current = 1
        for b in data {
            if b == 0x0A { current += 1; if current > line { return false }; continue }
            if current == line && b == 0x09 { return true }
        }
        return false
    }
}

/// Turns a Yams node tree into JSON with YAML 1.2 core-schema scalars
/// (`yes`/`no`/`on`/`off` stay strings), merge keys, and the documented limits.
struct YAMLConversion {
    let file: String
    let document: Int
    var errors: [ManifestError] = []
    var nodes = 0

    init(file: String, document: Int) {
        self.file = file
        self.document = document
    }

    /// Yams' parser already resolves aliases to their anchored node; an
    /// `.alias` node only appears in trees built by hand.
    static func dealias(_ node: Node) -> Node { node }

    static func pairs(of m: Node.Mapping) -> [(Node, Node)] { m.map { ($0.key, $0.value) } }

    mutating func fail(_ node: Node, _ path: String, _ message: String) {
        let mk = node.mark
        errors.append(ManifestError(file: file, document: document, line: mk?.line ?? 0, column: mk?.column ?? 0,
                                    path: path, message: message))
    }

    mutating func convert(_ raw: Node, path: String, depth: Int) -> JSONValue {
        guard errors.isEmpty else { return .null }
        nodes += 1
        if nodes > ManifestLimits.maxNodesPerDocument {
            fail(raw, path, "document expands to more than \(ManifestLimits.maxNodesPerDocument) nodes (aliases included); refusing it (YAML alias bomb?)")
            return .null
        }
        if depth > ManifestLimits.maxDepth {
            fail(raw, path, "nested deeper than \(ManifestLimits.maxDepth) levels")
            return .null
        }
        let node = Self.dealias(raw)
        switch node {
        case .scalar(let s):
            return scalar(s, node: node, path: path)
        case .sequence(let seq):
            var out: [JSONValue] = []
            out.reserveCapacity(seq.count)
            for (i, element) in seq.enumerated() {
                out.append(convert(element, path: FieldPath.element(path, i), depth: depth + 1))
                if !errors.isEmpty { return .null }
            }
            return .array(out)
        case .mapping(let m):
            var out: [String: JSONValue] = [:]
            var merged: [String: JSONValue] = [:]
            for (k, v) in m {
                guard case .scalar(let ks) = Self.dealias(k) else {
                    fail(k, path, "mapping keys must be strings, not collections")
                    return .null
                }
                if ks.string == "<<" && ks.style == .plain {
                    // YAML merge key: fold in the keys of the referenced mapping(s).
                    let sources: [Node]
                    switch Self.dealias(v) {
                    case .sequence(let list): sources = Array(list)
                    default: sources = [v]
                    }
                    for src in sources {
                        guard case .object(let o) = convert(src, path: path, depth: depth + 1) else {
                            if errors.isEmpty { fail(v, path, "a merge key (<<) must refer to a mapping") }
                            return .null
                        }
                        for (mk, mv) in o where merged[mk] == nil { merged[mk] = mv }
                    }
                    continue
                }
                let key = ks.string
                out[key] = convert(v, path: FieldPath.child(path, key), depth: depth + 1)
                if !errors.isEmpty { return .null }
            }
            for (mk, mv) in merged where out[mk] == nil { out[mk] = mv }
            return .object(out)
        case .alias:
            fail(node, path, "undefined alias")
            return .null
        }
    }

    mutating func scalar(_ s: Node.Scalar, node: Node, path: String) -> JSONValue {
        let text = s.string
        let tag = s.tag.rawValue
        switch tag {
        case "tag:yaml.org,2002:str": return .string(text)
        case "tag:yaml.org,2002:int":
            if let i = Self.integer(text) { return .int(i) }
            fail(node, path, "!!int value \"\(text)\" is not an integer in range")
            return .null
        case "tag:yaml.org,2002:float":
            if let d = Self.float(text), d.isFinite { return .double(d) }
            fail(node, path, "!!float value \"\(text)\" is not a finite number")
            return .null
        case "tag:yaml.org,2002:bool":
            if let b = Self.bool(text) { return .bool(b) }
            fail(node, path, "!!bool value \"\(text)\" is not true or false")
            return .null
        case "tag:yaml.org,2002:null": return .null
        case "", "?", "!":
            break
        default:
            fail(node, path, "unsupported YAML tag \(tag)")
            return .null
        }
        if s.style != .plain && s.style != .any { return .string(text) }
        if tag == "!" { return .string(text) }
        switch text {
        case "", "~", "null", "Null", "NULL": return .null
        case "true", "True", "TRUE": return .bool(true)
        case "false", "False", "FALSE": return .bool(false)
        case ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", "-.inf", "-.Inf", "-.INF", ".nan", ".NaN", ".NAN":
            fail(node, path, "must be a finite number (got \(text))")
            return .null
        default: break
        }
        guard let first = text.utf8.first,
              (first >= 0x30 && first <= 0x39) || first == UInt8(ascii: "-") || first == UInt8(ascii: "+") || first == UInt8(ascii: ".")
        else { return .string(text) }
        if Self.looksInteger(text) {
            if let i = Self.integer(text) { return .int(i) }
            fail(node, path, "integer \(text) is out of range (at most 64 bits); quote it if it is a string")
            return .null
        }
        if Self.looksFloat(text), let d = Double(text) {
            guard d.isFinite else {
                fail(node, path, "number \(text) is out of range")
                return .null
            }
            return .double(d)
        }
        return .string(text)
    }

    static func looksInteger(_ t: String) -> Bool {
        var u = Substring(t)
        if u.hasPrefix("0x") { return u.count > 2 && u.dropFirst(2).allSatisfy(\.isHexDigit) }
        if u.hasPrefix("0o") { return u.count > 2 && u.dropFirst(2).allSatisfy { ("0"..."7").contains($0) } }
        if u.first == "-" || u.first == "+" { u = u.dropFirst() }
        return !u.isEmpty && u.allSatisfy { $0.isASCII && $0.isNumber }
    }

    static func integer(_ t: String) -> Int64? {
        if t.hasPrefix("0x") { return Int64(t.dropFirst(2), radix: 16) }
        if t.hasPrefix("0o") { return Int64(t.dropFirst(2), radix: 8) }
        return Int64(t.hasPrefix("+") ? String(t.dropFirst()) : t)
    }

    static func looksFloat(_ t: String) -> Bool {
        // [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?
        var c = Array(t.utf8)[...]
        func digits() -> Int { var n = 0; while let f = c.first, f >= 0x30 && f <= 0x39 { c = c.dropFirst(); n += 1 }; return n }
        if let f = c.first, f == UInt8(ascii: "-") || f == UInt8(ascii: "+") { c = c.dropFirst() }
        let intDigits = digits()
        var fracDigits = 0
        if c.first == UInt8(ascii: ".") { c = c.dropFirst(); fracDigits = digits() }
        if intDigits == 0 && fracDigits == 0 { return false }
        if let f = c.first, f == UInt8(ascii: "e") || f == UInt8(ascii: "E") {
            c = c.dropFirst()
            if let s = c.first, s == UInt8(ascii: "-") || s == UInt8(ascii: "+") { c = c.dropFirst() }
            if digits() == 0 { return false }
        }
        return c.isEmpty
    }

    static func float(_ t: String) -> Double? { looksFloat(t) || looksInteger(t) ? Double(t) : nil }

    static func bool(_ t: String) -> Bool? {
        switch t {
        case "true", "True", "TRUE": return true
        case "false", "False", "FALSE": return false
        default: return nil
        }
    }
}
