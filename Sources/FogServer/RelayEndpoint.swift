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
    /// Several relays behind one endpoint (the simulated fleet's): `/relays/NODE/onion/v1/KIND`.
    public typealias ReceiveFor = @Sendable (_ relay: String, _ link: LinkCircuitID, _ kind: CellBatchKind, _ cells: [Data]) async throws -> [Data]
    let receiveFor: ReceiveFor?
    let logger: Logger

    /// `receive`: the relay's `RelayNode.receive` (a closure, so the endpoint can be bound
    /// before the relay, whose address is the bound port, exists).
    public init(host: String, port: Int, logger: Logger, receive: @escaping Receive) {
        self.host = host
        self.port = port
        self.receive = receive
        receiveFor = nil
        self.logger = logger
    }

    /// One endpoint for many relays, each at `/relays/NODE/onion/v1/KIND` (the simulated
    /// fleet's, so that controllers and agents in other processes reach them over HTTP).
    public init(host: String, port: Int, logger: Logger, receiveFor: @escaping ReceiveFor) {
        self.host = host
        self.port = port
        self.receive = { _, _, _ in throw CircuitError.unknownCircuit("this endpoint serves /relays/NODE/onion/v1/KIND") }
        self.receiveFor = receiveFor
        self.logger = logger
    }

    /// Reads a request's link and cells, hands them to `handle`, answers the reply cells.
    static func serve(_ request: Request, kind: String, _ handle: @Sendable (LinkCircuitID, CellBatchKind, [Data]) async throws -> [Data]) async -> Response {
        guard let kind = CellBatchKind(rawValue: kind) else {
            return Response(status: .notFound, body: .init(byteBuffer: ByteBuffer(string: "unknown cell batch kind\n")))
        }
        do {
            guard let hex = request.headers[HTTPField.Name(circuitHeader)!] else { throw CircuitError.malformed("missing \(circuitHeader)") }
            let link = try LinkCircuitID(hex: hex)
            var request = request
            let body = try await request.collectBody(upTo: maxCellsPerRequest * OnionCell.size)
            guard body.readableBytes % OnionCell.size == 0 else {
                throw CircuitError.malformed("body of \(body.readableBytes) bytes is not whole cells of \(OnionCell.size)")
            }
            let bytes = Data(body.readableBytesView)
            let cells = stride(from: 0, to: bytes.count, by: OnionCell.size).map { Data(bytes[$0..<($0 + OnionCell.size)]) }
            let replies = try await handle(link, kind, cells)
            var out = ByteBuffer()
            out.reserveCapacity(replies.count * OnionCell.size)
            for r in replies { out.writeBytes(r) }
            var headers = HTTPFields()
            headers[.contentType] = "application/octet-stream"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: out))
        } catch {
            return response(for: error)
        }
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
        let receiveFor = self.receiveFor
        router.post("/onion/v1/:kind") { request, context -> Response in
            await Self.serve(request, kind: try context.parameters.require("kind"), receive)
        }
        if let receiveFor {
            router.post("/relays/:node/onion/v1/:kind") { request, context -> Response in
                let node = try context.parameters.require("node")
                return await Self.serve(request, kind: try context.parameters.require("kind")) { link, kind, cells in
                    try await receiveFor(node, link, kind, cells)
                }
            }
        }
        return Application(router: router, configuration: .init(address: .hostname(host, port: port), serverName: "fog-relay"),
                           onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? 0) }, logger: logger)
    }
}
