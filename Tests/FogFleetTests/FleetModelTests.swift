@testable import FogFleet
import FogManifest
import FogModel
import FogTesting
import Foundation
import Testing

extension HarvestRules {
    /// The rules of a policy spec written as JSON, read as the controllers read a stored one:
    /// decoded with the schema's defaults.
    fileprivate init(spec json: JSONValue) throws {
        try self.init(spec: SchemaSet.builtIn.spec(HarvestPolicySpec.self, from: json))
    }
}

/// A Monday 00:00:00 UTC, from the test epoch (FOG_TEST_EPOCH).
let mondayMidnight = TestEpoch.weekStart.timeIntervalSince1970

@Suite struct HarvestRulesTests {
    func phone(battery: Double, status: String, ac: Bool?, celsius: Double = 30, idle: Double = 600, utilization: Double = 0.05) -> NodeTelemetry {
        NodeTelemetry(cpu: .init(count: 8, utilization: utilization), acOnline: ac,
                      battery: .init(percent: battery, status: status, temperatureCelsius: celsius), idleSeconds: idle)
    }

    @Test func defaultsAndReasonsInCheckOrder() throws {
        var rules = try HarvestRules(spec: ["requireCharging": true, "minBatteryPercent": 40])
        #expect(rules.maxThermalCelsius == 40 && rules.minIdleSeconds == 180 && rules.maxCpuShare == 0.5)
        let at = Date(timeIntervalSince1970: mondayMidnight)
        #expect(rules.evaluate(nil, at: at).reason == .noTelemetry)
        #expect(rules.evaluate(phone(battery: 90, status: "Discharging", ac: false), at: at).reason == .onBattery)
        // Charging but low: battery first, even when also hot.
        #expect(rules.evaluate(phone(battery: 20, status: "Charging", ac: true, celsius: 44), at: at).reason == .batteryLow)
        #expect(rules.evaluate(phone(battery: 60, status: "Charging", ac: true, celsius: 44), at: at).reason == .tooHot)
        #expect(rules.evaluate(phone(battery: 60, status: "Charging", ac: true, idle: 100), at: at).reason == .busy)
        let ok = rules.evaluate(phone(battery: 60, status: "Charging", ac: true, utilization: 0.7), at: at)
        // Never more than the idle share of the CPU.
        #expect(ok.reason == .eligible && abs(ok.cpuShare - 0.3) < 1e-9)
        #expect(rules.evaluate(phone(battery: 60, status: "Full", ac: nil), at: at).cpuShare == 0.5)
        // Without requireCharging a phone on battery above the minimum lends compute.
        rules.requireCharging = false
        #expect(rules.evaluate(phone(battery: 90, status: "Discharging", ac: false), at: at).eligible)
        #expect(rules.evaluate(phone(battery: 35, status: "Discharging", ac: false), at: at).reason == .batteryLow)
        // Idleness unknown (no utilisation sample yet) is not invented.
        let noCPU = NodeTelemetry(acOnline: true, battery: .init(percent: 80, status: "Charging"))
        #expect(rules.evaluate(noCPU, at: at).reason == .noTelemetry)
    }

    @Test func desktopWithoutBatteryUsesThermalZones() throws {
        let rules = try HarvestRules(spec: ["maxThermalCelsius": 75])
        let cool = NodeTelemetry(cpu: .init(count: 16, utilization: 0.1), thermalZones: [.init(zone: "thermal_zone0", celsius: 55)], idleSeconds: 900)
        #expect(rules.evaluate(cool, at: Date(timeIntervalSince1970: mondayMidnight)).eligible)
        var hot = cool
        hot.thermalZones.append(.init(zone: "thermal_zone1", celsius: 80))
        #expect(rules.evaluate(hot, at: Date(timeIntervalSince1970: mondayMidnight)).reason == .tooHot)
        // Requiring charging of a host that reports no power supply at all: unknown is not "charging".
        let strict = try HarvestRules(spec: ["requireCharging": true])
        #expect(strict.evaluate(cool, at: Date(timeIntervalSince1970: mondayMidnight)).reason == .onBattery)
    }

