import ArgumentParser
import FogManifest
import FogModel
import Foundation

/// `~/.fog/config.yaml` (or `$FOG_CONFIG`): named contexts, each a server and a token, like kubeconfig.
struct ClientConfig {
    struct Context: Equatable {
        var name: String
        var server: String
        var token: String?
    }
    var current: String?
    var contexts: [Context] = []

    static var path: String {
        let env = ProcessInfo.processInfo.environment
        if let p = env["FOG_CONFIG"], !p.isEmpty { return p }
        return (env["HOME"] ?? NSHomeDirectory()) + "/.fog/config.yaml"
    }

    static func load(_ path: String = ClientConfig.path) throws -> ClientConfig {
        guard let data = FileManager.default.contents(atPath: path) else { return ClientConfig() }
        let (docs, errors) = YAMLReader.parse([UInt8](data), file: path)
        if !errors.isEmpty { throw CommandFailure(code: 1, ManifestErrors(errors).description) }
        guard let root = docs.first?.value else { return ClientConfig() }
        var config = ClientConfig(current: root["current-context"]?.stringValue)
        for c in root["contexts"]?.arrayValue ?? [] {
            guard let name = c["name"]?.stringValue, let server = c["server"]?.stringValue else { continue }
            config.contexts.append(Context(name: name, server: server, token: c["token"]?.stringValue))
        }
        return config
    }

    func save(_ path: String = ClientConfig.path) throws {
        var root: [String: JSONValue] = ["contexts": .array(contexts.map { c in
            var o: [String: JSONValue] = ["name": .string(c.name), "server": .string(c.server)]
            if let t = c.token { o["token"] = .string(t) }
            return .object(o)
        })]
        if let current { root["current-context"] = .string(current) }
        let dir = (path as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        // Tokens are secrets: the file is readable by its owner only.
        guard FileManager.default.createFile(atPath: path, contents: Data(YAMLPrinter.render(.object(root)).utf8),
                                             attributes: [.posixPermissions: 0o600]) else {
            throw CommandFailure(code: 1, "error: cannot write \(path)")
        }
    }

    var currentContext: Context? { current.flatMap { name in contexts.first { $0.name == name } } }
}

struct ConfigCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config",
        abstract: "Manage contexts (server and token pairs) in ~/.fog/config.yaml ($FOG_CONFIG).",
        subcommands: [View.self, SetContext.self, UseContext.self, GetContexts.self, CurrentContext.self, DeleteContext.self])

    struct SetContext: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "set-context", abstract: "Create or change a context.")
        @Argument var name: String
        @Option(help: "Server URL.") var server: String
        @Option(help: "Bearer token.") var token: String?
        func run() async throws {
            var config = try ClientConfig.load()
            let context = ClientConfig.Context(name: name, server: server, token: token)
            if let i = config.contexts.firstIndex(where: { $0.name == name }) { config.contexts[i] = context } else { config.contexts.append(context) }
            // As kubectl: setting a context does not switch to it; `use-context` does.
            try config.save()
            CLI.console.out("context \"\(name)\" set" + (config.current == name ? "" : " (`fogctl config use-context \(name)` makes it current)") + "\n")
        }
    }

    struct UseContext: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "use-context", abstract: "Make a context the current one.")
        @Argument var name: String
        func run() async throws {
            var config = try ClientConfig.load()
            guard config.contexts.contains(where: { $0.name == name }) else {
                throw CommandFailure(code: 1, "error: no context \"\(name)\"; known: \(config.contexts.map(\.name).joined(separator: ", "))")
            }
            config.current = name
            try config.save()
            CLI.console.out("switched to context \"\(name)\"\n")
        }
    }

    struct GetContexts: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "get-contexts", abstract: "List contexts.")
        func run() async throws {
            let config = try ClientConfig.load()
            let rows = config.contexts.map { [$0.name == config.current ? "*" : "", $0.name, $0.server, $0.token == nil ? "" : "(set)"] }
            CLI.console.out(TablePrinter.render(header: ["CURRENT", "NAME", "SERVER", "TOKEN"], rows: rows))
        }
    }

    struct View: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "view", abstract: "Print the configuration, tokens redacted unless --raw (as kubectl config view).")
        @Flag(help: "Show tokens.") var raw = false
        @Flag(help: "Only the current context.") var minify = false
        func run() async throws {
            let config = try ClientConfig.load()
            var contexts = config.contexts
            if minify {
                guard let c = config.currentContext else { throw CommandFailure(code: 1, "error: no current context to minify") }
                contexts = [c]
            }
            var root: [String: JSONValue] = ["contexts": .array(contexts.map { c in
                var o: [String: JSONValue] = ["name": .string(c.name), "server": .string(c.server)]
                if c.token != nil { o["token"] = .string(raw ? c.token! : "REDACTED") }
                return .object(o)
            })]
            root["current-context"] = config.current.map { .string($0) } ?? .string("")
            root["path"] = .string(ClientConfig.path)
            CLI.console.out(YAMLPrinter.render(.object(root)))
        }
    }

    struct DeleteContext: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "delete-context", abstract: "Remove a context.")
        @Argument var name: String
        func run() async throws {
            var config = try ClientConfig.load()
            guard config.contexts.contains(where: { $0.name == name }) else {
                throw CommandFailure(code: 1, "error: no context \"\(name)\" in \(ClientConfig.path)")
            }
            config.contexts.removeAll { $0.name == name }
            var note = ""
            if config.current == name {
                config.current = nil
                note = "\nwarning: this was the current context; commands now use the embedded store until `fogctl config use-context`"
            }
            try config.save()
            CLI.console.out("deleted context \(name) from \(ClientConfig.path)\(note)\n")
        }
    }

    struct CurrentContext: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "current-context", abstract: "Print the current context.")
        func run() async throws {
            guard let c = try ClientConfig.load().currentContext else { throw CommandFailure(code: 1, "error: no current context (the embedded store is used)") }
            CLI.console.out(c.name + "\n")
        }
    }
}
