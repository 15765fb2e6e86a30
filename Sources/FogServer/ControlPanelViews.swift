import FogModel
import Foundation

/// What the control panel's API answers, computed from the objects its caller may read (pure:
/// the tests call it on fixtures). The server does the counting, sorting, filtering and paging,
/// so that a page costs one request and a bounded answer whatever the fleet's size.
public enum ControlPanelViews {
    /// The kinds the overview reads.
    public static let kinds = ["FogNode", "FederatedJob", "Auction", "CircuitPool", "GitSource", "Event"]

    // MARK: Overview

    public static func overview(_ objects: [String: [Resource]], now: Date) -> JSONValue {
        var o: [String: JSONValue] = ["generatedAt": .string(Timestamp.format(now))]
        // A section the caller may not read is absent (the page says so), not empty.
        if let nodes = objects["FogNode"] {
            var regions: [String: (Int, Int)] = [:]
            var classes: [String: (Int, Int)] = [:]
            var ready = 0
            for n in nodes {
                let r = isReady(n)
                if r { ready += 1 }
                let region = n.spec?["region"]?.stringValue ?? "-", cls = n.spec?["class"]?.stringValue ?? "-"
                regions[region, default: (0, 0)].0 += 1
                classes[cls, default: (0, 0)].0 += 1
                if r { regions[region]!.1 += 1; classes[cls]!.1 += 1 }
            }
            func rows(_ d: [String: (Int, Int)], _ label: String) -> JSONValue {
                .array(d.sorted { $0.key < $1.key }.map { [label: .string($0.key), "total": .int(Int64($0.value.0)), "ready": .int(Int64($0.value.1))] })
            }
            o["nodes"] = ["total": .int(Int64(nodes.count)), "ready": .int(Int64(ready)), "notReady": .int(Int64(nodes.count - ready)),
                          "byRegion": rows(regions, "region"), "byClass": rows(classes, "class")]
        }
        if let jobs = objects["FederatedJob"] {
            var phases: [String: Int64] = [:]
            for j in jobs { phases[j.status?["phase"]?.stringValue ?? "Pending", default: 0] += 1 }
            // Jobs still at work first, then the newest.
            let shown = jobs.sorted {
                (isFinal($0) ? 1 : 0, $1.metadata.creationTimestamp ?? "", $0.namespace, $0.name)
                    < (isFinal($1) ? 1 : 0, $0.metadata.creationTimestamp ?? "", $1.namespace, $1.name)
            }.prefix(12)
            o["jobs"] = ["total": .int(Int64(jobs.count)), "byPhase": .object(phases.mapValues { .int($0) }),
                         "list": .array(shown.map(jobRow))]
        }
        if let auctions = objects["Auction"] {
            let open = auctions.filter { $0.status?["phase"]?.stringValue == "Open" }
            o["auctions"] = ["total": .int(Int64(auctions.count)), "open": .int(Int64(open.count)),
                             "list": .array(auctions.sorted { ($0.namespace, $0.name) < ($1.namespace, $1.name) }.prefix(12).map(auctionRow))]
        }
        if let pools = objects["CircuitPool"] {
            o["circuitPools"] = .array(pools.sorted { $0.name < $1.name }.map { p in
                ["namespace": .string(p.namespace), "name": .string(p.name), "wanted": p.spec?["circuits"] ?? .null, "hops": p.spec?["hops"] ?? .null,
                 "readyCircuits": p.status?["readyCircuits"] ?? .null, "ready": condition(p, "Ready")]
            })
        }
        if let sources = objects["GitSource"] {
            o["gitSources"] = .array(sources.sorted { ($0.namespace, $0.name) < ($1.namespace, $1.name) }.map { g in
                ["namespace": .string(g.namespace), "name": .string(g.name), "ready": condition(g, "Ready"),
                 "lastAppliedRevision": g.status?["lastAppliedRevision"] ?? .null, "inventoryCount": g.status?["inventoryCount"] ?? .null]
            })
        }
        if let events = objects["Event"] { o["events"] = newest(events, limit: 15) }
        return .object(o)
    }

    static func isReady(_ r: Resource) -> Bool { r.condition("Ready")?.status == .true }
    static func isFinal(_ j: Resource) -> Bool { ["Succeeded", "Failed", "Stopped"].contains(j.status?["phase"]?.stringValue ?? "") }

    static func condition(_ r: Resource, _ type: String) -> JSONValue {
        guard let c = r.condition(type) else { return .null }
        return ["status": .string(c.status.rawValue), "reason": .string(c.reason), "message": .string(c.message)]
    }

