@testable import FogManifest
import FogModel
import Foundation
import Testing

/// A large file is read in pieces on several cores: the objects, their documents and
/// positions, and any errors are exactly those of reading it on one core.
@Suite struct ParallelDecodingTests {
    /// A stream over the parallel threshold: an implicit first document, comments, an empty
    /// document, a List, block scalars and `---` inside strings.
    static func stream(count: Int, broken: Int? = nil) -> String {
        var s = "# nodes\napiVersion: fog/v1alpha1\nkind: HarvestPolicy\nmetadata: {name: first}\nspec: {}\n---\n"
        for i in 0..<count {
            s += """
                --- # node \(i)
                apiVersion: fog/v1alpha1
                kind: FogNode
                metadata:
                  name: node-\(i)
                  annotations:
                    note: |
                      a block scalar
                        --- not a marker (indented)
                    quoted: "--- text"
                spec:
                  region: eu-west
                  class: edge
                  capacity: {cpu: \(i == broken ? "\"many\"" : "\(1 + i % 8)"), memoryGiB: 4}

                """
            if i % 500 == 0 { s += "---\n" }  // an empty document
        }
        s += "---\napiVersion: v1\nkind: List\nitems:\n- {apiVersion: fog/v1alpha1, kind: HarvestPolicy, metadata: {name: last}, spec: {}}\n"
        return s
    }

    func decode(_ text: String, cores: Int) -> Result<[DecodedObject], ManifestErrors> {
        var decoder = ManifestDecoder()
        decoder.cores = cores
        do { return .success(try decoder.decode([ManifestInput(name: "big.yaml", bytes: Array(text.utf8))])) } catch let e as ManifestErrors {
            return .failure(e)
        } catch { Issue.record("\(error)"); return .failure(ManifestErrors([])) }
    }

    @Test func aLargeValidFileDecodesTheSameOnOneCoreAndOnFour() throws {
        let text = Self.stream(count: 2_000)
        #expect(text.utf8.count > YAMLReader.parallelThreshold)
        #expect(YAMLReader.documentPieces(Array(text.utf8), count: 4).count == 4)
        let one = try decode(text, cores: 1).get(), four = try decode(text, cores: 4).get()
        #expect(one.count == 2_002)
        #expect(one.map(\.resource) == four.map(\.resource))
        #expect(one.map { [$0.document, $0.line, $0.column] } == four.map { [$0.document, $0.line, $0.column] })
        // Positions are the file's: the last node's document starts where the text says.
        let last = try #require(four.first { $0.resource.name == "node-1999" })
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines[last.line - 1] == "apiVersion: fog/v1alpha1" && lines[last.line - 2] == "--- # node 1999")
        #expect(four.last?.resource.name == "last" && four.last?.document == one.last?.document)
    }

    @Test func errorsInALargeFileAreTheSameOnOneCoreAndOnFour() throws {
        let text = Self.stream(count: 2_000, broken: 1_700)
        guard case .failure(let one) = decode(text, cores: 1), case .failure(let four) = decode(text, cores: 4) else {
            Issue.record("a file with a bad field decoded"); return
        }
        #expect(one.errors == four.errors)
        #expect(four.errors.count == 1 && four.errors[0].path == "spec.capacity.cpu")
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines[four.errors[0].line - 1].contains("cpu: \"many\""))
        // A syntax error late in the file: the same message and position either way.
        let broken = text + "---\nkind: [unclosed\n"
        guard case .failure(let a) = decode(broken, cores: 1), case .failure(let b) = decode(broken, cores: 4) else {
            Issue.record("a file with a syntax error decoded"); return
        }
        #expect(a.errors == b.errors && !a.errors.isEmpty)
    }

    @Test func directivesKeepTheFileInOnePiece() {
        let text = "%YAML 1.2\n---\n" + Self.stream(count: 2_000)
        #expect(YAMLReader.documentPieces(Array(text.utf8), count: 4).count == 1)
    }
}
