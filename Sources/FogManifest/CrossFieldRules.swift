import FogModel

/// Rules a JSON Schema cannot state because they relate two fields of one object, checked at
/// admission with the others (so `validate`, `apply` and the API refuse the object with the
/// field's `line:column`, instead of a controller finding it later).
enum CrossFieldRules {
    /// (path, message) for each rule `object` (a manifest's object, before defaults) breaks.
    static func problems(kind: String, _ object: JSONValue) -> [(path: String, message: String)] {
        var out: [(String, String)] = []
        func atLeast(_ lowerPath: String, _ upperPath: String, _ lowerName: String) {
            guard let lower = object.value(at: lowerPath)?.numberValue, let upper = object.value(at: upperPath)?.numberValue,
                  upper < lower else { return }
            out.append((upperPath, "must be at least \(lowerName) (\(JSONSchema.render(object.value(at: lowerPath)!))) (got \(JSONSchema.render(object.value(at: upperPath)!)))"))
        }
        switch kind {
        case "FederatedJob":
            atLeast("spec.participants.min", "spec.participants.max", "participants.min")
        case "Tier":
            atLeast("spec.inference.pricePerRequest.min", "spec.inference.pricePerRequest.max", "pricePerRequest.min")
            atLeast("spec.training.pricePerHour.min", "spec.training.pricePerHour.max", "pricePerHour.min")
        default:
            break
        }
        return out
    }
}
