import FogCLI
import FogControllers
import FogClient
import FogManifest
import FogModel
import FogRuntime
import FogStore
import FogTesting
import Foundation
import Testing

@Suite struct ReconcileCommandTests {
    @Test func upAppliesTheQuickstartAndConverges() async throws {
        let h = try Harness()
        let r = await h.fogctl(["up", "-f", Harness.root + "/examples/quickstart"])
        #expect(r.code == 0, "\(r.stderr)")
        // The jobs wait for the fleet's first heartbeats (the same participants for the same seed).
        #expect(r.stdout.contains("applied 41 objects") && r.stdout.contains("applied 4 federated jobs once "))
        // The auction-mode job is bought in its auction, which closes before up converges.
        #expect(r.stdout.contains("auction default/digits-auction: Closed ("), "\(r.stdout)")
        #expect(r.stdout.contains("job default/digits-auction: Succeeded"), "\(r.stdout)")
        #expect(r.stdout.contains("converged in"))
        #expect(r.stdout.contains("KIND"))
        // Not a terminal: no escape codes in the output.
        #expect(!r.stdout.contains("\u{1B}["))
        let tiers = try h.store().list(kind: "Tier", namespace: nil).items
        #expect(tiers.count == 4 && tiers.allSatisfy { $0.conditions[type: "Ready"]?.status == .true })
        // A second up changes nothing and converges again.
        let again = await h.fogctl(["up", "-f", Harness.root + "/examples/quickstart"])
        #expect(again.code == 0)
        #expect(again.stdout.contains("41 unchanged") && again.stdout.contains("Ready: 4 unchanged"))
    }

    /// A tier whose price range is upside down, as stored without admission's cross-field check.
    static func upsideDownTier() throws -> Resource {
        try Resource(json: JSONCoding.parse("""
            {"apiVersion": "fog/v1alpha1", "kind": "Tier", "metadata": {"name": "upside-down"},
             "spec": {"size": "small", "inference": {"pricePerRequest": {"min": 5, "max": 1}}, "training": {"pricePerHour": {"min": 1}},
                      "deviceClasses": ["mobile"], "sla": {"uptimePercent": 95}}}
            """))
    }

    @Test func reconcileOnceExitsOneListingFailedObjects() async throws {
        let h = try Harness()
        let ok = try h.write("ok.yaml", "apiVersion: fog/v1alpha1\nkind: Tier\nmetadata: {name: fine}\nspec: {size: small, inference: {pricePerRequest: {min: 0.01, max: 0.1}}, training: {pricePerHour: {min: 1}}, deviceClasses: [mobile], sla: {uptimePercent: 95}}\n")
        #expect(await h.fogctl(["apply", "-f", ok]).code == 0)
        let good = await h.fogctl(["reconcile", "--once"])
        #expect(good.code == 0, "\(good.stderr)")
        #expect(good.stdout.hasPrefix("reconciled: "))
        let bad = try h.write("bad.yaml", "apiVersion: fog/v1alpha1\nkind: Tier\nmetadata: {name: upside-down}\nspec: {size: small, inference: {pricePerRequest: {min: 5, max: 1}}, training: {pricePerHour: {min: 1}}, deviceClasses: [mobile], sla: {uptimePercent: 95}}\n")
        // Admission refuses it, naming the field and where it is...
        let refused = await h.fogctl(["apply", "-f", bad])
        #expect(refused.code != 0)
        #expect(refused.stderr.contains("bad.yaml:4:") && refused.stderr.contains("spec.inference.pricePerRequest.max: must be at least pricePerRequest.min (5) (got 1)"), "\(refused.stderr)")
        // ...but an object stored by another path (an older client, a direct write) is still
        // caught by its controller.
        _ = try h.store().apply([Self.upsideDownTier()], dryRun: false)
        let failed = await h.fogctl(["reconcile", "--once"])
        #expect(failed.code == 1)
        #expect(failed.stderr.contains("failed: tier/upside-down: InvalidPriceRange: inference.pricePerRequest: min 5.0 is above max 1.0"))
        #expect(await h.fogctl(["reconcile"]).code != 0)  // neither --once nor --watch
    }

