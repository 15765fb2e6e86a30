import FogCLI
import FogModel
import FogStore
import FogTesting
import Foundation
import Testing

/// A temporary directory with a state file, and fogctl run in-process against it.
final class Harness: @unchecked Sendable {
    let scratch: TemporaryDirectory
    var dir: String { scratch.path }
    var state: String { dir + "/state.db" }

    init() throws { scratch = try TemporaryDirectory("fog-test") }

    struct Result: Sendable {
        var code: Int32
        var stdout: String
        var stderr: String
    }

    @discardableResult
    func fogctl(_ args: [String], stdin: [UInt8]? = nil, console: Console? = nil) async -> Result {
        let console = console ?? Console.capturing(stdin: stdin)
        let code = await Fogctl.run(args + ["--state", state], console: console)
        return Result(code: code, stdout: console.stdout, stderr: console.stderr)
    }

    /// Runs a command that takes no --state (validate, kinds).
    func offline(_ args: [String]) async -> Result {
        let console = Console.capturing()
        let code = await Fogctl.run(args, console: console)
        return Result(code: code, stdout: console.stdout, stderr: console.stderr)
    }

    @discardableResult
    func write(_ name: String, _ text: String) throws -> String {
        try write(name, bytes: Array(text.utf8))
    }

    @discardableResult
    func write(_ name: String, bytes: [UInt8]) throws -> String {
        let path = dir + "/" + name
        let parent = (path as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true)
        FileManager.default.createFile(atPath: path, contents: Data(bytes))
        return path
    }

    func store() throws -> SQLiteStore { try SQLiteStore(path: state) }

    /// The repository root, to reach examples/ and schemas/.
    static let root: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()

    /// The built fogctl executable, for tests that need separate processes.
    static func fogctlBinary() -> String? {
        let exe = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for candidate in [exe.appendingPathComponent("fogctl").path,
                          exe.deletingLastPathComponent().appendingPathComponent("fogctl").path,
                          root + "/.build/debug/fogctl"] where FileManager.default.isExecutableFile(atPath: candidate) {
            return candidate
        }
        return nil
    }
}