    @Test func windowsWrapMidnightAndFollowTheTimeZone() throws {
        let rules = try HarvestRules(spec: ["windows": [["start": "22:00", "end": "07:00", "days": ["Mon", "Tue", "Wed", "Thu", "Fri"]],
                                                        ["start": "00:00", "end": "24:00", "days": ["Sat", "Sun"]]],
                                            "timeZone": "UTC"])
        func at(_ day: Double, _ h: Double, _ m: Double = 0) -> Date { Date(timeIntervalSince1970: mondayMidnight + day * 86400 + h * 3600 + m * 60) }
        #expect(!rules.inWindow(at(0, 6, 59)))        // Monday morning: Sunday's window is the weekend one, ended at 24:00
        #expect(!rules.inWindow(at(0, 21, 59)))
        #expect(rules.inWindow(at(0, 22, 0)))
        #expect(rules.inWindow(at(1, 6, 59)))          // Tuesday morning, Monday night's window
        #expect(!rules.inWindow(at(1, 7, 0)))
        #expect(rules.inWindow(at(5, 3, 0)))           // Saturday 03:00: Friday's window and Saturday's
        #expect(rules.inWindow(at(5, 12, 0)))          // Saturday noon
        #expect(!rules.inWindow(at(7, 12, 0)))         // next Monday noon
        // 22:00 in Berlin (UTC+1 in November) is 21:00 UTC.
        let berlin = try HarvestRules(spec: ["windows": [["start": "22:00", "end": "23:00"]], "timeZone": "Europe/Berlin"])
        #expect(berlin.inWindow(at(0, 21, 30)))
        #expect(!berlin.inWindow(at(0, 22, 30)))
        let t = NodeTelemetry(cpu: .init(count: 4, utilization: 0), idleSeconds: 1000)
        #expect(berlin.evaluate(t, at: at(0, 12)).reason == .outsideWindow)
        #expect(throws: HarvestRules.Invalid.self) { try HarvestRules(spec: ["timeZone": "Mars/Olympus"]) }
    }
}

@Suite struct AvailabilityTests {
    @Test func countersBucketsAndRecoveries() {
        var a = Availability(firstSeen: 0, ready: true)
        a.observe(now: 3600, ready: true)
        a.observe(now: 5400, ready: false)       // 1.5 h up, then a disconnection
        a.observe(now: 6000, ready: true)        // 600 s down
        a.observe(now: 7200, ready: true)
        #expect(a.readySeconds == 6600 && a.notReadySeconds == 600)
        #expect(a.disconnections == 1 && a.recoveries == 1 && a.meanRecoverySeconds == 600)
        #expect(a.buckets.count == 2)
        #expect(a.buckets[1].readySeconds == 3000 && a.buckets[1].observedSeconds == 3600)
        #expect(abs(a.lifetimeUptime! - 6600.0 / 7200) < 1e-12)
        #expect(a.hourlyUptime == [1, 3000.0 / 3600])
        // The window keeps 24 hours, so the history stays bounded.
        a.observe(now: 7200 + 30 * 3600, ready: true)
        #expect(a.buckets.count == 24)
        #expect(a.recentUptime == 1)
        // A round trip through status, where times are RFC 3339 and buckets start on the hour.
        #expect(Availability(json: a.json) == a)
        #expect(a.json["accountedUntil"] == "1970-01-02T08:00:00.000000Z" && a.json["firstSeen"] == "1970-01-01T00:00:00.000000Z")
        #expect(a.json["hourly"]?.arrayValue?.first?.arrayValue?.first == "1970-01-01T08:00:00Z")
        // A status written before, with seconds and hour numbers, reads the same.
        var earlier = a.json
        earlier["firstSeen"] = .double(a.firstSeen)
        earlier["accountedUntil"] = .double(a.accountedUntil)
        earlier["hourly"] = .array(a.buckets.map { .array([.int($0.hour), .double($0.readySeconds), .double($0.observedSeconds)]) })
        #expect(Availability(json: earlier) == a)
        // One blip in the first minutes is not 1,440 disconnections a day.
        var b = Availability(firstSeen: 0, ready: true)
        b.observe(now: 60, ready: false)
        #expect(b.disconnectionsPerDay == 24)
    }
}

