import FogModel

/// The schemas' most frequent `pattern`s as byte matchers: admission checks every name,
/// label, currency and digest of a manifest against them, and a regular expression per
/// value costs more than the rest of the object's validation. Each matcher accepts exactly
/// the strings its regular expression matches as a whole, except that `$` here is the end
/// of the string only (ICU's `$` also matches before a final line break, so "a\n" passed
/// `^[a-z]$`; JSON Schema patterns are ECMA-262's, where it does not). A pattern without a
/// matcher here goes to `NSRegularExpression`. `CompiledPatternTests` checks each matcher
/// against the regular expression on generated strings.
enum CompiledPatterns {
    static let bySource: [String: @Sendable (String) -> Bool] = [
        // A DNS-1123 label (without its length limit).
        "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$": { s in
            let b = s.utf8
            guard let first = b.first, let last = b.last, isLowerAlnum(first), isLowerAlnum(last) else { return false }
            return b.allSatisfy { isLowerAlnum($0) || $0 == UInt8(ascii: "-") }
        },
        // A label value: empty, or alphanumerics at both ends with `-_.` between.
        "^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$": { s in
            let b = s.utf8
            guard let first = b.first, let last = b.last else { return true }
            guard isAlnum(first), isAlnum(last) else { return false }
            return b.allSatisfy { isAlnum($0) || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: ".") }
        },
        "^[0-9]+$": { s in !s.utf8.isEmpty && s.utf8.allSatisfy(isDigit) },
        // An ISO 4217 code.
        "^[A-Z]{3}$": { s in s.utf8.count == 3 && s.utf8.allSatisfy(isUpper) },
        // A condition type or reason.
        "^[A-Z][A-Za-z0-9]*$": { s in
            guard let first = s.utf8.first, isUpper(first) else { return false }
            return s.utf8.allSatisfy(isAlnum)
        },
        "^sha256:[0-9a-f]{64}$": { s in s.utf8.count == 71 && s.hasPrefix("sha256:") && s.utf8.dropFirst(7).allSatisfy(isLowerHex) },
        "^[0-9a-f]{64}$": { s in s.utf8.count == 64 && s.utf8.allSatisfy(isLowerHex) },
    ]

    static func isDigit(_ c: UInt8) -> Bool { c >= 0x30 && c <= 0x39 }
    static func isUpper(_ c: UInt8) -> Bool { c >= 0x41 && c <= 0x5A }
    static func isLowerAlnum(_ c: UInt8) -> Bool { Names.isLowerAlnum(c) }
    static func isAlnum(_ c: UInt8) -> Bool { Names.isAlnum(c) }
    static func isLowerHex(_ c: UInt8) -> Bool { isDigit(c) || (c >= 0x61 && c <= 0x66) }
}
