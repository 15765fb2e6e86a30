import ArgumentParser
import FogClient
import FogMarket
import FogModel
import FogStore
import Foundation

struct Describe: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show an object's metadata, spec, status and conditions.")

    @Argument(help: "KIND NAME or KIND/NAME")
    var arguments: [String] = []
    @Option(name: .shortAndLong, help: "Namespace (default: default).")
    var namespace: String?
    @OptionGroup var global: GlobalOptions

    func run() async throws {
        var args = arguments
        if args.count == 1, let slash = args[0].firstIndex(of: "/") {
            args = [String(args[0][..<slash]), String(args[0][args[0].index(after: slash)...])]
        }
        guard args.count == 2 else { throw CommandFailure(code: 1, "error: usage: fogctl describe KIND NAME") }
        let info = try CLI.kind(args[0])
        let key = ObjectKey(kind: info.kind, namespace: info.namespaced ? (namespace ?? "default") : "", name: args[1])
        let client = try global.client()
        let found: Resource?
        do { found = try await client.get(key) } catch { throw CLI.storeFailure(error) }
        guard let r = found else {
            throw CommandFailure(code: 1, CLI.notFound(info.plural, args[1]))
        }
        var text = Self.render(r)
        let events = (try? await client.list(kind: "Event", namespace: r.namespace.isEmpty ? "default" : r.namespace, selector: LabelSelector()).items) ?? []
        text += Self.renderEvents(events.filter {
            $0.content["involvedObject"]?["kind"]?.stringValue == r.kind && $0.content["involvedObject"]?["name"]?.stringValue == r.name
        })
        CLI.console.out(text)
    }

    /// The last ten events about the object, oldest first, as kubectl shows them.
    /// (Ordered by `EventOrder`; the age is that of the time they are ordered by.)
    static func renderEvents(_ events: [Resource], now: Date = Date()) -> String {
        guard !events.isEmpty else { return "Events:             <none>\n" }
        let sorted = EventOrder.chronological(events).suffix(10)
        let rows = sorted.map { e -> [String] in
            let count = e.content["count"]?.intValue ?? 1
            let age = Timestamp.age(from: EventOrder.time(e), now: now)
            let first = e.content["firstTimestamp"]?.stringValue
            let over = count > 1 && first != nil ? " over " + Timestamp.age(from: first, now: now) : ""
            return [e.content["type"]?.stringValue ?? "", e.content["reason"]?.stringValue ?? "",
                    count > 1 ? "\(age) (x\(count)\(over))" : age,
                    e.content["source"]?["component"]?.stringValue ?? "", e.content["message"]?.stringValue ?? ""]
        }
        return "Events:\n" + DescribeText.indent(TablePrinter.render(header: ["Type", "Reason", "Age", "From", "Message"], rows: rows), by: 2)
    }

    static func render(_ r: Resource, now: Date = Date()) -> String {
        func map(_ m: [String: String]) -> String {
            m.isEmpty ? "<none>" : m.keys.sorted().map { "\($0)=\(m[$0]!)" }.joined(separator: "\n" + String(repeating: " ", count: 20))
        }
        func field(_ name: String, _ value: String) -> String {
            name + ":" + String(repeating: " ", count: max(1, 20 - name.count - 1)) + value + "\n"
        }
        func section(_ name: String, _ v: JSONValue?) -> String {
            guard let o = v?.objectValue, !o.isEmpty else { return field(name, "<none>") }
            return name + ":\n" + DescribeText.fields(o, indent: 2, now: now)
        }
        let m = r.metadata
        var s = field("Name", m.name)
        if !m.namespace.isEmpty { s += field("Namespace", m.namespace) }
        s += field("Kind", r.kind)
        s += field("API Version", r.apiVersion)
        s += field("Labels", map(m.labels))
        s += field("Annotations", map(m.annotations))
        s += field("UID", m.uid)
        s += field("Resource Version", String(m.resourceVersion))
        s += field("Generation", String(m.generation))
        s += field("Created", m.creationTimestamp.map { DescribeText.time($0, now: now) } ?? "<unknown>")
        if let d = m.deletionTimestamp { s += field("Deleting Since", DescribeText.time(d, now: now)) }
        if !m.finalizers.isEmpty { s += field("Finalizers", m.finalizers.joined(separator: ", ")) }
        if !m.ownerReferences.isEmpty {
            s += field("Owners", m.ownerReferences.map { "\($0.kind)/\($0.name)" }.joined(separator: ", "))
        }
        for (key, value) in r.content.sorted(by: { $0.key < $1.key }) where key != "status" {
            s += value.objectValue != nil ? section(DescribeText.label(key), value) : field(DescribeText.label(key), DescribeText.scalar(value, now: now))
        }
        var status = r.status?.objectValue ?? [:]
        let conditions = r.conditions
        status.removeValue(forKey: "conditions")
        var jobSections = ""
        if r.kind == "FederatedJob" {
            if let q = status.removeValue(forKey: "quote"), let quote = Quote(json: q) { jobSections += QuoteText.render(quote) }
            if let a = status.removeValue(forKey: "allocation") { jobSections += QuoteText.participants(a, now: now) }
            if var t = status["training"]?.objectValue, let rounds = t["rounds"]?.arrayValue {
                jobSections += AccuracyChart.render(rounds)
                // The per-round list is long: the chart and the summary stand for it.
                t["rounds"] = .string("\(rounds.count) rounds (fogctl get federatedjob \(r.name) -o yaml shows them)")
                status["training"] = .object(t)
            }
        }
        if r.kind == "Auction" {
            // The receipts are long (one digest per bid): their count stands for them.
            if let bids = status.removeValue(forKey: "bids")?.objectValue { status["bids"] = .string("\(bids.count) received (digests: -o yaml)") }
            if let ranking = status.removeValue(forKey: "ranking")?.arrayValue { jobSections += AuctionText.ranking(ranking) }
        }
        s += section("Status", .object(status)) + jobSections
        if conditions.isEmpty {
            s += "Conditions:\n  <none>\n"
        } else {
            let rows = conditions.map { [$0.type, $0.status.rawValue, $0.reason, DescribeText.time($0.lastTransitionTime, now: now), $0.message] }
            s += "Conditions:\n" + DescribeText.indent(TablePrinter.render(header: ["Type", "Status", "Reason", "Last Transition", "Message"], rows: rows), by: 2)
        }
        return s
    }
}

