import FogModel

/// One problem in a manifest, located as precisely as the input allows:
/// `file:line:column: field.path: what was expected (got …) [document N]`.
public struct ManifestError: Error, Sendable, Hashable, CustomStringConvertible {
    public var file: String
    /// 1-based index of the document in its file; 0 when the problem is with the file itself.
    public var document: Int
    public var line: Int
    public var column: Int
    /// Dotted field path (`spec.training.rounds`); empty for problems that are not about one field.
    public var path: String
    public var message: String

    public init(file: String, document: Int = 0, line: Int = 0, column: Int = 0, path: String = "", message: String) {
        self.file = file
        self.document = document
        self.line = line
        self.column = column
        self.path = path
        self.message = message
    }

    public var description: String {
        var s = file
        if line > 0 { s += ":\(line):\(column)" }
        s += ": "
        if !path.isEmpty { s += path + ": " }
        s += message
        if document > 0 { s += " [document \(document)]" }
        return s
    }
}

/// Every problem found in one invocation; thrown when any document is invalid.
public struct ManifestErrors: Error, Sendable, CustomStringConvertible {
    public var errors: [ManifestError]
    public init(_ errors: [ManifestError]) { self.errors = errors }
    public var description: String { errors.map(\.description).joined(separator: "\n") }
}

/// Documented limits on untrusted input.
public enum ManifestLimits {
    /// Largest manifest file (or stdin stream) accepted: 16 MiB.
    public static let maxFileBytes = 16 * 1024 * 1024
    /// Deepest nesting of mappings and sequences in one document: the objects' own limit, so
    /// that everything stored can be read back and applied again.
    public static let maxDepth = ObjectLimits.maxDepth
    /// Most bytes of scalars one document may expand to, aliases included: an alias of a
    /// long string counts its whole length each time (node counts alone let a 1 MiB string
    /// aliased 300 times become a 316 MB object).
    public static let maxExpandedBytesPerDocument = 2 * ObjectLimits.maxObjectBytes
    /// Most nodes one document may expand to, aliases included (stops alias bombs).
    public static let maxNodesPerDocument = 200_000
}