@Suite struct FleetModelTests {
    func history(seed: UInt64) -> [String] {
        var m = FleetModel(seed: seed, start: mondayMidnight)
        for (i, p) in FleetProfile.all.enumerated() { m.add(name: "n\(i)", profile: p) }
        var out: [String] = []
        for step in 1...200 {
            m.advance(to: mondayMidnight + Double(step) * 300)
            for i in m.nodes.indices {
                _ = m.sampleLatency(i)
                out.append(m.telemetry(i).map { JSONCoding.encode($0.json) } ?? "offline")
            }
        }
        return out
    }

    @Test func sameSeedSameHistory() {
        let a = history(seed: 42)
        #expect(a == history(seed: 42))
        #expect(a != history(seed: 43))
    }

    @Test func profilesKeepTheirNumbersOverAWeek() {
        var m = FleetModel(seed: 7, start: mondayMidnight)
        m.step = 60
        for p in FleetProfile.all where !p.mobile {
            for k in 0..<20 { m.add(name: "\(p.name)-\(k)", profile: p) }
        }
        var online: [String: Int] = [:]
        var samples = 0
        for step in 1...(7 * 24 * 12) {   // a week in 5-minute looks
            m.advance(to: mondayMidnight + Double(step) * 300)
            samples += 1
            for n in m.nodes where n.online { online[n.profile.name, default: 0] += 1 }
        }
        for p in FleetProfile.all where !p.mobile {
            let observed = Double(online[p.name] ?? 0) / Double(samples * 20)
            // Within a few points of the seed's uptime (20 nodes, one week).
            #expect(abs(observed - p.uptime) < 0.05, "\(p.name): \(observed) vs \(p.uptime)")
        }
        for i in m.nodes.indices {
            let ms = m.sampleLatency(i)
            #expect(m.nodes[i].profile.latencyMillis.contains(ms))
        }
    }

    /// A phone's day under the quickstart's phones-while-charging policy: on the
    /// charger overnight, unplugged at 8:00, plugged in at 22:00 with a low battery,
    /// heating up while it charges fast, cooling once it trickles.
    @Test func phoneDayHarvestReasonsInOrder() throws {
        var m = FleetModel(seed: 3, start: mondayMidnight)
        m.step = 30
        let phone = m.add(name: "phone", profile: .mobile, cpuCount: 8, jitterRoutine: false)
        let rules = try HarvestRules(spec: ["requireCharging": true, "minBatteryPercent": 40, "maxThermalCelsius": 40, "minIdleSeconds": 180])
        var transitions: [(Double, HarvestReason)] = []
        for minute in 0...(25 * 60) {
            let t = mondayMidnight + Double(minute) * 60
            m.advance(to: t)
            let reason = rules.evaluate(m.telemetry(phone), at: Date(timeIntervalSince1970: t)).reason
            if transitions.last?.1 != reason { transitions.append(((t - mondayMidnight) / 3600, reason)) }
        }
        #expect(transitions.map(\.1) == [.eligible, .onBattery, .batteryLow, .tooHot, .eligible])
        let hours = transitions.map(\.0)
        #expect(hours[1] == 8 && hours[2] == 22)
        // 16 % at 22:00, +30 %/h: 40 % at 22:48; hot until the trickle phase cools it.
        #expect(abs(hours[3] - 22.8) < 0.05)
        #expect(hours[4] > 24 && hours[4] < 25)
    }
}
