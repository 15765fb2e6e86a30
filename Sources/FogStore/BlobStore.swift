import Crypto
import FogAPI
import Foundation

/// Content-addressed artifacts (model updates, global models): `sha256:<hex>` names
/// a file under `<dir>/sha256/`. Writes verify the digest and land atomically.
public struct BlobStore: Sendable {
    public let directory: String

    public init(directory: String) { self.directory = directory }

    /// `sha256:<64 lowercase hex>` → the hex part.
    public static func parse(_ digest: String) -> String? {
        guard digest.hasPrefix("sha256:") else { return nil }
        let hex = digest.dropFirst(7)
        guard hex.count == 64, hex.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) }) else { return nil }
        return String(hex)
    }

    public static func digest(of bytes: some DataProtocol) -> String {
        "sha256:" + SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
    }

    /// SHA-256 of `token`'s UTF-8, hex without prefix: what an aggregate task holds of its
    /// round's upload token, and what the aggregator node checks an upload's token against.
    public static func tokenHash(_ token: String) -> String { String(digest(of: Array(token.utf8)).dropFirst("sha256:".count)) }

    func path(_ hex: String) -> String { directory + "/sha256/" + hex }

    public func exists(_ hex: String) -> Bool { FileManager.default.fileExists(atPath: path(hex)) }

    /// Stores `bytes` if their digest is `hex`; returns false when it was already there.
    @discardableResult
    public func put(_ hex: String, _ bytes: [UInt8]) throws -> Bool {
        let actual = Self.digest(of: bytes)
        guard actual == "sha256:" + hex else {
            throw AdmissionError(.badRequest, "digest mismatch: the body's digest is \(actual), the path names sha256:\(hex)")
        }
        if exists(hex) { return false }
        let dir = directory + "/sha256"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let temp = dir + "/.incoming-" + UUID().uuidString
        guard FileManager.default.createFile(atPath: temp, contents: Data(bytes)) else {
            throw StoreError(.storage, "cannot write blob")
        }
        if rename(temp, path(hex)) != 0 {
            try? FileManager.default.removeItem(atPath: temp)
            throw StoreError(.storage, "cannot store blob: errno \(errno)")
        }
        return true
    }

    public func handle(_ hex: String) -> FileHandle? { FileHandle(forReadingAtPath: path(hex)) }

    /// Stores `bytes` under their own digest, which it returns.
    @discardableResult
    public func put(_ bytes: [UInt8]) throws -> String {
        let digest = Self.digest(of: bytes)
        try put(String(digest.dropFirst(7)), bytes)
        return digest
    }

    /// The blob named `digest` (`sha256:<hex>`), read whole; nil when absent.
    public func read(_ digest: String) throws -> [UInt8]? {
        guard let hex = Self.parse(digest) else { throw AdmissionError(.badRequest, "blob names are sha256:<64 lowercase hex digits> (got \(digest))") }
        guard let data = FileManager.default.contents(atPath: path(hex)) else { return nil }
        return [UInt8](data)
    }

    /// Blobs beside a state file: `<dir of state>/blobs`, as the server keeps them.
    public static func beside(statePath: String) -> BlobStore {
        BlobStore(directory: (statePath as NSString).deletingLastPathComponent + "/blobs")
    }

    public func size(_ hex: String) -> Int? {
        (try? FileManager.default.attributesOfItem(atPath: path(hex))[.size] as? NSNumber)?.intValue
    }
}
