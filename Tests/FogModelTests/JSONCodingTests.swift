import Foundation
@testable import FogModel
import Testing

@Suite struct JSONCodingTests {
    @Test func roundTripsEveryValueKindWithSortedKeys() throws {
        let value: JSONValue = ["b": [1, 2.5, "x\n\"y\"", true, nil], "a": ["nested": ["k": -7]], "c": 3.0]
        let text = JSONCoding.encode(value)
        #expect(text == #"{"a":{"nested":{"k":-7}},"b":[1,2.5,"x\n\"y\"",true,null],"c":3.0}"#)
        #expect(try JSONCoding.parse(text) == value)
    }

    @Test func parsesEscapesAndSurrogatePairs() throws {
        #expect(try JSONCoding.parse(#""\u00e9\ud83d\ude00\t""#) == .string("é😀\t"))
    }

    @Test(arguments: ["{", "[1,]", "{\"a\" 1}", "nul", "\"abc", "{\"a\":1,\"a\":2}", "1 2", "[\"\\q\"]"])
    func rejectsMalformedJSON(_ text: String) {
        #expect(throws: JSONCoding.ParseError.self) { try JSONCoding.parse(text) }
    }

    @Test func rejectsNestingDeeperThanTheLimit() {
        let deep = String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000)
        #expect(throws: JSONCoding.ParseError.self) { try JSONCoding.parse(deep) }
    }

    @Test func resourceRoundTripsThroughItsStoredForm() throws {
        var meta = ObjectMeta(name: "edge-1", namespace: "")
        meta.labels = ["fog/class": "edge"]
        meta.resourceVersion = 42
        meta.generation = 3
        meta.finalizers = ["fog/cleanup"]
        meta.ownerReferences = [OwnerReference(kind: "FederatedJob", name: "j", uid: "u-1", controller: true)]
        let r = Resource(kind: "FogNode", metadata: meta, content: ["spec": ["class": "edge"]])
        let back = try Resource.decode(r.encoded())
        #expect(back == r)
        #expect(r.json["metadata"]?["resourceVersion"] == .string("42"))
    }
}

@Suite struct FieldPathTests {
    @Test func pathsParseIntoKeysAndIndexes() {
        #expect(FieldPath.parse("spec.roles[1]") == [.key("spec"), .key("roles"), .index(1)])
        #expect(FieldPath.parse("status.reservations[team-1/job-0].cpu") == [.key("status"), .key("reservations"), .key("team-1/job-0"), .key("cpu")])
        #expect(FieldPath.parse("a..b.") == [.key("a"), .key("b")])
        #expect(FieldPath.parse("") == [])
        #expect(FieldPath.parse("[2][x]") == [.index(2), .key("x")])
        #expect(FieldPath.parse("labels.région[3") == [.key("labels"), .key("région"), .index(3)])
        for path in ["spec.roles[1]", "status.conditions[0].type", "metadata.labels"] {
            #expect(FieldPath.render(FieldPath.parse(path)) == path)
        }
    }
}