    @Test func applyWaitSucceedsOnceControllersReportReady() async throws {
        let h = try Harness()
        let tiers = Harness.root + "/examples/quickstart/tiers.yaml"
        // Without controllers, --wait gives up and says what it waits for.
        let alone = await h.fogctl(["apply", "-f", tiers, "--wait", "--timeout", "300ms"])
        #expect(alone.code == 1)
        #expect(alone.stderr.contains("timed out after 0s waiting for:") && alone.stderr.contains("tier/small: no Ready condition yet"))
        // With controllers running beside it (another task, as another terminal would), it succeeds.
        let reconciler = Task { await h.fogctl(["up", "-f", tiers, "--watch", "--timeout", "5s"]) }
        let r = await h.fogctl(["apply", "-f", tiers, "--wait", "--timeout", "10s"])
        reconciler.cancel()
        #expect(r.code == 0, "\(r.stderr)")
        #expect(r.stdout.contains("tier/small ready"))
    }

    @Test func applyWaitFailsForARefusedJobWithTheReason() async throws {
        let h = try Harness()
        let policy = [Harness.root + "/examples/quickstart/tiers.yaml", Harness.root + "/examples/quickstart/privacy.yaml"]
        #expect(await h.fogctl(["apply", "-f", policy[0], "-f", policy[1]]).code == 0)
        let job = Harness.overBudgetJob
        let reconciler = Task { await h.fogctl(["up", "-f", policy[0], "-f", policy[1], "--watch", "--timeout", "20s"]) }
        defer { reconciler.cancel() }
        let r = await h.fogctl(["apply", "-f", "-", "--wait", "--timeout", "15s"], stdin: Array(job.utf8))
        #expect(r.code == 1, "\(r.stdout) \(r.stderr)")
        #expect(r.stderr.contains("failed: federatedjob/too-dear: OverBudget"), "\(r.stderr)")
        // And the refusal is a Warning event about the job.
        let events = try h.store().list(kind: "Event", namespace: "default").items
        #expect(events.contains { $0.content["type"] == "Warning" && $0.content["reason"] == "OverBudget" })
    }

    @Test func aJobNamingAnUnknownDataSetIsRefusedAtAdmission() async throws {
        let h = try Harness()
        let job = """
            apiVersion: fog/v1alpha1
            kind: FederatedJob
            metadata: {name: wants-mnist, namespace: default}
            spec:
              type: training
              tier: medium
              data: {dataset: mnist}
              participants: {min: 3, max: 3}
              budget: {max: 100}
            """
        let files = ["tiers", "privacy", "nodes"].map { Harness.root + "/examples/quickstart/\($0).yaml" }
        #expect(await h.fogctl(["apply"] + files.flatMap { ["-f", $0] }).code == 0)
        #expect(await h.fogctl(["apply", "-f", "-"], stdin: Array(job.utf8)).code == 0)
        _ = await h.fogctl(["reconcile", "--once", "--data-dir", Harness.root + "/examples/data"])
        let refused = try #require(try h.store().get(ObjectKey(kind: "FederatedJob", namespace: "default", name: "wants-mnist")))
        let admitted = try #require(refused.conditions[type: "Admitted"])
        #expect(admitted.status == .false && admitted.reason == "DataUnavailable")
        #expect(admitted.message.contains("mnist") && admitted.message.contains("digits"), "\(admitted.message)")
        // Never quoted, never allocated.
        #expect(refused.status?["quote"] == nil && refused.status?["allocation"] == nil)
    }

