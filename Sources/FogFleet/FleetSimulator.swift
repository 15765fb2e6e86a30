import FogModel
import Foundation

extension SplitMix64 {
    /// Uniform in [0, 1).
    public mutating func unit() -> Double { Double(next() >> 11) * 0x1.0p-53 }
    public mutating func uniform(_ range: ClosedRange<Double>) -> Double {
        range.lowerBound + unit() * (range.upperBound - range.lowerBound)
    }
    /// Exponentially distributed with the given mean.
    public mutating func exponential(mean: Double) -> Double { -mean * log1p(-unit()) }
}

/// How a simulated node behaves. The five peer profiles carry the seed's numbers
/// (GPU, tokens/s, uptime, latency range); `mobile` is a phone with a daily
/// charging routine.
public struct FleetProfile: Sendable, Equatable {
    public var name: String
    public var gpuModel: String?
    public var tokensPerSecond: Double
    /// Long-run share of time online.
    public var uptime: Double
    /// Round-trip latency range, milliseconds (uniform per sample).
    public var latencyMillis: ClosedRange<Double>
    /// Mean length of an outage, seconds; online spells follow from the uptime.
    public var meanOutageSeconds: Double
    /// Typical CPU utilisation, 0…1, and how far it wanders.
    public var baseLoad: Double
    public var loadJitter: Double
    public var mobile: Bool
    /// Ask price per hour the simulated node offers at.
    public var askPerHour: Double

    public static let highPerformance = FleetProfile(name: "HighPerformance", gpuModel: "RTX 4090", tokensPerSecond: 150, uptime: 0.98,
                                                     latencyMillis: 5...20, meanOutageSeconds: 600, baseLoad: 0.55, loadJitter: 0.15, mobile: false, askPerHour: 0.60)
    public static let lowLatency = FleetProfile(name: "LowLatency", gpuModel: "RTX 3080", tokensPerSecond: 80, uptime: 0.95,
                                                latencyMillis: 2...10, meanOutageSeconds: 600, baseLoad: 0.40, loadJitter: 0.15, mobile: false, askPerHour: 0.20)
    public static let unreliable = FleetProfile(name: "Unreliable", gpuModel: "GTX 1080", tokensPerSecond: 40, uptime: 0.75,
                                                latencyMillis: 50...200, meanOutageSeconds: 900, baseLoad: 0.50, loadJitter: 0.25, mobile: false, askPerHour: 0.10)
    public static let stable = FleetProfile(name: "Stable", gpuModel: "RTX 3070", tokensPerSecond: 90, uptime: 0.999,
                                            latencyMillis: 25...40, meanOutageSeconds: 300, baseLoad: 0.35, loadJitter: 0.05, mobile: false, askPerHour: 0.15)
    public static let loadBalanced = FleetProfile(name: "LoadBalanced", gpuModel: "RTX 4080", tokensPerSecond: 110, uptime: 0.96,
                                                  latencyMillis: 30...50, meanOutageSeconds: 600, baseLoad: 0.25, loadJitter: 0.10, mobile: false, askPerHour: 0.40)
    /// A phone: online whenever it has battery, on mobile networks, busy while its owner uses it by day.
    public static let mobile = FleetProfile(name: "Mobile", gpuModel: nil, tokensPerSecond: 12, uptime: 0.97,
                                            latencyMillis: 30...120, meanOutageSeconds: 300, baseLoad: 0.35, loadJitter: 0.30, mobile: true, askPerHour: 0.05)

    public static let all: [FleetProfile] = [.highPerformance, .lowLatency, .unreliable, .stable, .loadBalanced, .mobile]
    public static func named(_ name: String) -> FleetProfile? { all.first { $0.name.lowercased() == name.lowercased() } }
}

/// A phone's day: unplugged in the morning, plugged in at night. Times are
/// seconds after local midnight.
public struct ChargingRoutine: Sendable, Equatable {
    public var unplugAt: Double = 8 * 3600
    public var plugAt: Double = 22 * 3600
    /// Battery percent lost per hour in use and gained per hour on the charger.
    public var drainPerHour: Double = 6
    public var chargePerHour: Double = 30
    /// Temperatures (°C) the device settles towards: on battery, fast charging, trickle (above 90 %), idle on charger.
    public var batteryCelsius: Double = 35
    public var chargingCelsius: Double = 43
    public var trickleCelsius: Double = 33
    /// Thermal time constant, seconds.
    public var thermalTau: Double = 1200
    public init() {}

