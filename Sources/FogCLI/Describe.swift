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
    /// (Ordered by `EventOrder`.)
    static func renderEvents(_ events: [Resource], now: Date = Date()) -> String {
        guard !events.isEmpty else { return "Events:             <none>\n" }
        let sorted = EventOrder.chronological(events).suffix(10)
        let rows = sorted.map { e -> [String] in
            let count = e.content["count"]?.intValue ?? 1
            let age = Timestamp.age(from: e.content["lastTimestamp"]?.stringValue, now: now)
            return [e.content["type"]?.stringValue ?? "", e.content["reason"]?.stringValue ?? "",
                    count > 1 ? "\(age) (x\(count))" : age,
                    e.content["source"]?["component"]?.stringValue ?? "", e.content["message"]?.stringValue ?? ""]
        }
        return "Events:\n" + TablePrinter.render(header: ["Type", "Reason", "Age", "From", "Message"], rows: rows)
            .split(separator: "\n").map { "  " + $0 + "\n" }.joined()
    }

    static func render(_ r: Resource) -> String {
        func map(_ m: [String: String]) -> String {
            m.isEmpty ? "<none>" : m.keys.sorted().map { "\($0)=\(m[$0]!)" }.joined(separator: "\n" + String(repeating: " ", count: 20))
        }
        func field(_ name: String, _ value: String) -> String {
            name + ":" + String(repeating: " ", count: max(1, 20 - name.count - 1)) + value + "\n"
        }
        func indented(_ v: JSONValue?) -> String {
            guard let v, v != .object([:]) else { return "  <none>\n" }
            return YAMLPrinter.render(v).split(separator: "\n", omittingEmptySubsequences: false)
                .filter { !$0.isEmpty }.map { "  " + $0 + "\n" }.joined()
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
        s += field("Created", m.creationTimestamp ?? "<unknown>")
        if let d = m.deletionTimestamp { s += field("Deleting Since", d) }
        if !m.finalizers.isEmpty { s += field("Finalizers", m.finalizers.joined(separator: ", ")) }
        if !m.ownerReferences.isEmpty {
            s += field("Owners", m.ownerReferences.map { "\($0.kind)/\($0.name)" }.joined(separator: ", "))
        }
        for (key, value) in r.content.sorted(by: { $0.key < $1.key }) where key != "status" {
            s += key.prefix(1).uppercased() + key.dropFirst() + ":\n" + indented(value)
        }
        var status = r.status?.objectValue ?? [:]
        let conditions = r.conditions
        status.removeValue(forKey: "conditions")
        var jobSections = ""
        if r.kind == "FederatedJob" {
            if let q = status.removeValue(forKey: "quote"), let quote = Quote(json: q) { jobSections += QuoteText.render(quote) }
            if let a = status.removeValue(forKey: "allocation") { jobSections += QuoteText.participants(a) }
            if var t = status["training"]?.objectValue, let rounds = t["rounds"]?.arrayValue {
                jobSections += AccuracyChart.render(rounds)
                // The per-round list is long: the chart and the summary stand for it.
                t["rounds"] = .string("\(rounds.count) rounds (fogctl get federatedjob \(r.name) -o yaml shows them)")
                status["training"] = .object(t)
            }
        }
        s += "Status:\n" + indented(.object(status)) + jobSections
        s += "Conditions:\n"
        if conditions.isEmpty {
            s += "  <none>\n"
        } else {
            let rows = conditions.map { [$0.type, $0.status.rawValue, $0.reason, $0.lastTransitionTime, $0.message] }
            s += TablePrinter.render(header: ["Type", "Status", "Reason", "Last Transition", "Message"], rows: rows)
                .split(separator: "\n").map { "  " + $0 + "\n" }.joined()
        }
        return s
    }
}

/// Events in the order they last happened: by `eventTime` (microseconds), then
/// `lastTimestamp` for events written without one, then the store revision of their last
/// write (which orders even events written within one microsecond).
enum EventOrder {
    static func chronological(_ events: [Resource]) -> [Resource] {
        func key(_ e: Resource) -> (Date, Int64) {
            let text = e.content["eventTime"]?.stringValue ?? e.content["lastTimestamp"]?.stringValue ?? ""
            return (Timestamp.parse(text) ?? .distantPast, e.metadata.resourceVersion)
        }
        return events.sorted { key($0) < key($1) }
    }
}
