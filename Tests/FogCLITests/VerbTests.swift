import FogCLI
import FogModel
import FogStore
import FogTesting
import Foundation
import Testing

@Suite struct VerbTests {
    static let quickstart = Harness.root + "/examples/quickstart"

    @Test func applyQuickstartTwiceIsIdempotent() async throws {
        let h = try Harness()
        let first = await h.fogctl(["apply", "-f", Self.quickstart])
        #expect(first.code == 0, "\(first.stderr)")
        let lines = first.stdout.split(separator: "\n")
        #expect(lines.count >= 30)
        #expect(lines.allSatisfy { $0.hasSuffix(" created") })
        #expect(lines.contains("fognode/eu-west-edge-1 created"))
        let store = try h.store()
        let revision = try store.currentRevision()
        let nodesBefore = try store.list(kind: "FogNode", namespace: nil).items

        let second = await h.fogctl(["apply", "-f", Self.quickstart])
        #expect(second.code == 0)
        #expect(second.stdout.split(separator: "\n").allSatisfy { $0.hasSuffix(" unchanged") })
        #expect(try store.currentRevision() == revision)
        let nodesAfter = try store.list(kind: "FogNode", namespace: nil).items
        #expect(nodesAfter.map(\.metadata.resourceVersion) == nodesBefore.map(\.metadata.resourceVersion))
        #expect(nodesAfter.map(\.metadata.generation) == nodesBefore.map(\.metadata.generation))
    }

    @Test func changingASpecFieldConfiguresAndBumpsGeneration() async throws {
        let h = try Harness()
        let text = "apiVersion: fog/v1alpha1\nkind: FogNode\nmetadata:\n  name: n1\nspec:\n  region: eu-west\n  class: edge\n  capacity: {cpu: 2, memoryGiB: 4}\n"
        let path = try h.write("n.yaml", text)
        #expect(await h.fogctl(["apply", "-f", path]).stdout == "fognode/n1 created\n")
        try h.write("n.yaml", text.replacingOccurrences(of: "cpu: 2", with: "cpu: 8"))
        #expect(await h.fogctl(["diff", "-f", path]).code == 1)
        let dry = await h.fogctl(["apply", "-f", path, "--dry-run=server"])
        #expect(dry.stdout == "fognode/n1 configured (server dry run)\n")
        #expect(try h.store().get(ObjectKey(kind: "FogNode", namespace: "", name: "n1"))?.metadata.generation == 1)
        #expect(await h.fogctl(["apply", "-f", path]).stdout == "fognode/n1 configured\n")
        #expect(try h.store().get(ObjectKey(kind: "FogNode", namespace: "", name: "n1"))?.metadata.generation == 2)
        // Labels alone: configured, same generation.
        try h.write("n.yaml", text.replacingOccurrences(of: "cpu: 2", with: "cpu: 8").replacingOccurrences(of: "  name: n1\n", with: "  name: n1\n  labels: {team: a}\n"))
        #expect(await h.fogctl(["apply", "-f", path]).stdout == "fognode/n1 configured\n")
        #expect(try h.store().get(ObjectKey(kind: "FogNode", namespace: "", name: "n1"))?.metadata.generation == 2)
        #expect(await h.fogctl(["diff", "-f", path]).code == 0)
    }

    /// `--dry-run=client` validates without opening the store: no state file appears.
    @Test func clientDryRunDoesNotTouchTheStore() async throws {
        let h = try Harness()
        let path = try h.write("n.yaml", "apiVersion: fog/v1alpha1\nkind: FogNode\nmetadata:\n  name: n1\nspec:\n  region: eu-west\n  class: edge\n  capacity: {cpu: 2, memoryGiB: 4}\n")
        let dry = await h.fogctl(["apply", "-f", path, "--dry-run=client"])
        #expect(dry.code == 0, "\(dry.stderr)")
        #expect(dry.stdout == "fognode/n1 valid (client dry run; store not contacted)\n")
        #expect(!FileManager.default.fileExists(atPath: h.state))
        // Bad input is still refused, with its position.
        try h.write("n.yaml", "apiVersion: fog/v1alpha1\nkind: FogNode\nmetadata:\n  name: n1\nspec:\n  region: eu-west\n  class: toaster\n  capacity: {cpu: 2, memoryGiB: 4}\n")
        let bad = await h.fogctl(["apply", "-f", path, "--dry-run=client"])
        #expect(bad.code == 1 && bad.stderr.contains("n.yaml:7:") && bad.stderr.contains("spec.class"))
        #expect(!FileManager.default.fileExists(atPath: h.state))
    }

