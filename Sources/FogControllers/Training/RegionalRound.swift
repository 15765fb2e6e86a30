import FogAPI
import FogLearning
import FogModel
import FogRuntime
import FogStore
import Foundation

/// Hierarchical aggregation on the fog nodes themselves: with `hierarchy.enabled`, each
/// region whose aggregator node is Ready and serves peers gets an aggregate task for the
/// round; the region's participants upload their updates to that node (with the round's token,
/// of which the aggregate task holds only the SHA-256), the node runs the job's screening,
/// strategy and clipping (`RoundPipeline.regional`) and uploads one regional aggregate, and the
/// controller combines the aggregates with the shares it computes itself from updates that
/// reached the server (regions without a usable aggregator, participants that fell back).
extension TrainingController {
    /// Whether `task` is a region's aggregate task (not a participant's training).
    static func isAggregate(_ task: Resource) -> Bool { task.spec?["type"]?.stringValue == "aggregate" }

    /// A fresh upload token: 32 random bytes, hex.
    static func uploadToken() -> String {
        var rng = SystemRandomNumberGenerator()
        return (0..<4).map { _ in String(format: "%016llx", rng.next()) }.joined()
    }

    /// The round's aggregate tasks, and what each participant's task gets (`spec.aggregator`),
    /// for the regions of `participants` whose aggregator node is usable.
    static func regionalPlan(_ job: Resource, spec: FederatedJobSpec, round: Int, model: String, deadline: String, timeout: Double,
                             participants: [(node: String, region: String, task: String)], clipNorm: Double?,
                             _ ctx: ReconcileContext) -> (tasks: [Resource], refs: [String: JSONValue]) {
        guard spec.hierarchy.enabled else { return ([], [:]) }
        var tasks: [Resource] = [], refs: [String: JSONValue] = [:]
        let members = Dictionary(grouping: participants, by: \.region)
        for (region, node) in (job.status?["allocation"]?["aggregators"]?.objectValue ?? [:]).sorted(by: { $0.key < $1.key }) {
            guard let name = node.stringValue, let members = members[region], !members.isEmpty else { continue }
            let fogNode = ctx.cache.get(ObjectKey(kind: "FogNode", namespace: "", name: name))
            guard fogNode?.condition("Ready")?.status == .true, let address = fogNode?.status?["peer"]?["address"]?.stringValue else { continue }
            let token = uploadToken()
            let taskName = "\(job.name)-r\(round)-agg-\(region)"
            let spec: [String: JSONValue] = [
                "job": .string(job.name), "round": .int(Int64(round)), "node": .string(name), "type": "aggregate", "model": .string(model),
                "deadline": .string(deadline), "region": .string(region),
                "participants": .array(members.sorted { $0.node < $1.node }.map { ["node": .string($0.node), "task": .string($0.task)] }),
                "uploadTokenSHA256": .string(BlobStore.tokenHash(token)),
                // Half the round: the aggregate reaches the server before the round's deadline.
                "collectSeconds": .double(max(0.5, timeout / 2)),
                "aggregation": TrainingTaskSpec.Aggregation.json(job: spec, clipNorm: clipNorm),
            ]
            var meta = ObjectMeta(name: taskName, namespace: job.namespace)
            meta.labels = ["fog/job": job.name, "fog/node": name, "fog/round": String(round), "fog/task-type": "aggregate"]
            meta.ownerReferences = [OwnerReference(kind: job.kind, name: job.name, uid: job.metadata.uid, controller: true, blockOwnerDeletion: true)]
            tasks.append(Resource(kind: "TrainingTask", metadata: meta, content: ["spec": .object(spec)]))
            for m in members {
                refs[m.node] = ["node": .string(name), "region": .string(region), "address": .string(address), "task": .string(taskName), "token": .string(token)]
            }
        }
        return (tasks, refs)
    }

    /// Aggregate tasks the round still waits for: some participant's update went to the node,
    /// it has not reported, and its node is still Ready.
    static func awaitedAggregates(_ aggregates: [Resource], reported: [Resource], _ ctx: ReconcileContext) -> [Resource] {
        let sentTo = Set(reported.compactMap { $0.status?["uploadedTo"]?.stringValue })
        return aggregates.filter { a in
            guard a.status?["phase"] == nil, let node = a.spec?["node"]?.stringValue, sentTo.contains(node) else { return false }
            return ctx.cache.get(ObjectKey(kind: "FogNode", namespace: "", name: node))?.condition("Ready")?.status == .true
        }
    }

    /// The annotation a resent task carries: the task it stands in for.
    static let resendsAnnotation = "fog/resends"

