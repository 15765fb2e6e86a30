import FogModel
import Foundation

/// What one training task needs to run, read from a `TrainingTask`'s spec: the
/// data set and this participant's shard of it, the model, and the local
/// training settings. The training controller and every executor (the
/// simulated fleet, `fogctl agent --data`) derive the same split and shards
/// from it, so only the spec travels.
public struct TaskRecipe: Sendable, Equatable {
    public var dataset: String
    public var testFraction: Double
    public var partition: PartitionScheme
    public var shardIndex: Int
    public var shardCount: Int
    public var model: ModelKind
    public var training: LocalTrainingConfig
    public var codec: UpdateCodec
    public var seed: UInt64

    public init(dataset: String, testFraction: Double = 0.2, partition: PartitionScheme = .iid, shardIndex: Int = 0, shardCount: Int = 1,
                model: ModelKind = .logisticRegression, training: LocalTrainingConfig = LocalTrainingConfig(),
                codec: UpdateCodec = .none, seed: UInt64 = 0) {
        self.dataset = dataset; self.testFraction = testFraction; self.partition = partition
        self.shardIndex = shardIndex; self.shardCount = shardCount; self.model = model
        self.training = training; self.codec = codec; self.seed = seed
    }

    /// A participant's recipe for a round of `job`: shard `shardIndex` of `shardCount`, its
    /// update compressed as the job's `aggregation.compression` says for a node of `deviceClass`.
    public init(job: FederatedJobSpec, shardIndex: Int, shardCount: Int, deviceClass: String) {
        self.init(dataset: job.data.dataset, testFraction: job.data.testFraction,
                  partition: PartitionScheme(job.data.partition.type, alpha: job.data.partition.alpha),
                  shardIndex: shardIndex, shardCount: shardCount,
                  model: ModelKind(job.model.architecture, hiddenUnits: job.model.hiddenUnits),
                  training: LocalTrainingConfig(learningRate: Float(job.training.learningRate), batchSize: job.training.batchSize,
                                                epochs: job.training.localEpochs, proximalMu: Float(job.training.proximalMu)),
                  codec: CompressionSetting(job.aggregation.compression).codec(deviceClass: deviceClass, topkFraction: job.aggregation.topkFraction),
                  seed: UInt64(bitPattern: job.seed))
    }

    /// What a task's spec (decoded with its schema's defaults) asks for; throws when it names no data set.
    public init(task t: TrainingTaskSpec) throws {
        guard let dataset = t.dataset else { throw LearningError.invalidArgument("the task names no dataset") }
        self.init(dataset: dataset, testFraction: t.testFraction, partition: PartitionScheme(t.partition, alpha: t.alpha),
                  shardIndex: t.shard.index, shardCount: t.shard.count,
                  model: ModelKind(t.architecture, hiddenUnits: t.hiddenUnits),
                  training: LocalTrainingConfig(learningRate: Float(t.learningRate), batchSize: t.batchSize,
                                                epochs: t.localEpochs, proximalMu: Float(t.proximalMu)),
                  codec: UpdateCodec(t.compression, topkFraction: t.topkFraction), seed: UInt64(bitPattern: t.seed))
    }

    /// The spec fields a task carries (merged with job, round, node by the controller).
    public var specJSON: [String: JSONValue] {
        var o: [String: JSONValue] = ["dataset": .string(dataset), "testFraction": .double(testFraction),
                                      "shard": ["index": .int(Int64(shardIndex)), "count": .int(Int64(shardCount))],
                                      "learningRate": .double(Double(training.learningRate)), "batchSize": .int(Int64(training.batchSize)),
                                      "localEpochs": .int(Int64(training.epochs)), "seed": .int(Int64(bitPattern: seed))]
        switch partition {
        case .iid: o["partition"] = "iid"
        case .dirichlet(let alpha): o["partition"] = "dirichlet"; o["alpha"] = .double(alpha)
        }
        switch model {
        case .logisticRegression: o["architecture"] = "logistic-regression"
        case .mlp(let h): o["architecture"] = "mlp"; o["hiddenUnits"] = .int(Int64(h))
        }
        if training.proximalMu > 0 { o["proximalMu"] = .double(Double(training.proximalMu)) }
        switch codec {
        case .none: o["compression"] = "none"
        case .int8: o["compression"] = "int8"
        case .topK(let f): o["compression"] = "topk"; o["topkFraction"] = .double(f)
        }
        return o
    }
}

/// Data sets by name under a directory (`<dir>/<name>.csv`), split into a
/// training and a test part and partitioned, cached: an executor trains many
/// rounds on the same shard, and a controller serving many jobs on one data set
/// parses its file once. Each file is parsed once; splits (one per test fraction
/// and seed) and partitions are kept for the `retained` most recently used, so
/// that a thousand jobs with a thousand seeds do not hold a thousand copies.
public final class DataCatalog: @unchecked Sendable {
    public let directory: String
    private let lock = NSLock()
    private var parsed: [String: Dataset] = [:]
    private var splits: RecentlyUsed<String, (train: Dataset, test: Dataset, scaler: MinMaxScaler)>
    private var partitions: RecentlyUsed<String, Partition>

