import FogAPI
import FogClient
@testable import FogControllers
import FogManifest
import FogModel
import FogRuntime
import FogServer
import FogStore
import FogTesting
import Foundation
import Logging
import Testing
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// A real git repository in a temporary directory.
final class GitRepository: @unchecked Sendable {
    let scratch: TemporaryDirectory
    var path: String { scratch.path }

    init() throws {
        scratch = try TemporaryDirectory("fog-repo")
        try git("init", "-q", "-b", "main")
        try git("config", "user.email", "test@example.com")
        try git("config", "user.name", "test")
        try git("config", "commit.gpgsign", "false")
    }

    @discardableResult
    func git(_ args: String...) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: GitFetcher.findGit())
        p.arguments = ["-C", path] + args
        p.environment = ["PATH": "/usr/bin:/bin", "HOME": path, "GIT_CONFIG_NOSYSTEM": "1"]
        let out = Pipe()
        p.standardOutput = out
        p.standardError = out
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        let text = String(decoding: data, as: UTF8.self)
        guard p.terminationStatus == 0 else { throw GitFetcher.Failure(message: "git \(args.joined(separator: " ")): \(text)") }
        return text.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    func write(_ name: String, _ text: String) throws {
        let full = path + "/" + name
        try FileManager.default.createDirectory(atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try Data(text.utf8).write(to: URL(fileURLWithPath: full))
    }

    func remove(_ name: String) throws { try git("rm", "-q", "-r", name) }

    /// Commits everything; returns the commit.
    @discardableResult
    func commit(_ message: String) throws -> String {
        try git("add", "-A")
        try git("commit", "-q", "--allow-empty", "-m", message)
        return try git("rev-parse", "HEAD")
    }
}

/// A HarvestPolicy (cluster-scoped; every spec field has a default) as git holds it.
func policy(_ name: String, share: Double? = nil, labels: String = "") -> String {
    "apiVersion: fog/v1alpha1\nkind: HarvestPolicy\nmetadata:\n  name: \(name)\n\(labels)spec:\n" + (share.map { "  maxCpuShare: \($0)\n" } ?? "  {}\n")
}

func gitSource(_ name: String, repo: String, path: String = "policies", extra: String = "") -> String {
    """
    apiVersion: fog/v1alpha1
    kind: GitSource
    metadata: {name: \(name), namespace: default}
    spec:
      url: \(repo)
      path: \(path)
      interval: 1m
      prune: true
    \(extra)
    """
}

/// A store on a manual clock with the gitsource controller running.
final class GitOpsHarness: @unchecked Sendable {
    let scratch: TemporaryDirectory
    let clock = TestEpoch.clock()
    let store: SQLiteStore
    let manager: Manager
    let controller: GitSourceController
    var task: Task<Void, Error>?

    /// `git`: the git the controller runs (a test may put a slow one in front of the real one).
    init(git: ((String) throws -> String)? = nil) throws {
        scratch = try TemporaryDirectory("fog-gitops")
        let clock = self.clock
        store = try SQLiteStore(path: scratch.file("state.db"), now: { clock.now() }, pollInterval: .milliseconds(50))
        var logger = Logger(label: "gitops-test")
        logger.logLevel = .error
        let binary = try git?(scratch.path) ?? GitFetcher.findGit()
        controller = GitSourceController(fetcher: GitFetcher(root: scratch.file("git"), git: binary))
        manager = Manager(client: EmbeddedClient(store: store), controllers: [controller], registry: SchemaSet.builtIn.registry,
                          clock: clock, logger: logger)
        let m = manager
        task = Task { try await m.run() }
    }

    deinit { task?.cancel() }

