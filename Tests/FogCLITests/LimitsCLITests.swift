import FogAPI
import FogManifest
import FogModel
import FogStore
import Foundation
import Testing

/// The object limits as `fogctl` meets them: what is stored applies back; what is too deep,
/// too big or an alias bomb is refused with the limit named.
@Suite(.serialized) struct LimitsCLITests {
    static func nested(_ levels: Int) -> JSONValue {
        var v: JSONValue = "bottom"
        for _ in 0..<levels { v = ["down": v] }
        return v
    }

    @Test func whateverIsStoredAppliesBack() async throws {
        let h = try Harness()
        #expect(await h.fogctl(["apply", "-f", Harness.root + "/examples/quickstart/tiers.yaml"]).code == 0)
        let store = try h.store()
        var tier = try #require(try store.get(ObjectKey(kind: "Tier", namespace: "", name: "small")))
        // The root holds `status`, which holds the chain: the deepest level the limit allows.
        tier.status = .object(["deep": Self.nested(ObjectLimits.maxDepth - 2)])
        #expect(JSONValue.object(tier.content).nestingDepth == ObjectLimits.maxDepth)
        _ = try store.updateStatus(tier)
        for format in ["yaml", "json"] {
            let got = await h.fogctl(["get", "tier", "small", "-o", format])
            #expect(got.code == 0)
            let back = await h.fogctl(["apply", "-f", "-"], stdin: Array(got.stdout.utf8))
            #expect(back.code == 0, "\(format): \(back.stderr)")
        }
        // One level more is refused by the store itself, naming the limit.
        tier = try #require(try store.get(tier.key))
        tier.status = .object(["deep": Self.nested(ObjectLimits.maxDepth - 1)])
        #expect { _ = try store.updateStatus(tier) } throws: { e in
            (e as? AdmissionError)?.message.contains("the limit is \(ObjectLimits.maxDepth) levels") == true
        }
    }

    @Test func anAliasBombIsRefusedByItsExpandedSize() async throws {
        let h = try Harness()
        let big = String(repeating: "x", count: 1 << 20)
        var yaml = """
            apiVersion: fog/v1alpha1
            kind: Tier
            metadata:
              name: bomb
              annotations:
                a0: &big "\(big)"

            """
        for i in 1...300 { yaml += "    a\(i): *big\n" }
        yaml += "spec: {size: small, inference: {pricePerRequest: {min: 0.01}}, training: {pricePerHour: {min: 1}}}\n"
        let clock = ContinuousClock()
        let started = clock.now
        let r = await h.fogctl(["apply", "-f", "-"], stdin: Array(yaml.utf8))
        #expect(r.code != 0)
        #expect(r.stderr.contains("expands to more than \(ManifestLimits.maxExpandedBytesPerDocument) bytes"), "\(r.stderr.prefix(300))")
        #expect(r.stderr.contains(":"))  // positioned
        #expect(clock.now - started < .seconds(20))
        #expect(try h.store().get(ObjectKey(kind: "Tier", namespace: "", name: "bomb")) == nil)
    }

    @Test func annotationsAndObjectSizeAreBoundedAtApplyAndInTheStore() async throws {
        let h = try Harness()
        let yaml = """
            apiVersion: fog/v1alpha1
            kind: Tier
            metadata:
              name: annotated
              annotations:
                note: "\(String(repeating: "y", count: ObjectLimits.maxAnnotationBytes))"
            spec: {size: small, inference: {pricePerRequest: {min: 0.01}}, training: {pricePerHour: {min: 1}}, deviceClasses: [mobile], sla: {uptimePercent: 95}}

            """
        let r = await h.fogctl(["apply", "-f", "-"], stdin: Array(yaml.utf8))
        #expect(r.code != 0)
        #expect(r.stderr.contains("256 KiB"), "\(r.stderr.prefix(300))")
        // Status growth is bounded by the object limit, whoever writes it.
        #expect(await h.fogctl(["apply", "-f", Harness.root + "/examples/quickstart/tiers.yaml"]).code == 0)
        let store = try h.store()
        let key = ObjectKey(kind: "Tier", namespace: "", name: "small")
        var refused: AdmissionError?
        for i in 0..<10 {
            do { _ = try store.patchStatus(key, ["blob\(i)": .string(String(repeating: "z", count: 400_000))]) } catch let e as AdmissionError {
                refused = e
                break
            }
        }
        #expect(refused?.code == .tooLarge)
        #expect(refused?.message.contains("1.5 MiB") == true)
        let size = try #require(try store.get(key)).encoded().utf8.count
        #expect(size <= ObjectLimits.maxObjectBytes)
    }
}
