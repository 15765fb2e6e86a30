import AsyncHTTPClient
import FogCircuits
import Foundation
import NIOCore

/// How an origin or a relay reaches the next relay over HTTP: `POST {address}/onion/v1/{kind}`
/// with `X-Fog-Circuit: <link id>` and the cells as the body (see `RelayEndpoint`). Errors come
/// back as `CircuitError`s, so a relay passes a downstream failure on as what it is.
public final class RelayClient: Sendable {
    let http: HTTPClient
    let timeout: TimeAmount

    public init(timeout: TimeAmount = .seconds(10), connectTimeout: TimeAmount = .seconds(2)) {
        var config = HTTPClient.Configuration()
        config.timeout = .init(connect: connectTimeout)
        http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: config)
        self.timeout = timeout
    }

    deinit { http.shutdownWithoutWaiting() }

    /// One client for the process (connections pooled per relay).
    public static let shared = RelayClient()

    public var transport: RelayTransport {
        { [self] address, link, kind, cells in try await send(address, link, kind, cells) }
    }

    func send(_ address: String, _ link: LinkCircuitID, _ kind: CellBatchKind, _ cells: [Data]) async throws -> [Data] {
        let base = address.hasSuffix("/") ? String(address.dropLast()) : address
        var request = HTTPClientRequest(url: "\(base)/onion/v1/\(kind.rawValue)")
        request.method = .POST
        request.headers.add(name: "X-Fog-Circuit", value: link.description)
        request.headers.add(name: "Content-Type", value: "application/octet-stream")
        var body = ByteBuffer()
        body.reserveCapacity(cells.count * OnionCell.size)
        for c in cells { body.writeBytes(c) }
        request.body = .bytes(body)
        let response: HTTPClientResponse
        do { response = try await http.execute(request, timeout: timeout) } catch {
            throw CircuitError.unreachable("no relay answers at \(address): \(HTTPFogClient.describe(connectionError: error))")
        }
        let reply = try await response.body.collect(upTo: 1024 * OnionCell.size)
        let text = String(buffer: reply).trimmingCharacters(in: .whitespacesAndNewlines)
        switch response.status.code {
        case 200:
            guard reply.readableBytes % OnionCell.size == 0 else {
                throw CircuitError.malformed("the relay at \(address) answered \(reply.readableBytes) bytes, not whole cells")
            }
            let bytes = Data(reply.readableBytesView)
            return stride(from: 0, to: bytes.count, by: OnionCell.size).map { Data(bytes[$0..<($0 + OnionCell.size)]) }
        case 400: throw CircuitError.authenticationFailed("\(address): \(text)")
        case 404: throw CircuitError.unknownCircuit("\(address): \(text)")
        case 503: throw CircuitError.overloaded("\(address): \(text)")
        default: throw CircuitError.unreachable("\(address) answered \(response.status.code): \(text)")
        }
    }
}
