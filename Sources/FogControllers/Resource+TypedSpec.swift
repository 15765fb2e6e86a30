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
