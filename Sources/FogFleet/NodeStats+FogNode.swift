import FogModel

extension NodeStats {
    /// What the scorer knows about a `FogNode`: its spec (GPU, tokens/s, price,
    /// region, zone), its last telemetry (latency average, CPU load), its
    /// availability history and its trust.
    public init(spec: FogNodeSpec, telemetry: NodeTelemetry?, availability: Availability?, trust: Double) {
        self.init(latencyMillis: telemetry?.rttAverageMillis ?? telemetry?.rttMillis,
                  tokensPerSecond: spec.capacity.tokensPerSecond,
                  gpuModel: spec.capacity.gpu?.model,
                  // No gpu block: the node has none.
                  gpuCount: spec.capacity.gpu?.count ?? 0,
                  load: telemetry?.cpu?.utilization,
                  region: spec.region,
                  zone: spec.zone,
                  pricePerHour: spec.price?.askPerHour,
                  trust: trust)
        self = with(availability: availability)
    }

    /// These stats with the fields that come from an availability history replaced by `availability`'s.
    public func with(availability: Availability?) -> NodeStats {
        var s = self
        s.uptime = availability?.weightedUptime
        s.uptimeWindows = availability?.hourlyUptime ?? []
        s.disconnectionsPerDay = availability?.disconnectionsPerDay
        s.meanRecoverySeconds = availability?.meanRecoverySeconds
        s.ageSeconds = availability?.ageSeconds ?? 0
        return s
    }

    /// The same for `node` (whose spec is `spec`), with the availability history brought up to
    /// `now` (seconds since the epoch) from the node's current `Ready` condition, as ranking wants it.
    public init(node: Resource, spec: FogNodeSpec, now: Double) {
        let availability = Availability(json: node.status?["availability"])?.observed(now: now, ready: node.condition("Ready")?.status)
        self.init(spec: spec, telemetry: NodeTelemetry(json: node.status?["telemetry"]), availability: availability,
                  trust: TrustScore(outcomes: node.status?["taskOutcomes"]).value)
    }
}

extension Availability {
    /// This history brought up to `now` (seconds since the epoch) in the state a
    /// `Ready` condition gives; unchanged when the condition is missing or Unknown.
    public func observed(now: Double, ready: Condition.Status?) -> Availability {
        guard let ready, ready != .unknown else { return self }
        var a = self
        a.observe(now: now, ready: ready == .true)
        return a
    }
}

extension TrustScore {
    /// From `status.taskOutcomes` (`{succeeded, failed}`, counted by the controllers
    /// that run tasks on the node).
    public init(outcomes: JSONValue?) {
        self.init(successes: Int(max(0, outcomes?["succeeded"]?.intValue ?? 0)),
                  failures: Int(max(0, outcomes?["failed"]?.intValue ?? 0)))
    }
}

extension PeerScoring {
    /// `FogNode.status.scores`: the four components and the standard total, to one decimal.
    public static func statusScores(_ stats: NodeStats) -> FogNodeStatus.Scores {
        let s = score(stats, algorithm: .standard)
        func r(_ v: Double) -> Double { (v * 10).rounded() / 10 }
        return FogNodeStatus.Scores(latency: r(s.latency), performance: r(s.performance), reliability: r(s.reliability),
                                    standard: r(s.total), uptime: r(s.uptime))
    }
}
