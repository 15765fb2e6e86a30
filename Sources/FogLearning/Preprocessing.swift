import FogModel

/// What a job's model expects of its inputs, kept beside the model so that the model can be
/// used outside fog: the per-feature min-max scaling fitted on the data set's training part
/// (the one `DataCatalog.split` applies before training, evaluation and inference), the
/// feature names and the classes. The training controller stores it as a JSON blob when
/// training starts (`status.training.preprocessing`); `fogctl model pull` puts it in the
/// pulled model.
///
/// A raw row `x` becomes `(x[j] − minimum[j]) / (maximum[j] − minimum[j])`, or
/// `x[j] − minimum[j]` where the range is 0 (as `MinMaxScaler.transform`).
public struct Preprocessing: Sendable, Equatable {
    /// The version of this blob's layout.
    public static let formatVersion = 1

    public var dataset: String
    public var minimum: [Float]
    public var maximum: [Float]
    public var featureNames: [String]
    /// Class index → the label value the data set uses for it (the CSV's `label` column).
    public var classes: [Int]

    public init(dataset: String, scaler: MinMaxScaler, featureNames: [String], classCount: Int) {
        self.dataset = dataset
        minimum = scaler.minimum
        maximum = scaler.maximum
        self.featureNames = featureNames
        classes = Array(0..<classCount)
    }

    /// The preprocessing of a job's data set, from the catalog.
    public init(catalog: DataCatalog, dataset: String, testFraction: Double, seed: UInt64) throws {
        let (train, _) = try catalog.split(dataset, testFraction: testFraction, seed: seed)
        self.init(dataset: dataset, scaler: try catalog.scaler(dataset, testFraction: testFraction, seed: seed),
                  featureNames: train.featureNames, classCount: train.classCount)
    }

    public var json: JSONValue {
        ["formatVersion": .int(Int64(Self.formatVersion)), "dataset": .string(dataset),
         "scaling": ["method": "min-max", "minimum": .array(minimum.map { .double(Double($0)) }),
                     "maximum": .array(maximum.map { .double(Double($0)) })],
         "featureNames": .array(featureNames.map { .string($0) }),
         "classes": .array(classes.map { .int(Int64($0)) })]
    }

    public var blob: [UInt8] { JSONCoding.encodeBytes(json) }

    public init(json: JSONValue) throws {
        guard let scaling = json["scaling"], scaling["method"]?.stringValue == "min-max",
              let lo = scaling["minimum"]?.arrayValue?.compactMap(\.numberValue),
              let hi = scaling["maximum"]?.arrayValue?.compactMap(\.numberValue), lo.count == hi.count
        else { throw LearningError.invalidArgument("not a preprocessing description (min-max scaling with minimum and maximum)") }
        dataset = json["dataset"]?.stringValue ?? ""
        minimum = lo.map { Float($0) }
        maximum = hi.map { Float($0) }
        featureNames = (json["featureNames"]?.arrayValue ?? []).compactMap(\.stringValue)
        classes = (json["classes"]?.arrayValue ?? []).compactMap { $0.intValue.map(Int.init) }
    }

    public init(blob: [UInt8]) throws { try self.init(json: try JSONCoding.parse(bytes: blob)) }
}