    public func plugged(atSecondOfDay s: Double) -> Bool { s < unplugAt || s >= plugAt }
    /// The owner uses the phone between unplugging and plugging in.
    public func inUse(atSecondOfDay s: Double) -> Bool { !plugged(atSecondOfDay: s) }
}

/// One simulated node's state.
public struct SimulatedNode: Sendable, Equatable {
    public var name: String
    public var profile: FleetProfile
    public var cpuCount: Int
    public var memoryBytes: Int64
    /// Hidden truth for the training milestone: sends poisoned updates.
    public var byzantine: Bool
    public var online: Bool
    /// When the node next goes offline or comes back (simulated seconds).
    public var nextToggle: Double
    public var utilization: Double
    /// When utilisation last exceeded the busy threshold.
    public var busyAt: Double
    public var rttAverage: Double?
    public var lastRTT: Double?
    // Phones only.
    public var routine: ChargingRoutine?
    public var batteryPercent: Double
    public var celsius: Double
    /// Node-specific offset of its daily routine, seconds.
    public var routineOffset: Double
}

/// The simulated fleet's model: deterministic given a seed, advanced in fixed
/// steps of simulated time; no I/O and no clock of its own (the driver in
/// FogAgent feeds it times and writes what it reports through the client).
public struct FleetModel: Sendable {
    public private(set) var nodes: [SimulatedNode] = []
    /// Where each node sits in `nodes`, by name (nodes are only ever appended).
    private var positions: [String: Int] = [:]
    public private(set) var now: Double
    /// Integration step, simulated seconds.
    public var step: Double = 10
    /// Utilisation above this counts as busy (idle time restarts).
    public var busyThreshold = 0.25
    /// Latency average weight of a new sample.
    public var latencyAlpha = 0.3
    /// Seconds east of UTC used for phones' daily routine.
    public var utcOffsetSeconds: Double = 0
    private var rng: SplitMix64

    public init(seed: UInt64, start: Double) {
        rng = SplitMix64(seed: seed)
        now = start
    }

    /// Adds a node. `byzantine` marks hidden misbehaviour for training; `jitterRoutine`
    /// spreads phones' routines by up to ±30 minutes (off for exact test scenarios).
    @discardableResult
    public mutating func add(name: String, profile: FleetProfile, cpuCount: Int = 8, memoryBytes: Int64 = 16 << 30,
                             byzantine: Bool = false, routine: ChargingRoutine? = nil, jitterRoutine: Bool = true,
                             startOnline: Bool? = nil) -> Int {
        let online = startOnline ?? (rng.unit() < profile.uptime)
        let upMean = profile.meanOutageSeconds * profile.uptime / max(1e-9, 1 - profile.uptime)
        let toggle = now + rng.exponential(mean: online ? upMean : profile.meanOutageSeconds)
        var r = routine
        if profile.mobile && r == nil { r = ChargingRoutine() }
        let offset = profile.mobile && jitterRoutine ? rng.uniform(-1800...1800) : 0
        var node = SimulatedNode(name: name, profile: profile, cpuCount: cpuCount, memoryBytes: memoryBytes, byzantine: byzantine,
                                 online: online, nextToggle: toggle, utilization: profile.baseLoad,
                                 busyAt: now - 3600, rttAverage: nil, lastRTT: nil, routine: r,
                                 batteryPercent: 100, celsius: r?.trickleCelsius ?? 40, routineOffset: offset)
        if let r {
            // Start the day consistent with the routine: full on the charger, or drained since unplugging.
            let s = secondOfDay(now, node)
            if !r.plugged(atSecondOfDay: s) {
                node.batteryPercent = max(5, 100 - r.drainPerHour * (s - r.unplugAt) / 3600)
                node.celsius = r.batteryCelsius
            }
            node.online = true
            node.nextToggle = .infinity
        }
        positions[node.name] = positions[node.name] ?? nodes.count
        nodes.append(node)
        return nodes.count - 1
    }

    func secondOfDay(_ t: Double, _ n: SimulatedNode) -> Double {
        let local = t + utcOffsetSeconds - n.routineOffset
        let r = local.truncatingRemainder(dividingBy: 86400)
        return r < 0 ? r + 86400 : r
    }