    /// `retained`: how many splits (and partitions) stay cached.
    public init(directory: String, retained: Int = 64) {
        self.directory = directory
        splits = RecentlyUsed(capacity: retained)
        partitions = RecentlyUsed(capacity: retained)
    }

    /// Why the data set `name` cannot be used from this catalog (nil when it can): checked at
    /// admission, so a job naming a data set that is not there is refused before it is quoted.
    public func problem(with name: String) -> String? {
        if let bad = Self.nameProblem(name) { return bad }
        if FileManager.default.isReadableFile(atPath: directory + "/" + name + ".csv") { return nil }
        let known = ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [])
            .filter { $0.hasSuffix(".csv") }.map { String($0.dropLast(4)) }.sorted()
        return "data set \"\(name)\" not found: no \(directory)/\(name).csv (the data directory holds: "
            + (known.isEmpty ? "no data sets" : known.joined(separator: ", ")) + ")"
    }

    /// Why `name` cannot name a data set file (nil when it can).
    static func nameProblem(_ name: String) -> String? {
        name.range(of: "^[A-Za-z0-9][A-Za-z0-9._-]*$", options: .regularExpression) != nil
            ? nil : "data set names are letters, digits, '.', '_' and '-' (got \(name))"
    }

    /// The whole data set `name`, parsed once.
    func dataset(_ name: String) throws -> Dataset {
        if let d = lock.withLock({ parsed[name] }) { return d }
        if let bad = Self.nameProblem(name) { throw LearningError.invalidArgument(bad) }
        let data = try Dataset(contentsOfCSV: directory + "/" + name + ".csv")
        lock.withLock { parsed[name] = data }
        return data
    }

    /// Training and test parts of `name`, features scaled to [0, 1] by the training part's range.
    public func split(_ name: String, testFraction: Double, seed: UInt64) throws -> (train: Dataset, test: Dataset) {
        let s = try scaledSplit(name, testFraction: testFraction, seed: seed)
        return (s.train, s.test)
    }

    private func scaledSplit(_ name: String, testFraction: Double, seed: UInt64) throws -> (train: Dataset, test: Dataset, scaler: MinMaxScaler) {
        let key = "\(name)|\(testFraction)|\(seed)"
        if let s = lock.withLock({ splits[key] }) { return s }
        let parts = try dataset(name).split(testFraction: testFraction, seed: SplitMix64.mix(seed, 11))
        let scaler = MinMaxScaler(fittedTo: parts.train)
        let scaled = (train: scaler.transform(parts.train), test: scaler.transform(parts.test), scaler: scaler)
        lock.withLock { splits[key] = scaled }
        return scaled
    }

    /// How many splits are cached now (at most `retained`).
    var cachedSplits: Int { lock.withLock { splits.count } }

    /// The scaling the models of this split expect, for raw inputs (`fogctl infer`).
    public func scaler(_ name: String, testFraction: Double, seed: UInt64) throws -> MinMaxScaler {
        try scaledSplit(name, testFraction: testFraction, seed: seed).scaler
    }

    /// This recipe's shard of the training part.
    public func shard(_ r: TaskRecipe) throws -> Dataset {
        let (train, _) = try split(r.dataset, testFraction: r.testFraction, seed: r.seed)
        let key = "\(r.dataset)|\(r.testFraction)|\(r.seed)|\(r.partition)|\(r.shardCount)"
        let partition: Partition
        if let p = lock.withLock({ partitions[key] }) { partition = p } else {
            partition = try Partition(labels: train.labels, classCount: train.classCount, clients: r.shardCount, scheme: r.partition,
                                      seed: SplitMix64.mix(r.seed, 1), minimumSamples: min(10, max(1, train.count / max(1, r.shardCount) / 2)))
            lock.withLock { partitions[key] = partition }
        }
        guard r.shardIndex >= 0 && r.shardIndex < partition.shards.count else {
            throw LearningError.invalidArgument("shard \(r.shardIndex) of \(r.shardCount) does not exist")
        }
        return train.rows(partition.shards[r.shardIndex])
    }
}

/// A map that keeps its `capacity` most recently used entries (a read counts as a use).
struct RecentlyUsed<Key: Hashable, Value> {
    let capacity: Int
    private var values: [Key: (value: Value, used: UInt64)] = [:]
    private var clock: UInt64 = 0

    init(capacity: Int) { self.capacity = max(1, capacity) }

    var count: Int { values.count }

    subscript(key: Key) -> Value? {
        mutating get {
            guard let v = values[key] else { return nil }
            clock += 1
            values[key] = (v.value, clock)
            return v.value
        }
        set {
            clock += 1
            guard let newValue else { values[key] = nil; return }
            values[key] = (newValue, clock)
            if values.count > capacity, let oldest = values.min(by: { $0.value.used < $1.value.used })?.key {
                values[oldest] = nil
            }
        }
    }
}

