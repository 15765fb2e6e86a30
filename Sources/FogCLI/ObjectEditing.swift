import FogAPI
import FogClient
import FogManifest
import FogModel
import FogRemote
import FogStore
import Foundation

/// Objects named on the command line, as kubectl takes them: `KIND NAME [NAME ...]`,
/// `KIND/NAME [KIND/NAME ...]`, or a kind with `-l SELECTOR` / `--all`.
struct ObjectReferences {
    var targets: [(info: KindInfo, key: ObjectKey)] = []

    /// `words` are the arguments that name objects (label changes and the like already taken out).
    static func parse(_ words: [String], namespace: String?, selector: String? = nil, all: Bool = false,
                      client: (any FogClient)? = nil) async throws -> ObjectReferences {
        var refs = ObjectReferences()
        func key(_ info: KindInfo, _ name: String) -> ObjectKey {
            ObjectKey(kind: info.kind, namespace: info.namespaced ? (namespace ?? "default") : "", name: name)
        }
        if words.contains(where: { $0.contains("/") }) {
            guard words.allSatisfy({ $0.contains("/") }) else {
                throw CommandFailure(code: 1, "error: name objects either as KIND NAME [NAME ...] or as KIND/NAME [KIND/NAME ...], not both")
            }
            for w in words {
                let parts = w.split(separator: "/", maxSplits: 1).map(String.init)
                guard parts.count == 2, !parts[1].isEmpty else { throw CommandFailure(code: 1, "error: \"\(w)\" is not KIND/NAME") }
                let info = try CLI.kind(parts[0])
                refs.targets.append((info, key(info, parts[1])))
            }
            if selector != nil || all { throw CommandFailure(code: 1, "error: name objects, or give a kind with -l or --all, not both") }
            return refs
        }
        guard let kindName = words.first else {
            throw CommandFailure(code: 1, "error: name a kind and objects, e.g. `fognode edge-1` or `fn/edge-1` (see `fogctl kinds`)")
        }
        let info = try CLI.kind(kindName)
        let names = Array(words.dropFirst())
        if selector != nil || all {
            guard names.isEmpty else { throw CommandFailure(code: 1, "error: name objects, or give -l or --all, not both") }
            guard let client else { throw CommandFailure(code: 1, "error: -l and --all need a store") }
            let parsed: LabelSelector
            do { parsed = try LabelSelector.parse(selector ?? "") } catch { throw CommandFailure(code: 1, "error: \(error)") }
            let list: ObjectList
            do { list = try await client.list(kind: info.kind, namespace: info.namespaced ? (namespace ?? "default") : nil, selector: parsed) } catch {
                throw CLI.storeFailure(error)
            }
            refs.targets = list.items.map { (info, $0.key) }
            return refs
        }
        guard !names.isEmpty else {
            throw CommandFailure(code: 1, "error: name at least one \(info.singular) (or use -l SELECTOR or --all)")
        }
        refs.targets = names.map { (info, key(info, $0)) }
        return refs
    }
}

/// Read, change, validate and write one object, as `label`, `annotate`, `patch`, `cordon` do:
/// the change is made on the latest version and retried when another writer got there first.
enum ObjectEditing {
    enum Outcome { case changed(Resource), unchanged(Resource) }

    static func modify(_ client: any FogClient, _ key: ObjectKey, source: String,
                       _ change: (inout Resource) throws -> Void) async throws -> Outcome {
        for attempt in 1...5 {
            let stored: Resource
            do {
                guard let r = try await client.get(key) else { throw CommandFailure(code: 1, CLI.notFound(CLI.plural(key.kind), key.name)) }
                stored = r
            } catch let e as CommandFailure { throw e } catch { throw CLI.storeFailure(error) }
            var edited = stored
            try change(&edited)
            try checkIdentity(stored, edited)
            if ObjectMutation.updated(stored, with: edited) == nil { return .unchanged(stored) }
            var admitted = try admit(edited, source: source)
            admitted.metadata.resourceVersion = stored.metadata.resourceVersion
            do {
                // Through a server: the change as a merge patch, which the server applies to the
                // latest version (a round trip between reading and writing would lose to every
                // heartbeat of a busy node).
                if let remote = client as? HTTPFogClient {
                    var before = stored.json, after = admitted.json
                    for field in ["status"] { before[field] = nil; after[field] = nil }
                    return .changed(try await remote.patch(key, JSONPatch.diff(from: before, to: after)))
                }
                return .changed(try await client.update(admitted))
            } catch let e as StoreError where e.code == .conflict && attempt < 5 {
                continue
            } catch { throw CLI.storeFailure(error) }
        }
        throw CommandFailure(code: 1, "error: \(key) kept changing; try again")
    }

    /// What identifies an object cannot be edited: a different name is a different object.
    static func checkIdentity(_ stored: Resource, _ edited: Resource) throws {
        for (field, before, after) in [("kind", stored.kind, edited.kind), ("metadata.name", stored.name, edited.name),
                                       ("metadata.namespace", stored.namespace, edited.namespace), ("apiVersion", stored.apiVersion, edited.apiVersion),
                                       ("metadata.uid", stored.metadata.uid, edited.metadata.uid)] where before != after {
            throw CommandFailure(code: 1, "error: \(field) cannot be changed (\"\(before)\" → \"\(after)\"); create a new object instead")
        }
    }

    /// `object` checked against its kind's schema and admission rules, as `apply` checks a
    /// manifest: the errors carry the line:column of the YAML shown to the user (`source`).
    static func admit(_ object: Resource, source: String) throws -> Resource {
        var manifest = object.json
        manifest["status"] = nil
        return try admit(yaml: Array(YAMLPrinter.render(manifest).utf8), source: source, like: object)
    }

    /// Decodes `yaml` (one object) with the manifest rules; `like` supplies the server-set
    /// metadata (uid, version, creation time) that the manifest decoder does not carry.
    static func admit(yaml: [UInt8], source: String, like stored: Resource) throws -> Resource {
        let decoded: [DecodedObject]
        do {
            decoded = try ManifestDecoder(requiredNamespace: nil).decode([ManifestInput(name: source, bytes: yaml)])
        } catch let e as ManifestErrors {
            throw CommandFailure(code: 1, e.description + "\nerror: \(e.errors.count) problem\(e.errors.count == 1 ? "" : "s") found; nothing was changed")
        }
        guard decoded.count == 1 else { throw CommandFailure(code: 1, "error: \(source): expected one object, found \(decoded.count)") }
        var object = decoded[0].resource
        object.metadata.uid = stored.metadata.uid
        object.metadata.creationTimestamp = stored.metadata.creationTimestamp
        object.metadata.deletionTimestamp = stored.metadata.deletionTimestamp
        object.metadata.generation = stored.metadata.generation
        return object
    }
}

extension CLI {
    /// `body`'s result, or nil when it has not returned within `seconds` (it is then cancelled):
    /// the `--timeout` of the commands that follow a watch.
    static func within<T: Sendable>(seconds: Double, _ body: @escaping @Sendable () async throws -> T) async throws -> T? {
        try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask { try await body() }
            group.addTask {
                try await Task.sleep(for: .nanoseconds(Int64(seconds * 1e9)))
                return nil
            }
            let first = try await group.next() ?? nil
            group.cancelAll()
            return first
        }
    }

    static func plural(_ kind: String) -> String { registry.info(forKind: kind)?.plural ?? kind.lowercased() }
    static func singular(_ kind: String) -> String { registry.info(forKind: kind)?.singular ?? kind.lowercased() }
}
