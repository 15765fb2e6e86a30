import FogFleet
import FogModel
import FogTesting
import Foundation
import Testing
@testable import FogAgent

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Host trees under `Fixtures/`, one directory per host, laid out like `/`.
private let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

func fixture(_ name: String) -> String { fixtures.appendingPathComponent(name).path }

private func read(_ name: String, now: Double = 0) -> NodeTelemetry {
    var reader = HostTelemetryReader(root: fixture(name))
    return reader.read(now: now)
}

private let kiB: Int64 = 1024

/// A writable host tree in the temporary directory, optionally a fixture's copy.
private struct ScratchHost: ~Copyable {
    let root: URL

    init(copying name: String? = nil) throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("fog-telemetry-\(UUID().uuidString)")
        if let name {
            try FileManager.default.copyItem(at: fixtures.appendingPathComponent(name), to: root)
        } else {
            try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        }
    }

    var path: String { root.path }

    func write(_ relative: String, _ text: String) throws {
        try write(relative, Data(text.utf8))
    }

    func write(_ relative: String, _ data: Data) throws {
        let url = root.appendingPathComponent(relative)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try data.write(to: url)
    }

    deinit { try? FileManager.default.removeItem(at: root) }
}

/// Cumulative `/proc/stat` counters of a two-CPU host, advanced a step at a time.
private struct StatCounters {
    var user: UInt64 = 10_000
    var system: UInt64 = 2_000
    var idle: UInt64 = 50_000
    var iowait: UInt64 = 500

    /// Adds `busy` jiffies of user time and `idle` of idle time.
    mutating func advance(busy: UInt64, idle: UInt64) {
        user += busy
        self.idle += idle
    }

    var text: String {
        """
        cpu  \(user) 0 \(system) \(idle) \(iowait) 0 0 0 0 0
        cpu0 \(user / 2) 0 \(system / 2) \(idle / 2) \(iowait / 2) 0 0 0 0 0
        cpu1 \(user - user / 2) 0 \(system - system / 2) \(idle - idle / 2) \(iowait - iowait / 2) 0 0 0 0 0
        intr 12345 0 0
        ctxt 67890

        """
    }
}

