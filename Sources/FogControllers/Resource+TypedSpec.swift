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

extension Resource {
    /// This object's status as `T` (`FederatedJobStatus`, …). A status that does not read as
    /// its kind's type fails the reconcile for good, naming the field: a writer broke the
    /// schema, and retrying would read the same.
    func reconciledStatus<T: KindStatus>(_ type: T.Type) throws(TerminalError) -> T {
        do { return try T(json: status) } catch {
            throw TerminalError("invalid status of \(kind.lowercased())/\(name): \(error)")
        }
    }
}

extension JSONValue {
    /// This value as `T`, a part of a typed status (`FederatedJobStatus.Training`), for a
    /// controller that computes the part as JSON: a value that does not read as the part's
    /// type fails the reconcile for good, naming the field under `path`.
    func statusPart<T: StatusObject>(_ type: T.Type, at path: String) throws(TerminalError) -> T {
        do { return try T(json: StatusRead.object(self, path), at: path) } catch {
            throw TerminalError("\(error)")
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
