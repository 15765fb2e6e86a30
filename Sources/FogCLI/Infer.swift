import ArgumentParser
import FogClient
import FogControllers
import FogLearning
import FogManifest
import FogModel
import FogStore
import Foundation

struct Infer: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Send inputs to an inference job's participants and print their predictions.",
        discussion: """
            INPUTS is a CSV of raw feature rows (a header line is skipped; a column named label is ignored), as the
            job's data set stores them: they are scaled like the model's training data on the participant. Rows go in
            batches of the job's inference.batchSize, round-robin over its participants, as infer tasks bound to them;
            their agents (fogctl agent --data) or the simulated fleet must be running.
            """)

    @Argument(help: "The inference (or trained) FederatedJob.")
    var job: String
    @Option(name: .shortAndLong, help: ArgumentHelp("CSV of feature rows (- for standard input).", valueName: "file"))
    var filename: String
    @Option(name: .shortAndLong, help: "Namespace (default: default).")
    var namespace = "default"
    @Option(name: .shortAndLong, help: ArgumentHelp("Output: table or json.", valueName: "format"))
    var output = "table"
    @Option(help: ArgumentHelp("Give up when the answers take longer.", valueName: "duration"))
    var timeout: DurationArgument = DurationArgument(argument: "60s")!
    @OptionGroup var global: GlobalOptions

    func validate() throws {
        if !["table", "json"].contains(output) { throw ValidationError("--output must be table or json (got \(output))") }
    }

    /// Rows of numbers; a first line that is not numbers is a header (a `label` column is dropped).
    static func parse(_ text: String, source: String) throws -> [[Float]] {
        var rows: [[Float]] = []
        var labelColumn: Int?
        for (i, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespacesAndNewlines)
            if line.isEmpty { continue }
            let cells = line.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            if rows.isEmpty && i == 0 && cells.contains(where: { Float($0) == nil }) {
                labelColumn = cells.firstIndex(of: "label")
                continue
            }
            var row: [Float] = []
            for (c, cell) in cells.enumerated() where c != labelColumn {
                guard let v = Float(cell), v.isFinite else {
                    throw CommandFailure(code: 1, "error: \(source):\(i + 1):\(c + 1): expected a number (got \"\(cell)\")")
                }
                row.append(v)
            }
            if let width = rows.first?.count, width != row.count {
                throw CommandFailure(code: 1, "error: \(source):\(i + 1): \(row.count) values where the first row has \(width)")
            }
            rows.append(row)
        }
        if rows.isEmpty { throw CommandFailure(code: 1, "error: \(source): no rows") }
        return rows
    }

    static func spec(of job: Resource) throws -> FederatedJobSpec {
        do { return try job.decodeSpec(FederatedJobSpec.self) } catch {
            throw CommandFailure(code: 1, "error: federatedjob/\(job.name): \(error)")
        }
    }

    func run() async throws {
        let text: String
        if filename == "-" {
            let bytes = CLI.console.standardInput.map { $0() ?? [] } ?? [UInt8](FileHandle.standardInput.readDataToEndOfFile())
            text = String(decoding: bytes, as: UTF8.self)
        } else {
            guard let data = FileManager.default.contents(atPath: filename) else { throw CommandFailure(code: 1, "error: \(filename): cannot read the file") }
            text = String(decoding: data, as: UTF8.self)
        }
        let rows = try Self.parse(text, source: filename)
        let client = try global.client()
        let key = ObjectKey(kind: "FederatedJob", namespace: namespace, name: job)
        do {
            guard let r = try await client.get(key) else { throw CommandFailure(code: 1, CLI.notFound("federatedjobs", job)) }
            // The model: a trained job's own, or what an inference job serves (InferencePlan, as the controller).
            let spec = try Self.spec(of: r)
            var digest: String?
            var trainSpec = spec
            switch InferencePlan.modelSource(of: r, spec: spec) {
            case .digest(let d): digest = d
            case .fromJob(let from):
                if let source = try await client.get(ObjectKey(kind: "FederatedJob", namespace: namespace, name: from)) {
                    digest = InferencePlan.trainedModel(of: source)
                    trainSpec = try Self.spec(of: source)
                }
            case .none: break
            }
            guard let model = digest else { throw CommandFailure(code: 1, "error: federatedjob/\(job) has no model to serve yet") }
            let participants = InferencePlan.participants(of: r)
            guard !participants.isEmpty else { throw CommandFailure(code: 1, "error: federatedjob/\(job) has no participants (phase \(r.status?["phase"]?.stringValue ?? "Pending"))") }
            let batchSize = InferencePlan.batchSize(of: spec)
            let tag = String(UInt32.random(in: 0...UInt32.max), radix: 36)
            var names: [String] = []
            // Latency: issue → answer seen, both read from this process's monotonic clock.
            let clock = ContinuousClock()
            let issued = clock.now
            let from = try await client.currentRevision()
            for batch in InferencePlan.batches(rows: rows.count, batchSize: batchSize, participants: participants) {
                let values = rows[batch.start..<(batch.start + batch.count)].flatMap { $0 }
                let input = try await client.putBlob(ParameterBlob.encode(values))
                let task = InferencePlan.task(for: r, name: "\(job)-q\(tag)-\(batch.index)", batch: batch, model: model, trainingSpec: trainSpec,
                                              labels: ["fog/request": tag], controller: false, what: ["input": .string(input)])
                _ = try await client.create(task)
                names.append(task.name)
            }
            // Wait for every batch, driven by the watch on this request's tasks.
            let answers = try await Self.answers(client: client, namespace: namespace, tag: tag, names: Set(names), from: from,
                                                 clock: clock, issued: issued, timeout: timeout.seconds)
            var predictions: [Int] = []
            var latencies: [Double] = []
            for name in names {
                let (t, seen) = answers[name]!
                guard t.status?["phase"]?.stringValue == "Succeeded" else {
                    throw CommandFailure(code: 1, "error: batch \(name) failed on \(t.spec?["node"]?.stringValue ?? "?"): \(t.status?["reason"]?.stringValue ?? "unknown")")
                }
                let p = (t.status?["predictions"]?.arrayValue ?? []).compactMap { $0.intValue.map(Int.init) }
                predictions += p
                latencies.append(seen)
                _ = try? await client.delete(t.key)
            }
            latencies.sort()
            let p50 = latencies.isEmpty ? 0 : latencies[latencies.count / 2]
            let p99 = latencies.isEmpty ? 0 : latencies[min(latencies.count - 1, Int(Double(latencies.count) * 0.99))]
            if output == "json" {
                CLI.console.out(JSONPrettyPrinter.render(["job": .string(namespace + "/" + job), "model": .string(model),
                                                          "predictions": .array(predictions.map { .int(Int64($0)) }),
                                                          "p50Millis": .double(p50), "p99Millis": .double(p99)]) + "\n")
            } else {
                CLI.console.out(TablePrinter.render(header: ["ROW", "PREDICTION"], rows: predictions.enumerated().map { [String($0.offset + 1), String($0.element)] }))
            }
            CLI.console.err("\(rows.count) rows in \(names.count) batches over \(Set(participants.prefix(names.count)).count) participants: p50 \(Int(p50)) ms, p99 \(Int(p99)) ms\n")
        } catch let e as CommandFailure { throw e } catch { throw CLI.storeFailure(error) }
    }

    /// Each batch's finished task and the milliseconds from issue to seeing it, on `clock`.
    static func answers(client: any FogClient, namespace: String, tag: String, names: Set<String>, from: Int64,
                        clock: ContinuousClock, issued: ContinuousClock.Instant, timeout: Double) async throws -> [String: (Resource, Double)] {
        func millis() -> Double { (clock.now - issued).milliseconds }
        func finished(_ t: Resource) -> Bool { ["Succeeded", "Failed"].contains(t.status?["phase"]?.stringValue ?? "") }
        let box = SendableBox([String: (Resource, Double)]())
        // The watch starts before the tasks were created, so no answer is missed.
        let stream = client.watch(kind: "TrainingTask", namespace: namespace, from: from)
        let complete: Bool = try await withThrowingTaskGroup(of: Bool.self) { group in
            group.addTask {
                for try await event in stream {
                    guard let t = event.object, names.contains(t.name), finished(t), box.value[t.name] == nil else { continue }
                    box.value[t.name] = (t, millis())
                    if box.value.count == names.count { return true }
                }
                return false
            }
            group.addTask {
                try await Task.sleep(for: .milliseconds(Int64(timeout * 1000)))
                return false
            }
            let first = try await group.next() ?? false
            group.cancelAll()
            return first
        }
        if !complete {
            let missing = names.count - box.value.count
            throw CommandFailure(code: 1, "error: \(missing) of \(names.count) batches unanswered after \(Int(timeout))s: are the participants' agents (fogctl agent --data) or the simulated fleet running?")
        }
        return box.value
    }
}
