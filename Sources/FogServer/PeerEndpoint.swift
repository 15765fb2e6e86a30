import FogAPI
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore

/// An agent's peer endpoint: its node's regional model cache, served to the region's
/// participants as `GET /v1/models/{digest}` (header `X-Fog-Cache: hit|miss`). A model is a
/// content-addressed blob, checked against its digest by whoever fetches it; the cache serves
/// only models its own node's tasks name (404 otherwise), so it is no open proxy to the server.
public struct PeerEndpoint: Sendable {
    public typealias Models = @Sendable (_ digest: String) async throws -> (bytes: [UInt8], hit: Bool)
    public let host: String
    public let port: Int
    let models: Models
    let logger: Logger

    public init(host: String, port: Int, logger: Logger, models: @escaping Models) {
        self.host = host
        self.port = port
        self.models = models
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
        return Application(router: router, configuration: .init(address: .hostname(host, port: port), serverName: "fog-peer"),
                           onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? 0) }, logger: logger)
    }
}
