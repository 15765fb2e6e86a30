import FogModel
import Foundation
import Testing
@testable import FogLearning

/// The digits data set shipped in examples/data, scaled by 1/16 and split 80/20.
enum Digits {
    static let path: String = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("examples/data/digits.csv").path

    static let all: Dataset = try! Dataset(contentsOfCSV: path)
    static let split: (train: Dataset, test: Dataset) = all.scaled(by: 16).split(testFraction: 0.2, seed: 1)
}

@Suite("Dataset")
struct DatasetTests {
    @Test("the digits CSV: 1,797 rows × 64 pixels 0–16, ten classes")
    func digits() {
        let d = Digits.all
        #expect(d.count == 1797)
        #expect(d.featureCount == 64)
        #expect(d.classCount == 10)
        #expect(d.featureNames.first == "p0" && d.featureNames.last == "p63")
        #expect(d.features.min() == 0 && d.features.max() == 16)
        #expect(d.classCounts() == [178, 182, 177, 183, 181, 182, 181, 179, 174, 180])
    }

    @Test("a named label column anywhere; blank lines and CRLF are fine")
    func namedLabel() throws {
        let d = try Dataset(csv: "a,y,b\r\n1,2,3\r\n\r\n4,0,5.5\n", labelColumn: "y")
        #expect(d.labels == [2, 0])
        #expect(d.features == [1, 3, 4, 5.5])
        #expect(d.featureNames == ["a", "b"])
        #expect(d.classCount == 3)
    }

    @Test("bad CSV input names the line")
    func errors() {
        #expect(throws: DatasetError.self) { try Dataset(csv: "") }
        let short = #expect(throws: DatasetError.self) { try Dataset(csv: "a,label\n1,0\n2\n") }
        #expect(short.map { DatasetError.badRow ~= $0 } == true)
        #expect(short?.line == 3)
        let bad = #expect(throws: DatasetError.self) { try Dataset(csv: "a,label\n1,0\nx,1\n") }
        #expect(bad.map { DatasetError.badValue ~= $0 } == true)
        #expect(bad?.description == "3: column a: \"x\" is not a finite number")
        #expect(throws: DatasetError.self) { try Dataset(csv: "a,label\n1,-1\n") }
        #expect(throws: DatasetError.self) { try Dataset(csv: "a,b\n1,2\n", labelColumn: "label") }
        #expect(throws: DatasetError.self) { try Dataset(contentsOfCSV: "/nonexistent/file.csv") }
    }

    @Test("a stratified split is deterministic, disjoint and keeps class shares")
    func split() {
        let d = Digits.all
        let (train, test) = d.split(testFraction: 0.2, seed: 1)
        #expect(train.count + test.count == d.count)
        #expect(test.count == 359)
        for (c, n) in d.classCounts().enumerated() {
            #expect(abs(test.classCounts()[c] - Int((0.2 * Double(n)).rounded())) == 0)
        }
        let again = d.split(testFraction: 0.2, seed: 1)
        #expect(again.test == test)
        #expect(d.split(testFraction: 0.2, seed: 2).test != test)
        let plain = d.split(testFraction: 0.25, seed: 3, stratified: false)
        #expect(plain.test.count == 449)
    }

    @Test("scaling: /16 for the digits; min-max fitted on the training set")
    func scaling() {
        let d = Digits.all.scaled(by: 16)
        #expect(d.features.max() == 1)
        let train = Dataset(features: [0, 10, 2, 20, 4, 30], labels: [0, 1, 0], featureCount: 2)
        let test = Dataset(features: [1, 40], labels: [1], featureCount: 2)
        let s = MinMaxScaler(fittedTo: train)
        #expect(s.minimum == [0, 10] && s.maximum == [4, 30])
        #expect(s.transform(train).features == [0, 0, 0.5, 0.5, 1, 1])
        #expect(s.transform(test).features == [0.25, 1.5])
        let (a, b) = FeatureScaling.divide(by: 2).apply(train: train, test: test)
        #expect(a.features == [0, 5, 1, 10, 2, 15] && b.features == [0.5, 20])
    }
}

@Suite("Random numbers and partitions")
struct PartitionTests {
    @Test("the generator is reproducible and its draws are in range")
    func generator() {
        var a = Xoshiro256(seed: 5), b = Xoshiro256(seed: 5)
        #expect((0..<10).map { _ in a.next() } == (0..<10).map { _ in b.next() })
        var r = Xoshiro256(seed: 1)
        var counts = [Int](repeating: 0, count: 7)
        for _ in 0..<70_000 {
            let u = r.nextDouble()
            #expect(u >= 0 && u < 1)
            counts[r.nextInt(below: 7)] += 1
        }
        #expect(counts.allSatisfy { abs($0 - 10_000) < 400 })
        #expect(SplitMix64.mix(1, 2, 3) != SplitMix64.mix(1, 3, 2))
    }

