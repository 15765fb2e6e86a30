import ArgumentParser
import FogClient
import FogLearning
import FogManifest
import FogModel
import FogStore
import Foundation

struct ModelCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "model",
        abstract: "Work with the models federated jobs train.",
        subcommands: [ModelList.self, ModelPull.self])
}

/// Where a job's model comes from: the job itself (a training job), the training job an
/// inference job names (`spec.model.fromJob`), or a digest in its spec.
struct ModelOrigin {
    /// The job asked about.
    var job: Resource
    /// The training job whose model it is (nil: a digest named in the spec).
    var source: Resource?
    var digest: String
    /// The spec of the job that trained it (the job's own when there is no source).
    var trainingSpec: FederatedJobSpec

    var training: JSONValue? { source?.status?["training"] }

    /// When the current model was made: training's end, else its last round's end, else its start.
    var created: String? {
        guard let t = training else { return nil }
        if let f = t["finishedAt"]?.stringValue { return f }
        if let last = t["rounds"]?.arrayValue?.last, let s = last["startedAt"]?.stringValue, let d = Timestamp.parse(s) {
            return Timestamp.format(d.addingTimeInterval(last["seconds"]?.numberValue ?? 0))
        }
        return t["startedAt"]?.stringValue
    }

    /// The model `job` has or serves; nil when it has none yet. `lookup` finds another job of
    /// its namespace by name.
    static func of(_ job: Resource, lookup: (String) async throws -> Resource?) async throws -> ModelOrigin? {
        let spec = try Infer.spec(of: job)
        switch InferencePlan.modelSource(of: job, spec: spec) {
        case .digest(let d):
            let own = job.status?["training"]?["model"]?.stringValue == d
            return ModelOrigin(job: job, source: own ? job : nil, digest: d, trainingSpec: spec)
        case .fromJob(let name):
            guard let source = try await lookup(name), let d = InferencePlan.trainedModel(of: source) else { return nil }
            return ModelOrigin(job: job, source: source, digest: d, trainingSpec: try Infer.spec(of: source))
        case .none:
            return nil
        }
    }
}

/// `fogctl model list`: one row per FederatedJob that has (or serves) a model.
struct ModelList: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List the models the jobs have: one row per FederatedJob with a model (trained, or served by an inference job).",
        discussion: "SOURCE is the training job the model comes from (an inference job serves another job's model). SIZE is the model blob's size; CREATED when training produced it.")

    @Option(name: .shortAndLong, help: "Namespace (default: default).")
    var namespace = "default"
    @Flag(name: [.customShort("A"), .customLong("all-namespaces")], help: "List across all namespaces.")
    var allNamespaces = false
    @Option(name: .shortAndLong, help: ArgumentHelp("table or json.", valueName: "format"))
    var output = "table"
    @OptionGroup var global: GlobalOptions

    func validate() throws {
        if !["table", "json"].contains(output) { throw ValidationError("--output must be table or json (got \(output))") }
    }

    func run() async throws {
        let client = try global.client()
        do {
            let jobs = try await client.list(kind: "FederatedJob", namespace: allNamespaces ? nil : namespace, selector: LabelSelector()).items
            let byKey = Dictionary(jobs.map { ($0.key, $0) }, uniquingKeysWith: { a, _ in a })
            var sizes: [String: Int] = [:]
            var models: [ModelOrigin] = []
            for job in jobs.sorted(by: { ($0.namespace, $0.name) < ($1.namespace, $1.name) }) {
                let lookup: (String) async throws -> Resource? = { name in
                    let key = ObjectKey(kind: "FederatedJob", namespace: job.namespace, name: name)
                    if let r = byKey[key] { return r }
                    return try await client.get(key)
                }
                guard let m = try? await ModelOrigin.of(job, lookup: lookup) else { continue }
                if sizes[m.digest] == nil { sizes[m.digest] = (try? await client.getBlob(m.digest))?.count ?? -1 }
                models.append(m)
            }
            if output == "json" {
                let items: [JSONValue] = models.map { m in
                    var o: [String: JSONValue] = ["namespace": .string(m.job.namespace), "job": .string(m.job.name),
                                                  "type": .string(m.job.spec?["type"]?.stringValue ?? "training"),
                                                  "digest": .string(m.digest)]
                    if let s = m.source { o["source"] = .string(s.name) }
                    if let r = m.training?["round"] { o["round"] = r }
                    if let a = m.training?["accuracy"] { o["accuracy"] = a }
                    if let size = sizes[m.digest], size >= 0 { o["bytes"] = .int(Int64(size)) }
                    if let c = m.created { o["created"] = .string(c) }
                    return .object(o)
                }
                CLI.console.out(JSONPrettyPrinter.render(.array(items)))
                return
            }
            guard !models.isEmpty else {
                CLI.console.err(allNamespaces ? "No models found\n" : "No models found in \(namespace) namespace.\n")
                return
            }
            let rows = models.map { m -> [String] in
                [m.job.namespace, m.job.name, m.job.spec?["type"]?.stringValue ?? "training", m.source?.name ?? "<digest>",
                 m.training?["round"]?.intValue.map { String($0) } ?? "-",
                 m.training?["accuracy"]?.numberValue.map { String(format: "%.4f", $0) } ?? "-",
                 String(m.digest.prefix(19)),
                 sizes[m.digest].flatMap { $0 >= 0 ? Rounds.bytes(Int64($0)) : nil } ?? "-",
                 m.created ?? "-"]
            }
            CLI.console.out(TablePrinter.render(header: ["NAMESPACE", "JOB", "TYPE", "SOURCE", "ROUND", "ACCURACY", "DIGEST", "SIZE", "CREATED"], rows: rows))
        } catch let e as CommandFailure { throw e } catch { throw CLI.storeFailure(error) }
    }
}

