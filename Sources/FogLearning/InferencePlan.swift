import FogModel

/// How an inference job's work is cut up and sent, in one copy: the inference controller
/// (the job's own requests) and `fogctl infer` (rows a user sends) both build their infer
/// tasks here.
public enum InferencePlan {
    /// Where a job's model comes from: a training job's own result, a digest in its spec, or
    /// another job it names (`spec.model.fromJob`), which must have finished.
    public enum ModelSource: Equatable, Sendable {
        case digest(String)
        case fromJob(String)
        case none
    }

    /// The model `job` (whose spec is `spec`) serves: its trained model if it has one, else
    /// `spec.model.digest`, else the job named in `spec.model.fromJob`.
    public static func modelSource(of job: Resource, spec: FederatedJobSpec) -> ModelSource {
        if let trained = job.status?["training"]?["model"]?.stringValue { return .digest(trained) }
        if let digest = spec.model.digest { return .digest(digest) }
        if let from = spec.model.fromJob { return .fromJob(from) }
        return .none
    }

    /// The trained model of a source job, once it has one.
    public static func trainedModel(of source: Resource) -> String? {
        source.status?["training"]?["model"]?.stringValue
    }

    /// The nodes serving the job: its allocated participants, in order.
    public static func participants(of job: Resource) -> [String] {
        (job.status?["allocation"]?["participants"]?.arrayValue ?? []).compactMap { $0["node"]?.stringValue }
    }

    /// The job's batch size (`spec.inference.batchSize`, at least 1).
    public static func batchSize(of spec: FederatedJobSpec) -> Int { max(1, spec.inference.batchSize) }

    /// One batch: which node serves it and which rows it holds.
    public struct Batch: Equatable, Sendable {
        public var index: Int
        public var node: String
        public var start: Int
        public var count: Int
    }

    /// `rows` rows in batches of `batchSize`, round-robin over `participants`.
    public static func batches(rows: Int, batchSize: Int, participants: [String]) -> [Batch] {
        guard rows > 0, batchSize > 0, !participants.isEmpty else { return [] }
        return stride(from: 0, to: rows, by: batchSize).enumerated().map { b, start in
            Batch(index: b, node: participants[b % participants.count], start: start, count: min(batchSize, rows - start))
        }
    }

    /// The infer task for one batch of `job` (owned by it), predicting with `model` as the
    /// training described by `trainingSpec` scaled its data. The caller adds what to predict
    /// (`rows` of the test part, or an `input` blob) through `content`.
    public static func task(for job: Resource, name: String, batch: Batch, model: String, trainingSpec: FederatedJobSpec,
                            labels: [String: String] = [:], controller: Bool, what: [String: JSONValue]) -> Resource {
        var spec = TaskRecipe.inferenceSpec(job: job.name, node: batch.node, model: model, trainingSpec: trainingSpec)
        for (k, v) in what { spec[k] = v }
        var meta = ObjectMeta(name: name, namespace: job.namespace)
        meta.labels = ["fog/job": job.name, "fog/node": batch.node].merging(labels) { _, new in new }
        meta.ownerReferences = [OwnerReference(kind: job.kind, name: job.name, uid: job.metadata.uid,
                                               controller: controller ? true : nil, blockOwnerDeletion: controller ? true : nil)]
        return Resource(kind: "TrainingTask", metadata: meta, content: ["spec": .object(spec)])
    }
}
