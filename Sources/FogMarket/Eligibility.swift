import FogFleet
import FogModel
import Foundation

/// What a `FederatedJob` asks of each participant, read from its spec.
public struct JobView: Sendable {
    public var key: ObjectKey
    public var spec: JSONValue?
    public var type: String
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
    public var mode: String

    public init(_ job: Resource) {
        key = job.key
        let s = job.spec
        spec = s
        type = s?["type"]?.stringValue ?? "training"
        tier = s?["tier"]?.stringValue ?? ""
        privacy = s?["privacy"]?.stringValue ?? "low"
        cpu = s?.value(at: "placement.requirements.cpu")?.numberValue ?? 1
        memoryGiB = s?.value(at: "placement.requirements.memoryGiB")?.numberValue ?? 1
        gpu = s?.value(at: "placement.requirements.gpu")?.boolValue ?? false
        regions = Set((s?.value(at: "placement.regions")?.arrayValue ?? []).compactMap(\.stringValue))
        deviceClasses = Set((s?.value(at: "placement.deviceClasses")?.arrayValue ?? []).compactMap(\.stringValue))
        // Like a pod's nodeSelector: labels a node must carry.
        selector = LabelSelector(matchLabels: (s?.value(at: "placement.nodeSelector")?.objectValue ?? [:]).compactMapValues(\.stringValue))
        minTrust = s?.value(at: "placement.minTrust")?.numberValue ?? 0
        algorithm = s?.value(at: "placement.algorithm")?.stringValue.flatMap(ScoringAlgorithm.init(rawValue:)) ?? .standard
        minParticipants = Int(s?.value(at: "participants.min")?.intValue ?? 2)
        maxParticipants = max(minParticipants, Int(s?.value(at: "participants.max")?.intValue ?? Int64(minParticipants)))
        hierarchy = s?.value(at: "hierarchy.enabled")?.boolValue ?? false
        budget = s?.value(at: "budget.max")?.numberValue
        mode = s?.value(at: "allocation.mode")?.stringValue ?? "direct"
    }

    /// The key of this job's entry in a node's `status.reservations`.
    public var reservationKey: String { key.namespace + "/" + key.name }

    /// What one participant reserves on its node.
    public var reservation: JSONValue {
        ["cpu": .double(cpu), "memoryGiB": .double(memoryGiB), "gpu": .int(gpu ? 1 : 0)]
    }
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
        for (k, r) in node.reservations where k != job {
            reservedCpu += r.cpu
            reservedMemoryGiB += r.memoryGiB
            reservedGpus += r.gpus
        }
    }

    public init(_ node: Resource, excluding job: String? = nil) {
        self.init(NodeFacts(node), excluding: job)
    }

    public var freeCpu: Double { cpu - reservedCpu }
    public var freeMemoryGiB: Double { memoryGiB - reservedMemoryGiB }
    public var freeGpus: Int { gpus - reservedGpus }
}

/// Why a node cannot host a participant of a job (each is a test case).
public enum Exclusion: String, CaseIterable, Sendable {
    case notReady = "NotReady"
    case unschedulable = "Unschedulable"
    case noComputeRole = "NoComputeRole"
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
    public static func exclusion(_ node: NodeFacts, job: JobView, tier: TierTerms) -> Exclusion? {
        guard !node.deleting, node.ready else { return .notReady }
        if node.unschedulable { return .unschedulable }
        if !node.roles.contains("compute") { return .noComputeRole }
        let cls = node.deviceClass
        if !tier.deviceClasses.isEmpty && !tier.deviceClasses.contains(cls) { return .classNotAllowed }
        if !job.deviceClasses.isEmpty && !job.deviceClasses.contains(cls) { return .classNotAllowed }
        if cls == "mobile" && !node.harvestable { return .notHarvestable }
        if !job.regions.isEmpty && !job.regions.contains(node.region) { return .regionNotSelected }
        if !job.selector.matches(node.labels) { return .selectorMismatch }
        if node.trust < job.minTrust { return .trustBelowMinimum }
        let capacity = NodeCapacity(node, excluding: job.reservationKey)
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

    public static func exclusion(_ node: Resource, job: JobView, tier: TierTerms) -> Exclusion? {
        exclusion(NodeFacts(node), job: job, tier: tier)
    }

    /// What the job pays a participant on `node`: the node's ask for the job's
    /// estimated hours (training), or per request for its share of requests (inference;
    /// without `askPerRequest`, the hourly ask over 3,600 one-second requests).
    public static func price(_ node: NodeFacts, job: JobView, quote: Quote?) -> Double {
        if job.type == "inference" {
            let requests = quote?.quantity ?? job.spec?.value(at: "inference.requests")?.numberValue ?? 100
            let perRequest = node.askPerRequest ?? node.askPerHour / 3600
            return perRequest * (requests / Double(max(1, job.maxParticipants))).rounded(.up)
        }
        return node.askPerHour * (quote?.quantity ?? 1)
    }
}