/// Model parameters as a blob: "FOGP", a little-endian UInt32 count, then the Float32 values.
public enum ParameterBlob {
    public static func encode(_ parameters: [Float]) -> [UInt8] {
        var out: [UInt8] = Array("FOGP".utf8)
        out.reserveCapacity(8 + parameters.count * 4)
        withUnsafeBytes(of: UInt32(parameters.count).littleEndian) { out.append(contentsOf: $0) }
        for p in parameters { withUnsafeBytes(of: p.bitPattern.littleEndian) { out.append(contentsOf: $0) } }
        return out
    }

    public static func decode(_ bytes: [UInt8]) throws -> [Float] {
        guard bytes.count >= 8, Array(bytes[0..<4]) == Array("FOGP".utf8) else { throw LearningError.invalidArgument("not a parameter blob") }
        let count = Int(UInt32(bytes[4]) | UInt32(bytes[5]) << 8 | UInt32(bytes[6]) << 16 | UInt32(bytes[7]) << 24)
        guard bytes.count == 8 + count * 4 else { throw LearningError.invalidArgument("parameter blob of \(bytes.count) bytes cannot hold \(count) values") }
        var out = [Float](repeating: 0, count: count)
        for i in 0..<count {
            let o = 8 + i * 4
            out[i] = Float(bitPattern: UInt32(bytes[o]) | UInt32(bytes[o + 1]) << 8 | UInt32(bytes[o + 2]) << 16 | UInt32(bytes[o + 3]) << 24)
        }
        return out
    }

    /// An update as sent: "FOGU", the codec name length and name, the value count, then the codec's bytes.
    public static func encodeUpdate(_ parameters: [Float], codec: UpdateCodec) -> [UInt8] {
        var out: [UInt8] = Array("FOGU".utf8)
        let name = Array(codec.wireName.utf8)
        out.append(UInt8(name.count))
        out.append(contentsOf: name)
        withUnsafeBytes(of: UInt32(parameters.count).littleEndian) { out.append(contentsOf: $0) }
        out.append(contentsOf: codec.encode(parameters))
        return out
    }

    public static func decodeUpdate(_ bytes: [UInt8]) throws -> [Float] {
        guard bytes.count >= 5, Array(bytes[0..<4]) == Array("FOGU".utf8) else { throw LearningError.invalidArgument("not an update blob") }
        let n = Int(bytes[4])
        guard bytes.count >= 5 + n + 4 else { throw LearningError.invalidArgument("truncated update blob") }
        let name = String(decoding: bytes[5..<(5 + n)], as: UTF8.self)
        guard let codec = UpdateCodec(wireName: name) else { throw LearningError.invalidArgument("unknown codec \(name)") }
        let c = 5 + n
        let count = Int(UInt32(bytes[c]) | UInt32(bytes[c + 1]) << 8 | UInt32(bytes[c + 2]) << 16 | UInt32(bytes[c + 3]) << 24)
        do { return try codec.decode(Array(bytes[(c + 4)...]), count: count) } catch {
            throw LearningError.invalidArgument("update blob: \(error)")
        }
    }
}

extension UpdateCodec {
    /// Name and parameters as one token: `none`, `int8/512`, `topk/0.1`.
    var wireName: String {
        switch self {
        case .none: return "none"
        case .int8(let chunk): return "int8/\(chunk)"
        case .topK(let f): return "topk/\(f)"
        }
    }

    init?(wireName: String) {
        let parts = wireName.split(separator: "/")
        switch parts.first {
        case "none": self = .none
        case "int8": self = .int8(chunkSize: parts.count > 1 ? Int(parts[1]) ?? UpdateCodec.defaultInt8ChunkSize : UpdateCodec.defaultInt8ChunkSize)
        case "topk": self = .topK(fraction: parts.count > 1 ? Double(parts[1]) ?? UpdateCodec.defaultTopKFraction : UpdateCodec.defaultTopKFraction)
        default: return nil
        }
    }
}

extension TaskRecipe {
    /// The spec of an `infer` task for `node`: the model, and the data set, split and
    /// architecture of the training job that produced it (`trainingSpec`, a
    /// FederatedJob's spec), so the participant scales inputs as that training did.
    /// The caller adds what to predict: `rows` of the test part, or an `input` blob.
    public static func inferenceSpec(job: String, node: String, model: String, trainingSpec: FederatedJobSpec) -> [String: JSONValue] {
        var spec: [String: JSONValue] = [
            "job": .string(job), "round": 1, "node": .string(node), "type": "infer", "model": .string(model),
            "dataset": .string(trainingSpec.data.dataset),
            "testFraction": .double(trainingSpec.data.testFraction),
            "seed": .int(trainingSpec.seed),
            "architecture": .string(trainingSpec.model.architecture.rawValue),
        ]
        if trainingSpec.model.architecture == .mlp { spec["hiddenUnits"] = .int(Int64(trainingSpec.model.hiddenUnits)) }
        return spec
    }
}