    /// `get KIND,KIND` and `get KIND/NAME,KIND/NAME`, as in kubectl.
    @Test func getSeveralKindsAtOnce() async throws {
        let h = try Harness()
        #expect(await h.fogctl(["apply", "-f", Self.quickstart]).code == 0)
        let both = await h.fogctl(["get", "fognodes,federatedjobs"])
        #expect(both.code == 0, "\(both.stderr)")
        #expect(both.stdout.contains("fognode/eu-west-cloud-1") && both.stdout.contains("federatedjob/digits-fedavg"))
        #expect(both.stdout.components(separatedBy: "\nNAME").count == 2)  // two tables, each with its header
        let named = await h.fogctl(["get", "fn/eu-west-cloud-1,fj/digits-fedavg", "-o", "name"])
        #expect(named.stdout == "fognode/eu-west-cloud-1\nfederatedjob/digits-fedavg\n")
        let json = await h.fogctl(["get", "tiers,privacypolicies", "-o", "json"])
        let list = try JSONCoding.parse(json.stdout)
        #expect(list["kind"] == "List" && list["items"]?.arrayValue?.count == 8)
        let missing = await h.fogctl(["get", "fn/nope,fj/digits-fedavg"])
        #expect(missing.code == 1 && missing.stderr.contains("fognodes \"nope\" not found"))
        #expect(await h.fogctl(["get", "fognodes,toasters"]).code != 0)
    }

    @Test func applyReadsStandardInput() async throws {
        let h = try Harness()
        let yaml = "apiVersion: fog/v1alpha1\nkind: GitSource\nmetadata:\n  name: fleet\nspec:\n  url: https://example.com/fleet.git\n"
        let r = await h.fogctl(["apply", "-f", "-", "-n", "team-a"], stdin: Array(yaml.utf8))
        #expect(r.code == 0, "\(r.stderr)")
        #expect(r.stdout == "gitsource/fleet created\n")
        #expect(try h.store().get(ObjectKey(kind: "GitSource", namespace: "team-a", name: "fleet")) != nil)
        let bad = await h.fogctl(["apply", "-f", "-"], stdin: Array("kind: [".utf8))
        #expect(bad.code == 1)
        #expect(bad.stderr.hasPrefix("-:"))
    }

