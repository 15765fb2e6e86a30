import FogModel
import Testing

/// `JSONValueDecoder`: `Decodable` types straight from a `JSONValue` tree.
@Suite struct JSONValueDecoderTests {
    enum Colour: String, SchemaEnum { case red, green }

    struct Inner: Decodable, Equatable {
        var count: Int
        var ratio: Double
    }

    struct Sample: Decodable, Equatable {
        var name: String
        var on: Bool
        var count: Int
        var big: Int64
        var small: UInt8
        var ratio: Double
        var precision: Float
        var colour: Colour
        var tags: [String]
        var inner: Inner
        var inners: [Inner]
        var labels: [String: String]
        var raw: JSONValue
        var absent: String?
        var null: Int?
    }

    static let sample: JSONValue = [
        "name": "n", "on": true, "count": 3, "big": 9_000_000_000, "small": 7, "ratio": 2, "precision": 0.5, "colour": "green",
        "tags": ["a", "b"], "inner": ["count": 2.0, "ratio": 0.25], "inners": [["count": 1, "ratio": 1.5]],
        "labels": ["k": "v"], "raw": ["any": [1, "x"]], "null": nil,
    ]

    @Test func decodesEveryKindOfField() throws {
        let s = try JSONValueDecoder().decode(Sample.self, from: Self.sample)
        #expect(s == Sample(name: "n", on: true, count: 3, big: 9_000_000_000, small: 7, ratio: 2, precision: 0.5, colour: .green,
                            tags: ["a", "b"], inner: Inner(count: 2, ratio: 0.25), inners: [Inner(count: 1, ratio: 1.5)],
                            labels: ["k": "v"], raw: ["any": [1, "x"]], absent: nil, null: nil))
    }

    @Test func scalarsAndListsAtTheTop() throws {
        #expect(try JSONValueDecoder().decode(Int.self, from: 4) == 4)
        #expect(try JSONValueDecoder().decode([Double].self, from: [1, 2.5]) == [1, 2.5])
        #expect(try JSONValueDecoder().decode(Colour.self, from: "red") == .red)
    }

    func error(_ value: JSONValue, sourceLocation: SourceLocation = #_sourceLocation) -> JSONDecodingError? {
        do {
            _ = try JSONValueDecoder().decode(Sample.self, from: value, path: "spec")
            Issue.record("decoded \(value)", sourceLocation: sourceLocation)
            return nil
        } catch {
            return error
        }
    }

    func with(_ path: String, _ value: JSONValue?) -> JSONValue {
        var v = Self.sample
        switch path {
        case "inner.count": v["inner"]?["count"] = value
        case "inners[0].ratio": v["inners"] = [["count": 1, "ratio": value ?? .null]]
        default: v[path] = value
        }
        return v
    }

    @Test func aMissingFieldIsNamed() {
        let e = error(with("count", nil))
        #expect(e == JSONDecodingError(path: "spec.count", message: "required field is missing"))
        #expect(e?.description == "spec.count: required field is missing")
        #expect(error(with("inner.count", nil))?.path == "spec.inner.count")
    }

    @Test func aWrongTypeIsNamedWithWhatWasExpected() {
        #expect(error(with("count", "3"))?.description == #"spec.count: must be an integer (got string "3")"#)
        #expect(error(with("count", 2.5))?.description == "spec.count: must be an integer (got 2.5)")
        #expect(error(with("ratio", true))?.description == "spec.ratio: must be a number (got true)")
        #expect(error(with("on", "yes"))?.description == #"spec.on: must be true or false (got string "yes")"#)
        #expect(error(with("name", 1))?.description == "spec.name: must be a string (got 1)")
        #expect(error(with("inner", [1]))?.description == "spec.inner: must be a mapping (got a list)")
        #expect(error(with("tags", ["a", 2]))?.description == "spec.tags[1]: must be a string (got 2)")
        #expect(error(with("inners[0].ratio", "x"))?.description == #"spec.inners[0].ratio: must be a number (got string "x")"#)
        #expect(error(with("labels", ["k": 1]))?.description == "spec.labels.k: must be a string (got 1)")
        #expect(error(with("small", 300))?.description == "spec.small: must be an integer between 0 and 255 (got 300)")
        #expect(error(with("colour", "blue"))?.description == #"spec.colour: must be one of: red, green (got "blue")"#)
        #expect(error(with("absent", 5))?.description == "spec.absent: must be a string (got 5)")
        #expect(error(.string("x"))?.description == #"spec: must be a mapping (got string "x")"#)
    }
}
