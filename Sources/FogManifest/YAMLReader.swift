import CLibYAML
import FogModel
import Foundation

/// One document of a manifest stream, converted to JSON. Source positions of
/// its fields are computed only when an error needs one (a second pass over
/// the bytes), so valid manifests pay nothing for them.
public struct ParsedDocument: Sendable {
    public var file: String
    public var index: Int
    public var value: JSONValue
    /// Where the document's root node starts.
    public var line: Int
    public var column: Int
    let positions: PositionTable

    /// Line and column of the value at `path` (or of its key, with `atKey`),
    /// falling back to the nearest ancestor that appears in the source.
    public func location(of path: String, atKey: Bool = false) -> (line: Int, column: Int) {
        positions.location(of: path, atKey: atKey, document: index) ?? (line, column)
    }
}

/// Lazily built map from field paths to source positions, for one file.
final class PositionTable: @unchecked Sendable {
    struct Mark: Sendable { var line: Int; var column: Int }
    let bytes: [UInt8]
    private var documents: [Int: (values: [String: Mark], keys: [String: Mark])] = [:]
    private let lock = NSLock()

    init(bytes: [UInt8]) { self.bytes = bytes }

    func location(of path: String, atKey: Bool, document: Int) -> (line: Int, column: Int)? {
        let table = lock.withLock { () -> (values: [String: Mark], keys: [String: Mark]) in
            if documents.isEmpty { documents = YAMLReader.positions(bytes) }
            return documents[document] ?? ([:], [:])
        }
        if atKey, let m = table.keys[path] { return (m.line, m.column) }
        var p = path
        while true {
            if let m = table.values[p] { return (m.line, m.column) }
            if p.isEmpty { return nil }
            // Drop the last segment: `a.b[2]` → `a.b` → `a` → "".
            if let i = p.lastIndex(where: { $0 == "." || $0 == "[" }) { p = String(p[..<i]) } else { p = "" }
        }
    }
}

/// Reads YAML (and JSON, a subset of it) straight from libyaml's events into
/// JSON values: YAML 1.2 core-schema scalars (`yes`, `on`, `12:30` stay
/// strings), merge keys, duplicate keys rejected, and the documented limits.
public enum YAMLReader {
    /// Parses every document of `data`. Documents that parsed before a syntax
    /// error are returned together with the error, so all problems are listed.
    /// A stream of at least `parallelThreshold` bytes is read on up to `cores` cores.
    public static func parse(_ data: [UInt8], file: String, cores: Int = 1) -> (documents: [ParsedDocument], errors: [ManifestError]) {
        if data.count > ManifestLimits.maxFileBytes {
            return ([], [ManifestError(file: file, message: "file is \(data.count) bytes; the limit is \(ManifestLimits.maxFileBytes) bytes (16 MiB); split it into several files")])
        }
        if String(validating: data, as: UTF8.self) == nil {
            let offset = firstInvalidUTF8Offset(data)
            let (l, c) = lineColumn(ofByte: offset, in: data)
            return ([], [ManifestError(file: file, line: l, column: c, message: "not UTF-8 text (invalid byte at offset \(offset)); is this a binary file?")])
        }
        if let nul = data.firstIndex(of: 0) {
            let (l, c) = lineColumn(ofByte: nul, in: data)
            return ([], [ManifestError(file: file, line: l, column: c, message: "NUL byte in input; is this a binary file?")])
        }
        if let (line, column) = FlowNesting.firstTooDeep(data, limit: ManifestLimits.maxDepth) {
            return ([], [ManifestError(file: file, line: line, column: column, message: "nested deeper than \(ManifestLimits.maxDepth) levels")])
        }
        let positions = PositionTable(bytes: data)
        // A large stream is read in pieces cut at document markers, one per core: a valid
        // stream reads the same either way (a `---` at the start of a line ends any scalar and
        // starts a document). Any problem in any piece sends the whole stream through one reader,
        // so errors and their positions are exactly those of the sequential read.
        let pieces = documentPieces(data, count: data.count >= parallelThreshold ? cores : 1)
        if pieces.count > 1 {
            var results = [(documents: [ParsedDocument], errors: [ManifestError], started: Int)?](repeating: nil, count: pieces.count)
            data.withUnsafeBufferPointer { buffer in
                results.withUnsafeMutableBufferPointer { out in
                    let out = UncheckedSendable(out)
                    let base = UncheckedSendable(buffer)
                    DispatchQueue.concurrentPerform(iterations: pieces.count) { i in
                        let piece = pieces[i]
                        let slice = UnsafeBufferPointer(rebasing: base.value[piece.start..<piece.end])
                        out.value[i] = readStream(slice, data: data, file: file, lineOffset: piece.line, positions: positions)
                    }
                }
            }
            if results.allSatisfy({ $0!.errors.isEmpty }) {
                var documents: [ParsedDocument] = []
                var before = 0
                for r in results {
                    documents += r!.documents.map { var d = $0; d.index += before; return d }
                    before += r!.started
                }
                return (documents, [])
            }
        }
        let whole = data.withUnsafeBufferPointer { readStream($0, data: data, file: file, lineOffset: 0, positions: positions) }
        return (whole.documents, whole.errors)
    }

