/// Kubernetes' rules for names, label keys and label values. Each check
/// returns nil when valid, or a message saying what was expected.
public enum Names {
    static func isAlnum(_ c: UInt8) -> Bool {
        (c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x7A) || (c >= 0x41 && c <= 0x5A)
    }
    static func isLowerAlnum(_ c: UInt8) -> Bool { (c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x7A) }

    /// DNS-1123 label: used for object names and namespaces.
    public static func dns1123LabelProblem(_ s: String) -> String? {
        let b = Array(s.utf8)
        let expected = "must be a DNS-1123 label: at most 63 lowercase letters, digits or '-', starting and ending with a letter or digit"
        if b.isEmpty || b.count > 63 { return expected }
        guard isLowerAlnum(b.first!), isLowerAlnum(b.last!) else { return expected }
        for c in b where !(isLowerAlnum(c) || c == UInt8(ascii: "-")) { return expected }
        return nil
    }

    /// DNS-1123 subdomain: label-key prefixes.
    public static func dns1123SubdomainProblem(_ s: String) -> String? {
        let expected = "must be a DNS-1123 subdomain: at most 253 characters, dot-separated lowercase labels"
        if s.isEmpty || s.utf8.count > 253 { return expected }
        for part in s.split(separator: ".", omittingEmptySubsequences: false) {
            let b = Array(part.utf8)
            if b.isEmpty || b.count > 63 || !isLowerAlnum(b.first!) || !isLowerAlnum(b.last!) { return expected }
            for c in b where !(isLowerAlnum(c) || c == UInt8(ascii: "-")) { return expected }
        }
        return nil
    }

    /// The name part of a label key, and label values (values may also be empty).
    static func qualifiedNamePartProblem(_ s: String, what: String) -> String? {
        let b = Array(s.utf8)
        let expected = "\(what) must be at most 63 characters of letters, digits, '-', '_' or '.', starting and ending with a letter or digit"
        if b.isEmpty || b.count > 63 { return expected }
        guard isAlnum(b.first!), isAlnum(b.last!) else { return expected }
        for c in b where !(isAlnum(c) || c == UInt8(ascii: "-") || c == UInt8(ascii: "_") || c == UInt8(ascii: ".")) {
            return expected
        }
        return nil
    }

    /// `[prefix/]name`, as label and annotation keys.
    public static func labelKeyProblem(_ key: String) -> String? {
        let parts = key.split(separator: "/", omittingEmptySubsequences: false)
        switch parts.count {
        case 1: return qualifiedNamePartProblem(key, what: "a label key")
        case 2:
            if let p = dns1123SubdomainProblem(String(parts[0])) { return "the prefix of a label key " + p }
            return qualifiedNamePartProblem(String(parts[1]), what: "the name part of a label key")
        default: return "a label key may contain at most one '/'"
        }
    }

    public static func labelValueProblem(_ value: String) -> String? {
        if value.isEmpty { return nil }
        return qualifiedNamePartProblem(value, what: "a label value")
    }
}

