import Crypto
import Foundation

/// A relay's onion key pair (X25519). The private half never leaves the node; the public
/// half is published base64 in the node's status (`status.relay.onionKeys`).
public struct RelayKeyPair: Sendable {
    public let privateKey: Curve25519.KeyAgreement.PrivateKey

    public init() { privateKey = Curve25519.KeyAgreement.PrivateKey() }

    /// From the 32 raw bytes of a private key (as the agent keeps it in its data directory).
    public init(rawPrivateKey: Data) throws {
        do { privateKey = try Curve25519.KeyAgreement.PrivateKey(rawRepresentation: rawPrivateKey) }
        catch { throw CircuitError.malformed("onion private key: \(error)") }
    }

    public var rawPrivateKey: Data { privateKey.rawRepresentation }
    public var publicKey: Curve25519.KeyAgreement.PublicKey { privateKey.publicKey }
    /// The public key as published: base64 of its 32 raw bytes.
    public var publicKeyBase64: String { privateKey.publicKey.rawRepresentation.base64EncodedString() }

    /// A published public key read back; nil with a reason in `error` when it is not one.
    public static func publicKey(base64: String) throws -> Curve25519.KeyAgreement.PublicKey {
        guard let raw = Data(base64Encoded: base64), raw.count == OnionCell.publicKeySize,
              let key = try? Curve25519.KeyAgreement.PublicKey(rawRepresentation: raw)
        else { throw CircuitError.malformed("onion public key \"\(base64.prefix(60))\" is not base64 of \(OnionCell.publicKeySize) bytes") }
        return key
    }
}

/// The three symmetric keys one hop shares with a circuit's origin, derived from one X25519
/// agreement between the origin's ephemeral key and the relay's onion key:
/// HKDF-SHA256(ikm: shared secret, salt: "fog-onion-v1", info: ephemeral public ‖ relay public),
/// 128 bytes split into the create-layer key, the forward (data) key, the backward (reply) key
/// and the padding key (the keystream a hop appends to the cells it forwards, which the origin
/// can compute and so makes the next hop authenticate).
struct HopKeys: Sendable {
    let create: SymmetricKey
    let forward: SymmetricKey
    let backward: SymmetricKey
    let padding: SymmetricKey

    static let salt = Data("fog-onion-v1".utf8)

    init(sharedSecret: SharedSecret, ephemeral: Curve25519.KeyAgreement.PublicKey, relay: Curve25519.KeyAgreement.PublicKey) {
        let info = ephemeral.rawRepresentation + relay.rawRepresentation
        let okm = sharedSecret.hkdfDerivedSymmetricKey(using: SHA256.self, salt: Self.salt, sharedInfo: info, outputByteCount: 128)
        let bytes = okm.withUnsafeBytes { Data($0) }
        create = SymmetricKey(data: bytes[0..<32])
        forward = SymmetricKey(data: bytes[32..<64])
        backward = SymmetricKey(data: bytes[64..<96])
        padding = SymmetricKey(data: bytes[96..<128])
    }

    /// The origin's side: a fresh ephemeral key agreed with the relay's published key.
    static func origin(relay: Curve25519.KeyAgreement.PublicKey) throws -> (HopKeys, ephemeral: Curve25519.KeyAgreement.PublicKey) {
        let ephemeral = Curve25519.KeyAgreement.PrivateKey()
        let secret = try ephemeral.sharedSecretFromKeyAgreement(with: relay)
        return (HopKeys(sharedSecret: secret, ephemeral: ephemeral.publicKey, relay: relay), ephemeral.publicKey)
    }

    /// The relay's side, with one of its onion keys.
    static func relay(_ key: RelayKeyPair, ephemeral: Curve25519.KeyAgreement.PublicKey) throws -> HopKeys {
        let secret = try key.privateKey.sharedSecretFromKeyAgreement(with: ephemeral)
        return HopKeys(sharedSecret: secret, ephemeral: ephemeral, relay: key.publicKey)
    }
}

/// ChaCha20-Poly1305 with the nonces this construction uses: a per-circuit, per-direction
/// counter (little-endian in the first 8 bytes, the direction in the last), so each key
/// never sees a nonce twice and a cell opened out of turn fails to authenticate.
enum Layer {
    enum Direction: UInt8 { case create = 0, forward = 1, backward = 2 }

    static func nonce(_ counter: UInt64, _ direction: Direction) -> ChaChaPoly.Nonce {
        var bytes = [UInt8](repeating: 0, count: 12)
        var c = counter.littleEndian
        withUnsafeBytes(of: &c) { for i in 0..<8 { bytes[i] = $0[i] } }
        bytes[11] = direction.rawValue
        return try! ChaChaPoly.Nonce(data: bytes)
    }

    /// Ciphertext ‖ tag (16 bytes longer than `plaintext`); `padding` (the bytes that follow
    /// the layer in the cell) is authenticated with it.
    static func seal<D: DataProtocol>(_ plaintext: D, key: SymmetricKey, counter: UInt64, _ direction: Direction, padding: Data = Data()) -> Data {
        let box = try! ChaChaPoly.seal(plaintext, using: key, nonce: nonce(counter, direction), authenticating: padding)
        var out = Data(capacity: box.ciphertext.count + OnionCell.tagSize)
        out.append(box.ciphertext)
        out.append(box.tag)
        return out
    }

    /// The plaintext of ciphertext ‖ tag, or nil when it does not authenticate.
    static func open(_ sealed: Data, key: SymmetricKey, counter: UInt64, _ direction: Direction, padding: Data = Data()) -> Data? {
        guard sealed.count >= OnionCell.tagSize else { return nil }
        let split = sealed.startIndex + sealed.count - OnionCell.tagSize
        guard let box = try? ChaChaPoly.SealedBox(nonce: nonce(counter, direction), ciphertext: sealed[sealed.startIndex..<split],
                                                  tag: sealed[split...])
        else { return nil }
        return try? ChaChaPoly.open(box, using: key, authenticating: padding)
    }

    /// `count` bytes of ChaCha20 keystream (the ciphertext of zeros) under a hop's padding key:
    /// what the hop appends to a cell it forwards, indistinguishable from ciphertext to anyone
    /// without the key, and known in advance to the origin.
    static func padding(_ count: Int, key: SymmetricKey, counter: UInt64, _ direction: Direction) -> Data {
        guard count > 0 else { return Data() }
        return Data(try! ChaChaPoly.seal(Data(count: count), using: key, nonce: nonce(counter, direction)).ciphertext)
    }
}
