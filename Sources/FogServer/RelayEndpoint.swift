import FogCircuits
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore

/// An agent's onion relay endpoint (`fogctl agent --roles relay --relay-listen`):
/// `POST /onion/v1/{create|data|destroy}` with the link's circuit id in `X-Fog-Circuit` and the
/// cells (each `OnionCell.size` bytes) as the body; the answer is the reply cells. The relay
/// sees the previous hop's connection and the cells, nothing else.
///
/// Errors: 400 a cell refused (changed, replayed, out of order, malformed), 404 no such
/// circuit on this link, 502 the next hop did not answer, 503 over the relay's limits.
public struct RelayEndpoint: Sendable {
    public static let circuitHeader = "X-Fog-Circuit"
    /// Most cells one request may carry (origins send `OriginSession.cellsPerBatch`).
    public static let maxCellsPerRequest = 512
    public let host: String
    public let port: Int
    public typealias Receive = @Sendable (_ link: LinkCircuitID, _ kind: CellBatchKind, _ cells: [Data]) async throws -> [Data]
    let receive: Receive
    let logger: Logger

    /// `receive`: the relay's `RelayNode.receive` (a closure, so the endpoint can be bound
    /// before the relay, whose address is the bound port, exists).
    public init(host: String, port: Int, logger: Logger, receive: @escaping Receive) {
        self.host = host
        self.port = port
        self.receive = receive
        self.logger = logger
    }

    /// HTTP status and text for a relay error (the client maps them back).
    static func response(for error: Error) -> Response {
        let status: HTTPResponse.Status
        switch error as? CircuitError {
        case .authenticationFailed?, .malformed?: status = .badRequest
        case .unknownCircuit?: status = .notFound
        case .overloaded?: status = .serviceUnavailable
        case .unreachable?, nil: status = .badGateway
        }
        return Response(status: status, body: .init(byteBuffer: ByteBuffer(string: "\(error)\n")))
    }

    public func application(onRunning: @escaping @Sendable (Int) async -> Void = { _ in }) -> some ApplicationProtocol {
        let router = Router()
        let receive = self.receive
        router.post("/onion/v1/:kind") { request, context -> Response in
            guard let kind = CellBatchKind(rawValue: try context.parameters.require("kind")) else {
                return Response(status: .notFound, body: .init(byteBuffer: ByteBuffer(string: "unknown cell batch kind\n")))
            }
            do {
                guard let hex = request.headers[HTTPField.Name(Self.circuitHeader)!] else {
                    throw CircuitError.malformed("missing \(Self.circuitHeader)")
                }
                let link = try LinkCircuitID(hex: hex)
                let body = try await request.body.collect(upTo: Self.maxCellsPerRequest * OnionCell.size)
                guard body.readableBytes % OnionCell.size == 0 else {
                    throw CircuitError.malformed("body of \(body.readableBytes) bytes is not whole cells of \(OnionCell.size)")
                }
                let bytes = Data(body.readableBytesView)
                let cells = stride(from: 0, to: bytes.count, by: OnionCell.size).map { bytes[$0..<($0 + OnionCell.size)] }.map { Data($0) }
                let replies = try await receive(link, kind, cells)
                var out = ByteBuffer()
                out.reserveCapacity(replies.count * OnionCell.size)
                for r in replies { out.writeBytes(r) }
                var headers = HTTPFields()
                headers[.contentType] = "application/octet-stream"
                return Response(status: .ok, headers: headers, body: .init(byteBuffer: out))
            } catch {
                return Self.response(for: error)
            }
        }
        return Application(router: router, configuration: .init(address: .hostname(host, port: port), serverName: "fog-relay"),
                           onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? 0) }, logger: logger)
    }
}
