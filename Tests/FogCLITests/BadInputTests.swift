import FogCLI
import FogModel
import FogStore
import FogTesting
import Foundation
import Testing

/// Careless and hostile manifests: each must fail with exit 1, name the file,
/// line:column and field path, say what was expected, and write nothing.
@Suite struct BadInputTests {
    /// A valid FogNode; line numbers below refer to these lines.
    static let node = [
        "apiVersion: fog/v1alpha1",  // 1
        "kind: FogNode",  // 2
        "metadata:",  // 3
        "  name: edge-1",  // 4
        "  labels:",  // 5
        "    fog/region: eu-west",  // 6
        "spec:",  // 7
        "  region: eu-west",  // 8
        "  class: edge",  // 9
        "  capacity:",  // 10
        "    cpu: 4",  // 11
        "    memoryGiB: 8",  // 12
        "  roles: [compute]",  // 13
    ]

    /// The node with line `n` (1-based) replaced by `lines` (empty: removed).
    static func node(_ n: Int, _ lines: String...) -> String {
        var l = node
        l.replaceSubrange((n - 1)..<n, with: lines)
        return l.joined(separator: "\n") + "\n"
    }
    static var nodeText: String { node.joined(separator: "\n") + "\n" }

    static let job = [
        "apiVersion: fog/v1alpha1",  // 1
        "kind: FederatedJob",  // 2
        "metadata:",  // 3
        "  name: train",  // 4
        "spec:",  // 5
        "  type: training",  // 6
        "  tier: small",  // 7
        "  data:",  // 8
        "    dataset: digits",  // 9
        "  training:",  // 10
        "    rounds: 5",  // 11
        "    learningRate: 0.1",  // 12
    ]
    static func job(_ n: Int, _ line: String) -> String {
        var l = job
        l[n - 1] = line
        return l.joined(separator: "\n") + "\n"
    }

    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var file: String = "bad.yaml"
        var bytes: [UInt8]
        var expected: [String]
        var extraArgs: [String] = []
        var testDescription: String { name }

