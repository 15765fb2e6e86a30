import ArgumentParser
import FogAPI
import FogClient
import FogManifest
import FogModel
import FogStore
import Foundation

/// `label` and `annotate`: `KEY=VALUE` sets, `KEY-` removes; an existing key changes only
/// with `--overwrite`, as in kubectl.
struct MetadataChanges {
    var set: [(String, String)] = []
    var remove: [String] = []

    /// Splits the arguments into object references and changes (`a=b`, `a-`).
    static func split(_ arguments: [String]) -> (references: [String], changes: MetadataChanges) {
        var refs: [String] = []
        var changes = MetadataChanges()
        for a in arguments {
            if let eq = a.firstIndex(of: "=") {
                changes.set.append((String(a[..<eq]), String(a[a.index(after: eq)...])))
            } else if a.hasSuffix("-") && !a.contains("/") && a.count > 1 {
                changes.remove.append(String(a.dropLast()))
            } else {
                refs.append(a)
            }
        }
        return (refs, changes)
    }

    /// Applies the changes to `map`; an existing key changes only with `overwrite`.
    func apply(to map: inout [String: String], overwrite: Bool) throws {
        for (k, v) in set {
            if let old = map[k], old != v, !overwrite {
                throw CommandFailure(code: 1, "error: '\(k)' already has a value (\(old)), and --overwrite is false")
            }
            map[k] = v
        }
        for k in remove { map[k] = nil }
    }
}

/// What `label` and `annotate` take, and what they do with it.
struct MetadataVerbOptions: ParsableArguments {
    @Argument(help: "KIND NAME ... or KIND/NAME ..., then KEY=VALUE (set) or KEY- (remove) changes.")
    var arguments: [String] = []
    @Option(name: .shortAndLong, help: "Namespace (default: default).")
    var namespace: String?
    @Option(name: [.customShort("l"), .customLong("selector")], help: "Change the objects of the kind that match this label selector.")
    var selector: String?
    @Flag(help: "Change every object of the kind.")
    var all = false
    @Flag(help: "Allow changing the value of a key that is already set.")
    var overwrite = false
    @OptionGroup var global: GlobalOptions

    /// Applies the changes to the map at `path` of each object; `what` and `done` name it in messages.
    func run(_ path: WritableKeyPath<Resource, [String: String]>, what: String, done: String) async throws {
        let (words, changes) = MetadataChanges.split(arguments)
        guard !changes.set.isEmpty || !changes.remove.isEmpty else {
            throw CommandFailure(code: 1, "error: at least one \(what) update is required (KEY=VALUE or KEY-)")
        }
        let client = try global.client()
        let refs = try await ObjectReferences.parse(words, namespace: namespace, selector: selector, all: all, client: client)
        var out = ""
        var failures: [String] = []
        for (info, key) in refs.targets {
            do {
                let outcome = try await ObjectEditing.modify(client, key, source: "\(info.singular)/\(key.name)") { r in
                    try changes.apply(to: &r[keyPath: path], overwrite: overwrite)
                }
                switch outcome {
                case .changed: out += "\(info.singular)/\(key.name) \(changes.set.isEmpty ? "un" + done : done)\n"
                case .unchanged: out += "\(info.singular)/\(key.name) not \(done)\n"
                }
            } catch let e as CommandFailure { failures.append(e.message ?? "error") }
        }
        CLI.console.out(out)
        if !failures.isEmpty { throw CommandFailure(code: 1, failures.joined(separator: "\n")) }
    }
}

struct Label: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Add, change or remove labels on objects.",
        discussion: "fogctl label fognode edge-1 zone=a   |   fogctl label fn/edge-1 zone-   |   fogctl label fn --all tier=gold --overwrite")
    @OptionGroup var options: MetadataVerbOptions
    func run() async throws { try await options.run(\.metadata.labels, what: "label", done: "labeled") }
}