    @Test func getWatchPrintsChangesFromAnotherWriter() async throws {
        let h = try Harness()
        let tiers = Harness.root + "/examples/quickstart/tiers.yaml"
        #expect(await h.fogctl(["apply", "-f", tiers]).code == 0)
        let console = Console.capturing()
        let watcher = Task { await h.fogctl(["get", "tiers", "-w", "--timeout", "5s"], console: console) }
        // Once the list is printed, another writer (a separate store connection, as another
        // process would be) deletes a tier.
        try await eventually("the tier list printed", limit: 5, wakingOn: [console.written]) { console.stdout.contains("enterprise") }
        let store = try SQLiteStore(path: h.state)
        _ = try store.delete(ObjectKey(kind: "Tier", namespace: "", name: "small"))
        let r = await watcher.value
        #expect(r.code == 0)
        let lines = r.stdout.split(separator: "\n")
        #expect(lines.first?.hasPrefix("NAME") == true)
        #expect(lines.contains { $0.hasPrefix("small") && $0.hasSuffix("(deleted)") })
    }
}

@Suite struct CrashRecoveryTests {
    /// A real `fogctl reconcile --watch` process killed with SIGKILL in the middle of its
    /// work; `reconcile --once` afterwards converges, with no duplicate objects or events.
    @Test func aKilledReconcilerLeavesAStateThatConvergesAgain() async throws {
        let binary = try #require(Harness.fogctlBinary())
        let h = try Harness()
        #expect(await h.fogctl(["apply", "-f", Harness.root + "/examples/quickstart"]).code == 0)
        // A failed object among them (stored past admission, which would refuse it).
        _ = try h.store().apply([ReconcileCommandTests.upsideDownTier()], dryRun: false)
        let applied = try h.store().currentRevision()
        let proc = Process()
        proc.executableURL = URL(fileURLWithPath: binary)
        proc.arguments = ["reconcile", "--watch", "--state", h.state]
        proc.standardOutput = FileHandle.nullDevice
        proc.standardError = FileHandle.nullDevice
        try proc.run()
        // Kill it once it has written something, mid-flight.
        let observer = try h.store()
        try await eventually("the reconciler wrote", limit: 20, watching: observer) { try observer.currentRevision() >= applied + 5 }
        kill(proc.processIdentifier, SIGKILL)
        proc.waitUntilExit()
        #expect(proc.terminationReason == .uncaughtSignal)

        let r = await h.fogctl(["reconcile", "--once"])
        #expect(r.code == 1)  // the upside-down tier is a failed object, and is listed
        #expect(r.stderr.contains("failed: tier/upside-down"))
        let store = try h.store()
        let tiers = try store.list(kind: "Tier", namespace: nil).items
        #expect(tiers.filter { $0.conditions[type: "Ready"]?.status == .true }.count == 4)
        #expect(try store.list(kind: "FogNode", namespace: nil).items.allSatisfy { $0.conditions[type: "Ready"]?.reason == "NoHeartbeat" })
        let jobs = try store.list(kind: "FederatedJob", namespace: nil).items
        // Quoted and admitted; with no node reporting, nothing to allocate them to.
        #expect(jobs.count == 4 && jobs.allSatisfy { $0.status?["phase"] == .string("Admitted") })
        let direct = jobs.filter { $0.name != "digits-auction" }
        #expect(direct.allSatisfy { $0.conditions[type: "Allocated"]?.reason == "InsufficientNodes" })
        // The auction-mode job waits for its auction (no node bids: none reports).
        let auctioned = try #require(jobs.first { $0.name == "digits-auction" })
        #expect(["AwaitingAuction", "AuctionFailed"].contains(auctioned.conditions[type: "Allocated"]?.reason ?? ""))
        #expect(try store.list(kind: "Auction", namespace: nil).items.map(\.name) == ["digits-auction"])
        // Running again changes nothing but what the auction's own clock moves (a bidding round
        // ending without bids: a higher reserve, then Failed): the state had converged.
        let before = try store.currentRevision()
        #expect(await h.fogctl(["reconcile", "--once"]).code == 1)
        let changed = try store.events(after: before).map(\.object)
        #expect(changed.allSatisfy { ["Auction", "Event"].contains($0.kind) || $0.name == "digits-auction" },
                "\(changed.map { "\($0.kind)/\($0.name)" })")
    }
}