@Suite struct HostFixtureTests {
    @Test func laptopOnBattery() {
        let t = read("laptop-on-battery")
        #expect(t == NodeTelemetry(
            cpu: .init(count: 4, load1: 0.52, load5: 0.61, load15: 0.70),
            memory: .init(totalBytes: 16_318_480 * kiB, availableBytes: 9_876_544 * kiB),
            acOnline: false,
            battery: .init(percent: 57, status: "Discharging"),
            thermalZones: [
                .init(zone: "thermal_zone0", type: "acpitz", celsius: 45),
                .init(zone: "thermal_zone1", type: "x86_pkg_temp", celsius: 52.5),
            ]))
        #expect(t.onExternalPower == false)
        #expect(t.battery?.charging == false)
        #expect(t.maxCelsius == 52.5)
    }

    @Test func phoneCharging() {
        let t = read("phone-charging")
        #expect(t == NodeTelemetry(
            cpu: .init(count: 8, load1: 3.10, load5: 2.85, load15: 2.40),
            memory: .init(totalBytes: 7_645_232 * kiB, availableBytes: 2_811_904 * kiB),
            acOnline: true,
            battery: .init(percent: 80, status: "Charging", temperatureCelsius: 34.5),
            thermalZones: [
                .init(zone: "thermal_zone0", type: "cpu-0-0-usr", celsius: 41.2),
                .init(zone: "thermal_zone2", type: "gpuss-0-usr", celsius: 39.8),
                .init(zone: "thermal_zone10", type: "battery", celsius: 34.5),
            ]))
        #expect(t.onExternalPower == true)
        #expect(t.maxCelsius == 41.2)
    }

    @Test func desktopWithoutBattery() {
        let t = read("desktop-no-battery")
        #expect(t == NodeTelemetry(
            cpu: .init(count: 8, load1: 1.05, load5: 0.98, load15: 0.91),
            memory: .init(totalBytes: 65_765_432 * kiB, availableBytes: 58_123_456 * kiB),
            thermalZones: [.init(zone: "thermal_zone0", type: "x86_pkg_temp", celsius: 38)]))
        #expect(t.onExternalPower == nil)
        #expect(t.json["power"] == nil)
    }

    @Test func hotDevice() {
        let t = read("hot-device")
        #expect(t == NodeTelemetry(
            cpu: .init(count: 4, load1: 3.98, load5: 3.91, load15: 3.77),
            memory: .init(totalBytes: 3_884_028 * kiB, availableBytes: 402_112 * kiB),
            thermalZones: [.init(zone: "thermal_zone0", type: "cpu-thermal", celsius: 78)]))
        #expect(t.maxCelsius == 78)
        #expect(t.json["thermal"]?["maxCelsius"] == .double(78))
    }

    @Test func missingFilesLeaveOnlyTheLoadAverages() {
        var reader = HostTelemetryReader(root: fixture("missing-files"))
        for now in [0.0, 10, 20] {
            let t = reader.read(now: now)
            #expect(t == NodeTelemetry(cpu: .init(load1: 0, load5: 0.01, load15: 0.05)))
            #expect(t.json == ["cpu": ["load1": 0.0, "load5": 0.01, "load15": 0.05]])
        }
    }

    @Test func malformedValuesAreAbsent() {
        var reader = HostTelemetryReader(root: fixture("malformed"))
        for now in [0.0, 10] {
            let t = reader.read(now: now)
            // cpu0 and cpu1 count; `cpufreq` and a bare `cpu` do not; the aggregate line is garbage.
            #expect(t.cpu == .init(count: 2, load1: 0.10))
            #expect(t.memory == nil)
            // AC's `online` reads "yes"; the `mystery` supply has no type.
            #expect(t.acOnline == nil)
            // Capacity 157 % and temperature "hot" are dropped; the status stays.
            #expect(t.battery == .init(status: "Discharging"))
            // −273.2 °C, "N/A", no temp file, 999.999 °C, an integer overflow and
            // a zone directory not named by number are left out; 0 °C is kept.
            #expect(t.thermalZones == [
                .init(zone: "thermal_zone3", type: "cold-outdoor-sensor", celsius: 0),
                .init(zone: "thermal_zone6", celsius: 36.6),
            ])
            #expect(t.idleSeconds == nil)
        }
    }

    @Test func deviceScopeSuppliesAreIgnored() {
        // A wireless mouse's battery and a graphics card's USB-C port only.
        let t = read("desktop-wireless-mouse")
        #expect(t.acOnline == nil)
        #expect(t.battery == nil)
        #expect(t.json == ["cpu": ["load1": 0.2, "load5": 0.15, "load15": 0.1]])
    }

    @Test func emptyBatteryBayIsSkippedAndProgrammableSupplyIsOnline() {
        let t = read("laptop-docked")
        #expect(t.acOnline == true)
        #expect(t.battery == .init(percent: 100, status: "Full", temperatureCelsius: 30.1))
        #expect(t.onExternalPower == true)
    }

    @Test func jsonHasNoKeysForAbsentReadings() {
        let t = read("laptop-on-battery")
        #expect(t.json == [
            "cpu": ["count": 4, "load1": 0.52, "load5": 0.61, "load15": 0.70],
            "memory": ["totalBytes": .int(16_318_480 * kiB), "availableBytes": .int(9_876_544 * kiB)],
            "power": ["acOnline": false, "battery": ["percent": 57.0, "status": "Discharging", "charging": false]],
            "thermal": [
                "maxCelsius": 52.5,
                "zones": [
                    ["zone": "thermal_zone0", "type": "acpitz", "celsius": 45.0],
                    ["zone": "thermal_zone1", "type": "x86_pkg_temp", "celsius": 52.5],
                ],
            ],
        ])
    }

    @Test(arguments: ["laptop-on-battery", "phone-charging", "desktop-no-battery", "hot-device",
                      "missing-files", "malformed", "desktop-wireless-mouse", "laptop-docked"])
    func telemetryRoundTripsThroughStatusJSON(_ name: String) {
        let t = read(name)
        #expect(NodeTelemetry(json: t.json) == t)
    }
}

@Suite struct CPUUtilizationTests {
    @Test func utilizationNeedsTwoSamples() throws {
        let host = try ScratchHost(copying: "laptop-on-battery")
        var reader = HostTelemetryReader(root: host.path)
        let first = reader.read(now: 100)
        #expect(first.cpu?.utilization == nil)
        #expect(first.idleSeconds == nil)
        #expect(first.json["cpu"]?["utilization"] == nil)

        // The fixture's aggregate line plus 750 busy jiffies (user, system, irq,
        // softirq, steal) and 250 idle/iowait ones: 0.75 busy.
        try host.write("proc/stat", """
            cpu  1339864 2150 403131 18021744 23154 100 8491 50 7 0
            cpu0 339011 540 101327 4501273 5921 0 4877 0 0 0
            cpu1 333102 523 100711 4507012 5633 0 1203 0 0 0
            cpu2 334521 551 100468 4506944 5801 0 1150 0 0 0
            cpu3 332930 536 100425 4506315 5749 0 1161 0 0 0
            intr 48213370

            """)
        let second = reader.read(now: 105)
        #expect(second.cpu?.utilization == 0.75)
        #expect(second.cpu?.count == 4)
        #expect(second.idleSeconds == 0)
        #expect(second.json["cpu"]?["utilization"] == .double(0.75))
        #expect(second.json["idleSeconds"] == .double(0))
    }

