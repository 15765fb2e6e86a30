import FogModel
import Foundation
import Testing
@testable import FogLearning

/// Reproducible test updates from FogModel's seeded SplitMix64.
private extension SplitMix64 {
    /// A model-update-like vector: mostly small, a few large coordinates.
    mutating func update(_ count: Int) -> [Float] {
        (0..<count).map { _ in
            let x = Float.random(in: -0.05...0.05, using: &self)
            return Int.random(in: 0..<50, using: &self) == 0 ? x * 40 : x
        }
    }
}

private func rootMeanSquare(_ a: [Float], _ b: [Float]) -> Double {
    guard !a.isEmpty else { return 0 }
    return (zip(a, b).reduce(0.0) { $0 + Double($1.0 - $1.1) * Double($1.0 - $1.1) } / Double(a.count)).squareRoot()
}

@Suite("Update compression")
struct CompressionTests {
    static let sizes = [0, 1, 2, 511, 512, 513, 1000, 10_000]

    @Test("none sends the floats as they are: 4 bytes each")
    func none() throws {
        var rng = SplitMix64(seed: 1)
        for n in Self.sizes {
            let v = rng.update(n)
            let bytes = UpdateCodec.none.encode(v)
            #expect(bytes.count == 4 * n)
            #expect(bytes.count == UpdateCodec.none.encodedByteCount(count: n))
            #expect(try UpdateCodec.none.decode(bytes, count: n) == v)
        }
        // Little-endian IEEE-754: 1.0 is 00 00 80 3F.
        #expect(UpdateCodec.none.encode([1]) == [0x00, 0x00, 0x80, 0x3F])
    }

    @Test("int8 comes back within half a step, (max − min)/510, of each coordinate", arguments: [64, 512, 4096, 1 << 20])
    func int8RoundTrip(chunkSize: Int) throws {
        var rng = SplitMix64(seed: UInt64(chunkSize))
        let codec = UpdateCodec.int8(chunkSize: chunkSize)
        for n in Self.sizes {
            let v = rng.update(n)
            let bytes = codec.encode(v)
            let chunks = (n + chunkSize - 1) / chunkSize
            #expect(bytes.count == n + 8 * chunks)
            #expect(bytes.count == codec.encodedByteCount(count: n))
            let decoded = try codec.decode(bytes, count: n)
            #expect(decoded.count == n)
            for start in stride(from: 0, to: n, by: chunkSize) {
                let chunk = v[start..<min(start + chunkSize, n)]
                let range = chunk.max()! - chunk.min()!
                for k in chunk.indices {
                    // Half a quantisation step, plus float rounding of the scale and of the result.
                    let bound = range / 255 / 2 * (1 + 1e-5) + abs(v[k]).ulp
                    #expect(abs(decoded[k] - v[k]) <= bound, "n=\(n) k=\(k): \(v[k]) -> \(decoded[k]), bound \(bound)")
                }
            }
        }
    }

    @Test("int8 reconstruction error, measured")
    func int8Error() throws {
        var rng = SplitMix64(seed: 99)
        let v = rng.update(100_000)
        let range = Double(v.max()! - v.min()!)
        let perTensor = try UpdateCodec.int8(chunkSize: v.count).decode(UpdateCodec.int8(chunkSize: v.count).encode(v), count: v.count)
        let chunked = try UpdateCodec.int8.decode(UpdateCodec.int8.encode(v), count: v.count)
        let rmsTensor = rootMeanSquare(perTensor, v)
        let rmsChunked = rootMeanSquare(chunked, v)
        // Uniform rounding error has RMS step/√12.
        #expect(rmsTensor <= range / 255 / 12.0.squareRoot() * 1.1)
        #expect(rmsChunked <= rmsTensor)
        let ratio = Double(4 * v.count) / Double(UpdateCodec.int8.encodedByteCount(count: v.count))
        #expect(ratio > 3.9)
        print("int8 on 100000 coordinates: RMS error \(rmsTensor) per tensor, \(rmsChunked) per 512-chunk; \(ratio)x smaller")
    }

    @Test("int8: a constant chunk comes back exact, and the extremes stay in range")
    func int8Edges() throws {
        let constant = [Float](repeating: -0.25, count: 700)
        #expect(try UpdateCodec.int8.decode(UpdateCodec.int8.encode(constant), count: 700) == constant)
        let v: [Float] = [-1, 1, 0, 0.5]
        let decoded = try UpdateCodec.int8.decode(UpdateCodec.int8.encode(v), count: 4)
        #expect(decoded[0] == -1)
        #expect(abs(decoded[1] - 1) < 1e-6)
        // Non-finite input does not trap.
        _ = UpdateCodec.int8.encode([1, .nan, .infinity, -2])
    }