@Suite(.serialized) struct FleetCommandTests {
    @Test func simulateThenTopRanksEveryNodeWithItsComponents() async throws {
        let h = try Harness()
        let sim = await h.fogctl(["simulate", "--nodes", "10", "--seed", "4", "--duration", "200ms", "--interval", "50ms"])
        #expect(sim.code == 0, "\(sim.stderr)")
        #expect(sim.stdout.hasPrefix("simulated 10 nodes"))
        let nodes = try h.store().list(kind: "FogNode", namespace: nil).items
        #expect(nodes.count == 10 && nodes.allSatisfy { $0.metadata.labels["fog/simulated"] == "true" })
        #expect(nodes.contains { $0.status?["telemetry"]?["rttAverageMillis"] != nil })
        // The controllers score them; then top ranks them under any algorithm.
        let rec = await h.fogctl(["reconcile", "--once"])
        #expect(rec.code == 0, "\(rec.stderr)")
        let top = await h.fogctl(["top", "nodes", "--algorithm", "load-balanced", "--limit", "3"])
        #expect(top.code == 0, "\(top.stderr)")
        let lines = top.stdout.split(separator: "\n")
        #expect(lines.count == 4)
        #expect(lines[0].contains("LATENCY") && lines[0].contains("LOAD") && lines[0].contains("SCORE"))
        #expect(lines[1].hasPrefix("1 "))
        let json = await h.fogctl(["top", "nodes", "-o", "json", "-l", "fog/class=mobile"])
        let parsed = try JSONCoding.parse(bytes: Array(json.stdout.utf8))
        #expect(parsed["algorithm"] == "standard")
        let items = parsed["items"]?.arrayValue ?? []
        #expect(items.count == nodes.filter { $0.metadata.labels["fog/class"] == "mobile" }.count && !items.isEmpty)
        let scores = items.compactMap { $0["score"]?.numberValue }
        #expect(scores == scores.sorted(by: >))
    }

    @Test func fleetCommandsRefuseBadArguments() async throws {
        let h = try Harness()
        let cases: [([String], String)] = [
            (["top", "nodes", "--algorithm", "fastest"], "unknown --algorithm fastest; known: standard, latency-optimized"),
            (["top", "nodes", "-l", "a in (b"], "-l"),
            (["simulate", "--nodes", "3", "--profiles", "Stable,Turbo"], "unknown profile Turbo"),
            (["simulate"], "give --nodes N, --adopt, or both"),
            (["simulate", "--nodes", "3", "--speed", "0"], "--speed must be in (0, 100000]"),
            (["simulate", "--nodes", "3", "--byzantine", "1.5"], "--byzantine must be between 0 and 1"),
            (["agent", "--node", "Bad_Name"], "--node Bad_Name"),
            (["agent", "--node", "n1", "--class", "laptop"], "--class must be mobile, edge, fog or cloud"),
            (["agent", "--node", "n1", "--roles", "compute,miner"], "unknown role miner"),
            (["agent", "--node", "n1", "--sysfs-root", "/nonexistent-root"], "is not a directory"),
        ]
        for (args, message) in cases {
            let r = await h.fogctl(args)
            #expect(r.code != 0, "\(args)")
            #expect(r.stderr.contains(message), "\(args): \(r.stderr)")
        }
        // Nothing was created by any of them.
        #expect(try h.store().list(kind: "FogNode", namespace: nil).items.isEmpty)
    }

    @Test func agentRegistersThisHostInTheEmbeddedStore() async throws {
        let h = try Harness()
        let r = await h.fogctl(["agent", "--node", "lab-1", "--region", "eu-west", "--count", "2", "--interval", "100ms"])
        #expect(r.code == 0, "\(r.stderr)")
        #expect(r.stderr.contains("agent stopped after 2 heartbeats"))
        let node = try #require(try h.store().get(ObjectKey(kind: "FogNode", namespace: "", name: "lab-1")))
        #expect(node.metadata.labels["fog/agent"] == "true" && node.spec?["region"] == "eu-west")
        #expect((node.spec?.value(at: "capacity.cpu")?.numberValue ?? 0) >= 1)
        #expect(node.status?["telemetry"]?["cpu"]?["count"] != nil)
        #expect(node.status?["lastHeartbeatTime"] != nil)
    }
}

