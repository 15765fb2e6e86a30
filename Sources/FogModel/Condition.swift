import Foundation

/// A `status.conditions` entry, as in Kubernetes.
public struct Condition: Sendable, Hashable {
    public enum Status: String, Sendable { case `true` = "True", `false` = "False", unknown = "Unknown" }

    public var type: String
    public var status: Status
    public var reason: String
    public var message: String
    public var lastTransitionTime: String
    public var observedGeneration: Int64?

    public init(type: String, status: Status, reason: String = "", message: String = "",
                lastTransitionTime: String = "", observedGeneration: Int64? = nil) {
        self.type = type
        self.status = status
        self.reason = reason
        self.message = message
        self.lastTransitionTime = lastTransitionTime
        self.observedGeneration = observedGeneration
    }

    public init?(json: JSONValue) {
        guard let type = json["type"]?.stringValue,
              let status = json["status"]?.stringValue.flatMap(Status.init(rawValue:)) else { return nil }
        self.init(type: type, status: status, reason: json["reason"]?.stringValue ?? "",
                  message: json["message"]?.stringValue ?? "",
                  lastTransitionTime: json["lastTransitionTime"]?.stringValue ?? "",
                  observedGeneration: json["observedGeneration"]?.intValue)
    }

    public var json: JSONValue {
        var o: [String: JSONValue] = ["type": .string(type), "status": .string(status.rawValue),
                                      "lastTransitionTime": .string(lastTransitionTime)]
        if !reason.isEmpty { o["reason"] = .string(reason) }
        if !message.isEmpty { o["message"] = .string(message) }
        if let observedGeneration { o["observedGeneration"] = .int(observedGeneration) }
        return .object(o)
    }
}

extension Array where Element == Condition {
    public subscript(type type: String) -> Condition? { first { $0.type == type } }

    /// Sets a condition; `lastTransitionTime` changes only when `status` flips.
    public mutating func set(_ condition: Condition, now: String) {
        var c = condition
        if let i = firstIndex(where: { $0.type == c.type }) {
            c.lastTransitionTime = self[i].status == c.status ? self[i].lastTransitionTime : now
            self[i] = c
        } else {
            c.lastTransitionTime = now
            append(c)
        }
    }
}

/// RFC 3339 timestamps in UTC with second precision, as Kubernetes writes them.
public enum Timestamp {
    public static func format(_ date: Date) -> String {
        let t = Int64(date.timeIntervalSince1970.rounded(.down))
        return formatEpoch(t)
    }

    /// With microseconds, as Kubernetes' MicroTime (`…:SS.ffffffZ`): for events, which must
    /// order within a second.
    public static func formatMicro(_ date: Date) -> String {
        let micros = Int64((date.timeIntervalSince1970 * 1_000_000).rounded(.down))
        let seconds = micros >= 0 ? micros / 1_000_000 : (micros - 999_999) / 1_000_000
        let fraction = String(micros - seconds * 1_000_000)
        return String(formatEpoch(seconds).dropLast()) + "." + String(repeating: "0", count: 6 - fraction.count) + fraction + "Z"
    }

    /// A status time (seconds since the epoch, as the domain computes with them) as status
    /// writes it: RFC 3339 with microseconds.
    public static func json(seconds: Double) -> JSONValue { .string(formatMicro(seconds: seconds)) }

    /// `formatMicro` of a time in seconds since the epoch.
    public static func formatMicro(seconds: Double) -> String { formatMicro(Date(timeIntervalSince1970: seconds)) }

    /// Reads what `json(seconds:)` writes; a number (seconds since the epoch, as statuses
    /// were written before) is read as it is.
    public static func seconds(_ value: JSONValue?) -> Double? {
        if let s = value?.stringValue { return parse(s)?.timeIntervalSince1970 }
        return value?.numberValue
    }

    public static func formatEpoch(_ t: Int64) -> String {
        var days = t >= 0 ? t / 86400 : (t - 86399) / 86400
        let secs = t - days * 86400
        // Civil-from-days (Howard Hinnant's algorithm).
        days += 719_468
        let era = (days >= 0 ? days : days - 146_096) / 146_097
        let doe = days - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        var y = yoe + era * 400
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        if m <= 2 { y += 1 }
        func two(_ v: Int64) -> String { v < 10 ? "0\(v)" : "\(v)" }
        return "\(y)-\(two(m))-\(two(d))T\(two(secs / 3600)):\(two(secs % 3600 / 60)):\(two(secs % 60))Z"
    }

    public static func parse(_ s: String) -> Date? {
        if let d = parseUTC(s) { return d }
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime]
        if let d = f.date(from: s) { return d }
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return f.date(from: s)
    }

    /// The common form, `YYYY-MM-DDTHH:MM:SS[.fraction]Z`, without a date formatter
    /// (controllers parse heartbeat times by the thousand); nil for anything else.
    static func parseUTC(_ s: String) -> Date? {
        let u = Array(s.utf8)
        guard u.count >= 20, u.last == UInt8(ascii: "Z"), u[4] == UInt8(ascii: "-"), u[7] == UInt8(ascii: "-"),
              u[10] == UInt8(ascii: "T"), u[13] == UInt8(ascii: ":"), u[16] == UInt8(ascii: ":") else { return nil }
        func number(_ from: Int, _ count: Int) -> Int64? {
            var v: Int64 = 0
            for i in from..<from + count {
                let c = u[i]
                guard c >= 48 && c <= 57 else { return nil }
                v = v * 10 + Int64(c - 48)
            }
            return v
        }
        guard let y = number(0, 4), let m = number(5, 2), let d = number(8, 2),
              let hh = number(11, 2), let mm = number(14, 2), let ss = number(17, 2),
              (1...12).contains(m), hh < 24, mm < 60, ss < 60 else { return nil }
        let leap = y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)
        let monthDays: [Int64] = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        guard d >= 1 && d <= monthDays[Int(m - 1)] else { return nil }
        var fraction = 0.0
        if u.count > 20 {
            // ".digits" then the Z.
            guard u[19] == UInt8(ascii: "."), u.count > 21 else { return nil }
            var scale = 0.1
            for c in u[20..<(u.count - 1)] {
                guard c >= 48 && c <= 57 else { return nil }
                fraction += Double(c - 48) * scale
                scale /= 10
            }
        }
        // Days from civil (Howard Hinnant's algorithm).
        let yy = m <= 2 ? y - 1 : y
        let era = (yy >= 0 ? yy : yy - 399) / 400
        let yoe = yy - era * 400
        let doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        let days = era * 146_097 + doe - 719_468
        return Date(timeIntervalSince1970: Double(days * 86400 + hh * 3600 + mm * 60 + ss) + fraction)
    }

    /// kubectl's AGE column: `45s`, `12m`, `3h`, `5d`.
    public static func age(from s: String?, now: Date) -> String {
        guard let s, let d = parse(s) else { return "<unknown>" }
        let secs = max(0, Int(now.timeIntervalSince(d)))
        if secs < 120 { return "\(secs)s" }
        if secs < 3600 * 2 { return "\(secs / 60)m" }
        if secs < 86400 * 2 { return "\(secs / 3600)h" }
        return "\(secs / 86400)d"
    }
}
