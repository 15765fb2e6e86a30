import FogAgent
import FogModel
import FogStore
import FogTesting
import Foundation
import Testing

/// A node agent's log (`status.log`): its lines ride on its heartbeats (an agent token may
/// write the field), failed attempts included, and a restarted agent carries on the log.
@Suite(.serialized) struct AgentLogTests {
    @Test func anAgentsLogRidesOnItsHeartbeatsThroughAServerRestart() async throws {
        let h = try FleetHarness(heartbeatTimeout: 60)
        try await h.startServer()
        let port = h.port
        var options = NodeAgent.Options(node: "edge-1")
        options.region = "eu-west"
        options.interval = 5
        let agent = NodeAgent(client: h.client("agent-edge-1-token", timeout: 5), clock: h.clock,
                              reader: HostTelemetryReader(root: fixture("desktop-no-battery")), options: options, seed: 7)
        try await agent.register()
        // The line waits for the heartbeat: registering wrote no status.
        #expect(try h.node("edge-1")?.status?["log"] == nil)
        try await agent.heartbeat()
        let first = StatusLog(try h.node("edge-1")?.status?["log"]).lines
        #expect(first.count == 1 && first[0].hasSuffix(" registered fognode/edge-1 (class edge, region eu-west)"), "\(first)")
        #expect(first[0].hasPrefix(Timestamp.format(h.clock.now()).dropLast() + "."))

        // The server goes away: the failed attempts are noted, and the first heartbeat back carries them.
        let loop = Task { try? await agent.run() }
        try await eventually("second heartbeat", wakingOn: [agent.changes]) { agent.heartbeats == 2 && agent.sleepingUntil != nil }
        await h.stopServer()
        h.clock.advance(by: 5)
        try await eventually("agent retrying", wakingOn: [agent.changes]) {
            if case .retrying = agent.state { return agent.sleepingUntil != nil }
            return false
        }
        try await h.startServer(port: port)
        for _ in 0..<12 where agent.heartbeats < 3 {
            h.clock.advance(by: 5)
            try await eventually("agent asleep", wakingOn: [agent.changes]) { agent.sleepingUntil != nil || agent.heartbeats >= 3 }
        }
        try await eventually("heartbeat after restart", wakingOn: [agent.changes]) { agent.heartbeats >= 3 }
        loop.cancel()
        await loop.value
        let stored = StatusLog(try h.node("edge-1")?.status?["log"]).lines
        #expect(stored.contains { $0.contains(" heartbeat failed (attempt 1): ") }, "\(stored)")
        // The line about the recovery is the agent's now and its next heartbeat's to carry.
        #expect(agent.logLines.last?.contains(" heartbeat succeeded after ") == true, "\(agent.logLines)")

        // A new agent for the node carries on the stored log.
        let again = NodeAgent(client: h.client("agent-edge-1-token"), clock: h.clock,
                              reader: HostTelemetryReader(root: fixture("desktop-no-battery")), options: options, seed: 8)
        try await again.register()
        try await again.heartbeat()
        let carried = StatusLog(try h.node("edge-1")?.status?["log"]).lines
        #expect(Array(carried.prefix(stored.count)) == stored)
        #expect(carried.last?.hasSuffix(" agent started on fognode/edge-1") == true, "\(carried)")
        await h.shutdown()
    }
}