struct ModelPull: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pull",
        abstract: "Write a job's current global model (its last round's) as JSON, with what it takes to use it outside fog.",
        discussion: """
            The JSON (formatVersion \(ModelFile.formatVersion)) holds the architecture, the parameter vector and its layout, the \
            feature scaling the model expects (per-feature min-max fitted on the training part: x' = (x − min) / (max − min), \
            or x − min where max = min), the feature names, the classes (class index → label), and where the model came \
            from (source: the training job, its round and digest). Pulling an inference job writes the model it serves, \
            with the training job it names as the source. See docs/learning.md#using-a-pulled-model.
            """)

    @Argument(help: "The FederatedJob (a training job, or an inference job: the model it serves).")
    var job: String
    @Option(name: .shortAndLong, help: "Namespace (default: default).")
    var namespace = "default"
    @Option(name: .shortAndLong, help: ArgumentHelp("Output file (- for standard output).", valueName: "file"))
    var output = "-"
    @OptionGroup var global: GlobalOptions

    func run() async throws {
        let client = try global.client()
        let key = ObjectKey(kind: "FederatedJob", namespace: namespace, name: job)
        let model: JSONValue
        let summary: String
        do {
            guard let r = try await client.get(key) else { throw CommandFailure(code: 1, CLI.notFound("federatedjobs", job)) }
            let namespace = self.namespace
            guard let origin = try await ModelOrigin.of(r, lookup: { try await client.get(ObjectKey(kind: "FederatedJob", namespace: namespace, name: $0)) }) else {
                let from = r.spec?["model"]?["fromJob"]?.stringValue.map { " (its model comes from federatedjob/\($0), which has none yet)" } ?? ""
                throw CommandFailure(code: 1, "error: federatedjob/\(job) has no model yet (phase \(r.status?["phase"]?.stringValue ?? "Pending"))" + from)
            }
            let parameters = try ParameterBlob.decode(try await client.getBlob(origin.digest))
            var preprocessing: Preprocessing?
            if let p = origin.training?["preprocessing"]?.stringValue {
                preprocessing = try Preprocessing(blob: try await client.getBlob(p))
            }
            model = ModelFile.json(origin: origin, parameters: parameters, preprocessing: preprocessing)
            summary = "\(parameters.count) parameters, round \(origin.training?["round"]?.intValue ?? 0), test accuracy \(origin.training?["accuracy"]?.numberValue.map { String(format: "%.4f", $0) } ?? "-")"
                + (origin.source.map { $0.name != job ? ", trained by federatedjob/\($0.name)" : "" } ?? "")
        } catch let e as CommandFailure { throw e } catch { throw CLI.storeFailure(error) }
        let text = JSONPrettyPrinter.render(model) + "\n"
        if output == "-" {
            CLI.console.out(text)
        } else {
            guard FileManager.default.createFile(atPath: output, contents: Data(text.utf8)) else {
                throw CommandFailure(code: 1, "error: cannot write \(output)")
            }
            CLI.console.err("wrote \(output): \(summary)\n")
        }
    }
}

