import FogModel
import FogRuntime
import Foundation

/// `Ready` from the age of a node's last heartbeat (`status.lastHeartbeatTime`,
/// written by its agent or the simulated fleet): no heartbeat yet → Unknown;
/// older than the timeout → False; otherwise True, with a timer for when it
/// would go stale.
public struct NodeLifecycleController: Controller {
    public let name = "node-lifecycle"
    public let kind = "FogNode"
    public let heartbeatTimeout: Double

    public init(heartbeatTimeout: Double = 15) { self.heartbeatTimeout = heartbeatTimeout }

    public func reconcile(_ key: ObjectKey, _ ctx: ReconcileContext) async throws -> ReconcileResult {
        guard let node = ctx.cache.get(key), node.metadata.deletionTimestamp == nil else { return .done }
        let condition: Condition
        var requeue: Double?
        if let beat = node.status?["lastHeartbeatTime"]?.stringValue, let at = Timestamp.parse(beat) {
            let age = ctx.now.timeIntervalSince(at)
            if age > heartbeatTimeout {
                condition = Condition(type: "Ready", status: .false, reason: "HeartbeatTimeout",
                                      message: "last heartbeat \(Int(age))s ago (timeout \(Int(heartbeatTimeout))s)")
            } else {
                condition = Condition(type: "Ready", status: .true, reason: "HeartbeatFresh", message: "agent reporting")
                requeue = heartbeatTimeout - age + 0.001
            }
        } else {
            condition = Condition(type: "Ready", status: .unknown, reason: "NoHeartbeat",
                                  message: "no agent has reported for this node yet")
        }
        try await ctx.updateStatus(node, { _ in }, conditions: [condition])
        return requeue.map { .requeue(after: $0) } ?? .done
    }
}
