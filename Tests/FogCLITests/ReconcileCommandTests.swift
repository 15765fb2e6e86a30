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
