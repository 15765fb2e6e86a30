import FogFleet
import FogModel
import FogRuntime
import Foundation

/// `Ready` from the age of a node's last heartbeat (`status.lastHeartbeatTime`,
/// written by its agent or the simulated fleet): no heartbeat yet → Unknown;
/// older than the timeout → False; otherwise True, with a timer for when it
/// would go stale. Keeps the node's availability history (`status.availability`:
/// counters and 24 hourly buckets), its peer scores (`status.scores`) and its
/// trust (`status.trust`), rewriting them at most once a `refreshInterval`
/// unless readiness changes.
public struct NodeLifecycleController: Controller {
    public let name = "node-lifecycle"
    public let kind = "FogNode"
    public let heartbeatTimeout: Double
    public let refreshInterval: Double

    public init(heartbeatTimeout: Double = 15, refreshInterval: Double = 60) {
        self.heartbeatTimeout = heartbeatTimeout
        self.refreshInterval = refreshInterval
    }

    public var conditionTypes: Set<String> { ["Ready"] }
    /// Each reconcile is one small status write, and most of its time is waiting for that
    /// write's commit: eight at a time let a cold start's 10,000 nodes share group commits
    /// (two made every node Ready twice as late: `fog-bench convergence`, docs/benchmarks.md).
    public var workers: Int { 8 }

    /// What this controller reads of a node: its spec, its heartbeats and its task outcomes (for
    /// trust). Other controllers' status fields (reservations, harvest) do not concern it, and
    /// its own timers cover the periodic refresh.
    public var sources: [WatchSource] {
        Watches.for("FogNode", when: [.generationChanged, .lifecycleChanged, .changed("status.lastHeartbeatTime"), .changed("status.taskOutcomes")]).sources
    }

    public func reconcile(_ key: ObjectKey, _ ctx: ReconcileContext) async throws -> ReconcileResult {
        guard let node = ctx.cache.get(key), node.metadata.deletionTimestamp == nil else { return .done }
        let now = ctx.now
        let condition: Condition
        var requeue: Double?
        if let beat = node.status?["lastHeartbeatTime"]?.stringValue, let at = Timestamp.parse(beat) {
            let age = now.timeIntervalSince(at)
            if age > heartbeatTimeout {
                condition = Condition(type: "Ready", status: .false, reason: "HeartbeatTimeout",
                                      message: "last heartbeat \(Int(age))s ago (timeout \(Int(heartbeatTimeout))s)")
            } else {
                condition = Condition(type: "Ready", status: .true, reason: "HeartbeatFresh", message: "agent reporting")
                requeue = heartbeatTimeout - max(0, age) + 0.001
            }
        } else {
            condition = Condition(type: "Ready", status: .unknown, reason: "NoHeartbeat",
                                  message: "no agent has reported for this node yet")
        }
        let previous = node.condition("Ready")?.status
        let t = now.timeIntervalSince1970
        let stored = Availability(json: node.status?["availability"])
        var availability = stored
        var refresh = false
        if condition.status != .unknown {
            let ready = condition.status == .true
            if var a = availability {
                let due = t - a.accountedUntil >= refreshInterval
                let flipped = a.ready != ready
                a.observe(now: t, ready: ready)
                availability = a
                refresh = due || flipped
            } else if ready {
                availability = Availability(firstSeen: t, ready: true)
                refresh = true
            }
        }
        if node.status?["scores"] == nil && availability != nil { refresh = true }
        let trust = TrustScore(outcomes: node.status?["taskOutcomes"])
        // The spec is read only for the scores, when they are refreshed.
        let spec = refresh ? try node.reconciledSpec(FogNodeSpec.self) : nil
        try await ctx.updateStatus(node, as: FogNodeStatus.self, fields: [\.availability, \.scores, \.trust], { s in
            if refresh, let a = availability, let spec {
                s.availability = a.status
                let stats = NodeStats(spec: spec, telemetry: NodeTelemetry(json: node.status?["telemetry"]), availability: a, trust: trust.value)
                s.scores = PeerScoring.statusScores(stats)
            }
            s.trust = (trust.value * 10000).rounded() / 10000
        }, conditions: [condition])
        if previous != nil, previous != condition.status {
            if condition.status == .false {
                await ctx.events.record(node, .warning, reason: "NodeNotReady", message: condition.message)
            } else if condition.status == .true, previous == .false {
                let down = stored?.downSince.map { " after \(Int(t - $0))s down" } ?? ""
                await ctx.events.record(node, .normal, reason: "NodeReady", message: "heartbeats resumed\(down)")
            }
        }
        if let r = requeue, availability != nil { requeue = min(r, refreshInterval) }
        return requeue.map { .requeue(after: $0) } ?? .done
    }
}
