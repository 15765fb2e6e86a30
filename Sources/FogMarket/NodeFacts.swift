import FogFleet
import FogModel
import Foundation

/// What admission and allocation read of a `FogNode`, decoded once per version
/// of the node instead of once per job: with 10,000 nodes and 1,000 jobs,
/// decoding conditions, capacity, reservations and scoring inputs from JSON for
/// every job was most of the time of a cold start.
public final class NodeFacts: @unchecked Sendable {
    /// Set by `fogctl drain` on a cordoned node: the jobs it serves replace it (cordoning
    /// alone only keeps new work away, as in Kubernetes).
    public static let drainAnnotation = "fog/drain"

    /// What a node has reserved for one job (`status.reservations[namespace/name]`).
    public struct Reservation: Sendable {
        public let cpu: Double
        public let memoryGiB: Double
        public let gpus: Int
    }

    public let key: ObjectKey
    public let name: String
    public let resourceVersion: Int64
    public let deleting: Bool
    public let ready: Bool
    public let harvestable: Bool
    public let unschedulable: Bool
    /// Being drained (`fogctl drain`, the `fog/drain` annotation): its participants move elsewhere.
    public let draining: Bool
    /// `spec.roles`.
    public let roles: [String]
    /// Whether `roles` holds `compute` (checked for every node of every allocation).
    public let computeRole: Bool
    /// The privacy mechanisms it takes part in (`spec.privacyCapabilities`; absent: all).
    public let privacyCapabilities: Set<String>
    /// `privacyCapabilities` as bits (`PrivacyMechanism.bits`).
    public let privacyBits: UInt8
    public let deviceClass: String
    /// `spec.class` as JSON, for participant records.
    public let classJSON: JSONValue
    public let region: String
    public let labels: [String: String]
    public let trust: Double
    public let capacityCpu: Double
    public let capacityMemoryGiB: Double
    public let gpus: Int
    public let reservations: [String: Reservation]
    /// The sum of `reservations`.
    public let reserved: Reservation
    /// `status.reservations` as stored: the value a compare-and-swap expects.
    public let reservationsJSON: JSONValue?
    /// `status.harvest.allocatableCpu` (what a phone lends).
    public let harvestCpu: Double?
    public let rttMillis: Double?
    public let weightedUptime: Double?
    public let askPerHour: Double
    public let askPerRequest: Double?
    /// Scoring inputs with the availability history as stored; `stats(now:)` brings it up to date.
    public let baseStats: NodeStats
    public let availability: Availability?
    public let readyStatus: Condition.Status?

    /// `node`, whose spec (decoded with its schema's defaults) is `spec`.
    public init(_ node: Resource, spec: FogNodeSpec) {
        key = node.key
        name = node.name
        resourceVersion = node.metadata.resourceVersion
        deleting = node.metadata.deletionTimestamp != nil
        readyStatus = node.condition("Ready")?.status
        ready = readyStatus == .true
        harvestable = node.condition("Harvestable")?.status == .true
        unschedulable = spec.unschedulable
        draining = node.metadata.annotations[Self.drainAnnotation] != nil
        roles = spec.roles.map(\.rawValue)
        computeRole = roles.contains("compute")
        privacyCapabilities = PrivacyLevel.capabilities(of: spec)
        privacyBits = PrivacyMechanism.bits(privacyCapabilities)
        deviceClass = spec.class.rawValue
        classJSON = .string(spec.class.rawValue)
        region = spec.region
        labels = node.metadata.labels
        trust = TrustScore(outcomes: node.status?["taskOutcomes"]).value
        capacityCpu = spec.capacity.cpu
        capacityMemoryGiB = spec.capacity.memoryGiB
        // No gpu block: the node has none.
        gpus = spec.capacity.gpu?.count ?? 0
        reservationsJSON = node.status?["reservations"]
        var r: [String: Reservation] = [:]
        for (k, v) in reservationsJSON?.objectValue ?? [:] {
            r[k] = Reservation(cpu: v["cpu"]?.numberValue ?? 0, memoryGiB: v["memoryGiB"]?.numberValue ?? 0, gpus: Int(v["gpu"]?.intValue ?? 0))
        }
        reservations = r
        reserved = Reservation(cpu: r.values.reduce(0) { $0 + $1.cpu }, memoryGiB: r.values.reduce(0) { $0 + $1.memoryGiB },
                               gpus: r.values.reduce(0) { $0 + $1.gpus })
        harvestCpu = node.status?["harvest"]?["allocatableCpu"]?.numberValue
        let telemetry = NodeTelemetry(json: node.status?["telemetry"])
        rttMillis = telemetry?.rttAverageMillis ?? telemetry?.rttMillis
        availability = Availability(json: node.status?["availability"])
        weightedUptime = availability?.weightedUptime
        // No price block: the node accepts what the marketplace pays (the schema cannot default
        // the block: a node without one has no ask for the economic score either).
        askPerHour = spec.price?.askPerHour ?? 0
        askPerRequest = spec.price?.askPerRequest
        baseStats = NodeStats(spec: spec, telemetry: telemetry, availability: availability, trust: trust)
    }

    /// `stats(now:)` last computed, and when: immutable but for this memo, under its lock.
    private let memoLock = NSLock()
    private var memo: (at: Double, stats: NodeStats)?

    /// `stats(now:)`, reused while `now` is within `lifetime` seconds of the time it was
    /// computed for: every allocation reads every node's scoring inputs, and a node's uptime
    /// record moves with time but not within a second. (A new version of the node is a new
    /// `NodeFacts`, so nothing older than the node's own version is ever reused.)
    public func stats(now: Double, reusingWithin lifetime: Double) -> NodeStats {
        memoLock.lock()
        defer { memoLock.unlock() }
        if let memo, abs(now - memo.at) <= lifetime { return memo.stats }
        let fresh = stats(now: now)
        memo = (now, fresh)
        return fresh
    }

    /// Scoring inputs with the availability history brought up to `now` (seconds
    /// since the epoch) from the node's `Ready` condition, as ranking wants it.
    public func stats(now: Double) -> NodeStats {
        guard let availability else { return baseStats }
        return baseStats.with(availability: availability.observed(now: now, ready: readyStatus))
    }

    public var reservedCpu: Double { reserved.cpu }
}

