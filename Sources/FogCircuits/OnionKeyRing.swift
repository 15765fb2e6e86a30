import Foundation

/// A relay's onion keys over time: a current key, replaced every `period`, and the previous
/// one, still accepted for `overlap` after its replacement so that circuits built from the
/// status an origin read a moment ago still open. Pure: the caller gives the time and keeps
/// the bytes (the real agent in its data directory, mode 0600).
public struct OnionKeyRing: Sendable {
    public struct Entry: Sendable {
        public let key: RelayKeyPair
        /// When it was generated (seconds since 1970).
        public let created: Double
    }

    public var period: Double
    public var overlap: Double
    /// Newest first; at most two (the current and the one in overlap).
    public private(set) var entries: [Entry]

    public init(period: Double = 24 * 3600, overlap: Double = 3600, entries: [Entry] = []) {
        self.period = period
        self.overlap = overlap
        self.entries = entries
    }

    /// Generates a key when there is none or the current one is `period` old; drops the
    /// previous one once its overlap has passed. True when the ring changed (publish and store).
    public mutating func rotate(now: Double) -> Bool {
        var changed = false
        if let current = entries.first, now - current.created < period {
        } else {
            entries.insert(Entry(key: RelayKeyPair(), created: now), at: 0)
            changed = true
        }
        if entries.count > 1, now - entries[0].created >= overlap {
            entries.removeSubrange(1...)
            changed = true
        }
        if entries.count > 2 {
            entries.removeSubrange(2...)
            changed = true
        }
        return changed
    }

    /// The keys a create cell may have been built with, current first.
    public var acceptedKeys: [RelayKeyPair] { entries.map(\.key) }

    /// The key origins should use now.
    public var current: RelayKeyPair? { entries.first?.key }

    /// When the current key is replaced next.
    public var nextRotation: Double? { entries.first.map { $0.created + period } }

    /// The stored form: private keys, base64, with their creation times (the caller writes it
    /// with mode 0600; it never leaves the node).
    public func stored() -> Data {
        let list = entries.map { ["privateKey": $0.key.rawPrivateKey.base64EncodedString(), "created": String($0.created)] }
        return try! JSONSerialization.data(withJSONObject: ["onionKeys": list], options: [.sortedKeys])
    }

    public init(stored data: Data, period: Double, overlap: Double) throws {
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any], let list = object["onionKeys"] as? [[String: String]] else {
            throw CircuitError.malformed("onion key file is not {\"onionKeys\": [...]}")
        }
        var entries: [Entry] = []
        for item in list {
            guard let raw = item["privateKey"].flatMap({ Data(base64Encoded: $0) }), let created = item["created"].flatMap(Double.init) else {
                throw CircuitError.malformed("onion key file entry without privateKey (base64) and created")
            }
            entries.append(Entry(key: try RelayKeyPair(rawPrivateKey: raw), created: created))
        }
        self.init(period: period, overlap: overlap, entries: entries)
    }
}
