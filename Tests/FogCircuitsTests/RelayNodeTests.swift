import Crypto
import FogCircuits
import Foundation
import Testing

/// Relays on the in-process wire the simulated fleet uses: the same RelayNode code as the
/// agent's HTTP endpoint, the same cells.
@Suite struct RelayNodeTests {
    actor BlobSink {
        var blobs: [String: Data] = [:]
        func put(_ d: Data) -> String {
            let digest = "sha256:" + SHA256.hash(data: d).map { String(format: "%02x", $0) }.joined()
            blobs[digest] = d
            return digest
        }
    }

    final class Clock: @unchecked Sendable {
        private let lock = NSLock()
        private var t: Double = 0
        var now: Double { lock.withLock { t } }
        func advance(_ s: Double) { lock.withLock { t += s } }
    }

    struct Net {
        let directory = RelayDirectory()
        let sink = BlobSink()
        let clock = Clock()
        var relays: [(node: RelayNode, descriptor: HopDescriptor)] = []
        var slept: [Double] { sleeps.values }
        let sleeps = Sleeps()

        final class Sleeps: @unchecked Sendable {
            private let lock = NSLock()
            private var v: [Double] = []
            var values: [Double] { lock.withLock { v } }
            func add(_ s: Double) { lock.withLock { v.append(s) } }
        }

        init(relays n: Int, limits: RelayNode.Limits = RelayNode.Limits()) async {
            for i in 0..<n {
                let key = RelayKeyPair(), address = "sim://relay-\(i)"
                let sink = self.sink, clock = self.clock, sleeps = self.sleeps
                let node = RelayNode(name: "relay-\(i)", keys: { [key] }, limits: limits, forward: directory.transport,
                                     exit: { exit, message in
                                         guard exit == OriginCircuit.blobStoreExit else { throw CircuitError.malformed("no exit \(exit)") }
                                         return Data(await sink.put(message).utf8)
                                     },
                                     now: { clock.now }, sleep: { s in sleeps.add(s); clock.advance(s) })
                await directory.register(node, at: address)
                relays.append((node, HopDescriptor(name: "relay-\(i)", address: address, onionKey: key.publicKey)))
            }
        }
    }

    @Test func anUploadTravelsThroughThreeRelaysToTheBlobStore() async throws {
        let net = await Net(relays: 3)
        let session = try OriginSession(path: net.relays.map(\.descriptor), exit: OriginCircuit.blobStoreExit, transport: net.directory.transport)
        try await session.build()
        let blob = Data((0..<300_000).map { UInt8(truncatingIfNeeded: $0 &* 31) })
        let digest = try await session.upload(blob)
        #expect(await net.sink.blobs[digest] == blob)
        let cells = OnionCell.cellCount(messageBytes: blob.count, hops: 3)
        #expect(await session.bytesSent == (cells + 1) * OnionCell.size)
        for (node, _) in net.relays {
            let c = await node.counters
            #expect(c.openCircuits == 1 && c.circuitsBuilt == 1 && c.cellsRefused == 0)
            // Create + its confirmation, the data cells and the one reply cell.
            #expect(c.bytesRelayed == (2 + cells + 1) * OnionCell.size)
        }
    }

    @Test func aRelayRefusesCircuitsBeyondItsLimitAndPacesAFastCircuit() async throws {
        var limits = RelayNode.Limits()
        limits.maxCircuits = 1
        limits.circuitBytesPerSecond = 64 * Double(OnionCell.size)
        let net = await Net(relays: 1, limits: limits)
        let path = net.relays.map(\.descriptor)
        let first = try OriginSession(path: path, exit: OriginCircuit.blobStoreExit, transport: net.directory.transport)
        try await first.build()
        let second = try OriginSession(path: path, exit: OriginCircuit.blobStoreExit, transport: net.directory.transport)
        await #expect(throws: CircuitError.overloaded("relay-0 has 1 circuits open (limit 1)")) { try await second.build() }
        #expect(await net.relays[0].node.counters.createsRefused == 1)
        // 256 cells at 64 cells/s with a one-second allowance: the relay waits 3 s before peeling.
        _ = try await first.upload(Data(count: 256 * OnionCell.fragmentCapacity(hops: 1)))
        #expect(net.slept == [3])
    }