    @Test func idleSecondsFollowTheBusyThreshold() throws {
        let host = try ScratchHost()
        var stat = StatCounters()
        var reader = HostTelemetryReader(root: host.path)
        func step(_ now: Double) throws -> NodeTelemetry {
            try host.write("proc/stat", stat.text)
            return reader.read(now: now)
        }

        var t = try step(0)
        #expect(t.cpu?.utilization == nil && t.idleSeconds == nil)

        // A quiet interval: idle since the first sample.
        stat.advance(busy: 100, idle: 900)
        t = try step(10)
        #expect(t.cpu?.utilization == 0.1)
        #expect(t.idleSeconds == 10)

        // Exactly at the threshold still counts as idle.
        stat.advance(busy: 250, idle: 750)
        t = try step(20)
        #expect(t.cpu?.utilization == 0.25)
        #expect(t.idleSeconds == 20)

        // Busy up to now.
        stat.advance(busy: 900, idle: 100)
        t = try step(30)
        #expect(t.cpu?.utilization == 0.9)
        #expect(t.idleSeconds == 0)

        // Quiet again: idle since the end of the busy interval.
        stat.advance(busy: 0, idle: 1000)
        t = try step(35)
        #expect(t.cpu?.utilization == 0)
        #expect(t.idleSeconds == 5)

        // No jiffies elapsed: nothing new to say, and the base sample stays.
        t = try step(40)
        #expect(t.cpu?.utilization == nil && t.idleSeconds == nil)
        #expect(t.cpu?.count == 2)

        stat.advance(busy: 50, idle: 950)
        t = try step(50)
        #expect(t.cpu?.utilization == 0.05)
        #expect(t.idleSeconds == 20)

        // The counters restart (another boot behind the same root): a new base,
        // and idle time is counted afresh from it.
        stat = StatCounters(user: 10, system: 5, idle: 100, iowait: 0)
        t = try step(60)
        #expect(t.cpu?.utilization == nil && t.idleSeconds == nil)
        t = try step(65)
        #expect(t.cpu?.utilization == nil && t.idleSeconds == nil)
        stat.advance(busy: 10, idle: 990)
        t = try step(70)
        #expect(t.cpu?.utilization == 0.01)
        #expect(t.idleSeconds == 10)

        // An unreadable /proc/stat says nothing, and keeps the base.
        try FileManager.default.removeItem(at: host.root.appendingPathComponent("proc/stat"))
        t = reader.read(now: 75)
        #expect(t.cpu == nil && t.idleSeconds == nil)
        stat.advance(busy: 0, idle: 1000)
        t = try step(80)
        #expect(t.cpu?.utilization == 0)
        #expect(t.idleSeconds == 20)
    }

    @Test func busyThresholdIsConfigurable() throws {
        let host = try ScratchHost()
        var stat = StatCounters()
        var strict = HostTelemetryReader(root: host.path, busyThreshold: 0.05)
        var lenient = HostTelemetryReader(root: host.path, busyThreshold: 0.5)
        try host.write("proc/stat", stat.text)
        _ = strict.read(now: 0)
        _ = lenient.read(now: 0)
        stat.advance(busy: 100, idle: 900)
        try host.write("proc/stat", stat.text)
        #expect(strict.read(now: 30).idleSeconds == 0)
        #expect(lenient.read(now: 30).idleSeconds == 30)
    }

    @Test func idleAndIowaitSteppingBackCapsUtilizationAtOne() throws {
        let host = try ScratchHost()
        var reader = HostTelemetryReader(root: host.path)
        try host.write("proc/stat", "cpu  100 0 0 1000 500 0 0 0\ncpu0 100 0 0 1000 500 0 0 0\n")
        _ = reader.read(now: 0)
        // Busy rises by 50 while iowait falls by 40 and idle rises by 10: the
        // counters claim 20 jiffies passed, with 50 busy in them. Capped, not 2.5.
        try host.write("proc/stat", "cpu  150 0 0 1010 460 0 0 0\ncpu0 150 0 0 1010 460 0 0 0\n")
        let t = reader.read(now: 1)
        #expect(t.cpu?.utilization == 1)
    }

