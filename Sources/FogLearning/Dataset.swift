import Foundation

/// A labelled tabular data set held in memory: `count` rows of `featureCount`
/// features, stored contiguously row-major in `features`, and one class label
/// per row in `0..<classCount`.
///
///     let all = try Dataset(contentsOfCSV: "examples/data/digits.csv")
///     let (train, test) = all.scaled(by: 16).split(testFraction: 0.2, seed: 7)
public struct Dataset: Sendable, Equatable {
    /// Row-major features: row `i` is `features[i * featureCount ..< (i + 1) * featureCount]`.
    public private(set) var features: [Float]
    public private(set) var labels: [Int]
    public let featureCount: Int
    public let classCount: Int
    /// Column names from the CSV header (or `f0`, `f1`, … when built in code).
    public let featureNames: [String]

    public var count: Int { labels.count }

    /// A data set from row-major features and labels. `classCount` defaults to
    /// the largest label + 1.
    public init(features: [Float], labels: [Int], featureCount: Int, classCount: Int? = nil, featureNames: [String]? = nil) {
        precondition(featureCount > 0, "featureCount must be positive")
        precondition(features.count == labels.count * featureCount, "features must hold labels.count × featureCount values")
        precondition(labels.allSatisfy { $0 >= 0 }, "labels must be non-negative")
        let classes = classCount ?? ((labels.max() ?? -1) + 1)
        precondition(labels.allSatisfy { $0 < classes }, "a label is ≥ classCount")
        self.features = features
        self.labels = labels
        self.featureCount = featureCount
        self.classCount = classes
        self.featureNames = featureNames ?? (0..<featureCount).map { "f\($0)" }
        precondition(self.featureNames.count == featureCount, "featureNames must have featureCount names")
    }

    /// Parses CSV text with a header row. The label column is `labelColumn`
    /// when given, otherwise the last column; every other column is a numeric
    /// feature. Labels must be non-negative integers; `classCount` is the
    /// largest label + 1. Blank lines are skipped; `\r\n` line ends are fine.
    /// Quoted fields are not supported (numbers only).
    public init(csv text: String, labelColumn: String? = nil) throws {
        // Non-blank lines with their 1-based numbers, for errors.
        var lines: [Substring] = []
        var lineNumbers: [Int] = []
        for (i, line) in text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" }).enumerated() {
            let trimmed = line.trimmingCharacters(in: .whitespacesAndNewlines)
            if !trimmed.isEmpty {
                lines.append(Substring(trimmed))
                lineNumbers.append(i + 1)
            }
        }
        guard let header = lines.first else { throw DatasetError(.empty, line: 1, "no header row") }
        let names = header.split(separator: ",", omittingEmptySubsequences: false)
            .map { $0.trimmingCharacters(in: .whitespaces) }
        guard names.count >= 2 else {
            throw DatasetError(.badHeader, line: lineNumbers[0], "need at least one feature column and a label column")
        }
        let labelIndex: Int
        if let labelColumn {
            guard let i = names.firstIndex(of: labelColumn) else {
                throw DatasetError(.badHeader, line: lineNumbers[0], "no column named \"\(labelColumn)\" (columns: \(names.joined(separator: ", ")))")
            }
            labelIndex = i
        } else {
            labelIndex = names.count - 1
        }
        let featureNames = names.enumerated().filter { $0.offset != labelIndex }.map(\.element)
        let rowCount = lines.count - 1
        guard rowCount > 0 else { throw DatasetError(.empty, line: lineNumbers[0], "no data rows") }
        var features = [Float]()
        features.reserveCapacity(rowCount * featureNames.count)
        var labels = [Int]()
        labels.reserveCapacity(rowCount)
        for r in 1..<lines.count {
            let fields = lines[r].split(separator: ",", omittingEmptySubsequences: false)
            guard fields.count == names.count else {
                throw DatasetError(.badRow, line: lineNumbers[r], "expected \(names.count) fields, found \(fields.count)")
            }
            for (c, field) in fields.enumerated() {
                let value = field.trimmingCharacters(in: .whitespaces)
                if c == labelIndex {
                    guard let label = Int(value), label >= 0 else {
                        throw DatasetError(.badValue, line: lineNumbers[r], "label \"\(value)\" is not a non-negative integer")
                    }
                    labels.append(label)
                } else {
                    guard let x = Float(value), x.isFinite else {
                        throw DatasetError(.badValue, line: lineNumbers[r], "column \(names[c]): \"\(value)\" is not a finite number")
                    }
                    features.append(x)
                }
            }
        }
        self.init(features: features, labels: labels, featureCount: featureNames.count, featureNames: featureNames)
    }

    /// Reads a CSV file (see `init(csv:labelColumn:)`).
    public init(contentsOfCSV path: String, labelColumn: String? = nil) throws {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw DatasetError(.unreadable, line: 0, "\(path): \(error.localizedDescription)")
        }
        do {
            try self.init(csv: text, labelColumn: labelColumn)
        } catch let error as DatasetError {
            throw error.in(file: path)
        }
    }

    /// The rows at `indices`, in that order.
    public func rows(_ indices: [Int]) -> Dataset {
        var f = [Float](repeating: 0, count: indices.count * featureCount)
        f.withUnsafeMutableBufferPointer { out in
            features.withUnsafeBufferPointer { src in
                for (k, i) in indices.enumerated() {
                    precondition(i >= 0 && i < count, "row index out of range")
                    for j in 0..<featureCount { out[k * featureCount + j] = src[i * featureCount + j] }
                }
            }
        }
        return Dataset(features: f, labels: indices.map { labels[$0] }, featureCount: featureCount,
                       classCount: classCount, featureNames: featureNames)
    }

    /// Every feature divided by `divisor` (the digits' pixels are 0–16: divide by 16).
    public func scaled(by divisor: Float) -> Dataset {
        precondition(divisor != 0 && divisor.isFinite, "divisor must be finite and non-zero")
        var copy = self
        let inverse = 1 / divisor
        copy.features.withUnsafeMutableBufferPointer { f in
            for i in f.indices { f[i] *= inverse }
        }
        return copy
    }

    /// Number of rows of each class.
    public func classCounts() -> [Int] {
        var counts = [Int](repeating: 0, count: classCount)
        for y in labels { counts[y] += 1 }
        return counts
    }

    /// A deterministic train/test split. With `stratified` (the default) each
    /// class is shuffled on its own and `round(testFraction × class size)` of
    /// its rows go to the test set, so both sets keep the class proportions;
    /// otherwise all rows are shuffled together and `round(testFraction ×
    /// count)` go to the test set. Rows keep their original order within each
    /// set. The same seed always gives the same split.
    public func split(testFraction: Double, seed: UInt64, stratified: Bool = true) -> (train: Dataset, test: Dataset) {
        precondition(testFraction >= 0 && testFraction <= 1, "testFraction must be in [0, 1]")
        var rng = Xoshiro256(seed: seed)
        var isTest = [Bool](repeating: false, count: count)
        if stratified {
            var byClass = [[Int]](repeating: [], count: classCount)
            for (i, y) in labels.enumerated() { byClass[y].append(i) }
            for var members in byClass where !members.isEmpty {
                rng.shuffle(&members)
                let take = Int((testFraction * Double(members.count)).rounded())
                for i in members.prefix(take) { isTest[i] = true }
            }
        } else {
            var all = Array(0..<count)
            rng.shuffle(&all)
            let take = Int((testFraction * Double(count)).rounded())
            for i in all.prefix(take) { isTest[i] = true }
        }
        let test = (0..<count).filter { isTest[$0] }
        let train = (0..<count).filter { !isTest[$0] }
        return (rows(train), rows(test))
    }
}

