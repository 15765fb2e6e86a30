import FogAPI
import FogLearning
import FogManifest
import FogMarket
import FogModel
import FogRuntime
import FogStore
import Foundation

/// Serves an allocated inference job (`type: inference`): once its model is ready (the
/// digest in `spec.model.digest`, or the trained model of `spec.model.fromJob`), the
/// job's `inference.requests` rows of its data set's test part are sent in batches of
/// `inference.batchSize`, round-robin over the participants, as `infer` tasks bound to
/// them. When every batch is back the job reports accuracy, p50/p99 latency (from
/// each node's own monotonic clock, for the batches it served) against the SLA (`inference.maxLatencyMs`, else the tier's), and the
/// cost per request from its quote. `fogctl infer` sends ad-hoc batches the same way.
public struct InferenceController: Controller {
    public let name = "inference"
    public let kind = "FederatedJob"

    public init() {}

    public var workers: Int { 1 }

    public var sources: [WatchSource] {
        Watches.for("FederatedJob")
            .owns("TrainingTask")
            // The job whose model this one serves finishing its training.
            .watches("FederatedJob") { source, cache in
                // Runs on every job change, over every job of the namespace: one field read, not a
                // decoded spec (model.fromJob has no default).
                cache.list("FederatedJob", namespace: source.namespace).filter {
                    $0.spec?["model"]?["fromJob"]?.stringValue == source.name
                }.map(\.key)
            }
            .sources
    }

    public var conditionTypes: Set<String> { ["ModelReady", "Served"] }

    /// The model an inference job serves, and the training job it came from.
    static func model(_ job: Resource, spec: FederatedJobSpec, cache: InformerSet) -> (digest: String, source: Resource?)? {
        switch InferencePlan.modelSource(of: job, spec: spec) {
        case .digest(let digest): return (digest, nil)
        case .fromJob(let from):
            guard let source = cache.get(ObjectKey(kind: "FederatedJob", namespace: job.namespace, name: from)),
                  JobPhase(status: source.status) == .succeeded, let digest = InferencePlan.trainedModel(of: source) else { return nil }
            return (digest, source)
        case .none: return nil
        }
    }