    @Test("top-k keeps exactly the k largest magnitudes, values exact, 8 bytes each")
    func topK() throws {
        var rng = SplitMix64(seed: 5)
        for fraction in [0.01, 0.1, 0.25, 1.0] {
            let codec = UpdateCodec.topK(fraction: fraction)
            for n in Self.sizes {
                let v = rng.update(n)
                let k = UpdateCodec.topKCount(fraction: fraction, count: n)
                #expect(k == (n == 0 ? 0 : max(1, Int((fraction * Double(n)).rounded()))))
                let bytes = codec.encode(v)
                #expect(bytes.count == 8 * k)
                #expect(bytes.count == codec.encodedByteCount(count: n))
                let decoded = try codec.decode(bytes, count: n)
                let kept = decoded.indices.filter { decoded[$0] != 0 }
                // Brute force: the k largest magnitudes, lower index first on ties.
                let expected = v.indices.sorted { abs(v[$0]) != abs(v[$1]) ? abs(v[$0]) > abs(v[$1]) : $0 < $1 }.prefix(k)
                #expect(Set(kept) == Set(expected.filter { v[$0] != 0 }), "fraction \(fraction) n \(n)")
                for i in expected { #expect(decoded[i] == v[i]) }
                let expectedSet = Set(expected)
                #expect(decoded.indices.allSatisfy { expectedSet.contains($0) || decoded[$0] == 0 })
            }
        }
    }

    @Test("top-k: ties go to the lower index; the format is index then value")
    func topKFormat() throws {
        let v: [Float] = [0.5, -2, 2, 0.1]
        let codec = UpdateCodec.topK(fraction: 0.25)   // k = 1
        let bytes = codec.encode(v)
        #expect(bytes == [1, 0, 0, 0] + [0x00, 0x00, 0x00, 0xC0])   // index 1, -2.0
        #expect(try codec.decode(bytes, count: 4) == [0, -2, 0, 0])
        #expect(UpdateCodec.topK(fraction: 0.5).encode(v).count == 16)
    }

    @Test("decoding rejects bytes of the wrong length and bad top-k indices")
    func decodeErrors() {
        #expect(throws: CodecError.self) { try UpdateCodec.none.decode([0, 0, 0], count: 1) }
        #expect(throws: CodecError.self) { try UpdateCodec.int8.decode([UInt8](repeating: 0, count: 10), count: 3) }
        let codec = UpdateCodec.topK(fraction: 0.5)
        // Index 7 in an update of 4.
        #expect(throws: CodecError.self) { try codec.decode([7, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0], count: 4) }
        // Indices out of order.
        #expect(throws: CodecError.self) { try codec.decode([2, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0], count: 4) }
        do {
            _ = try UpdateCodec.none.decode([0, 0, 0], count: 1)
        } catch {
            #expect(error.description == "none update of 3 bytes, expected 4")
        }
    }

    @Test("error feedback delays what top-k drops instead of losing it")
    func errorFeedback() throws {
        var rng = SplitMix64(seed: 11)
        let n = 2000
        let codec = UpdateCodec.topK(fraction: 0.05)
        var feedback = ErrorFeedback(count: n)
        var sentTotal = [Double](repeating: 0, count: n)
        var trueTotal = [Double](repeating: 0, count: n)
        for _ in 0..<60 {
            let update = rng.update(n)
            let decoded = try codec.decode(feedback.encode(update, with: codec), count: n)
            for k in 0..<n {
                sentTotal[k] += Double(decoded[k])
                trueTotal[k] += Double(update[k])
            }
        }
        // What was sent plus what is still held back is what was produced.
        for k in 0..<n {
            #expect(abs(sentTotal[k] + Double(feedback.residual[k]) - trueTotal[k]) < 1e-3)
        }
        // And what is held back is small next to what was sent.
        let residualNorm = GaussianMechanism.l2Norm(feedback.residual)
        let trueNorm = Float(trueTotal.reduce(0) { $0 + $1 * $1 }.squareRoot())
        #expect(residualNorm < trueNorm)
    }

    @Test("auto picks int8 for mobile participants and none for the others")
    func policy() {
        #expect(CompressionSetting.auto.codec(deviceClass: "mobile") == .int8(chunkSize: UpdateCodec.defaultInt8ChunkSize))
        for deviceClass in ["edge", "fog", "cloud", "unknown"] {
            #expect(CompressionSetting.auto.codec(deviceClass: deviceClass) == .none)
        }
        #expect(CompressionSetting.none.codec(deviceClass: "mobile") == .none)
        #expect(CompressionSetting.int8.codec(deviceClass: "cloud") == .int8)
        #expect(CompressionSetting.topk.codec(deviceClass: "edge") == .topK(fraction: 0.1))
        #expect(CompressionSetting.topk.codec(deviceClass: "edge", topkFraction: 0.02) == .topK(fraction: 0.02))
        #expect(CompressionSetting(rawValue: "topk") == .topk)
        #expect(CompressionSetting.allCases.map(\.rawValue) == ["auto", "none", "int8", "topk"])
        #expect([UpdateCodec.none, .int8, .topK(fraction: 0.1)].map(\.name) == ["none", "int8", "topk"])
    }

    @Test("byte counts for a one-million-parameter update")
    func byteCounts() {
        let n = 1_000_000
        #expect(UpdateCodec.none.encodedByteCount(count: n) == 4_000_000)
        #expect(UpdateCodec.int8.encodedByteCount(count: n) == 1_000_000 + 8 * 1954)
        #expect(UpdateCodec.int8(chunkSize: n).encodedByteCount(count: n) == 1_000_008)
        #expect(UpdateCodec.topK(fraction: 0.1).encodedByteCount(count: n) == 800_000)
        #expect(UpdateCodec.topK(fraction: 0.01).encodedByteCount(count: n) == 80_000)
    }
}
