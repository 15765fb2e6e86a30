import FogClient
import FogManifest
import FogModel
import FogStore
import Foundation
import Logging

/// What the marketplace benchmarks start from: a fresh embedded store holding
/// the default tiers and privacy policies (`manifests/`), its in-process client,
/// and a logger quiet below errors.
struct BenchMarket {
    let store: SQLiteStore
    let client: EmbeddedClient
    let logger: Logger

    init(path: String) throws {
        store = try SQLiteStore(path: path, pollInterval: .milliseconds(250))
        client = EmbeddedClient(store: store)
        var logger = Logger(label: "bench")
        logger.logLevel = .error
        self.logger = logger
        let inputs = try ManifestInput.load(paths: [FileManager.default.currentDirectoryPath + "/manifests"], recursive: false, readStandardInput: { [] })
        _ = try store.apply(try ManifestDecoder().decode(inputs).map(\.resource), dryRun: false)
    }

    /// The objects of a YAML text (decoded and validated as `fogctl apply` does).
    static func objects(_ yaml: String) throws -> [Resource] {
        try ManifestDecoder().decode([ManifestInput(name: "bench.yaml", bytes: Array(yaml.utf8))]).map(\.resource)
    }
}

/// A benchmark that cannot run its scenario, and why.
struct BenchFailure: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}
