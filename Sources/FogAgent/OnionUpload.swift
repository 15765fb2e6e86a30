import FogAPI
import FogCircuits
import FogClient
import FogModel
import Foundation

/// How a node uploads an update whose task asks for onion routing (`spec.onion`): it reads the
/// named CircuitPool's status (the paths and each relay's address and onion key), builds its own
/// circuit over one path with fresh ephemeral keys, and sends the blob to the blob-store exit;
/// a circuit that fails is replaced at once by the pool's next one. No direct fallback.
public enum OnionUpload {
    public typealias Upload = @Sendable (_ route: TrainingTaskSpec.OnionRoute, _ blob: [UInt8]) async throws -> CircuitUploader.Result

    public static func uploader(client: any FogClient, transport: @escaping RelayTransport) -> Upload {
        { route, blob in
            let parts = route.pool.split(separator: "/", maxSplits: 1).map(String.init)
            guard parts.count == 2, let pool = try await client.get(ObjectKey(kind: "CircuitPool", namespace: parts[0], name: parts[1])) else {
                throw CircuitUploader.NoCircuit(failures: ["circuitpool \(route.pool) not found"])
            }
            var paths = Self.paths(pool).filter { $0.count >= route.hops }
            guard !paths.isEmpty else { throw CircuitUploader.NoCircuit(failures: ["circuitpool \(route.pool) lists no circuit of \(route.hops)+ hops"]) }
            // Spread the pool's uploads over its circuits: start at one chosen by the blob's bytes.
            let start = Int(blob.prefix(64).reduce(UInt64(blob.count)) { ($0 &* 31) &+ UInt64($1) } % UInt64(paths.count))
            paths = Array(paths[start...] + paths[..<start])
            return try await CircuitUploader(transport: transport).upload(Data(blob), paths: paths)
        }
    }

    /// The pool's circuits as paths of hops (from `status.circuits[].hops`).
    static func paths(_ pool: Resource) -> [[HopDescriptor]] {
        (pool.status?["circuits"]?.arrayValue ?? []).compactMap { c in
            let hops = (c["hops"]?.arrayValue ?? []).compactMap { h -> HopDescriptor? in
                guard let node = h["node"]?.stringValue, let address = h["address"]?.stringValue,
                      let key = h["publicKey"]?.stringValue.flatMap({ try? RelayKeyPair.publicKey(base64: $0) }) else { return nil }
                return HopDescriptor(name: node, address: address, onionKey: key)
            }
            return hops.count == (c["relays"]?.arrayValue?.count ?? -1) ? hops : nil
        }
    }
}
