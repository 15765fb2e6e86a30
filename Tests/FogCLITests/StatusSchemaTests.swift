import FogCLI
import FogManifest
import FogModel
import FogStore
import Foundation
import Testing

/// Each kind's schema describes its status (`$defs/Status`); what the controllers, the task
/// executors and the simulated fleet write must fit it. Admission does not apply it: a
/// manifest's status is dropped.
@Suite struct StatusSchemaTests {
    @Test func everyStatusWrittenOnTheQuickstartFitsItsKindsSchema() async throws {
        let h = try Harness()
        let r = await h.fogctl(["up", "-f", Harness.root + "/examples/quickstart", "--seed", "1", "--data-dir", Harness.root + "/examples/data"])
        #expect(r.code == 0, "\(r.stderr)")
        let schemas = SchemaSet.builtIn
        let store = try h.store()
        var withStatus: [String: Int] = [:]
        for info in schemas.registry.kinds {
            for object in try store.list(kind: info.kind, namespace: nil).items {
                let problems = schemas.validateStatus(of: object)
                #expect(problems.isEmpty, "\(object.key): \(problems.joined(separator: "; "))")
                try Self.expectTypedRoundTrip(object)
                if object.status != nil { withStatus[info.kind, default: 0] += 1 }
            }
        }
        // And every version the event log holds: what the writers wrote along the way (jobs
        // before they finished, nodes' reservations while held, tasks of earlier rounds).
        let log = try store.events(after: 0, limit: 1_000_000)
        var versions = 0
        for event in log where event.object.status != nil {
            let problems = schemas.validateStatus(of: event.object)
            #expect(problems.isEmpty, "\(event.object.key) at revision \(event.revision): \(problems.joined(separator: "; "))")
            try Self.expectTypedRoundTrip(event.object)
            versions += 1
        }
        #expect(versions > 500)
        #expect(log.contains { !($0.object.status?["reservations"]?.objectValue ?? [:]).isEmpty })
        // Every kind some writer fills on the quick start was checked with a status.
        for kind in ["FogNode", "Tier", "PrivacyPolicy", "HarvestPolicy", "FederatedJob", "TrainingTask"] {
            #expect((withStatus[kind] ?? 0) > 0, "no \(kind) with a status to check")
        }
        // Both job types ran to the end: their training, inference and cost parts were checked.
        let jobs = try store.list(kind: "FederatedJob", namespace: nil).items
        #expect(jobs.contains { $0.status?["training"]?["rounds"] != nil && $0.status?["cost"] != nil })
        #expect(jobs.contains { $0.status?["inference"]?["served"] != nil && $0.status?["cost"] != nil })
        #expect(try store.list(kind: "FogNode", namespace: nil).items.contains { $0.status?["telemetry"] != nil && $0.status?["availability"] != nil })
    }

    /// `object`'s status reads as its kind's typed status (`KindStatuses`, generated from the
    /// schemas) and writes back the same: no field a writer wrote is unknown to the type or lost.
    static func expectTypedRoundTrip(_ object: Resource, sourceLocation: SourceLocation = #_sourceLocation) throws {
        guard let status = object.status else { return }
        let type = try #require(KindStatuses.type(of: object.kind), "\(object.kind) has no status type", sourceLocation: sourceLocation)
        let typed = try type.init(json: status)
        #expect(numbersAsDoubles(typed.json) == numbersAsDoubles(status), "\(object.key): the typed status writes back differently", sourceLocation: sourceLocation)
    }

    /// `3` and `3.0` alike: a typed number field writes a double where a writer may have written an integer.
    static func numbersAsDoubles(_ v: JSONValue) -> JSONValue {
        switch v {
        case .int(let i): return .double(Double(i))
        case .array(let a): return .array(a.map(numbersAsDoubles))
        case .object(let o): return .object(o.mapValues(numbersAsDoubles))
        default: return v
        }
    }