    func apply(_ yaml: String) throws { _ = try store.apply(try manifests(yaml), dryRun: false) }
    func source(_ name: String = "fleet") throws -> Resource { try #require(try store.get(ObjectKey(kind: "GitSource", namespace: "default", name: name))) }
    func policy(_ name: String) throws -> Resource? { try store.get(ObjectKey(kind: "HarvestPolicy", namespace: "", name: name)) }
    func status(_ name: String = "fleet") throws -> JSONValue { try source(name).status ?? .null }

    /// What a webhook does: asks the source to fetch now.
    @discardableResult
    func requestFetch(_ name: String = "fleet") throws -> String {
        var s = try source(name)
        let at = Timestamp.formatMicro(Date())
        s.metadata.annotations[GitOwnership.requestedAt] = at
        _ = try store.update(s)
        return at
    }

    /// Waits until the source has handled a request (or, with none, has fetched `commit`).
    func waitFor(_ what: String, _ condition: @escaping () throws -> Bool) async throws {
        try await eventually(what, limit: 30, watching: store) { try condition() }
        try await settled(manager)
    }

    func waitApplied(_ commit: String, _ name: String = "fleet") async throws {
        try await waitFor("\(name) at \(commit.prefix(8))") { try self.status(name)["lastAppliedRevision"]?.stringValue == commit }
    }

    func waitHandled(_ at: String, _ name: String = "fleet") async throws {
        try await waitFor("\(name) handled \(at)") { try self.status(name)["lastHandledReconcileAt"]?.stringValue == at }
    }

    /// Every status the controller wrote fits `schemas/gitsource.json`'s `$defs/Status`.
    func statusFitsTheSchema(_ name: String = "fleet") throws -> [String] { SchemaSet.builtIn.validateStatus(of: try source(name)) }

    func events(reason: String) throws -> [Resource] {
        try store.list(kind: "Event", namespace: "default", selector: LabelSelector()).items.filter { $0.content["reason"]?.stringValue == reason }
    }
}

@Suite struct GitOpsTests {
    @Test func aCommitThatAddsChangesAndRemovesObjectsConverges() async throws {
        let repo = try GitRepository()
        try repo.write("policies/a.yaml", policy("a", share: 0.5))
        try repo.write("policies/b.yaml", policy("b"))
        try repo.write("policies/c.yaml", policy("c"))
        try repo.write("README.md", "not a manifest\n")
        let first = try repo.commit("three policies")
        let h = try GitOpsHarness()
        try h.apply(gitSource("fleet", repo: repo.path, extra: "  pruneSafety: {maxDeleteShare: 0.5}\n"))
        try await h.waitApplied(first)
        let a = try #require(try h.policy("a"))
        #expect(a.metadata.labels[GitOwnership.nameLabel] == "fleet" && a.metadata.annotations[GitOwnership.annotation] == "default/fleet")
        #expect(try h.status()["inventoryCount"]?.intValue == 3)
        #expect(try h.status()["inventory"] == ["HarvestPolicy//a", "HarvestPolicy//b", "HarvestPolicy//c"])
        #expect(try h.source().condition("Ready")?.status == .true)

        try repo.write("policies/a.yaml", policy("a", share: 0.25))
        try repo.remove("policies/c.yaml")
        try repo.write("policies/d.yaml", policy("d"))
        let second = try repo.commit("change a, remove c, add d")
        try h.requestFetch()
        try await h.waitApplied(second)
        #expect(try h.policy("a")?.spec?["maxCpuShare"]?.numberValue == 0.25)
        #expect(try h.policy("c") == nil)
        #expect(try h.policy("d") != nil)
        #expect(try h.status()["inventory"] == ["HarvestPolicy//a", "HarvestPolicy//b", "HarvestPolicy//d"])
        #expect(try h.status()["lastFetchedRevision"]?.stringValue == second)
        #expect(try h.source().condition("Ready")?.message == "commit \(second.prefix(12)) applied (3 objects)")
        #expect(try h.statusFitsTheSchema() == [])
    }

    @Test func aBadCommitIsRefusedWholeAndThePreviousOneStaysApplied() async throws {
        let repo = try GitRepository()
        try repo.write("policies/a.yaml", policy("a", share: 0.5))
        let good = try repo.commit("good")
        let h = try GitOpsHarness()
        try h.apply(gitSource("fleet", repo: repo.path))
        try await h.waitApplied(good)

        // One valid change and one invalid file: neither is applied.
        try repo.write("policies/a.yaml", policy("a", share: 0.75))
        try repo.write("policies/bad.yaml", "apiVersion: fog/v1alpha1\nkind: HarvestPolicy\nmetadata:\n  name: bad\nspec:\n  maxCpuShare: lots\n")
        let bad = try repo.commit("bad")
        let at = try h.requestFetch()
        try await h.waitHandled(at)
        let status = try h.status()
        #expect(status["lastAppliedRevision"]?.stringValue == good)
        #expect(status["lastFetchedRevision"]?.stringValue == bad)
        let errors = (status["errors"]?.arrayValue ?? []).compactMap(\.stringValue)
        #expect(errors.count == 1)
        #expect(errors.first?.hasPrefix("policies/bad.yaml:6:16: spec.maxCpuShare:") == true, "\(errors)")
        let ready = try #require(try h.source().condition("Ready"))
        #expect(ready.status == .false && ready.reason == "ValidationFailed")
        #expect(ready.message.contains(String(bad.prefix(12))) && ready.message.contains("commit \(good.prefix(12)) stays applied"))
        #expect(try h.source().condition("Stalled")?.status == .true)
        #expect(try h.policy("a")?.spec?["maxCpuShare"]?.numberValue == 0.5)
        #expect(try h.policy("bad") == nil)
        #expect(try h.events(reason: "CommitRefused").count == 1)
        #expect(try h.statusFitsTheSchema() == [])

        // Fixed: applied.
        try repo.write("policies/bad.yaml", policy("bad", share: 0.5))
        let fixed = try repo.commit("fixed")
        try h.requestFetch()
        try await h.waitApplied(fixed)
        #expect(try h.policy("a")?.spec?["maxCpuShare"]?.numberValue == 0.75)
        #expect(try h.status()["errors"] == nil)
    }

