import FogModel
import FogRuntime
import Foundation

/// Where every manual clock in the tests starts. `FOG_TEST_EPOCH` (an ISO 8601 date, e.g.
/// `2041-03-01T00:00:00Z`) selects it; by default it is 2001-01-01T00:00:00Z, far from any
/// real date, so a test that subtracts a wall-clock reading (`Date()`) from a manual-clock
/// one fails at once instead of the week the calendar moves past it.
public enum TestEpoch {
    public static let variable = "FOG_TEST_EPOCH"

    /// The epoch in force for this process.
    public static let date: Date = {
        guard let text = ProcessInfo.processInfo.environment[variable], !text.isEmpty else { return fallback }
        guard let parsed = Timestamp.parse(text) ?? dateOnly(text) else {
            fatalError("\(variable)=\(text) is not an ISO 8601 date (e.g. 2041-03-01T00:00:00Z)")
        }
        return parsed
    }()

    public static let fallback = Date(timeIntervalSince1970: 978_307_200)  // 2001-01-01T00:00:00Z

    /// The first Monday 00:00 UTC at or after the epoch: for tests whose behaviour depends
    /// on the hour or the weekday (harvest windows, the simulated phones' day).
    public static var weekStart: Date {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let midnight = calendar.startOfDay(for: date)
        let start = midnight < date ? midnight.addingTimeInterval(86_400) : midnight
        // Calendar weekday: 1 Sunday … 2 Monday … 7 Saturday.
        let weekday = calendar.component(.weekday, from: start)
        let days = (9 - weekday) % 7
        return start.addingTimeInterval(Double(days) * 86_400)
    }

    /// A manual clock at the epoch plus `offset` seconds.
    public static func clock(offset: TimeInterval = 0) -> ManualClock { ManualClock(date.addingTimeInterval(offset)) }

    /// A manual clock at `weekStart` (Monday 00:00 UTC) plus `offset` seconds.
    public static func weekClock(offset: TimeInterval = 0) -> ManualClock { ManualClock(weekStart.addingTimeInterval(offset)) }

    private static func dateOnly(_ text: String) -> Date? { Timestamp.parse(text + "T00:00:00Z") }
}