/// The pulled model's JSON: everything needed to predict outside fog, and where it came from.
enum ModelFile {
    /// Version of this layout. 1: the first with preprocessing, classes and source.
    static let formatVersion = 1

    static func json(origin: ModelOrigin, parameters: [Float], preprocessing: Preprocessing?) -> JSONValue {
        let spec = origin.trainingSpec
        let job = origin.job
        let mlp = spec.model.architecture == .mlp
        var model: [String: JSONValue] = [
            "apiVersion": .string(fogAPIVersion), "kind": "Model", "formatVersion": .int(Int64(formatVersion)),
            "job": .string(job.namespace + "/" + job.name), "digest": .string(origin.digest),
            "architecture": .string(spec.model.architecture.rawValue),
            "dataset": .string(spec.data.dataset),
            "round": origin.training?["round"] ?? .null, "accuracy": origin.training?["accuracy"] ?? .null,
            "parameterCount": .int(Int64(parameters.count)),
            "layout": mlp
                ? "W1 (hidden × features, row-major), b1 (hidden), W2 (classes × hidden), b2 (classes); h = max(0, W1 x + b1), logits = W2 h + b2"
                : "W (classes × features, row-major), then b (classes); logits = W x + b",
            "prediction": "the class whose logit is largest (the first on a tie), reported as classes[index]",
            "parameters": .array(parameters.map { .double(Double($0)) }),
        ]
        if mlp { model["hiddenUnits"] = .int(Int64(spec.model.hiddenUnits)) }
        var source: [String: JSONValue] = ["digest": .string(origin.digest)]
        if let s = origin.source {
            source["job"] = .string(s.namespace + "/" + s.name)
            source["round"] = origin.training?["round"] ?? .null
            source["accuracy"] = origin.training?["accuracy"] ?? .null
            if let c = origin.created { source["created"] = .string(c) }
        }
        if origin.source?.key != job.key { source["servedBy"] = .string(job.namespace + "/" + job.name) }
        model["source"] = .object(source)
        if let p = preprocessing {
            let features = p.minimum.count
            // The classes from the parameter count (the shapes above), named by the data set's labels.
            let classCount = mlp
                ? (parameters.count - spec.model.hiddenUnits * (features + 1)) / (spec.model.hiddenUnits + 1)
                : parameters.count / max(1, features + 1)
            let labels = p.classes + (p.classes.count..<max(p.classes.count, classCount)).map { $0 }
            model["featureCount"] = .int(Int64(features))
            model["classCount"] = .int(Int64(classCount))
            model["featureNames"] = .array(p.featureNames.map { .string($0) })
            model["classes"] = .array(labels.prefix(classCount).map { .int(Int64($0)) })
            model["preprocessing"] = ["method": "min-max", "formula": "x' = (x - minimum) / (maximum - minimum); x' = x - minimum where maximum = minimum",
                                      "minimum": .array(p.minimum.map { .double(Double($0)) }),
                                      "maximum": .array(p.maximum.map { .double(Double($0)) })]
        }
        return .object(model)
    }
}

/// A job's accuracy by round as a small text chart (block characters, five rows).
enum AccuracyChart {
    static func render(_ rounds: [JSONValue], rows: Int = 5) -> String {
        let values = rounds.compactMap { $0["accuracy"]?.numberValue }
        guard values.count >= 2, let lo = values.min(), let hi = values.max() else { return "" }
        let span = max(hi - lo, 1e-9)
        let blocks = [" ", "▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"]
        let eighths = values.map { Int((($0 - lo) / span * Double(rows * 8 - 1)).rounded()) + 1 }
        var s = "Accuracy by round (test set):\n"
        for row in stride(from: rows - 1, through: 0, by: -1) {
            let label = row == rows - 1 ? String(format: "%.3f", hi) : row == 0 ? String(format: "%.3f", lo) : ""
            s += "  " + label.padding(toLength: 6, withPad: " ", startingAt: 0) + "│"
            for e in eighths { s += blocks[max(0, min(8, e - row * 8))] }
            s += "\n"
        }
        let first = rounds.first?["round"]?.intValue ?? 1, last = rounds.last?["round"]?.intValue ?? Int64(values.count)
        s += "        └" + String(repeating: "─", count: values.count) + "\n"
        s += "         round \(first)" + String(repeating: " ", count: max(1, values.count - 12 - String(last).count)) + "round \(last)\n"
        return s
    }
}