    /// Streams at least this long are read in pieces on several cores.
    static let parallelThreshold = 256 * 1024

    /// Where to cut `data` into about `count` pieces of similar size: at the starts of lines that
    /// begin a document (`---` followed by a blank or the end). Each piece with the number of
    /// lines before it. One piece when there is nothing to cut at, or when the stream has
    /// directives (`%` at the start of a line), which belong to the document after them.
    static func documentPieces(_ data: [UInt8], count: Int) -> [(start: Int, end: Int, line: Int)] {
        guard count > 1 else { return [(0, data.count, 0)] }
        var cuts: [(offset: Int, line: Int)] = []
        var line = 0
        var atLineStart = true
        var target = data.count / count
        for i in data.indices {
            let b = data[i]
            if atLineStart {
                if b == UInt8(ascii: "%") { return [(0, data.count, 0)] }
                if i >= target, b == UInt8(ascii: "-"), i + 2 < data.count, data[i + 1] == b, data[i + 2] == b,
                   i + 3 == data.count || [0x20, 0x09, 0x0A, 0x0D].contains(data[i + 3]) {
                    cuts.append((i, line))
                    target = data.count * (cuts.count + 1) / count
                }
            }
            atLineStart = b == 0x0A
            if atLineStart { line += 1 }
        }
        var pieces: [(start: Int, end: Int, line: Int)] = []
        var start = (offset: 0, line: 0)
        for cut in cuts where cut.offset > start.offset {
            pieces.append((start.offset, cut.offset, start.line))
            start = cut
        }
        pieces.append((start.offset, data.count, start.line))
        return pieces
    }

    /// Reads the documents of one stream (all of `data`, or a piece of it whose first line is
    /// line `lineOffset + 1`); `started` counts the documents begun, the failed ones included.
    static func readStream(_ buffer: UnsafeBufferPointer<UInt8>, data: [UInt8], file: String, lineOffset: Int,
                           positions: PositionTable) -> (documents: [ParsedDocument], errors: [ManifestError], started: Int) {
        var documents: [ParsedDocument] = []
        var errors: [ManifestError] = []
        var reader = EventReader(buffer: buffer, file: file, data: data)
        defer { reader.close() }
        var index = 0
        loop: while true {
            guard let event = reader.next() else { break }
            switch event.type {
            case YAML_STREAM_START_EVENT, YAML_DOCUMENT_END_EVENT: continue
            case YAML_STREAM_END_EVENT: break loop
            case YAML_DOCUMENT_START_EVENT:
                index += 1
                reader.document = index
                reader.anchors.removeAll(keepingCapacity: true)
                reader.nodes = 0
                reader.bytes = 0
                guard let root = reader.next() else { break loop }
                let mark = (lineOffset + Int(root.start_mark.line) + 1, Int(root.start_mark.column) + 1)
                if let value = reader.node(root, path: Path(), depth: 0) {
                    documents.append(ParsedDocument(file: file, index: index, value: value, line: mark.0, column: mark.1, positions: positions))
                } else {
                    errors.append(reader.error!)
                    if reader.fatal { return (documents, errors, index) }
                    reader.error = nil
                    // Skip the rest of this document.
                    while let e = reader.next(), e.type != YAML_DOCUMENT_END_EVENT, e.type != YAML_STREAM_END_EVENT {}
                    if reader.fatal { errors.append(reader.error!); return (documents, errors, index) }
                }
            default: continue
            }
        }
        if let e = reader.error { errors.append(e) }
        return (documents, errors, index)
    }

