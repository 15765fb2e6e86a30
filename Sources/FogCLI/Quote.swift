import ArgumentParser
import FogClient
import FogControllers
import FogMarket
import FogManifest
import FogModel
import FogStore
import Foundation

struct QuoteCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "quote",
        abstract: "Price federated jobs without creating anything: every factor, the unit price and the total.",
        discussion: "Tiers and privacy policies are read from the store (or --server); the market factor from its nodes.")

    @Option(name: .shortAndLong, help: ArgumentHelp("FederatedJob manifests (file, directory or -).", valueName: "file"))
    var filename: [String] = []
    @Option(name: .shortAndLong, help: ArgumentHelp("Output format: table, json or yaml.", valueName: "format"))
    var output = "table"
    @Flag(help: "Exit 1 when a job's total exceeds its budget.max (as admission would refuse it).")
    var check = false
    @OptionGroup var global: GlobalOptions

    func validate() throws {
        if !["table", "json", "yaml"].contains(output) { throw ValidationError("--output must be table, json or yaml (got \(output))") }
    }

    func run() async throws {
        let objects = try CLI.decode(files: filename, recursive: false, namespace: nil, consequence: "nothing was quoted")
        let jobs = objects.filter { $0.resource.kind == "FederatedJob" }
        if jobs.isEmpty { throw CommandFailure(code: 1, "error: no FederatedJob in \(filename.joined(separator: ", "))") }
        let client = try global.client()
        var quotes: [(Resource, FederatedJobSpec, Quote)] = []
        var problems: [String] = []
        do {
            let nodes = try await client.list(kind: "FogNode", namespace: nil, selector: LabelSelector()).items
            for decoded in jobs {
                let job = decoded.resource
                let spec: FederatedJobSpec
                do { spec = try job.decodeSpec(FederatedJobSpec.self) } catch {
                    problems.append("\(decoded.file):\(decoded.line):\(decoded.column): federatedjob/\(job.name): \(error)")
                    continue
                }
                let tierName = spec.tier
                let privacyName = spec.privacy
                guard let tier = try await client.get(ObjectKey(kind: "Tier", namespace: "", name: tierName)) else {
                    problems.append("\(decoded.file):\(decoded.line):\(decoded.column): federatedjob/\(job.name): tier \"\(tierName)\" does not exist (apply manifests/tiers.yaml)")
                    continue
                }
                guard let privacy = try await client.get(ObjectKey(kind: "PrivacyPolicy", namespace: "", name: privacyName)) else {
                    problems.append("\(decoded.file):\(decoded.line):\(decoded.column): federatedjob/\(job.name): privacy policy \"\(privacyName)\" does not exist (apply manifests/privacy-policies.yaml)")
                    continue
                }
                do {
                    let terms = TierTerms(name: tier.name, spec: try tier.decodeSpec(TierSpec.self))
                    let request = try QuoteRequest(job: spec, privacy: try privacy.decodeSpec(PrivacyPolicySpec.self))
                    let market = MarketState(fogNodes: nodes, tier: terms)
                    quotes.append((job, spec, try Pricing.quote(request, tier: terms, market: market)))
                } catch {
                    problems.append("\(decoded.file):\(decoded.line):\(decoded.column): federatedjob/\(job.name): \(error)")
                }
            }
        } catch { throw CLI.storeFailure(error) }
        if !problems.isEmpty { throw CommandFailure(code: 1, problems.map { "error: " + $0 }.joined(separator: "\n")) }
        // The same comparison admission makes: a total above budget.max is refused (OverBudget).
        func overBudget(_ spec: FederatedJobSpec, _ q: Quote) -> Double? {
            guard let max = spec.budget?.max, q.total > max else { return nil }
            return max
        }
        let over = quotes.compactMap { job, spec, q in
            overBudget(spec, q).map { String(format: "federatedjob/%@: the total %.2f %@ exceeds budget.max %.2f: admission would refuse it (OverBudget)", job.name, q.total, q.currency, $0) }
        }
        switch output {
        case "json", "yaml":
            let items: [JSONValue] = quotes.map { job, spec, q in
                var item: JSONValue = ["job": .string(job.namespace + "/" + job.name), "quote": q.json]
                if let max = spec.budget?.max { item["budget"] = ["max": .double(max), "withinBudget": .bool(overBudget(spec, q) == nil)] }
                return item
            }
            let value: JSONValue = items.count == 1 ? items[0] : .object(["items": .array(items)])
            CLI.console.out(output == "json" ? JSONPrettyPrinter.render(value) + "\n" : YAMLPrinter.render(value))
        default:
            CLI.console.out(quotes.map { job, spec, q -> String in
                var text = "federatedjob/\(job.name) (\(spec.type.rawValue), tier \(spec.tier)):\n" + QuoteText.render(q)
                if let max = spec.budget?.max {
                    text += String(format: "Budget: %.2f %@: %@\n", max, q.currency, overBudget(spec, q) == nil ? "within budget" : "OVER BUDGET")
                }
                return text
            }.joined(separator: "\n"))
        }
        if !over.isEmpty {
            CLI.console.err(over.map { "warning: " + $0 }.joined(separator: "\n") + "\n")
            if check { throw CommandFailure(code: 1, nil) }
        }
    }
}

/// Quotes and allocations as text, for `quote` and `describe`.
enum QuoteText {
    static func number(_ v: Double) -> String {
        if v == v.rounded() && abs(v) < 1e9 { return String(Int(v)) }
        return String(format: "%.4g", v)
    }

    static func render(_ q: Quote) -> String {
        var rows = q.factors.map { ["  " + $0.name, number($0.value), $0.detail] }
        rows.append(["  unit price", number(q.unitPrice), "\(q.currency) per \(q.unit)" + (q.clampedTo.map { " (clamped to the tier's \($0); unclamped \(number(q.unclampedUnitPrice)))" } ?? "")])
        rows.append(["  quantity", number(q.quantity), q.unit + (q.quantity == 1 ? "" : "s")])
        rows.append(["  total", String(format: "%.2f", q.total), q.currency])
        return "Quote:\n" + TablePrinter.render(header: ["  FACTOR", "VALUE", "DETAIL"], rows: rows)
    }

    static func participants(_ a: JSONValue, now: Date = Date()) -> String {
        let ps = a["participants"]?.arrayValue ?? []
        var s = "Participants: \(ps.count) (algorithm \(a["algorithm"]?.stringValue ?? "-"), total score \(number(a["totalScore"]?.numberValue ?? 0)), "
            + String(format: "%.2f to nodes)\n", a["totalPrice"]?.numberValue ?? 0)
        guard !ps.isEmpty else { return s }
        let rows = ps.map { p -> [String] in
            ["  " + (p["node"]?.stringValue ?? ""), p["region"]?.stringValue ?? "", p["class"]?.stringValue ?? "",
             number(p["score"]?.numberValue ?? 0), String(format: "%.4f", p["price"]?.numberValue ?? 0),
             p["aggregator"]?.boolValue == true ? "yes" : "", p["since"]?.stringValue.map { DescribeText.time($0, now: now) } ?? ""]
        }
        s += TablePrinter.render(header: ["  NODE", "REGION", "CLASS", "SCORE", "PRICE", "AGGREGATOR", "SINCE"], rows: rows)
        return s
    }
}
