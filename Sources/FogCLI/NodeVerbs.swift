import ArgumentParser
import FogClient
import FogMarket
import FogModel
import Foundation

/// `cordon`, `uncordon`, `drain`: as in Kubernetes, a cordoned node takes no new participants
/// but keeps the ones it has; a drained node is cordoned and its jobs move their participants
/// elsewhere (failover), and `drain` waits until no job holds the node.
enum NodeMaintenance {
    static func nodes(_ arguments: [String], selector: String?, client: any FogClient) async throws -> [String] {
        var words = arguments
        // `fogctl cordon edge-1` names nodes directly, as kubectl does.
        if let first = words.first, !first.contains("/"), CLI.registry.lookup(first)?.kind != "FogNode" { words.insert("fognode", at: 0) }
        if words.isEmpty && selector != nil { words = ["fognode"] }
        let refs = try await ObjectReferences.parse(words, namespace: nil, selector: selector, client: client)
        for (info, key) in refs.targets where info.kind != "FogNode" {
            throw CommandFailure(code: 1, "error: only fog nodes are cordoned and drained (got \(info.singular)/\(key.name))")
        }
        return refs.targets.map(\.key.name)
    }

    /// Sets the node's `spec.unschedulable` and its drain mark; says what happened.
    static func mark(_ client: any FogClient, _ name: String, unschedulable: Bool, draining: Bool?) async throws -> Bool {
        let key = ObjectKey(kind: "FogNode", namespace: "", name: name)
        let outcome = try await ObjectEditing.modify(client, key, source: "fognode/\(name)") { r in
            var spec = r.spec ?? .object([:])
            spec["unschedulable"] = .bool(unschedulable)
            r.content["spec"] = spec
            switch draining {
            case true?: if r.metadata.annotations[NodeFacts.drainAnnotation] == nil { r.metadata.annotations[NodeFacts.drainAnnotation] = Timestamp.format(Date()) }
            case false?: r.metadata.annotations[NodeFacts.drainAnnotation] = nil
            case nil: break
            }
        }
        if case .changed = outcome { return true }
        return false
    }

    /// The jobs holding reservations on `node` (what a drain moves away).
    static func holders(_ node: Resource?) -> [String] {
        (node?.status?["reservations"]?.objectValue ?? [:]).keys.filter { !$0.hasPrefix(AuctionLease.prefix) }.sorted()
    }

    /// Standalone auctions holding capacity on `node` (`auction:namespace/name`): bought by their
    /// owners until deleted, so a drain leaves them (and says so).
    static func leases(_ node: Resource?) -> [String] {
        (node?.status?["reservations"]?.objectValue ?? [:]).keys.filter { $0.hasPrefix(AuctionLease.prefix) }.map { String($0.dropFirst(AuctionLease.prefix.count)) }.sorted()
    }
}

/// The nodes `cordon`, `uncordon` and `drain` act on.
struct NodeSelection: ParsableArguments {
    @Argument(help: "Node names (or fognode/NAME).") var arguments: [String] = []
    @Option(name: [.customShort("l"), .customLong("selector")], help: "The nodes that match this label selector.") var selector: String?
    @OptionGroup var global: GlobalOptions

    /// Marks each node; `said` is what the change (or its absence) is called.
    func mark(unschedulable: Bool, draining: Bool?, said: (_ changed: Bool) -> String) async throws {
        let client = try global.client()
        for name in try await NodeMaintenance.nodes(arguments, selector: selector, client: client) {
            let changed = try await NodeMaintenance.mark(client, name, unschedulable: unschedulable, draining: draining)
            CLI.console.out("fognode/\(name) \(said(changed))\n")
        }
    }
}

struct Cordon: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Mark fog nodes unschedulable: no new participants; the jobs they serve keep them (drain moves those).")
    @OptionGroup var nodes: NodeSelection
    func run() async throws { try await nodes.mark(unschedulable: true, draining: nil) { $0 ? "cordoned" : "already cordoned" } }
}

struct Uncordon: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Mark fog nodes schedulable again (and end a drain).")
    @OptionGroup var nodes: NodeSelection
    func run() async throws { try await nodes.mark(unschedulable: false, draining: false) { $0 ? "uncordoned" : "already uncordoned" } }
}

struct Drain: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Cordon fog nodes and move their jobs' participants elsewhere; waits until no job holds them.",
        discussion: """
            The jobs replace the node's participants by failover, with the same selection as their first allocation; \
            a job that finds no replacement continues with fewer (Degraded) or, below its minimum, waits. \
            `uncordon` ends the drain.
            """)
    @OptionGroup var nodes: NodeSelection
    @Option(help: ArgumentHelp("Give up after this long (exit 1); 0 returns at once without waiting.", valueName: "duration"))
    var timeout: DurationArgument = DurationArgument(argument: "5m")!

    func run() async throws {
        let client = try nodes.global.client()
        let names = try await NodeMaintenance.nodes(nodes.arguments, selector: nodes.selector, client: client)
        var revision: Int64 = 0
        var holding: [String: [String]] = [:]
        do { revision = try await client.currentRevision() } catch { throw CLI.storeFailure(error) }
        for name in names {
            // The jobs it serves as the drain begins (read first: they may let it go at once).
            let node: Resource?
            do { node = try await client.get(ObjectKey(kind: "FogNode", namespace: "", name: name)) } catch { throw CLI.storeFailure(error) }
            let jobs = NodeMaintenance.holders(node)
            let changed = try await NodeMaintenance.mark(client, name, unschedulable: true, draining: true)
            CLI.console.out("fognode/\(name) \(changed ? "cordoned" : "already cordoned")\n")
            for j in jobs { CLI.console.out("moving federatedjob \(j) off fognode/\(name)\n") }
            for a in NodeMaintenance.leases(node) {
                CLI.console.out("auction \(a) holds capacity on fognode/\(name) until it is deleted (a drain does not take it away)\n")
            }
            if !jobs.isEmpty { holding[name] = jobs }
        }
        if holding.isEmpty || timeout.seconds == 0 {
            for name in names where holding[name] == nil { CLI.console.out("fognode/\(name) drained\n") }
            return
        }
        for name in names where holding[name] == nil { CLI.console.out("fognode/\(name) drained\n") }
        // Follow the nodes until their reservations are gone: each job releases a node in the
        // transaction that records its replacement.
        let stream = client.watch(kind: "FogNode", namespace: nil, from: revision)
        let start = holding
        let left = try await CLI.within(seconds: timeout.seconds) { () async throws -> [String: [String]] in
            var pending = start
            for try await event in stream {
                guard let node = event.object, pending[node.name] != nil else { continue }
                let jobs = NodeMaintenance.holders(node)
                if jobs.isEmpty {
                    pending[node.name] = nil
                    CLI.console.out("fognode/\(node.name) drained\n")
                    if pending.isEmpty { return [:] }
                } else {
                    pending[node.name] = jobs
                }
            }
            return pending
        }
        guard let left, left.isEmpty else {
            let still = (left ?? holding).map { "fognode/\($0.key) (\($0.value.joined(separator: ", ")))" }.sorted()
            let detail = left == nil ? "timed out after \(timeout.defaultValueDescription)" : "the watch ended"
            throw CommandFailure(code: 1, "error: drain \(detail); still held: \(still.isEmpty ? holding.keys.sorted().joined(separator: ", ") : still.joined(separator: ", "))")
        }
    }
}
