/// What an agent (a node's credentials) may do with objects of one kind. Each controller
/// family declares the permissions its agents need; the server's authoriser grants an
/// agent exactly the union of what the families it runs declare, and nothing else.
public struct AgentPermission: Sendable, Hashable {
    /// Verbs as Kubernetes names them.
    public enum Verb: String, Sendable, Hashable, CaseIterable {
        case get, list, watch, create, update, updateStatus = "update/status", delete
    }

    /// Which objects of the kind the permission covers.
    public enum Scope: Sendable, Hashable {
        /// Every object of the kind (reads of shared policy: tiers, privacy policies).
        case any
        /// The FogNode whose name is the agent's node.
        case ownNode
        /// Objects whose field at this path (e.g. `spec.node`) names the agent's node.
        case boundToNode(field: String)
    }

    public var kind: String
    public var verbs: Set<Verb>
    public var scope: Scope

    public init(kind: String, verbs: Set<Verb>, scope: Scope) {
        self.kind = kind
        self.verbs = verbs
        self.scope = scope
    }

    /// Read-only access to every object of `kind`.
    public static func read(_ kind: String) -> AgentPermission { AgentPermission(kind: kind, verbs: [.get, .list, .watch], scope: .any) }

    /// Whether `object` is one this permission is about, for the agent of `node`.
    public func covers(_ object: Resource, node: String) -> Bool {
        switch scope {
        case .any: return true
        case .ownNode: return object.kind == "FogNode" && object.name == node
        case .boundToNode(let field): return JSONValue.object(object.content).value(at: field)?.stringValue == node
        }
    }

    /// Whether a request names an object this permission is about: `name` is the name in
    /// the path, `object` the object read or written (nil for a list or watch, which the
    /// server then filters object by object with `covers`).
    public func covers(name: String?, object: Resource?, node: String) -> Bool {
        switch scope {
        case .any: return true
        case .ownNode:
            if let object { return object.name == node && (name == nil || name == node) }
            return name == nil || name == node
        case .boundToNode:
            guard let object else { return true }
            return covers(object, node: node)
        }
    }
}

/// When an object of a kind counts as ready for `fogctl apply --wait`, as the controller
/// that reconciles the kind reports it. Served by discovery, so a client waits by the rules
/// of the controllers that actually run, not by its own binary's list.
public enum ReadinessRule: String, Sendable, Hashable, Codable {
    /// `Ready=True` (its controller checks the spec and says so).
    case readyCondition
    /// `status.observedGeneration` has reached `metadata.generation`.
    case observedGeneration
}