    static func jobRow(_ j: Resource) -> JSONValue {
        let t = j.status?["training"]
        return ["namespace": .string(j.namespace), "name": .string(j.name), "type": j.spec?["type"] ?? .null, "privacy": j.spec?["privacy"] ?? .null,
                "phase": j.status?["phase"] ?? "Pending", "round": t?["round"] ?? .null, "rounds": j.spec?["training"]?["rounds"] ?? .null,
                "accuracy": t?["accuracy"] ?? j.status?["inference"]?["accuracy"] ?? .null,
                "participants": j.status?["allocation"]?["participantCount"] ?? .null, "mode": j.spec?["allocation"]?["mode"] ?? .null]
    }

    static func auctionRow(_ a: Resource) -> JSONValue {
        ["namespace": .string(a.namespace), "name": .string(a.name), "job": a.spec?["job"] ?? .null, "phase": a.status?["phase"] ?? .null,
         "bids": a.status?["bidCount"] ?? .null, "winners": a.status?["winnerCount"] ?? .null,
         "clearingPrice": a.status?["clearingPrice"] ?? .null, "closesAt": a.status?["closesAt"] ?? .null]
    }

    // MARK: Nodes

    public struct NodeQuery: Sendable {
        public var sort: String
        public var descending: Bool
        public var text: String?
        public var region: String?
        public var deviceClass: String?
        /// "true" or "false".
        public var ready: String?
        public var offset: Int
        public var limit: Int
        public init(sort: String = "name", descending: Bool = false, text: String? = nil, region: String? = nil, deviceClass: String? = nil,
                    ready: String? = nil, offset: Int = 0, limit: Int = 50) {
            self.sort = sort; self.descending = descending; self.text = text; self.region = region
            self.deviceClass = deviceClass; self.ready = ready; self.offset = offset; self.limit = limit
        }
    }

    /// The columns the node table sorts by, each a value of one row.
    public static let nodeSortKeys = ["name", "region", "class", "ready", "cpu", "memory", "rtt", "trust", "score", "reservations"]

    /// One page of the node table: filtered, sorted (then by name), and the region view's counts
    /// over the filtered set.
    public static func nodes(_ all: [Resource], _ q: NodeQuery) -> JSONValue {
        let text = q.text?.lowercased()
        let filtered = all.filter { n in
            if let region = q.region, n.spec?["region"]?.stringValue != region { return false }
            if let cls = q.deviceClass, n.spec?["class"]?.stringValue != cls { return false }
            if let ready = q.ready, (ready == "true") != isReady(n) { return false }
            if let text, !n.name.lowercased().contains(text), !n.metadata.labels.contains(where: { "\($0.key)=\($0.value)".lowercased().contains(text) }) {
                return false
            }
            return true
        }
        let rows = filtered.map(nodeRow)
        let key = nodeSortKeys.contains(q.sort) ? q.sort : "name"
        let sorted = rows.sorted { a, b in
            let c = compare(a[key], b[key])
            if c != 0 { return q.descending ? c > 0 : c < 0 }
            return (a["name"]?.stringValue ?? "") < (b["name"]?.stringValue ?? "")
        }
        let limit = max(1, min(q.limit, 500)), offset = max(0, min(q.offset, sorted.count))
        var regions: [String: (Int, Int)] = [:]
        for r in rows {
            let region = r["region"]?.stringValue ?? "-"
            regions[region, default: (0, 0)].0 += 1
            if r["ready"]?.boolValue == true { regions[region]!.1 += 1 }
        }
        return ["total": .int(Int64(filtered.count)), "offset": .int(Int64(offset)), "limit": .int(Int64(limit)), "sort": .string(key),
                "order": .string(q.descending ? "desc" : "asc"), "items": .array(Array(sorted[offset..<min(sorted.count, offset + limit)])),
                "regions": .array(regions.sorted { $0.key < $1.key }.map { ["region": .string($0.key), "total": .int(Int64($0.value.0)), "ready": .int(Int64($0.value.1))] })]
    }

    static func nodeRow(_ n: Resource) -> JSONValue {
        let t = n.status?["telemetry"]
        let scores = n.status?["scores"]
        let reservations = n.status?["reservations"]?.objectValue ?? [:]
        return ["name": .string(n.name), "region": n.spec?["region"] ?? .null, "class": n.spec?["class"] ?? .null,
                "roles": n.spec?["roles"] ?? .null, "ready": .bool(isReady(n)), "unschedulable": n.spec?["unschedulable"] ?? false,
                "cpu": t?["cpu"]?["utilization"] ?? .null, "memory": memoryUsed(t?["memory"]),
                "rtt": t?["rttAverageMillis"] ?? t?["rttMillis"] ?? .null, "trust": n.status?["trust"] ?? .null,
                "score": scores?["standard"] ?? .null, "scores": scores ?? .null,
                "reservations": .int(Int64(reservations.count)), "reservedBy": .array(reservations.keys.sorted().map { .string($0) }),
                "capacity": n.spec?["capacity"] ?? .null, "lastHeartbeatTime": n.status?["lastHeartbeatTime"] ?? .null]
    }

