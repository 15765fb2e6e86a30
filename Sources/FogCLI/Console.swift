import FogRuntime
import Foundation

/// Where commands write: the process's stdout/stderr, or buffers in tests.
public final class Console: @unchecked Sendable {
    private let lock = NSLock()
    private let writeOut: (String) -> Void
    private let writeErr: (String) -> Void
    private var outBuffer = ""
    private var errBuffer = ""
    private let capturing: Bool
    /// Notified after each write, so a test can wait for output without polling.
    public let written = AsyncSignal()
    /// Bytes a command reads for `-f -`.
    public let standardInput: (() -> [UInt8]?)?

    public init(out: @escaping (String) -> Void, err: @escaping (String) -> Void) {
        writeOut = out
        writeErr = err
        capturing = false
        standardInput = nil
    }

    private init(capturingWithInput input: [UInt8]?) {
        writeOut = { _ in }
        writeErr = { _ in }
        capturing = true
        standardInput = input.map { bytes in { bytes } }
    }

    /// A console that keeps what commands print, for tests.
    public static func capturing(stdin: [UInt8]? = nil) -> Console { Console(capturingWithInput: stdin) }

    public static let standard = Console(
        out: { s in FileHandle.standardOutput.write(Data(s.utf8)) },
        err: { s in FileHandle.standardError.write(Data(s.utf8)) })

    @TaskLocal public static var current: Console = .standard

    public func out(_ s: String) {
        lock.withLock { if capturing { outBuffer += s } else { writeOut(s) } }
        written.notify()
    }

    public func err(_ s: String) {
        lock.withLock { if capturing { errBuffer += s } else { writeErr(s) } }
        written.notify()
    }

    public var stdout: String { lock.lock(); defer { lock.unlock() }; return outBuffer }
    public var stderr: String { lock.lock(); defer { lock.unlock() }; return errBuffer }
}

/// A command failed: print `message` lines (if any) to stderr and exit with `code`.
public struct CommandFailure: Error {
    public var code: Int32
    public var message: String?
    public init(code: Int32 = 1, _ message: String? = nil) {
        self.code = code
        self.message = message
    }
}