    /// Every kind has a status description, and every printer column that reads status reads
    /// a field it describes (a column once read `.status.round` while the controller wrote
    /// `.status.training.round`).
    @Test func everyKindDescribesItsStatusAndTheFieldsItsColumnsRead() throws {
        let schemas = SchemaSet.builtIn
        var columns = 0
        for info in schemas.registry.kinds {
            #expect(schemas.validateStatus(of: Resource(kind: info.kind, metadata: ObjectMeta(name: "x"))).isEmpty,
                    "\(info.kind) has no $defs/Status")
            let status = schemas.byKind[info.kind]?.raw["$defs"]?["Status"]
            for column in info.columns where column.jsonPath.hasPrefix(".status.") {
                // The fields up to the first filter or index: `.status.conditions[?(@.type=="Ready")].status` → conditions.
                let fields = column.jsonPath.dropFirst(".status.".count).prefix { $0 != "[" }.split(separator: ".")
                var node = status
                for field in fields { node = node?["properties"]?[String(field)] }
                #expect(node != nil, "\(info.kind) column \(column.name) reads \(column.jsonPath), which $defs/Status does not describe")
                columns += 1
            }
        }
        #expect(columns >= 15)
    }

    @Test func aStatusFieldOfTheWrongTypeIsReportedWithItsPath() throws {
        var job = Resource(kind: "FederatedJob", metadata: ObjectMeta(name: "j", namespace: "default"))
        job.status = ["phase": "Running", "training": ["round": "3", "accuracy": 0.9]]
        #expect(SchemaSet.builtIn.validateStatus(of: job) == [#"status.training.round: must be an integer (got string "3")"#])

        // A phase outside the lifecycle, a condition status outside True|False|Unknown, a condition
        // type the kind's controllers do not write.
        job.status = ["phase": "Done", "conditions": [
            ["type": "Admitted", "status": "Yes", "lastTransitionTime": "2026-12-06T14:00:00Z"],
            ["type": "Ready", "status": "True", "lastTransitionTime": "2026-12-06T14:00:00Z"],
        ]]
        let problems = SchemaSet.builtIn.validateStatus(of: job)
        #expect(problems.contains { $0.hasPrefix("status.phase: must be one of: ") }, "\(problems)")
        #expect(problems.contains { $0.hasPrefix("status.conditions[0].status: must be one of: ") }, "\(problems)")
        #expect(problems.contains { $0.hasPrefix("status.conditions[1].type: must be one of: ") }, "\(problems)")
        #expect(problems.count == 3, "\(problems)")

        // Conditions are checked through their shared shape (schemas/status.json), timestamps too.
        var tier = Resource(kind: "Tier", metadata: ObjectMeta(name: "t"))
        tier.status = ["runningJobs": 1, "conditions": [["type": "Ready", "lastTransitionTime": "yesterday"]]]
        let tierProblems = SchemaSet.builtIn.validateStatus(of: tier)
        #expect(tierProblems.contains("status.conditions[0].status: required field is missing"), "\(tierProblems)")
        #expect(tierProblems.contains { $0.hasPrefix(#"status.conditions[0].lastTransitionTime: must match the pattern"#) }, "\(tierProblems)")
        #expect(tierProblems.count == 2, "\(tierProblems)")

        // Nested objects the writers fully determine are closed: a misspelt field is reported.
        var node = Resource(kind: "FogNode", metadata: ObjectMeta(name: "n"))
        node.status = ["telemetry": ["cpu": ["utilisation": 0.5]], "trust": 1.5]
        let nodeProblems = SchemaSet.builtIn.validateStatus(of: node)
        #expect(nodeProblems.contains { $0.hasPrefix(#"status.telemetry.cpu.utilisation: unknown field "utilisation"; did you mean "utilization"?"#) }, "\(nodeProblems)")
        #expect(nodeProblems.contains { $0 == "status.trust: must be <= 1 (got 1.5)" }, "\(nodeProblems)")
    }

    /// Status is still not checked on apply: a manifest's status, however wrong, is dropped.
    @Test func aManifestsStatusIsStillNotCheckedOnApply() throws {
        let objects = try ManifestDecoder().decode([ManifestInput(name: "t.yaml", bytes: Array("""
            apiVersion: fog/v1alpha1
            kind: Tier
            metadata: {name: t}
            spec: {size: small, inference: {pricePerRequest: {min: 0.01}}, training: {pricePerHour: {min: 1}}, deviceClasses: [mobile], sla: {uptimePercent: 95}}
            status: {runningJobs: three, conditions: [{type: Ready, status: Maybe}]}
            """.utf8))])
        #expect(objects.count == 1 && objects[0].resource.status == nil)
    }
}