    @Test func getPrintsTablesAndEveryOutputFormat() async throws {
        let h = try Harness()
        #expect(await h.fogctl(["apply", "-f", Self.quickstart]).code == 0)
        let table = await h.fogctl(["get", "fognodes"])
        #expect(table.code == 0)
        let header = table.stdout.split(separator: "\n")[0]
        #expect(header.hasPrefix("NAME"))
        #expect(header.contains("CLASS") && header.contains("REGION") && header.hasSuffix("AGE"))
        #expect(table.stdout.split(separator: "\n").count == 31)
        let wide = await h.fogctl(["get", "fn", "-o", "wide"])
        #expect(wide.stdout.split(separator: "\n")[0].contains("GPU"))
        #expect(!header.contains("GPU"))

        let name = await h.fogctl(["get", "FogNode", "-l", "fog/class=cloud", "-o", "name"])
        #expect(name.stdout == "fognode/ap-south-cloud-1\nfognode/eu-west-cloud-1\nfognode/us-east-cloud-1\n")

        let json = await h.fogctl(["get", "tiers", "-o", "json"])
        let list = try JSONCoding.parse(json.stdout)
        #expect(list["apiVersion"] == .string("fog/v1alpha1"))
        #expect(list["kind"] == .string("List"))
        #expect(list["items"]?.arrayValue?.count == 4)

        let one = await h.fogctl(["get", "tier", "small", "-o", "yaml"])
        #expect(one.stdout.hasPrefix("apiVersion: fog/v1alpha1\nkind: Tier\nmetadata:\n  name: small\n"))
        // What get -o yaml prints applies back unchanged.
        let back = try h.write("small.yaml", one.stdout)
        #expect(await h.fogctl(["apply", "-f", back]).stdout == "tier/small unchanged\n")
        // A List from get -o yaml applies back too.
        let all = await h.fogctl(["get", "pp", "-o", "yaml"])
        let listFile = try h.write("pp.yaml", all.stdout)
        #expect(await h.fogctl(["apply", "-f", listFile]).stdout.split(separator: "\n").allSatisfy { $0.hasSuffix("unchanged") })

        let jobs = await h.fogctl(["get", "fj", "-A"])
        #expect(jobs.stdout.hasPrefix("NAMESPACE"))
        let none = await h.fogctl(["get", "fj", "-n", "nobody"])
        #expect(none.code == 0)
        #expect(none.stderr == "No resources found in nobody namespace.\n")
        let missing = await h.fogctl(["get", "fognode", "nope"])
        #expect(missing.code == 1)
        #expect(missing.stderr.contains("fognodes \"nope\" not found"))
        let unknown = await h.fogctl(["get", "pods"])
        #expect(unknown.code == 1)
        #expect(unknown.stderr.contains("unknown resource type \"pods\""))
        let badSelector = await h.fogctl(["get", "fn", "-l", "a in (x"])
        #expect(badSelector.code == 1)
        #expect(badSelector.stderr.contains("invalid label selector"))
    }

    @Test func describeShowsMetadataSpecAndConditions() async throws {
        let h = try Harness()
        #expect(await h.fogctl(["apply", "-f", Self.quickstart]).code == 0)
        let d = await h.fogctl(["describe", "federatedjob", "digits-fedavg"])
        #expect(d.code == 0)
        #expect(d.stdout.contains("Name:               digits-fedavg\n"))
        #expect(d.stdout.contains("Namespace:          default\n"))
        #expect(d.stdout.contains("Spec:\n"))
        #expect(d.stdout.contains("Conditions:\n  <none>\n"))
        let store = try h.store()
        var job = try store.get(ObjectKey(kind: "FederatedJob", namespace: "default", name: "digits-fedavg"))!
        job.conditions = [Condition(type: "Admitted", status: .true, reason: "WithinBudget", lastTransitionTime: "2026-11-22T10:00:00Z")]
        _ = try store.updateStatus(job)
        let d2 = await h.fogctl(["describe", "fj/digits-fedavg"])
        #expect(d2.stdout.contains("Admitted   True     WithinBudget"))
    }

    @Test func deleteByNameAndByFileAndFinalizers() async throws {
        let h = try Harness()
        #expect(await h.fogctl(["apply", "-f", Self.quickstart]).code == 0)
        let d = await h.fogctl(["delete", "fognode", "eu-west-edge-1", "eu-west-edge-2"])
        #expect(d.stdout == "fognode \"eu-west-edge-1\" deleted\nfognode \"eu-west-edge-2\" deleted\n")
        let again = await h.fogctl(["delete", "fognode", "eu-west-edge-1"])
        #expect(again.code == 1)
        #expect(again.stderr.contains("not found"))
        #expect(await h.fogctl(["delete", "fognode", "eu-west-edge-1", "--ignore-not-found"]).code == 0)

        let store = try h.store()
        var tier = try store.get(ObjectKey(kind: "Tier", namespace: "", name: "small"))!
        tier.metadata.finalizers = ["fog/jobs"]
        _ = try store.update(tier)
        let marked = await h.fogctl(["delete", "tier", "small"])
        #expect(marked.stdout == "tier \"small\" marked for deletion (waiting for finalizers: fog/jobs)\n")
        #expect(try store.get(tier.key)?.metadata.deletionTimestamp != nil)

        let byFile = await h.fogctl(["delete", "-f", Self.quickstart + "/jobs.yaml"])
        #expect(byFile.code == 0)
        #expect(byFile.stdout.contains("federatedjob \"digits-fedavg\" deleted"))
        #expect(try store.list(kind: "FederatedJob", namespace: nil).items.isEmpty)
    }

