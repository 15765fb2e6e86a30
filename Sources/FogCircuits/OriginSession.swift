import Crypto
import Foundation

extension OriginCircuit {
    /// What the exit answers a create with (through every hop's backward layer): the origin
    /// knows the whole circuit is up when it reads this.
    public static let createdMessage = Data("fog-onion-created".utf8)
    /// The exit that stores a message as a content-addressed blob and answers its digest.
    public static let blobStoreExit = "blob-store"
}

/// An origin's live circuit: builds it through a transport, then sends messages over it one
/// at a time (a circuit carries one batch at a time, so the hops see its cells in order).
public actor OriginSession {
    /// Cells per request on the first link (1 MiB of cells).
    public static let cellsPerBatch = 256

    private var circuit: OriginCircuit
    private let transport: RelayTransport
    public private(set) var built = false
    /// Bytes of cells this origin put on its first link (data and create, not replies).
    public private(set) var bytesSent = 0

    public init(path: [HopDescriptor], exit: String, transport: @escaping RelayTransport) throws {
        self.init(circuit: try OriginCircuit(path: path, exit: exit), transport: transport)
    }

    public nonisolated var path: [HopDescriptor] { circuitPath }
    private nonisolated let circuitPath: [HopDescriptor]

    public init(circuit: OriginCircuit, transport: @escaping RelayTransport) {
        self.circuit = circuit
        self.transport = transport
        circuitPath = circuit.path
    }

    /// Sends the create cell through every hop and checks the exit's answer.
    public func build() async throws {
        let replies = try await transport(circuit.path[0].address, circuit.firstLink, .create, [circuit.createCell])
        bytesSent += OnionCell.size
        guard try circuit.unwrap(replyCells: replies) == OriginCircuit.createdMessage else {
            throw CircuitError.malformed("the exit did not confirm the circuit")
        }
        built = true
    }

    /// Closes the circuit at every hop (best effort: a hop that is gone closes it when idle).
    public func destroy() async {
        _ = try? await transport(circuit.path[0].address, circuit.firstLink, .destroy, [])
        built = false
    }

    /// Sends `message` to the exit and returns its answer.
    public func send(_ message: Data) async throws -> Data {
        guard built else { throw CircuitError.malformed("circuit not built") }
        let cells = circuit.wrap(message)
        var replies: [Data] = []
        var start = 0
        while start < cells.count {
            let end = min(start + Self.cellsPerBatch, cells.count)
            replies = try await transport(circuit.path[0].address, circuit.firstLink, .data, Array(cells[start..<end]))
            bytesSent += (end - start) * OnionCell.size
            start = end
        }
        return try circuit.unwrap(replyCells: replies)
    }

    /// Uploads `blob` through the circuit to the blob-store exit; returns its digest, checked
    /// against the bytes sent (the exit cannot substitute another blob unnoticed).
    public func upload(_ blob: Data) async throws -> String {
        let answer = try await send(blob)
        let digest = String(decoding: answer, as: UTF8.self)
        let expected = "sha256:" + SHA256.hash(data: blob).map { String(format: "%02x", $0) }.joined()
        guard digest == expected else { throw CircuitError.malformed("the exit answered digest \(digest.prefix(80)), expected \(expected)") }
        return digest
    }
}
