import AsyncHTTPClient
import FogAPI
import Foundation
import NIOCore

/// How an agent reaches another node's peer endpoint (an aggregator's regional model cache):
/// `GET {address}/v1/models/{digest}`. The caller checks the bytes against the digest.
public final class PeerClient: Sendable {
    let http: HTTPClient
    let timeout: TimeAmount

    public init(timeout: TimeAmount = .seconds(10)) {
        var config = HTTPClient.Configuration()
        config.timeout = .init(connect: .seconds(1))
        http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: config)
        self.timeout = timeout
    }

    deinit { http.shutdownWithoutWaiting() }

    /// The model `digest` from the cache at `address`, and whether the cache had it.
    public func model(at address: String, digest: String) async throws -> (bytes: [UInt8], hit: Bool) {
        let base = address.hasSuffix("/") ? String(address.dropLast()) : address
        let response: HTTPClientResponse
        do { response = try await http.execute(HTTPClientRequest(url: "\(base)/v1/models/\(digest)"), timeout: timeout) } catch {
            throw TransportError(.unavailable, "cannot reach the peer at \(address): \(HTTPFogClient.describe(connectionError: error))")
        }
        let body = try await response.body.collect(upTo: 1 << 30)
        guard response.status == .ok else {
            throw TransportError(.unavailable, "the peer at \(address) answered \(response.status.code): \(String(buffer: body).prefix(200))")
        }
        return (Array(body.readableBytesView), response.headers.first(name: "X-Fog-Cache") == "hit")
    }

    /// Uploads a training update to the aggregator at `address` for its aggregate task
    /// `namespace/task` (`PUT {address}/v1/updates/{namespace}/{task}`). A refusal throws the
    /// error its status stands for (401, 404, 409…); an unreachable peer a `TransportError`.
    public func upload(to address: String, namespace: String, task: String, node: String, participantTask: String, samples: Int,
                       token: String, bytes: [UInt8]) async throws {
        let base = address.hasSuffix("/") ? String(address.dropLast()) : address
        var request = HTTPClientRequest(url: "\(base)/v1/updates/\(namespace)/\(task)")
        request.method = .PUT
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        request.headers.add(name: "X-Fog-Node", value: node)
        request.headers.add(name: "X-Fog-Task", value: participantTask)
        request.headers.add(name: "X-Fog-Samples", value: String(samples))
        request.headers.add(name: "Content-Type", value: "application/octet-stream")
        request.body = .bytes(ByteBuffer(bytes: bytes))
        let response: HTTPClientResponse
        do { response = try await http.execute(request, timeout: timeout) } catch {
            throw TransportError(.unavailable, "cannot reach the aggregator at \(address): \(HTTPFogClient.describe(connectionError: error))")
        }
        let body = try await response.body.collect(upTo: 1 << 16)
        guard response.status == .noContent || response.status == .ok else {
            throw fogAPIError(reason: nil, httpStatus: Int(response.status.code),
                              message: "the aggregator at \(address) answered \(response.status.code): \(String(buffer: body).prefix(200))")
        }
    }
}
