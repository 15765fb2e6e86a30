import FogManifest
import FogModel
import Foundation
import Testing

let repoRoot: String = {
    var url = URL(fileURLWithPath: #filePath)
    for _ in 0..<3 { url.deleteLastPathComponent() }
    return url.path
}()

func decode(_ text: String, file: String = "t.yaml", namespace: String? = nil) throws -> [DecodedObject] {
    try ManifestDecoder(requiredNamespace: namespace).decode([ManifestInput(name: file, bytes: Array(text.utf8))])
}

func decodeErrors(_ text: String) -> [ManifestError] {
    do { _ = try decode(text); return [] } catch let e as ManifestErrors { return e.errors } catch { return [] }
}

@Suite struct SchemaTests {
    @Test func embeddedSchemasMatchTheFilesInSchemasDirectory() throws {
        let dir = repoRoot + "/schemas"
        let files = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasSuffix(".json") }.sorted()
        #expect(files.count == SchemaSet.builtIn.schemas.count, "run scripts/embed-schemas.sh")
        for f in files {
            let onDisk = try JSONCoding.parse(String(contentsOfFile: dir + "/" + f, encoding: .utf8))
            #expect(SchemaSet.builtIn.schemas[f]?.raw == onDisk, "\(f) changed: run scripts/embed-schemas.sh")
        }
    }

    @Test func everyKindOfTheDesignIsRegistered() {
        let kinds = Set(SchemaSet.builtIn.registry.kinds.map(\.kind))
        #expect(kinds == ["FogNode", "Tier", "PrivacyPolicy", "FederatedJob", "Auction", "Bid", "HarvestPolicy", "CircuitPool", "GitSource", "TrainingTask", "Event"])
        let r = SchemaSet.builtIn.registry
        #expect(r.lookup("fn")?.kind == "FogNode")
        #expect(r.lookup("FOGNODES")?.kind == "FogNode")
        #expect(r.lookup("fognode")?.kind == "FogNode")
        #expect(r.lookup("fj")?.kind == "FederatedJob")
        #expect(r.lookup("privacypolicies")?.kind == "PrivacyPolicy")
        for k in ["FogNode", "Tier", "PrivacyPolicy", "HarvestPolicy"] { #expect(r.info(forKind: k)?.namespaced == false) }
        for k in ["FederatedJob", "Auction", "Bid", "CircuitPool", "GitSource", "TrainingTask", "Event"] { #expect(r.info(forKind: k)?.namespaced == true) }
    }

    /// Strictness is a property of the schema files: every object with properties must close them.
    @Test func everyObjectSchemaRejectsUnknownFields() throws {
        func check(_ v: JSONValue, _ where_: String) {
            guard let o = v.objectValue else {
                if let a = v.arrayValue { for (i, e) in a.enumerated() { check(e, where_ + "/\(i)") } }
                return
            }
            if o["properties"] != nil { #expect(o["additionalProperties"] != nil, "\(where_) has properties but no additionalProperties") }
            for (k, child) in o where k != "default" && k != "examples" && k != "const" && k != "enum" { check(child, where_ + "/" + k) }
        }
        for (name, schema) in SchemaSet.builtIn.schemas { check(schema.raw, name) }
    }
}

@Suite struct DecodingTests {
    @Test func everyShippedManifestAndExampleDecodes() throws {
        var kinds = Set<String>()
        for dir in ["manifests", "examples/quickstart"] {
            let inputs = try ManifestInput.load(paths: [repoRoot + "/" + dir], recursive: true)
            let objects = try ManifestDecoder().decode(inputs)
            #expect(!objects.isEmpty)
            kinds.formUnion(objects.map(\.resource.kind))
        }
        #expect(kinds.isSuperset(of: ["FogNode", "Tier", "PrivacyPolicy", "FederatedJob", "HarvestPolicy", "CircuitPool"]))
    }

    @Test func quickstartHasTheFleetTheIssueAsksFor() throws {
        let inputs = try ManifestInput.load(paths: [repoRoot + "/examples/quickstart"], recursive: false)
        let objects = try ManifestDecoder().decode(inputs).map(\.resource)
        let nodes = objects.filter { $0.kind == "FogNode" }
        #expect(nodes.count >= 24)
        #expect(Set(nodes.compactMap { $0.spec?["region"]?.stringValue }).count >= 3)
        #expect(Set(nodes.compactMap { $0.spec?["class"]?.stringValue }) == ["mobile", "edge", "fog", "cloud"])
        let jobs = objects.filter { $0.kind == "FederatedJob" }
        #expect(Set(jobs.compactMap { $0.spec?["type"]?.stringValue }) == ["training", "inference"])
        for file in try FileManager.default.contentsOfDirectory(atPath: repoRoot + "/examples/quickstart") where file.hasSuffix(".yaml") {
            let text = try String(contentsOfFile: repoRoot + "/examples/quickstart/" + file, encoding: .utf8)
            #expect(text.hasPrefix("# yaml-language-server: $schema="), "\(file) lacks its schema line")
        }
    }

    /// One minimal valid manifest per kind, so each kind's decoding and defaults are exercised.
    static let minimal: [(String, String)] = [
        ("FogNode", "metadata: {name: n1}\nspec: {region: eu-west, class: edge, capacity: {cpu: 2, memoryGiB: 4}}"),
        ("Tier", "metadata: {name: t}\nspec: {size: small, inference: {pricePerRequest: {min: 0.01, max: 0.1}}, training: {pricePerHour: {min: 1}}, deviceClasses: [mobile], sla: {uptimePercent: 95}}"),
        ("PrivacyPolicy", "metadata: {name: p}\nspec: {level: medium, differentialPrivacy: {}}"),
        ("FederatedJob", "metadata: {name: j}\nspec: {type: training, tier: small, data: {dataset: digits}}"),
        ("Auction", "metadata: {name: a}\nspec: {participantsWanted: 3}"),
        ("Bid", "metadata: {name: b}\nspec: {auction: a, node: n1, price: 1.5}"),
        ("HarvestPolicy", "metadata: {name: h}\nspec: {}"),
        ("CircuitPool", "metadata: {name: c}\nspec: {}"),
        ("GitSource", "metadata: {name: g}\nspec: {url: https://example.com/fleet.git}"),
        ("Event", "metadata: {name: e}\ninvolvedObject: {kind: FogNode, name: n1}\nreason: Registered"),
    ]

    @Test(arguments: minimal.map(\.0))
    func decodesEveryKind(_ kind: String) throws {
        let body = Self.minimal.first { $0.0 == kind }!.1
        let objects = try decode("apiVersion: fog/v1alpha1\nkind: \(kind)\n\(body)\n")
        #expect(objects.count == 1)
        let r = objects[0].resource
        #expect(r.kind == kind)
        let info = SchemaSet.builtIn.registry.info(forKind: kind)!
        #expect(r.namespace == (info.namespaced ? "default" : ""))
    }

    @Test func defaultsComeFromTheSchemas() throws {
        let job = try decode("apiVersion: fog/v1alpha1\nkind: FederatedJob\nmetadata: {name: j}\nspec: {type: training, tier: small, data: {dataset: digits}, training: {rounds: 3}}\n")[0].resource
        #expect(job.spec?.value(at: "training.rounds") == .int(3))
        #expect(job.spec?.value(at: "training.learningRate") == .double(0.1))
        #expect(job.spec?.value(at: "training.localEpochs") == .int(1))
        #expect(job.spec?.value(at: "aggregation.strategy") == .string("fedavg"))
        #expect(job.spec?.value(at: "allocation.mode") == .string("direct"))
        #expect(job.spec?.value(at: "placement.algorithm") == .string("standard"))
        let harvest = try decode("apiVersion: fog/v1alpha1\nkind: HarvestPolicy\nmetadata: {name: h}\nspec: {}\n")[0].resource
        #expect(harvest.spec?["minBatteryPercent"]?.numberValue == 30)
        #expect(harvest.spec?["maxThermalCelsius"]?.numberValue == 40)
        #expect(harvest.spec?["minIdleSeconds"]?.numberValue == 180)
        #expect(harvest.spec?["requireCharging"] == .bool(false))
    }

    @Test func yamlScalarsFollowTheCoreSchema() throws {
        let r = try decode("""
            apiVersion: fog/v1alpha1
            kind: FogNode
            metadata:
              name: n1
              labels: {enabled: "yes", octal: "0755"}
              annotations: {a: yes, b: on, c: "true", d: 12:30}
            spec: {region: eu-west, class: edge, capacity: {cpu: 0x10, memoryGiB: 1.5e1}}
            """)[0].resource
        #expect(r.metadata.annotations == ["a": "yes", "b": "on", "c": "true", "d": "12:30"])
        #expect(r.spec?.value(at: "capacity.cpu") == .int(16))
        #expect(r.spec?.value(at: "capacity.memoryGiB") == .double(15))
    }

    @Test func anchorsAndMergeKeysWork() throws {
        let objects = try decode("""
            apiVersion: fog/v1alpha1
            kind: FogNode
            metadata:
              name: n1
              labels: &labels {fog/region: eu-west, fog/class: edge}
              annotations:
                <<: *labels
                fog/class: overridden
            spec:
              region: &region eu-west
              zone: *region
              class: edge
              capacity: {cpu: 2, memoryGiB: 4}
            ---
            apiVersion: fog/v1alpha1
            kind: FogNode
            metadata: {name: n2}
            spec: {region: x, class: edge, capacity: {cpu: 1, memoryGiB: 1}}
            """)
        let n1 = objects[0].resource
        #expect(n1.metadata.annotations == ["fog/region": "eu-west", "fog/class": "overridden"])
        #expect(n1.spec?["zone"] == .string("eu-west"))
        #expect(objects[1].document == 2)
        #expect(objects[1].line == 15)
    }

    @Test func anchorsDoNotCrossDocuments() {
        let errors = decodeErrors("""
            apiVersion: fog/v1alpha1
            kind: Tier
            metadata: {name: &n t}
            spec: {}
            ---
            apiVersion: fog/v1alpha1
            kind: Tier
            metadata: {name: *n}
            spec: {}
            """)
        #expect(errors.contains { $0.document == 2 && $0.line == 8 && $0.message.hasPrefix("undefined alias *n") })
    }

    @Test func serverSetMetadataAndStatusAreDroppedOnInput() throws {
        let r = try decode("""
            apiVersion: fog/v1alpha1
            kind: Tier
            metadata: {name: t, uid: abc, resourceVersion: "99", generation: 7, creationTimestamp: "2020-01-01T00:00:00Z"}
            spec: {size: small, inference: {pricePerRequest: {min: 0.01}}, training: {pricePerHour: {min: 1}}, deviceClasses: [mobile], sla: {uptimePercent: 95}}
            status: {runningJobs: 3}
            """)[0].resource
        #expect(r.metadata.uid == "")
        #expect(r.metadata.resourceVersion == 0)
        #expect(r.metadata.generation == 0)
        #expect(r.status == nil)
    }

    @Test func jsonManifestsDecodeWithPositions() throws {
        let errors = decodeErrors(#"{"apiVersion": "fog/v1alpha1", "kind": "FogNode", "metadata": {"name": "n1"}, "spec": {"region": "eu-west", "class": "edge", "capacity": {"cpu": "x", "memoryGiB": 1}}}"#)
        #expect(errors.count == 1)
        #expect(errors.first?.path == "spec.capacity.cpu")
        #expect(errors.first?.line == 1)
        #expect(errors.first?.column == 146)
    }
}
