import ArgumentParser
import FogClient
import FogManifest
import FogModel
import FogStore

struct Diff: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show what apply would change, as a unified diff. Exit 0: no change; 1: changes; 2 or more: error.")

    @Option(name: .shortAndLong, help: ArgumentHelp("File, directory or - (stdin).", valueName: "file"))
    var filename: [String] = []
    @Flag(name: [.customShort("R"), .customLong("recursive")], help: "Include subdirectories.")
    var recursive = false
    @Option(name: .shortAndLong, help: "Namespace for namespaced objects that name none.")
    var namespace: String?
    @Flag(help: "Also show the objects that apply --prune -l would delete.")
    var prune = false
    @Option(name: [.customShort("l"), .customLong("selector")], help: ArgumentHelp("With --prune: which live objects the files own.", valueName: "selector"))
    var selector: String?
    @OptionGroup var global: GlobalOptions

    func run() async throws {
        // As kubectl diff: exit 1 means differences, so every error exits 2.
        let pruneSelector = try Prune.selector(selector, prune: prune, code: 2)
        let objects = try CLI.decode(files: filename, recursive: recursive, namespace: namespace, code: 2, consequence: "nothing was compared")
        let client: any FogClient
        do { client = try global.client() } catch let f as CommandFailure { throw CommandFailure(code: 2, f.message) }
        var out = ""
        var refused: [String] = []
        for object in objects {
            let desired = object.resource
            let live: Resource?
            do { live = try await client.get(desired.key) } catch { throw CLI.storeFailure(error, code: 2) }
            let name = "\(desired.kind.lowercased())/\(desired.namespace.isEmpty ? "" : desired.namespace + "/")\(desired.name)"
            let before = live.map(Self.view) ?? ""
            let after: String
            if let live {
                guard let merged = ObjectMutation.applied(live, desired: desired) else { continue }
                // What apply would be refused is an error, as kubectl diff's server-side dry run reports it.
                if let refusal = ObjectMutation.refusal(live, merged) {
                    refused.append("\(CLI.errorOrigin) (Invalid): \(refusal)")
                    continue
                }
                after = Self.view(merged)
            } else {
                after = Self.view(desired)
            }
            out += UnifiedDiff.render(old: before, new: after, oldName: "live/\(name)", newName: "merged/\(name)")
        }
        if let pruneSelector {
            let doomed: [Resource]
            do { doomed = try await Prune.candidates(objects.map(\.resource), selector: pruneSelector, namespace: namespace, client: client) } catch {
                throw CLI.storeFailure(error, code: 2)
            }
            for live in doomed {
                let name = "\(live.kind.lowercased())/\(live.namespace.isEmpty ? "" : live.namespace + "/")\(live.name)"
                out += UnifiedDiff.render(old: Self.view(live), new: "", oldName: "live/\(name)", newName: "merged/\(name) (pruned)")
            }
        }
        CLI.console.out(out)
        if !refused.isEmpty { throw CommandFailure(code: 2, refused.joined(separator: "\n")) }
        if !out.isEmpty { throw CommandFailure(code: 1) }
    }

    /// What apply owns: labels, annotations, finalizers, owner references and every field but status.
    static func view(_ r: Resource) -> String {
        var meta: [String: JSONValue] = ["name": .string(r.name)]
        if !r.namespace.isEmpty { meta["namespace"] = .string(r.namespace) }
        let full = r.metadata.json
        for k in ["labels", "annotations", "finalizers", "ownerReferences"] { meta[k] = full[k] }
        var o = r.content
        o.removeValue(forKey: "status")
        o["apiVersion"] = .string(r.apiVersion)
        o["kind"] = .string(r.kind)
        o["metadata"] = .object(meta)
        return YAMLPrinter.render(.object(o))
    }
}

struct Validate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check manifests offline against the schemas; exit 1 listing every problem.")

    @Option(name: .shortAndLong, help: ArgumentHelp("File, directory or - (stdin).", valueName: "file"))
    var filename: [String] = []
    @Flag(name: [.customShort("R"), .customLong("recursive")], help: "Include subdirectories.")
    var recursive = false

    func run() async throws {
        let objects = try CLI.decode(files: filename, recursive: recursive, namespace: nil, consequence: nil)
        var byFile: [(String, Int)] = []
        for o in objects {
            if byFile.last?.0 == o.file { byFile[byFile.count - 1].1 += 1 } else { byFile.append((o.file, 1)) }
        }
        CLI.console.out(byFile.map { "\($0.0): \($0.1) object\($0.1 == 1 ? "" : "s") valid\n" }.joined())
    }
}