    /// Tasks whose updates an aggregator had accepted but not combined when its node was lost
    /// (`lost`): each is sent again as a new task of the same round without the aggregator (its
    /// participant trains again — the same seed gives the same update — and uploads to the
    /// server). None for a task already resent, or whose own node is the lost one.
    static func resends(_ train: [Resource], aggregates: [Resource], lost: (String) -> Bool) -> [Resource] {
        let gone = Set(aggregates.filter { $0.status?["phase"] == nil }.compactMap { $0.spec?["node"]?.stringValue }.filter(lost))
        guard !gone.isEmpty else { return [] }
        let resent = Set(train.compactMap { $0.metadata.annotations[resendsAnnotation] })
        return train.compactMap { t -> Resource? in
            guard t.status?["phase"]?.stringValue == "Succeeded", t.status?["update"] == nil,
                  let to = t.status?["uploadedTo"]?.stringValue, gone.contains(to), let node = t.spec?["node"]?.stringValue, !gone.contains(node),
                  !resent.contains(t.name), t.metadata.annotations[resendsAnnotation] == nil else { return nil }
            var spec = t.spec?.objectValue ?? [:]
            spec["aggregator"] = nil
            if let cache = spec["modelCache"]?["node"]?.stringValue, gone.contains(cache) { spec["modelCache"] = nil }
            var meta = ObjectMeta(name: t.name + "-resend", namespace: t.namespace)
            meta.labels = t.metadata.labels
            meta.annotations = [resendsAnnotation: t.name]
            meta.ownerReferences = t.metadata.ownerReferences
            return Resource(kind: "TrainingTask", metadata: meta, content: ["spec": .object(spec)])
        }
    }

    /// What the round has to combine: the shares the aggregator nodes uploaded, and the
    /// updates that reached the server (with the blob bytes read), plus the participants
    /// whose updates went to an aggregator that never combined them.
    struct RoundInputs {
        var shares: [RegionalAggregate] = []
        /// Aggregate tasks that delivered, by region: for the round's record.
        var regions: [JSONValue] = []
        var serverUpdates: [Update] = []
        var bytesRead = 0
        var lost: [String] = []
    }

    static func roundInputs(train: [Resource], aggregates: [Resource], globalCount: Int, _ ctx: ReconcileContext) async throws -> RoundInputs {
        var inputs = RoundInputs()
        var combinedBy: [String: Set<String>] = [:]
        for a in aggregates where a.status?["phase"]?.stringValue == "Succeeded" {
            guard let node = a.spec?["node"]?.stringValue else { continue }
            let s = a.status
            let contributors = (s?["contributors"]?.arrayValue ?? []).compactMap(\.stringValue)
            let flags = (s?["excluded"]?.arrayValue ?? []).compactMap { e -> ByzantineDetector.Flag? in
                guard let id = e["node"]?.stringValue else { return nil }
                return ByzantineDetector.Flag(id: id, reason: ByzantineDetector.Reason(rawValue: e["reason"]?.stringValue ?? "") ?? .nonFinite,
                                              value: e["value"]?.numberValue ?? 0, fence: e["fence"]?.numberValue ?? 0)
            }
            combinedBy[node] = Set(contributors + flags.map(\.id))
            var parameters: [Float] = []
            if let digest = s?["aggregate"]?.stringValue {
                let blob = try await ctx.client.getBlob(digest)
                inputs.bytesRead += blob.count
                parameters = try ParameterBlob.decode(blob)
                guard parameters.count == globalCount else { continue }
            }
            let form = RegionalAggregate.Form(rawValue: s?["form"]?.stringValue ?? "") ?? .model
            let region = a.spec?["region"]?.stringValue ?? ""
            inputs.shares.append(RegionalAggregate(region: region, form: form, parameters: parameters, samples: Int(s?["samples"]?.intValue ?? 0),
                                                   accepted: parameters.isEmpty ? [] : contributors, flags: flags))
            inputs.regions.append(["region": .string(region), "aggregator": .string(node), "updates": .int(Int64(contributors.count)),
                                   "excluded": .int(Int64(flags.count)), "missing": .int(Int64(s?["missing"]?.arrayValue?.count ?? 0)),
                                   "samples": .int(s?["samples"]?.intValue ?? 0)])
        }
        for t in train where t.status?["phase"]?.stringValue == "Succeeded" {
            guard let node = t.spec?["node"]?.stringValue else { continue }
            // An update an aggregator combined (the participant's upload timed out after the
            // aggregator took it, and it sent it to the server as well) counts once, in the aggregate.
            let combined = combinedBy.values.contains { $0.contains(node) }
            if let digest = t.status?["update"]?.stringValue, !combined {
                let blob = try await ctx.client.getBlob(digest)
                inputs.bytesRead += blob.count
                let parameters = try ParameterBlob.decodeUpdate(blob)
                guard parameters.count == globalCount else { continue }
                inputs.serverUpdates.append(Update(id: node, parameters: parameters, samples: Int(t.status?["samples"]?.intValue ?? 1)))
            } else if !combined, t.status?["update"] == nil, t.status?["uploadedTo"]?.stringValue != nil {
                inputs.lost.append(node)
            }
        }
        return inputs
    }

    /// The round's bytes by link, as the nodes measured and reported them (participants and aggregators).
    static func traffic(_ tasks: [Resource]) -> TaskTraffic {
        tasks.reduce(TaskTraffic()) { $0 + TaskTraffic(json: $1.status?["traffic"]) }
    }
}

