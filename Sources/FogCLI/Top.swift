import ArgumentParser
import FogClient
import FogFleet
import FogManifest
import FogModel
import FogStore
import Foundation

struct Top: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show rankings computed from observed state.",
        subcommands: [TopNodesCommand.self])
}

struct TopNodesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "nodes",
        abstract: "Rank nodes by peer score, with every component shown.",
        discussion: "Algorithms: " + ScoringAlgorithm.allCases.map { "\($0.rawValue) (\($0.summary))" }.joined(separator: "; "))

    @Option(help: ArgumentHelp("Scoring algorithm.", valueName: "name"))
    var algorithm = "standard"
    @Option(name: [.customShort("l"), .long], help: ArgumentHelp("Label selector, e.g. fog/class=edge,fog/region in (eu-west).", valueName: "selector"))
    var selector: String?
    @Option(help: ArgumentHelp("Only nodes in this region (spec.region); also the requester's region for geographic-proximity unless --from-region is given.", valueName: "region"))
    var region: String?
    @Option(help: ArgumentHelp("Only nodes in this zone (spec.zone); also the requester's zone for geographic-proximity unless --from-zone is given.", valueName: "zone"))
    var zone: String?
    @Option(help: ArgumentHelp("Requester region, for geographic-proximity (ranks every region's nodes from there).", valueName: "region"))
    var fromRegion: String?
    @Option(help: ArgumentHelp("Requester zone, for geographic-proximity.", valueName: "zone"))
    var fromZone: String?
    @Option(help: ArgumentHelp("Reference price per hour, for economic.", valueName: "usd"))
    var referencePrice = ScoringContext.defaultReferencePricePerHour
    @Option(help: ArgumentHelp("Show at most this many nodes (0: all).", valueName: "n"))
    var limit = 0
    @Option(name: .shortAndLong, help: ArgumentHelp("Output format: table, json or yaml (json and yaml carry every column of the table).", valueName: "format"))
    var output = "table"
    @OptionGroup var global: GlobalOptions

    func validate() throws {
        if ScoringAlgorithm(rawValue: algorithm) == nil {
            throw ValidationError("unknown --algorithm \(algorithm); known: \(ScoringAlgorithm.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        if !["table", "json", "yaml"].contains(output) { throw ValidationError("--output must be table, json or yaml (got \(output))") }
        if limit < 0 { throw ValidationError("--limit must not be negative") }
        if !(referencePrice > 0) { throw ValidationError("--reference-price must be positive") }
    }

    func run() async throws {
        let algo = ScoringAlgorithm(rawValue: algorithm)!
        let parsed: LabelSelector
        do { parsed = try LabelSelector.parse(selector ?? "") } catch { throw CommandFailure(code: 1, "error: -l: \(error)") }
        let all: [Resource]
        do { all = try await global.client().list(kind: "FogNode", namespace: nil, selector: LabelSelector()).items } catch { throw CLI.storeFailure(error) }
        // --region and --zone filter, as kubectl filters by topology labels. A place no node is
        // in at all is more likely a typo than an empty place: an error that lists the places there are.
        func place(_ n: Resource, _ field: String) -> String? { n.spec?[field]?.stringValue }
        for (field, value) in [("region", region), ("zone", zone)] {
            guard let value, !all.isEmpty, !all.contains(where: { place($0, field) == value }) else { continue }
            let known = Set(all.compactMap { place($0, field) }).sorted().joined(separator: ", ")
            throw CommandFailure(code: 1, "error: no node is in \(field) \"\(value)\" (\(field == "zone" ? "zones" : "regions"): \(known))")
        }
        let nodes = all.filter { n in
            parsed.matches(n.metadata.labels) && (region == nil || place(n, "region") == region) && (zone == nil || place(n, "zone") == zone)
        }
        let context = ScoringContext(requesterRegion: fromRegion ?? region, requesterZone: fromZone ?? zone, referencePricePerHour: referencePrice)
        var ranked = TopNodes.rank(nodes, algorithm: algo, context: context, now: Date())
        if limit > 0 { ranked = Array(ranked.prefix(limit)) }
        switch output {
        case "json": CLI.console.out(JSONPrettyPrinter.render(TopNodes.json(ranked, algorithm: algo)) + "\n")
        case "yaml": CLI.console.out(YAMLPrinter.render(TopNodes.json(ranked, algorithm: algo)))
        default:
            if ranked.isEmpty {
                let place = [region.map { "region \($0)" }, zone.map { "zone \($0)" }].compactMap { $0 }.joined(separator: ", ")
                CLI.console.err(place.isEmpty ? "No nodes found.\n" : "No nodes found in \(place).\n")
            } else {
                CLI.console.out(TopNodes.table(ranked, algorithm: algo))
            }
        }
    }
}

/// Ranking of `FogNode`s for `fogctl top nodes` and `fogctl up`.
enum TopNodes {
    struct Row {
        var node: Resource
        var spec: FogNodeSpec
        var score: ScoreBreakdown
    }

    /// The nodes ranked; a node whose spec does not decode is left out.
    static func rank(_ nodes: [Resource], algorithm: ScoringAlgorithm, context: ScoringContext, now: Date) -> [Row] {
        let t = now.timeIntervalSince1970
        let readable = nodes.compactMap { n in (try? n.decodeSpec(FogNodeSpec.self)).map { (node: n, spec: $0) } }
        let byName = Dictionary(readable.map { ($0.node.name, $0) }, uniquingKeysWith: { a, _ in a })
        let ranked = PeerScoring.top(readable.map { (id: $0.node.name, stats: NodeStats(node: $0.node, spec: $0.spec, now: t)) },
                                     k: readable.count, algorithm: algorithm, context: context)
        return ranked.compactMap { r in byName[r.id].map { Row(node: $0.node, spec: $0.spec, score: r.score) } }
    }

    static func f(_ v: Double?) -> String { v.map { String(format: "%.1f", $0) } ?? "-" }

    static func table(_ rows: [Row], algorithm: ScoringAlgorithm) -> String {
        let extra = algorithm.weights.extra
        var header = ["RANK", "NAME", "CLASS", "REGION", "READY", "LATENCY", "UPTIME", "PERF", "RELIAB"]
        if let extra { header.append(extra.rawValue.uppercased()) }
        header += ["SCORE", "TRUST"]
        let body = rows.enumerated().map { i, r -> [String] in
            var row = [String(i + 1), r.node.name, r.spec.class.rawValue, r.spec.region,
                       r.node.condition("Ready")?.status.rawValue ?? "-",
                       f(r.score.latency), f(r.score.uptime), f(r.score.performance), f(r.score.reliability)]
            if extra != nil { row.append(f(r.score.extra)) }
            row += [f(r.score.total), r.node.status?["trust"]?.numberValue.map { String(format: "%.2f", $0) } ?? "0.50"]
            return row
        }
        return TablePrinter.render(header: header, rows: body)
    }

    /// Every column of `table`, and the zone: rank, name, class, region, zone, ready, the components
    /// (the algorithm's extra one included), score and trust.
    static func json(_ rows: [Row], algorithm: ScoringAlgorithm) -> JSONValue {
        .object(["algorithm": .string(algorithm.rawValue), "weights": weightsJSON(algorithm.weights),
                 "items": .array(rows.enumerated().map { i, r in
                     func r2(_ v: Double) -> JSONValue { .double((v * 100).rounded() / 100) }
                     var components: [String: JSONValue] = ["latency": r2(r.score.latency), "uptime": r2(r.score.uptime),
                                                            "performance": r2(r.score.performance), "reliability": r2(r.score.reliability)]
                     if let e = r.score.extraComponent, let v = r.score.extra { components[e.rawValue] = r2(v) }
                     let trust = r.node.status?["trust"]?.numberValue ?? 0.5
                     return ["rank": .int(Int64(i + 1)), "name": .string(r.node.name), "class": .string(r.spec.class.rawValue),
                             "region": .string(r.spec.region), "zone": r.node.spec?["zone"] ?? .null,
                             "ready": r.node.condition("Ready").map { .string($0.status.rawValue) } ?? .null,
                             "score": r2(r.score.total), "trust": .double((trust * 100).rounded() / 100),
                             "components": .object(components)]
                 })])
    }

    static func weightsJSON(_ w: ScoreWeights) -> JSONValue {
        var o: [String: JSONValue] = ["latency": .double(w.latency), "uptime": .double(w.uptime),
                                      "performance": .double(w.performance), "reliability": .double(w.reliability)]
        if let e = w.extra { o[e.rawValue] = .double(w.extraWeight) }
        return .object(o)
    }
}
