import FogModel
import FogRuntime

extension ControllerFamily {
    /// Idle-compute harvesting: which nodes a HarvestPolicy may use now, and what it harvested.
    public static let harvest = ControllerFamily(
        name: "harvest",
        kinds: ["HarvestPolicy"],
        access: [.readsAll(.tenant, "HarvestPolicy"), .readsAll(.agent, "HarvestPolicy")],
        readiness: ["HarvestPolicy": .readyCondition],
        controllers: { _ in [HarvestController(), HarvestPolicyController()] })
}
