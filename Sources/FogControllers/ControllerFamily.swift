import FogCircuits
import FogModel
import FogRuntime
import Foundation

/// One controller family: everything a capability contributes to fog, declared in its own
/// folder and plugged in with one line in `ControllerFamilies.all`.
///
/// - `kinds`: the kinds the family brings (each has `schemas/<kind>.json`, embedded by
///   `scripts/embed-schemas.sh`; its printer columns are the schema's `x-fog.columns`).
/// - `controllers`: built from the shared settings; each controller owns its condition types.
/// - `access`: the lines of the server's authorisation table for the family's kinds: what
///   tenants and agents may do (default deny: what no family allows, only admins may do);
///   `seals`: objects hidden from everyone but their writer until their parent unseals them.
/// - `readiness`: when `fogctl apply --wait` counts an object of a kind as ready (served by
///   the server's discovery, so remote clients follow the server's families).
/// - `summary`: lines the family adds to `fogctl up`'s report once converged.
public struct ControllerFamily: Sendable {
    public let name: String
    public let kinds: [String]
    public let access: [AccessRule]
    public let seals: [SealRule]
    public let readiness: [String: ReadinessRule]
    public let controllers: @Sendable (ControllerSettings) -> [any Controller]
    public let summary: @Sendable (InformerSet) -> [String]

    public init(name: String, kinds: [String], access: [AccessRule] = [], seals: [SealRule] = [], readiness: [String: ReadinessRule] = [:],
                controllers: @escaping @Sendable (ControllerSettings) -> [any Controller],
                summary: @escaping @Sendable (InformerSet) -> [String] = { _ in [] }) {
        self.name = name
        self.kinds = kinds
        self.access = access
        self.seals = seals
        self.readiness = readiness
        self.controllers = controllers
        self.summary = summary
    }
}

/// Settings the families' controllers read (from `fogctl up`, `reconcile` and `server` flags).
public struct ControllerSettings: Sendable {
    /// A node whose last heartbeat is older than this is not Ready.
    public var heartbeatTimeout: Double = 15
    /// Where data sets live (`<dir>/<name>.csv`), for training and inference.
    public var dataDirectory = "examples/data"
    /// Where GitSources keep their checkouts (`<dir>/<namespace>/<name>`); the CLI puts them
    /// beside the state file (`git/`).
    public var gitCheckouts = FileManager.default.temporaryDirectory.path + "/fog-git"
    /// Where GitSources' `secretRef` names credential files; nil: none.
    public var gitCredentials: String?
    /// How the circuit-pool controller reaches relays (HTTP to agents, in process to the
    /// simulated fleet); nil: it builds no circuit and says so in the pools' `Ready`.
    public var relayTransport: RelayTransport?
    public init() {}
}
