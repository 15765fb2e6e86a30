import FogLearning
import Foundation

/// `fog-bench learning`: (a) aggregating 100 updates × 100,000 parameters with
/// each strategy and with Byzantine detection, best of 3, against a plain loop
/// that sums the 100 vectors (reads the same 40 MB once: the memory-bandwidth
/// floor of any rule); (b) the federated digits job in-process (10 clients,
/// IID, logistic regression, lr 0.1, batch 32, 1 local epoch, 30 rounds): ms
/// per round and the final test accuracy, also under attack with detection.
/// Build in release: `swift run -c release fog-bench learning`.
enum LearningBenchmark {
    static func run(dataPath: String) {
        aggregation(updates: 100, parameters: 100_000, repeats: 3)
        digits(dataPath: dataPath)
    }

    // MARK: Aggregation

    static func aggregation(updates n: Int, parameters length: Int, repeats: Int) {
        var rng = Xoshiro256(seed: 2026)
        let global = (0..<length).map { _ in Float(rng.nextGaussian()) }
        let updates = (0..<n).map { i in
            Update(id: "client-\(i)", parameters: global.map { $0 + 0.01 * Float(rng.nextGaussian()) },
                   samples: 50 + rng.nextInt(below: 450))
        }
        print("learning: aggregate \(n) updates × \(length) parameters (\(n * length * 4 / 1_000_000) MB), best of \(repeats)")

        // Baseline: sum the vectors into one, nothing else.
        var sink: Float = 0
        let baseline = best(repeats) {
            var sum = [Float](repeating: 0, count: length)
            sum.withUnsafeMutableBufferPointer { s in
                for u in updates {
                    u.parameters.withUnsafeBufferPointer { p in
                        for j in 0..<length { s[j] += p[j] }
                    }
                }
            }
            sink += sum[length / 2]
        }
        print("  baseline plain sum loop        \(ms(baseline)) ms")
        print("  strategy         ms        × baseline")
        for strategy in AggregationStrategy.allCases {
            let aggregator = Aggregator(strategy: strategy, trimFraction: 0.2, byzantineCount: 10)
            let t = best(repeats) {
                let r = try! aggregator.aggregate(updates)
                sink += r.parameters[length / 2]
            }
            print("  \(pad(strategy.rawValue, 14)) \(pad(ms(t), 9)) \(String(format: "%.1f", t / baseline))")
        }
        let detector = ByzantineDetector()
        let t = best(repeats) {
            let report = try! detector.inspect(updates, global: global)
            sink += Float(report.accepted.count)
        }
        print("  \(pad("detection", 14)) \(pad(ms(t), 9)) \(String(format: "%.1f", t / baseline))")
        if sink.isNaN { print(sink) }
    }

    // MARK: The digits job

    static func digits(dataPath: String) {
        let data: Dataset
        do {
            data = try Dataset(contentsOfCSV: dataPath).scaled(by: 16)
        } catch {
            print("learning: cannot load \(dataPath): \(error)")
            return
        }
        let (train, test) = data.split(testFraction: 0.2, seed: 1)
        print("learning: digits (\(train.count) train / \(test.count) test), 10 clients, logistic regression, 30 rounds, in-process")
        print("  setup                                   ms/round   accuracy   flagged (byzantine / honest)")
        // The grid's job (`RobustnessGrid.config`), seed 1.
        let cases: [(String, PartitionScheme, AggregationStrategy, Attack, RobustnessGrid.Mode)] = [
            ("iid fedavg", .iid, .fedavg, .none, .off),
            ("iid fedavg + detection, sign-flip 3/10", .iid, .fedavg, .signFlip(), .kept),
            ("iid krum, sign-flip 3/10", .iid, .krum, .signFlip(), .off),
            ("dirichlet(0.5) fedavg", .dirichlet(alpha: 0.5), .fedavg, .none, .off),
            ("dirichlet(0.5) fedavg + detection, s-f", .dirichlet(alpha: 0.5), .fedavg, .signFlip(), .kept),
            ("  ... + failover on trust", .dirichlet(alpha: 0.5), .fedavg, .signFlip(), .failover),
        ]
        for (name, partition, strategy, attack, mode) in cases {
            let config = RobustnessGrid.config(strategy, partition, attack, mode, seed: 1)
            let detection = mode != .off
            do {
                let result = try FederatedSimulation(train: train, test: test, config: config).run()
                let d = result.detection
                let flags = detection ? "\(d.byzantineFlagged)/\(d.byzantineUpdates)  \(d.honestFlagged)/\(d.honestUpdates)" : "-"
                print("  \(pad(name, 39)) \(pad(String(format: "%.3f", result.secondsPerRound * 1000), 10)) "
                      + "\(pad(String(format: "%.3f", result.finalAccuracy), 10)) \(flags)")
            } catch {
                print("  \(name): \(error)")
            }
        }
    }

    // MARK: Helpers

    static func best(_ repeats: Int, _ body: () -> Void) -> Double {
        var best = Double.infinity
        for _ in 0..<repeats {
            let t0 = DispatchTime.now().uptimeNanoseconds
            body()
            best = min(best, Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9)
        }
        return best
    }

    static func ms(_ seconds: Double) -> String { String(format: "%.2f", seconds * 1000) }

    static func pad(_ s: String, _ width: Int) -> String {
        s.count >= width ? s : s + String(repeating: " ", count: width - s.count)
    }
}
