/// An argument or configuration FogLearning cannot work with (empty input,
/// vectors of different lengths, a parameter out of range), with a message
/// saying which.
public struct LearningError: Error, Sendable, Equatable, CustomStringConvertible {
    private enum Code: Sendable, Equatable { case invalidArgument, emptyInput, shapeMismatch }
    private let code: Code
    public let message: String

    private init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    static func invalidArgument(_ message: String) -> LearningError { LearningError(.invalidArgument, message) }
    static func emptyInput(_ message: String) -> LearningError { LearningError(.emptyInput, message) }
    static func shapeMismatch(_ message: String) -> LearningError { LearningError(.shapeMismatch, message) }

    /// Kinds to match against: `if LearningError.invalidArgument ~= error`.
    public static let invalidArgument = LearningError(.invalidArgument, "")
    public static let emptyInput = LearningError(.emptyInput, "")
    public static let shapeMismatch = LearningError(.shapeMismatch, "")

    public static func ~= (pattern: LearningError, error: LearningError) -> Bool { pattern.code == error.code }

    public var description: String { message }
}