struct Annotate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Add, change or remove annotations on objects.",
        discussion: "fogctl annotate fj/digits owner=ana   |   fogctl annotate fj/digits owner-")
    @OptionGroup var options: MetadataVerbOptions
    func run() async throws { try await options.run(\.metadata.annotations, what: "annotation", done: "annotated") }
}

/// `fogctl patch`: a JSON merge patch (RFC 7386) or a JSON patch (RFC 6902) on an object's
/// metadata and spec, or with `--subresource status` on its status.
struct Patch: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Change fields of an object with a merge patch or a JSON patch.",
        discussion: """
            fogctl patch fn edge-1 -p '{"spec":{"unschedulable":true}}'
            fogctl patch fj/digits --type json -p '[{"op":"replace","path":"/spec/rounds","value":5}]'
            The patched object is checked against its schema before it is written, as apply checks a manifest.
            """)

    @Argument(help: "KIND NAME or KIND/NAME.")
    var arguments: [String] = []
    @Option(name: [.customShort("p"), .customLong("patch")], help: "The patch, as JSON (or YAML).")
    var patch: String?
    @Option(name: .customLong("patch-file"), help: ArgumentHelp("Read the patch from this file.", valueName: "file"))
    var patchFile: String?
    @Option(name: .customLong("type"), help: "merge (RFC 7386, the default) or json (RFC 6902).")
    var type = "merge"
    @Option(help: ArgumentHelp("status: patch the status instead (admins and agents).", valueName: "name"))
    var subresource: String?
    @Option(name: .shortAndLong, help: "Namespace (default: default).")
    var namespace: String?
    @OptionGroup var global: GlobalOptions

    func run() async throws {
        guard type == "merge" || type == "json" else { throw CommandFailure(code: 1, "error: --type must be merge or json (got \"\(type)\")") }
        if let s = subresource, s != "status" { throw CommandFailure(code: 1, "error: --subresource must be status (got \"\(s)\")") }
        let text: String
        switch (patch, patchFile) {
        case (let p?, nil): text = p
        case (nil, let f?):
            guard let data = FileManager.default.contents(atPath: f) else { throw CommandFailure(code: 1, "error: cannot read \(f)") }
            text = String(decoding: data, as: UTF8.self)
        default: throw CommandFailure(code: 1, "error: give the patch with -p or --patch-file (one of them)")
        }
        let (docs, errors) = YAMLReader.parse(Array(text.utf8), file: patchFile ?? "--patch")
        guard errors.isEmpty, docs.count == 1, let patchValue = docs.first?.value else {
            throw CommandFailure(code: 1, errors.isEmpty ? "error: the patch must be one JSON (or YAML) document" : ManifestErrors(errors).description)
        }
        let client = try global.client()
        let refs = try await ObjectReferences.parse(arguments, namespace: namespace)
        guard refs.targets.count == 1, let (info, key) = refs.targets.first else { throw CommandFailure(code: 1, "error: patch one object at a time") }
        let status = subresource == "status"
        func patched(_ document: JSONValue) throws -> JSONValue {
            if type == "merge" {
                guard patchValue.objectValue != nil else { throw CommandFailure(code: 1, "error: a merge patch is a JSON object (got \(patchValue.typeName))") }
                return JSONPatch.merge(document, patchValue)
            }
            do { return try JSONPatch.apply(patchValue, to: document) } catch let e as JSONPatch.Failure {
                throw CommandFailure(code: 1, "error: the JSON patch does not apply: \(e.message)")
            }
        }
        let ref = "\(info.singular)/\(key.name)"
        if status {
            // Status as a whole: read, patch, write with the version read (409 if it moved).
            do {
                guard var r = try await client.get(key) else { throw CommandFailure(code: 1, CLI.notFound(info.plural, key.name)) }
                let next = try patched(r.status ?? .object([:]))
                if next == (r.status ?? .object([:])) { CLI.console.out("\(ref) patched (no change)\n"); return }
                r.content["status"] = next
                _ = try await client.updateStatus(r)
            } catch let e as CommandFailure { throw e } catch { throw CLI.storeFailure(error) }
            CLI.console.out("\(ref) patched\n")
            return
        }
        let outcome = try await ObjectEditing.modify(client, key, source: ref) { r in
            var document = r.json
            document["status"] = nil
            var next = try patched(document)
            next["status"] = r.status
            do { r = try Resource(json: next) } catch { throw CommandFailure(code: 1, "error: the patched object is not an object: \(error)") }
        }
        switch outcome {
        case .changed: CLI.console.out("\(ref) patched\n")
        case .unchanged: CLI.console.out("\(ref) patched (no change)\n")
        }
    }
}