        init(_ name: String, _ text: String, _ expected: String..., file: String = "bad.yaml", args: [String] = []) {
            self.name = name
            self.bytes = Array(text.utf8)
            self.expected = expected
            self.file = file
            self.extraArgs = args
        }
        init(_ name: String, bytes: [UInt8], _ expected: String...) {
            self.name = name
            self.bytes = bytes
            self.expected = expected
        }
    }

    static let cases: [Case] = [
        Case("wrong type: string for a number", node(11, "    cpu: eight"),
             "bad.yaml:11:10: spec.capacity.cpu: must be a number (got string \"eight\") [document 1]"),
        Case("wrong type: string for a list", node(13, "  roles: compute"),
             "bad.yaml:13:10: spec.roles: must be a list (got string \"compute\")"),
        Case("wrong type: list for a mapping", node(10, "  capacity: [4, 8]", "  capacity2: 1").replacingOccurrences(of: "    cpu: 4\n    memoryGiB: 8\n", with: ""),
             "bad.yaml:10:13: spec.capacity: must be a mapping (got a list)"),
        Case("wrong type: float for an integer", job(11, "    rounds: 2.5"),
             "bad.yaml:11:13: spec.training.rounds: must be an integer (got 2.5)"),
        Case("wrong type: labels as a list", node(5, "  labels: [a]").replacingOccurrences(of: "    fog/region: eu-west\n", with: ""),
             "bad.yaml:5:11: metadata.labels: must be a mapping (got a list)"),
        Case("null spec", node(7, "spec:").components(separatedBy: "  region:")[0],
             "bad.yaml:", "spec: must be a mapping (got null)"),
        Case("unknown nested field, with a suggestion", node(12, "    memoryGB: 8"),
             "bad.yaml:12:5: spec.capacity.memoryGB: unknown field \"memoryGB\"; did you mean \"memoryGiB\"?",
             "bad.yaml:11:5: spec.capacity.memoryGiB: required field is missing"),
        Case("unknown top-level field", nodeText + "specs: {}\n", "bad.yaml:14:1: specs: unknown field \"specs\"; did you mean \"spec\"?"),
        Case("missing required field", node(8),
             "bad.yaml:8:3: spec.region: required field is missing"),
        Case("missing metadata.name", node(4, "  annotations: {}"),
             "bad.yaml:4:3: metadata.name: required field is missing"),
        Case("missing spec", Array(node[0..<6]).joined(separator: "\n") + "\n",
             "bad.yaml:1:1: spec: required field is missing"),
        Case("missing metadata", "apiVersion: fog/v1alpha1\nkind: Tier\nspec: {}\n",
             "bad.yaml:1:1: metadata: required field is missing"),
        Case("out of range: exclusive minimum", node(11, "    cpu: 0"),
             "bad.yaml:11:10: spec.capacity.cpu: must be > 0 (got 0)"),
        Case("out of range: minimum", job(11, "    rounds: 0"),
             "bad.yaml:11:13: spec.training.rounds: must be >= 1 (got 0)"),
        Case("out of range: negative learning rate", job(12, "    learningRate: -0.5"),
             "bad.yaml:12:19: spec.training.learningRate: must be > 0 (got -0.5)"),
        Case("enum value not allowed", node(9, "  class: phone"),
             "bad.yaml:9:10: spec.class: must be one of: \"mobile\", \"edge\", \"fog\", \"cloud\" (got \"phone\")"),
        Case("enum value inside a list", node(13, "  roles: [compute, gpu]"),
             "bad.yaml:13:20: spec.roles[1]: must be one of: \"compute\", \"relay\", \"aggregator\" (got \"gpu\")"),
        Case("duplicate list items", node(13, "  roles: [compute, compute]"),
             "bad.yaml:13:20: spec.roles[1]: items must be unique; this repeats item 0"),
        Case("unknown kind", node(2, "kind: Pod"), "bad.yaml:2:7: kind: unknown kind \"Pod\""),
        Case("kind in the wrong case", node(2, "kind: fognode"), "bad.yaml:2:7: kind: unknown kind \"fognode\"; did you mean \"FogNode\"?"),
        Case("missing kind", node(2), "bad.yaml:1:1: kind: required field is missing"),
        Case("unknown apiVersion", node(1, "apiVersion: v1"),
             "bad.yaml:1:13: apiVersion: unknown apiVersion \"v1\"; expected \"fog/v1alpha1\""),
        Case("missing apiVersion", node(1), "bad.yaml:1:1: apiVersion: required field is missing (expected \"fog/v1alpha1\")"),
        Case("invalid name", node(4, "  name: Edge_1"),
             "bad.yaml:4:9: metadata.name: must be a DNS-1123 label", "(got \"Edge_1\")"),
        Case("name longer than 63 characters", node(4, "  name: " + String(repeating: "a", count: 64)),
             "bad.yaml:4:9: metadata.name: must be a DNS-1123 label"),
        Case("namespace on a cluster-scoped kind", node(4, "  name: edge-1", "  namespace: default"),
             "bad.yaml:5:14: metadata.namespace: FogNode is cluster-scoped and has no namespace; remove this field"),
        Case("invalid namespace", "apiVersion: fog/v1alpha1\nkind: GitSource\nmetadata:\n  name: repo\n  namespace: Team_A\nspec:\n  url: https://example.com/fleet.git\n",
             "bad.yaml:5:14: metadata.namespace: must be a DNS-1123 label"),
        Case("namespace differs from -n", "apiVersion: fog/v1alpha1\nkind: GitSource\nmetadata:\n  name: repo\n  namespace: team-a\nspec:\n  url: https://example.com/fleet.git\n",
             "bad.yaml:5:14: metadata.namespace: the object's namespace \"team-a\" does not match the namespace \"team-b\" given with -n",
             args: ["-n", "team-b"]),
        Case("invalid label key", node(6, "    bad key!: x"),
             "bad.yaml:6:5: metadata.labels.bad key!: a label key must be at most 63 characters"),
        Case("invalid label value", node(6, "    fog/region: eu west"),
             "bad.yaml:6:17: metadata.labels.fog/region: a label value must be at most 63 characters"),
        Case("tab indentation", node(11, "\tcpu: 4"), "bad.yaml:11:", "syntax error", "tabs cannot indent YAML, use spaces"),
        Case("duplicate keys", node(9, "  class: edge", "  class: fog"), "bad.yaml:10:3: spec: duplicate key \"class\" in one mapping"),
        Case("unclosed flow sequence", node(13, "  roles: [compute"), "bad.yaml:", "syntax error"),
        Case("undefined alias", node(8, "  region: *nowhere"), "bad.yaml:8:11: spec.region: undefined alias *nowhere"),
        Case("merge key onto a scalar", node(8, "  region: eu-west", "  <<: 5"), "bad.yaml:9:3: spec: a merge key (<<) must refer to a mapping"),
        Case("infinite number", node(11, "    cpu: .inf"), "bad.yaml:11:10: spec.capacity.cpu: must be a finite number (got .inf)"),
        Case("integer out of range", node(11, "    cpu: 99999999999999999999"),
             "bad.yaml:11:10: spec.capacity.cpu: integer 99999999999999999999 is out of range"),
        Case("unsupported tag", node(11, "    cpu: !!binary aGVsbG8="), "bad.yaml:11:10: spec.capacity.cpu: unsupported YAML tag tag:yaml.org,2002:binary"),
        Case("document is a scalar", "hello\n",
             "bad.yaml:1:1: expected a mapping with apiVersion, kind, metadata and spec (got string \"hello\") [document 1]"),
        Case("document is a list", "- a\n- b\n", "bad.yaml:1:1: expected a mapping with apiVersion, kind, metadata and spec (got a list)"),
        Case("empty file", "", "bad.yaml: no objects found"),
        Case("only comments and empty documents", "# nothing here\n---\n---\n", "bad.yaml: no objects found"),
        Case("binary garbage", bytes: [0x7F, 0x45, 0x4C, 0x46, 0xFF, 0xFE, 0x00, 0x01, 0xC3, 0x28], "bad.yaml:1:5: not UTF-8 text (invalid byte at offset 4)"),
        Case("NUL byte in text", bytes: Array("apiVersion: fog/v1alpha1\nkind: Fog\u{0}Node\n".utf8), "bad.yaml:2:10: NUL byte in input"),
        Case("the same object twice", nodeText + "---\n" + nodeText,
             "bad.yaml:15:1: metadata.name: FogNode \"edge-1\" is defined twice; first at bad.yaml:1:1 [document 2]"),
        Case("second document bad, first good", nodeText + "---\n" + node(11, "    cpu: eight").replacingOccurrences(of: "edge-1", with: "edge-2"),
             "bad.yaml:25:10: spec.capacity.cpu: must be a number (got string \"eight\") [document 2]"),
        Case("bad item in a List", #"{"apiVersion": "v1", "kind": "List", "items": [{"apiVersion": "fog/v1alpha1", "kind": "Tier", "metadata": {"name": "x"}, "spec": {"size": "huge"}}]}"#,
             "bad.json:1:", "items[0].spec.size: must be one of", file: "bad.json"),
        Case("JSON syntax error", "{\"apiVersion\": \"fog/v1alpha1\",\n  \"kind\": \"FogNode}\n", "bad.json:", "syntax error", file: "bad.json"),
        Case("several problems, all listed", node(9, "  class: phone").replacingOccurrences(of: "cpu: 4", with: "cpu: -1"),
             "bad.yaml:9:10: spec.class: must be one of", "bad.yaml:11:10: spec.capacity.cpu: must be > 0 (got -1)", "error: 2 problems found; nothing was applied"),
    ]

    @Test(arguments: cases)
    func rejected(_ c: Case) async throws {
        let h = try Harness()
        // Something already applied: a failed apply must leave it exactly as it was.
        try h.write("good.yaml", "apiVersion: fog/v1alpha1\nkind: Tier\nmetadata:\n  name: seed\nspec:\n  size: small\n  inference: {pricePerRequest: {min: 0.01, max: 0.1}}\n  training: {pricePerHour: {min: 1, max: 10}}\n  deviceClasses: [mobile]\n  sla: {uptimePercent: 95}\n")
        #expect(await h.fogctl(["apply", "-f", h.dir + "/good.yaml"]).code == 0)
        let before = try h.store().currentRevision()

        let path = try h.write(c.file, bytes: c.bytes)
        let r = await h.fogctl(["apply", "-f", path] + c.extraArgs)
        #expect(r.code == 1)
        #expect(r.stdout == "")
        for e in c.expected {
            let want = e.replacingOccurrences(of: "bad.yaml", with: h.dir + "/bad.yaml").replacingOccurrences(of: "bad.json", with: h.dir + "/bad.json")
            #expect(r.stderr.contains(want), "expected \(want)\n     in \(r.stderr)")
        }
        #expect(try h.store().currentRevision() == before)
        #expect(try h.store().list(kind: "FogNode", namespace: nil).items.isEmpty)
        // validate gives the same errors, offline (-n is an apply option).
        if c.extraArgs.isEmpty {
            let v = await h.offline(["validate", "-f", path])
            #expect(v.code == 1)
            #expect(v.stderr.replacingOccurrences(of: "; nothing was applied", with: "") == r.stderr.replacingOccurrences(of: "; nothing was applied", with: ""))
        }
    }

    @Test func aFiftyMegabyteFileIsRejectedFastWithoutReadingIt() async throws {
        let h = try Harness()
        let path = h.dir + "/huge.yaml"
        FileManager.default.createFile(atPath: path, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        try handle.truncate(atOffset: 50 * 1024 * 1024)
        try handle.close()
        let clock = ContinuousClock()
        let start = clock.now
        let r = await h.fogctl(["apply", "-f", path])
        #expect(clock.now - start < .seconds(1))
        #expect(r.code == 1)
        #expect(r.stderr.contains("\(path): file is 52428800 bytes; the limit is 16777216 bytes (16 MiB)"))
    }

    @Test func deepNestingIsRejectedFast() async throws {
        let h = try Harness()
        for depth in [100, 200_000] {
            let path = try h.write("deep-\(depth).yaml", Self.node(13, "  roles: " + String(repeating: "[", count: depth) + String(repeating: "]", count: depth)))
            let clock = ContinuousClock()
            let start = clock.now
            let r = await h.fogctl(["apply", "-f", path])
            #expect(clock.now - start < .seconds(1))
            #expect(r.code == 1)
            #expect(r.stderr.contains("nested deeper than 64 levels"), "\(r.stderr)")
            #expect(r.stderr.contains("\(path):13:"))
        }
    }

    @Test func aliasBombIsRejectedFast() async throws {
        let h = try Harness()
        var lines = ["apiVersion: fog/v1alpha1", "kind: FogNode", "metadata:", "  name: bomb", "spec:", "  region: eu-west",
                     "  class: edge", "  capacity: {cpu: 1, memoryGiB: 1}", "x:", "  a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
        for i in 1...9 {
            lines.append("  a\(i): &a\(i) [" + Array(repeating: "*a\(i - 1)", count: 10).joined(separator: ", ") + "]")
        }
        let path = try h.write("bomb.yaml", lines.joined(separator: "\n") + "\n")
        let clock = ContinuousClock()
        let start = clock.now
        let r = await h.fogctl(["apply", "-f", path])
        #expect(clock.now - start < .seconds(1))
        #expect(r.code == 1)
        #expect(r.stderr.contains("document expands to more than 200000 nodes (aliases included); refusing it (YAML alias bomb?)"), "\(r.stderr)")
    }

    @Test func aGoodFileBesideABadOneWritesNothing() async throws {
        let h = try Harness()
        try h.write("dir/a-good.yaml", Self.nodeText)
        try h.write("dir/b-bad.yaml", Self.node(9, "  class: phone").replacingOccurrences(of: "edge-1", with: "edge-2"))
        let r = await h.fogctl(["apply", "-f", h.dir + "/dir"])
        #expect(r.code == 1)
        #expect(r.stderr.contains("b-bad.yaml:9:10: spec.class"))
        #expect(try h.store().currentRevision() == 0)
    }

    @Test func missingPathAndEmptyDirectoryAreErrors() async throws {
        let h = try Harness()
        let r = await h.fogctl(["apply", "-f", h.dir + "/nope.yaml"])
        #expect(r.code == 1)
        #expect(r.stderr.contains("nope.yaml: no such file or directory"))
        try FileManager.default.createDirectory(atPath: h.dir + "/empty", withIntermediateDirectories: true)
        let e = await h.fogctl(["apply", "-f", h.dir + "/empty"])
        #expect(e.code == 1)
        #expect(e.stderr.contains("no .yaml, .yml or .json files in this directory"))
    }
}