    /// Advances every node to simulated time `t` in steps of `step`.
    public mutating func advance(to t: Double) {
        while now < t {
            let dt = min(step, t - now)
            now += dt
            for i in nodes.indices {
                var n = nodes[i]
                evolve(&n, dt: dt)
                nodes[i] = n
            }
        }
    }

    private mutating func evolve(_ n: inout SimulatedNode, dt: Double) {
        let p = n.profile
        if let r = n.routine {
            let s = secondOfDay(now, n)
            let plugged = r.plugged(atSecondOfDay: s)
            let target: Double
            if plugged {
                n.batteryPercent = min(100, n.batteryPercent + r.chargePerHour * dt / 3600)
                target = n.batteryPercent < 90 ? r.chargingCelsius : r.trickleCelsius
            } else {
                n.batteryPercent = max(0, n.batteryPercent - r.drainPerHour * dt / 3600)
                target = r.batteryCelsius
            }
            n.celsius = target + (n.celsius - target) * exp(-dt / r.thermalTau)
            // Used by its owner by day (bursty), idle at night.
            if r.inUse(atSecondOfDay: s) {
                n.utilization = rng.unit() < 0.5 ? rng.uniform(0.3...0.9) : rng.uniform(0.02...0.2)
            } else {
                n.utilization = rng.uniform(0.01...0.08)
            }
            n.online = n.batteryPercent > 0
        } else {
            if now >= n.nextToggle {
                n.online.toggle()
                let upMean = p.meanOutageSeconds * p.uptime / max(1e-9, 1 - p.uptime)
                n.nextToggle = now + rng.exponential(mean: n.online ? upMean : p.meanOutageSeconds)
            }
            // Mean-reverting wander around the profile's load.
            let pull = (p.baseLoad - n.utilization) * min(1, dt / 300)
            n.utilization = min(1, max(0, n.utilization + pull + rng.uniform(-1...1) * p.loadJitter * min(1, dt / 60)))
        }
        if n.utilization > busyThreshold { n.busyAt = now }
    }

    /// Takes one latency sample for node `i` (what its agent would measure now).
    public mutating func sampleLatency(_ i: Int) -> Double {
        let sample = rng.uniform(nodes[i].profile.latencyMillis)
        nodes[i].lastRTT = sample
        nodes[i].rttAverage = nodes[i].rttAverage.map { latencyAlpha * sample + (1 - latencyAlpha) * $0 } ?? sample
        return sample
    }

    /// What node `i`'s agent reports now; nil while it is offline.
    public func telemetry(_ i: Int) -> NodeTelemetry? {
        let n = nodes[i]
        guard n.online else { return nil }
        var t = NodeTelemetry()
        t.cpu = .init(count: n.cpuCount, load1: n.utilization * Double(n.cpuCount), utilization: n.utilization)
        t.memory = .init(totalBytes: n.memoryBytes, availableBytes: Int64(Double(n.memoryBytes) * (1 - 0.6 * n.utilization)))
        t.rttMillis = n.lastRTT
        t.rttAverageMillis = n.rttAverage
        t.idleSeconds = max(0, now - n.busyAt)
        if let r = n.routine {
            let plugged = r.plugged(atSecondOfDay: secondOfDay(now, n))
            t.acOnline = plugged
            t.battery = .init(percent: (n.batteryPercent * 10).rounded() / 10,
                              status: plugged ? (n.batteryPercent >= 100 ? "Full" : "Charging") : "Discharging",
                              temperatureCelsius: (n.celsius * 10).rounded() / 10)
        } else {
            t.thermalZones = [.init(zone: "thermal_zone0", type: "x86_pkg_temp", celsius: ((45 + 30 * n.utilization) * 10).rounded() / 10)]
        }
        return t
    }

    /// The position of the (first) node called `name`: a lookup, not a search (at 100,000
    /// nodes a search per node made creating the fleet quadratic).
    public func index(of name: String) -> Int? { positions[name] }

    /// Fault injection: holds node `i` online or offline from now on, as a test or a
    /// chaos drill wants (its own outages stop).
    public mutating func force(_ i: Int, online: Bool) {
        nodes[i].online = online
        nodes[i].nextToggle = .infinity
    }

}