    @Test func statParsing() {
        // Old kernels print only user nice system idle.
        var p = HostTelemetryReader.parseStat("cpu 10 0 5 85\ncpu0 10 0 5 85\n")
        #expect(p.count == 1)
        #expect(p.times == .init(busy: 15, total: 100))
        // guest and guest_nice are inside user and nice: not counted twice.
        p = HostTelemetryReader.parseStat("cpu 10 1 5 80 2 1 1 0 7 1\n")
        #expect(p.count == nil)
        #expect(p.times == .init(busy: 18, total: 100))
        // Too few fields, negative or overflowing counters.
        #expect(HostTelemetryReader.parseStat("cpu 1 2 3\n").times == nil)
        #expect(HostTelemetryReader.parseStat("cpu -1 2 3 4\n").times == nil)
        #expect(HostTelemetryReader.parseStat("cpu 18446744073709551615 1 0 0\n").times == nil)
        #expect(HostTelemetryReader.parseStat("cpu 18446744073709551616 0 0 0\n").times == nil)
        // A cut-off file: the CPU lines are trusted only when a later line was read whole.
        #expect(HostTelemetryReader.parseStat("cpu 1 2 3 4\ncpu0 1 2 3 4\n", truncated: true).count == nil)
        #expect(HostTelemetryReader.parseStat("cpu 1 2 3 4\ncpu0 1 2 3 4\nintr 5\n", truncated: true).count == 1)
        #expect(HostTelemetryReader.parseStat("").count == nil)
    }
}

@Suite struct ParsingTests {
    @Test func loadavgFields() {
        #expect(HostTelemetryReader.parseLoadavg("0.52 0.61 0.70 2/612 48211\n") == (0.52, 0.61, 0.70))
        #expect(HostTelemetryReader.parseLoadavg("1.5\n") == (1.5, nil, nil))
        #expect(HostTelemetryReader.parseLoadavg("inf -1 nan") == (nil, nil, nil))
        #expect(HostTelemetryReader.parseLoadavg("") == (nil, nil, nil))
    }

    @Test func meminfoUnitsAndGaps() {
        // Before Linux 3.14 there is no MemAvailable; it is not estimated.
        #expect(HostTelemetryReader.parseMeminfo("MemTotal: 1000 kB\nMemFree: 500 kB\nCached: 100 kB\n")
            == .init(totalBytes: 1_024_000))
        // Only kB is understood; the first of a repeated key wins.
        #expect(HostTelemetryReader.parseMeminfo("MemTotal: 1000\nMemAvailable: 10 MB\n") == .init())
        #expect(HostTelemetryReader.parseMeminfo("MemTotal: 2 kB\nMemTotal: 3 kB\nMemAvailable:1 kB")
            == .init(totalBytes: 2048, availableBytes: 1024))
        // Overflowing byte counts are absent.
        #expect(HostTelemetryReader.parseMeminfo("MemTotal: 9007199254740993 kB\n") == .init())
    }

    @Test func batteryStatusWords() {
        #expect(HostTelemetryReader.batteryStatus("Not charging") == "Not charging")
        #expect(HostTelemetryReader.batteryStatus("Full") == "Full")
        #expect(HostTelemetryReader.batteryStatus("\u{1}\u{2}") == nil)
        #expect(HostTelemetryReader.batteryStatus(String(repeating: "x", count: 100)) == nil)
    }

    @Test func plausibleTemperatureBounds() {
        #expect(HostTelemetryReader.celsius(-50) == -50)
        #expect(HostTelemetryReader.celsius(200) == 200)
        #expect(HostTelemetryReader.celsius(0) == 0)
        #expect(HostTelemetryReader.celsius(-50.1) == nil)
        #expect(HostTelemetryReader.celsius(-273.2) == nil)
        #expect(HostTelemetryReader.celsius(200.1) == nil)
    }
}

