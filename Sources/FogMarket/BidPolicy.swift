import FogModel
import Foundation

/// How a node prices its bids: a typed policy (`FogNode.spec.bidding`) instead of a pricing
/// script. The price is the floor for the auction's unit, marked up linearly with the share of
/// the node's CPU already committed:
///
///     price = floor × (1 + markupAtFullUtilisation × committedCpu / cpu)
///
/// and the node does not bid when it is disabled, when it already holds `maxCommitments`
/// commitments (jobs reserved on it plus its bids still pending), or when the capacity the
/// auction asks for is not free. Pure: the agent and the simulated fleet call the same function.
public struct BidPolicy: Sendable, Equatable {
    public var enabled: Bool
    public var floorPerHour: Double
    public var floorPerRequest: Double
    public var markupAtFullUtilisation: Double
    public var maxCommitments: Int

    public init(enabled: Bool = true, floorPerHour: Double, floorPerRequest: Double? = nil,
                markupAtFullUtilisation: Double = 0.5, maxCommitments: Int = 4) {
        self.enabled = enabled
        self.floorPerHour = floorPerHour
        self.floorPerRequest = floorPerRequest ?? floorPerHour / 3600
        self.markupAtFullUtilisation = markupAtFullUtilisation
        self.maxCommitments = maxCommitments
    }

    /// The node's policy from its spec: `spec.bidding` with its floors defaulting to `spec.price`.
    public init(_ spec: FogNodeSpec) {
        let b = spec.bidding
        let hour = b?.floorPerHour ?? spec.price?.askPerHour ?? 0
        self.init(enabled: b?.enabled ?? true, floorPerHour: hour,
                  floorPerRequest: b?.floorPerRequest ?? spec.price?.askPerRequest ?? hour / 3600,
                  markupAtFullUtilisation: b?.markupAtFullUtilisation ?? 0.5, maxCommitments: b?.maxCommitments ?? 4)
    }

    /// What the node is asked to commit, and what it has committed already.
    public struct Situation: Sendable, Equatable {
        public var unit: String
        public var cpuWanted: Double
        public var memoryGiBWanted: Double
        public var capacityCpu: Double
        public var committedCpu: Double
        public var capacityMemoryGiB: Double
        public var committedMemoryGiB: Double
        /// Jobs reserved on the node plus its pending bids.
        public var commitments: Int

        public init(unit: String, cpuWanted: Double, memoryGiBWanted: Double, capacityCpu: Double, committedCpu: Double,
                    capacityMemoryGiB: Double, committedMemoryGiB: Double, commitments: Int) {
            self.unit = unit; self.cpuWanted = cpuWanted; self.memoryGiBWanted = memoryGiBWanted
            self.capacityCpu = capacityCpu; self.committedCpu = committedCpu
            self.capacityMemoryGiB = capacityMemoryGiB; self.committedMemoryGiB = committedMemoryGiB
            self.commitments = commitments
        }
    }

    /// Why the node does not bid.
    public enum Abstention: String, Sendable, Equatable {
        case disabled = "BiddingDisabled"
        case tooManyCommitments = "TooManyCommitments"
        case noCapacity = "NoCapacity"
    }

    /// The unit price to bid, or why not.
    public func bid(_ s: Situation) -> Result<Double, AbstentionError> {
        guard enabled else { return .failure(AbstentionError(.disabled)) }
        guard s.commitments < maxCommitments else { return .failure(AbstentionError(.tooManyCommitments)) }
        guard s.capacityCpu - s.committedCpu + 1e-9 >= s.cpuWanted,
              s.capacityMemoryGiB - s.committedMemoryGiB + 1e-9 >= s.memoryGiBWanted else {
            return .failure(AbstentionError(.noCapacity))
        }
        let utilisation = s.capacityCpu > 0 ? min(1, max(0, s.committedCpu / s.capacityCpu)) : 1
        let floor = s.unit == "request" ? floorPerRequest : floorPerHour
        return .success(floor * (1 + markupAtFullUtilisation * utilisation))
    }

    public struct AbstentionError: Error, Sendable, Equatable {
        public let reason: Abstention
        init(_ r: Abstention) { reason = r }
    }
}
