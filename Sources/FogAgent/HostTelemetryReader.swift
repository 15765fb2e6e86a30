import FogFleet
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads what a Linux host tells about itself from procfs and sysfs and fills
/// a ``NodeTelemetry`` for the node's heartbeat.
///
/// Files are read under ``root`` (`/` on a real host, a fixture tree in tests):
///
/// | reading | file | unit |
/// | --- | --- | --- |
/// | CPU count, utilisation | `proc/stat` (`cpuN` lines, aggregate `cpu` line) | count, share 0…1 |
/// | load averages | `proc/loadavg` | run-queue length |
/// | memory | `proc/meminfo` (`MemTotal`, `MemAvailable`) | kB in the file, bytes out |
/// | AC, battery | `sys/class/power_supply/*/` (`type`, `scope`, `present`, `online`, `status`, `capacity`, `temp`) | %, tenths of °C in the file, °C out |
/// | thermal zones | `sys/class/thermal/thermal_zoneN/` (`temp`, `type`) | m°C in the file, °C out |
///
/// A reading the host does not expose, or exposes malformed, is absent: the
/// reader never invents a value and never traps on what it reads (every file
/// read is bounded). `rttMillis` is not a host reading and is left to the caller.
///
/// Utilisation needs two samples of `/proc/stat`, so the reader keeps the
/// previous one: the first ``read(now:)`` has no utilisation and no idle time.
/// The reader is a value; keep one per host and call ``read(now:)`` on it every
/// few seconds from one place (an agent loop or an actor).
///
/// ```swift
/// var reader = HostTelemetryReader()
/// _ = reader.read(now: 0)                 // primes the CPU sample
/// // … a heartbeat later (seconds on the agent's own clock):
/// let telemetry = reader.read(now: 5)
/// let status: JSONValue = ["telemetry": telemetry.json]
/// ```
public struct HostTelemetryReader: Sendable {
    /// The directory that stands for `/`: `proc/…` and `sys/…` are read below it.
    public let root: String
    /// Utilisation (0…1) above which the host counts as busy; at or below it, idle.
    public let busyThreshold: Double

    /// Temperatures outside this range (°C) are taken for junk and dropped.
    ///
    /// Drivers of missing or disabled sensors report placeholders such as
    /// −273.2 °C or hundreds of degrees. No working host component sits below
    /// −50 °C or above 200 °C (silicon throttles or shuts down near 100–125 °C,
    /// batteries far lower), so values beyond these bounds are clearly not
    /// measurements. Anything inside them, including 0 °C, is kept: a cold
    /// outdoor device can read 0.
    public static let plausibleCelsius: ClosedRange<Double> = -50...200

    /// The most bytes read from one small procfs or sysfs file.
    static let maxFileBytes = 64 * 1024
    /// `/proc/stat` has a line per CPU and a long interrupt line; allow more.
    static let maxStatBytes = 1024 * 1024
    /// At most this many thermal zones and power supplies are read.
    static let maxZones = 256
    static let maxSupplies = 64

    /// The last usable `/proc/stat` sample and when it was taken.
    private var previous: (times: CPUTimes, at: Double)?
    /// Since when utilisation has stayed at or below ``busyThreshold``.
    private var idleSince: Double?

    /// - Parameters:
    ///   - root: the host's `/`; a fixture tree's directory in tests.
    ///   - busyThreshold: utilisation above which the host is busy, 0…1.
    public init(root: String = "/", busyThreshold: Double = 0.25) {
        self.root = root.isEmpty ? "/" : root
        self.busyThreshold = busyThreshold
    }

    /// Reads the host once.
    ///
    /// `now` is the caller's clock in seconds (any epoch, but the same one on
    /// every call); it dates the CPU sample and measures `idleSeconds`. The
    /// reader reads no clock of its own.
    ///
    /// ```swift
    /// var reader = HostTelemetryReader(root: "/", busyThreshold: 0.25)
    /// let first = reader.read(now: 0)     // first.cpu?.utilization == nil
    /// let later = reader.read(now: 10)    // utilisation over the 10 s between
    /// ```
    public mutating func read(now: Double) -> NodeTelemetry {
        var telemetry = NodeTelemetry()

        let stat = readStat()
        let load = readLoadavg()
        var sample: (utilization: Double?, idleSeconds: Double?)?
        if let times = stat?.times { sample = observe(times, now: now) }
        let cpu = NodeTelemetry.CPU(count: stat?.count, load1: load.0, load5: load.1, load15: load.2,
                                    utilization: sample?.utilization)
        if cpu != NodeTelemetry.CPU() { telemetry.cpu = cpu }
        telemetry.idleSeconds = sample?.idleSeconds

        if let text = readText("proc/meminfo", limit: Self.maxFileBytes)?.completeLines {
            let memory = Self.parseMeminfo(text)
            if memory != NodeTelemetry.Memory() { telemetry.memory = memory }
        }

        (telemetry.acOnline, telemetry.battery) = readPowerSupplies()
        telemetry.thermalZones = readThermalZones()
        return telemetry
    }
}

