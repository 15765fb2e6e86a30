import ArgumentParser
import FogAPI
import FogClient
import FogModel
import FogStore

struct Delete: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Delete objects named on the command line or in manifests.",
        discussion: "An object with finalizers is marked (deletionTimestamp) and goes once its finalizers are removed.")

    @Argument(help: "KIND NAME [NAME ...] or KIND/NAME")
    var arguments: [String] = []
    @Option(name: .shortAndLong, help: ArgumentHelp("Delete the objects these manifests describe.", valueName: "file"))
    var filename: [String] = []
    @Flag(name: [.customShort("R"), .customLong("recursive")], help: "Include subdirectories of directories given with -f.")
    var recursive = false
    @Option(name: .shortAndLong, help: "Namespace (default: default).")
    var namespace: String?
    @Flag(name: .customLong("ignore-not-found"), help: "Treat objects that do not exist as deleted.")
    var ignoreNotFound = false
    @Option(name: [.customShort("l"), .customLong("selector")], help: "Delete the objects of the kind that match this label selector.")
    var selector: String?
    @Flag(help: "Delete every object of the kind (in the namespace).")
    var all = false
    @Option(help: ArgumentHelp("background (dependents go after), foreground (dependents first), orphan (dependents stay).", valueName: "policy"))
    var cascade = "background"
    @OptionGroup var global: GlobalOptions

    func run() async throws {
        var keys: [(ObjectKey, String)] = []
        if !filename.isEmpty {
            guard arguments.isEmpty else { throw CommandFailure(code: 1, "error: give either -f or KIND NAME, not both") }
            keys = try CLI.decode(files: filename, recursive: recursive, namespace: namespace, consequence: "nothing was deleted").map {
                ($0.resource.key, CLI.registry.info(forKind: $0.resource.kind)?.singular ?? $0.resource.kind.lowercased())
            }
        } else {
            if arguments.isEmpty { throw CommandFailure(code: 1, "error: usage: fogctl delete KIND NAME [NAME ...] | KIND/NAME ... | KIND -l SELECTOR | KIND --all | -f FILE") }
            let lister = selector != nil || all ? try global.client() : nil
            let refs = try await ObjectReferences.parse(arguments, namespace: namespace, selector: selector, all: all, client: lister)
            keys = refs.targets.map { ($0.key, $0.info.singular) }
            if keys.isEmpty {
                CLI.console.err("No resources found\n")
                return
            }
        }
        guard let propagation = DeletePropagation.allCases.first(where: { $0.rawValue.lowercased() == cascade.lowercased() }) else {
            throw CommandFailure(code: 1, "error: --cascade must be background, foreground or orphan (got \"\(cascade)\")")
        }
        let client = try global.client()
        var failures: [String] = []
        var out = ""
        for (key, singular) in keys {
            do {
                switch try await client.delete(key, propagation: propagation) {
                case .deleted: out += "\(singular) \"\(key.name)\" deleted\n"
                case .markedForDeletion(let r):
                    out += "\(singular) \"\(key.name)\" marked for deletion (waiting for finalizers: \(r.metadata.finalizers.joined(separator: ", ")))\n"
                }
            } catch let e as StoreError where e.code == .notFound {
                if !ignoreNotFound { failures.append("\(CLI.errorOrigin) (NotFound): \(e.message)") }
            } catch {
                failures.append(CLI.storeFailure(error).message ?? "\(error)")
            }
        }
        CLI.console.out(out)
        if !failures.isEmpty { throw CommandFailure(code: 1, failures.joined(separator: "\n")) }
    }
}