/// The `-f` manifests `create` and `replace` take, each object acted on in turn: the
/// successes printed as kubectl prints them, every failure listed, exit 1 if any.
struct ManifestObjects: ParsableArguments {
    @Option(name: .shortAndLong, help: ArgumentHelp("Manifest file, directory, or - for standard input.", valueName: "file"))
    var filename: [String] = []
    @Flag(name: [.customShort("R"), .customLong("recursive")], help: "Include subdirectories of directories given with -f.")
    var recursive = false
    @Option(name: .shortAndLong, help: "Namespace for objects that name none (and the only one allowed).")
    var namespace: String?
    @OptionGroup var global: GlobalOptions

    /// `act` does one object and returns what happened to it ("created"), or a failure's message.
    func each(_ act: (any FogClient, DecodedObject) async throws -> Result<String, CommandFailure>) async throws {
        let objects = try CLI.decode(files: filename, recursive: recursive, namespace: namespace)
        let client = try global.client()
        var out = ""
        var failures: [String] = []
        for o in objects {
            let outcome: Result<String, CommandFailure>
            do { outcome = try await act(client, o) } catch { outcome = .failure(CLI.storeFailure(error)) }
            switch outcome {
            case .success(let done): out += "\(CLI.singular(o.resource.kind))/\(o.resource.name) \(done)\n"
            case .failure(let f): failures.append(f.message ?? "error")
            }
        }
        CLI.console.out(out)
        if !failures.isEmpty { throw CommandFailure(code: 1, failures.joined(separator: "\n")) }
    }
}

/// `fogctl create -f`: create objects, failing on any that exist (apply updates them).
struct Create: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Create objects from manifests; an object that exists already is an error (apply would update it).")
    @OptionGroup var manifests: ManifestObjects

    func run() async throws {
        try await manifests.each { client, o in
            do {
                _ = try await client.create(o.resource)
                return .success("created")
            } catch let e as StoreError where e.code == .alreadyExists {
                return .failure(CommandFailure(code: 1, "\(CLI.errorOrigin) (AlreadyExists): \(CLI.plural(o.resource.kind)) \"\(o.resource.name)\" already exists"))
            }
        }
    }
}

/// `fogctl replace -f`: each object replaced whole (labels, annotations, spec) by the manifest's.
struct Replace: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Replace objects by the manifests' versions; each must exist.",
        discussion: "A manifest with metadata.resourceVersion replaces only that version (409 otherwise); without one, the stored version, whatever it is.")
    @OptionGroup var manifests: ManifestObjects

    func run() async throws {
        try await manifests.each { client, o in
            guard let stored = try await client.get(o.resource.key) else {
                return .failure(CommandFailure(code: 1, CLI.notFound(CLI.plural(o.resource.kind), o.resource.name)))
            }
            var next = o.resource
            next.metadata.uid = stored.metadata.uid
            next.metadata.resourceVersion = o.resourceVersion ?? stored.metadata.resourceVersion
            _ = try await client.update(next)
            return .success("replaced")
        }
    }
}