/// Nested fields as `kubectl describe` prints them: labels in words ("roundTimeout" is
/// "Round Timeout"), a mapping's fields indented under it with their values aligned, a
/// sequence of scalars on one line, a sequence of flat mappings as a small table, any other
/// sequence as "- " blocks, and every time as RFC 3339 in UTC with its age.
enum DescribeText {
    /// "roundTimeout" → "Round Timeout", "maxLatencyMs" → "Max Latency Ms", "p99" → "P99".
    static func label(_ key: String) -> String {
        // A key that is data rather than a field name (a job's key, a label) stays as it is.
        guard key.allSatisfy({ $0.isLetter || $0.isNumber }) else { return key }
        var out = ""
        var previous: Character?
        for c in key {
            // A capital after a small letter starts a word, but not the B of a unit (GiB, MiB).
            let unit = c == "B" && out.hasSuffix("i") && out.dropLast().last?.isUppercase == true
            if c.isUppercase, !unit, let p = previous, p.isLowercase || p.isNumber { out.append(" ") }
            out.append(out.isEmpty || out.last == " " ? Character(c.uppercased()) : c)
            previous = c
        }
        return out
    }

    /// A time as one format everywhere: `2026-12-06T18:00:00Z (5m ago)`; text that is not a time as it is.
    static func time(_ text: String, now: Date) -> String {
        guard let d = Timestamp.parse(text) else { return text.isEmpty ? "<unknown>" : text }
        let ago = Timestamp.age(from: text, now: now)
        return Timestamp.format(d) + (d > now.addingTimeInterval(1) ? " (in the future)" : " (\(ago) ago)")
    }

    /// Whether a string is an RFC 3339 time (the only times objects carry).
    static func isTime(_ s: String) -> Bool {
        s.count >= 20 && s.count <= 35 && s.dropFirst(10).first == "T" && Timestamp.parse(s) != nil
    }

    static func scalar(_ v: JSONValue, now: Date) -> String {
        switch v {
        case .null: return "<none>"
        case .string(let s): return isTime(s) ? time(s, now: now) : s
        case .array(let a): return a.isEmpty ? "<none>" : a.map { scalar($0, now: now) }.joined(separator: ", ")
        case .object(let o): return o.isEmpty ? "<none>" : JSONCoding.encode(v)
        default: return YAMLPrinter.scalar(v)
        }
    }

    static func isScalar(_ v: JSONValue) -> Bool {
        switch v {
        case .object, .array: return false
        default: return true
        }
    }

