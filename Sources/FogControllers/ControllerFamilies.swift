import FogModel
import FogRuntime

/// The composition root: every controller family fog runs. Adding a family is its folder
/// plus one line here (see docs/architecture.md, "Adding a controller").
public enum ControllerFamilies {
    public static let all: [ControllerFamily] = [
        .nodes,
        .harvest,
        .marketplace,
        .auctions,
        .training,
        .inference,
        .gitops,
        .circuits,
    ]

    /// Every family's controllers, in family order.
    public static func controllers(_ settings: ControllerSettings = ControllerSettings()) -> [any Controller] {
        all.flatMap { $0.controllers(settings) }
    }

    /// Controller names, for `--controllers` (the garbage collector runs with every manager).
    public static var names: [String] { controllers().map(\.name) + ["garbage-collector"] }

    /// The server's authorisation table: every family's rules and seals, and the runtime's own
    /// (tenants read the events about their namespaces' objects).
    public static var access: AccessPolicy {
        AccessPolicy(rules: [.tenantReads("Event")] + all.flatMap(\.access), seals: all.flatMap(\.seals))
    }

    /// When an object of each kind is ready (kinds absent here are ready once applied).
    public static var readiness: [String: ReadinessRule] {
        all.reduce(into: [:]) { rules, family in rules.merge(family.readiness) { a, _ in a } }
    }

    /// Kinds some controller reconciles.
    public static var controlledKinds: Set<String> { Set(controllers().map(\.kind)) }
}
