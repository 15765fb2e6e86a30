import ArgumentParser
import FogAPI
import FogClient
import FogManifest
import FogModel
import FogRemote
import FogStore
import Foundation

/// The `fogctl` root command.
public struct Fogctl: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "fogctl",
        abstract: "A declarative control plane for fog-computing marketplaces that run federated AI workloads.",
        discussion: """
            Objects are described in YAML manifests and applied like Kubernetes objects.
            With no --server, commands use the embedded store at --state (env FOG_STATE, default ~/.fog/state.db).
            """,
        subcommands: [Up.self, Apply.self, Create.self, Replace.self, Get.self, Describe.self, Explain.self, Edit.self, Patch.self, Label.self,
                      Annotate.self, Delete.self, Diff.self, Validate.self, Wait.self, Logs.self, Reconcile.self, Server.self,
                      AgentCommand.self, Simulate.self, Top.self, Cordon.self, Uncordon.self, Drain.self] + FamilyCommands.all
            + [ConfigCommand.self, AuthCommand.self, Kinds.self, Completion.self, Version.self])

    public init() {}

    /// The subcommands' names and aliases (and help).
    static var commandNames: [String] {
        var names: [String] = ["help"]
        for command in configuration.subcommands {
            let c: CommandConfiguration = command.configuration
            names.append(command._commandName)
            names.append(contentsOf: c.aliases)
        }
        return names
    }

    /// Runs fogctl with `arguments` (without the program name) and returns the exit code.
    public static func run(_ arguments: [String], console: Console = .standard) async -> Int32 {
        await Console.$current.withValue(console) { await CLI.$target.withValue(CLI.Target()) {
            // As kubectl: an unknown command is named as such, with the commands there are.
            if let first = arguments.first, !first.hasPrefix("-"), !commandNames.contains(first) {
                let listed = commandNames.filter { $0 != "help" }.joined(separator: ", ")
                console.err("error: unknown command \"" + first + "\" for \"fogctl\"\nAvailable commands: " + listed + "\nRun 'fogctl --help' for usage.\n")
                return 1
            }
            do {
                var command = try parseAsRoot(arguments)
                if var asyncCommand = command as? AsyncParsableCommand {
                    try await asyncCommand.run()
                } else {
                    try command.run()
                }
                return 0
            } catch let failure as CommandFailure {
                if let m = failure.message { console.err(m.hasSuffix("\n") ? m : m + "\n") }
                return failure.code
            } catch {
                let code = exitCode(for: error).rawValue
                let message = fullMessage(for: error)
                if code == 0 { console.out(message + "\n") } else if !message.isEmpty { console.err(message + "\n") }
                return code
            }
        } }
    }
}

/// Options every command that touches state takes.
public struct GlobalOptions: ParsableArguments, Sendable {
    @Option(name: .long, help: ArgumentHelp("Embedded state file (env FOG_STATE; default ~/.fog/state.db).", valueName: "path"))
    public var state: String?
    @Option(name: .long, help: ArgumentHelp("A fog API server to use instead of the embedded store (env FOG_SERVER).", valueName: "url"))
    public var server: String?
    @Option(name: .long, help: ArgumentHelp("Bearer token for --server (env FOG_TOKEN).", valueName: "token"))
    public var token: String?

    public init() {}

    /// Where commands go, with kubectl's precedence: flags (`--server`, `--state`), then the
    /// environment (`FOG_SERVER`, `FOG_STATE`), then the current context of ~/.fog/config.yaml.
    /// nil: the embedded store.
    var serverURL: String? {
        if let server { return server }
        if state != nil { return nil }
        let env = ProcessInfo.processInfo.environment
        if let s = env["FOG_SERVER"], !s.isEmpty { return s }
        if let s = env["FOG_STATE"], !s.isEmpty { return nil }
        return (try? ClientConfig.load())?.currentContext?.server
    }

    /// `--token`, then `FOG_TOKEN`, then the current context's token when the server is the context's.
    var bearerToken: String? {
        if let token { return token }
        if let t = ProcessInfo.processInfo.environment["FOG_TOKEN"], !t.isEmpty { return t }
        guard let context = (try? ClientConfig.load())?.currentContext, serverURL == context.server else { return nil }
        return context.token
    }

    public func statePath() -> String { state ?? SQLiteStore.defaultPath() }

