/// One participant's model update on its way to its region's aggregator node: the aggregate
/// task it belongs to (namespace, name), the participant's node, task and sample count, the
/// round's upload token it presents, and the update blob. What an agent sends and what the
/// receiving node's peer endpoint hands its aggregator: one shape on both sides of the wire.
public struct RegionalUpdateUpload: Sendable {
    public var namespace: String
    public var aggregateTask: String
    public var node: String
    public var participantTask: String
    public var samples: Int
    public var token: String
    public var bytes: [UInt8]

    public init(namespace: String, aggregateTask: String, node: String, participantTask: String, samples: Int, token: String, bytes: [UInt8]) {
        self.namespace = namespace; self.aggregateTask = aggregateTask; self.node = node
        self.participantTask = participantTask; self.samples = samples; self.token = token; self.bytes = bytes
    }
}