@Suite struct NamesTests {
    @Test(arguments: ["edge-1", "a", "0abc", String(repeating: "a", count: 63)])
    func acceptsDNSLabels(_ name: String) { #expect(Names.dns1123LabelProblem(name) == nil) }

    @Test(arguments: ["Edge", "-a", "a-", "a_b", "a.b", "", String(repeating: "a", count: 64)])
    func rejectsNonDNSLabels(_ name: String) { #expect(Names.dns1123LabelProblem(name) != nil) }

    @Test func labelKeysAndValuesFollowKubernetesRules() {
        #expect(Names.labelKeyProblem("fog/region") == nil)
        #expect(Names.labelKeyProblem("example.com/My_Key.1") == nil)
        #expect(Names.labelKeyProblem("a/b/c") != nil)
        #expect(Names.labelKeyProblem("Bad_Prefix/x") != nil)
        #expect(Names.labelKeyProblem("-x") != nil)
        #expect(Names.labelValueProblem("") == nil)
        #expect(Names.labelValueProblem("eu-west_1.a") == nil)
        #expect(Names.labelValueProblem("has space") != nil)
        #expect(Names.labelValueProblem(String(repeating: "v", count: 64)) != nil)
    }
}

@Suite struct LabelSelectorTests {
    let labels = ["fog/class": "edge", "fog/region": "eu-west", "tier": "gold"]

    @Test(arguments: [
        ("fog/class=edge", true), ("fog/class==edge", true), ("fog/class!=edge", false), ("fog/class!=cloud", true),
        ("fog/region in (eu-west,us-east)", true), ("fog/region notin (eu-west)", false), ("tier", true), ("!tier", false),
        ("!missing", true), ("missing", false), ("missing!=x", true), ("missing notin (x)", true), ("missing in (x)", false),
        ("fog/class=edge, tier=gold", true), ("fog/class=edge,tier=silver", false), ("", true),
    ])
    func matches(_ selector: String, _ expected: Bool) throws {
        #expect(try LabelSelector.parse(selector).matches(labels) == expected)
    }

    @Test(arguments: ["a=b,", "in (x)", "a in x", "a in (x", "a=b=c", "Bad Key=x", "a=has space", "a ~ b", "a/b/c=x"])
    func rejectsMalformedSelectors(_ selector: String) {
        #expect(throws: LabelSelector.ParseError.self) { try LabelSelector.parse(selector) }
    }

    @Test func printsInCanonicalForm() throws {
        #expect(try LabelSelector.parse("a in (y, x),!b, c != d").description == "a in (x,y),!b,c!=d")
    }
}

@Suite struct ConditionTests {
    @Test func lastTransitionTimeMovesOnlyWhenStatusFlips() {
        var conditions: [Condition] = []
        conditions.set(Condition(type: "Ready", status: .false, reason: "Starting"), now: "t1")
        conditions.set(Condition(type: "Ready", status: .false, reason: "StillStarting"), now: "t2")
        #expect(conditions[type: "Ready"]?.lastTransitionTime == "t1")
        #expect(conditions[type: "Ready"]?.reason == "StillStarting")
        conditions.set(Condition(type: "Ready", status: .true), now: "t3")
        #expect(conditions[type: "Ready"]?.lastTransitionTime == "t3")
        #expect(conditions.count == 1)
    }

    @Test func timestampsFormatAsRFC3339UTC() {
        #expect(Timestamp.formatEpoch(0) == "1970-01-01T00:00:00Z")
        #expect(Timestamp.formatEpoch(1_795_000_000) == "2026-11-18T11:06:40Z")
        #expect(Timestamp.formatEpoch(951_782_400) == "2000-02-29T00:00:00Z")
    }
}

@Suite("Timestamps")
struct TimestampTests {
    @Test("the fast UTC parser agrees with ISO 8601 parsing; other forms still parse; bad dates do not")
    func parse() {
        var rng = SplitMix64(seed: 7)
        let iso = ISO8601DateFormatter()
        for _ in 0..<2000 {
            let t = Int64(rng.next() % 8_000_000_000) - 2_000_000_000
            let s = Timestamp.formatEpoch(t)
            #expect(Timestamp.parseUTC(s) == iso.date(from: s), "\(s)")
            #expect(Timestamp.parse(s)?.timeIntervalSince1970 == Double(t))
        }
        #expect(Timestamp.parse("2026-11-22T15:30:00.250Z")?.timeIntervalSince1970 == 1_795_361_400.25)
        #expect(Timestamp.parse("2024-02-29T00:00:00Z") != nil)
        #expect(Timestamp.parseUTC("2026-11-22T16:30:00+01:00") == nil)
        #expect(Timestamp.parse("2026-11-22T16:30:00+01:00")?.timeIntervalSince1970 == 1_795_361_400)
        for bad in ["2023-02-29T00:00:00Z", "2026-13-01T00:00:00Z", "2026-11-22T24:00:00Z", "2026-11-22 15:30:00Z", "2026-11-22T15:30:00.Z", "yesterday"] {
            #expect(Timestamp.parseUTC(bad) == nil, "\(bad)")
        }
        // What the fallback formatter refuses too (it rolls 29 February 2023 and 24:00 over to the next day).
        for bad in ["2026-13-01T00:00:00Z", "2026-11-22 15:30:00Z", "yesterday"] {
            #expect(Timestamp.parse(bad) == nil, "\(bad)")
        }
    }
}
