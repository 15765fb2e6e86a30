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
        subcommands: [ModelPull.self])
}

struct ModelPull: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pull",
        abstract: "Write a job's current global model (its last round's) as JSON.",
        discussion: "The JSON holds the architecture, shapes, the parameter vector and where it came from. Features are scaled to [0, 1] by the training part's per-feature range before they reach the model.")

    @Argument(help: "The FederatedJob.")
    var job: String
    @Option(name: .shortAndLong, help: "Namespace (default: default).")
    var namespace = "default"
    @Option(name: .shortAndLong, help: ArgumentHelp("Output file (- for standard output).", valueName: "file"))
    var output = "-"
    @OptionGroup var global: GlobalOptions

    func run() async throws {
        let client = try global.client()
        let key = ObjectKey(kind: "FederatedJob", namespace: namespace, name: job)
        let found: Resource?
        do { found = try await client.get(key) } catch { throw CLI.storeFailure(error) }
        guard let r = found else { throw CommandFailure(code: 1, CLI.notFound("federatedjobs", job)) }
        guard let t = r.status?["training"], let digest = t["model"]?.stringValue else {
            throw CommandFailure(code: 1, "error: federatedjob/\(job) has no model yet (phase \(r.status?["phase"]?.stringValue ?? "Pending"))")
        }
        let parameters: [Float]
        do { parameters = try ParameterBlob.decode(try await client.getBlob(digest)) } catch { throw CLI.storeFailure(error) }
        let spec: FederatedJobSpec
        do { spec = try r.decodeSpec(FederatedJobSpec.self) } catch { throw CommandFailure(code: 1, "error: federatedjob/\(job): \(error)") }
        var model: [String: JSONValue] = [
            "apiVersion": .string(fogAPIVersion), "kind": "Model", "job": .string(namespace + "/" + job), "digest": .string(digest),
            "architecture": .string(spec.model.architecture.rawValue),
            "dataset": .string(spec.data.dataset),
            "round": t["round"] ?? .null, "accuracy": t["accuracy"] ?? .null,
            "parameterCount": .int(Int64(parameters.count)),
            "layout": spec.model.architecture == .mlp
                ? "W1 (hidden × features, row-major), b1 (hidden), W2 (classes × hidden), b2 (classes)"
                : "W (classes × features, row-major), then b (classes)",
            "parameters": .array(parameters.map { .double(Double($0)) }),
        ]
        if spec.model.architecture == .mlp { model["hiddenUnits"] = .int(Int64(spec.model.hiddenUnits)) }
        let text = JSONPrettyPrinter.render(.object(model)) + "\n"
        if output == "-" {
            CLI.console.out(text)
        } else {
            guard FileManager.default.createFile(atPath: output, contents: Data(text.utf8)) else {
                throw CommandFailure(code: 1, "error: cannot write \(output)")
            }
            CLI.console.err("wrote \(output): \(parameters.count) parameters, round \(t["round"]?.intValue ?? 0), test accuracy \(t["accuracy"]?.numberValue.map { String(format: "%.4f", $0) } ?? "-")\n")
        }
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