    /// The share of memory in use, from the agent's total and available bytes.
    static func memoryUsed(_ m: JSONValue?) -> JSONValue {
        guard let total = m?["totalBytes"]?.numberValue, total > 0, let available = m?["availableBytes"]?.numberValue else { return .null }
        return .double(((1 - available / total) * 1000).rounded() / 1000)
    }

    /// Orders two cells: absent last, numbers as numbers, booleans true first, text as text.
    static func compare(_ a: JSONValue?, _ b: JSONValue?) -> Int {
        switch (a, b) {
        case (nil, nil), (.null?, .null?), (nil, .null?), (.null?, nil): return 0
        case (nil, _), (.null?, _): return 1
        case (_, nil), (_, .null?): return -1
        default: break
        }
        if let x = a?.numberValue, let y = b?.numberValue { return x < y ? -1 : (x > y ? 1 : 0) }
        if let x = a?.boolValue, let y = b?.boolValue { return x == y ? 0 : (x ? -1 : 1) }
        let x = a?.stringValue ?? "", y = b?.stringValue ?? ""
        return x < y ? -1 : (x > y ? 1 : 0)
    }

    // MARK: Lists

    /// The kinds `/ui/api/list` pages, each with its row.
    public static let listed: Set<String> = ["FederatedJob", "Auction", "GitSource", "CircuitPool"]

    /// One page of `kind`'s objects in a namespace (nil: all the caller may read) matching
    /// `selector`, ordered by namespace and name, as rows.
    public static func list(_ all: [Resource], kind: String, namespace: String?, selector: LabelSelector, offset: Int, limit: Int) -> JSONValue {
        let matching = all.filter { (namespace == nil || $0.namespace == namespace) && selector.matches($0.metadata.labels) }
            .sorted { ($0.namespace, $0.name) < ($1.namespace, $1.name) }
        let limit = max(1, min(limit, 500)), offset = max(0, min(offset, matching.count))
        let row: (Resource) -> JSONValue
        switch kind {
        case "FederatedJob": row = jobRow
        case "Auction": row = auctionRow
        case "GitSource": row = { g in
            ["namespace": .string(g.namespace), "name": .string(g.name), "url": g.spec?["url"] ?? .null, "ready": condition(g, "Ready"),
             "lastAppliedRevision": g.status?["lastAppliedRevision"] ?? .null, "inventoryCount": g.status?["inventoryCount"] ?? .null,
             "lastAppliedTime": g.status?["lastAppliedTime"] ?? .null]
        }
        default: row = { p in
            ["namespace": .string(p.namespace), "name": .string(p.name), "hops": p.spec?["hops"] ?? .null, "wanted": p.spec?["circuits"] ?? .null,
             "lifetime": p.spec?["lifetime"] ?? .null, "readyCircuits": p.status?["readyCircuits"] ?? .null, "ready": condition(p, "Ready")]
        }
        }
        return ["total": .int(Int64(matching.count)), "offset": .int(Int64(offset)), "limit": .int(Int64(limit)),
                "items": .array(matching[offset..<min(matching.count, offset + limit)].map(row))]
    }

    // MARK: Events and history

    public static func events(_ all: [Resource], kind: String?, namespace: String?, name: String?, limit: Int) -> JSONValue {
        let matching = all.filter { e in
            let o = e.content["involvedObject"]
            if let kind, o?["kind"]?.stringValue != kind { return false }
            if let name, o?["name"]?.stringValue != name { return false }
            if let namespace, (o?["namespace"]?.stringValue ?? "") != namespace { return false }
            return true
        }
        return ["items": newest(matching, limit: max(1, min(limit, 500))), "total": .int(Int64(matching.count))]
    }

    static func newest(_ events: [Resource], limit: Int) -> JSONValue {
        func time(_ e: Resource) -> String {
            e.content["eventTime"]?.stringValue ?? e.content["lastTimestamp"]?.stringValue ?? e.metadata.creationTimestamp ?? ""
        }
        return .array(events.sorted { (time($0), $0.name) > (time($1), $1.name) }.prefix(limit).map { e in
            ["type": e.content["type"] ?? .null, "reason": e.content["reason"] ?? .null, "message": e.content["message"] ?? .null,
             "count": e.content["count"] ?? .null, "time": .string(time(e)), "object": e.content["involvedObject"] ?? .null]
        })
    }

    /// The spec as each retained version left it, one entry per generation (status writes do
    /// not make a new one): what each apply changed.
    public static func history(_ versions: [Resource]) -> JSONValue {
        var seen: Set<Int64> = []
        var out: [JSONValue] = []
        for v in versions where seen.insert(v.metadata.generation).inserted {
            out.append(["generation": .int(v.metadata.generation), "resourceVersion": .string(String(v.metadata.resourceVersion)),
                        "spec": v.spec ?? .null, "labels": .object(v.metadata.labels.mapValues { .string($0) }),
                        "annotations": .object(v.metadata.annotations.mapValues { .string($0) })])
        }
        return ["versions": .array(out)]
    }
}
