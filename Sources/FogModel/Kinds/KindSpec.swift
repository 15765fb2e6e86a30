/// The typed `spec` of one kind. Its fields follow the kind's schema
/// (`schemas/<kind>.json`): a field the schema defaults is not optional, a
/// field with no default that is not required is optional, and a field with an
/// `enum` is a `SchemaEnum`.
///
/// A spec is decoded only after its kind's schema defaults are filled in
/// (FogManifest's `SchemaSet.spec(_:of:)`), so no default is repeated in code:
/// stored objects went through admission and are defaulted already, but
/// objects made in-process (tests, controllers creating TrainingTasks) may not be.
public protocol KindSpec: Decodable, Sendable, Equatable {
    /// The kind whose spec this is (`FogNode`).
    static var kind: String { get }
}

/// A node's device class (`FogNode.spec.class`, a Tier's and a job's `deviceClasses`).
public enum DeviceClass: String, SchemaEnum {
    case mobile, edge, fog, cloud
}
