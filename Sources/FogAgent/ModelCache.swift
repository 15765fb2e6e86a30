import FogAPI
import FogClient
import FogModel
import FogRuntime
import FogStore
import Foundation

/// A regional model cache (seed 003: a fog node as its region's model cache): an aggregator
/// node keeps the global models it has fetched — content-addressed, the most recent few — and
/// serves them to its region's participants, so each model crosses from the server to the
/// region once per round instead of once per participant. A miss is fetched from the server
/// once, however many participants ask at the same moment (pull-through).
public final class ModelCache: @unchecked Sendable {
    public struct Counters: Sendable, Equatable {
        /// Requests answered from memory (or by joining a fetch another request started).
        public var hits = 0
        /// Requests that made the cache fetch from the server.
        public var misses = 0
        public var bytesServed = 0
        public var bytesFetched = 0

        public var json: JSONValue {
            ["hits": .int(Int64(hits)), "misses": .int(Int64(misses)), "bytesServed": .int(Int64(bytesServed)), "bytesFetched": .int(Int64(bytesFetched))]
        }
    }

    let upstream: any FogClient
    /// Models kept (a round needs one; a few cover a participant a round behind).
    public let capacity: Int
    private let lock = NSLock()
    private var entries: [String: [UInt8]] = [:]
    private var order: [String] = []
    private var fetching: [String: Task<[UInt8], Error>] = [:]
    private var _counters = Counters()
    /// The models it may serve: those its own node's tasks name. It fetches with its node's
    /// credentials, so it must not fetch just any blob a caller names (a confused deputy).
    private var allowed: [String] = []
    /// Notified when a request has been served (for tests and status).
    public let served = AsyncSignal()

    public init(upstream: any FogClient, capacity: Int = 4) {
        self.upstream = upstream
        self.capacity = max(1, capacity)
    }

    public var counters: Counters { lock.withLock { _counters } }

    /// Lets the cache serve `digest` (a global model one of its node's own tasks names).
    public func allow(_ digest: String) {
        let waiting = lock.withLock { () -> [AsyncSignal] in
            guard !allowed.contains(digest) else { return [] }
            allowed.append(digest)
            if allowed.count > capacity * 4 { allowed.removeFirst() }
            return Array(watchers.values)
        }
        for w in waiting { w.notify() }
    }

    /// How long a request for a model the cache does not know yet waits for its node to learn
    /// of it: a round's tasks reach the participants and the aggregator at about the same
    /// moment, and a participant may ask first.
    public var registrationWait: Duration = .seconds(2)
    private var watchers: [ObjectIdentifier: AsyncSignal] = [:]

    private func isAllowed(_ digest: String) -> Bool { lock.withLock { allowed.contains(digest) } }

    /// Whether `digest` is (or becomes, within `registrationWait`) a model the cache may serve.
    private func awaitAllowed(_ digest: String) async -> Bool {
        let signal = AsyncSignal()
        let id = ObjectIdentifier(signal)
        lock.withLock { watchers[id] = signal }
        defer { lock.withLock { watchers[id] = nil } }
        let clock = ContinuousClock()
        let deadline = clock.now + registrationWait
        while !isAllowed(digest) {
            let left = deadline - clock.now
            if left <= .zero || Task.isCancelled { return false }
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await signal.wait() }
                group.addTask { try? await Task.sleep(for: left) }
                await group.next()
                group.cancelAll()
            }
        }
        return true
    }

    /// The blob `digest`, and whether the cache had it (or another request was already fetching it).
    public func get(_ digest: String) async throws -> (bytes: [UInt8], hit: Bool) {
        guard await awaitAllowed(digest) else {
            throw StoreError(.notFound, "\(digest) is not a model this node's tasks use")
        }
        let (cached, task, started) = lock.withLock { () -> ([UInt8]?, Task<[UInt8], Error>?, Bool) in
            if let b = entries[digest] { return (b, nil, false) }
            if let t = fetching[digest] { return (nil, t, false) }
            let upstream = self.upstream
            let t = Task { try await upstream.getBlob(digest) }
            fetching[digest] = t
            return (nil, t, true)
        }
        if let cached {
            count(hit: true, bytes: cached.count, fetched: 0)
            return (cached, true)
        }
        let bytes: [UInt8]
        do { bytes = try await task!.value } catch {
            if started { lock.withLock { fetching[digest] = nil } }
            throw error
        }
        if started {
            // Content-addressed: what the server sent must be what the digest names.
            guard BlobStore.digest(of: bytes) == digest else {
                lock.withLock { fetching[digest] = nil }
                throw StoreError(.storage, "the server sent a blob whose digest is not \(digest)")
            }
            lock.withLock {
                fetching[digest] = nil
                entries[digest] = bytes
                order.append(digest)
                while order.count > capacity { entries[order.removeFirst()] = nil }
            }
        }
        count(hit: !started, bytes: bytes.count, fetched: started ? bytes.count : 0)
        return (bytes, !started)
    }

    private func count(hit: Bool, bytes: Int, fetched: Int) {
        lock.withLock {
            if hit { _counters.hits += 1 } else { _counters.misses += 1 }
            _counters.bytesServed += bytes
            _counters.bytesFetched += fetched
        }
        served.notify()
    }
}

/// How a participant reaches another node's model cache: over HTTP for real agents
/// (`fogctl agent`), in memory for the simulated fleet. Returns the bytes and whether the
/// cache had them.
public typealias PeerModelFetch = @Sendable (_ address: String, _ digest: String) async throws -> (bytes: [UInt8], hit: Bool)