    @Test func aRelayThatStopsAnsweringFailsTheBuildAndTheUpload() async throws {
        let net = await Net(relays: 3)
        let session = try OriginSession(path: net.relays.map(\.descriptor), exit: OriginCircuit.blobStoreExit, transport: net.directory.transport)
        try await session.build()
        await net.directory.remove(address: "sim://relay-2")
        await #expect(throws: CircuitError.unreachable("no relay answers at sim://relay-2")) { try await session.upload(Data("update".utf8)) }
        let again = try OriginSession(path: net.relays.map(\.descriptor), exit: OriginCircuit.blobStoreExit, transport: net.directory.transport)
        await #expect(throws: CircuitError.self) { try await again.build() }
        // The guard and middle released the half-built circuit.
        #expect(await net.relays[0].node.counters.openCircuits == 1)
    }

    @Test func keysRotateWithOverlap() throws {
        var ring = OnionKeyRing(period: 100, overlap: 10)
        var changed = ring.rotate(now: 0)
        #expect(changed && ring.entries.count == 1)
        let first = try #require(ring.current).publicKeyBase64
        changed = ring.rotate(now: 50)
        #expect(!changed)
        changed = ring.rotate(now: 100)
        #expect(changed && ring.entries.count == 2)
        #expect(ring.current!.publicKeyBase64 != first && ring.acceptedKeys.map(\.publicKeyBase64).last == first)
        changed = ring.rotate(now: 105)
        #expect(!changed)
        changed = ring.rotate(now: 110)
        #expect(changed && ring.entries.count == 1)
        let stored = ring.stored()
        let back = try OnionKeyRing(stored: stored, period: 100, overlap: 10)
        #expect(back.acceptedKeys.map(\.publicKeyBase64) == ring.acceptedKeys.map(\.publicKeyBase64))
        #expect(throws: CircuitError.self) { try OnionKeyRing(stored: Data("{}".utf8), period: 1, overlap: 1) }
    }
}

@Suite struct CircuitUploaderTests {
    @Test func anUploadWhoseCircuitFailsMidwayGoesOnAtOnceOnAnotherCircuit() async throws {
        let net = await RelayNodeTests.Net(relays: 5)
        let d = net.relays.map(\.descriptor)
        // Path A loses its middle relay after its first data batch; path B is intact.
        let pathA = [d[0], d[1], d[2]], pathB = [d[3], d[4], d[2]]
        final class Batches: @unchecked Sendable {
            let lock = NSLock()
            var n = 0
            func next() -> Int { lock.withLock { n += 1; return n } }
        }
        let batches = Batches()
        let directory = net.directory
        let transport: RelayTransport = { address, link, kind, cells in
            if address == "sim://relay-0", kind == .data, batches.next() == 2 { await directory.remove(address: "sim://relay-1") }
            return try await directory.transport(address, link, kind, cells)
        }
        let blob = Data((0..<(3 * OriginSession.cellsPerBatch * OnionCell.fragmentCapacity(hops: 3))).map { UInt8(truncatingIfNeeded: $0) })
        let result = try await CircuitUploader(transport: transport).upload(blob, paths: [pathA, pathB])
        #expect(result.relays == ["relay-3", "relay-4", "relay-2"])
        #expect(result.failures.count == 1 && result.failures[0].hasPrefix("relay-0→relay-1→relay-2: unreachable"))
        #expect(await net.sink.blobs[result.digest] == blob)
        // Path A carried one batch and the create before failing; B the whole blob.
        let cells = OnionCell.cellCount(messageBytes: blob.count, hops: 3)
        #expect(result.bytesSent == (1 + OriginSession.cellsPerBatch + 1 + cells) * OnionCell.size)
    }

    @Test func withNoCircuitTheUploadFailsAndNeverGoesDirect() async throws {
        let net = await RelayNodeTests.Net(relays: 3)
        await net.directory.remove(address: "sim://relay-1")
        let uploader = CircuitUploader(transport: net.directory.transport)
        await #expect(throws: CircuitUploader.NoCircuit.self) { try await uploader.upload(Data("u".utf8), paths: [net.relays.map(\.descriptor)]) }
        await #expect(throws: CircuitUploader.NoCircuit(failures: [])) { try await uploader.upload(Data("u".utf8), paths: []) }
        #expect(await net.sink.blobs.isEmpty)
    }
}
