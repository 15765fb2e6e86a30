import Crypto
import FogManifest
import FogModel
import Foundation

/// Who is calling, as established from a bearer token.
public struct Identity: Sendable, Hashable {
    public enum Role: Sendable, Hashable {
        /// Everything.
        case admin
        /// Its namespaces only; cluster-scoped kinds read-only.
        case tenant(namespaces: Set<String>)
        /// One FogNode: its status, its bids, what is assigned to it.
        case agent(node: String)

        /// The role's name, for metrics and messages.
        public var name: String {
            switch self {
            case .admin: return "admin"
            case .tenant: return "tenant"
            case .agent: return "agent"
            }
        }
    }
    public var user: String
    public var role: Role

    public static let anonymousAdmin = Identity(user: "system:anonymous", role: .admin)
}

/// Bearer tokens from `--tokens FILE`:
///
/// ```yaml
/// tokens:
/// - token: s3cret            # or sha256: <hex of the token's SHA-256>
///   user: alice
///   role: admin              # admin | tenant | agent
/// - token: t3nant
///   user: team-a
///   role: tenant
///   namespaces: [team-a]
/// - token: n0de
///   user: edge-1-agent
///   role: agent
///   node: edge-1
/// ```
public struct TokenBook: Sendable {
    struct Entry: Sendable {
        var secret: [UInt8]
        var hashed: Bool
        var identity: Identity
    }
    let entries: [Entry]

    public init(file: String) throws {
        guard let data = FileManager.default.contents(atPath: file) else {
            throw ManifestErrors([ManifestError(file: file, message: "cannot read the tokens file")])
        }
        let (docs, errors) = YAMLReader.parse([UInt8](data), file: file)
        if !errors.isEmpty { throw ManifestErrors(errors) }
        guard let list = docs.first?.value["tokens"]?.arrayValue else {
            throw ManifestErrors([ManifestError(file: file, path: "tokens", message: "expected a list of {token|sha256, user, role}")])
        }
        var entries: [Entry] = []
        var problems: [ManifestError] = []
        for (i, t) in list.enumerated() {
            let path = "tokens[\(i)]"
            let (l, c) = docs[0].location(of: path)
            func problem(_ m: String) { problems.append(ManifestError(file: file, document: 1, line: l, column: c, path: path, message: m)) }
            guard let user = t["user"]?.stringValue, !user.isEmpty else { problem("user is required"); continue }
            let secret: [UInt8]
            let hashed: Bool
            if let token = t["token"]?.stringValue, token.count >= 8 {
                secret = Array(token.utf8)
                hashed = false
            } else if let hex = t["sha256"]?.stringValue, let bytes = Self.hex(hex), bytes.count == 32 {
                secret = bytes
                hashed = true
            } else {
                problem("needs token (at least 8 characters) or sha256 (64 hex digits)")
                continue
            }
            let role: Identity.Role
            switch t["role"]?.stringValue {
            case "admin": role = .admin
            case "tenant":
                let namespaces = Set((t["namespaces"]?.arrayValue ?? []).compactMap(\.stringValue))
                if namespaces.isEmpty { problem("a tenant needs namespaces"); continue }
                role = .tenant(namespaces: namespaces)
            case "agent":
                guard let node = t["node"]?.stringValue else { problem("an agent needs node"); continue }
                role = .agent(node: node)
            default: problem("role must be admin, tenant or agent"); continue
            }
            entries.append(Entry(secret: secret, hashed: hashed, identity: Identity(user: user, role: role)))
        }
        if !problems.isEmpty { throw ManifestErrors(problems) }
        self.entries = entries
    }

