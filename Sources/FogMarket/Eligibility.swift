import FogFleet
import FogModel
import Foundation

/// What a `FederatedJob` asks of each participant, from its typed spec.
public struct JobView: Sendable {
    public var key: ObjectKey { didSet { reservationKey = Self.reservationKey(key) } }
    public var spec: FederatedJobSpec
    public var type: FederatedJobSpec.JobType
    public var tier: String
    public var privacy: String
    public var cpu: Double
    public var memoryGiB: Double
    public var gpu: Bool
    public var regions: Set<String>
    public var deviceClasses: Set<String>
    public var selector: LabelSelector
    public var minTrust: Double
    public var algorithm: ScoringAlgorithm
    public var minParticipants: Int
    public var maxParticipants: Int
    public var hierarchy: Bool
    public var budget: Double?
    public var mode: FederatedJobSpec.Allocation.Mode
    /// The privacy mechanisms its PrivacyPolicy enables: every participant must take part in them.
    public var privacyCapabilities: Set<String> { didSet { privacyBits = PrivacyMechanism.bits(privacyCapabilities) } }
    /// `privacyCapabilities` as bits, for the test eligibility makes for every node.
    public private(set) var privacyBits: UInt8
    /// The key of this job's entry in a node's `status.reservations` (`namespace/name`).
    public private(set) var reservationKey: String

    /// `privacy`: the job's PrivacyPolicy (nil: not resolved yet, nothing required of nodes).
    public init(key: ObjectKey, spec s: FederatedJobSpec, privacy policy: PrivacyPolicySpec? = nil) {
        self.key = key
        reservationKey = Self.reservationKey(key)
        spec = s
        type = s.type
        tier = s.tier
        privacy = s.privacy
        cpu = s.placement.requirements.cpu
        memoryGiB = s.placement.requirements.memoryGiB
        gpu = s.placement.requirements.gpu
        regions = Set(s.placement.regions ?? [])
        deviceClasses = Set((s.placement.deviceClasses ?? []).map(\.rawValue))
        // Like a pod's nodeSelector: labels a node must carry.
        selector = LabelSelector(matchLabels: s.placement.nodeSelector ?? [:])
        minTrust = s.placement.minTrust
        algorithm = s.placement.algorithm
        minParticipants = s.participants.min
        maxParticipants = s.participants.maxOrMin
        hierarchy = s.hierarchy.enabled
        budget = s.budget?.max
        mode = s.allocation.mode
        privacyCapabilities = Set(policy.map(PrivacyLevel.enabledMechanisms) ?? [])
        privacyBits = PrivacyMechanism.bits(privacyCapabilities)
    }

    /// The key of job `key`'s entry in a node's `status.reservations`: `namespace/name`.
    public static func reservationKey(_ key: ObjectKey) -> String { key.namespace + "/" + key.name }

    /// What one participant reserves on its node.
    public var reservation: JSONValue {
        ["cpu": .double(cpu), "memoryGiB": .double(memoryGiB), "gpu": .int(gpu ? 1 : 0)]
    }
}

/// The capacity a standalone Auction (no job) holds on each winner for its owner, until the
/// auction is deleted: an entry of its winners' `status.reservations` under `auction:namespace/name`
/// (a job's is `namespace/name`, and a job's auction has the job's name).
public enum AuctionLease {
    public static let prefix = "auction:"
    public static func reservationKey(_ auction: ObjectKey) -> String { prefix + auction.namespace + "/" + auction.name }
}

/// A node's capacity and what jobs have reserved on it (`status.reservations`,
/// written only by the allocation controller, in the same transaction as the job's allocation).
public struct NodeCapacity: Sendable {
    public var cpu: Double
    public var memoryGiB: Double
    public var gpus: Int
    public var reservedCpu = 0.0
    public var reservedMemoryGiB = 0.0
    public var reservedGpus = 0

    public init(_ node: NodeFacts, excluding job: String? = nil) {
        cpu = node.capacityCpu
        memoryGiB = node.capacityMemoryGiB
        gpus = node.gpus
        // The node's total, less what this job holds there (if anything).
        reservedCpu = node.reserved.cpu
        reservedMemoryGiB = node.reserved.memoryGiB
        reservedGpus = node.reserved.gpus
        if let job, !node.reservations.isEmpty, let own = node.reservations[job] {
            reservedCpu -= own.cpu
            reservedMemoryGiB -= own.memoryGiB
            reservedGpus -= own.gpus
        }
    }

    public var freeCpu: Double { cpu - reservedCpu }
    public var freeMemoryGiB: Double { memoryGiB - reservedMemoryGiB }
    public var freeGpus: Int { gpus - reservedGpus }
}

