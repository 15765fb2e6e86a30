import Foundation

/// How a model update is encoded on the wire. The encoded bytes are what a participant sends,
/// and their count is what a job reports as bytes moved; ``encodedByteCount(count:)`` gives
/// it without encoding. Every codec is given the number of coordinates when decoding (the
/// model's size is known to both sides), so the formats carry no length header. All numbers
/// are little-endian; floats are IEEE-754 binary32.
///
/// | codec | bytes for n coordinates | format |
/// | --- | --- | --- |
/// | ``none`` | 4·n | the n floats |
/// | ``int8(chunkSize:)`` | n + 8·⌈n/chunk⌉ | per chunk: minimum (float), scale (float), one code byte per coordinate |
/// | ``topK(fraction:)`` | 8·k, k = max(1, round(fraction·n)) | k pairs (index UInt32, value float), by increasing index |
///
/// `int8` maps each chunk's range [min, max] affinely onto the codes 0…255
/// (`scale = (max − min)/255`, `code = round((x − min)/scale)`, decoded as `min + code·scale`),
/// so a coordinate comes back within half a step, `(max − min)/510`, of where it was (plus
/// float rounding). A constant chunk comes back exact. `topK` keeps the k coordinates largest
/// in magnitude (the lower index first on ties) and sends them exactly; the rest decode as 0.
/// Pair it with ``ErrorFeedback`` so that what it drops is sent in later rounds.
///
/// Coordinates are expected to be finite: encoding a non-finite value does not trap, but
/// `int8` does not carry it faithfully. With differential privacy the server clips each update
/// after decoding it (``GaussianMechanism/clip(_:norm:)``), which also zeroes an update that
/// is not finite.
public enum UpdateCodec: Sendable, Hashable {
    /// Raw floats.
    case none
    /// Affine 8-bit quantisation with a minimum and a scale per chunk of `chunkSize` coordinates.
    case int8(chunkSize: Int)
    /// Top-k sparsification: the k = round(fraction·n) largest-magnitude coordinates (at least one).
    case topK(fraction: Double)

    /// The default chunk for `int8`: 512 coordinates, 8 bytes of header each, so an update
    /// shrinks by a factor of about 3.94.
    public static let defaultInt8ChunkSize = 512
    /// The default fraction for `topK` (the manifests' `topkFraction` default).
    public static let defaultTopKFraction = 0.1

    /// `int8` with the default chunk.
    public static var int8: UpdateCodec { .int8(chunkSize: defaultInt8ChunkSize) }

    /// The codec's name as manifests spell it: `none`, `int8` or `topk`.
    public var name: String {
        switch self {
        case .none: "none"
        case .int8: "int8"
        case .topK: "topk"
        }
    }

    /// The number of coordinates `topK` keeps out of `count`.
    public static func topKCount(fraction: Double, count: Int) -> Int {
        precondition(fraction > 0 && fraction <= 1, "top-k fraction must be in (0, 1], got \(fraction)")
        guard count > 0 else { return 0 }
        return min(count, max(1, Int((fraction * Double(count)).rounded())))
    }

    /// Exactly how many bytes ``encode(_:)`` produces for `count` coordinates.
    public func encodedByteCount(count: Int) -> Int {
        precondition(count >= 0)
        switch self {
        case .none:
            return 4 * count
        case .int8(let chunkSize):
            precondition(chunkSize > 0, "int8 chunk size must be positive")
            let chunks = (count + chunkSize - 1) / chunkSize
            return count + 8 * chunks
        case .topK(let fraction):
            return 8 * Self.topKCount(fraction: fraction, count: count)
        }
    }

    /// Encodes an update.
    public func encode(_ values: [Float]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(encodedByteCount(count: values.count))
        switch self {
        case .none:
            for x in values { out.appendLittleEndian(x.bitPattern) }
        case .int8(let chunkSize):
            var start = 0
            while start < values.count {
                let end = min(start + chunkSize, values.count)
                Self.encodeInt8Chunk(values[start..<end], into: &out)
                start = end
            }
        case .topK(let fraction):
            precondition(values.count <= Int(UInt32.max), "top-k indices are 32-bit")
            let k = Self.topKCount(fraction: fraction, count: values.count)
            for index in Self.topKIndices(values, k: k) {
                out.appendLittleEndian(UInt32(index))
                out.appendLittleEndian(values[index].bitPattern)
            }
        }
        assert(out.count == encodedByteCount(count: values.count))
        return out
    }

    /// Decodes `count` coordinates from bytes made by ``encode(_:)`` with the same codec.
    ///
    /// - Throws: ``CodecError`` when the bytes are not of the expected length, or a top-k
    ///   index is out of range or out of order.
    public func decode(_ bytes: [UInt8], count: Int) throws(CodecError) -> [Float] {
        precondition(count >= 0)
        let expected = encodedByteCount(count: count)
        guard bytes.count == expected else {
            throw CodecError(.length(codec: name, expected: expected, actual: bytes.count))
        }
        switch self {
        case .none:
            return (0..<count).map { Float(bitPattern: bytes.loadLittleEndianUInt32(at: 4 * $0)) }
        case .int8(let chunkSize):
            var out: [Float] = []
            out.reserveCapacity(count)
            var offset = 0
            var start = 0
            while start < count {
                let end = min(start + chunkSize, count)
                let low = Float(bitPattern: bytes.loadLittleEndianUInt32(at: offset))
                let scale = Float(bitPattern: bytes.loadLittleEndianUInt32(at: offset + 4))
                offset += 8
                for _ in start..<end {
                    out.append(Float(Double(low) + Double(bytes[offset]) * Double(scale)))
                    offset += 1
                }
                start = end
            }
            return out
        case .topK:
            var out = [Float](repeating: 0, count: count)
            var previous = -1
            for pair in 0..<(bytes.count / 8) {
                let index = Int(bytes.loadLittleEndianUInt32(at: 8 * pair))
                guard index < count, index > previous else {
                    throw CodecError(.index(index, count: count))
                }
                out[index] = Float(bitPattern: bytes.loadLittleEndianUInt32(at: 8 * pair + 4))
                previous = index
            }
            return out
        }
    }