    /// The identity of `token`, comparing against every entry in constant time per entry.
    public func authenticate(_ token: String) -> Identity? {
        let plain = Array(token.utf8)
        let digest = Array(SHA256.hash(data: plain))
        var found: Identity?
        for e in entries {
            let candidate = e.hashed ? digest : plain
            if Self.constantTimeEqual(candidate, e.secret) && found == nil { found = e.identity }
        }
        return found
    }

    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        var diff = UInt8(truncatingIfNeeded: a.count ^ b.count)
        for i in 0..<max(a.count, b.count) {
            let x = i < a.count ? a[i] : 0
            let y = i < b.count ? b[i] : 0
            diff |= x ^ y
        }
        return diff == 0
    }

    static func hex(_ s: String) -> [UInt8]? {
        let chars = Array(s.utf8)
        guard chars.count % 2 == 0 else { return nil }
        var out: [UInt8] = []
        var i = 0
        while i < chars.count {
            guard let hi = nibble(chars[i]), let lo = nibble(chars[i + 1]) else { return nil }
            out.append(hi << 4 | lo)
            i += 2
        }
        return out
    }

    static func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case 0x30...0x39: return c - 0x30
        case 0x61...0x66: return c - 0x61 + 10
        case 0x41...0x46: return c - 0x41 + 10
        default: return nil
        }
    }
}

/// The authorisation table, default deny: admins may do everything; a tenant or an agent
/// may do what some `AccessRule` of its role allows, and nothing else. Decided in two steps,
/// so that a denial never depends on what the store holds: `mayAttempt` from the route alone
/// (before anything is read), then `allows` on the objects involved (the stored object and,
/// for writes, the object written).
public struct Authorizer: Sendable {
    public typealias Verb = AccessRule.Verb

    private let rules: [String: [AccessRule]]
    private let seals: [String: SealRule]

    public init(_ policy: AccessPolicy) {
        rules = Dictionary(grouping: policy.rules, by: \.kind)
        seals = Dictionary(policy.seals.map { ($0.kind, $0) }, uniquingKeysWith: { a, _ in a })
    }

    private func rules(_ kind: String, _ role: AccessRule.Role, _ verb: Verb) -> [AccessRule] {
        (rules[kind] ?? []).filter { $0.role == role && $0.verbs.contains(verb) }
    }

    /// Whether some rule could let `identity` do `verb` on `kind` in `namespace` ("" when
    /// cluster-scoped, nil across all namespaces): the route-level check, made first.
    public func mayAttempt(_ identity: Identity, _ verb: Verb, kind: KindInfo, namespace: String?) -> Bool {
        switch identity.role {
        case .admin: return true
        case .tenant(let namespaces):
            return rules(kind.kind, .tenant, verb).contains { r in
                switch r.scope {
                case .any: return true
                case .ownNamespaces: return namespace.map { namespaces.contains($0) } ?? false
                case .ownNode, .boundToNode: return false
                }
            }
        case .agent:
            return !rules(kind.kind, .agent, verb).isEmpty
        }
    }

    /// Whether a rule lets `identity` do `verb` on `object`.
    public func allows(_ identity: Identity, _ verb: Verb, _ object: Resource) -> Bool {
        switch identity.role {
        case .admin: return true
        case .tenant(let namespaces): return rules(object.kind, .tenant, verb).contains { $0.covers(object, namespaces: namespaces) }
        case .agent(let node): return rules(object.kind, .agent, verb).contains { $0.covers(object, node: node) }
        }
    }

    /// Whether `identity` may read `object` at all (before sealing is considered).
    public func mayRead(_ identity: Identity, _ object: Resource) -> Bool {
        allows(identity, .get, object) || allows(identity, .list, object) || allows(identity, .watch, object)
    }

    /// The seal on objects of `kind`, whoever asks (nil: the kind is not sealed).
    public func seal(of kind: String) -> SealRule? { seals[kind] }

    /// The seal on objects of `kind` that `identity` is subject to: nil for admins, for kinds
    /// without a seal, and for the agent that wrote the object.
    public func seal(on object: Resource, for identity: Identity) -> SealRule? {
        guard let seal = seals[object.kind] else { return nil }
        switch identity.role {
        case .admin: return nil
        case .tenant: return seal
        case .agent(let node):
            return JSONValue.object(object.content).value(at: seal.writerField)?.stringValue == node ? nil : seal
        }
    }
}