/// `fogctl edit`: the object's YAML in `$FOG_EDITOR`, `$EDITOR` or vi; what is saved is checked
/// and written with the version that was read (a concurrent change is a conflict, not lost).
struct Edit: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Edit an object's manifest in your editor ($FOG_EDITOR, $EDITOR, or vi).",
        discussion: "On an invalid edit or a conflict nothing is written and your edit is kept in a file named in the message.")

    @Argument(help: "KIND NAME or KIND/NAME.")
    var arguments: [String] = []
    @Option(name: .shortAndLong, help: "Namespace (default: default).")
    var namespace: String?
    @OptionGroup var global: GlobalOptions

    func run() async throws {
        let client = try global.client()
        let refs = try await ObjectReferences.parse(arguments, namespace: namespace)
        guard refs.targets.count == 1, let (info, key) = refs.targets.first else { throw CommandFailure(code: 1, "error: edit one object at a time") }
        let stored: Resource
        do {
            guard let r = try await client.get(key) else { throw CommandFailure(code: 1, CLI.notFound(info.plural, key.name)) }
            stored = r
        } catch let e as CommandFailure { throw e } catch { throw CLI.storeFailure(error) }
        var shown = stored.json
        shown["status"] = nil
        let header = "# Edit \(info.singular)/\(key.name) and save; status is not edited here. An empty file cancels.\n"
        let original = header + YAMLPrinter.render(shown)
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("fogctl-edit-\(info.singular)-\(key.name)-\(UUID().uuidString.prefix(8)).yaml").path
        guard FileManager.default.createFile(atPath: path, contents: Data(original.utf8), attributes: [.posixPermissions: 0o600]) else {
            throw CommandFailure(code: 1, "error: cannot write \(path)")
        }
        try Editor.open(path)
        guard let data = FileManager.default.contents(atPath: path) else { throw CommandFailure(code: 1, "error: cannot read \(path)") }
        let edited = String(decoding: data, as: UTF8.self)
        let body = edited.split(separator: "\n", omittingEmptySubsequences: false).filter { !$0.hasPrefix("#") }.joined(separator: "\n")
        if body.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            try? FileManager.default.removeItem(atPath: path)
            CLI.console.out("Edit cancelled, no changes made.\n")
            return
        }
        if edited == original {
            try? FileManager.default.removeItem(atPath: path)
            CLI.console.out("Edit cancelled, no changes made.\n")
            return
        }
        let kept = "\nerror: your edit is kept in \(path)"
        var next: Resource
        do { next = try ObjectEditing.admit(yaml: Array(data), source: path, like: stored) } catch let e as CommandFailure {
            throw CommandFailure(code: 1, (e.message ?? "error") + kept)
        }
        do { try ObjectEditing.checkIdentity(stored, next) } catch let e as CommandFailure { throw CommandFailure(code: 1, (e.message ?? "error") + kept) }
        next.metadata.resourceVersion = stored.metadata.resourceVersion
        do {
            _ = try await client.update(next)
        } catch {
            throw CommandFailure(code: 1, (CLI.storeFailure(error).message ?? "\(error)") + kept)
        }
        try? FileManager.default.removeItem(atPath: path)
        CLI.console.out("\(info.singular)/\(key.name) edited\n")
    }
}

/// Runs the user's editor on a file and waits for it.
enum Editor {
    static func open(_ path: String) throws {
        let env = ProcessInfo.processInfo.environment
        let command = [env["FOG_EDITOR"], env["EDITOR"]].compactMap { $0 }.first { !$0.isEmpty } ?? "vi"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        // As kubectl, the editor variable may carry arguments ("code --wait").
        process.arguments = ["-c", command + " \"$1\"", "fogctl-editor", path]
        do { try process.run() } catch { throw CommandFailure(code: 1, "error: cannot start the editor \(command): \(error)") }
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw CommandFailure(code: 1, "error: the editor \(command) exited with status \(process.terminationStatus); nothing was changed (your edit is in \(path))")
        }
    }
}