/// Min-max feature scaling fitted on a training set: each feature becomes
/// `(x − min) / (max − min)` with the training set's min and max, so the
/// training set lies in [0, 1] and other sets (a test set) are transformed
/// the same way (they may fall slightly outside). A feature that is constant
/// in the training set becomes `x − min` (0 on the training set).
///
///     let scaler = MinMaxScaler(fittedTo: train)
///     let (train01, test01) = (scaler.transform(train), scaler.transform(test))
public struct MinMaxScaler: Sendable, Equatable {
    public let minimum: [Float]
    public let maximum: [Float]

    public init(fittedTo data: Dataset) {
        var lo = [Float](repeating: .infinity, count: data.featureCount)
        var hi = [Float](repeating: -.infinity, count: data.featureCount)
        for r in 0..<data.count {
            for j in 0..<data.featureCount {
                let x = data.features[r * data.featureCount + j]
                lo[j] = min(lo[j], x)
                hi[j] = max(hi[j], x)
            }
        }
        if data.count == 0 {
            lo = [Float](repeating: 0, count: data.featureCount)
            hi = lo
        }
        minimum = lo
        maximum = hi
    }

    public func transform(_ data: Dataset) -> Dataset {
        precondition(data.featureCount == minimum.count, "feature count differs from the fitted data set")
        var f = data.features
        let d = data.featureCount
        for r in 0..<data.count {
            for j in 0..<d {
                let range = maximum[j] - minimum[j]
                let x = f[r * d + j] - minimum[j]
                f[r * d + j] = range > 0 ? x / range : x
            }
        }
        return Dataset(features: f, labels: data.labels, featureCount: d, classCount: data.classCount,
                       featureNames: data.featureNames)
    }
}

/// How to scale features before training.
public enum FeatureScaling: Sendable, Hashable {
    case none
    /// Divide every feature by a constant (16 for the digits' 0–16 pixels).
    case divide(by: Float)
    /// `MinMaxScaler` fitted on the training set, applied to both sets.
    case minMax

    /// The scaled training and test sets.
    public func apply(train: Dataset, test: Dataset) -> (train: Dataset, test: Dataset) {
        switch self {
        case .none: return (train, test)
        case .divide(let d): return (train.scaled(by: d), test.scaled(by: d))
        case .minMax:
            let s = MinMaxScaler(fittedTo: train)
            return (s.transform(train), s.transform(test))
        }
    }
}

/// Why a CSV could not be loaded, with the 1-based line (0 when it is about
/// the file as a whole).
public struct DatasetError: Error, Sendable, Equatable, CustomStringConvertible {
    fileprivate enum Code: Sendable, Equatable { case unreadable, empty, badHeader, badRow, badValue }
    private let code: Code
    public let file: String?
    public let line: Int
    public let message: String

    public static let unreadable = DatasetError(.unreadable, line: 0, "")
    public static let empty = DatasetError(.empty, line: 0, "")
    public static let badHeader = DatasetError(.badHeader, line: 0, "")
    public static let badRow = DatasetError(.badRow, line: 0, "")
    public static let badValue = DatasetError(.badValue, line: 0, "")

    fileprivate init(_ code: Code, file: String? = nil, line: Int, _ message: String) {
        self.code = code
        self.file = file
        self.line = line
        self.message = message
    }

    fileprivate func `in`(file: String) -> DatasetError { DatasetError(code, file: file, line: line, message) }

    /// Whether two errors are of the same kind (`error ~= .badRow`).
    public static func ~= (pattern: DatasetError, error: DatasetError) -> Bool { pattern.code == error.code }

    public var description: String {
        let place = [file, line > 0 ? String(line) : nil].compactMap { $0 }.joined(separator: ":")
        return place.isEmpty ? message : "\(place): \(message)"
    }
}
