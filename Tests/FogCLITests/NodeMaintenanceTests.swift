import FogCLI
import FogManifest
import FogModel
import FogStore
import FogTesting
import Foundation
import Testing

/// `cordon` and `drain` through a server with its controllers and a simulated fleet, as an
/// operator takes a node out for maintenance; `auth can-i` as each role sees it.
@Suite(.serialized) struct NodeMaintenanceTests {
    @Test func cordonKeepsAJobsParticipantAndDrainMovesItElsewhere() async throws {
        let h = try Harness()
        let (store, server) = try await h.serverWithControllers(tokens: "tokens:\n- {token: admin-token, user: me, role: admin}\n")
        defer { Task { await server.stop() } }
        let fleet = try Harness.simulatedFleet(server, nodes: 6, seed: 9)
        defer { if fleet.isRunning { fleet.terminate() } }
        let job = try Harness.longJob("long-digits")
        _ = try store.apply([job], dryRun: false)
        let key = job.key
        func participants() throws -> [String] {
            (try store.get(key)?.status?["allocation"]?["participants"]?.arrayValue ?? []).compactMap { $0["node"]?.stringValue }
        }
        do {
            try await eventually("long-digits Running with 3 participants", limit: 60, watching: store) {
                try store.get(key)?.status?["phase"] == "Running" && participants().count == 3
            }
        } catch {
            Issue.record("status: \(try store.get(key)?.status.map { JSONCoding.encode($0) } ?? "none")")
            throw error
        }
        let before = try participants()
        let remote = ["--server", server.baseURL, "--token", "admin-token"]
        func run(_ args: [String]) async -> Harness.Result {
            let console = Console.capturing()
            let code = await Fogctl.run(args + remote, console: console)
            return Harness.Result(code: code, stdout: console.stdout, stderr: console.stderr)
        }
        let cordoned = await run(["cordon", before[0]])
        #expect(cordoned.stdout == "fognode/\(before[0]) cordoned\n", "\(cordoned.stderr)")
        let drained = await run(["drain", before[1], "--timeout", "60s"])
        #expect(drained.code == 0, "\(drained.stderr)")
        #expect(drained.stdout == "fognode/\(before[1]) cordoned\nmoving federatedjob default/long-digits off fognode/\(before[1])\nfognode/\(before[1]) drained\n")
        let after = try participants()
        // The drained node left; the cordoned one stayed (its cordon was written first, and the
        // controller has answered the later drain); the job is back to three.
        #expect(!after.contains(before[1]) && after.contains(before[0]) && after.count == 3, "\(before) → \(after)")
        #expect(try store.get(ObjectKey(kind: "FogNode", namespace: "", name: before[1]))?.status?["reservations"]?.objectValue?.isEmpty ?? true)
        // Uncordon ends the drain: the node may be chosen again.
        #expect(await run(["uncordon", before[1]]).stdout == "fognode/\(before[1]) uncordoned\n")
        let node = try #require(try store.get(ObjectKey(kind: "FogNode", namespace: "", name: before[1])))
        #expect(node.metadata.annotations["fog/drain"] == nil && node.spec?["unschedulable"] == .bool(false))
    }

    @Test func authCanIAnswersForEachRole() async throws {
        let h = try Harness()
        let tokens = """
            tokens:
            - {token: admin-token, user: root, role: admin}
            - {token: tenant-token, user: ana, role: tenant, namespaces: [team-a]}
            - {token: agent-token, user: edge-1, role: agent, node: edge-1}
            """
        let (_, server) = try await h.serverWithControllers(tokens: tokens)
        defer { Task { await server.stop() } }
        func canI(_ token: String, _ args: [String]) async -> (Int32, String) {
            let console = Console.capturing()
            let code = await Fogctl.run(["auth", "can-i"] + args + ["--server", server.baseURL, "--token", token], console: console)
            return (code, console.stdout + console.stderr)
        }
        #expect(await canI("admin-token", ["delete", "tiers"]) == (0, "yes\n"))
        #expect(await canI("tenant-token", ["create", "federatedjobs", "-n", "team-a"]) == (0, "yes\n"))
        #expect(await canI("tenant-token", ["create", "federatedjobs", "-n", "team-b"]) == (1, "no\n"))
        #expect(await canI("tenant-token", ["delete", "tiers"]) == (1, "no\n"))
        #expect(await canI("tenant-token", ["update/status", "fj", "-n", "team-a"]) == (1, "no\n"))
        #expect(await canI("tenant-token", ["get", "tiers", "--why"]).1.hasPrefix("yes (ana: "))
        #expect(await canI("agent-token", ["update/status", "fognode/edge-1"]).0 == 0)
        #expect(await canI("agent-token", ["delete", "tiers"]) == (1, "no\n"))
        // The embedded store has no authorisation, and says so.
        let local = await h.fogctl(["auth", "can-i", "delete", "tiers", "--why"])
        #expect(local.code == 0 && local.stdout.contains("no authorisation"))
    }
}