    @Test("Gamma (Marsaglia–Tsang) has mean α and variance α", arguments: [0.3, 0.5, 1.0, 2.5, 10.0])
    func gamma(alpha: Double) {
        var r = Xoshiro256(seed: 11)
        let n = 40_000
        let xs = (0..<n).map { _ in r.nextGamma(shape: alpha) }
        let mean = xs.reduce(0, +) / Double(n)
        let variance = xs.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(n - 1)
        #expect(xs.allSatisfy { $0 > 0 && $0.isFinite })
        #expect(abs(mean - alpha) < 0.03 * alpha + 0.01)
        #expect(abs(variance - alpha) < 0.08 * alpha + 0.01)
    }

    @Test("Dirichlet(α) draws sum to 1 with component means 1/K")
    func dirichlet() {
        var r = Xoshiro256(seed: 3)
        let k = 10, n = 20_000
        var sums = [Double](repeating: 0, count: k)
        for _ in 0..<n {
            let p = r.nextDirichlet(alpha: 0.5, count: k)
            #expect(abs(p.reduce(0, +) - 1) < 1e-9)
            for i in 0..<k { sums[i] += p[i] }
        }
        for s in sums { #expect(abs(s / Double(n) - 0.1) < 0.005) }
    }

    static func checkCover(_ p: Partition, count: Int) {
        let all = p.shards.flatMap { $0 }
        #expect(all.count == count)
        #expect(Set(all).count == count)
        #expect(all.allSatisfy { $0 >= 0 && $0 < count })
        for s in p.shards { #expect(s == s.sorted()) }
    }

    @Test("IID dealing covers every row once, sizes within one")
    func iid() throws {
        let labels = Digits.split.train.labels
        let p = try Partition(labels: labels, classCount: 10, clients: 10, scheme: .iid, seed: 1)
        Self.checkCover(p, count: labels.count)
        #expect(p.sizes.max()! - p.sizes.min()! <= 1)
        #expect(try Partition(labels: labels, classCount: 10, clients: 10, scheme: .iid, seed: 1) == p)
    }

    @Test("Dirichlet label skew covers every row once and respects the minimum", arguments: [0.05, 0.5, 100.0])
    func dirichletPartition(alpha: Double) throws {
        let labels = Digits.split.train.labels
        let p = try Partition(labels: labels, classCount: 10, clients: 10, scheme: .dirichlet(alpha: alpha), seed: 2,
                              minimumSamples: 20)
        Self.checkCover(p, count: labels.count)
        #expect(p.sizes.min()! >= 20)
        // Skew: with α = 0.05 a client's largest class dominates; with α = 100 none does.
        let counts = p.classCounts(labels: labels, classCount: 10)
        let dominance = counts.map { Double($0.max()!) / Double($0.reduce(0, +)) }
        if alpha < 0.1 { #expect(dominance.reduce(0, +) / 10 > 0.6) }
        if alpha > 10 { #expect(dominance.max()! < 0.25) }
    }

    @Test("the minimum holds even when every draw misses it (repair by moving rows)")
    func repair() throws {
        let labels = (0..<200).map { $0 % 2 }
        let p = try Partition(labels: labels, classCount: 2, clients: 20, scheme: .dirichlet(alpha: 0.01), seed: 4,
                              minimumSamples: 10)
        Self.checkCover(p, count: 200)
        #expect(p.sizes.allSatisfy { $0 == 10 })
    }

    @Test("impossible partitions are refused")
    func invalid() {
        #expect(throws: LearningError.self) {
            try Partition(labels: [0, 1, 0], classCount: 2, clients: 2, scheme: .iid, seed: 1, minimumSamples: 2)
        }
        #expect(throws: LearningError.self) {
            try Partition(labels: [0, 1], classCount: 2, clients: 1, scheme: .dirichlet(alpha: 0), seed: 1)
        }
        #expect(throws: LearningError.self) {
            try Partition(labels: [0, 3], classCount: 2, clients: 1, scheme: .iid, seed: 1, minimumSamples: 0)
        }
    }
}

@Suite("DataCatalog")
struct DataCatalogTests {
    static let directory = URL(fileURLWithPath: Digits.path).deletingLastPathComponent().path

    @Test("a catalog keeps its most recently used splits only, and a split evicted and asked again is the same")
    func keepsRecentSplits() throws {
        let catalog = DataCatalog(directory: Self.directory, retained: 2)
        let first = try catalog.split("digits", testFraction: 0.2, seed: 1)
        for seed: UInt64 in 2...5 { _ = try catalog.split("digits", testFraction: 0.2, seed: seed) }
        #expect(catalog.cachedSplits == 2)
        let again = try catalog.split("digits", testFraction: 0.2, seed: 1)
        #expect(again.train == first.train && again.test == first.test)
        #expect(first.train.count + first.test.count == 1797)
        // Another seed, another split of the same rows.
        let other = try catalog.split("digits", testFraction: 0.2, seed: 2)
        #expect(other.train != first.train)
        #expect(catalog.cachedSplits == 2)
    }

    @Test("recently used: reading an entry keeps it, the least recently used goes")
    func recentlyUsed() {
        var m = RecentlyUsed<String, Int>(capacity: 2)
        m["a"] = 1
        m["b"] = 2
        _ = m["a"]
        m["c"] = 3
        #expect(m["a"] == 1 && m["b"] == nil && m["c"] == 3 && m.count == 2)
    }
}