    @Test func pruneSafetyRefusesAnEmptiedOrVanishedPath() async throws {
        let repo = try GitRepository()
        try repo.write("policies/a.yaml", policy("a"))
        try repo.write("policies/b.yaml", policy("b"))
        try repo.write("policies/NOTES.md", "kept\n")
        let good = try repo.commit("two")
        let h = try GitOpsHarness()
        try h.apply(gitSource("fleet", repo: repo.path, extra: "  pruneSafety: {maxDeleteShare: 1}\n"))
        try await h.waitApplied(good)

        try repo.remove("policies/a.yaml")
        try repo.remove("policies/b.yaml")
        try repo.commit("emptied")
        var at = try h.requestFetch()
        try await h.waitHandled(at)
        var ready = try #require(try h.source().condition("Ready"))
        #expect(ready.reason == "PruneRefused")
        #expect(ready.message.contains("the commit has no objects: pruning would delete all 2 objects"), "\(ready.message)")
        #expect(try h.policy("a") != nil && h.policy("b") != nil)
        #expect(try h.status()["lastAppliedRevision"]?.stringValue == good)

        try repo.remove("policies")
        try repo.write("elsewhere/a.yaml", policy("a"))
        try repo.commit("moved")
        at = try h.requestFetch()
        try await h.waitHandled(at)
        ready = try #require(try h.source().condition("Ready"))
        #expect(ready.reason == "PruneRefused")
        #expect(ready.message.contains("the path is missing at this commit"), "\(ready.message)")
        #expect(try h.policy("b") != nil)
        #expect(try h.events(reason: "PruneRefused").count == 2)
    }

    @Test func pruneRefusesDeletingMoreThanTheShare() async throws {
        let repo = try GitRepository()
        for n in ["a", "b", "c", "d"] { try repo.write("policies/\(n).yaml", policy(n)) }
        let good = try repo.commit("four")
        let h = try GitOpsHarness()
        try h.apply(gitSource("fleet", repo: repo.path, extra: "  pruneSafety: {maxDeleteShare: 0.5}\n"))
        try await h.waitApplied(good)
        for n in ["a", "b", "c"] { try repo.remove("policies/\(n).yaml") }
        try repo.commit("three of four gone")
        let at = try h.requestFetch()
        try await h.waitHandled(at)
        let ready = try #require(try h.source().condition("Ready"))
        #expect(ready.message.contains("pruning would delete 3 of 4 objects (75 %), more than spec.pruneSafety.maxDeleteShare (50 %)"), "\(ready.message)")
        #expect(try h.policy("a") != nil)
    }

