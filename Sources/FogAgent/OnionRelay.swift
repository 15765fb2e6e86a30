import FogCircuits
import FogClient
import FogModel
import FogRuntime
import Foundation

/// A node's onion relay, as both the real agent (`fogctl agent --roles relay --relay-listen`)
/// and the simulated fleet run it: its key ring (rotated with overlap; the real agent keeps it
/// in its key directory, mode 0600), the `RelayNode` that peels and forwards, the blob-store
/// exit, and the `status.relay` its heartbeats publish.
public final class OnionRelay: @unchecked Sendable {
    public struct Options: Sendable {
        /// Seconds between key rotations, and how long the previous key is still accepted.
        public var keyPeriod: Double = 24 * 3600
        public var keyOverlap: Double = 3600
        public var limits = RelayNode.Limits()
        /// Where the key ring is kept (`onion-keys.json`, mode 0600); nil: in memory only
        /// (the simulated fleet).
        public var keyDirectory: String?
        public init() {}
    }

    public let name: String
    public let address: String
    public let options: Options
    let clock: any FogClock
    /// The key ring, shared with the `RelayNode` (which reads the accepted keys at each create).
    private let keys: KeyRing
    public private(set) var node: RelayNode!

    final class KeyRing: @unchecked Sendable {
        let lock = NSLock()
        var ring: OnionKeyRing
        init(_ ring: OnionKeyRing) { self.ring = ring }
        var accepted: [RelayKeyPair] { lock.withLock { ring.acceptedKeys } }
    }

    /// - Parameters:
    ///   - forward: how the relay reaches the next hop.
    ///   - client: the exit stores blobs through it (the agent's own credentials).
    public init(name: String, address: String, client: any FogClient, clock: any FogClock, forward: @escaping RelayTransport,
                options: Options = Options()) throws {
        self.name = name
        self.address = address
        self.options = options
        self.clock = clock
        var ring = OnionKeyRing(period: options.keyPeriod, overlap: options.keyOverlap)
        if let dir = options.keyDirectory, let data = FileManager.default.contents(atPath: Self.keyFile(dir)) {
            ring = try OnionKeyRing(stored: data, period: options.keyPeriod, overlap: options.keyOverlap)
        }
        let keys = KeyRing(ring)
        self.keys = keys
        node = RelayNode(name: name, keys: { keys.accepted }, limits: options.limits, forward: forward,
                         exit: { exit, message in
                             guard exit == OriginCircuit.blobStoreExit else { throw CircuitError.malformed("this relay exits only to \(OriginCircuit.blobStoreExit), not \(exit)") }
                             return Data(try await client.putBlob(Array(message)).utf8)
                         },
                         now: { clock.now().timeIntervalSince1970 },
                         sleep: { seconds in try await clock.sleep(until: clock.now().addingTimeInterval(seconds)) })
        _ = try rotateKeys()
    }

    static func keyFile(_ dir: String) -> String { dir + "/onion-keys.json" }

    var acceptedKeys: [RelayKeyPair] { keys.accepted }

    /// Rotates the key ring when due (and stores it); true when it changed.
    @discardableResult
    public func rotateKeys() throws -> Bool {
        let now = clock.now().timeIntervalSince1970
        let (changed, stored) = keys.lock.withLock { () -> (Bool, Data?) in
            let changed = keys.ring.rotate(now: now)
            return (changed, changed && options.keyDirectory != nil ? keys.ring.stored() : nil)
        }
        if let stored, let dir = options.keyDirectory { try Self.writePrivate(stored, to: Self.keyFile(dir), directory: dir) }
        return changed
    }

    /// Writes `data` readable by its owner only (directory 0700, file 0600), replacing the
    /// file in one rename so a crash never leaves half a key.
    static func writePrivate(_ data: Data, to path: String, directory: String) throws {
        let fm = FileManager.default
        try fm.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let tmp = path + ".tmp"
        fm.removeItem(atPathIfExists: tmp)
        guard fm.createFile(atPath: tmp, contents: nil, attributes: [.posixPermissions: 0o600]) else {
            throw CircuitError.malformed("cannot write \(tmp)")
        }
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: tmp))
        try handle.write(contentsOf: data)
        try handle.synchronize()
        try handle.close()
        guard rename(tmp, path) == 0 else { throw CircuitError.malformed("cannot replace \(path): errno \(errno)") }
    }

    /// The public keys, newest first, as status publishes them.
    public var publicKeys: [String] { keys.lock.withLock { keys.ring.entries.map(\.key.publicKeyBase64) } }

    /// `status.relay`: address, public keys (newest first), counters, limits.
    public func status() async -> JSONValue {
        let counters = await node.counters
        let entries = keys.lock.withLock { keys.ring.entries }
        let period = options.keyPeriod
        let published: [JSONValue] = entries.map { e in
            ["publicKey": .string(e.key.publicKeyBase64), "created": .string(Timestamp.format(Date(timeIntervalSince1970: e.created))),
             "rotates": .string(Timestamp.format(Date(timeIntervalSince1970: e.created + period)))]
        }
        return ["address": .string(address), "onionKeys": .array(published),
                "openCircuits": .int(Int64(counters.openCircuits)), "circuitsBuilt": .int(Int64(counters.circuitsBuilt)),
                "bytesRelayed": .int(Int64(counters.bytesRelayed)), "cellsRefused": .int(Int64(counters.cellsRefused)),
                "createsRefused": .int(Int64(counters.createsRefused)),
                "limits": ["maxCircuits": .int(Int64(options.limits.maxCircuits)), "circuitBytesPerSecond": .double(options.limits.circuitBytesPerSecond)]]
    }
}

extension FileManager {
    func removeItem(atPathIfExists path: String) {
        if fileExists(atPath: path) { try? removeItem(atPath: path) }
    }
}
