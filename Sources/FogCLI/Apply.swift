import ArgumentParser
import FogAPI
import FogClient
import FogManifest
import FogModel
import FogStore

struct Apply: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Create or update objects from manifests (all or nothing per invocation).",
        discussion: """
            Every document of every file is decoded and validated before anything is written;
            any error lists every problem (file:line:column: field.path: expected) and writes nothing.
            The manifest owns spec, labels and annotations; status and server-set metadata are kept.
            --wait waits until each object is ready: Ready=True for kinds whose controller reports
            readiness (FogNode, Tier, PrivacyPolicy, HarvestPolicy); for other kinds with a controller,
            until it has observed the applied generation; a failed condition ends it with exit 1.
            Controllers must be running (fogctl reconcile --watch, fogctl up --watch, or a server).
            """)

    @Option(name: .shortAndLong, help: ArgumentHelp("File, directory or - (stdin); repeatable.", valueName: "file"))
    var filename: [String] = []
    @Flag(name: [.customShort("R"), .customLong("recursive")], help: "Include subdirectories of directories given with -f.")
    var recursive = false
    @Option(name: .customLong("dry-run"), help: ArgumentHelp("none, client or server: report what would change without writing.", valueName: "mode"))
    var dryRun: String = "none"
    @Option(name: .shortAndLong, help: "Namespace for namespaced objects that name none; objects naming another are rejected.")
    var namespace: String?
    @Flag(help: "Delete the objects that match -l and are not in the files, in the same transaction (kubectl apply --prune -l).")
    var prune = false
    @Option(name: [.customShort("l"), .customLong("selector")], help: ArgumentHelp("With --prune: which live objects the files own.", valueName: "selector"))
    var selector: String?
    @Flag(help: "Then wait until every applied object is ready (see fogctl apply --help), like kubectl wait.")
    var wait = false
    @Option(help: ArgumentHelp("How long --wait waits.", valueName: "duration"))
    var timeout: DurationArgument = DurationArgument(argument: "5m")!
    @OptionGroup var global: GlobalOptions

    func validate() throws {
        guard ["none", "client", "server"].contains(dryRun) else {
            throw ValidationError("--dry-run must be none, client or server (got \"\(dryRun)\")")
        }
    }

    func run() async throws {
        let pruneSelector = try Prune.selector(selector, prune: prune, code: 1)
        let objects = try CLI.decode(files: filename, recursive: recursive, namespace: namespace)
        if dryRun == "client" {
            // Decoded and validated here, as kubectl's client dry run: the store (or server) is not
            // opened, so nothing is read or created, and whether each object exists is not known.
            CLI.console.out(objects.map { "\(CLI.resourceRef($0.resource)) valid (client dry run; store not contacted)\n" }.joined())
            return
        }
        let client = try global.client()
        let outcomes: [ApplyOutcome]
        var pruned: [DeleteOutcome] = []
        do {
            if let pruneSelector {
                let doomed = try await Prune.candidates(objects.map(\.resource), selector: pruneSelector, namespace: namespace, client: client)
                let result = try await client.apply(objects.map(\.resource), prune: doomed.map(\.key), dryRun: dryRun != "none")
                outcomes = result.applied
                pruned = result.pruned
            } else {
                outcomes = try await client.apply(objects.map(\.resource), dryRun: dryRun != "none")
            }
        } catch {
            throw CLI.storeFailure(error)
        }
        let suffix = dryRun == "server" ? " (server dry run)" : ""
        var out = ""
        for o in outcomes { out += "\(CLI.resourceRef(o.object)) \(o.action.rawValue)\(suffix)\n" }
        for p in pruned {
            switch p {
            case .deleted(let o), .markedForDeletion(let o): out += "\(CLI.resourceRef(o)) pruned\(suffix)\n"
            }
        }
        CLI.console.out(out)
        if wait && dryRun == "none" {
            try await Readiness.wait(for: outcomes.map(\.object), client: client, timeout: timeout.seconds)
        }
    }
}
