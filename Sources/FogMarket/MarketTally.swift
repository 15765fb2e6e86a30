import FogModel
import Foundation

/// Supply and demand of CPU by device class, over the Ready nodes: what each class offers
/// (for phones, only their harvestable share, `status.harvest.allocatableCpu`) and what is
/// reserved on it (`status.reservations`). A tier's `MarketState` is the sum over its device
/// classes (every class when it names none).
///
/// Kept in fixed point (`FixedPoint`, 2⁻²⁰ CPU, about a millionth) so that a tally kept up to
/// date node change by node change (the controllers' node index) equals one summed afresh over
/// the same nodes (`fogctl quote`), in any order of changes. A share is clamped to ±10⁷ CPU
/// (so a million nodes cannot overflow).
public struct MarketTally: Sendable, Equatable {
    struct Sums: Sendable, Equatable {
        var allocatable: Int64 = 0
        var allocated: Int64 = 0
        var nodes = 0
    }
    private var byClass: [String: Sums] = [:]

    public init() {}

    /// The tally of `facts`.
    public init<S: Sequence>(_ facts: S) where S.Element == NodeFacts {
        for n in facts { add(n) }
    }

    static let cpu = FixedPoint(scale: Double(1 << 20), limit: 1e7)

    /// What `node` adds: nothing unless it is Ready.
    public mutating func add(_ node: NodeFacts) { count(node, sign: 1) }

    /// Takes back what `add(node)` added.
    public mutating func remove(_ node: NodeFacts) { count(node, sign: -1) }

    private mutating func count(_ n: NodeFacts, sign: Int64) {
        guard n.ready else { return }
        var s = byClass[n.deviceClass, default: Sums()]
        s.allocatable += sign * Self.cpu.units(n.deviceClass == "mobile" ? (n.harvestCpu ?? 0) : n.capacityCpu)
        s.allocated += sign * Self.cpu.units(n.reservedCpu)
        s.nodes += Int(sign)
        byClass[n.deviceClass] = s.nodes == 0 && s.allocatable == 0 && s.allocated == 0 ? nil : s
    }

    /// The market of a tier that accepts `deviceClasses` (empty: every class).
    public func market(deviceClasses: [String]) -> MarketState {
        var allocatable: Int64 = 0, allocated: Int64 = 0
        for (c, s) in byClass where deviceClasses.isEmpty || deviceClasses.contains(c) {
            allocatable += s.allocatable
            allocated += s.allocated
        }
        return MarketState(allocatedCpu: Self.cpu.value(allocated), allocatableCpu: Self.cpu.value(allocatable))
    }
}

extension MarketState {
    /// Demand and supply among the nodes a tier may use (see `MarketTally`).
    public init<S: Sequence>(facts: S, tier: TierTerms) where S.Element == NodeFacts {
        self = MarketTally(facts).market(deviceClasses: tier.deviceClasses)
    }
}
