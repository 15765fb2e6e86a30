import FogCLI
import FogControllers
import FogModel
import FogStore
import FogTesting
import Foundation
import Testing

/// `apply --prune -l`, `diff --prune -l` (kubectl's semantics and exit codes), and the Flux
/// verbs on git sources: `reconcile gitsource NAME`, `suspend`, `resume`.
@Suite struct GitOpsCLITests {
    static func policy(_ name: String, share: Double = 0.5) -> String {
        "apiVersion: fog/v1alpha1\nkind: HarvestPolicy\nmetadata:\n  name: \(name)\n  labels: {app: ci}\nspec:\n  maxCpuShare: \(share)\n---\n"
    }

    @Test func applyPruneDeletesWhatTheFilesNoLongerHoldAndDiffShowsThePlan() async throws {
        let h = try Harness()
        try h.write("ci/all.yaml", Self.policy("a") + Self.policy("b") + Self.policy("c"))
        try h.write("other.yaml", "apiVersion: fog/v1alpha1\nkind: HarvestPolicy\nmetadata:\n  name: unlabelled\nspec: {}\n")
        #expect(await h.fogctl(["apply", "-f", h.dir + "/other.yaml"]).code == 0)
        #expect(await h.fogctl(["apply", "-f", h.dir + "/ci", "--prune", "-l", "app=ci"]).code == 0)

        try h.write("ci/all.yaml", Self.policy("a", share: 0.25) + Self.policy("b"))
        let diff = await h.fogctl(["diff", "-f", h.dir + "/ci", "--prune", "-l", "app=ci"])
        #expect(diff.code == 1)
        #expect(diff.stdout.contains("+++ merged/harvestpolicy/c (pruned)"))
        #expect(diff.stdout.contains("-  maxCpuShare: 0.5\n+  maxCpuShare: 0.25"))
        #expect(!diff.stdout.contains("unlabelled"))

        let dry = await h.fogctl(["apply", "-f", h.dir + "/ci", "--prune", "-l", "app=ci", "--dry-run=server"])
        #expect(dry.stdout.contains("harvestpolicy/c pruned (server dry run)"))
        #expect(try h.store().get(ObjectKey(kind: "HarvestPolicy", namespace: "", name: "c")) != nil)

        let applied = await h.fogctl(["apply", "-f", h.dir + "/ci", "--prune", "-l", "app=ci"])
        #expect(applied.code == 0)
        #expect(applied.stdout == "harvestpolicy/a configured\nharvestpolicy/b unchanged\nharvestpolicy/c pruned\n")
        #expect(try h.store().get(ObjectKey(kind: "HarvestPolicy", namespace: "", name: "c")) == nil)
        #expect(try h.store().get(ObjectKey(kind: "HarvestPolicy", namespace: "", name: "unlabelled")) != nil)
        #expect(await h.fogctl(["diff", "-f", h.dir + "/ci", "--prune", "-l", "app=ci"]).code == 0)
    }

    @Test func pruneWithoutASelectorIsRefused() async throws {
        let h = try Harness()
        try h.write("ci/all.yaml", Self.policy("a"))
        let r = await h.fogctl(["apply", "-f", h.dir + "/ci", "--prune"])
        #expect(r.code == 1 && r.stderr.contains("--prune needs -l SELECTOR"))
        #expect(await h.fogctl(["diff", "-f", h.dir + "/ci", "--prune"]).code == 2)
    }

    @Test func reconcileSuspendAndResumeAGitSource() async throws {
        let h = try Harness()
        try h.write("gs.yaml", "apiVersion: fog/v1alpha1\nkind: GitSource\nmetadata: {name: fleet}\nspec: {url: /srv/fleet.git}\n")
        #expect(await h.fogctl(["apply", "-f", h.dir + "/gs.yaml"]).code == 0)
        let r = await h.fogctl(["reconcile", "gitsource", "fleet"])
        #expect(r.code == 0 && r.stdout.hasPrefix("gitsource/fleet fetch requested (fog/reconcile-requested-at="), "\(r)")
        let key = ObjectKey(kind: "GitSource", namespace: "default", name: "fleet")
        #expect(try h.store().get(key)?.metadata.annotations["fog/reconcile-requested-at"] != nil)
        #expect(await h.fogctl(["reconcile", "gs/fleet"]).code == 0)
        #expect(await h.fogctl(["reconcile", "gitsource", "nope"]).code == 1)
        #expect(await h.fogctl(["reconcile", "gitsource", "fleet", "--once"]).code != 0)
        #expect(await h.fogctl(["reconcile", "tier", "x"]).code != 0)

        #expect(await h.fogctl(["suspend", "gitsource", "fleet"]).stdout == "gitsource/fleet suspended\n")
        #expect(try h.store().get(key)?.spec?["suspend"] == .bool(true))
        #expect(await h.fogctl(["resume", "gs", "fleet"]).stdout == "gitsource/fleet resumed\n")
        #expect(try h.store().get(key)?.spec?["suspend"] == .bool(false))
    }

    /// The same through a server: the prune list travels with the apply request, and the
    /// server deletes in the apply's transaction.
    @Test func applyPruneThroughAServer() async throws {
        let h = try Harness()
        let store = try SQLiteStore(path: h.dir + "/server.db")
        let server = try await TestServer.start(store: store, directory: h.dir, tokens: "tokens:\n- {token: cli-admin-token, user: me, role: admin}\n",
                                                access: ControllerFamilies.access)
        let remote = ["--server", server.baseURL, "--token", "cli-admin-token"]
        func run(_ args: [String]) async -> Harness.Result {
            let console = Console.capturing()
            let code = await Fogctl.run(args + remote, console: console)
            return Harness.Result(code: code, stdout: console.stdout, stderr: console.stderr)
        }
        try h.write("ci/all.yaml", Self.policy("a") + Self.policy("b"))
        #expect(await run(["apply", "-f", h.dir + "/ci", "--prune", "-l", "app=ci"]).code == 0)
        try h.write("ci/all.yaml", Self.policy("a"))
        #expect(await run(["diff", "-f", h.dir + "/ci", "--prune", "-l", "app=ci"]).code == 1)
        let applied = await run(["apply", "-f", h.dir + "/ci", "--prune", "-l", "app=ci"])
        #expect(applied.stdout == "harvestpolicy/a unchanged\nharvestpolicy/b pruned\n", "\(applied)")
        #expect(try store.get(ObjectKey(kind: "HarvestPolicy", namespace: "", name: "b")) == nil)
        await server.stop()
    }
}