    @Test func driftOnAnOwnedObjectIsRepairedFromTheWatch() async throws {
        let repo = try GitRepository()
        try repo.write("policies/a.yaml", policy("a", share: 0.5))
        try repo.write("policies/b.yaml", policy("b"))
        let good = try repo.commit("two")
        let h = try GitOpsHarness()
        try h.apply(gitSource("fleet", repo: repo.path))
        try await h.waitApplied(good)

        // A spec change outside git: put back, without the clock moving (no interval, no fetch).
        var a = try #require(try h.policy("a"))
        a.spec?["maxCpuShare"] = .double(0.9)
        a.metadata.labels["team"] = "x"
        // The manual clock does not move: the repair comes from the watch, not an interval
        // (fog-bench gitops measures how soon: the goal is 1 s).
        _ = try h.store.update(a)
        try await h.waitFor("a repaired") { try h.policy("a")?.spec?["maxCpuShare"]?.numberValue == 0.5 }
        #expect(try h.policy("a")?.metadata.labels["team"] == nil)
        #expect(try h.status()["driftRepairs"]?.intValue == 1)
        let repaired = try #require(try h.events(reason: "DriftRepaired").first)
        #expect(repaired.content["message"]?.stringValue?.contains("HarvestPolicy//a: metadata.labels.team, spec.maxCpuShare") == true)

        // A deletion outside git: created again.
        _ = try h.store.delete(ObjectKey(kind: "HarvestPolicy", namespace: "", name: "b"))
        try await h.waitFor("b re-created") { try h.policy("b") != nil }
        #expect(try h.status()["driftRepairs"]?.intValue == 2)
        // A status change is not drift.
        _ = try h.store.patchStatus(ObjectKey(kind: "HarvestPolicy", namespace: "", name: "b"), ["matchedNodes": 3])
        try await settled(h.manager)
        #expect(try h.status()["driftRepairs"]?.intValue == 2)
    }

    @Test func driftIsOnlyReportedUnderReport() async throws {
        let repo = try GitRepository()
        try repo.write("policies/a.yaml", policy("a", share: 0.5))
        let good = try repo.commit("one")
        let h = try GitOpsHarness()
        try h.apply(gitSource("fleet", repo: repo.path, extra: "  driftPolicy: report\n"))
        try await h.waitApplied(good)
        var a = try #require(try h.policy("a"))
        a.spec?["maxCpuShare"] = .double(0.9)
        _ = try h.store.update(a)
        try await h.waitFor("drift reported") { try h.status()["drift"] != nil }
        #expect(try h.policy("a")?.spec?["maxCpuShare"]?.numberValue == 0.9)
        #expect(try h.status()["drift"] == ["HarvestPolicy//a: spec.maxCpuShare"])
        #expect(try h.source().condition("Ready")?.reason == "DriftDetected")
        #expect(try h.events(reason: "DriftDetected").count == 1)
        #expect(try h.events(reason: "DriftRepaired").isEmpty)
        #expect(try h.status()["driftRepairs"]?.intValue == 0)
        #expect(try h.statusFitsTheSchema() == [])
    }

    /// Every spec field of the policies is left to its schema default in git; the stored
    /// objects carry them all. 1,000 reconciles (a fetch every 50th, as the clock passes the
    /// interval) write nothing and find no drift.
    @Test func aThousandReconcilesOfAnUnchangedRepositoryWriteNothing() async throws {
        let repo = try GitRepository()
        for i in 0..<20 { try repo.write("policies/p\(i).yaml", policy("p\(i)")) }
        let good = try repo.commit("twenty")
        let h = try GitOpsHarness()
        try h.apply(gitSource("fleet", repo: repo.path))
        try await h.waitApplied(good)
        #expect(try h.policy("p0")?.spec?["timeZone"] != nil)  // a default git does not hold
        let before = try h.store.currentRevision()
        let key = ObjectKey(kind: "GitSource", namespace: "default", name: "fleet")
        let client = EmbeddedClient(store: h.store)
        let controller = GitSourceController(fetcher: GitFetcher(root: h.scratch.file("git-direct")))
        let ctx = ReconcileContext(client: client, cache: h.manager.cache, clock: h.clock,
                                   events: EventRecorder(client: client, clock: h.clock, component: "gitsource"),
                                   logger: Logger(label: "direct"), registry: SchemaSet.builtIn.registry,
                                   controller: controller.name, ownedConditions: controller.conditionTypes)
        for _ in 0..<1000 {
            h.clock.advance(by: 1.2)  // the interval is 1m: a real fetch every 50th reconcile (20 in all)
            _ = try await controller.reconcile(key, ctx)
        }
        try await settled(h.manager)
        #expect(try h.store.currentRevision() == before)
        #expect(try h.events(reason: "DriftRepaired").isEmpty && h.events(reason: "DriftDetected").isEmpty)
        #expect(try h.status()["driftRepairs"]?.intValue == 0)
    }