    static func indent(_ text: String, by n: Int) -> String {
        let pad = String(repeating: " ", count: n)
        return text.split(separator: "\n", omittingEmptySubsequences: false).dropLast(text.hasSuffix("\n") ? 1 : 0)
            .map { $0.isEmpty ? "\n" : pad + $0 + "\n" }.joined()
    }

    /// The fields of a mapping, sorted by key, at `indent`.
    static func fields(_ o: [String: JSONValue], indent: Int, now: Date) -> String {
        let pad = String(repeating: " ", count: indent)
        let keys = o.keys.sorted()
        // Values of the scalar lines start in one column.
        let width = keys.filter { key in
            let v = o[key]!
            return isScalar(v) || v.arrayValue?.allSatisfy(isScalar) == true || v == .object([:])
        }.map { label($0).count }.max() ?? 0
        var s = ""
        for key in keys {
            let name = label(key) + ":"
            let value = o[key]!
            let line = { (text: String) in pad + name + String(repeating: " ", count: width + 3 - name.count) + text + "\n" }
            switch value {
            case .object(let child) where !child.isEmpty:
                s += pad + name + "\n" + fields(child, indent: indent + 2, now: now)
            case .array(let items) where !items.isEmpty && !items.allSatisfy(isScalar):
                s += pad + name + "\n" + sequence(items, indent: indent + 2, now: now)
            default:
                let text = scalar(value, now: now)
                if text.contains("\n") {
                    s += pad + name + "\n" + Self.indent(text, by: indent + 2)
                } else {
                    s += line(text)
                }
            }
        }
        return s
    }

    /// A sequence that holds mappings or sequences: a table when every item is a mapping of
    /// scalars (or of sequences of scalars), "- " blocks otherwise.
    static func sequence(_ items: [JSONValue], indent: Int, now: Date) -> String {
        let maps = items.compactMap(\.objectValue)
        if maps.count == items.count, maps.allSatisfy({ $0.values.allSatisfy { isScalar($0) || $0.arrayValue?.allSatisfy(isScalar) == true } }) {
            let columns = Array(Set(maps.flatMap(\.keys))).sorted()
            let rows = maps.map { m in columns.map { m[$0].map { scalar($0, now: now) } ?? "-" } }
            return Self.indent(TablePrinter.render(header: columns.map(label), rows: rows), by: indent)
        }
        let pad = String(repeating: " ", count: indent)
        var s = ""
        for item in items {
            if let o = item.objectValue, !o.isEmpty {
                let block = fields(o, indent: indent + 2, now: now)
                s += pad + "- " + block.dropFirst(indent + 2)
            } else if let a = item.arrayValue, !a.isEmpty, !a.allSatisfy(isScalar) {
                s += pad + "-\n" + sequence(a, indent: indent + 2, now: now)
            } else {
                s += pad + "- " + scalar(item, now: now) + "\n"
            }
        }
        return s
    }
}

/// Events in the order they last happened: by `eventTime` (microseconds), then
/// `lastTimestamp` for events written without one, then the store revision of their last
/// write (which orders even events written within one microsecond).
enum EventOrder {
    /// When an event last happened: its `eventTime`, else its `lastTimestamp`.
    static func time(_ e: Resource) -> String? {
        e.content["eventTime"]?.stringValue ?? e.content["lastTimestamp"]?.stringValue
    }

    static func chronological(_ events: [Resource]) -> [Resource] {
        func key(_ e: Resource) -> (Date, Int64) {
            (time(e).flatMap(Timestamp.parse) ?? .distantPast, e.metadata.resourceVersion)
        }
        return events.sorted { key($0) < key($1) }
    }
}

/// An auction's ranked bid table, after close: eligible bids by trust-weighted effective price,
/// then the bids that could not compete, with why.
enum AuctionText {
    static func ranking(_ rows: [JSONValue]) -> String {
        func num(_ v: JSONValue?) -> String { v?.numberValue.map { JSONCoding.formatDouble($0) } ?? "-" }
        let table = rows.map { r in
            [r["rank"]?.intValue.map(String.init) ?? "-", r["bid"]?.stringValue ?? "", r["node"]?.stringValue ?? "",
             r["region"]?.stringValue ?? "", num(r["price"]), num(r["trust"]), num(r["effectivePrice"]),
             r["outcome"]?.stringValue ?? "", num(r["payment"]), r["reason"]?.stringValue ?? ""]
        }
        return "Ranked Bids:\n" + DescribeText.indent(TablePrinter.render(
            header: ["RANK", "BID", "NODE", "REGION", "PRICE", "TRUST", "EFFECTIVE", "OUTCOME", "PAYMENT", "REASON"], rows: table), by: 2)
    }
}