@Suite(.serialized) struct MarketCommandTests {
    @Test func quoteShowsEveryFactorAndWritesNothing() async throws {
        let h = try Harness()
        #expect(await h.fogctl(["apply", "-f", Harness.root + "/manifests"]).code == 0)
        let before = try h.store().currentRevision()
        let jobs = Harness.root + "/examples/quickstart/jobs.yaml"
        let table = await h.fogctl(["quote", "-f", jobs])
        #expect(table.code == 0, "\(table.stderr)")
        for factor in ["base", "model", "privacy", "participants", "volumeDiscount", "market", "duration", "unit price", "total"] {
            #expect(table.stdout.contains("  " + factor), "\(factor)")
        }
        #expect(table.stdout.contains("federatedjob/digits-inference (inference, tier small)"))
        let json = await h.fogctl(["quote", "-f", jobs, "-o", "json"])
        let items = try JSONCoding.parse(bytes: Array(json.stdout.utf8))["items"]?.arrayValue ?? []
        #expect(items.count == 4)
        // No nodes report, so no supply information: the market factor is 1, and digits-inference
        // costs √(0.01 × 0.1) × 3^0.28 per request for 50 requests.
        let inference = try #require(items.first { $0["job"] == "default/digits-inference" })
        let expected = (0.01 * 0.1).squareRoot() * pow(3, 0.28) * 50
        #expect(abs((inference["quote"]?["total"]?.numberValue ?? 0) - expected) < 1e-9)
        #expect(try h.store().currentRevision() == before)
    }

    @Test func quoteSaysWhenTheTotalExceedsTheBudget() async throws {
        let h = try Harness()
        #expect(await h.fogctl(["apply", "-f", Harness.root + "/manifests"]).code == 0)
        let job = Harness.overBudgetJob
        let plain = await h.fogctl(["quote", "-f", "-"], stdin: Array(job.utf8))
        #expect(plain.code == 0)
        #expect(plain.stdout.contains("Budget: 0.01 USD: OVER BUDGET"), "\(plain.stdout)")
        #expect(plain.stderr.contains("exceeds budget.max 0.01: admission would refuse it (OverBudget)"), "\(plain.stderr)")
        let checked = await h.fogctl(["quote", "-f", "-", "--check"], stdin: Array(job.utf8))
        #expect(checked.code == 1)
        let json = await h.fogctl(["quote", "-f", "-", "-o", "json"], stdin: Array(job.utf8))
        #expect(try JSONCoding.parse(bytes: Array(json.stdout.utf8))["budget"]?["withinBudget"] == false)
    }

    @Test func quoteRefusesWhatItCannotPrice() async throws {
        let h = try Harness()
        #expect(await h.fogctl(["apply", "-f", Harness.root + "/manifests"]).code == 0)
        let missingTier = try h.write("j.yaml", "apiVersion: fog/v1alpha1\nkind: FederatedJob\nmetadata: {name: x}\nspec: {type: training, tier: gold, data: {dataset: digits}}\n")
        let r = await h.fogctl(["quote", "-f", missingTier])
        #expect(r.code == 1 && r.stderr.contains("j.yaml:1:1: federatedjob/x: tier \"gold\" does not exist"))
        let noJob = await h.fogctl(["quote", "-f", Harness.root + "/manifests/tiers.yaml"])
        #expect(noJob.code == 1 && noJob.stderr.contains("no FederatedJob"))
        let invalid = try h.write("bad.yaml", "apiVersion: fog/v1alpha1\nkind: FederatedJob\nmetadata: {name: x}\nspec: {type: training, tier: small, participants: {min: 0}, data: {dataset: digits}}\n")
        let bad = await h.fogctl(["quote", "-f", invalid])
        #expect(bad.code == 1 && bad.stderr.contains("bad.yaml:4:") && bad.stderr.contains("spec.participants.min"))
        let format = await h.fogctl(["quote", "-f", invalid, "-o", "xml"])
        #expect(format.code != 0 && format.stderr.contains("--output must be table, json or yaml"))
    }

