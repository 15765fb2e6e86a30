import FogAPI
import FogModel

/// The messages the store gives, worded as Kubernetes words them.
extension StoreError {
    public static func notFound(_ key: ObjectKey) -> StoreError {
        StoreError(.notFound, "\(key.kind.lowercased()) \"\(key.name)\" not found" + (key.namespace.isEmpty ? "" : " in namespace \"\(key.namespace)\""))
    }
    public static func conflict(_ key: ObjectKey, stored: Int64, given: Int64) -> StoreError {
        StoreError(.conflict, "Operation cannot be fulfilled on \(key.kind.lowercased()) \"\(key.name)\": the object has been modified (resourceVersion \(given) is stale, the stored one is \(stored)); read the latest version and try again")
    }
}
