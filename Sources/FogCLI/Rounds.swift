import ArgumentParser
import FogClient
import FogModel
import Foundation

/// `fogctl rounds JOB [-w] [--round N]`: a training job's rounds as the training controller
/// records them (`status.training.rounds`), one row per finished round; `-w` prints each new
/// round as it is aggregated (through the watch API) until the job ends; `--round N` shows
/// the per-client reports of one round.
struct Rounds: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show a training job's rounds (-w: as they finish; --round N: that round's clients).",
        discussion: """
            One row per finished round: how many of its participants reported and how many updates were \
            aggregated, the new global model's test accuracy and loss, the round's duration (the controller's \
            clock, from its tasks' creation to aggregation) and the update bytes received (under a hierarchy, the \
            updates and the regions' aggregates that reached the server). -w prints each \
            round as it finishes and ends when the job does (exit 1 if it Failed) or on --timeout. The last \
            200 rounds are kept, and per-client metrics for the last 20 (at most 2000 entries).
            """)

    @Argument(help: "The training FederatedJob.")
    var job: String
    @Option(name: .shortAndLong, help: "Namespace (default: default).")
    var namespace = "default"
    @Flag(name: [.customShort("w"), .customLong("watch")], help: "Print rounds as they finish, until the job ends.")
    var watch = false
    @Option(help: ArgumentHelp("With -w: stop after this long.", valueName: "duration"))
    var timeout: DurationArgument?
    @Option(help: ArgumentHelp("Show the per-client reports of round N.", valueName: "n"))
    var round: Int?
    @Option(name: .shortAndLong, help: ArgumentHelp("table or json.", valueName: "format"))
    var output = "table"
    @OptionGroup var global: GlobalOptions

    func validate() throws {
        if !["table", "json"].contains(output) { throw ValidationError("--output must be table or json (got \(output))") }
        if watch && round != nil { throw ValidationError("-w and --round do not go together") }
    }

    func run() async throws {
        let client = try global.client()
        let key = ObjectKey(kind: "FederatedJob", namespace: namespace, name: job)
        do {
            let from = try await client.currentRevision()
            guard let r = try await client.get(key) else { throw CommandFailure(code: 1, CLI.notFound("federatedjobs", job)) }
            if r.spec?["type"]?.stringValue == "inference" {
                throw CommandFailure(code: 1, "error: federatedjob/\(job) is an inference job; it has no training rounds"
                                     + (r.spec?["model"]?["fromJob"]?.stringValue.map { " (its model comes from `fogctl rounds \($0)`)" } ?? ""))
            }
            let rounds = Self.rounds(of: r)
            if let n = round { return try printClients(of: n, rounds: rounds, job: r) }
            if output == "json" && !watch {
                CLI.console.out(JSONPrettyPrinter.render(.array(rounds)))
                return
            }
            let printed = rounds.last?["round"]?.intValue ?? 0
            if output == "json" {
                for row in rounds { CLI.console.out(JSONCoding.encode(row) + "\n") }
            } else if !rounds.isEmpty || watch {
                CLI.console.out(TablePrinter.render(header: Self.header, rows: rounds.map(Self.row)))
            }
            if rounds.isEmpty && !watch { CLI.console.err("federatedjob/\(job) has finished no round yet (phase \(r.status?["phase"]?.stringValue ?? "Pending"))\n") }
            guard watch else { return }
            if let failure = Self.ended(r) { return try finish(failure) }
            // Each new version of the job: the rounds after the last one printed.
            let stream = client.watch(kind: "FederatedJob", namespace: namespace, from: from)
            let output = self.output
            let box = SendableBox<String?>(nil)
            let body: @Sendable () async throws -> Void = {
                var last = printed
                for try await event in stream {
                    guard let j = event.object, j.name == key.name else { continue }
                    if case .deleted = event {
                        box.value = "error: federatedjob/\(key.name) was deleted"
                        return
                    }
                    let new = Self.rounds(of: j).filter { ($0["round"]?.intValue ?? 0) > last }
                    for row in new {
                        if output == "json" {
                            CLI.console.out(JSONCoding.encode(row) + "\n")
                        } else {
                            // As `get -w`: each new row aligned to the header's columns, without the header line.
                            let table = TablePrinter.render(header: Self.header, rows: [Self.row(row)])
                            CLI.console.out(String(table.drop(while: { $0 != "\n" }).dropFirst()))
                        }
                        last = row["round"]?.intValue ?? last
                    }
                    if let end = Self.ended(j) {
                        box.value = end
                        return
                    }
                }
            }
            try await Logs.withTimeout(timeout?.seconds, body)
            if let end = box.value { try finish(end) }
        } catch let e as CommandFailure { throw e } catch is CancellationError {
        } catch { throw CLI.storeFailure(error) }
    }

    /// Succeeded: a summary on stderr. Failed or deleted: exit 1.
    func finish(_ end: String) throws {
        if end.hasPrefix("error:") { throw CommandFailure(code: 1, end) }
        CLI.console.err(end + "\n")
    }

    /// How the job ended ("error: …" when it failed), or nil while it runs.
    static func ended(_ job: Resource) -> String? {
        switch job.status?["phase"]?.stringValue {
        case "Succeeded"?:
            let t = job.status?["training"]
            let accuracy = t?["accuracy"]?.numberValue.map { String(format: "%.4f", $0) } ?? "-"
            return "federatedjob/\(job.name) Succeeded: round \(t?["round"]?.intValue ?? 0), test accuracy \(accuracy)"
        case "Failed"?:
            let c = job.condition("Failed")
            return "error: federatedjob/\(job.name) Failed" + (c.map { ": \($0.reason): \($0.message)" } ?? "")
        default: return nil
        }
    }

    static func rounds(of job: Resource) -> [JSONValue] { job.status?["training"]?["rounds"]?.arrayValue ?? [] }

    static let header = ["ROUND", "REPORTED", "AGGREGATED", "ACCURACY", "LOSS", "DURATION", "BYTES", "EXCLUDED", "DROPPED"]

    static func row(_ r: JSONValue) -> [String] {
        let aggregated = r["participants"]?.intValue ?? 0
        let excluded = r["excluded"]?.arrayValue ?? []
        let dropped = r["dropped"]?.arrayValue ?? []
        let reported: String
        if let clients = r["clients"]?.arrayValue {
            let n = clients.filter { $0["status"]?.stringValue != "Missing" }.count
            reported = "\(n)/\(clients.count)"
        } else {
            reported = "\(Int(aggregated) + excluded.count)/\(Int(aggregated) + excluded.count + dropped.count)"
        }
        return [String(r["round"]?.intValue ?? 0), reported, String(aggregated),
                r["accuracy"]?.numberValue.map { String(format: "%.4f", $0) } ?? "-",
                r["loss"]?.numberValue.map { String(format: "%.4f", $0) } ?? "-",
                r["seconds"]?.numberValue.map(Self.duration) ?? "-",
                r["bytes"]?.intValue.map(Self.bytes) ?? "-",
                String(excluded.count), String(dropped.count)]
    }

    /// Per-client reports of round `n`.
    func printClients(of n: Int, rounds: [JSONValue], job: Resource) throws {
        guard let entry = rounds.first(where: { $0["round"]?.intValue == Int64(n) }) else {
            let have = rounds.isEmpty ? "none finished yet" : "rounds \(rounds.first?["round"]?.intValue ?? 0)–\(rounds.last?["round"]?.intValue ?? 0) are kept"
            throw CommandFailure(code: 1, "error: federatedjob/\(job.name) has no round \(n) (\(have))")
        }
        guard let clients = entry["clients"]?.arrayValue else {
            throw CommandFailure(code: 1, "error: round \(n) of federatedjob/\(job.name) has no per-client metrics (they are kept for the last 20 rounds, at most 2000 entries)")
        }
        if output == "json" {
            CLI.console.out(JSONPrettyPrinter.render(entry))
            return
        }
        let rows = clients.map { c -> [String] in
            [c["node"]?.stringValue ?? "?", c["status"]?.stringValue ?? "?",
             c["samples"]?.intValue.map { String($0) } ?? "-",
             c["loss"]?.numberValue.map { String(format: "%.4f", $0) } ?? "-",
             c["bytes"]?.intValue.map(Self.bytes) ?? "-",
             c["reason"]?.stringValue ?? ""]
        }
        CLI.console.out(TablePrinter.render(header: ["NODE", "STATUS", "SAMPLES", "LOCAL-LOSS", "BYTES", "REASON"], rows: rows))
    }

    static func duration(_ seconds: Double) -> String {
        if seconds < 1 { return String(format: "%.0fms", seconds * 1000) }
        if seconds < 60 { return String(format: "%.1fs", seconds) }
        return String(format: "%dm%02ds", Int(seconds) / 60, Int(seconds) % 60)
    }

    static func bytes(_ n: Int64) -> String {
        if n < 1024 { return "\(n)B" }
        if n < 1024 * 1024 { return String(format: "%.1fKiB", Double(n) / 1024) }
        return String(format: "%.1fMiB", Double(n) / 1_048_576)
    }
}
