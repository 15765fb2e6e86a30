import Foundation
import Prometheus

/// What `/metrics` reports, in Prometheus' text format:
/// - `fog_api_requests_total{verb,kind,code}` and `fog_api_request_duration_seconds{verb,kind}`;
/// - `fog_api_status_patches_total{kind}`: status merge patches written, alone (`PATCH …/status`) or
///   as items of a `statuspatches` batch: for FogNodes, the heartbeats the server took in;
/// - `fog_api_watches` (open watch streams);
/// - `fog_controller_queue_depth{controller}` and `fog_controller_reconcile_duration_seconds{controller}`,
///   `fog_controller_reconcile_errors_total{controller}`;
/// - `fog_blob_bytes_total{direction="in"|"out",role}`: blob bytes received and sent (updates,
///   models), counted as they cross the server's socket, by the caller's role (agent, tenant, admin).
public final class ServerMetrics: @unchecked Sendable {
    public let registry = PrometheusCollectorRegistry()
    private let watches: Gauge
    private let lock = NSLock()
    private var openWatches = 0
    /// Read at scrape time: controller name → queue depth.
    public var queueDepths: (@Sendable () -> [(String, Int)])?
    /// Read at scrape time: the controller lease as this server sees it (several servers over one database).
    public var leadership: (@Sendable () -> Leadership)?

    public struct Leadership: Sendable {
        public var identity: String
        public var leader: String?
        public var isLeader: Bool
        public var token: Int64?
        /// Controller writes the store refused because their fencing token was stale or their lease had run out.
        public var refusedWrites: Int
        public init(identity: String, leader: String?, isLeader: Bool, token: Int64?, refusedWrites: Int = 0) {
            self.identity = identity
            self.leader = leader
            self.isLeader = isLeader
            self.token = token
            self.refusedWrites = refusedWrites
        }
    }

    static let latencyBuckets: [Duration] = [.microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10),
                                             .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250), .seconds(1)]

    static func name(_ subsystem: String, _ metric: String, _ unit: String, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(namespace: "fog", subsystem: subsystem, metricName: metric, unitName: unit, helpText: help)
    }
    static var requests: MetricNameDescriptor { name("api", "requests", "total", "API requests by verb, kind and status code") }
    static var requestDuration: MetricNameDescriptor { name("api", "request_duration", "seconds", "API request latency by verb and kind") }
    static var statusPatches: MetricNameDescriptor { name("api", "status_patches", "total", "Status merge patches written, alone or in batches, by kind") }
    static var openWatches: MetricNameDescriptor { name("api", "watches", "", "Open watch streams") }
    static var reconcileDuration: MetricNameDescriptor { name("controller", "reconcile_duration", "seconds", "Reconcile duration by controller") }
    static var reconcileErrors: MetricNameDescriptor { name("controller", "reconcile_errors", "total", "Reconciles that failed, by controller") }
    static var blobBytes: MetricNameDescriptor { name("blob", "bytes", "total", "Blob bytes received (in) and sent (out), by the caller's role") }
    static var queueDepth: MetricNameDescriptor { name("controller", "queue", "depth", "Keys waiting, by controller") }

    public init() {
        watches = registry.makeGauge(descriptor: Self.openWatches)
    }

    func request(verb: String, kind: String, code: Int, seconds: Double) {
        registry.makeCounter(descriptor: Self.requests, labels: [("verb", verb), ("kind", kind), ("code", String(code))]).increment()
        registry.makeDurationHistogram(descriptor: Self.requestDuration, labels: [("verb", verb), ("kind", kind)], buckets: Self.latencyBuckets)
            .recordNanoseconds(Int64(seconds * 1e9))
    }

    /// Status patches written (heartbeats, for FogNodes).
    func statusPatched(kind: String, count: Int = 1) {
        registry.makeCounter(descriptor: Self.statusPatches, labels: [("kind", kind)]).increment(by: Int64(count))
    }

    /// Blob bytes that crossed the server's socket.
    func blobBytes(_ count: Int, out: Bool, role: String) {
        registry.makeCounter(descriptor: Self.blobBytes, labels: [("direction", out ? "out" : "in"), ("role", role)]).increment(by: Int64(count))
    }

    func watchOpened() { lock.withLock { openWatches += 1; watches.set(Double(openWatches)) } }
    func watchClosed() { lock.withLock { openWatches -= 1; watches.set(Double(openWatches)) } }

    /// For `Manager.Options.observer`.
    public func reconciled(controller: String, seconds: Double, failed: Bool) {
        registry.makeDurationHistogram(descriptor: Self.reconcileDuration, labels: [("controller", controller)], buckets: Self.latencyBuckets)
            .recordNanoseconds(Int64(seconds * 1e9))
        if failed { registry.makeCounter(descriptor: Self.reconcileErrors, labels: [("controller", controller)]).increment() }
    }

    public func render() -> String {
        for (name, depth) in queueDepths?() ?? [] {
            registry.makeGauge(descriptor: Self.queueDepth, labels: [("controller", name)]).set(Double(depth))
        }
        var buffer: [UInt8] = []
        registry.emit(into: &buffer)
        var text = String(decoding: buffer, as: UTF8.self)
        if let l = leadership?() {
            // `fog_leader_is_self`: 1 on the server whose controllers run; `fog_leader_info`: who that is.
            func quoted(_ v: String) -> String { "\"" + v.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\"" }
            text += "# HELP fog_leader_is_self 1 when this server holds the controller lease\n# TYPE fog_leader_is_self gauge\n"
            text += "fog_leader_is_self{identity=\(quoted(l.identity))} \(l.isLeader ? 1 : 0)\n"
            text += "# HELP fog_leader_info The controller lease's holder as this server last saw it, and its fencing token (-1: none)\n# TYPE fog_leader_info gauge\n"
            text += "fog_leader_info{leader=\(quoted(l.leader ?? ""))} \(l.token ?? -1)\n"
            text += "# HELP fog_fenced_writes_refused_total Controller writes refused: their fencing token was stale or their lease had run out\n# TYPE fog_fenced_writes_refused_total counter\n"
            text += "fog_fenced_writes_refused_total \(l.refusedWrites)\n"
        }
        return text
    }
}
