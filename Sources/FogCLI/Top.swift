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
    @Option(help: ArgumentHelp("Requester region, for geographic-proximity.", valueName: "region"))
    var region: String?
    @Option(help: ArgumentHelp("Requester zone, for geographic-proximity.", valueName: "zone"))
    var zone: String?
    @Option(help: ArgumentHelp("Reference price per hour, for economic.", valueName: "usd"))
    var referencePrice = ScoringContext.defaultReferencePricePerHour
    @Option(help: ArgumentHelp("Show at most this many nodes (0: all).", valueName: "n"))
    var limit = 0
    @Option(name: .shortAndLong, help: ArgumentHelp("Output format: table or json.", valueName: "format"))
    var output = "table"
    @OptionGroup var global: GlobalOptions

    func validate() throws {
        if ScoringAlgorithm(rawValue: algorithm) == nil {
            throw ValidationError("unknown --algorithm \(algorithm); known: \(ScoringAlgorithm.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        if !["table", "json"].contains(output) { throw ValidationError("--output must be table or json (got \(output))") }
        if limit < 0 { throw ValidationError("--limit must not be negative") }
        if !(referencePrice > 0) { throw ValidationError("--reference-price must be positive") }
    }

    func run() async throws {
        let algo = ScoringAlgorithm(rawValue: algorithm)!
        let parsed: LabelSelector
        do { parsed = try LabelSelector.parse(selector ?? "") } catch { throw CommandFailure(code: 1, "error: -l: \(error)") }
        let nodes: [Resource]
        do { nodes = try await global.client().list(kind: "FogNode", namespace: nil, selector: parsed).items } catch { throw CLI.storeFailure(error) }
        let context = ScoringContext(requesterRegion: region, requesterZone: zone, referencePricePerHour: referencePrice)
        var ranked = TopNodes.rank(nodes, algorithm: algo, context: context, now: Date())
        if limit > 0 { ranked = Array(ranked.prefix(limit)) }
        if output == "json" {
            CLI.console.out(JSONPrettyPrinter.render(TopNodes.json(ranked, algorithm: algo)) + "\n")
        } else if ranked.isEmpty {
            CLI.console.err("No nodes found.\n")
        } else {
            CLI.console.out(TopNodes.table(ranked, algorithm: algo))
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

    static func json(_ rows: [Row], algorithm: ScoringAlgorithm) -> JSONValue {
        .object(["algorithm": .string(algorithm.rawValue), "weights": weightsJSON(algorithm.weights),
                 "items": .array(rows.enumerated().map { i, r in
                     func r2(_ v: Double) -> JSONValue { .double((v * 100).rounded() / 100) }
                     var components: [String: JSONValue] = ["latency": r2(r.score.latency), "uptime": r2(r.score.uptime),
                                                            "performance": r2(r.score.performance), "reliability": r2(r.score.reliability)]
                     if let e = r.score.extraComponent, let v = r.score.extra { components[e.rawValue] = r2(v) }
                     return ["rank": .int(Int64(i + 1)), "name": .string(r.node.name), "score": r2(r.score.total),
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
