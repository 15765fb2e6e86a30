import FogModel

/// A node's availability history in bounded form, kept in `FogNode.status.availability`
/// by the node lifecycle controller: lifetime counters plus the last 24 hourly
/// buckets. Time is attributed to the state the node was in when the controller
/// last looked, so the history is exact at every transition.
public struct Availability: Sendable, Equatable {
    public struct Bucket: Sendable, Equatable {
        /// Hours since the Unix epoch.
        public var hour: Int64
        public var readySeconds: Double
        public var observedSeconds: Double
    }

    public static let windowHours = 24

    /// When the controller first saw the node (seconds since the epoch).
    public var firstSeen: Double
    /// When time was last attributed.
    public var accountedUntil: Double
    /// The state since `accountedUntil`.
    public var ready: Bool
    public var readySeconds: Double = 0
    public var notReadySeconds: Double = 0
    /// Ready → NotReady transitions.
    public var disconnections = 0
    /// NotReady → Ready transitions after a disconnection, and the time they took.
    public var recoveries = 0
    public var recoverySeconds: Double = 0
    /// When the current outage began, if the node is down.
    public var downSince: Double?
    public var buckets: [Bucket] = []

    public init(firstSeen: Double, ready: Bool) {
        self.firstSeen = firstSeen
        self.accountedUntil = firstSeen
        self.ready = ready
    }

    /// Attributes the time up to `now` to the current state, then moves to `ready`.
    public mutating func observe(now: Double, ready newState: Bool) {
        if now > accountedUntil {
            attribute(from: accountedUntil, to: now)
            accountedUntil = now
        }
        if newState != ready {
            if newState {
                if let d = downSince { recoveries += 1; recoverySeconds += max(0, now - d) }
                downSince = nil
            } else {
                disconnections += 1
                downSince = now
            }
            ready = newState
        }
    }

    private mutating func attribute(from start: Double, to end: Double) {
        if ready { readySeconds += end - start } else { notReadySeconds += end - start }
        var t = start
        while t < end {
            let hour = Int64((t / 3600).rounded(.down))
            let hourEnd = Double(hour + 1) * 3600
            let slice = min(end, hourEnd) - t
            if let last = buckets.last, last.hour == hour {
                buckets[buckets.count - 1].observedSeconds += slice
                if ready { buckets[buckets.count - 1].readySeconds += slice }
            } else {
                buckets.append(Bucket(hour: hour, readySeconds: ready ? slice : 0, observedSeconds: slice))
            }
            t += slice
        }
        if let newest = buckets.last?.hour {
            let oldest = newest - Int64(Self.windowHours) + 1
            buckets.removeAll { $0.hour < oldest }
        }
    }

    /// Ready share over the node's whole known life.
    public var lifetimeUptime: Double? {
        let total = readySeconds + notReadySeconds
        return total > 0 ? readySeconds / total : nil
    }

    /// Ready share over the last 24 hours.
    public var recentUptime: Double? {
        let observed = buckets.reduce(0) { $0 + $1.observedSeconds }
        return observed > 0 ? buckets.reduce(0) { $0 + $1.readySeconds } / observed : nil
    }

    /// Ready share of each hour in the window (hours observed for at least a minute).
    public var hourlyUptime: [Double] {
        buckets.filter { $0.observedSeconds >= 60 }.map { $0.readySeconds / $0.observedSeconds }
    }

    /// Weighted uptime: recent hours count 70 %, the whole life 30 %.
    public var weightedUptime: Double? {
        switch (recentUptime, lifetimeUptime) {
        case let (r?, l?): return 0.7 * r + 0.3 * l
        case let (r?, nil): return r
        case let (nil, l?): return l
        default: return nil
        }
    }

    public var ageSeconds: Double { accountedUntil - firstSeen }

    /// Disconnections per day of known life (at least one hour counted, so a new
    /// node with one blip is not rated at 24 a day forever).
    public var disconnectionsPerDay: Double {
        Double(disconnections) / (max(ageSeconds, 3600) / 86400)
    }

    public var meanRecoverySeconds: Double? { recoveries > 0 ? recoverySeconds / Double(recoveries) : nil }
}

// MARK: - status.availability

extension Availability {
    /// As `status.availability` holds it: times in RFC 3339 with microseconds, each hourly
    /// bucket as `[the hour's start, ready seconds, observed seconds]`.
    public var status: FogNodeStatus.Availability {
        FogNodeStatus.Availability(
            accountedUntil: Timestamp.formatMicro(seconds: accountedUntil),
            disconnections: disconnections, downSince: downSince.map { Timestamp.formatMicro(seconds: $0) },
            firstSeen: Timestamp.formatMicro(seconds: firstSeen),
            hourly: buckets.map { [.string(Timestamp.formatEpoch($0.hour * 3600)), .double($0.readySeconds), .double($0.observedSeconds)] },
            notReadySeconds: notReadySeconds, ready: ready, readySeconds: readySeconds, recoveries: recoveries,
            recoverySeconds: recoverySeconds, uptime: weightedUptime.map { ($0 * 10000).rounded() / 10000 })
    }

    public var json: JSONValue { .object(status.jsonObject) }

    /// From `status.availability`; statuses written before RFC 3339 (epoch seconds, hour numbers) still read.
    public init?(status o: FogNodeStatus.Availability?) {
        guard let o, let first = Timestamp.seconds(.string(o.firstSeen)), let until = Timestamp.seconds(.string(o.accountedUntil)) else { return nil }
        self.init(firstSeen: first, ready: o.ready)
        accountedUntil = until
        readySeconds = o.readySeconds ?? 0
        notReadySeconds = o.notReadySeconds ?? 0
        disconnections = o.disconnections ?? 0
        recoveries = o.recoveries ?? 0
        recoverySeconds = o.recoverySeconds ?? 0
        downSince = o.downSince.flatMap { Timestamp.seconds(.string($0)) }
        buckets = Self.buckets(o.hourly ?? [])
    }

    public init?(json: JSONValue?) {
        guard let o = json?.objectValue, let first = Timestamp.seconds(o["firstSeen"]),
              let until = Timestamp.seconds(o["accountedUntil"]), let ready = o["ready"]?.boolValue else { return nil }
        self.init(firstSeen: first, ready: ready)
        accountedUntil = until
        readySeconds = o["readySeconds"]?.numberValue ?? 0
        notReadySeconds = o["notReadySeconds"]?.numberValue ?? 0
        disconnections = Int(o["disconnections"]?.intValue ?? 0)
        recoveries = Int(o["recoveries"]?.intValue ?? 0)
        recoverySeconds = o["recoverySeconds"]?.numberValue ?? 0
        downSince = Timestamp.seconds(o["downSince"])
        buckets = Self.buckets((o["hourly"]?.arrayValue ?? []).compactMap(\.arrayValue))
    }

    private static func buckets(_ hourly: [[JSONValue]]) -> [Bucket] {
        hourly.compactMap { a in
            guard a.count == 3, let start = Timestamp.seconds(a[0]), let r = a[1].numberValue, let s = a[2].numberValue
            else { return nil }
            // The hour's start (an hour index since the epoch, as buckets were written before).
            let hour = a[0].stringValue == nil ? Int64(start) : Int64((start / 3600).rounded(.down))
            return Bucket(hour: hour, readySeconds: r, observedSeconds: s)
        }
    }
}
