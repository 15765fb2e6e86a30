import ArgumentParser
import FogClient
import FogModel
import Foundation

/// `fogctl auth can-i`: ask the server's authorisation table, as `kubectl auth can-i` does.
struct AuthCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "auth", abstract: "Inspect what you may do.", subcommands: [CanI.self])

    struct CanI: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "can-i",
            abstract: "Say whether you may do VERB on KIND (or KIND/NAME); exits 0 for yes, 1 for no.",
            discussion: """
                VERB is get, list, watch, create, update, update/status or delete (patch, label, annotate and edit are updates).
                fogctl auth can-i create federatedjobs -n team-a      fogctl auth can-i delete tiers      fogctl auth can-i update fj/digits
                """)
        @Argument(help: "The verb.") var verb: String
        @Argument(help: "KIND, KIND NAME or KIND/NAME.") var resource: [String] = []
        @Option(name: .shortAndLong, help: "Namespace (default: default).") var namespace: String?
        @Flag(name: [.customShort("A"), .customLong("all-namespaces")], help: "In every namespace.") var allNamespaces = false
        @Flag(help: "Say who asked and why.") var why = false
        @OptionGroup var global: GlobalOptions

        func run() async throws {
            var words = resource
            if words.count == 1, let slash = words[0].firstIndex(of: "/") {
                words = [String(words[0][..<slash]), String(words[0][words[0].index(after: slash)...])]
            }
            guard (1...2).contains(words.count) else { throw CommandFailure(code: 1, "error: usage: fogctl auth can-i VERB KIND [NAME] (or KIND/NAME)") }
            let verbs = ["get", "list", "watch", "create", "update", "update/status", "delete"]
            let aliases = ["patch": "update", "edit": "update", "label": "update", "annotate": "update"]
            let v = aliases[verb.lowercased()] ?? verb.lowercased()
            guard verbs.contains(v) else { throw CommandFailure(code: 1, "error: VERB must be one of \(verbs.joined(separator: ", ")) (got \"\(verb)\")") }
            let info = try CLI.kind(words[0])
            let client = try global.client()
            let answer: AccessAnswer
            do {
                answer = try await client.reviewAccess(AccessQuestion(verb: v, resource: info.plural,
                                                                      namespace: allNamespaces ? nil : (namespace ?? "default"),
                                                                      name: words.count == 2 ? words[1] : nil))
            } catch { throw CLI.storeFailure(error) }
            CLI.console.out((answer.allowed ? "yes" : "no") + (why ? " (\(answer.user): \(answer.reason))" : "") + "\n")
            if !answer.allowed { throw CommandFailure(code: 1, nil) }
        }
    }
}

/// `fogctl completion bash|zsh|fish`: the shell completion script, as kubectl prints its own.
struct Completion: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print a shell completion script (bash, zsh or fish).",
        discussion: """
            bash: source <(fogctl completion bash)    (or write it to /etc/bash_completion.d/fogctl)
            zsh:  fogctl completion zsh > "${fpath[1]}/_fogctl"
            fish: fogctl completion fish > ~/.config/fish/completions/fogctl.fish
            """)
    @Argument(help: "bash, zsh or fish.") var shell: String

    func run() throws {
        guard let kind = CompletionShell(rawValue: shell) else {
            throw CommandFailure(code: 1, "error: unsupported shell \"\(shell)\": bash, zsh or fish")
        }
        CLI.console.out(Fogctl.completionScript(for: kind))
    }
}
