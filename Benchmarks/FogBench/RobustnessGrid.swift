import FogLearning
import Foundation

/// `fog-bench grid`: the federated digits job (10 clients, logistic regression,
/// lr 0.1, batch 32, 1 local epoch, 30 rounds; 3 of the 10 attack) over every
/// strategy × attack × partition, in three modes — detection off, detection on
/// with every node kept, and detection on with failover on trust (minTrust 0.5,
/// 10 honest spares take over the shards of distrusted nodes) — then the
/// detection counts and a sweep over 8 seeds. Prints Markdown tables: README's
/// grid is this output.
enum RobustnessGrid {
    static let strategies: [AggregationStrategy] = [.fedavg, .fedprox, .fedmedian, .trimmedMean, .krum, .multiKrum]
    static let attacks: [Attack] = [.none, .signFlip(), .gaussian()]
    static let partitions: [(String, PartitionScheme)] = [("IID", .iid), ("Dir(0.5)", .dirichlet(alpha: 0.5))]

    enum Mode: CaseIterable {
        case off, kept, failover
        var title: String {
            switch self {
            case .off: return "Detection off"
            case .kept: return "Detection on, every node kept"
            case .failover: return "Detection on, failover on trust (minTrust 0.5, 10 honest spares)"
            }
        }
    }

    static func config(_ strategy: AggregationStrategy, _ partition: PartitionScheme, _ attack: Attack, _ mode: Mode, seed: UInt64) -> SimulationConfig {
        SimulationConfig(
            clients: 10, partition: partition, model: .logisticRegression,
            training: LocalTrainingConfig(learningRate: 0.1, batchSize: 32, epochs: 1),
            aggregator: Aggregator(strategy: strategy, trimFraction: 0.3, byzantineCount: 3),
            detector: mode == .off ? nil : ByzantineDetector(), attack: attack,
            byzantineCount: attack == .none ? 0 : 3, replacement: mode == .failover ? Replacement() : nil,
            rounds: 30, seed: seed)
    }

    static func run(dataPath: String) {
        let data: Dataset
        do { data = try Dataset(contentsOfCSV: dataPath).scaled(by: 16) } catch {
            print("grid: cannot load \(dataPath): \(error)")
            return
        }
        let splits = (UInt64(1)...8).map { data.split(testFraction: 0.2, seed: $0) }
        func simulate(_ c: SimulationConfig) -> SimulationResult? {
            let (train, test) = splits[Int(c.seed) - 1]
            return try? FederatedSimulation(train: train, test: test, config: c).run()
        }
        let columns = partitions.flatMap { p in attacks.map { (p, $0) } }
        let header = "| strategy | " + columns.map { "\($0.0.0) \($0.1.name)" }.joined(separator: " | ") + " |"
        let rule = "| --- |" + String(repeating: " ---: |", count: columns.count)
        print("grid: digits, 10 clients, 3 attack, logistic regression, lr 0.1, batch 32, 1 epoch, 30 rounds, seed 1; final test accuracy")
        var fedavgDetection: [String: [Mode: DetectionSummary]] = [:]
        for mode in Mode.allCases {
            print("\n\(mode.title):\n\n\(header)\n\(rule)")
            for strategy in strategies {
                var cells = [String]()
                for ((pname, partition), attack) in columns {
                    guard let r = simulate(config(strategy, partition, attack, mode, seed: 1)) else { cells.append("error"); continue }
                    cells.append(String(format: "%.3f", r.finalAccuracy))
                    if strategy == .fedavg { fedavgDetection["\(pname) \(attack.name)", default: [:]][mode] = r.detection }
                }
                print("| \(strategy.rawValue) | " + cells.joined(separator: " | ") + " |")
            }
        }
        print("\nDetection, fedavg runs (Byzantine flagged / Byzantine updates, honest flagged / honest updates):\n")
        print("| column | nodes kept | failover |\n| --- | --- | --- |")
        for ((pname, _), attack) in columns {
            let d = fedavgDetection["\(pname) \(attack.name)"] ?? [:]
            func cell(_ s: DetectionSummary?) -> String {
                guard let s else { return "-" }
                return "\(s.byzantineFlagged)/\(s.byzantineUpdates), \(s.honestFlagged)/\(s.honestUpdates)"
            }
            print("| \(pname) \(attack.name) | \(cell(d[.kept])) | \(cell(d[.failover])) |")
        }
        print("\nfedavg over 8 seeds (split, partition, attackers, minibatches): mean (min–max) accuracy; detection rate; false flags\n")
        print("| column | detection off | nodes kept | failover |\n| --- | --- | --- | --- |")
        for ((pname, partition), attack) in columns {
            var cells = [String]()
            for mode in Mode.allCases {
                let results = (UInt64(1)...8).compactMap { simulate(config(.fedavg, partition, attack, mode, seed: $0)) }
                let accs = results.map(\.finalAccuracy)
                guard !accs.isEmpty else { cells.append("error"); continue }
                var cell = String(format: "%.3f (%.3f–%.3f)", accs.reduce(0, +) / Float(accs.count), accs.min()!, accs.max()!)
                if mode != .off {
                    let b = results.map(\.detection.byzantineFlagged).reduce(0, +), bu = results.map(\.detection.byzantineUpdates).reduce(0, +)
                    let h = results.map(\.detection.honestFlagged).reduce(0, +), hu = results.map(\.detection.honestUpdates).reduce(0, +)
                    cell += bu > 0 ? String(format: "; %.1f %%", 100 * Double(b) / Double(bu)) : "; –"
                    cell += String(format: "; %.1f %%", 100 * Double(h) / Double(max(hu, 1)))
                }
                cells.append(cell)
            }
            print("| \(pname) \(attack.name) | " + cells.joined(separator: " | ") + " |")
        }
    }
}
