import FogCLI
import FogModel
import FogStore
import Foundation
import Testing

@Suite struct ReconcileCommandTests {
    @Test func upAppliesTheQuickstartAndConverges() async throws {
        let h = try Harness()
        let r = await h.fogctl(["up", "-f", Harness.root + "/examples/quickstart"])
        #expect(r.code == 0, "\(r.stderr)")
        #expect(r.stdout.contains("applied 43 objects"))
        #expect(r.stdout.contains("converged in"))
        #expect(r.stdout.contains("KIND"))
        // Not a terminal: no escape codes in the output.
        #expect(!r.stdout.contains("\u{1B}["))
        let tiers = try h.store().list(kind: "Tier", namespace: nil).items
        #expect(tiers.count == 4 && tiers.allSatisfy { $0.conditions[type: "Ready"]?.status == .true })
        // A second up changes nothing and converges again.
        let again = await h.fogctl(["up", "-f", Harness.root + "/examples/quickstart"])
        #expect(again.code == 0)
        #expect(again.stdout.contains("43 unchanged"))
    }

    @Test func reconcileOnceExitsOneListingFailedObjects() async throws {
        let h = try Harness()
        let ok = try h.write("ok.yaml", "apiVersion: fog/v1alpha1\nkind: Tier\nmetadata: {name: fine}\nspec: {size: small, inference: {pricePerRequest: {min: 0.01, max: 0.1}}, training: {pricePerHour: {min: 1}}, deviceClasses: [mobile], sla: {uptimePercent: 95}}\n")
        #expect(await h.fogctl(["apply", "-f", ok]).code == 0)
        let good = await h.fogctl(["reconcile", "--once"])
        #expect(good.code == 0, "\(good.stderr)")
        #expect(good.stdout.hasPrefix("reconciled: "))
        let bad = try h.write("bad.yaml", "apiVersion: fog/v1alpha1\nkind: Tier\nmetadata: {name: upside-down}\nspec: {size: small, inference: {pricePerRequest: {min: 5, max: 1}}, training: {pricePerHour: {min: 1}}, deviceClasses: [mobile], sla: {uptimePercent: 95}}\n")
        #expect(await h.fogctl(["apply", "-f", bad]).code == 0)
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

    @Test func getWatchPrintsChangesFromAnotherWriter() async throws {
        let h = try Harness()
        let tiers = Harness.root + "/examples/quickstart/tiers.yaml"
        #expect(await h.fogctl(["apply", "-f", tiers]).code == 0)
        let console = Console.capturing()
        let watcher = Task { await h.fogctl(["get", "tiers", "-w", "--timeout", "5s"], console: console) }
        // Once the list is printed, another writer (a separate store connection, as another
        // process would be) deletes a tier.
        let deadline = Date().addingTimeInterval(5)
        while !console.stdout.contains("enterprise") && Date() < deadline { await Task.yield() }
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
        let broken = try h.write("broken.yaml", "apiVersion: fog/v1alpha1\nkind: Tier\nmetadata: {name: upside-down}\nspec: {size: small, inference: {pricePerRequest: {min: 5, max: 1}}, training: {pricePerHour: {min: 1}}, deviceClasses: [mobile], sla: {uptimePercent: 95}}\n")
        #expect(await h.fogctl(["apply", "-f", broken]).code == 0)
        let applied = try h.store().currentRevision()
        let proc = Process()
        proc.executableURL = URL(fileURLWithPath: binary)
        proc.arguments = ["reconcile", "--watch", "--state", h.state]
        proc.standardOutput = FileHandle.nullDevice
        proc.standardError = FileHandle.nullDevice
        try proc.run()
        // Kill it once it has written something, mid-flight.
        let deadline = Date().addingTimeInterval(20)
        while try h.store().currentRevision() < applied + 5 && Date() < deadline { try await Task.sleep(for: .milliseconds(1)) }
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
        #expect(jobs.count == 2 && jobs.allSatisfy { $0.status?["phase"] == .string("Pending") })
        // Running again changes nothing: the state had converged.
        let before = try store.currentRevision()
        #expect(await h.fogctl(["reconcile", "--once"]).code == 1)
        #expect(try store.currentRevision() == before)
    }
}