    @Test func diffExitCodes() async throws {
        let h = try Harness()
        let fresh = await h.fogctl(["diff", "-f", Self.quickstart + "/tiers.yaml"])
        #expect(fresh.code == 1)
        #expect(fresh.stdout.contains("+++ merged/tier/small"))
        #expect(await h.fogctl(["apply", "-f", Self.quickstart + "/tiers.yaml"]).code == 0)
        let same = await h.fogctl(["diff", "-f", Self.quickstart + "/tiers.yaml"])
        #expect(same.code == 0)
        #expect(same.stdout == "")
        let broken = await h.fogctl(["diff", "-f", Harness.root + "/examples/bad/wrong-type.yaml"])
        #expect(broken.code == 2)
        #expect(await h.fogctl(["diff", "-f", h.dir + "/missing.yaml"]).code == 2)
    }

    @Test func validateIsOfflineAndListsEveryProblem() async throws {
        let h = try Harness()
        let ok = await h.offline(["validate", "-f", Self.quickstart])
        #expect(ok.code == 0)
        #expect(ok.stdout.contains("nodes.yaml: 30 objects valid"))
        let bad = await h.offline(["validate", "-f", Harness.root + "/examples/bad"])
        #expect(bad.code == 1)
        #expect(bad.stderr.contains("examples/bad/out-of-range.yaml:14:13: spec.training.rounds: must be >= 1 (got 0) [document 1]"))
        #expect(bad.stderr.contains("error: 4 problems found\n"))
        #expect(!FileManager.default.fileExists(atPath: h.state))
    }

    @Test func kindsListsShortNames() async throws {
        let h = try Harness()
        let r = await h.offline(["kinds"])
        #expect(r.stdout.contains("fognodes"))
        #expect(r.stdout.split(separator: "\n").count == 12)  // header and 11 kinds
        #expect(r.stdout.contains("trainingtasks"))
    }

    @Test func usageErrorsExitNonZero() async throws {
        let h = try Harness()
        #expect(await h.fogctl(["get", "fn", "-o", "xml"]).code != 0)
        #expect(await h.fogctl(["apply"]).code == 1)
        #expect(await h.fogctl(["apply", "-f", Self.quickstart, "--dry-run=maybe"]).code != 0)
        #expect(await h.offline(["frobnicate"]).code != 0)
    }

    /// Two fogctl processes applying to one state file at the same time: every write lands.
    @Test func twoProcessesApplyingConcurrentlyLoseNothing() async throws {
        let binary = try #require(Harness.fogctlBinary(), "fogctl must be built beside the tests")
        let h = try Harness()
        let perProcess = 15
        for p in 0..<2 {
            for i in 0..<perProcess {
                try h.write("p\(p)/n\(i).yaml", "apiVersion: fog/v1alpha1\nkind: FogNode\nmetadata:\n  name: p\(p)-n\(i)\nspec:\n  region: eu-west\n  class: edge\n  capacity: {cpu: \(i + 1), memoryGiB: 4}\n")
            }
        }
        // Each process applies its files one invocation at a time, in a shell loop, concurrently with the other.
        let processes = try (0..<2).map { p -> Process in
            let proc = Process()
            proc.executableURL = URL(fileURLWithPath: "/bin/sh")
            proc.arguments = ["-c", "for f in \(h.dir)/p\(p)/*.yaml; do \(binary) apply -f \"$f\" --state \(h.state) || exit 1; done"]
            proc.standardOutput = FileHandle.nullDevice
            try proc.run()
            return proc
        }
        for proc in processes { proc.waitUntilExit() }
        #expect(processes.allSatisfy { $0.terminationStatus == 0 })
        let store = try h.store()
        #expect(try store.list(kind: "FogNode", namespace: nil).items.count == 2 * perProcess)
        #expect(try store.currentRevision() == Int64(2 * perProcess))
        #expect(try store.events(after: 0, limit: 1000).map(\.revision) == (1...Int64(2 * perProcess)).map { $0 })
    }
}
