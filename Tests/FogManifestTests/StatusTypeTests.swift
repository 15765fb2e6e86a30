import FogManifest
import FogModel
import Foundation
import Testing

/// The status types (`Sources/FogModel/Kinds/Status.generated.swift`) are what the schemas'
/// `$defs/Status` say: regenerated here and compared with the file.
@Suite struct StatusTypeTests {
    static let file = repoRoot + "/Sources/FogModel/Kinds/Status.generated.swift"

    @Test func theStatusTypesAreGeneratedFromTheSchemas() throws {
        let source = try StatusTypeGenerator.source(SchemaSet.builtIn)
        if ProcessInfo.processInfo.environment["FOG_REGENERATE"] == "1" {
            try source.write(toFile: Self.file, atomically: true, encoding: .utf8)
        }
        let onDisk = try String(contentsOfFile: Self.file, encoding: .utf8)
        #expect(onDisk == source, "Status.generated.swift differs from the schemas: run FOG_REGENERATE=1 swift test --filter StatusTypeTests")
    }

    /// A writer that reads only its own fields writes only what it changed: the other writers'
    /// fields stay as stored, byte for byte, even those its type would write differently (`3`
    /// where the type holds a Double writes `3.0`).
    @Test func aWriterOfSomeFieldsChangesOnlyThose() throws {
        var stored: [String: JSONValue] = [
            "trust": 0.5, "lastHeartbeatTime": "2001-01-01T00:00:00Z",
            "reservations": ["default/j": ["cpu": 2, "memoryGiB": 2, "gpu": 0]],
            "telemetry": ["idleSeconds": 3],
        ]
        let before = stored
        let old = try FogNodeStatus(json: stored, only: [\.trust, \.scores])
        #expect(old.trust == 0.5 && old.reservations == nil && old.telemetry == nil)
        var new = old
        new.trust = 0.75
        new.scores = FogNodeStatus.Scores(latency: 1, performance: 2, reliability: 3, standard: 4, uptime: 5)
        new.write(into: &stored, changedFrom: old)
        #expect(stored["trust"] == .double(0.75))
        #expect(stored["scores"]?["standard"] == .double(4))
        for key in ["lastHeartbeatTime", "reservations", "telemetry"] { #expect(stored[key] == before[key]) }
        // Clearing a field it read removes it.
        let again = try FogNodeStatus(json: stored, only: [\.scores])
        var cleared = again
        cleared.scores = nil
        cleared.write(into: &stored, changedFrom: again)
        #expect(stored["scores"] == nil && stored["trust"] == .double(0.75))
        #expect(FogNodeStatus.fieldName(\.lastHeartbeatTime) == "lastHeartbeatTime")
    }
}