// MARK: - CPU

extension HostTelemetryReader {
    /// Jiffies of the aggregate `cpu` line, folded into busy and all time.
    struct CPUTimes: Sendable, Equatable {
        /// user + nice + system + irq + softirq + steal.
        var busy: UInt64
        /// busy + idle + iowait.
        var total: UInt64
    }

    private func readStat() -> (count: Int?, times: CPUTimes?)? {
        guard let file = readText("proc/stat", limit: Self.maxStatBytes) else { return nil }
        return Self.parseStat(file.completeLines, truncated: file.truncated)
    }

    /// The `cpuN` line count and the first aggregate `cpu` line of `/proc/stat`.
    ///
    /// The aggregate line is `cpu user nice system idle iowait irq softirq steal
    /// guest guest_nice`; guest time is already inside user and nice, so only
    /// the first eight fields count (old kernels have as few as four; missing
    /// ones are zero). When `truncated`, the count is trusted only if a line
    /// after the CPU lines was read in full.
    static func parseStat(_ text: Substring, truncated: Bool = false) -> (count: Int?, times: CPUTimes?) {
        var count = 0
        var times: CPUTimes?
        var sawAggregate = false
        var sawLineAfterCPUs = false
        for line in text.split(separator: "\n") {
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard let name = fields.first, name.hasPrefix("cpu") else {
                if count > 0 || sawAggregate { sawLineAfterCPUs = true }
                continue
            }
            let suffix = name.dropFirst(3)
            if suffix.isEmpty {
                if !sawAggregate { times = cpuTimes(fields.dropFirst()) }
                sawAggregate = true
            } else if suffix.allSatisfy(\.isASCIIDigit) {
                count += 1
            }
        }
        let countKnown = count > 0 && (!truncated || sawLineAfterCPUs)
        return (countKnown ? count : nil, times)
    }

    private static func cpuTimes(_ fields: ArraySlice<Substring>) -> CPUTimes? {
        guard fields.count >= 4 else { return nil }
        var values: [UInt64] = []
        for field in fields.prefix(8) {
            guard let v = UInt64(field) else { return nil }
            values.append(v)
        }
        while values.count < 8 { values.append(0) }
        // user nice system idle iowait irq softirq steal
        guard let busy = sum([values[0], values[1], values[2], values[5], values[6], values[7]]),
              let total = sum([busy, values[3], values[4]]) else { return nil }
        return CPUTimes(busy: busy, total: total)
    }

    private static func sum(_ values: [UInt64]) -> UInt64? {
        var total: UInt64 = 0
        for v in values {
            let (s, overflow) = total.addingReportingOverflow(v)
            if overflow { return nil }
            total = s
        }
        return total
    }

    /// Folds a new `/proc/stat` sample into the reader's state.
    ///
    /// Utilisation is Δbusy / Δtotal since the previous sample. With no time
    /// elapsed in the counters (Δtotal = 0) there is nothing new: no reading,
    /// and the previous sample stays the base for the next one. Busy time going
    /// backwards means the counters restarted (another host behind the same
    /// root, a reboot): the sample becomes the new base and idle tracking
    /// starts over. Idle and iowait may step back slightly on tickless kernels,
    /// so the share is capped at 1.
    ///
    /// A quiet sample says the host was quiet over the whole interval since the
    /// previous one; a busy sample says it was busy up to `now`. So the host has
    /// been idle since the end of its last busy interval, or since the start of
    /// the first quiet one observed.
    private mutating func observe(_ times: CPUTimes, now: Double) -> (utilization: Double?, idleSeconds: Double?) {
        guard let prev = previous else {
            previous = (times, now)
            return (nil, nil)
        }
        if times.busy < prev.times.busy {
            previous = (times, now)
            idleSince = nil
            return (nil, nil)
        }
        guard times.total > prev.times.total else { return (nil, nil) }
        let utilization = min(1, Double(times.busy - prev.times.busy) / Double(times.total - prev.times.total))
        previous = (times, now)
        guard now.isFinite, prev.at.isFinite else { return (utilization, nil) }
        if utilization > busyThreshold {
            idleSince = now
        } else if idleSince == nil {
            idleSince = prev.at
        }
        return (utilization, max(0, now - (idleSince ?? now)))
    }

