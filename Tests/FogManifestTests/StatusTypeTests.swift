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
}