    func openStore() throws -> SQLiteStore {
        do { return try SQLiteStore(path: statePath()) } catch {
            throw CommandFailure(code: 1, "error: \(error)")
        }
    }

    func client(timeout: Double = 30) throws -> any FogClient {
        if let url = serverURL {
            CLI.target.server = url
            return HTTPFogClient(baseURL: url, token: bearerToken, registry: CLI.registry, timeout: .milliseconds(Int64(timeout * 1000)))
        }
        return EmbeddedClient(store: try openStore())
    }

    /// Commands that run controllers in this process need the embedded store.
    func embeddedStore(for command: String) throws -> SQLiteStore {
        if serverURL != nil {
            throw CommandFailure(code: 1, "error: \(command) runs against the embedded store (--state); a server runs its own controllers")
        }
        return try openStore()
    }
}

/// Helpers shared by the commands.
enum CLI {
    static var console: Console { Console.current }
    static var registry: KindRegistry { SchemaSet.builtIn.registry }

    static func kind(_ name: String) throws -> KindInfo {
        if let k = registry.lookup(name) { return k }
        let known = registry.kinds.map { k in k.shortNames.isEmpty ? k.plural : "\(k.plural) (\(k.shortNames.joined(separator: ",")))" }
        throw CommandFailure(code: 1, "error: unknown resource type \"\(name)\"; known types: \(known.joined(separator: ", "))")
    }

    /// Decodes `-f` inputs, or fails listing every problem, then saying what the command did not do
    /// (`consequence`: apply's "nothing was applied", diff's "nothing was compared"; nil: nothing said).
    static func decode(files: [String], recursive: Bool, namespace: String?, code: Int32 = 1,
                       consequence: String? = "nothing was applied") throws -> [DecodedObject] {
        if files.isEmpty { throw CommandFailure(code: code, "error: must specify -f FILE, DIRECTORY or - (standard input)") }
        do {
            let stdin = console.standardInput ?? { ManifestInput.readStandardInput() }
            let inputs = try ManifestInput.load(paths: files, recursive: recursive, readStandardInput: stdin)
            return try ManifestDecoder(requiredNamespace: namespace).decode(inputs)
        } catch let e as ManifestErrors {
            let count = e.errors.count
            throw CommandFailure(code: code, e.description + "\nerror: \(count) problem\(count == 1 ? "" : "s") found" + (consequence.map { "; " + $0 } ?? ""))
        }
    }

    static func resourceRef(_ r: Resource) -> String { "\(r.kind.lowercased())/\(r.name)" }

    /// Where this run's commands went: the embedded store, or a server (set when a remote
    /// client is made), so that errors say where they came from.
    final class Target: @unchecked Sendable { var server: String? }
    @TaskLocal static var target = Target()

    /// "Error from store" or "Error from server", as kubectl says where an error came from.
    static var errorOrigin: String { "Error from \(target.server == nil ? "store" : "server")" }

    /// The message of an object that is not there, from wherever the command looked.
    static func notFound(_ plural: String, _ name: String) -> String { "\(errorOrigin) (NotFound): \(plural) \"\(name)\" not found" }

    static func storeFailure(_ error: Error, code: Int32 = 1) -> CommandFailure {
        // Not reaching the server is this side's failure, not the server's answer.
        if let e = error as? TransportError { return CommandFailure(code: code, "error: \(e.message)") }
        if let e = error as? any FogAPIError {
            return CommandFailure(code: code, "\(errorOrigin) (\(e.reason)): \(e.message)")
        }
        if let e = error as? CommandFailure { return e }
        return CommandFailure(code: code, "error: \(error)")
    }
}

/// `fogctl version`: this binary's version and the API version it speaks; with a server (flag,
/// environment or context), the server's too, as `kubectl version` prints both.
struct Version: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print the fogctl version and the API version it speaks (and the server's, with --server).")
    @Flag(help: "This binary's version only.") var client = false
    @OptionGroup var global: GlobalOptions

    func run() async throws {
        CLI.console.out("fogctl \(FogBuild.version) (API \(fogAPIVersion))\n")
        guard !client, global.serverURL != nil, let remote = try global.client() as? HTTPFogClient else { return }
        do {
            let v = try await remote.serverVersion()
            CLI.console.out("server \(remote.baseURL): fog \(v.version) (API \(v.apiVersion))\n")
        } catch { throw CLI.storeFailure(error) }
    }
}