    @Test func upQuotesAdmitsAllocatesAndTrainsTheQuickstartJobs() async throws {
        let h = try Harness()
        let r = await h.fogctl(["up", "-f", Harness.root + "/examples/quickstart", "--seed", "1", "--data-dir", Harness.root + "/examples/data"])
        #expect(r.code == 0, "\(r.stderr)")
        #expect(r.stdout.contains("job default/digits-fedavg: Succeeded (quote "))
        #expect(r.stdout.contains("round 30, test accuracy 0.9"))
        #expect(r.stdout.contains("participants in 3 regions"))
        let d = await h.fogctl(["describe", "federatedjob", "digits-fedavg"])
        #expect(d.stdout.contains("Quote:") && d.stdout.contains("Participants: ") && d.stdout.contains("Accuracy by round"))
        #expect(d.stdout.contains("AGGREGATOR"))
        // Every region had its aggregator; the finished job gave its reservations back.
        let job = try #require(try h.store().get(ObjectKey(kind: "FederatedJob", namespace: "default", name: "digits-fedavg")))
        #expect(job.status?["allocation"]?["aggregators"]?.objectValue?.count == 3)
        #expect((job.status?["training"]?["rounds"]?.arrayValue ?? []).count == 30)
        let holding = try h.store().list(kind: "FogNode", namespace: nil).items.filter { $0.status?["reservations"]?["default/digits-fedavg"] != nil }
        #expect(holding.isEmpty)
        // The hyper-parameters a user would want: at least 0.93 on the held-out digits.
        #expect((job.status?["training"]?["accuracy"]?.numberValue ?? 0) >= 0.93)

        // Every printer column of every kind resolves on the converged quick start: for each
        // kind present, each column has a value on at least one object. Status columns are
        // checked for the kinds some controller reconciles (a kind nothing reconciles has
        // no status to show, and shows none rather than a made-up one).
        let registry = SchemaSet.builtIn.registry
        let controlled = ControllerFamilies.controlledKinds
        var checked = 0
        for info in registry.kinds {
            let items = try h.store().list(kind: info.kind, namespace: nil).items
            guard !items.isEmpty else { continue }
            for column in info.columns where !column.jsonPath.hasPrefix(".status") || controlled.contains(info.kind) {
                let resolved = items.contains { ColumnPath.evaluate(column.jsonPath, in: $0.json) != nil }
                #expect(resolved, "\(info.kind) column \(column.name) (\(column.jsonPath)) is empty on every object")
                checked += 1
            }
        }
        #expect(checked > 60)
        // And as a user sees them.
        let wide = await h.fogctl(["get", "fj", "-o", "wide"])
        let row = try #require(wide.stdout.split(separator: "\n").first { $0.hasPrefix("digits-fedavg ") })
        #expect(row.contains(" 30 ") && !row.contains("<none>"), "\(wide.stdout)")
    }
    @Test func upTrainsTheRobustExamplePastByzantineNodes() async throws {
        let h = try Harness()
        let r = await h.fogctl(["up", "-f", Harness.root + "/manifests", "-f", Harness.root + "/examples/robust",
                                "--byzantine", "0.25", "--seed", "2", "--data-dir", Harness.root + "/examples/data"])
        #expect(r.code == 0, "\(r.stderr)")
        #expect(r.stdout.contains("simulated fleet: 16 nodes (seed 2, 4 Byzantine)"))
        #expect(r.stdout.contains("job default/digits-robust: Succeeded"))
        let store = try h.store()
        let job = try #require(try store.get(ObjectKey(kind: "FederatedJob", namespace: "default", name: "digits-robust")))
        #expect((job.status?["training"]?["accuracy"]?.numberValue ?? 0) >= 0.88)
        // Every node flagged in the first round left the job for low trust.
        let first = (job.status?["training"]?["rounds"]?.arrayValue?.first?["excluded"]?.arrayValue ?? []).compactMap(\.stringValue)
        #expect(!first.isEmpty)
        let replaced = try store.list(kind: "Event", namespace: "default").items
            .filter { $0.content["reason"] == "ParticipantReplaced" }.compactMap { $0.content["message"]?.stringValue }
        #expect(first.allSatisfy { node in replaced.contains { $0.hasPrefix(node + " → ") && $0.hasSuffix(": TrustBelowMinimum") } })
        let participants = Set((job.status?["allocation"]?["participants"]?.arrayValue ?? []).compactMap { $0["node"]?.stringValue })
        #expect(participants.count == 10 && participants.isDisjoint(with: first))
        // Out-of-range shares are refused before anything is applied.
        let bad = await h.fogctl(["up", "-f", Harness.root + "/examples/robust", "--byzantine", "1.5"])
        #expect(bad.code != 0 && bad.stderr.contains("--byzantine must be between 0 and 1"))
    }
}

