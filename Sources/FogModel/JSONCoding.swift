/// A compact JSON writer with sorted keys and a strict JSON reader, both
/// working on UTF-8 bytes. Faster than Foundation's and deterministic.
public enum JSONCoding {
    public struct ParseError: Error, CustomStringConvertible, Sendable {
        public let offset: Int
        public let message: String
        public var description: String { "invalid JSON at byte \(offset): \(message)" }
    }

    /// Maximum nesting accepted by `parse`.
    public static let maxDepth = 512

    public static func encode(_ value: JSONValue) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(256)
        write(value, into: &out)
        return String(decoding: out, as: UTF8.self)
    }

    public static func encodeBytes(_ value: JSONValue) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(256)
        write(value, into: &out)
        return out
    }

    public static func write(_ value: JSONValue, into out: inout [UInt8]) {
        switch value {
        case .null: out.append(contentsOf: [0x6E, 0x75, 0x6C, 0x6C])
        case .bool(let b):
            if b { out.append(contentsOf: [0x74, 0x72, 0x75, 0x65]) } else { out.append(contentsOf: [0x66, 0x61, 0x6C, 0x73, 0x65]) }
        case .int(let i): writeInt(i, into: &out)
        case .double(let d): out.append(contentsOf: formatDouble(d).utf8)
        case .string(let s): writeString(s, into: &out)
        case .array(let a):
            out.append(UInt8(ascii: "["))
            var first = true
            for element in a {
                if !first { out.append(UInt8(ascii: ",")) }
                first = false
                write(element, into: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let o):
            writeObject(o.sorted { $0.key < $1.key }, into: &out)
        }
    }

    /// Writes `pairs` (already in key order) as an object.
    public static func writeObject(_ pairs: [(key: String, value: JSONValue)], into out: inout [UInt8]) {
        out.append(UInt8(ascii: "{"))
        var first = true
        for (key, value) in pairs {
            if !first { out.append(UInt8(ascii: ",")) }
            first = false
            writeString(key, into: &out)
            out.append(UInt8(ascii: ":"))
            write(value, into: &out)
        }
        out.append(UInt8(ascii: "}"))
    }

    public static func writeInt(_ value: Int64, into out: inout [UInt8]) {
        if value == 0 { out.append(0x30); return }
        if value == Int64.min { out.append(contentsOf: String(value).utf8); return }
        var v = value
        if v < 0 { out.append(UInt8(ascii: "-")); v = -v }
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)  // up to 24 bytes of scratch
        let count = withUnsafeMutableBytes(of: &digits) { buf -> Int in
            var n = 0
            while v > 0 {
                buf[23 - n] = UInt8(truncatingIfNeeded: v % 10) + 0x30
                v /= 10
                n += 1
            }
            out.append(contentsOf: buf[(24 - n)...])
            return n
        }
        _ = count
    }

    /// Shortest round-tripping form; integral values keep a `.0` so they read back as doubles.
    public static func formatDouble(_ d: Double) -> String {
        guard d.isFinite else { return "null" }
        if d.rounded() == d && abs(d) < 1e15 { return String(Int64(d)) + ".0" }
        return String(d)
    }

    static let hex: [UInt8] = Array("0123456789abcdef".utf8)

    public static func writeString(_ s: String, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        var s = s
        s.withUTF8 { bytes in
            var start = 0
            for i in 0..<bytes.count {
                let byte = bytes[i]
                guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") else { continue }
                out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start..<i]))
                start = i + 1
                switch byte {
                case UInt8(ascii: "\""): out.append(contentsOf: [0x5C, 0x22])
                case UInt8(ascii: "\\"): out.append(contentsOf: [0x5C, 0x5C])
                case 0x0A: out.append(contentsOf: [0x5C, UInt8(ascii: "n")])
                case 0x0D: out.append(contentsOf: [0x5C, UInt8(ascii: "r")])
                case 0x09: out.append(contentsOf: [0x5C, UInt8(ascii: "t")])
                default:
                    out.append(contentsOf: [0x5C, UInt8(ascii: "u"), 0x30, 0x30, hex[Int(byte >> 4)], hex[Int(byte & 0xF)]])
                }
            }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start..<bytes.count]))
        }
        out.append(UInt8(ascii: "\""))
    }

    public static func parse(_ text: String) throws -> JSONValue {
        var copy = text
        return try copy.withUTF8 { try parse(bytes: $0) }
    }

    public static func parse(bytes: UnsafeBufferPointer<UInt8>) throws -> JSONValue {
        var reader = Reader(bytes: bytes)
        reader.skipWhitespace()
        let value = try reader.readValue(depth: 0)
        reader.skipWhitespace()
        if reader.pos != bytes.count { throw reader.error("unexpected trailing characters") }
        return value
    }

    public static func parse(bytes: [UInt8]) throws -> JSONValue {
        try bytes.withUnsafeBufferPointer { try parse(bytes: $0) }
    }

    struct Reader {
        let bytes: UnsafeBufferPointer<UInt8>
        var pos = 0

        func error(_ message: String) -> ParseError { ParseError(offset: pos, message: message) }

        mutating func skipWhitespace() {
            while pos < bytes.count {
                let b = bytes[pos]
                if b == 0x20 || b == 0x0A || b == 0x0D || b == 0x09 { pos += 1 } else { break }
            }
        }

        mutating func expect(_ literal: StaticString, _ value: JSONValue) throws -> JSONValue {
            let count = literal.utf8CodeUnitCount
            guard pos + count <= bytes.count else { throw error("unexpected end of input") }
            let p = literal.utf8Start
            for i in 0..<count where bytes[pos + i] != p[i] { throw error("invalid literal") }
            pos += count
            return value
        }

        mutating func readValue(depth: Int) throws -> JSONValue {
            guard depth < JSONCoding.maxDepth else { throw error("nesting deeper than \(JSONCoding.maxDepth)") }
            guard pos < bytes.count else { throw error("unexpected end of input") }
            switch bytes[pos] {
            case UInt8(ascii: "{"):
                pos += 1
                var object: [String: JSONValue] = [:]
                skipWhitespace()
                if pos < bytes.count, bytes[pos] == UInt8(ascii: "}") { pos += 1; return .object(object) }
                while true {
                    skipWhitespace()
                    guard pos < bytes.count, bytes[pos] == UInt8(ascii: "\"") else { throw error("expected a string key") }
                    let key = try readString()
                    skipWhitespace()
                    guard pos < bytes.count, bytes[pos] == UInt8(ascii: ":") else { throw error("expected ':'") }
                    pos += 1
                    skipWhitespace()
                    if object[key] != nil { throw error("duplicate key \"\(key)\"") }
                    object[key] = try readValue(depth: depth + 1)
                    skipWhitespace()
                    guard pos < bytes.count else { throw error("unexpected end of input") }
                    if bytes[pos] == UInt8(ascii: ",") { pos += 1; continue }
                    if bytes[pos] == UInt8(ascii: "}") { pos += 1; return .object(object) }
                    throw error("expected ',' or '}'")
                }
            case UInt8(ascii: "["):
                pos += 1
                var array: [JSONValue] = []
                skipWhitespace()
                if pos < bytes.count, bytes[pos] == UInt8(ascii: "]") { pos += 1; return .array(array) }
                while true {
                    skipWhitespace()
                    array.append(try readValue(depth: depth + 1))
                    skipWhitespace()
                    guard pos < bytes.count else { throw error("unexpected end of input") }
                    if bytes[pos] == UInt8(ascii: ",") { pos += 1; continue }
                    if bytes[pos] == UInt8(ascii: "]") { pos += 1; return .array(array) }
                    throw error("expected ',' or ']'")
                }
            case UInt8(ascii: "\""): return .string(try readString())
            case UInt8(ascii: "t"): return try expect("true", .bool(true))
            case UInt8(ascii: "f"): return try expect("false", .bool(false))
            case UInt8(ascii: "n"): return try expect("null", .null)
            default: return try readNumber()
            }
        }

        mutating func readNumber() throws -> JSONValue {
            let start = pos
            var isInteger = true
            if pos < bytes.count, bytes[pos] == UInt8(ascii: "-") { pos += 1 }
            while pos < bytes.count {
                let b = bytes[pos]
                if b >= 0x30 && b <= 0x39 { pos += 1; continue }
                if b == UInt8(ascii: ".") || b == UInt8(ascii: "e") || b == UInt8(ascii: "E")
                    || b == UInt8(ascii: "+") || b == UInt8(ascii: "-")
                {
                    isInteger = false
                    pos += 1
                    continue
                }
                break
            }
            guard pos > start else { throw error("unexpected character") }
            let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<pos]), as: UTF8.self)
            if isInteger, let i = Int64(text) { return .int(i) }
            guard let d = Double(text), d.isFinite else { pos = start; throw error("invalid number \(text)") }
            return .double(d)
        }

        mutating func readString() throws -> String {
            pos += 1  // opening quote
            let start = pos
            // Fast path: no escapes.
            while pos < bytes.count {
                let b = bytes[pos]
                if b == UInt8(ascii: "\"") {
                    let s = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<pos]), as: UTF8.self)
                    pos += 1
                    return s
                }
                if b == UInt8(ascii: "\\") || b < 0x20 { break }
                pos += 1
            }
            var buffer = Array(bytes[start..<pos])
            while pos < bytes.count {
                let b = bytes[pos]
                if b == UInt8(ascii: "\"") {
                    pos += 1
                    return String(decoding: buffer, as: UTF8.self)
                }
                if b < 0x20 { throw error("control character in string") }
                if b == UInt8(ascii: "\\") {
                    pos += 1
                    guard pos < bytes.count else { break }
                    let e = bytes[pos]
                    pos += 1
                    switch e {
                    case UInt8(ascii: "\""): buffer.append(0x22)
                    case UInt8(ascii: "\\"): buffer.append(0x5C)
                    case UInt8(ascii: "/"): buffer.append(0x2F)
                    case UInt8(ascii: "b"): buffer.append(0x08)
                    case UInt8(ascii: "f"): buffer.append(0x0C)
                    case UInt8(ascii: "n"): buffer.append(0x0A)
                    case UInt8(ascii: "r"): buffer.append(0x0D)
                    case UInt8(ascii: "t"): buffer.append(0x09)
                    case UInt8(ascii: "u"):
                        var scalar = try readHex4()
                        if (0xD800..<0xDC00).contains(scalar) {
                            guard pos + 1 < bytes.count, bytes[pos] == UInt8(ascii: "\\"), bytes[pos + 1] == UInt8(ascii: "u")
                            else { throw error("unpaired surrogate") }
                            pos += 2
                            let low = try readHex4()
                            guard (0xDC00..<0xE000).contains(low) else { throw error("invalid surrogate pair") }
                            scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                        }
                        guard let u = Unicode.Scalar(scalar) else { throw error("invalid unicode escape") }
                        buffer.append(contentsOf: Array(String(Character(u)).utf8))
                    default: throw error("invalid escape")
                    }
                    continue
                }
                buffer.append(b)
                pos += 1
            }
            throw error("unterminated string")
        }

        mutating func readHex4() throws -> UInt32 {
            guard pos + 4 <= bytes.count else { throw error("truncated unicode escape") }
            var v: UInt32 = 0
            for _ in 0..<4 {
                let b = bytes[pos]
                pos += 1
                v <<= 4
                switch b {
                case 0x30...0x39: v |= UInt32(b - 0x30)
                case 0x41...0x46: v |= UInt32(b - 0x41 + 10)
                case 0x61...0x66: v |= UInt32(b - 0x61 + 10)
                default: throw error("invalid hex digit")
                }
            }
            return v
        }
    }
}