    private func readLoadavg() -> (Double?, Double?, Double?) {
        guard let file = readText("proc/loadavg", limit: Self.maxFileBytes), !file.truncated else { return (nil, nil, nil) }
        return Self.parseLoadavg(file.text)
    }

    /// The first three fields of `/proc/loadavg`; each one that is not a finite,
    /// non-negative number is absent.
    static func parseLoadavg(_ text: String) -> (Double?, Double?, Double?) {
        let fields = text.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" })
        func load(_ i: Int) -> Double? {
            guard i < fields.count, let v = Double(fields[i]), v.isFinite, v >= 0 else { return nil }
            return v
        }
        return (load(0), load(1), load(2))
    }
}

// MARK: - Memory

extension HostTelemetryReader {
    /// `MemTotal` and `MemAvailable` of `/proc/meminfo`, converted from kB to
    /// bytes. A line without the `kB` unit, a non-integer value or one whose
    /// byte count overflows is absent. `MemAvailable` (Linux 3.14+) is not
    /// estimated when missing.
    static func parseMeminfo(_ text: Substring) -> NodeTelemetry.Memory {
        var memory = NodeTelemetry.Memory()
        var seenTotal = false
        var seenAvailable = false
        for line in text.split(separator: "\n") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let key = line[..<colon]
            let isTotal = key == "MemTotal" && !seenTotal
            let isAvailable = key == "MemAvailable" && !seenAvailable
            guard isTotal || isAvailable else { continue }
            let rest = line[line.index(after: colon)...].split(whereSeparator: { $0 == " " || $0 == "\t" })
            var bytes: Int64?
            if rest.count == 2, rest[1] == "kB", let kB = Int64(rest[0]), kB >= 0 {
                let (b, overflow) = kB.multipliedReportingOverflow(by: 1024)
                if !overflow { bytes = b }
            }
            if isTotal { memory.totalBytes = bytes; seenTotal = true }
            if isAvailable { memory.availableBytes = bytes; seenAvailable = true }
        }
        return memory
    }
}

// MARK: - Power supplies

extension HostTelemetryReader {
    /// AC state and the system battery from `sys/class/power_supply`.
    ///
    /// Supplies whose `scope` is `Device` power a peripheral (a mouse, a
    /// keyboard, a graphics card's USB-C port), not this host: they are
    /// ignored, as are supplies with `present` 0 (an empty battery bay) and
    /// ones without a readable `type`.
    ///
    /// - acOnline: true if any other non-battery supply (Mains, USB, UPS,
    ///   Wireless…) reads `online` 1 or 2 (fixed or programmable supply); false
    ///   if some read 0 and none more; nil when none has a readable `online`.
    /// - battery: the first `Battery` supply, in name order, with at least one
    ///   readable value among `capacity` (0–100 %), `status` and `temp`
    ///   (tenths of °C, within ``plausibleCelsius``).
    private func readPowerSupplies() -> (acOnline: Bool?, battery: NodeTelemetry.Battery?) {
        let base = "sys/class/power_supply"
        var acOnline: Bool?
        var battery: NodeTelemetry.Battery?
        for name in listDirectory(base).sorted().prefix(Self.maxSupplies) {
            let dir = base + "/" + name
            guard let type = readValue(dir + "/type") else { continue }
            if readValue(dir + "/scope") == "Device" { continue }
            if readInt(dir + "/present") == 0 { continue }
            if type == "Battery" {
                guard battery == nil else { continue }
                let capacity = readInt(dir + "/capacity").flatMap { (0...100).contains($0) ? Double($0) : nil }
                let status = readValue(dir + "/status").flatMap(Self.batteryStatus)
                let temp = readInt(dir + "/temp").flatMap { Self.celsius(Double($0) / 10) }
                let b = NodeTelemetry.Battery(percent: capacity, status: status, temperatureCelsius: temp)
                if b != NodeTelemetry.Battery() { battery = b }
            } else {
                switch readInt(dir + "/online") {
                case 1, 2: acOnline = true
                case 0: acOnline = acOnline ?? false
                default: break
                }
            }
        }
        return (acOnline, battery)
    }

