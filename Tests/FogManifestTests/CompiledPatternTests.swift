@testable import FogManifest
import FogModel
import Foundation
import Testing

/// The byte matchers of `CompiledPatterns` against the regular expressions they stand for.
@Suite struct CompiledPatternTests {
    /// Strings built from the characters the patterns care about (and a few they do not), of
    /// lengths around each pattern's edges; seeded, so every run checks the same ones.
    static func samples() -> [String] {
        let alphabet = "az09AZfgFG-_.:/ é".map(String.init) + ["sha256:"]
        var rng = SplitMix64(seed: 7)
        var out: [String] = ["", "a", "A", "-", "0", "USD", "usd", "US", "USDX", "Ready", "ready", "R", "a-b", "-a", "a-", "a.b", "a_b",
                             "sha256:" + String(repeating: "a", count: 64), "sha256:" + String(repeating: "a", count: 63),
                             "sha256:" + String(repeating: "g", count: 64), String(repeating: "f", count: 64), String(repeating: "F", count: 64)]
        for length in [1, 2, 3, 4, 5, 8, 63, 64, 65, 71] {
            for _ in 0..<400 {
                var s = ""
                while s.count < length { s += alphabet[Int(rng.next() % UInt64(alphabet.count))] }
                out.append(s)
            }
        }
        // Hex and lowercase-only strings, which the digest and name patterns accept.
        let hex = Array("0123456789abcdef")
        for length in [63, 64, 65] {
            for _ in 0..<50 {
                let h = String((0..<length).map { _ in hex[Int(rng.next() % 16)] })
                out += [h, "sha256:" + h]
            }
        }
        return out
    }

    @Test func eachMatcherAcceptsWhatItsRegularExpressionMatches() throws {
        let samples = Self.samples()
        for (source, matcher) in CompiledPatterns.bySource {
            let regex = try NSRegularExpression(pattern: source)
            var accepted = 0
            for s in samples {
                let expected = regex.firstMatch(in: s, range: NSRange(s.startIndex..., in: s)) != nil
                #expect(matcher(s) == expected, "\(source) on \(String(reflecting: s))")
                if expected { accepted += 1 }
            }
            // Each pattern accepts some of the samples and refuses others, so both sides are checked.
            #expect(accepted > 0 && accepted < samples.count, "\(source): \(accepted) of \(samples.count) accepted")
            // `$` is the end of the string: a final line break is not skipped over.
            #expect(!matcher("a\n") && !matcher("USD\n"))
        }
    }

    @Test func aValueAMatcherRefusesIsReportedWithItsPattern() throws {
        // A FogNode's name, labels and currency go through them; a bad value is still refused
        // with the pattern in the message.
        let schema = try #require(SchemaSet.builtIn.byKind["FogNode"])
        let node: JSONValue = ["apiVersion": "fog/v1alpha1", "kind": "FogNode", "metadata": ["name": "n-1", "labels": ["a/b": "x.y"]],
                               "spec": ["region": "eu-west", "class": "edge", "capacity": ["cpu": 2, "memoryGiB": 4],
                                        "price": ["askPerHour": 0.1, "currency": "usd"]]]
        let violations = schema.validate(node)
        #expect(violations.map(\.path) == ["spec.price.currency"], "\(violations)")
        #expect(violations.first?.message.contains("^[A-Z]{3}$") == true)
    }
}
