import FogModel

extension MarketState {
    /// Demand and supply among the nodes a tier may use: CPU reserved
    /// (`status.reservations`) versus CPU offered by the Ready ones (for phones,
    /// only their harvestable share, `status.harvest.allocatableCpu`).
    public init(nodes: [Resource], tier: TierTerms) {
        var allocated = 0.0, allocatable = 0.0
        for n in nodes where n.conditions[type: "Ready"]?.status == .true {
            let cls = n.spec?["class"]?.stringValue ?? ""
            guard tier.deviceClasses.isEmpty || tier.deviceClasses.contains(cls) else { continue }
            allocatable += cls == "mobile" ? (n.status?["harvest"]?["allocatableCpu"]?.numberValue ?? 0)
                                           : (n.spec?.value(at: "capacity.cpu")?.numberValue ?? 0)
            for (_, r) in n.status?["reservations"]?.objectValue ?? [:] { allocated += r["cpu"]?.numberValue ?? 0 }
        }
        self.init(allocatedCpu: allocated, allocatableCpu: allocatable)
    }
}
