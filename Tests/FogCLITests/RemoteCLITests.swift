import FogCLI
import FogManifest
import FogModel
import FogServer
import FogStore
import FogRuntime
import FogControllers
import FogClient
import Foundation
import Logging
import ServiceLifecycle
import Testing

/// Every verb through a real server (`--server`, `--token`) behaves as on the embedded store.
@Suite struct RemoteCLITests {
    @Test func verbsThroughAServer() async throws {
        let h = try Harness()
        let store = try SQLiteStore(path: h.dir + "/server.db")
        FileManager.default.createFile(atPath: h.dir + "/tokens.yaml", contents: Data("tokens:\n- {token: cli-admin-token, user: me, role: admin}\n".utf8))
        var config = APIServer.Configuration()
        config.port = 0
        config.tokens = try TokenBook(file: h.dir + "/tokens.yaml")
        var logger = Logger(label: "cli-test")
        logger.logLevel = .error
        let api = try APIServer(store: store, configuration: config, logger: logger)
        let ready = AsyncStream<Int>.makeStream()
        let group = ServiceGroup(services: [api.application(onRunning: { ready.continuation.yield($0) })], logger: logger)
        let task = Task { try await group.run() }
        var port = 0
        for await p in ready.stream { port = p; break }
        let remote = ["--server", "http://127.0.0.1:\(port)", "--token", "cli-admin-token"]
        func run(_ args: [String]) async -> Harness.Result {
            let console = Console.capturing()
            let code = await Fogctl.run(args + remote, console: console)
            return Harness.Result(code: code, stdout: console.stdout, stderr: console.stderr)
        }
        let tiers = Harness.root + "/examples/quickstart/tiers.yaml"
        let applied = await run(["apply", "-f", tiers])
        #expect(applied.code == 0, "\(applied.stderr)")
        #expect(applied.stdout == "tier/small created\ntier/medium created\ntier/large created\ntier/enterprise created\n")
        #expect(await run(["apply", "-f", tiers]).stdout.split(separator: "\n").allSatisfy { $0.hasSuffix("unchanged") })
        #expect(try store.list(kind: "Tier", namespace: nil).items.count == 4)
        let get = await run(["get", "tiers", "-o", "name"])
        #expect(get.stdout == "tier/enterprise\ntier/large\ntier/medium\ntier/small\n")
        #expect(await run(["describe", "tier", "small"]).stdout.contains("Name:               small"))
        #expect(await run(["diff", "-f", tiers]).code == 0)
        #expect(await run(["get", "tier", "nope"]).code == 1)
        let bad = await run(["apply", "-f", Harness.root + "/examples/bad/out-of-range.yaml"])
        #expect(bad.code == 1 && bad.stderr.contains("spec.training.rounds: must be >= 1 (got 0)"))
        #expect(await run(["delete", "tier", "small"]).stdout == "tier \"small\" deleted\n")
        #expect(try store.get(ObjectKey(kind: "Tier", namespace: "", name: "small")) == nil)
        let wrongToken = await Fogctl.run(["get", "tiers", "--server", "http://127.0.0.1:\(port)", "--token", "nope-nope-nope"], console: .capturing())
        #expect(wrongToken == 1)
        #expect(await run(["reconcile", "--once"]).code == 1)  // controllers run in the server
        await group.triggerGracefulShutdown()
        _ = await task.result
    }
}

extension RemoteCLITests {
    @Test func applyWaitThroughAServerWithControllers() async throws {
        let h = try Harness()
        let store = try SQLiteStore(path: h.dir + "/server.db")
        var config = APIServer.Configuration()
        config.port = 0
        var logger = Logger(label: "cli-test")
        logger.logLevel = .error
        let api = try APIServer(store: store, configuration: config, logger: logger)
        let ready = AsyncStream<Int>.makeStream()
        let manager = Manager(client: EmbeddedClient(store: store), controllers: ControllerRegistry.all(),
                                         registry: SchemaSet.builtIn.registry, logger: logger)
        let group = ServiceGroup(services: [api.application(onRunning: { ready.continuation.yield($0) }), manager], logger: logger)
        let task = Task { try await group.run() }
        var port = 0
        for await p in ready.stream { port = p; break }
        let console = Console.capturing()
        let code = await Fogctl.run(["apply", "-f", Harness.root + "/examples/quickstart/privacy.yaml", "--wait", "--timeout", "20s",
                                     "--server", "http://127.0.0.1:\(port)"], console: console)
        #expect(code == 0, "\(console.stderr)")
        #expect(console.stdout.contains("privacypolicy/high ready"))
        await group.triggerGracefulShutdown()
        _ = await task.result
    }
}
