/// One line of the server's authorisation table: what callers of one role may do with
/// objects of one kind. Each controller family contributes the lines its kinds need; the
/// server allows exactly what some line allows (admins excepted) and denies everything else.
public struct AccessRule: Sendable, Hashable {
    /// Verbs as Kubernetes names them; `updateStatus` is a write of the status subresource.
    public enum Verb: String, Sendable, Hashable, CaseIterable {
        case get, list, watch, create, update, updateStatus = "update/status", delete
    }

    /// The callers a rule is for (admins may do everything and need no rule).
    public enum Role: String, Sendable, Hashable, CaseIterable {
        /// A person or program with namespaces of its own.
        case tenant
        /// A node's agent, speaking for that node only.
        case agent
    }

    /// Which objects of the kind the rule covers.
    public enum Scope: Sendable, Hashable {
        /// Every object of the kind (reads of shared, cluster-scoped policy).
        case any
        /// Objects in the tenant's own namespaces.
        case ownNamespaces
        /// The FogNode whose name is the agent's node.
        case ownNode
        /// Objects whose field at this path (e.g. `spec.node`) names the agent's node: checked
        /// on the stored object and on what is written, so a body cannot claim ownership.
        case boundToNode(field: String)
    }

    public static let readVerbs: Set<Verb> = [.get, .list, .watch]
    /// What a tenant may do with the objects it owns: everything but status, which only
    /// controllers and agents write.
    public static let tenantWriteVerbs: Set<Verb> = [.get, .list, .watch, .create, .update, .delete]

    public var role: Role
    public var kind: String
    public var verbs: Set<Verb>
    public var scope: Scope

    public init(_ role: Role, kind: String, verbs: Set<Verb>, scope: Scope) {
        self.role = role
        self.kind = kind
        // Tenants never write status: a status is what a controller or agent observed.
        self.verbs = role == .tenant ? verbs.subtracting([.updateStatus]) : verbs
        self.scope = scope
    }

    /// A tenant's full use of the objects of `kind` in its namespaces (status excepted).
    public static func tenantOwns(_ kind: String) -> AccessRule { AccessRule(.tenant, kind: kind, verbs: tenantWriteVerbs, scope: .ownNamespaces) }
    /// A tenant's reads of the objects of `kind` in its namespaces.
    public static func tenantReads(_ kind: String) -> AccessRule { AccessRule(.tenant, kind: kind, verbs: readVerbs, scope: .ownNamespaces) }
    /// Reads of every object of a cluster-scoped `kind`.
    public static func readsAll(_ role: Role, _ kind: String) -> AccessRule { AccessRule(role, kind: kind, verbs: readVerbs, scope: .any) }

    /// Whether the rule covers `object` for a tenant of `namespaces` or the agent of `node`.
    public func covers(_ object: Resource, namespaces: Set<String> = [], node: String? = nil) -> Bool {
        switch scope {
        case .any: return true
        case .ownNamespaces: return !object.namespace.isEmpty && namespaces.contains(object.namespace)
        case .ownNode: return object.kind == "FogNode" && node != nil && object.name == node
        case .boundToNode(let field):
            guard let node else { return false }
            return JSONValue.object(object.content).value(at: field)?.stringValue == node
        }
    }
}

/// Objects of a kind that stay sealed (e.g. the bids of an open auction): until their parent
/// reaches an unsealing phase, only admins and the agent that wrote one can see it; to
/// everyone else it does not exist (404, absent from lists and watches).
public struct SealRule: Sendable, Hashable {
    public var kind: String
    /// The field naming the node whose agent wrote the object (it always sees its own).
    public var writerField: String
    /// The parent's kind and the field naming it (same namespace).
    public var parentKind: String
    public var parentField: String
    /// The parent's `status.phase` values in which its children are no longer sealed. A
    /// missing parent keeps them sealed: deleting an open auction does not open its bids.
    public var unsealedPhases: Set<String>

    public init(kind: String, writerField: String, parentKind: String, parentField: String, unsealedPhases: Set<String>) {
        self.kind = kind
        self.writerField = writerField
        self.parentKind = parentKind
        self.parentField = parentField
        self.unsealedPhases = unsealedPhases
    }
}

/// The whole authorisation table: the families' rules and seals together.
public struct AccessPolicy: Sendable {
    public var rules: [AccessRule]
    public var seals: [SealRule]
    public init(rules: [AccessRule] = [], seals: [SealRule] = []) {
        self.rules = rules
        self.seals = seals
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
