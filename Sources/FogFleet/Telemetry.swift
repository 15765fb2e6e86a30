import FogModel

/// What a node's agent (or the simulated fleet) observed about its host at one
/// heartbeat. Every reading is optional: a reading the host does not expose is
/// absent, never invented. Stored as `FogNode.status.telemetry`.
public struct NodeTelemetry: Sendable, Equatable {
    public struct CPU: Sendable, Equatable {
        /// Online logical CPUs (`/proc/stat` cpuN lines).
        public var count: Int?
        /// Run-queue load averages (`/proc/loadavg`).
        public var load1: Double?
        public var load5: Double?
        public var load15: Double?
        /// Busy share of all CPUs between two `/proc/stat` samples, 0…1.
        public var utilization: Double?
        public init(count: Int? = nil, load1: Double? = nil, load5: Double? = nil, load15: Double? = nil, utilization: Double? = nil) {
            self.count = count; self.load1 = load1; self.load5 = load5; self.load15 = load15; self.utilization = utilization
        }
    }

    public struct Memory: Sendable, Equatable {
        /// `MemTotal` and `MemAvailable` of `/proc/meminfo`, in bytes.
        public var totalBytes: Int64?
        public var availableBytes: Int64?
        public init(totalBytes: Int64? = nil, availableBytes: Int64? = nil) {
            self.totalBytes = totalBytes; self.availableBytes = availableBytes
        }
    }

    public struct Battery: Sendable, Equatable {
        /// Charge level in percent (`capacity`).
        public var percent: Double?
        /// The kernel's `status`: Charging, Discharging, Full, Not charging or Unknown.
        public var status: String?
        /// Battery temperature (`temp`, tenths of a degree) in °C.
        public var temperatureCelsius: Double?
        public init(percent: Double? = nil, status: String? = nil, temperatureCelsius: Double? = nil) {
            self.percent = percent; self.status = status; self.temperatureCelsius = temperatureCelsius
        }
        /// True when the battery sits on a charger: charging, full, or held by a
        /// charge limit ("Not charging" is what the kernel says while plugged in and capped).
        public var onCharger: Bool? {
            guard let status else { return nil }
            switch status {
            case "Charging", "Full", "Not charging": return true
            case "Discharging": return false
            default: return nil
            }
        }
        /// True when the battery is taking charge or full on external power.
        public var charging: Bool? {
            guard let status else { return nil }
            switch status {
            case "Charging", "Full": return true
            case "Discharging", "Not charging": return false
            default: return nil
            }
        }
    }

    public struct ThermalZone: Sendable, Equatable {
        /// Directory name, e.g. `thermal_zone0`.
        public var zone: String
        /// The zone's `type`, e.g. `x86_pkg_temp`, when readable.
        public var type: String?
        public var celsius: Double
        public init(zone: String, type: String? = nil, celsius: Double) {
            self.zone = zone; self.type = type; self.celsius = celsius
        }
    }

    public var cpu: CPU?
    public var memory: Memory?
    /// Whether any mains or USB supply is online (`online` of non-battery supplies).
    public var acOnline: Bool?
    /// The first battery found, when the host has one.
    public var battery: Battery?
    public var thermalZones: [ThermalZone]
    /// Measured round trip to the API server, in milliseconds (the last sample).
    public var rttMillis: Double?
    /// Exponentially weighted average of the round trips, in milliseconds (what scoring uses).
    public var rttAverageMillis: Double?
    /// Seconds since the host was last busy (CPU utilisation above the agent's threshold).
    public var idleSeconds: Double?

    public init(cpu: CPU? = nil, memory: Memory? = nil, acOnline: Bool? = nil, battery: Battery? = nil,
                thermalZones: [ThermalZone] = [], rttMillis: Double? = nil, rttAverageMillis: Double? = nil, idleSeconds: Double? = nil) {
        self.cpu = cpu; self.memory = memory; self.acOnline = acOnline; self.battery = battery
        self.thermalZones = thermalZones; self.rttMillis = rttMillis; self.rttAverageMillis = rttAverageMillis
        self.idleSeconds = idleSeconds
    }

    /// The hottest thermal reading (zones and battery), in °C.
    public var maxCelsius: Double? {
        let all = thermalZones.map(\.celsius) + [battery?.temperatureCelsius].compactMap { $0 }
        return all.max()
    }

    /// On external power: an online AC/USB supply, or else a charging/full battery.
    /// Nil when the host tells neither (a desktop without power-supply entries).
    public var onExternalPower: Bool? {
        if let acOnline { return acOnline || (battery?.onCharger ?? false) }
        return battery?.onCharger
    }
}

// MARK: - status.telemetry

