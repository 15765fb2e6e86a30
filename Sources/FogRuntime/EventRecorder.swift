import FogAPI
import FogClient
import FogModel
import FogStore
import Foundation

/// Records Events as objects, deduplicated like Kubernetes: the same reason and
/// message about the same object bump `count` and `lastTimestamp`.
public struct EventRecorder: Sendable {
    public enum EventType: String, Sendable { case normal = "Normal", warning = "Warning" }

    let client: any FogClient
    let clock: any FogClock
    let component: String
    /// Events this recorder has created about each object since it last counted them in the store.
    let created = CreatedEvents()

    public init(client: any FogClient, clock: any FogClock, component: String) {
        self.client = client
        self.clock = clock
        self.component = component
    }

    public func record(_ object: Resource, _ type: EventType, reason: String, message: String) async {
        let namespace = object.namespace.isEmpty ? "default" : object.namespace
        let name = Self.name(for: object, reason: reason, message: message)
        let at = clock.now()
        let now = Timestamp.format(at), precise = Timestamp.formatMicro(at)
        for _ in 0..<3 {
            do {
                let key = ObjectKey(kind: "Event", namespace: namespace, name: name)
                if var existing = try await client.get(key) {
                    let count = existing.content["count"]?.intValue ?? 1
                    existing.content["count"] = .int(count + 1)
                    existing.content["lastTimestamp"] = .string(now)
                    existing.content["eventTime"] = .string(precise)
                    _ = try await client.update(existing)
                } else {
                    var meta = ObjectMeta(name: name, namespace: namespace)
                    if !object.metadata.uid.isEmpty {
                        meta.ownerReferences = [OwnerReference(kind: object.kind, name: object.name, uid: object.metadata.uid)]
                        meta.labels[Self.involvedLabel] = object.metadata.uid
                    }
                    var involved: [String: JSONValue] = ["apiVersion": .string(object.apiVersion), "kind": .string(object.kind),
                                                         "name": .string(object.name)]
                    if !object.namespace.isEmpty { involved["namespace"] = .string(object.namespace) }
                    if !object.metadata.uid.isEmpty { involved["uid"] = .string(object.metadata.uid) }
                    _ = try await client.create(Resource(kind: "Event", metadata: meta, content: [
                        "involvedObject": .object(involved), "reason": .string(reason), "message": .string(message),
                        "type": .string(type.rawValue), "count": 1, "firstTimestamp": .string(now), "lastTimestamp": .string(now),
                        "eventTime": .string(precise),
                        "source": ["component": .string(component)],
                    ]))
                    let uid = object.metadata.uid
                    if !uid.isEmpty, created.add(uid) > ObjectLimits.maxEventsPerObject {
                        await trim(about: uid, namespace: namespace)
                        created.reset(uid)
                    }
                }
                return
            } catch let e as StoreError where e.code == .conflict || e.code == .alreadyExists {
                continue  // someone recorded the same event meanwhile; count again
            } catch {
                return  // events are best effort
            }
        }
    }

    /// Labels an event with the uid of the object it is about, so its events can be counted.
    public static let involvedLabel = "fog/involved-uid"

    /// Keeps at most `ObjectLimits.maxEventsPerObject` events about one object: the ones seen
    /// longest ago go (a controller that reports a new message every time cannot fill the store).
    /// Counting them is a list of the namespace's events, so it runs only once this recorder has
    /// created more than the limit about the object since it last counted (as Kubernetes' event
    /// correlator limits in memory): a list per event made recording O(events in the namespace),
    /// quadratic over a fleet of flapping nodes. Events another process (or this one before a
    /// restart) created are counted at the next trim, so an object holds at most twice the limit.
    func trim(about uid: String, namespace: String) async {
        guard let events = try? await client.list(kind: "Event", namespace: namespace,
                                                   selector: LabelSelector([.equals(Self.involvedLabel, uid)])).items,
              events.count > ObjectLimits.maxEventsPerObject else { return }
        // Least recently seen first (the revision orders writes within one timestamp).
        let oldest = events.sorted {
            ($0.content["lastTimestamp"]?.stringValue ?? "", $0.metadata.resourceVersion) < ($1.content["lastTimestamp"]?.stringValue ?? "", $1.metadata.resourceVersion)
        }
        for e in oldest.prefix(events.count - ObjectLimits.maxEventsPerObject) { _ = try? await client.delete(e.key) }
    }

    /// `<object>-<hash>`: stable for the same object, reason and message, and a valid name.
    static func name(for object: Resource, reason: String, message: String) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in "\(object.kind)/\(object.namespace)/\(object.name)/\(reason)/\(message)".utf8 {
            hash = (hash ^ UInt64(b)) &* 0x100_0000_01b3
        }
        let suffix = String(hash, radix: 16)
        let prefix = String(object.name.prefix(63 - suffix.count - 1))
        let trimmed = prefix.hasSuffix("-") ? String(prefix.dropLast()) : prefix
        return trimmed + "-" + suffix
    }
}

/// How many events a recorder has created about each object (by uid) since it last counted them.
final class CreatedEvents: @unchecked Sendable {
    private let lock = NSLock()
    private var counts: [String: Int] = [:]
    /// Beyond this many objects the counts start over: an object then trims later (at about twice the limit), but still trims.
    static let capacity = 200_000

    /// Counts one more; returns the count.
    func add(_ uid: String) -> Int {
        lock.withLock {
            if counts.count >= Self.capacity && counts[uid] == nil { counts.removeAll(keepingCapacity: true) }
            counts[uid, default: 0] += 1
            return counts[uid]!
        }
    }

    /// After a trim the object holds at most the limit: counted as that many.
    func reset(_ uid: String) { lock.withLock { counts[uid] = ObjectLimits.maxEventsPerObject } }
}
