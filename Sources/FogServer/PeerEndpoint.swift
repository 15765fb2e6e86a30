import FogAPI
import FogModel
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore

/// An agent's peer endpoint: its node's regional model cache, served to the region's
/// participants as `GET /v1/models/{digest}` (header `X-Fog-Cache: hit|miss`). A model is a
/// content-addressed blob, checked against its digest by whoever fetches it; the cache serves
/// only models its own node's tasks name (404 otherwise), so it is no open proxy to the server.
///
/// Under hierarchical aggregation it also receives its region's training updates:
/// `PUT /v1/updates/{namespace}/{aggregate task}` with the participant's node, task and samples
/// in `X-Fog-Node`, `X-Fog-Task` and `X-Fog-Samples` and the round's upload token as
/// `Authorization: Bearer …` (the aggregate task holds only its SHA-256). 204 when accepted;
/// the receiver's errors carry their HTTP status (401 wrong token, 404 unknown task, 409 late).
public struct PeerEndpoint: Sendable {
    public typealias Models = @Sendable (_ digest: String) async throws -> (bytes: [UInt8], hit: Bool)
    /// One update as it arrived (the same value the receiving node's aggregator takes).
    public typealias UpdateUpload = RegionalUpdateUpload
    public typealias Updates = @Sendable (UpdateUpload) async throws -> Void
    /// The largest update accepted (the server's own blob limit is of the same order).
    public static let maxUpdateBytes = 256 << 20
    public let host: String
    public let port: Int
    let models: Models
    let updates: Updates?
    let logger: Logger

    public init(host: String, port: Int, logger: Logger, models: @escaping Models, updates: Updates? = nil) {
        self.host = host
        self.port = port
        self.models = models
        self.updates = updates
        self.logger = logger
    }

    /// The Hummingbird application; `onRunning` receives the bound port (useful with port 0).
    public func application(onRunning: @escaping @Sendable (Int) async -> Void = { _ in }) -> some ApplicationProtocol {
        let router = Router()
        let models = self.models
        router.get("/v1/models/:digest") { _, context -> Response in
            let digest = try context.parameters.require("digest")
            do {
                let (bytes, hit) = try await models(digest)
                var headers = HTTPFields()
                headers[.contentType] = "application/octet-stream"
                headers[HTTPField.Name("X-Fog-Cache")!] = hit ? "hit" : "miss"
                return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
            } catch let e as StoreError where e.code == .notFound {
                return Response(status: .notFound, body: .init(byteBuffer: ByteBuffer(string: e.message + "\n")))
            } catch {
                return Response(status: .badGateway, body: .init(byteBuffer: ByteBuffer(string: "\(error)\n")))
            }
        }
        if let updates {
            router.put("/v1/updates/:namespace/:task") { request, context -> Response in
                let namespace = try context.parameters.require("namespace"), task = try context.parameters.require("task")
                func refuse(_ status: HTTPResponse.Status, _ message: String) -> Response {
                    Response(status: status, body: .init(byteBuffer: ByteBuffer(string: message + "\n")))
                }
                let auth = request.headers[.authorization] ?? ""
                guard auth.hasPrefix("Bearer "), !auth.dropFirst(7).isEmpty else { return refuse(.unauthorized, "an upload needs the round's token (Authorization: Bearer …)") }
                guard let node = request.headers[HTTPField.Name("X-Fog-Node")!], let participant = request.headers[HTTPField.Name("X-Fog-Task")!],
                      let samples = request.headers[HTTPField.Name("X-Fog-Samples")!].flatMap({ Int($0) }), samples >= 0 else {
                    return refuse(.badRequest, "an upload names its node (X-Fog-Node), task (X-Fog-Task) and samples (X-Fog-Samples, an integer ≥ 0)")
                }
                let body: ByteBuffer
                do { body = try await request.body.collect(upTo: Self.maxUpdateBytes) } catch {
                    return refuse(.contentTooLarge, "an update is at most \(Self.maxUpdateBytes) bytes")
                }
                let upload = UpdateUpload(namespace: namespace, aggregateTask: task, node: node, participantTask: participant, samples: samples,
                                          token: String(auth.dropFirst(7)), bytes: Array(body.readableBytesView))
                do {
                    try await updates(upload)
                    return Response(status: .noContent)
                } catch let e as any FogAPIError {
                    return refuse(HTTPResponse.Status(code: e.httpStatus), e.message)
                } catch {
                    return refuse(.internalServerError, "\(error)")
                }
            }
        }
        return Application(router: router, configuration: .init(address: .hostname(host, port: port), serverName: "fog-peer"),
                           onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? 0) }, logger: logger)
    }
}
