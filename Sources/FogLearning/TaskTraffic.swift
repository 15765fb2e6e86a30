import FogModel

/// Bytes a task moved, by link (`status.traffic`): with a peer of its own region, with a peer of
/// another region, with the server (outside every region).
public struct TaskTraffic: Sendable, Equatable {
    public var withinRegion = 0
    public var crossRegion = 0
    public var server = 0
    public init() {}
    public init(json: JSONValue?) {
        withinRegion = Int(json?["withinRegion"]?.intValue ?? 0)
        crossRegion = Int(json?["crossRegion"]?.intValue ?? 0)
        server = Int(json?["server"]?.intValue ?? 0)
    }
    public var json: JSONValue {
        ["withinRegion": .int(Int64(withinRegion)), "crossRegion": .int(Int64(crossRegion)), "server": .int(Int64(server))]
    }
    public static func + (a: Self, b: Self) -> Self {
        var s = a
        s.withinRegion += b.withinRegion; s.crossRegion += b.crossRegion; s.server += b.server
        return s
    }
}