/// Flower's stop and run-again, on a job training through a server on a simulated fleet.
@Suite(.serialized) struct StopAndRetryTests {
    @Test func aStoppedJobReleasesItsNodesAndRunsAgainWhenRetried() async throws {
        let h = try Harness()
        let (store, server) = try await h.serverWithControllers(tokens: "tokens:\n- {token: admin-token, user: me, role: admin}\n")
        defer { Task { await server.stop() } }
        let fleet = try Harness.simulatedFleet(server, nodes: 4, seed: 4)
        defer { if fleet.isRunning { fleet.terminate() } }
        let job = try Harness.longJob("stoppable")
        _ = try store.apply([job], dryRun: false)
        let remote = ["--server", server.baseURL, "--token", "admin-token"]
        func run(_ args: [String]) async -> Harness.Result {
            let console = Console.capturing()
            let code = await Fogctl.run(args + remote, console: console)
            return Harness.Result(code: code, stdout: console.stdout, stderr: console.stderr)
        }
        let running = await run(["wait", "fj/stoppable", "--for=jsonpath={.status.phase}=Running", "--timeout", "60s"])
        #expect(running.code == 0, "\(running.stderr)")
        #expect(await run(["stop", "fj/stoppable"]).stdout == "federatedjob/stoppable stop requested\n")
        let stopped = await run(["wait", "fj/stoppable", "--for=jsonpath={.status.phase}=Failed", "--timeout", "60s"])
        #expect(stopped.code == 0, "\(stopped.stderr)")
        let failed = try #require(try store.get(job.key))
        #expect(failed.conditions[type: "Stopped"]?.status == .true)
        // What stop wrote is described by the schema and read by the typed status.
        #expect(SchemaSet.builtIn.validateStatus(of: failed).isEmpty, "\(SchemaSet.builtIn.validateStatus(of: failed))")
        #expect(try FederatedJobStatus(json: failed.status).stop?.from == .running)
        try StatusSchemaTests.expectTypedRoundTrip(failed)
        try await eventually("the participants released", limit: 30, watching: store) {
            try store.list(kind: "FogNode", namespace: nil).items.allSatisfy { ($0.status?["reservations"]?.objectValue ?? [:]).isEmpty }
        }
        let twice = await run(["stop", "fj/stoppable"])
        #expect(twice.code == 1 && twice.stderr.contains("has already finished (Failed)"))
        #expect(await run(["retry", "fj/stoppable"]).code == 0)
        let again = await run(["wait", "fj/stoppable", "--for=jsonpath={.status.phase}=Running", "--timeout", "60s"])
        #expect(again.code == 0, "\(again.stderr)")
        let rerun = try #require(try store.get(job.key))
        #expect(rerun.status?["retry"]?["runs"] == 2 && rerun.conditions[type: "Stopped"]?.status == .false)
        #expect(SchemaSet.builtIn.validateStatus(of: rerun).isEmpty, "\(SchemaSet.builtIn.validateStatus(of: rerun))")
        #expect(try FederatedJobStatus(json: rerun.status).retry?.runs == 2)
        try StatusSchemaTests.expectTypedRoundTrip(rerun)
    }
}