extension NodeTelemetry {
    /// The `status.telemetry` object; absent readings are left out.
    public var json: JSONValue {
        var o: [String: JSONValue] = [:]
        if let cpu {
            var c: [String: JSONValue] = [:]
            if let v = cpu.count { c["count"] = .int(Int64(v)) }
            if let v = cpu.load1 { c["load1"] = .double(v) }
            if let v = cpu.load5 { c["load5"] = .double(v) }
            if let v = cpu.load15 { c["load15"] = .double(v) }
            if let v = cpu.utilization { c["utilization"] = .double(v) }
            if !c.isEmpty { o["cpu"] = .object(c) }
        }
        if let memory {
            var m: [String: JSONValue] = [:]
            if let v = memory.totalBytes { m["totalBytes"] = .int(v) }
            if let v = memory.availableBytes { m["availableBytes"] = .int(v) }
            if !m.isEmpty { o["memory"] = .object(m) }
        }
        var power: [String: JSONValue] = [:]
        if let acOnline { power["acOnline"] = .bool(acOnline) }
        if let battery {
            var b: [String: JSONValue] = [:]
            if let v = battery.percent { b["percent"] = .double(v) }
            if let v = battery.status { b["status"] = .string(v) }
            if let v = battery.charging { b["charging"] = .bool(v) }
            if let v = battery.temperatureCelsius { b["temperatureCelsius"] = .double(v) }
            power["battery"] = .object(b)
        }
        if !power.isEmpty { o["power"] = .object(power) }
        if !thermalZones.isEmpty {
            o["thermal"] = .object([
                "maxCelsius": .double(thermalZones.map(\.celsius).max()!),
                "zones": .array(thermalZones.map { z in
                    var e: [String: JSONValue] = ["zone": .string(z.zone), "celsius": .double(z.celsius)]
                    if let t = z.type { e["type"] = .string(t) }
                    return .object(e)
                }),
            ])
        }
        if let rttMillis { o["rttMillis"] = .double(rttMillis) }
        if let rttAverageMillis { o["rttAverageMillis"] = .double(rttAverageMillis) }
        if let idleSeconds { o["idleSeconds"] = .double(idleSeconds) }
        return .object(o)
    }

    /// Reads `status.telemetry` back; nil when the node has reported none.
    public init?(json: JSONValue?) {
        guard let o = json?.objectValue else { return nil }
        self.init()
        if let c = o["cpu"] {
            cpu = CPU(count: c["count"]?.intValue.map { Int($0) }, load1: c["load1"]?.numberValue,
                      load5: c["load5"]?.numberValue, load15: c["load15"]?.numberValue,
                      utilization: c["utilization"]?.numberValue)
        }
        if let m = o["memory"] {
            memory = Memory(totalBytes: m["totalBytes"]?.intValue, availableBytes: m["availableBytes"]?.intValue)
        }
        acOnline = o["power"]?["acOnline"]?.boolValue
        if let b = o["power"]?["battery"] {
            battery = Battery(percent: b["percent"]?.numberValue, status: b["status"]?.stringValue,
                              temperatureCelsius: b["temperatureCelsius"]?.numberValue)
        }
        thermalZones = (o["thermal"]?["zones"]?.arrayValue ?? []).compactMap { z in
            guard let name = z["zone"]?.stringValue, let c = z["celsius"]?.numberValue else { return nil }
            return ThermalZone(zone: name, type: z["type"]?.stringValue, celsius: c)
        }
        rttMillis = o["rttMillis"]?.numberValue
        rttAverageMillis = o["rttAverageMillis"]?.numberValue
        idleSeconds = o["idleSeconds"]?.numberValue
    }
}

extension NodeTelemetry {
    /// Every key `json` can hold, for `mergePatch`.
    private static let shape: JSONValue = [
        "cpu": ["count": nil, "load1": nil, "load5": nil, "load15": nil, "utilization": nil],
        "memory": ["totalBytes": nil, "availableBytes": nil],
        "power": ["acOnline": nil, "battery": ["percent": nil, "status": nil, "charging": nil, "temperatureCelsius": nil]],
        "thermal": nil, "rttMillis": nil, "rttAverageMillis": nil, "idleSeconds": nil,
    ]

    /// `json` as a JSON merge patch for `status.telemetry`: a reading that is now
    /// absent is sent as `null`, so a stale value never survives a heartbeat.
    public var mergePatch: JSONValue {
        func fill(_ shape: JSONValue, _ value: JSONValue?) -> JSONValue {
            guard let value else { return .null }
            guard case .object(let keys) = shape, case .object(let present) = value else { return value }
            var out: [String: JSONValue] = [:]
            for (k, sub) in keys { out[k] = fill(sub, present[k]) }
            return .object(out)
        }
        return fill(Self.shape, json)
    }
}