    public func reconcile(_ key: ObjectKey, _ ctx: ReconcileContext) async throws -> ReconcileResult {
        guard let cached = ctx.cache.get(key), cached.metadata.deletionTimestamp == nil,
              try cached.reconciledSpec(FederatedJobSpec.self).type == .inference else { return .done }
        guard let job = try await ctx.client.get(key) else { return .done }
        guard JobPhase(status: job.status).isServing else { return .done }
        let participants = InferencePlan.participants(of: job)
        guard !participants.isEmpty else { return .done }
        let spec = try job.reconciledSpec(FederatedJobSpec.self)
        guard let (digest, source) = Self.model(job, spec: spec, cache: ctx.cache) else {
            let from = spec.model.fromJob ?? "-"
            try await ctx.updateStatus(job, as: FederatedJobStatus.self, fields: [\.phase, \.inference, \.cost], { _ in }, conditions: [
                Condition(type: "ModelReady", status: .false, reason: "WaitingForModel", message: "federatedjob/\(from) has not finished training")])
            return .requeue(after: 5)
        }
        let requests = spec.inference.requests
        let batchSize = InferencePlan.batchSize(of: spec)
        // The data and model settings of the training that produced the model.
        let trainSpec = try source?.reconciledSpec(FederatedJobSpec.self) ?? spec

        let status = try job.reconciledStatus(FederatedJobStatus.self)
        var inference = status.inference ?? FederatedJobStatus.Inference()
        let plan = InferencePlan.batches(rows: requests, batchSize: batchSize, participants: participants)
        let batches = plan.count
        if inference.batches == nil {
            for batch in plan {
                let task = InferencePlan.task(for: job, name: "\(job.name)-b\(batch.index)", batch: batch, model: digest, trainingSpec: trainSpec,
                                              labels: ["fog/round": "1"], controller: true,
                                              what: ["rows": ["start": .int(Int64(batch.start)), "count": .int(Int64(batch.count))]])
                do { _ = try await ctx.client.create(task) } catch let e as StoreError where e.code == .alreadyExists {}
            }
            // Issue time on the controller's clock: completion is measured against the same clock.
            inference = FederatedJobStatus.Inference(batches: batches, issuedAt: Timestamp.formatMicro(ctx.now), model: digest, requests: requests)
            try await ctx.updateStatus(job, as: FederatedJobStatus.self, fields: [\.phase, \.inference, \.cost], { s in
                JobPhase.move(&s, to: .running)
                s.inference = inference
            }, conditions: [Condition(type: "ModelReady", status: .true, reason: "Ready", message: digest)])
            return .requeue(after: 1)
        }
        let tasks = try await ctx.client.list(kind: "TrainingTask", namespace: key.namespace,
                                              selector: LabelSelector([.equals("fog/job", key.name)])).items
            .filter { $0.spec?["type"]?.stringValue == "infer" && $0.name.hasPrefix(job.name + "-b") }
        let done = tasks.filter { ["Succeeded", "Failed"].contains($0.status?["phase"]?.stringValue ?? "") }
        guard done.count >= batches else { return .requeue(after: 1) }
        var latencies: [Double] = []
        var served = 0, correct = 0, failed = 0
        for t in done {
            guard t.status?["phase"]?.stringValue == "Succeeded" else { failed += 1; continue }
            let count = (t.status?["predictions"]?.arrayValue ?? []).count
            served += count
            correct += Int(t.status?["correct"]?.intValue ?? 0)
            // A batch's latency is the node's own measurement of its work, on its monotonic clock.
            if let service = t.status?["serviceMillis"]?.numberValue {
                latencies.append(contentsOf: Array(repeating: service, count: count))
            }
        }
        latencies.sort()
        func quantile(_ q: Double) -> Double { latencies.isEmpty ? 0 : latencies[min(latencies.count - 1, Int(Double(latencies.count) * q))] }
        let tier = ctx.cache.get(ObjectKey(kind: "Tier", namespace: "", name: spec.tier))
        // The job's own latency need, else its tier's SLA (none: best effort).
        let sla = try spec.inference.maxLatencyMs ?? tier?.reconciledSpec(TierSpec.self).sla.maxLatencyMs
        let p99 = quantile(0.99)
        inference.served = served
        inference.failedBatches = failed
        inference.accuracy = served > 0 ? Double(correct) / Double(served) : 0
        inference.p50Millis = quantile(0.5)
        inference.p99Millis = p99
        if let sla { inference.slaMillis = sla; inference.withinSLA = p99 <= sla }
        if let issued = inference.issuedAt.flatMap(Timestamp.parse) {
            inference.completionMillis = max(0, ctx.now.timeIntervalSince(issued) * 1000)
        }
        inference.latencyClocks = ("p50Millis/p99Millis: each node's monotonic clock, task picked up to answer ready; completionMillis: the controller's clock, tasks issued to last answer observed")
        let within = sla.map { p99 <= $0 } ?? true
        let cost = try JobCost(quote: job.status?["quote"], used: Double(served), fallbackUnit: "request").status()
        try await ctx.updateStatus(job, as: FederatedJobStatus.self, fields: [\.phase, \.inference, \.cost], { s in
            JobPhase.move(&s, to: failed == 0 ? .succeeded : .failed)
            s.inference = inference
            s.cost = cost
        }, conditions: [Condition(type: "Served", status: failed == 0 ? .true : .false, reason: failed == 0 ? (within ? "WithinSLA" : "SLAMissed") : "BatchesFailed",
                                  message: String(format: "%d requests, accuracy %.4f, p50 %.1f ms, p99 %.1f ms%@", served,
                                                  served > 0 ? Double(correct) / Double(served) : 0, quantile(0.5), p99,
                                                  sla.map { String(format: " (SLA %.0f ms)", $0) } ?? ""))])
        return .done
    }
}