@Suite struct PolishTests {
    @Test func unknownCommandsVersionAndDurationDefaultsReadAsKubectlUsersExpect() async throws {
        let h = try Harness()
        let unknown = await h.offline(["frobnicate"])
        #expect(unknown.code == 1)
        #expect(unknown.stderr.hasPrefix("error: unknown command \"frobnicate\" for \"fogctl\""), "\(unknown.stderr)")
        #expect(unknown.stderr.contains("get, describe"))
        let version = await h.offline(["version"])
        #expect(version.code == 0 && version.stdout.hasPrefix("fogctl ") && version.stdout.contains("API fog/v1alpha1"))
        let help = await h.offline(["agent", "--help"])
        #expect(help.stdout.contains("(default: 5s)"), "\(help.stdout)")
        #expect(!help.stdout.contains("DurationArgument"))
    }
}

@Suite(.serialized) struct RetryTests {
    /// A job that failed (its privacy budget too small for one round) runs again after the
    /// operator relaxes the policy, without being deleted: `fogctl retry`, then Succeeded.
    @Test func aFailedJobRunsAgainWithoutBeingDeleted() async throws {
        let h = try Harness()
        let dir = try TemporaryDirectory()
        let quickstart = Harness.root + "/examples/quickstart/"
        let privacy = try String(contentsOfFile: quickstart + "privacy.yaml", encoding: .utf8)
        try privacy.replacingOccurrences(of: "epsilon: 8.0", with: "epsilon: 0.001").write(toFile: dir.file("privacy.yaml"), atomically: true, encoding: .utf8)
        for f in ["tiers.yaml", "nodes.yaml"] { try FileManager.default.copyItem(atPath: quickstart + f, toPath: dir.file(f)) }
        try """
            apiVersion: fog/v1alpha1
            kind: FederatedJob
            metadata: {name: private-digits, namespace: default}
            spec:
              type: training
              tier: medium
              privacy: medium
              data: {dataset: digits}
              training: {rounds: 2, learningRate: 0.5, roundTimeout: 30s}
              participants: {min: 3, max: 3}
              budget: {max: 100}
              seed: 2
            """.write(toFile: dir.file("job.yaml"), atomically: true, encoding: .utf8)
        let key = ObjectKey(kind: "FederatedJob", namespace: "default", name: "private-digits")
        let first = await h.fogctl(["up", "-f", dir.path, "--timeout", "60s"])
        #expect(first.code == 1)
        let failed = try #require(try h.store().get(key))
        #expect(failed.status?["phase"] == "Failed")
        #expect(failed.conditions[type: "Failed"]?.reason == "PrivacyBudgetExhausted")
        // Retrying only applies to Failed jobs, and says so.
        let tooEarly = await h.fogctl(["retry", "fj/nope"])
        #expect(tooEarly.code == 1)
        // The operator relaxes the policy; the tenant retries the same job (without applying
        // its manifest again: an apply sets the annotations the manifest has).
        let relaxed = try TemporaryDirectory()
        try privacy.write(toFile: relaxed.file("privacy.yaml"), atomically: true, encoding: .utf8)
        let retry = await h.fogctl(["retry", "fj/private-digits"])
        #expect(retry.code == 0, "\(retry.stderr)")
        let second = await h.fogctl(["up", "-f", relaxed.path, "--timeout", "90s"])
        #expect(second.code == 0, "\(second.stdout.suffix(600)) \(second.stderr)")
        let done = try #require(try h.store().get(key))
        #expect(done.status?["phase"] == "Succeeded")
        #expect(done.status?["retry"]?["runs"] == 2)
        #expect(done.conditions[type: "Failed"]?.status == .false)
        #expect(done.metadata.uid == failed.metadata.uid)  // the same object, not a new one
        let again = await h.fogctl(["retry", "fj/private-digits"])
        #expect(again.code == 1 && again.stderr.contains("only a Failed job is retried"))
    }
}