    /// A battery `status` passed through when it looks like one of the
    /// kernel's words (Charging, Discharging, Full, Not charging, Unknown).
    static func batteryStatus(_ s: String) -> String? {
        guard s.count <= 32, s.allSatisfy({ $0.isASCII && ($0.isLetter || $0 == " ") }) else { return nil }
        return s
    }
}

// MARK: - Thermal zones

extension HostTelemetryReader {
    /// `sys/class/thermal/thermal_zoneN` in zone-number order. A zone whose
    /// `temp` is unreadable, not an integer, or outside ``plausibleCelsius``
    /// once converted from m°C is left out.
    private func readThermalZones() -> [NodeTelemetry.ThermalZone] {
        let base = "sys/class/thermal"
        let zones = listDirectory(base).compactMap { name -> (Int, String)? in
            guard name.hasPrefix("thermal_zone") else { return nil }
            let digits = name.dropFirst("thermal_zone".count)
            guard !digits.isEmpty, digits.allSatisfy(\.isASCIIDigit), let n = Int(digits) else { return nil }
            return (n, name)
        }
        .sorted { $0.0 < $1.0 }
        .prefix(Self.maxZones)
        return zones.compactMap { _, name in
            let dir = base + "/" + name
            guard let milli = readInt(dir + "/temp"), let c = Self.celsius(Double(milli) / 1000) else { return nil }
            let type = readValue(dir + "/type").flatMap { t in
                t.count <= 64 && t.unicodeScalars.allSatisfy({ $0.isASCII && $0.value >= 0x20 && $0.value < 0x7F }) ? t : nil
            }
            return NodeTelemetry.ThermalZone(zone: name, type: type, celsius: c)
        }
    }

    static func celsius(_ value: Double) -> Double? {
        plausibleCelsius.contains(value) ? value : nil
    }
}

// MARK: - Files

extension HostTelemetryReader {
    /// What one bounded read of a file gave.
    struct FileText {
        var text: String
        /// The file was longer than the limit; `text` is its first bytes.
        var truncated: Bool

        /// The text, less a last line cut short by the limit.
        var completeLines: Substring {
            guard truncated else { return text[...] }
            guard let nl = text.lastIndex(of: "\n") else { return "" }
            return text[...nl]
        }
    }

    func path(_ relative: String) -> String {
        root.hasSuffix("/") ? root + relative : root + "/" + relative
    }

    /// At most `limit` bytes of a file, as UTF-8 (invalid bytes replaced); nil
    /// when it cannot be opened or read. Opened non-blocking so that a FIFO or
    /// a device under a fixture root cannot stall the agent.
    func readText(_ relative: String, limit: Int) -> FileText? {
        let fd = open(path(relative), O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var truncated = false
        let chunk = 4096
        let ok = withUnsafeTemporaryAllocation(of: UInt8.self, capacity: chunk) { buffer -> Bool in
            while true {
                let n = readBytes(fd, buffer.baseAddress, chunk)
                if n < 0 {
                    if errno == EINTR { continue }
                    return false
                }
                if n == 0 { return true }
                let room = limit - bytes.count
                if n > room {
                    bytes.append(contentsOf: buffer.prefix(room))
                    truncated = true
                    return true
                }
                bytes.append(contentsOf: buffer.prefix(n))
            }
        }
        guard ok else { return nil }
        return FileText(text: String(decoding: bytes, as: UTF8.self), truncated: truncated)
    }

    /// A one-value sysfs file, trimmed; nil when unreadable, empty or over-long.
    func readValue(_ relative: String) -> String? {
        guard let file = readText(relative, limit: Self.maxFileBytes), !file.truncated else { return nil }
        let s = file.text.trimmingCharacters(in: .whitespacesAndNewlines)
        return s.isEmpty ? nil : s
    }

    /// A one-integer sysfs file; nil when it holds anything else.
    func readInt(_ relative: String) -> Int64? {
        readValue(relative).flatMap { Int64($0) }
    }

    /// Entry names of a directory (symbolic links included), hidden ones left out.
    func listDirectory(_ relative: String) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: path(relative))) ?? []
        return names.filter { !$0.hasPrefix(".") }
    }
}

extension Character {
    fileprivate var isASCIIDigit: Bool { isASCII && isWholeNumber }
}

/// `read(2)`, out of the reach of ``HostTelemetryReader/read(now:)``'s name.
private func readBytes(_ fd: Int32, _ buffer: UnsafeMutablePointer<UInt8>?, _ count: Int) -> Int {
    read(fd, buffer, count)
}
