/// Kubernetes' rules for names, label keys and label values. Each check
/// returns nil when valid, or a message saying what was expected.
public enum Names {
    /// An ASCII letter or digit.
    public static func isAlnum(_ c: UInt8) -> Bool {
        (c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x7A) || (c >= 0x41 && c <= 0x5A)
    }
    /// An ASCII lowercase letter or digit.
    public static func isLowerAlnum(_ c: UInt8) -> Bool { (c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x7A) }

    /// DNS-1123 label: used for object names and namespaces.
    public static func dns1123LabelProblem(_ s: String) -> String? {
        isDNS1123Label(s.utf8) ? nil
            : "must be a DNS-1123 label: at most 63 lowercase letters, digits or '-', starting and ending with a letter or digit"
    }

    static func isDNS1123Label<Bytes: BidirectionalCollection<UInt8>>(_ b: Bytes) -> Bool {
        guard let first = b.first, let last = b.last, b.count <= 63, isLowerAlnum(first), isLowerAlnum(last) else { return false }
        return b.allSatisfy { isLowerAlnum($0) || $0 == UInt8(ascii: "-") }
    }

    /// DNS-1123 subdomain: label-key prefixes.
    public static func dns1123SubdomainProblem(_ s: String) -> String? {
        let valid = !s.isEmpty && s.utf8.count <= 253
            && s.utf8.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false).allSatisfy { isDNS1123Label($0) }
        return valid ? nil : "must be a DNS-1123 subdomain: at most 253 characters, dot-separated lowercase labels"
    }

    /// The name part of a label key, and label values (values may also be empty).
    static func qualifiedNamePartProblem<Bytes: BidirectionalCollection<UInt8>>(_ b: Bytes, what: String) -> String? {
        if let first = b.first, let last = b.last, b.count <= 63, isAlnum(first), isAlnum(last),
           b.allSatisfy({ isAlnum($0) || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: ".") }) {
            return nil
        }
        return "\(what) must be at most 63 characters of letters, digits, '-', '_' or '.', starting and ending with a letter or digit"
    }

    public static func labelKeyProblem(_ key: String) -> String? {
        let bytes = key.utf8
        guard let slash = bytes.firstIndex(of: UInt8(ascii: "/")) else { return qualifiedNamePartProblem(bytes, what: "a label key") }
        let name = bytes[bytes.index(after: slash)...]
        if name.contains(UInt8(ascii: "/")) { return "a label key may contain at most one '/'" }
        if let p = dns1123SubdomainProblem(String(key[..<slash])) { return "the prefix of a label key " + p }
        return qualifiedNamePartProblem(name, what: "the name part of a label key")
    }

    public static func labelValueProblem(_ value: String) -> String? {
        if value.isEmpty { return nil }
        return qualifiedNamePartProblem(value.utf8, what: "a label value")
    }
}

