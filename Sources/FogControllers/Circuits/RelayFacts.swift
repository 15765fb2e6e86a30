import FogCircuits
import Foundation
import FogModel
import FogRuntime

/// A relay node as the circuit controller reads it: the facts path selection weighs, and how
/// an origin reaches it (the address and newest onion key its agent publishes in
/// `status.relay`).
struct RelayFacts {
    var candidate: RelayCandidate
    /// Nil when the node publishes no usable address or key (it is then not a candidate).
    var hop: HopDescriptor?
    var ready: Bool

    init(_ node: Resource) {
        let status = node.status
        let relay = status?["relay"]
        let ready = node.condition("Ready")?.status == .true
        var hop: HopDescriptor?
        if let address = relay?["address"]?.stringValue, let key = relay?["onionKeys"]?.arrayValue?.first?["publicKey"]?.stringValue,
           let publicKey = try? RelayKeyPair.publicKey(base64: key) {
            hop = HopDescriptor(name: node.name, address: address, onionKey: publicKey)
        }
        let cordoned = node.spec?["unschedulable"]?.boolValue == true
        candidate = RelayCandidate(
            name: node.name, region: node.spec?["region"]?.stringValue ?? "", owner: node.spec?["owner"]?.stringValue,
            trust: status?["trust"]?.numberValue ?? 0, score: status?["scores"]?["standard"]?.numberValue ?? 50,
            uptime: status?["availability"]?["uptime"]?.numberValue ?? 0.5,
            usable: ready && hop != nil && !cordoned && node.metadata.deletionTimestamp == nil)
        self.hop = hop
        self.ready = ready
    }

    static func isRelay(_ node: Resource) -> Bool {
        node.spec?["roles"]?.arrayValue?.contains { $0.stringValue == FogNodeSpec.Role.relay.rawValue } == true
    }

    /// Every relay node in the cache, by name (one pass over the cached nodes; `RelayNodes`
    /// keeps them without one).
    static func all(_ cache: InformerSet) -> [String: RelayFacts] {
        var out: [String: RelayFacts] = [:]
        cache.forEach("FogNode") { node in if isRelay(node) { out[node.name] = RelayFacts(node) } }
        return out
    }
}

/// The relay nodes of a node cache, kept by its change handler: the circuit controller reads
/// its few relays without a pass over a fleet of 100,000 nodes on each reconcile.
final class RelayNodes: @unchecked Sendable {
    private let lock = NSLock()
    private var cache: ObjectIdentifier?
    private var relays: [String: Resource] = [:]

    func follow(_ cache: InformerSet) {
        guard let informer = cache["FogNode"] else { return }
        let id = ObjectIdentifier(cache)
        lock.withLock { self.cache = id; relays = [:] }
        informer.addHandler { [weak self] change in
            guard let self else { return }
            lock.withLock {
                guard self.cache == id else { return }
                switch change {
                case .upsert(_, let node): relays[node.name] = RelayFacts.isRelay(node) ? node : nil
                case .delete(let node): relays[node.name] = nil
                }
            }
        }
    }

    /// Every relay node of `cache`, by name: from the handler's record when it follows `cache`.
    func all(_ cache: InformerSet) -> [String: RelayFacts] {
        guard let nodes = lock.withLock({ self.cache == ObjectIdentifier(cache) ? relays : nil }) else { return RelayFacts.all(cache) }
        return nodes.mapValues(RelayFacts.init)
    }
}