@Suite struct HostileFileTests {
    @Test func hugeFilesAreBoundedAndAbsent() throws {
        let host = try ScratchHost(copying: "hot-device")
        let digits = Data(repeating: UInt8(ascii: "7"), count: 3 * 1024 * 1024)
        try host.write("proc/loadavg", digits)
        try host.write("sys/class/thermal/thermal_zone0/temp", digits)
        try host.write("sys/class/thermal/thermal_zone0/type", digits)
        // MemTotal comes first; a huge later line is cut off and ignored.
        try host.write("proc/meminfo", Data("MemTotal: 4 kB\nJunk: ".utf8) + digits)
        var reader = HostTelemetryReader(root: host.path)
        let t = reader.read(now: 0)
        #expect(t.cpu == .init(count: 4))
        #expect(t.memory == .init(totalBytes: 4096))
        #expect(t.thermalZones.isEmpty)
    }

    @Test func statTooLongToHoldEveryCPULineHasNoCount() throws {
        let host = try ScratchHost()
        var text = "cpu  10 0 5 85 0 0 0 0 0 0\n"
        for i in 0..<40_000 { text += "cpu\(i) 10 0 5 85 0 0 0 0 0 0\n" }
        text += "intr 1\n"
        try host.write("proc/stat", text)
        var reader = HostTelemetryReader(root: host.path)
        let t = reader.read(now: 0)
        #expect(t.cpu?.count == nil)
        #expect(reader.read(now: 1).cpu?.utilization == nil)
    }

    @Test func binaryGarbageIsAbsent() throws {
        let host = try ScratchHost()
        var junk = Data((0..<4096).map { UInt8(truncatingIfNeeded: $0 &* 37) })
        junk.append(contentsOf: [0xFF, 0xFE, 0x00, 0xC3])
        for file in ["proc/stat", "proc/loadavg", "proc/meminfo",
                     "sys/class/power_supply/BAT0/type", "sys/class/power_supply/BAT0/capacity",
                     "sys/class/thermal/thermal_zone0/temp"] {
            try host.write(file, junk)
        }
        var reader = HostTelemetryReader(root: host.path)
        #expect(reader.read(now: 0) == NodeTelemetry())
        #expect(reader.read(now: 1).json == .object([:]))
    }

    @Test func directoriesAndFIFOsInPlaceOfFilesAreAbsent() throws {
        let host = try ScratchHost(copying: "desktop-no-battery")
        try FileManager.default.removeItem(at: host.root.appendingPathComponent("proc/meminfo"))
        try FileManager.default.createDirectory(at: host.root.appendingPathComponent("proc/meminfo"),
                                                withIntermediateDirectories: false)
        let loadavg = host.root.appendingPathComponent("proc/loadavg")
        try FileManager.default.removeItem(at: loadavg)
        #expect(mkfifo(loadavg.path, 0o600) == 0)
        var reader = HostTelemetryReader(root: host.path)
        let t = reader.read(now: 0)
        #expect(t.cpu == .init(count: 8))
        #expect(t.memory == nil)
        #expect(t.thermalZones.count == 1)
    }

    @Test func rootMayEndInASlash() {
        var reader = HostTelemetryReader(root: fixture("hot-device") + "/")
        #expect(reader.read(now: 0) == read("hot-device"))
    }
}

@Suite struct RealHostTests {
    /// Every Linux host has /proc: its CPU, load and memory readings must be there. Batteries and
    /// thermal zones are optional hardware (a VM or CI runner has neither), checked when present.
    @Test(.enabled(if: FileManager.default.fileExists(atPath: "/proc/stat") && FileManager.default.fileExists(atPath: "/proc/meminfo"),
                   "needs a Linux host with /proc"))
    func readingThisHostGivesPlausibleValues() async throws {
        var reader = HostTelemetryReader()
        _ = reader.read(now: 0)
        try await Task.sleep(for: .milliseconds(50))
        let t = reader.read(now: 0.05)
        let cpu = try #require(t.cpu)
        #expect(try #require(cpu.count) >= 1)
        let loads = [cpu.load1, cpu.load5, cpu.load15].compactMap { $0 }
        #expect(loads.count == 3 && loads.allSatisfy { $0 >= 0 })
        let utilization = try #require(cpu.utilization)
        #expect((0...1).contains(utilization))
        let memory = try #require(t.memory)
        let total = try #require(memory.totalBytes)
        let available = try #require(memory.availableBytes)
        #expect(total > 0 && available >= 0 && available <= total)
        if let percent = t.battery?.percent { #expect((0...100).contains(percent)) }
        for zone in t.thermalZones { #expect(HostTelemetryReader.plausibleCelsius.contains(zone.celsius)) }
        if let idle = t.idleSeconds { #expect(idle >= 0 && idle <= 0.05) }
        #expect(NodeTelemetry(json: t.json) == t)
    }
}