    private static func encodeInt8Chunk(_ chunk: ArraySlice<Float>, into out: inout [UInt8]) {
        var low = Float.infinity
        var high = -Float.infinity
        for x in chunk {
            low = min(low, x)
            high = max(high, x)
        }
        let scale = (high - low) / 255
        out.appendLittleEndian(low.bitPattern)
        out.appendLittleEndian(scale.bitPattern)
        for x in chunk {
            // A zero scale (a constant chunk) sends code 0; so does anything that is not a number.
            let t = scale > 0 ? ((Double(x) - Double(low)) / Double(scale)).rounded() : 0
            out.append(t >= 255 ? 255 : (t > 0 ? UInt8(t) : 0))
        }
    }

    /// The indices of the k largest-magnitude values (lower index first on ties; NaN counts
    /// as smallest), in increasing order.
    static func topKIndices(_ values: [Float], k: Int) -> [Int] {
        guard k > 0 else { return [] }
        if k >= values.count { return Array(values.indices) }
        func magnitude(_ i: Int) -> Float {
            let m = abs(values[i])
            return m.isNaN ? -1 : m
        }
        let ranked = values.indices.sorted { a, b in
            let ma = magnitude(a)
            let mb = magnitude(b)
            return ma != mb ? ma > mb : a < b
        }
        return ranked.prefix(k).sorted()
    }
}

/// A codec that failed to decode: the bytes were not of the expected length, or a top-k
/// index was out of range or out of order.
public struct CodecError: Error, Sendable, Hashable, CustomStringConvertible {
    enum Code: Sendable, Hashable {
        case length(codec: String, expected: Int, actual: Int)
        case index(Int, count: Int)
    }

    let code: Code

    init(_ code: Code) { self.code = code }

    public var description: String {
        switch code {
        case .length(let codec, let expected, let actual):
            "\(codec) update of \(actual) bytes, expected \(expected)"
        case .index(let index, let count):
            "top-k index \(index) out of range or out of order (update of \(count) coordinates)"
        }
    }
}

/// Error feedback for a lossy codec (Seide et al. 2014; Karimireddy et al. 2019): what the
/// codec lost this round is added to the next round's update before encoding, so that
/// nothing is dropped for good, only delayed. Kept by the participant, one per model.
public struct ErrorFeedback: Sendable, Hashable {
    /// What has been lost so far and not yet sent.
    public private(set) var residual: [Float]

    public init(count: Int) {
        residual = [Float](repeating: 0, count: count)
    }

    /// Encodes `update` plus the residual, and keeps as the new residual the part the codec
    /// did not carry.
    public mutating func encode(_ update: [Float], with codec: UpdateCodec) -> [UInt8] {
        precondition(update.count == residual.count, "update length changed")
        var corrected = update
        for k in corrected.indices { corrected[k] += residual[k] }
        let bytes = codec.encode(corrected)
        // Decoding what was just encoded cannot fail.
        let sent = (try? codec.decode(bytes, count: corrected.count)) ?? corrected
        for k in residual.indices { residual[k] = corrected[k] - sent[k] }
        return bytes
    }
}

/// The `compression` setting of a job's aggregation: a codec, or `auto` to choose by the
/// participant's device class.
public enum CompressionSetting: String, Sendable, Hashable, CaseIterable {
    /// `int8` for `mobile` participants (phones on metered, slower networks), `none` for
    /// `edge`, `fog` and `cloud` ones (and for a class not known here).
    case auto
    case none
    case int8
    case topk

    /// The codec for a participant of `deviceClass` (`mobile`, `edge`, `fog` or `cloud`);
    /// `topkFraction` is the job's `topkFraction` (absent: 0.1).
    public func codec(deviceClass: String, topkFraction: Double? = nil) -> UpdateCodec {
        switch self {
        case .auto: deviceClass == "mobile" ? .int8 : .none
        case .none: .none
        case .int8: .int8
        case .topk: .topK(fraction: topkFraction ?? UpdateCodec.defaultTopKFraction)
        }
    }
}

extension [UInt8] {
    fileprivate mutating func appendLittleEndian(_ value: UInt32) {
        let v = value.littleEndian
        Swift.withUnsafeBytes(of: v) { append(contentsOf: $0) }
    }

    fileprivate func loadLittleEndianUInt32(at offset: Int) -> UInt32 {
        UInt32(self[offset]) | UInt32(self[offset + 1]) << 8 | UInt32(self[offset + 2]) << 16 | UInt32(self[offset + 3]) << 24
    }
}