    @Test func aSourceAppliesOnceItsDependencyIsReadyAtItsCurrentCommit() async throws {
        let base = try GitRepository()
        try base.write("policies/base.yaml", policy("base", share: 1.5))  // invalid: maxCpuShare > 1
        let broken = try base.commit("broken base")
        let apps = try GitRepository()
        try apps.write("policies/app.yaml", policy("app"))
        let appCommit = try apps.commit("app")
        let h = try GitOpsHarness()
        try h.apply(gitSource("apps", repo: apps.path, extra: "  dependsOn: [{name: base}]\n") + "---\n" + gitSource("base", repo: base.path))
        try await h.waitFor("base refused") { try h.status("base")["lastFetchedRevision"]?.stringValue == broken }
        #expect(try h.source("apps").condition("Ready")?.reason == "DependencyNotReady")
        #expect(try h.policy("app") == nil)

        try base.write("policies/base.yaml", policy("base", share: 0.5))
        let fixed = try base.commit("fixed base")
        // The manual clock does not move, so no requeue timer can start the dependent: the
        // dependency's status change does.
        try h.requestFetch("base")
        try await h.waitApplied(appCommit, "apps")
        #expect(try h.status("base")["lastAppliedRevision"]?.stringValue == fixed)
        let baseAt = try #require(try h.policy("base")?.metadata.resourceVersion)
        let appAt = try #require(try h.policy("app")?.metadata.resourceVersion)
        #expect(baseAt < appAt)
    }

    @Test func suspendStopsEverythingUntilResumed() async throws {
        let repo = try GitRepository()
        try repo.write("policies/a.yaml", policy("a", share: 0.5))
        let first = try repo.commit("one")
        let h = try GitOpsHarness()
        try h.apply(gitSource("fleet", repo: repo.path))
        try await h.waitApplied(first)
        try h.apply(gitSource("fleet", repo: repo.path, extra: "  suspend: true\n"))
        try await h.waitFor("suspended") { try h.source().condition("Suspended")?.status == .true }

        try repo.write("policies/b.yaml", policy("b"))
        try repo.commit("two")
        try h.requestFetch()
        var a = try #require(try h.policy("a"))
        a.spec?["maxCpuShare"] = .double(0.9)
        _ = try h.store.update(a)
        h.clock.advance(by: 120)
        try await settled(h.manager)
        #expect(try h.policy("b") == nil)
        #expect(try h.policy("a")?.spec?["maxCpuShare"]?.numberValue == 0.9)
        #expect(try h.status()["lastAppliedRevision"]?.stringValue == first)

        try h.apply(gitSource("fleet", repo: repo.path, extra: "  suspend: false\n"))
        try await h.waitFor("resumed") { try h.policy("b") != nil }
        #expect(try h.policy("a")?.spec?["maxCpuShare"]?.numberValue == 0.5)
        #expect(try h.source().condition("Suspended")?.status == .false)
    }

    @Test func aFetchThatFailsSaysSoAndKeepsTheLastCommit() async throws {
        let h = try GitOpsHarness()
        try h.apply(gitSource("fleet", repo: h.scratch.file("no-such-repo")))
        try await h.waitFor("fetch failed") { try h.source().condition("Ready")?.reason == "FetchFailed" }
        #expect(try h.events(reason: "FetchFailed").count == 1)
    }

    /// A repository whose server never answers (a git that hangs for URLs naming "slow")
    /// holds up only its own source, until its timeout kills the fetch.
    @Test func aSlowRepositoryTimesOutWithoutHoldingUpAnother() async throws {
        let repo = try GitRepository()
        try repo.write("policies/a.yaml", policy("a"))
        let commit = try repo.commit("one")
        let h = try GitOpsHarness(git: { dir in
            let script = dir + "/slow-git"
            try Data("#!/bin/sh\ncase \"$*\" in *slow*) exec sleep 600;; esac\nexec \(GitFetcher.findGit()) \"$@\"\n".utf8).write(to: URL(fileURLWithPath: script))
            try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: script)
            return script
        })
        // The slow fetch's timeout is far longer than the other source needs even on a loaded
        // machine (with 3 s, a parallel CI run once applied "fleet" only after it had passed).
        try h.apply(gitSource("slow", repo: "https://slow.invalid/fleet.git", extra: "  timeout: 20s\n") + "---\n" + gitSource("fleet", repo: repo.path))
        try await eventually("fleet applied", watching: h.store) { try h.status("fleet")["lastAppliedRevision"]?.stringValue == commit }
        #expect(try h.source("slow").condition("Ready") == nil)  // still fetching, for up to 20 s
        try await eventually("slow timed out", limit: 60, watching: h.store) { try h.source("slow").condition("Ready")?.reason == "FetchFailed" }
        try await settled(h.manager)
        let message = try #require(try h.source("slow").condition("Ready")?.message)
        #expect(message.contains("timed out"), "\(message)")
        #expect(try h.statusFitsTheSchema("slow") == [])
        #expect(try h.policy("a") != nil)
    }

