import FogModel
@testable import FogServer
import FogTesting
import Foundation
import Testing

@Suite(.serialized) struct ControlPanelTests {
    @Test func embeddedAssetsMatchTheFilesInTheUIDirectory() throws {
        var root = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { root.deleteLastPathComponent() }
        let dir = root.path + "/Sources/FogServer/UI"
        let files = try FileManager.default.contentsOfDirectory(atPath: dir).sorted()
        #expect(files == ControlPanelAssets.files.keys.sorted(), "run scripts/embed-ui.sh")
        for f in files {
            #expect(ControlPanelAssets.files[f] == (try String(contentsOfFile: dir + "/" + f, encoding: .utf8)), "\(f) changed: run scripts/embed-ui.sh")
        }
    }

    static func node(_ name: String, region: String, cls: String = "edge", ready: Bool, trust: Double, cpu: Double? = nil) -> Resource {
        var status: JSONValue = ["trust": .double(trust), "conditions": [["type": "Ready", "status": ready ? "True" : "False", "reason": "x"]]]
        if let cpu { status["telemetry"] = ["cpu": ["utilization": .double(cpu)]] }
        return Resource(kind: "FogNode", metadata: ObjectMeta(name: name),
                        content: ["spec": ["region": .string(region), "class": .string(cls), "capacity": ["cpu": 2, "memoryGiB": 4]], "status": status])
    }

    /// The node table is sorted, filtered and paged by the server: a page is bounded whatever
    /// the fleet's size, absent values sort last, ties break by name.
    @Test func theNodeTableIsSortedFilteredAndPagedByTheServer() {
        var nodes: [Resource] = []
        for i in 0..<250 {
            nodes.append(Self.node(String(format: "n-%03d", i), region: ["eu-west", "us-east", "ap-south"][i % 3], cls: i % 5 == 0 ? "mobile" : "edge",
                                   ready: i % 4 != 0, trust: Double(i % 10) / 10, cpu: i % 7 == 0 ? nil : Double(i % 13) / 13))
        }
        let first = ControlPanelViews.nodes(nodes, .init(sort: "trust", descending: true, limit: 20))
        #expect(first["total"] == 250)
        let items = first["items"]?.arrayValue ?? []
        #expect(items.count == 20)
        #expect(items.allSatisfy { $0["trust"]?.numberValue == 0.9 })
        #expect(items.map { $0["name"]!.stringValue! } == items.map { $0["name"]!.stringValue! }.sorted())
        // CPU ascending: the nodes without telemetry come last.
        let byCPU = ControlPanelViews.nodes(nodes, .init(sort: "cpu", offset: 240, limit: 20))["items"]?.arrayValue ?? []
        #expect(byCPU.count == 10 && byCPU.allSatisfy { $0["cpu"] == .null })
        // Filters combine; the region view counts the filtered set.
        let filtered = ControlPanelViews.nodes(nodes, .init(region: "eu-west", deviceClass: "mobile", ready: "true", limit: 500))
        let expected = nodes.filter { $0.spec?["region"] == "eu-west" && $0.spec?["class"] == "mobile" && $0.condition("Ready")?.status == .true }
        #expect(filtered["total"]?.intValue == Int64(expected.count))
        #expect(filtered["regions"] == [["region": "eu-west", "total": .int(Int64(expected.count)), "ready": .int(Int64(expected.count))]])
        #expect(ControlPanelViews.nodes(nodes, .init(text: "n-12", limit: 500))["total"] == 10)  // n-120…n-129
        // A limit beyond 500 is capped; an offset beyond the end gives an empty page.
        #expect(ControlPanelViews.nodes(nodes, .init(limit: 10_000))["limit"] == 500)
        #expect(ControlPanelViews.nodes(nodes, .init(offset: 999))["items"] == [])
    }

    /// Over HTTP: the page and its files need no token (they carry no data); the API answers
    /// only with what the caller may read, so a tenant's overview has no GitSource section and
    /// only its own namespace's jobs, and an anonymous caller gets 401.
    @Test func theControlPanelAnswersWithWhatTheCallerMayRead() async throws {
        let s = try await ServerHarness()
        let c = s.client()
        _ = try await c.create(Self.node("edge-1", region: "eu-west", ready: true, trust: 0.5))
        for (ns, name) in [("team-a", "mine"), ("team-b", "theirs")] {
            _ = try await c.create(object("FederatedJob", name, namespace: ns, spec: minimalSpecs[3].1))
        }
        let (page, _) = try await s.raw(.GET, "/ui/", token: nil)
        #expect(page == 200)
        #expect(try await s.raw(.GET, "/ui/app.js", token: nil).0 == 200)
        #expect(try await s.raw(.GET, "/ui/nothing.js", token: nil).0 == 404)
        #expect(try await s.raw(.GET, "/ui/api/overview", token: nil).0 == 401)

        let (code, admin) = try await s.raw(.GET, "/ui/api/overview")
        #expect(code == 200)
        #expect(admin?["nodes"]?["total"] == 1)
        #expect(admin?["jobs"]?["total"] == 2)
        let (_, tenant) = try await s.raw(.GET, "/ui/api/overview", token: "tenant-a-token")
        // Tenants see the fleet they buy from, not the operator's GitSources.
        #expect(tenant?["nodes"]?["total"] == 1)
        #expect(admin?["gitSources"] == [])
        #expect(tenant?["gitSources"] == nil)
        #expect(tenant?["jobs"]?["list"]?.arrayValue?.map { $0["name"] } == ["mine"])
        // Lists: one page, filtered by namespace and label selector on the server; a tenant's
        // list holds only its namespaces.
        let (_, all) = try await s.raw(.GET, "/ui/api/list?kind=FederatedJob")
        #expect(all?["total"] == 2)
        #expect(try await s.raw(.GET, "/ui/api/list?kind=FederatedJob&namespace=team-b").1?["items"]?.arrayValue?.map { $0["name"] } == ["theirs"])
        #expect(try await s.raw(.GET, "/ui/api/list?kind=FederatedJob&labelSelector=v%3D2").1?["total"] == 0)
        #expect(try await s.raw(.GET, "/ui/api/list?kind=FederatedJob", token: "tenant-a-token").1?["total"] == 1)
        #expect(try await s.raw(.GET, "/ui/api/list?kind=FogNode").0 == 400)
        // History: one entry per generation; another tenant's object is 404, as everywhere.
        var job = try #require(try await c.get(ObjectKey(kind: "FederatedJob", namespace: "team-a", name: "mine")))
        job.metadata.labels = ["v": "2"]
        job.spec?["tier"] = "large"
        _ = try await c.update(job)
        let (_, history) = try await s.raw(.GET, "/ui/api/history?kind=FederatedJob&namespace=team-a&name=mine", token: "tenant-a-token")
        #expect(history?["versions"]?.arrayValue?.map { $0["spec"]?["tier"] } == ["small", "large"])
        #expect(try await s.raw(.GET, "/ui/api/list?kind=FederatedJob&labelSelector=v%3D2", token: "tenant-a-token").1?["items"]?.arrayValue?.map { $0["name"] } == ["mine"])
        #expect(try await s.raw(.GET, "/ui/api/history?kind=FederatedJob&namespace=team-b&name=theirs", token: "tenant-a-token").0 == 404)
        await s.shutdown()
    }
}
