import FogMarket
import FogManifest
import FogModel
import FogRuntime

extension Resource {
    /// This object's spec as `T`, with its schema's defaults (`SchemaSet.spec(_:of:)`). A spec
    /// that does not decode fails the reconcile for good, with a terminal error naming the
    /// object and the field (`invalid spec of tier/small: spec.sla.uptimePercent: must be a
    /// number (got string "high")`): retrying cannot fix it, a new spec can.
    func reconciledSpec<T: KindSpec>(_ type: T.Type) throws(TerminalError) -> T {
        do { return try decodeSpec(type) } catch {
            throw TerminalError("invalid spec of \(kind.lowercased())/\(name): \(error)")
        }
    }
}

extension JobView {
    /// What `job` asks of each participant, with the mechanisms of its PrivacyPolicy from
    /// `cache` (a policy not there yet requires nothing: the job is not admitted without it).
    static func resolved(_ job: Resource, _ cache: InformerSet) throws(TerminalError) -> JobView {
        let spec = try job.reconciledSpec(FederatedJobSpec.self)
        let policy = cache.get(ObjectKey(kind: "PrivacyPolicy", namespace: "", name: spec.privacy))
        return JobView(key: job.key, spec: spec, privacy: try policy?.reconciledSpec(PrivacyPolicySpec.self))
    }
}
