import Foundation

/// Uploads a blob through one of several circuit paths: it builds its own circuit (fresh
/// ephemeral keys) over the first path, and when a circuit fails — at build or in the middle
/// of the upload — it goes on at once with the next path. It never falls back to a direct
/// upload: with no path left it throws, and the caller waits.
public struct CircuitUploader: Sendable {
    public struct Result: Sendable, Equatable {
        public var digest: String
        /// The path (relay names) that carried it.
        public var relays: [String]
        /// Bytes of cells put on the first link, failed attempts included.
        public var bytesSent: Int
        /// Why each earlier path failed, in order.
        public var failures: [String]
    }

    public struct NoCircuit: Error, CustomStringConvertible, Sendable, Equatable {
        public var failures: [String]
        public init(failures: [String]) { self.failures = failures }
        public var description: String {
            failures.isEmpty ? "no circuit available" : "no circuit carried the upload: " + failures.joined(separator: "; ")
        }
    }

    let transport: RelayTransport

    public init(transport: @escaping RelayTransport) { self.transport = transport }

    public func upload(_ blob: Data, paths: [[HopDescriptor]]) async throws -> Result {
        var failures: [String] = []
        var bytes = 0
        for path in paths where !path.isEmpty {
            let session: OriginSession
            do { session = try OriginSession(path: path, exit: OriginCircuit.blobStoreExit, transport: transport) } catch {
                failures.append("\(path.map(\.name).joined(separator: "→")): \(error)")
                continue
            }
            do {
                try await session.build()
                let digest = try await session.upload(blob)
                bytes += await session.bytesSent
                await session.destroy()
                return Result(digest: digest, relays: path.map(\.name), bytesSent: bytes, failures: failures)
            } catch {
                bytes += await session.bytesSent
                failures.append("\(path.map(\.name).joined(separator: "→")): \(error)")
            }
        }
        throw NoCircuit(failures: failures)
    }
}
