import FogAPI
import FogClient
import FogManifest
import FogModel

/// `apply --prune -l SELECTOR` and `diff --prune -l SELECTOR`, with kubectl's semantics: the
/// objects that match the selector and are not in the files are deleted, in the namespaces
/// the files' objects are in (and `-n`, or `default`), and cluster-scoped kinds; events are
/// never pruned. Applying and pruning are one store transaction.
enum Prune {
    static func selector(_ text: String?, prune: Bool, code: Int32) throws -> LabelSelector? {
        guard prune else {
            if text != nil { throw CommandFailure(code: code, "error: -l selects what --prune may delete; give --prune too") }
            return nil
        }
        guard let text, !text.isEmpty else {
            throw CommandFailure(code: code, "error: --prune needs -l SELECTOR: the objects that match it and are not in the files are deleted (as kubectl apply --prune -l)")
        }
        do { return try LabelSelector.parse(text) } catch { throw CommandFailure(code: code, "error: -l \(text): \(error)") }
    }

    /// Live objects matching `selector` that `objects` do not contain, in name order by kind.
    static func candidates(_ objects: [Resource], selector: LabelSelector, namespace: String?, client: any FogClient) async throws -> [Resource] {
        let keep = Set(objects.map(\.key))
        var namespaces = Set(objects.map(\.namespace).filter { !$0.isEmpty })
        namespaces.insert(namespace ?? "default")
        var out: [Resource] = []
        for info in CLI.registry.kinds where info.kind != "Event" {
            for ns in info.namespaced ? namespaces.sorted() : [""] {
                let list = try await client.list(kind: info.kind, namespace: info.namespaced ? ns : nil, selector: selector)
                out += list.items.filter { !keep.contains($0.key) && $0.metadata.deletionTimestamp == nil }
            }
        }
        return out
    }
}