@Suite struct EventOrderTests {
    /// Events list in the order they happened, even within one second (their names are
    /// hashes, which used to set the order), with sub-second times.
    @Test func eventsListInTimeOrderWithSubSecondTimes() async throws {
        let h = try Harness()
        #expect(await h.fogctl(["apply", "-f", Harness.root + "/examples/quickstart/tiers.yaml"]).code == 0)
        let store = try h.store()
        let tier = try #require(try store.get(ObjectKey(kind: "Tier", namespace: "", name: "small")))
        let clock = ManualClock(TestEpoch.date)
        let recorder = EventRecorder(client: EmbeddedClient(store: store), clock: clock, component: "test")
        let reasons = ["Zulu", "Alpha", "Mike", "Bravo", "Yankee"]
        for r in reasons {
            await recorder.record(tier, .normal, reason: r, message: "step \(r)")
            clock.advance(by: 0.1)
        }
        let events = try store.list(kind: "Event", namespace: "default").items
        #expect(events.allSatisfy { ($0.content["eventTime"]?.stringValue ?? "").range(of: #"\.\d{6}Z$"#, options: .regularExpression) != nil })
        let got = await h.fogctl(["get", "events", "-o", "json"])
        let listed = (try JSONCoding.parse(bytes: Array(got.stdout.utf8))["items"]?.arrayValue ?? []).compactMap { $0["reason"]?.stringValue }
        #expect(listed == reasons, "\(listed)")
        let described = await h.fogctl(["describe", "tier", "small"])
        let order = reasons.compactMap { described.stdout.range(of: $0)?.lowerBound }
        #expect(order.count == reasons.count && order == order.sorted(), "\(described.stdout)")
        #expect(Timestamp.formatMicro(Date(timeIntervalSince1970: 1.5)) == "1970-01-01T00:00:01.500000Z")
    }
}

@Suite struct CrossFieldValidationTests {
    @Test func participantsMaxBelowMinIsRefusedWithItsPosition() async throws {
        let h = try Harness()
        let job = try h.write("job.yaml", """
            apiVersion: fog/v1alpha1
            kind: FederatedJob
            metadata: {name: odd, namespace: default}
            spec:
              type: training
              tier: medium
              participants:
                min: 5
                max: 3
            """)
        let r = await h.offline(["validate", "-f", job])
        #expect(r.code == 1)
        #expect(r.stderr.contains("job.yaml:9:") && r.stderr.contains("spec.participants.max: must be at least participants.min (5) (got 3)"), "\(r.stderr)")
    }
}

extension Harness {
    /// A job whose budget no tier's price fits (admission refuses it: OverBudget).
    static let overBudgetJob = """
        apiVersion: fog/v1alpha1
        kind: FederatedJob
        metadata: {name: too-dear, namespace: default}
        spec:
          type: training
          tier: medium
          data: {dataset: digits}
          participants: {min: 3, max: 3}
          budget: {max: 0.01}
        """
}