    /// Source positions of every field of every document (keyed by 1-based index), in one pass.
    static func positions(_ data: [UInt8]) -> [Int: (values: [String: PositionTable.Mark], keys: [String: PositionTable.Mark])] {
        var out: [Int: (values: [String: PositionTable.Mark], keys: [String: PositionTable.Mark])] = [:]
        data.withUnsafeBufferPointer { buffer in
            var reader = EventReader(buffer: buffer, file: "", data: data)
            defer { reader.close() }
            var index = 0
            while let event = reader.next(), event.type != YAML_STREAM_END_EVENT {
                guard event.type == YAML_DOCUMENT_START_EVENT else { continue }
                index += 1
                guard let root = reader.next() else { return }
                var values: [String: PositionTable.Mark] = [:]
                var keys: [String: PositionTable.Mark] = [:]
                reader.record(root, path: "", values: &values, keys: &keys, depth: 0)
                out[index] = (values, keys)
            }
        }
        return out
    }

    static func firstInvalidUTF8Offset(_ data: [UInt8]) -> Int {
        var it = data.makeIterator()
        var decoder = UTF8()
        var offset = 0
        while true {
            switch decoder.decode(&it) {
            case .scalarValue(let s): offset += UTF8.width(s)
            case .emptyInput, .error: return offset
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
        let column = String(decoding: data[lineStart..<min(offset, data.count)], as: UTF8.self).unicodeScalars.count + 1
        return (line, column)
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

/// A field path built only when an error needs it.
struct Path {
    private var segments: [FieldPath.Segment] = []
    mutating func push(_ s: FieldPath.Segment) { segments.append(s) }
    mutating func pop() { segments.removeLast() }
    var text: String { FieldPath.render(segments) }
}

/// Pulls events from libyaml and turns them into values.
struct EventReader {
    /// Heap-allocated: libyaml keeps pointers into the parser itself, so it must not move.
    let parser = UnsafeMutablePointer<yaml_parser_t>.allocate(capacity: 1)
    let event = UnsafeMutablePointer<yaml_event_t>.allocate(capacity: 1)
    var hasEvent = false
    let file: String
    let data: [UInt8]
    var document = 0
    var error: ManifestError?
    /// A syntax error: libyaml cannot continue after it.
    var fatal = false
    var anchors: [String: (value: JSONValue, nodes: Int, bytes: Int)] = [:]
    var nodes = 0
    /// Bytes of scalars the document has expanded to so far, aliases included.
    var bytes = 0

    init(buffer: UnsafeBufferPointer<UInt8>, file: String, data: [UInt8]) {
        self.file = file
        self.data = data
        parser.initialize(to: yaml_parser_t())
        event.initialize(to: yaml_event_t())
        yaml_parser_initialize(parser)
        yaml_parser_set_input_string(parser, buffer.baseAddress, buffer.count)
        yaml_parser_set_encoding(parser, YAML_UTF8_ENCODING)
    }

    mutating func close() {
        if hasEvent { yaml_event_delete(event) }
        yaml_parser_delete(parser)
        parser.deallocate()
        event.deallocate()
    }

    /// The next event (valid until the following call), or nil at a syntax error or the end.
    mutating func next() -> yaml_event_t? {
        if hasEvent { yaml_event_delete(event); hasEvent = false }
        if fatal { return nil }
        guard yaml_parser_parse(parser, event) == 1 else {
            fatal = true
            error = syntaxError()
            return nil
        }
        hasEvent = true
        // After the end of the stream libyaml returns empty events forever.
        if event.pointee.type == YAML_NO_EVENT { return nil }
        return event.pointee
    }

    func syntaxError() -> ManifestError {
        let parser = self.parser.pointee
        let problem = parser.problem.map { String(cString: $0) } ?? "invalid input"
        var line = Int(parser.problem_mark.line) + 1
        var column = Int(parser.problem_mark.column) + 1
        if parser.error == YAML_READER_ERROR {
            (line, column) = YAMLReader.lineColumn(ofByte: Int(parser.problem_offset), in: data)
        }
        var message = problem
        if let context = parser.context {
            message += " (\(String(cString: context)) at \(parser.context_mark.line + 1):\(parser.context_mark.column + 1))"
        }
        if YAMLReader.lineHasTab(data, line: line) { message += "; tabs cannot indent YAML, use spaces" }
        return ManifestError(file: file, document: document, line: line, column: column, message: "syntax error: " + message)
    }

    mutating func fail(_ e: yaml_event_t, _ path: Path, _ message: String) -> JSONValue? {
        if error == nil {
            error = ManifestError(file: file, document: document, line: Int(e.start_mark.line) + 1,
                                  column: Int(e.start_mark.column) + 1, path: path.text, message: message)
        }
        return nil
    }

    static func string(_ p: UnsafeMutablePointer<yaml_char_t>?, length: Int? = nil) -> String? {
        guard let p else { return nil }
        if let length { return String(decoding: UnsafeBufferPointer(start: p, count: length), as: UTF8.self) }
        return String(cString: p)
    }

    /// Converts the node that starts with `e`, consuming its events. Nil on error (see `error`).
    mutating func node(_ e: yaml_event_t, path: Path, depth: Int) -> JSONValue? {
        var path = path
        nodes += 1
        if nodes > ManifestLimits.maxNodesPerDocument {
            return fail(e, path, "document expands to more than \(ManifestLimits.maxNodesPerDocument) nodes (aliases included); refusing it (YAML alias bomb?)")
        }
        if depth > ManifestLimits.maxDepth { return fail(e, path, "nested deeper than \(ManifestLimits.maxDepth) levels") }
        let startNodes = nodes, startBytes = bytes
        switch e.type {
        case YAML_ALIAS_EVENT:
            let name = Self.string(e.data.alias.anchor) ?? ""
            guard let target = anchors[name] else { return fail(e, path, "undefined alias *\(name) (anchors are defined with &\(name) earlier in the same document)") }
            nodes += target.nodes
            bytes += target.bytes
            if nodes > ManifestLimits.maxNodesPerDocument {
                return fail(e, path, "document expands to more than \(ManifestLimits.maxNodesPerDocument) nodes (aliases included); refusing it (YAML alias bomb?)")
            }
            if bytes > ManifestLimits.maxExpandedBytesPerDocument {
                return fail(e, path, "document expands to more than \(ManifestLimits.maxExpandedBytesPerDocument) bytes (aliases included; an object may be at most \(ObjectLimits.maxObjectBytes) bytes); refusing it (YAML alias bomb?)")
            }
            return target.value
        case YAML_SCALAR_EVENT:
            let s = e.data.scalar
            let text = Self.string(s.value, length: Int(s.length)) ?? ""
            let value = scalar(text, tag: s.tag == nil ? nil : Self.string(s.tag), plain: s.style == YAML_PLAIN_SCALAR_STYLE, event: e, path: path)
            bytes += Int(s.length)
            if let value, let anchor = Self.string(s.anchor) { anchors[anchor] = (value, 1, Int(s.length)) }
            return value
        case YAML_SEQUENCE_START_EVENT:
            let anchor = Self.string(e.data.sequence_start.anchor)
            var out: [JSONValue] = []
            var i = 0
            while let child = next() {
                if child.type == YAML_SEQUENCE_END_EVENT { break }
                path.push(.index(i))
                guard let v = node(child, path: path, depth: depth + 1) else { return nil }
                path.pop()
                out.append(v)
                i += 1
            }
            if fatal { return nil }
            let value = JSONValue.array(out)
            if let anchor { anchors[anchor] = (value, nodes - startNodes + 1, bytes - startBytes) }
            return value
        case YAML_MAPPING_START_EVENT:
            let anchor = Self.string(e.data.mapping_start.anchor)
            var out: [String: JSONValue] = [:]
            var merged: [String: JSONValue] = [:]
            while let keyEvent = next() {
                if keyEvent.type == YAML_MAPPING_END_EVENT { break }
                let key: String
                let isMerge: Bool
                switch keyEvent.type {
                case YAML_SCALAR_EVENT:
                    let s = keyEvent.data.scalar
                    key = Self.string(s.value, length: Int(s.length)) ?? ""
                    isMerge = key == "<<" && s.style == YAML_PLAIN_SCALAR_STYLE
                case YAML_ALIAS_EVENT:
                    guard case .string(let k)? = anchors[Self.string(keyEvent.data.alias.anchor) ?? ""]?.value else {
                        return fail(keyEvent, path, "mapping keys must be strings, not collections")
                    }
                    key = k
                    isMerge = false
                default:
                    return fail(keyEvent, path, "mapping keys must be strings, not collections")
                }
                let keyMark = keyEvent.start_mark
                guard let valueEvent = next() else { return nil }
                if isMerge {
                    guard let v = node(valueEvent, path: path, depth: depth + 1) else { return nil }
                    let sources: [JSONValue] = v.arrayValue ?? [v]
                    for src in sources {
                        guard let o = src.objectValue else {
                            var e = keyEvent
                            e.start_mark = keyMark
                            return fail(e, path, "a merge key (<<) must refer to a mapping")
                        }
                        for (k, mv) in o where merged[k] == nil { merged[k] = mv }
                    }
                    continue
                }
                path.push(.key(key))
                guard let v = node(valueEvent, path: path, depth: depth + 1) else { return nil }
                path.pop()
                // One lookup: a repeated key is found as its value is stored (so a repeated key
                // whose value is itself wrong reports the value's problem first).
                if out.updateValue(v, forKey: key) != nil {
                    return fail(keyEvent, path, "duplicate key \"\(key)\" in one mapping")
                }
            }
            if fatal { return nil }
            for (k, v) in merged where out[k] == nil { out[k] = v }
            let value = JSONValue.object(out)
            if let anchor { anchors[anchor] = (value, nodes - startNodes + 1, bytes - startBytes) }
            return value
        default:
            return fail(e, path, "unexpected YAML event")
        }
    }

    mutating func scalar(_ text: String, tag: String?, plain: Bool, event e: yaml_event_t, path: Path) -> JSONValue? {
        if let tag { return tagged(text, tag: tag, plain: plain, event: e, path: path) }
        guard plain else { return .string(text) }
        return plainScalar(text, event: e, path: path)
    }

    /// A scalar with a tag (`!!int 3`, `! text`).
    mutating func tagged(_ text: String, tag: String, plain: Bool, event e: yaml_event_t, path: Path) -> JSONValue? {
        switch tag {
        case "tag:yaml.org,2002:str": return .string(text)
        case "tag:yaml.org,2002:int":
            if let i = Scalars.integer(text) { return .int(i) }
            return fail(e, path, "!!int value \"\(text)\" is not an integer in range")
        case "tag:yaml.org,2002:float":
            if let d = Scalars.float(text), d.isFinite { return .double(d) }
            return fail(e, path, "!!float value \"\(text)\" is not a finite number")
        case "tag:yaml.org,2002:bool":
            if let b = Scalars.bool(text) { return .bool(b) }
            return fail(e, path, "!!bool value \"\(text)\" is not true or false")
        case "tag:yaml.org,2002:null": return .null
        case "", "!": break
        default: return fail(e, path, "unsupported YAML tag \(tag)")
        }
        if !plain || tag == "!" { return .string(text) }
        return plainScalar(text, event: e, path: path)
    }

    /// A plain (unquoted) scalar without a tag, by YAML 1.2's core schema.
    mutating func plainScalar(_ text: String, event e: yaml_event_t, path: Path) -> JSONValue? {
        // Only short words starting with one of these can be null, a boolean or a special float.
        let utf8 = text.utf8
        if let first = utf8.first, utf8.count > 6 || !"~nNtTfF.+-".utf8.contains(first) {
            guard (first >= 0x30 && first <= 0x39) || first == UInt8(ascii: "-") || first == UInt8(ascii: "+") || first == UInt8(ascii: ".")
            else { return .string(text) }
        }
        switch text {
        case "", "~", "null", "Null", "NULL": return .null
        case "true", "True", "TRUE": return .bool(true)
        case "false", "False", "FALSE": return .bool(false)
        case ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", "-.inf", "-.Inf", "-.INF", ".nan", ".NaN", ".NAN":
            return fail(e, path, "must be a finite number (got \(text))")
        default: break
        }
        guard let first = text.utf8.first,
              (first >= 0x30 && first <= 0x39) || first == UInt8(ascii: "-") || first == UInt8(ascii: "+") || first == UInt8(ascii: ".")
        else { return .string(text) }
        if Scalars.looksInteger(text) {
            if let i = Scalars.integer(text) { return .int(i) }
            return fail(e, path, "integer \(text) is out of range (at most 64 bits); quote it if it is a string")
        }
        if Scalars.looksFloat(text), let d = Double(text) {
            guard d.isFinite else { return fail(e, path, "number \(text) is out of range") }
            return .double(d)
        }
        return .string(text)
    }

    /// Consumes the node starting with `e` without converting it.
    mutating func skip(_ e: yaml_event_t) {
        guard e.type == YAML_SEQUENCE_START_EVENT || e.type == YAML_MAPPING_START_EVENT else { return }
        var depth = 1
        while depth > 0, let n = next() {
            if n.type == YAML_SEQUENCE_START_EVENT || n.type == YAML_MAPPING_START_EVENT { depth += 1 }
            if n.type == YAML_SEQUENCE_END_EVENT || n.type == YAML_MAPPING_END_EVENT { depth -= 1 }
        }
    }

    /// Records where each field of the node starting with `e` is.
    mutating func record(_ e: yaml_event_t, path: String, values: inout [String: PositionTable.Mark],
                         keys: inout [String: PositionTable.Mark], depth: Int) {
        values[path] = PositionTable.Mark(line: Int(e.start_mark.line) + 1, column: Int(e.start_mark.column) + 1)
        guard depth <= ManifestLimits.maxDepth else { skip(e); return }
        switch e.type {
        case YAML_SEQUENCE_START_EVENT:
            var i = 0
            while let child = next(), child.type != YAML_SEQUENCE_END_EVENT {
                record(child, path: FieldPath.element(path, i), values: &values, keys: &keys, depth: depth + 1)
                i += 1
            }
        case YAML_MAPPING_START_EVENT:
            while let k = next(), k.type != YAML_MAPPING_END_EVENT {
                let key = k.type == YAML_SCALAR_EVENT ? (Self.string(k.data.scalar.value, length: Int(k.data.scalar.length)) ?? "") : ""
                let keyMark = PositionTable.Mark(line: Int(k.start_mark.line) + 1, column: Int(k.start_mark.column) + 1)
                skip(k)
                let child = FieldPath.child(path, key)
                keys[child] = keyMark
                guard let v = next() else { return }
                if key == "<<" { skip(v); continue }
                record(v, path: child, values: &values, keys: &keys, depth: depth + 1)
            }
        default: break
        }
    }
}

/// YAML 1.2 core-schema number and boolean spellings.
enum Scalars {
    static func looksInteger(_ t: String) -> Bool {
        var u = Substring(t)
        if u.hasPrefix("0x") { return u.count > 2 && u.dropFirst(2).allSatisfy(\.isHexDigit) }
        if u.hasPrefix("0o") { return u.count > 2 && u.dropFirst(2).allSatisfy { ("0"..."7").contains($0) } }
        if u.first == "-" || u.first == "+" { u = u.dropFirst() }
        return !u.isEmpty && u.utf8.allSatisfy { $0 >= 0x30 && $0 <= 0x39 }
    }

    static func integer(_ t: String) -> Int64? {
        if t.hasPrefix("0x") { return Int64(t.dropFirst(2), radix: 16) }
        if t.hasPrefix("0o") { return Int64(t.dropFirst(2), radix: 8) }
        return Int64(t.hasPrefix("+") ? String(t.dropFirst()) : t)
    }

    /// `[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?`
    static func looksFloat(_ t: String) -> Bool {
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

/// libyaml looks ahead across a whole flow collection before its first event,
/// which takes quadratic time on `[[[[…`; this linear scan finds flow nesting
/// deeper than the limit first. It counts brackets where a value may start,
/// outside quotes and comments.
enum FlowNesting {
    static func firstTooDeep(_ data: [UInt8], limit: Int) -> (line: Int, column: Int)? {
        var depth = 0
        var line = 1
        var lineStart = 0
        var previous: UInt8 = 0x0A  // last non-blank byte; a newline at the start
        var i = 0
        let n = data.count
        while i < n {
            let b = data[i]
            switch b {
            case 0x0A:
                line += 1
                lineStart = i + 1
                previous = 0x0A
                i += 1
                continue
            case 0x20, 0x09, 0x0D:
                i += 1
                continue
            default: break
            }
            let atValueStart = previous == 0x0A || previous == UInt8(ascii: ":") || previous == UInt8(ascii: "-")
                || previous == UInt8(ascii: ",") || previous == UInt8(ascii: "[") || previous == UInt8(ascii: "{")
                || previous == UInt8(ascii: "?")
            let afterBlank = i == 0 || data[i - 1] == 0x20 || data[i - 1] == 0x09 || data[i - 1] == 0x0A
            if b == UInt8(ascii: "#") && afterBlank {
                while i < n && data[i] != 0x0A { i += 1 }
                continue
            }
            if atValueStart && (b == UInt8(ascii: "\"") || b == UInt8(ascii: "'")) {
                // Skip the quoted scalar, across lines.
                i += 1
                while i < n {
                    let c = data[i]
                    if c == 0x0A { line += 1; lineStart = i + 1 }
                    if b == UInt8(ascii: "\"") && c == UInt8(ascii: "\\") { i += 2; continue }
                    if c == b {
                        if b == UInt8(ascii: "'") && i + 1 < n && data[i + 1] == b { i += 2; continue }
                        break
                    }
                    i += 1
                }
                previous = b
                i += 1
                continue
            }
            if atValueStart && (b == UInt8(ascii: "[") || b == UInt8(ascii: "{")) {
                depth += 1
                if depth > limit {
                    let column = String(decoding: data[lineStart..<i], as: UTF8.self).unicodeScalars.count + 1
                    return (line, column)
                }
            } else if (b == UInt8(ascii: "]") || b == UInt8(ascii: "}")) && depth > 0 {
                depth -= 1
            }
            previous = b
            i += 1
        }
        return nil
    }
}

/// A value handed to `DispatchQueue.concurrentPerform`'s workers, each of which touches only
/// its own part of it (its own piece of the input, its own slot of the output).
struct UncheckedSendable<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}

/// `transform` of every element, on up to `cores` cores (`DispatchQueue.concurrentPerform`
/// over contiguous runs of elements), in the elements' order.
func concurrentMap<Element, Result>(_ elements: [Element], cores: Int, minimumPerRun: Int = 64, _ transform: (Element) -> Result) -> [Result] {
    let runs = cores > 1 ? min(cores * 4, elements.count / minimumPerRun) : 1
    guard runs > 1 else { return elements.map(transform) }
    var results = [Result?](repeating: nil, count: elements.count)
    results.withUnsafeMutableBufferPointer { out in
        let out = UncheckedSendable(out)
        withoutActuallyEscaping(transform) { transform in
            let work = UncheckedSendable((elements, transform))
            DispatchQueue.concurrentPerform(iterations: runs) { run in
                let (elements, transform) = work.value
                for i in (elements.count * run / runs)..<(elements.count * (run + 1) / runs) { out.value[i] = transform(elements[i]) }
            }
        }
    }
    return results.map { $0! }
}
