import FogModel
import Foundation

/// Why a node may or may not lend idle compute, as the `Harvestable` condition's reason: the
/// schema's `status.harvest.reason` (schemas/fognode.json), generated as `FogNodeStatus.Harvest.Reason`.
public typealias HarvestReason = FogNodeStatus.Harvest.Reason

public struct HarvestDecision: Sendable, Equatable {
    public var reason: HarvestReason
    public var message: String
    /// Share of the node's CPU that may be allocated, 0 when not eligible.
    public var cpuShare: Double
    public var eligible: Bool { reason == .eligible }
    public init(reason: HarvestReason, message: String, cpuShare: Double) {
        self.reason = reason; self.message = message; self.cpuShare = cpuShare
    }
}

/// A daily window in a time zone; an end at or before the start wraps past midnight.
public struct HarvestWindow: Sendable, Equatable {
    /// Minutes after midnight; `end` may be 1440 (24:00).
    public var start: Int
    public var end: Int
    /// Weekdays the window starts on (1 = Sunday … 7 = Saturday, as `Calendar`); empty means every day.
    public var days: Set<Int>

    public init(start: Int, end: Int, days: Set<Int> = []) {
        self.start = start; self.end = end; self.days = days
    }

    static let dayNames = ["Sun": 1, "Mon": 2, "Tue": 3, "Wed": 4, "Thu": 5, "Fri": 6, "Sat": 7]

    static func minutes(_ hhmm: String) -> Int? {
        let parts = hhmm.split(separator: ":")
        guard parts.count == 2, let h = Int(parts[0]), let m = Int(parts[1]), (0...24).contains(h), (0..<60).contains(m),
              h * 60 + m <= 1440 else { return nil }
        return h * 60 + m
    }

    /// Whether local `minute` of a day that is `weekday` (and whose previous day is `previousWeekday`) is inside.
    func contains(minute: Int, weekday: Int, previousWeekday: Int) -> Bool {
        let startsToday = days.isEmpty || days.contains(weekday)
        if start < end { return startsToday && minute >= start && minute < end }
        let startedYesterday = days.isEmpty || days.contains(previousWeekday)
        return (startsToday && minute >= start) || (startedYesterday && minute < end)
    }
}

/// A `HarvestPolicy`'s spec, checked: when a matched node may lend compute.
public struct HarvestRules: Sendable, Equatable {
    public var requireCharging: Bool
    public var minBatteryPercent: Double
    public var maxThermalCelsius: Double
    public var minIdleSeconds: Double
    public var maxCpuShare: Double
    public var windows: [HarvestWindow]
    public var timeZone: TimeZone

    public struct Invalid: Error, CustomStringConvertible, Sendable {
        public var description: String
        public init(description: String) { self.description = description }
    }

    /// Reads a policy spec (decoded with its schema's defaults, so values have the right
    /// types); throws for what the schema cannot check, such as an unknown time zone.
    public init(spec s: HarvestPolicySpec) throws {
        requireCharging = s.requireCharging
        minBatteryPercent = s.minBatteryPercent
        maxThermalCelsius = s.maxThermalCelsius
        minIdleSeconds = s.minIdleSeconds
        maxCpuShare = s.maxCpuShare
        guard let tz = TimeZone(identifier: s.timeZone) else {
            throw Invalid(description: "spec.timeZone: unknown time zone \"\(s.timeZone)\" (expected an IANA name such as Europe/Berlin)")
        }
        timeZone = tz
        windows = []
        for (i, w) in (s.windows ?? []).enumerated() {
            guard let start = HarvestWindow.minutes(w.start), let end = HarvestWindow.minutes(w.end) else {
                throw Invalid(description: "spec.windows[\(i)]: start and end must be HH:MM")
            }
            let days = Set((w.days ?? []).compactMap { HarvestWindow.dayNames[$0.rawValue] })
            windows.append(HarvestWindow(start: start, end: end, days: days))
        }
    }

    /// Whether `date` falls in one of the windows (always, without windows).
    public func inWindow(_ date: Date) -> Bool {
        guard !windows.isEmpty else { return true }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let c = calendar.dateComponents([.weekday, .hour, .minute], from: date)
        let weekday = c.weekday ?? 1
        let minute = (c.hour ?? 0) * 60 + (c.minute ?? 0)
        let previous = weekday == 1 ? 7 : weekday - 1
        return windows.contains { $0.contains(minute: minute, weekday: weekday, previousWeekday: previous) }
    }

    /// The decision for a node reporting `telemetry` at `date`. Checks, in order:
    /// telemetry present, time window, external power (when required), battery
    /// level, temperature, idleness. The allocatable share is the policy's
    /// maximum, never more than the CPU's idle share.
    public func evaluate(_ telemetry: NodeTelemetry?, at date: Date) -> HarvestDecision {
        func no(_ r: HarvestReason, _ m: String) -> HarvestDecision { HarvestDecision(reason: r, message: m, cpuShare: 0) }
        guard let t = telemetry else { return no(.noTelemetry, "the node has reported no telemetry") }
        guard inWindow(date) else { return no(.outsideWindow, "outside the policy's time windows (\(timeZone.identifier))") }
        let external = t.onExternalPower
        if requireCharging && external != true {
            return no(.onBattery, external == nil ? "power source unknown and the policy requires charging"
                                                  : "running on battery and the policy requires charging")
        }
        if let percent = t.battery?.percent, percent < minBatteryPercent {
            return no(.batteryLow, "battery at \(Self.format(percent)) % (minimum \(Self.format(minBatteryPercent)) %)")
        }
        if let hottest = t.maxCelsius, hottest > maxThermalCelsius {
            return no(.tooHot, "\(Self.format(hottest)) °C (maximum \(Self.format(maxThermalCelsius)) °C)")
        }
        guard let idle = t.idleSeconds, let utilization = t.cpu?.utilization else {
            return no(.noTelemetry, "no CPU utilisation reported yet, so idleness is unknown")
        }
        if idle < minIdleSeconds {
            return no(.busy, "idle for \(Int(idle))s (needs \(Int(minIdleSeconds))s), CPU \(Int((utilization * 100).rounded())) % busy")
        }
        let share = max(0, min(maxCpuShare, 1 - utilization))
        return HarvestDecision(reason: .eligible, message: "lending \(Int((share * 100).rounded())) % of the CPU", cpuShare: share)
    }

    static func format(_ v: Double) -> String {
        v == v.rounded() ? String(Int(v)) : String(format: "%.1f", v)
    }
}
