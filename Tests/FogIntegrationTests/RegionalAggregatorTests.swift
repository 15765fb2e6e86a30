import FogAgent
import FogAPI
import FogClient
import FogLearning
import FogModel
import FogStore
import FogTesting
import Foundation
import Testing

/// The aggregator node's side on its own, against a real store: who may upload, and what it
/// reports when it has combined.
@Suite struct RegionalAggregatorTests {
    @Test func onlyTheRoundsParticipantsWithItsTokenMayUploadAndNotAfterItCombined() async throws {
        let h = try FleetHarness()
        defer { Task { await h.shutdown() } }
        let client = EmbeddedClient(store: h.store)
        let global: [Float] = [0, 0, 0, 0]
        let model = try await client.putBlob(ParameterBlob.encode(global))
        let token = "a-round-token-of-some-length"
        var meta = ObjectMeta(name: "job-r1-agg-eu-west", namespace: "default")
        meta.labels = ["fog/node": "agg"]
        let spec: JSONValue = [
            "job": "job", "round": 1, "node": "agg", "type": "aggregate", "model": .string(model), "region": "eu-west",
            "participants": [["node": "a", "task": "job-r1-0"], ["node": "b", "task": "job-r1-1"]],
            "uploadTokenSHA256": .string(BlobStore.tokenHash(token)), "collectSeconds": 60,
            "aggregation": ["strategy": "fedavg", "trimBeta": 0.2, "byzantineF": 0, "byzantineDetection": false],
        ]
        _ = try h.store.apply([Resource(kind: "TrainingTask", metadata: meta, content: ["spec": spec])], dryRun: false)
        let task = try #require(try h.store.get(ObjectKey(kind: "TrainingTask", namespace: "default", name: "job-r1-agg-eu-west")))
        let aggregator = RegionalAggregator(client: client, clock: h.clock, node: "agg", models: nil)
        // An upload for a task it has not seen waits this long for the task (then 404).
        aggregator.registrationWait = .milliseconds(100)
        aggregator.begin(task)

        func upload(_ node: String, _ participantTask: String, token: String, _ parameters: [Float], samples: Int) -> RegionalAggregator.Upload {
            .init(namespace: "default", aggregateTask: task.name, node: node, participantTask: participantTask, samples: samples, token: token,
                  bytes: ParameterBlob.encodeUpdate(parameters, codec: .none))
        }
        await #expect(throws: AuthError.self) { try await aggregator.receive(upload("a", "job-r1-0", token: "not-the-round-token", [1, 1, 1, 1], samples: 10)) }
        await #expect(throws: AuthError.self) { try await aggregator.receive(upload("c", "job-r1-2", token: token, [1, 1, 1, 1], samples: 10)) }
        await #expect(throws: AuthError.self) { try await aggregator.receive(upload("a", "job-r1-1", token: token, [1, 1, 1, 1], samples: 10)) }
        try await aggregator.receive(upload("a", "job-r1-0", token: token, [1, 1, 1, 1], samples: 10))
        try await aggregator.receive(upload("b", "job-r1-1", token: token, [4, 4, 4, 4], samples: 30))
        // Both in: it combines at once (no need for the collection time to pass) and reports.
        await aggregator.awaitCombined()
        let done = try #require(try h.store.get(task.key))
        #expect(done.status?["phase"] == "Succeeded", "\(done.status ?? .null)")
        #expect(done.status?["contributors"] == ["a", "b"])
        #expect(done.status?["samples"] == 40 && done.status?["form"] == "model" && done.status?["missing"] == [])
        let aggregate = try ParameterBlob.decode(try await client.getBlob(done.status?["aggregate"]?.stringValue ?? ""))
        #expect(aggregate == [3.25, 3.25, 3.25, 3.25])  // (10·1 + 30·4) / 40
        #expect(done.status?["bytesReceived"]?.intValue == Int64(2 * ParameterBlob.encodeUpdate(global, codec: .none).count))
        await #expect(throws: StoreError.self) { try await aggregator.receive(upload("b", "job-r1-1", token: token, [4, 4, 4, 4], samples: 30)) }
        await #expect(throws: StoreError.self) {
            try await aggregator.receive(.init(namespace: "default", aggregateTask: "unknown", node: "a", participantTask: "x", samples: 1, token: token, bytes: []))
        }
    }
}
