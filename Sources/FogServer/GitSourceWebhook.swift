import Crypto
import FogAPI
import FogModel
import Foundation
import HTTPTypes
import Hummingbird

/// `POST /hooks/gitsource/{namespace}/{name}`: a git host's push webhook. Authenticated by
/// the body's HMAC-SHA256 under the server's webhook secret, in GitHub's header
/// (`X-Hub-Signature-256: sha256=<hex>`) or Gitea's (`X-Gitea-Signature: <hex>`), checked in
/// constant time by swift-crypto; no bearer token (a git host has none). A valid call marks
/// the source with `fog/reconcile-requested-at`, which makes its controller fetch at once
/// (202); a missing or wrong signature is 401, whatever the source.
extension APIServer {
    static let webhookPrefix = "/hooks/gitsource/"

    func gitSourceWebhook(_ request: Request, path: String) async throws -> Response {
        guard request.method == .post else { throw AdmissionError(.badRequest, "webhooks take POST") }
        guard let secret = configuration.webhookSecret, !secret.isEmpty else {
            throw AuthError(.forbidden, "webhooks are not enabled on this server (fogctl server --webhook-secret-file FILE)")
        }
        let parts = path.dropFirst(Self.webhookPrefix.count).split(separator: "/").map(String.init)
        let bytes = try await body(request)
        let given = request.headers[HTTPField.Name("X-Hub-Signature-256")!].map { $0.hasPrefix("sha256=") ? String($0.dropFirst(7)) : "" }
            ?? request.headers[HTTPField.Name("X-Gitea-Signature")!] ?? ""
        guard Self.validSignature(hex: given, body: bytes, secret: secret) else {
            throw AuthError(.unauthorized, "webhook signature missing or invalid (X-Hub-Signature-256: sha256=HMAC-SHA256 of the body under the webhook secret)")
        }
        guard parts.count == 2 else { throw StoreError(.notFound, "expected /hooks/gitsource/{namespace}/{name}") }
        let key = ObjectKey(kind: "GitSource", namespace: parts[0], name: parts[1])
        let at = try await Self.requestReconcile(key, store: store)
        return Self.json(.accepted, ["kind": "Status", "status": "Accepted",
                                     "message": .string("gitsource \(key.namespace)/\(key.name): fetch requested at \(at)")])
    }

    /// Whether `hex` is the HMAC-SHA256 of `body` under `secret` (constant-time comparison).
    public static func validSignature(hex: String, body: [UInt8], secret: [UInt8]) -> Bool {
        guard let mac = Self.bytes(hex: hex), mac.count == SHA256.byteCount else { return false }
        return HMAC<SHA256>.isValidAuthenticationCode(mac, authenticating: body, using: SymmetricKey(data: secret))
    }

    static func bytes(hex: String) -> [UInt8]? {
        let chars = Array(hex.utf8)
        guard chars.count % 2 == 0 else { return nil }
        func nibble(_ c: UInt8) -> UInt8? {
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
            default: return nil
            }
        }
        var out: [UInt8] = []
        out.reserveCapacity(chars.count / 2)
        var i = 0
        while i < chars.count {
            guard let h = nibble(chars[i]), let l = nibble(chars[i + 1]) else { return nil }
            out.append(h << 4 | l)
            i += 2
        }
        return out
    }

    /// Sets `fog/reconcile-requested-at` on the source to now (microseconds, so two requests
    /// differ), retrying on a conflict; returns the value.
    static func requestReconcile(_ key: ObjectKey, store: any Store) async throws -> String {
        for attempt in 0..<5 {
            guard var source = try await store.get(key) else {
                throw StoreError(.notFound, "gitsources \"\(key.name)\" not found in namespace \(key.namespace)")
            }
            let at = Timestamp.formatMicro(Date())
            source.metadata.annotations["fog/reconcile-requested-at"] = at
            do {
                _ = try await store.update(source)
                return at
            } catch let e as StoreError where e.code == .conflict && attempt < 4 {
                continue
            }
        }
        throw StoreError(.conflict, "gitsource \(key.namespace)/\(key.name) kept changing")
    }
}

extension APIServer {
    /// The lowercase hex HMAC-SHA256 of `body` under `secret`, as a git host sends it (for
    /// clients and tests; the server checks with `validSignature`).
    public static func signature(body: [UInt8], secret: [UInt8]) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: body, using: SymmetricKey(data: secret))
        return mac.map { String(format: "%02x", $0) }.joined()
    }
}