/// Why a node cannot host a participant of a job (each is a test case).
public enum Exclusion: String, CaseIterable, Sendable {
    case notReady = "NotReady"
    case unschedulable = "Unschedulable"
    case drained = "Drained"
    case noComputeRole = "NoComputeRole"
    case privacyCapabilityMissing = "PrivacyCapabilityMissing"
    case classNotAllowed = "ClassNotAllowed"
    case notHarvestable = "NotHarvestable"
    case regionNotSelected = "RegionNotSelected"
    case selectorMismatch = "SelectorMismatch"
    case trustBelowMinimum = "TrustBelowMinimum"
    case insufficientCPU = "InsufficientCPU"
    case insufficientMemory = "InsufficientMemory"
    case noGPU = "NoGPU"
    case latencyAboveSLA = "LatencyAboveSLA"
    case uptimeBelowSLA = "UptimeBelowSLA"
}

public enum Eligibility {
    /// The first reason `node` cannot take a participant of `job` under `tier`, or nil.
    /// Capacity already reserved by `job` itself on the node does not count against it.
    /// `keeping`: the node already serves the job, and a cordon alone does not take it away
    /// (a drain does), as a cordoned Kubernetes node keeps its pods until drained.
    /// `ownReservation: false` counts whatever the node holds for the job as taken (for a job
    /// that holds nothing yet, the same answer; shared by jobs of one shape, `CandidatePools`).
    public static func exclusion(_ node: NodeFacts, job: JobView, tier: TierTerms, keeping: Bool = false,
                                 ownReservation: Bool = true) -> Exclusion? {
        guard !node.deleting, node.ready else { return .notReady }
        if node.draining { return .drained }
        if node.unschedulable && !keeping { return .unschedulable }
        if !node.computeRole { return .noComputeRole }
        if job.privacyBits & ~node.privacyBits != 0 { return .privacyCapabilityMissing }
        let cls = node.deviceClass
        if !tier.deviceClasses.isEmpty && !tier.deviceClasses.contains(cls) { return .classNotAllowed }
        if !job.deviceClasses.isEmpty && !job.deviceClasses.contains(cls) { return .classNotAllowed }
        if cls == "mobile" && !node.harvestable { return .notHarvestable }
        if !job.regions.isEmpty && !job.regions.contains(node.region) { return .regionNotSelected }
        if !job.selector.matches(node.labels) { return .selectorMismatch }
        if node.trust < job.minTrust { return .trustBelowMinimum }
        let capacity = NodeCapacity(node, excluding: ownReservation ? job.reservationKey : nil)
        // A phone lends only its harvestable share.
        let cpuLimit = cls == "mobile" ? min(capacity.freeCpu, node.harvestCpu ?? 0) : capacity.freeCpu
        if cpuLimit + 1e-9 < job.cpu { return .insufficientCPU }
        if capacity.freeMemoryGiB + 1e-9 < job.memoryGiB { return .insufficientMemory }
        if job.gpu && capacity.freeGpus < 1 { return .noGPU }
        if let maxLatency = tier.slaMaxLatencyMs {
            guard let rtt = node.rttMillis, rtt <= maxLatency else { return .latencyAboveSLA }
        }
        // A node with no observed time yet has no record to hold against it.
        if let uptime = tier.slaUptimePercent, let u = node.weightedUptime, u * 100 + 1e-9 < uptime {
            return .uptimeBelowSLA
        }
        return nil
    }

    /// What the job pays a participant on `node`: the node's ask for the job's
    /// estimated hours (training), or per request for its share of requests (inference;
    /// without `askPerRequest`, the hourly ask over 3,600 one-second requests).
    public static func price(_ node: NodeFacts, job: JobView, quote: Quote?) -> Double {
        ask(node, type: job.type) * priceFactor(job: job, quote: quote)
    }

    /// What `node` asks per unit of a job of `type`: per hour (training), per request
    /// (inference). A job's price for a node is this times `priceFactor`, the same for every
    /// node, so ordering nodes by their ask orders them by the job's price (`CandidateDominance`).
    public static func ask(_ node: NodeFacts, type: FederatedJobSpec.JobType) -> Double {
        type == .inference ? (node.askPerRequest ?? node.askPerHour / 3600) : node.askPerHour
    }

    /// The units of a node's ask that one participant of `job` is paid for: the estimated hours
    /// (training), its share of the requests (inference).
    public static func priceFactor(job: JobView, quote: Quote?) -> Double {
        if job.type == .inference {
            let requests = quote?.quantity ?? Double(job.spec.inference.requests)
            return (requests / Double(max(1, job.maxParticipants))).rounded(.up)
        }
        return quote?.quantity ?? 1
    }
}

extension PrivacyMechanism {
    /// `names` as bits, one per mechanism; a name that is no mechanism sets the top bit, which
    /// no node's set has (a job requiring it is eligible nowhere, as with the sets themselves).
    public static func bits(_ names: Set<String>) -> UInt8 {
        var bits: UInt8 = 0
        for name in names {
            if let i = allCases.firstIndex(where: { $0.rawValue == name }) { bits |= 1 << UInt8(allCases.distance(from: allCases.startIndex, to: i)) } else { bits |= 0x80 }
        }
        return bits
    }
}