    @Test func theWebhookChecksItsSignatureAndTriggersAFetch() async throws {
        // GitHub's documented example: secret "It's a Secret to Everybody", body "Hello, World!".
        #expect(APIServer.validSignature(hex: "757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17",
                                         body: Array("Hello, World!".utf8), secret: Array("It's a Secret to Everybody".utf8)))
        #expect(!APIServer.validSignature(hex: "757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e18",
                                          body: Array("Hello, World!".utf8), secret: Array("It's a Secret to Everybody".utf8)))

        let repo = try GitRepository()
        try repo.write("policies/a.yaml", policy("a"))
        let first = try repo.commit("one")
        let h = try GitOpsHarness()
        try h.apply(gitSource("fleet", repo: repo.path))
        try await h.waitApplied(first)
        let secret = "s3cret"
        let server = try await TestServer.start(store: h.store, directory: h.scratch.path) { $0.webhookSecret = Array(secret.utf8) }
        defer { Task { await server.stop() } }
        try repo.write("policies/b.yaml", policy("b"))
        let second = try repo.commit("two")
        let body = Array(#"{"ref":"refs/heads/main"}"#.utf8)
        func post(_ signature: String?) async throws -> Int {
            var request = URLRequest(url: URL(string: server.baseURL + "/hooks/gitsource/default/fleet")!)
            request.httpMethod = "POST"
            request.httpBody = Data(body)
            if let signature { request.setValue(signature, forHTTPHeaderField: "X-Hub-Signature-256") }
            let (_, response) = try await URLSession.shared.data(for: request)
            return (response as? HTTPURLResponse)?.statusCode ?? 0
        }
        #expect(try await post(nil) == 401)
        #expect(try await post("sha256=" + String(repeating: "0", count: 64)) == 401)
        #expect(try await post("sha256=" + APIServer.signature(body: Array(Data("other".utf8)), secret: Array(secret.utf8))) == 401)
        #expect(try h.source().metadata.annotations[GitOwnership.requestedAt] == nil)
        #expect(try await post("sha256=" + APIServer.signature(body: body, secret: Array(secret.utf8))) == 202)
        try await h.waitApplied(second)
        #expect(try h.policy("b") != nil)
    }
}

@Suite struct GitFetcherTests {
    @Test func aFetchIsKilledAtItsTimeout() async throws {
        let dir = try TemporaryDirectory("fog-fetch")
        let script = dir.file("slow-git")
        try Data("#!/bin/sh\ncase \"$*\" in *slow*) exec sleep 600;; esac\nexec \(GitFetcher.findGit()) \"$@\"\n".utf8).write(to: URL(fileURLWithPath: script))
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: script)
        let fetcher = GitFetcher(root: dir.file("git"), git: script)
        // Without the timeout this would wait for the 600 s sleep.
        let error = await #expect(throws: GitFetcher.Failure.self) {
            _ = try await fetcher.fetch(namespace: "default", name: "slow", url: "https://slow.invalid/x.git", ref: "main", secret: nil, timeout: 1)
        }
        #expect(error?.timedOut == true)
        #expect(!FileManager.default.fileExists(atPath: dir.file("git/default/slow")))  // a fresh checkout next time
    }

    /// A manager shutting down cancels its reconciles: the fetch's git is killed, not waited for.
    @Test func aCancelledFetchKillsGit() async throws {
        let dir = try TemporaryDirectory("fog-fetch")
        let script = dir.file("slow-git")
        try Data("#!/bin/sh\ncase \"$*\" in *slow*) exec sleep 600;; esac\nexec \(GitFetcher.findGit()) \"$@\"\n".utf8).write(to: URL(fileURLWithPath: script))
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: script)
        let fetcher = GitFetcher(root: dir.file("git"), git: script)
        let task = Task { try await fetcher.fetch(namespace: "default", name: "slow", url: "https://slow.invalid/x.git", ref: "main", secret: nil, timeout: 600) }
        task.cancel()
        await #expect(throws: GitFetcher.Failure.self) { _ = try await task.value }
    }
}
