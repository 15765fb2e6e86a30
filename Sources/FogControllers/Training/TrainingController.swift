import FogAPI
import FogFleet
import FogLearning
import FogMarket
import FogModel
import FogRuntime
import FogStore
import Foundation

/// Runs an allocated training job round by round. Each round it creates one
/// `TrainingTask` per participant (owned by the job, labelled with its node),
/// bound to that node like a pod; the node's agent or the simulated fleet
/// trains on its shard from the round's global model and reports an update
/// blob. With `hierarchy.enabled` each region with a usable aggregator node also
/// gets an aggregate task: its participants send their updates to that node, which
/// screens, aggregates and clips them and uploads one regional aggregate
/// (RegionalRound.swift). When every task has reported (and every aggregator that
/// holds updates), or the round's deadline passes with at least one report
/// (stragglers are dropped and reported), the controller screens and aggregates
/// the updates that reached the server (by region under the hierarchy), combines
/// them with the regional aggregates, adds the privacy policy's noise, evaluates
/// the new global model on the held-out test set, stores it as a blob, and starts
/// the next round.
public struct TrainingController: Controller {
    public let name = "training"
    public let kind = "FederatedJob"
    /// Where data sets live (`<dir>/<name>.csv`): for the held-out evaluation.
    public let data: DataCatalog
    /// Rounds kept in `status.training.rounds` (older ones are summarised by the counters).
    public static let historyLimit = 200
    /// Rounds (the latest) whose entries keep their per-client metrics (`clients`)...
    public static let clientHistoryLimit = 20
    /// ...and the most client entries kept over those rounds (the latest round's always are):
    /// a job with many participants keeps fewer rounds of them, and its status stays small.
    public static let clientEntryLimit = 2_000

    public init(dataDirectory: String) { data = DataCatalog(directory: dataDirectory) }

    /// One at a time. Four (jobs train independently) settled a cold start of 10,000 nodes and
    /// 1,000 jobs about 1 s sooner, but at 100,000 nodes and 10,000 jobs took every job Running
    /// from 150 s to 240 s with twice the writes: training then competes with node readiness
    /// and allocation for the two cores (`fog-bench convergence`, docs/benchmarks.md).
    public var workers: Int { 1 }

    public var sources: [WatchSource] { Watches.for("FederatedJob").owns("TrainingTask").sources }

    public var conditionTypes: Set<String> { ["Training", "Failed"] }

    public func reconcile(_ key: ObjectKey, _ ctx: ReconcileContext) async throws -> ReconcileResult {
        guard let cached = ctx.cache.get(key), cached.metadata.deletionTimestamp == nil else { return .done }
        guard try cached.reconciledSpec(FederatedJobSpec.self).type == .training else { return .done }
        // The round counter moves with every write of ours: read it from the store, not a cache that may lag.
        guard let job = try await ctx.client.get(key) else { return .done }
        guard JobPhase(status: job.status).isServing else { return .done }
        let participants = (job.status?["allocation"]?["participants"]?.arrayValue ?? [])
        guard !participants.isEmpty else { return .done }
        let spec = try job.reconciledSpec(FederatedJobSpec.self)
        let rounds = spec.training.rounds
        guard let roundTimeout = Pricing.parseDuration(spec.training.roundTimeout) else {
            throw TerminalError("invalid spec of federatedjob/\(job.name): spec.training.roundTimeout: \"\(spec.training.roundTimeout)\" is not a duration such as 30s, 5m or 1h30m")
        }
        let dataset = spec.data.dataset
        let seed = UInt64(bitPattern: spec.seed)
        let testFraction = spec.data.testFraction
        let now = ctx.now
        var training = job.status?["training"]?.objectValue ?? [:]

        // First round: the initial model.
        guard let modelDigest = training["model"]?.stringValue else {
            let split: (train: Dataset, test: Dataset)
            do { split = try data.split(dataset, testFraction: testFraction, seed: seed) } catch {
                try await fail(job, ctx, reason: "DataUnavailable", message: "\(error)")
                return .done
            }
            if let privacy = try Self.privacy(spec, ctx), privacy.spent(after: 1) > privacy.epsilon {
                try await ctx.updateStatus(job, as: FederatedJobStatus.self, fields: [\.phase, \.training, \.cost], { s in JobPhase.move(&s, to: .failed) }, conditions: [
                    Condition(type: "Failed", status: .true, reason: "PrivacyBudgetExhausted",
                              message: String(format: "one round with noise multiplier %.3g would spend ε %.3g, above the policy's %.3g", privacy.noiseMultiplier, privacy.spent(after: 1), privacy.epsilon))])
                return .done
            }
            let model = ModelKind(spec.model.architecture, hiddenUnits: spec.model.hiddenUnits)
                .make(featureCount: split.train.featureCount, classCount: split.train.classCount)
            let digest = try await ctx.client.putBlob(ParameterBlob.encode(model.initialParameters(seed: SplitMix64.mix(seed, 3))))
            // What the model expects of its inputs (scaling, features, classes), for use outside fog.
            let preprocessing = try await ctx.client.putBlob(
                try Preprocessing(catalog: data, dataset: dataset, testFraction: testFraction, seed: seed).blob)
            // Each participant keeps one shard for the whole job; a replacement takes over the shard of the node it replaces.
            var shards: [String: JSONValue] = [:]
            for (i, p) in participants.enumerated() { if let n = p["node"]?.stringValue { shards[n] = .int(Int64(i)) } }
            training = ["model": .string(digest), "preprocessing": .string(preprocessing), "round": 0, "rounds": .array([]), "shards": .object(shards),
                        "shardCount": .int(Int64(participants.count)), "startedAt": .string(ctx.timestamp),
                        "bytesSent": 0, "traffic": TaskTraffic().json]
            var started = [Condition(type: "Training", status: .true, reason: "Started", message: "\(rounds) rounds over \(participants.count) participants")]
            // A retried job's earlier failure is over once its new run starts.
            if job.condition("Failed")?.status == .true {
                started.append(Condition(type: "Failed", status: .false, reason: "Retried", message: "a new run started"))
            }
            // The first round starts in the same reconcile, and the job turns Running in the
            // round's status write: one reconcile and one write fewer per job than writing the
            // initial model first (a crash in between starts again here: the same seeded model,
            // and the round's tasks already created stay as they are).
            return try await startRound(job, spec: spec, round: 1, model: digest, training: training, participants: participants,
                                        timeout: roundTimeout, starting: started, ctx)
        }

        let round = Int(training["round"]?.intValue ?? 0)
        // From the store too: a cache that has not yet seen this round's tasks would start the next one.
        let tasks = try await ctx.client.list(kind: "TrainingTask", namespace: key.namespace,
                                              selector: LabelSelector([.equals("fog/job", key.name), .equals("fog/round", String(round))])).items
            .filter { $0.spec?["job"]?.stringValue == key.name }
        if round == 0 || tasks.isEmpty {
            // Start the next round.
            return try await startRound(job, spec: spec, round: round + 1, model: modelDigest, training: training, participants: participants,
                                        timeout: roundTimeout, ctx)
        }
        let deadline = Timestamp.parse(tasks.compactMap { $0.spec?["deadline"]?.stringValue }.first ?? "") ?? now
        // Participants' training tasks, and (under hierarchy) the regions' aggregate tasks.
        let aggregates = tasks.filter(Self.isAggregate)
        let allTrain = tasks.filter { !Self.isAggregate($0) }
        // A task resent (its update lost with its aggregator) counts through its resend.
        let resent = Set(allTrain.compactMap { $0.metadata.annotations[Self.resendsAnnotation] })
        let trainTasks = allTrain.filter { !resent.contains($0.name) }
        let current = Set(participants.compactMap { $0["node"]?.stringValue })
        func lost(_ node: String) -> Bool {
            !current.contains(node) || ctx.cache.get(ObjectKey(kind: "FogNode", namespace: "", name: node))?.condition("Ready")?.status != .true
        }
        // Updates an aggregator lost before the deadline had accepted and not combined: sent again, to the server.
        let resends = now < deadline ? Self.resends(allTrain, aggregates: aggregates, lost: lost) : []
        if !resends.isEmpty {
            _ = try await ctx.client.apply(resends, dryRun: false)
            await ctx.events.record(job, .normal, reason: "UpdatesResent",
                                    message: "round \(round): \(resends.count) update(s) held by a lost aggregator sent again to the server (\(resends.compactMap { $0.spec?["node"]?.stringValue }.joined(separator: ", ")))")
            return .requeue(after: 0)
        }
        let reported = trainTasks.filter { ["Succeeded", "Skipped", "Failed"].contains($0.status?["phase"]?.stringValue ?? "") }
        // A task whose node stopped being Ready (or left the job) will not report: do not wait for it.
        let unreachable = trainTasks.filter { t in
            guard t.status?["phase"] == nil, let node = t.spec?["node"]?.stringValue else { return false }
            return lost(node)
        }
        // An aggregator holding updates is waited for until it reports, its node is lost, or the deadline.
        let waiting = trainTasks.count - reported.count - unreachable.count + Self.awaitedAggregates(aggregates, reported: reported, ctx).count
        guard waiting == 0 && !reported.isEmpty || now >= deadline else {
            return .requeue(after: max(0.01, deadline.timeIntervalSince(now)))
        }
        let succeeded = trainTasks.filter { $0.status?["phase"]?.stringValue == "Succeeded" }
        let delivered = succeeded.contains { $0.status?["update"]?.stringValue != nil }
            || aggregates.contains { $0.status?["aggregate"]?.stringValue != nil }
        if !delivered {
            // Nobody delivered: run the round again (with whoever is allocated now). Started here:
            // a later reconcile that found the round without tasks would start the next one.
            for t in tasks { _ = try? await ctx.client.delete(t.key) }
            return try await startRound(job, spec: spec, round: round, model: modelDigest, training: training, participants: participants,
                                        timeout: roundTimeout, ctx)
        }
        return try await finishRound(job, spec: spec, round: round, model: modelDigest, training: training, tasks: trainTasks,
                                     aggregates: aggregates, resent: allTrain.filter { resent.contains($0.name) }, succeeded: succeeded,
                                     timeout: roundTimeout, ctx)
    }

    /// The job's differential privacy, from its PrivacyPolicy: clip norm, noise multiplier (the
    /// policy's, or calibrated so that all the job's rounds fit in ε), ε and δ.
    struct Privacy {
        var clipNorm: Double
        var noiseMultiplier: Double
        var epsilon: Double
        var delta: Double

        /// Every allocated participant joins every round: no subsampling to amplify privacy.
        static let samplingRate = 1.0

        init?(policy: PrivacyPolicySpec?, rounds: Int) {
            guard let dp = policy?.differentialPrivacy, dp.enabled else { return nil }
            epsilon = dp.epsilon
            delta = dp.delta
            clipNorm = dp.clipNorm
            // Absent, σ depends on the job (its rounds), which the policy's schema cannot know.
            noiseMultiplier = dp.noiseMultiplier
                ?? RDPAccountant.noiseMultiplier(epsilonBudget: epsilon, delta: delta, samplingRate: Self.samplingRate, steps: max(1, rounds))
                ?? 1
        }

        /// ε spent after `steps` rounds.
        func spent(after steps: Int) -> Double {
            var a = RDPAccountant()
            a.compose(noiseMultiplier: noiseMultiplier, samplingRate: Self.samplingRate, steps: steps)
            return a.epsilon(delta: delta).epsilon
        }
    }

    /// The differential privacy of a job with `spec`, from its PrivacyPolicy (none without one).
    static func privacy(_ spec: FederatedJobSpec, _ ctx: ReconcileContext) throws -> Privacy? {
        let policy = ctx.cache.get(ObjectKey(kind: "PrivacyPolicy", namespace: "", name: spec.privacy))
        return Privacy(policy: try policy?.reconciledSpec(PrivacyPolicySpec.self), rounds: spec.training.rounds)
    }

    /// Starts round `round`: its tasks in one transaction, then the job's status. `starting`: the
    /// job's first round, whose status write also makes it Running with these conditions.
    func startRound(_ job: Resource, spec: FederatedJobSpec, round: Int, model: String, training: [String: JSONValue], participants: [JSONValue],
                    timeout: Double, starting: [Condition]? = nil, _ ctx: ReconcileContext) async throws -> ReconcileResult {
        /// The job's training status (and, for its first round, Running with `starting`).
        func writeTraining(_ t: [String: JSONValue]) async throws {
            let typed = try JSONValue.object(t).statusPart(FederatedJobStatus.Training.self, at: "status.training")
            try await ctx.updateStatus(job, as: FederatedJobStatus.self, fields: [\.phase, \.training, \.cost], { s in
                if starting != nil { JobPhase.move(&s, to: .running) }
                s.training = typed
            }, conditions: starting ?? [])
        }
        var shards = training["shards"]?.objectValue ?? [:]
        let shardCount = Int(training["shardCount"]?.intValue ?? Int64(participants.count))
        // Replacements take over the shards of the nodes that left.
        let current = participants.compactMap { $0["node"]?.stringValue }
        let freed = shards.filter { !current.contains($0.key) }.compactMap { $0.value.intValue }.sorted()
        var free = freed.makeIterator()
        var used = Set(shards.filter { current.contains($0.key) }.compactMap { $0.value.intValue })
        for n in current where shards[n] == nil {
            if let s = free.next() { shards[n] = .int(s); used.insert(s) } else if let s = (0..<Int64(shardCount)).first(where: { !used.contains($0) }) {
                shards[n] = .int(s); used.insert(s)
            }
        }
        for k in shards.keys where !current.contains(k) { shards[k] = nil }
        // Under onion routing every update travels through a circuit pool; with no pool Ready the
        // round waits and says why (docs/circuits.md). Never a silent direct upload.
        let route = try await CircuitRoute.forJob(spec, namespace: job.namespace, ctx)
        if case .waiting(let reason) = route {
            let why = "round \(round): " + reason
            if training["waitingFor"]?.stringValue != why {
                var t = training
                t["waitingFor"] = .string(why)
                try await writeTraining(t)
            }
            return .requeue(after: 2)
        }
        let deadline = Timestamp.format(ctx.now.addingTimeInterval(timeout))
        // Under hierarchy each region's aggregator keeps the region's model cache: its
        // participants fetch the global model there first (where its agent serves one).
        var caches: [String: JSONValue] = [:]
        if spec.hierarchy.enabled {
            for (region, node) in job.status?["allocation"]?["aggregators"]?.objectValue ?? [:] {
                guard let name = node.stringValue,
                      let address = ctx.cache.get(ObjectKey(kind: "FogNode", namespace: "", name: name))?.status?["peer"]?["address"]?.stringValue else { continue }
                caches[region] = ["node": .string(name), "address": .string(address)]
            }
        }
        // Under hierarchy, regions whose aggregator node is usable combine their updates there.
        let members = participants.compactMap { p -> (node: String, region: String, task: String)? in
            guard let node = p["node"]?.stringValue, let shard = shards[node]?.intValue else { return nil }
            return (node, p["region"]?.stringValue ?? "", "\(job.name)-r\(round)-\(shard)")
        }
        // Under onion routing updates go through circuits to the server: no regional aggregation.
        let plan = route.taskJSON != nil ? (tasks: [Resource](), refs: [String: JSONValue]())
            : Self.regionalPlan(job, spec: spec, round: round, model: model, deadline: deadline, timeout: timeout, participants: members,
                                clipNorm: try Self.privacy(spec, ctx)?.clipNorm, ctx)
        var newTasks: [Resource] = []
        for task in plan.tasks where try await ctx.client.get(task.key) == nil { newTasks.append(task) }
        for p in participants {
            guard let node = p["node"]?.stringValue, let shard = shards[node]?.intValue else { continue }
            let recipe = TaskRecipe(job: spec, shardIndex: Int(shard), shardCount: shardCount, deviceClass: p["class"]?.stringValue ?? "")
            var taskSpec = recipe.specJSON
            taskSpec["job"] = .string(job.name)
            taskSpec["round"] = .int(Int64(round))
            taskSpec["node"] = .string(node)
            taskSpec["type"] = "train"
            taskSpec["model"] = .string(model)
            taskSpec["deadline"] = .string(deadline)
            if let cache = caches[p["region"]?.stringValue ?? ""] { taskSpec["modelCache"] = cache }
            // Under onion routing the update goes through a circuit to the server, not to an aggregator.
            if let onion = route.taskJSON { taskSpec["onion"] = onion } else if let aggregator = plan.refs[node] { taskSpec["aggregator"] = aggregator }
            var meta = ObjectMeta(name: "\(job.name)-r\(round)-\(shard)", namespace: job.namespace)
            meta.labels = ["fog/job": job.name, "fog/node": node, "fog/round": String(round)]
            meta.ownerReferences = [OwnerReference(kind: job.kind, name: job.name, uid: job.metadata.uid, controller: true, blockOwnerDeletion: true)]
            let task = Resource(kind: "TrainingTask", metadata: meta, content: ["spec": .object(taskSpec)])
            // A task this round already has (a reconcile that ran before) stays as it is.
            if try await ctx.client.get(task.key) == nil { newTasks.append(task) }
        }
        // The round's tasks in one transaction.
        if !newTasks.isEmpty { _ = try await ctx.client.apply(newTasks, dryRun: false) }
        // The round before last is no longer needed.
        for old in ctx.cache.list("TrainingTask", namespace: job.namespace) where old.spec?["job"]?.stringValue == job.name
            && Int(old.spec?["round"]?.intValue ?? 0) < round - 1 {
            _ = try? await ctx.client.delete(old.key)
        }
        var t = training
        t["round"] = .int(Int64(round))
        t["shards"] = .object(shards)
        t["waitingFor"] = nil
        if case .pool(let pool, _) = route { t["circuitPool"] = .string(pool) }
        // With microseconds: a round's duration is measured from it (rounds can be shorter than a second).
        t["roundStartedAt"] = .string(Timestamp.formatMicro(ctx.now))
        try await writeTraining(t)
        return .requeue(after: timeout)
    }

    func finishRound(_ job: Resource, spec: FederatedJobSpec, round: Int, model digest: String, training: [String: JSONValue], tasks: [Resource],
                     aggregates: [Resource], resent: [Resource] = [], succeeded: [Resource], timeout: Double,
                     _ ctx: ReconcileContext) async throws -> ReconcileResult {
        let rounds = spec.training.rounds
        let global = try ParameterBlob.decode(try await ctx.client.getBlob(digest))
        var regionOf: [String: String] = [:]
        for p in job.status?["allocation"]?["participants"]?.arrayValue ?? [] {
            if let n = p["node"]?.stringValue { regionOf[n] = p["region"]?.stringValue ?? "" }
        }
        // The regional aggregates the aggregator nodes uploaded, and the updates that reached the server.
        let inputs = try await Self.roundInputs(train: succeeded, aggregates: aggregates, globalCount: global.count, ctx)
        let bytes = inputs.bytesRead
        // Screen, aggregate, privatise: the one round pipeline (FogLearning's RoundPipeline), its
        // regional half run here on the updates that reached the server (by region under hierarchy,
        // as one share otherwise), its combining half over every region's share.
        let privacy = try Self.privacy(spec, ctx)
        var mechanism: GaussianMechanism?
        if let privacy { mechanism = GaussianMechanism(clipNorm: Float(privacy.clipNorm), noiseMultiplier: privacy.noiseMultiplier) }
        let pipeline = RoundPipeline(job: spec, privacy: mechanism)
        var shares = inputs.shares
        let serverGroups = Dictionary(grouping: inputs.serverUpdates, by: { spec.hierarchy.enabled ? (regionOf[$0.id] ?? "") : "" })
        for (region, updates) in serverGroups.sorted(by: { $0.key < $1.key }) {
            shares.append(try pipeline.regional(updates, global: global, region: region))
        }
        // DP noise from the system generator: noise derived from the job's seed could be recomputed and subtracted.
        var rng = SystemRandomNumberGenerator()
        let next = try pipeline.combine(shares, global: global, using: &rng)
        let acceptedIDs = shares.flatMap(\.accepted)
        let flagged: [String] = shares.flatMap(\.flags).map(\.id)
        // Bytes by link, measured by the nodes that moved them (participants and aggregators).
        let traffic = Self.traffic(tasks + resent + aggregates)

        // Evaluate on the held-out test set.
        let split = try data.split(spec.data.dataset, testFraction: spec.data.testFraction, seed: UInt64(bitPattern: spec.seed))
        let model = ModelKind(spec.model.architecture, hiddenUnits: spec.model.hiddenUnits)
            .make(featureCount: split.test.featureCount, classCount: split.train.classCount)
        let evaluation = model.evaluate(parameters: next, on: split.test)
        let newDigest = try await ctx.client.putBlob(ParameterBlob.encode(next))
        // Missing: no report in time, or an update that went to an aggregator lost before it combined it.
        let dropped = tasks.filter { $0.status?["phase"]?.stringValue != "Succeeded" }.compactMap { $0.spec?["node"]?.stringValue } + inputs.lost

        // Where the participants got the global model, as they reported it.
        var models = ModelFetches()
        for task in succeeded { models.count(task.status?["modelFrom"]?.stringValue, bytes: Int(task.status?["bytesReceived"]?.intValue ?? 0)) }

        var t = training
        var history = t["rounds"]?.arrayValue ?? []
        var entry: [String: JSONValue] = [
            "round": .int(Int64(round)), "loss": .double(Double(evaluation.loss)), "accuracy": .double(Double(evaluation.accuracy)),
            "participants": .int(Int64(acceptedIDs.count)), "excluded": .array(flagged.map { .string($0) }),
            "dropped": .array(dropped.map { .string($0) }), "bytes": .int(Int64(bytes)),
            "clients": .array(Self.clients(tasks, flagged: Set(flagged))), "traffic": traffic.json,
        ]
        if !inputs.regions.isEmpty { entry["aggregators"] = .array(inputs.regions) }
        // Duration on the controller's clock alone: the round began when it wrote roundStartedAt.
        if let begun = t["roundStartedAt"]?.stringValue, let start = Timestamp.parse(begun) {
            entry["startedAt"] = .string(begun)
            entry["seconds"] = .double(max(0, (ctx.now.timeIntervalSince(start) * 1000).rounded() / 1000))
        }
        if models.total > 0 { entry["models"] = models.json }
        let viaCircuits = succeeded.reduce(Int64(0)) { $0 + ($1.status?["bytesViaCircuits"]?.intValue ?? 0) }
        if viaCircuits > 0 {
            entry["bytesViaCircuits"] = .int(viaCircuits)
            t["bytesViaCircuits"] = .int((t["bytesViaCircuits"]?.intValue ?? 0) + viaCircuits)
        }
        history.append(.object(entry))
        if history.count > Self.historyLimit { history.removeFirst(history.count - Self.historyLimit) }
        // Per-client metrics of the latest rounds only: the job's status stays small.
        Self.trimClients(&history)
        if t["preprocessing"] == nil {
            // A job that started before preprocessing was recorded gets it now.
            t["preprocessing"] = .string(try await ctx.client.putBlob(
                try Preprocessing(catalog: data, dataset: spec.data.dataset, testFraction: spec.data.testFraction,
                                  seed: UInt64(bitPattern: spec.seed)).blob))
        }
        t["rounds"] = .array(history)
        t["model"] = .string(newDigest)
        t["accuracy"] = .double(Double(evaluation.accuracy))
        t["loss"] = .double(Double(evaluation.loss))
        t["bytesSent"] = .int((t["bytesSent"]?.intValue ?? 0) + Int64(bytes))
        t["traffic"] = (TaskTraffic(json: t["traffic"]) + traffic).json
        // Written by earlier versions as arithmetic on model sizes; `traffic` is measured.
        t["bytesCrossRegion"] = nil
        t["bytesCrossRegionFlat"] = nil
        if models.total > 0 { t["modelCache"] = (ModelFetches(json: t["modelCache"]) + models).json }
        var exhausted: String?
        if let privacy {
            let spent = privacy.spent(after: round)
            var last = history.removeLast().objectValue ?? [:]
            last["epsilon"] = .double(spent)
            history.append(.object(last))
            t["rounds"] = .array(history)
            t["privacy"] = ["epsilon": .double(spent), "epsilonBudget": .double(privacy.epsilon), "delta": .double(privacy.delta),
                            "noiseMultiplier": .double(privacy.noiseMultiplier), "clipNorm": .double(privacy.clipNorm)]
            let next = privacy.spent(after: round + 1)
            if round < rounds && next > privacy.epsilon {
                exhausted = String(format: "stopped after round %d: ε %.3g spent; round %d would reach %.3g, above the policy's %.3g", round, spent, round + 1, next, privacy.epsilon)
            }
        }
        let target = spec.training.targetAccuracy
        let done = round >= rounds || (target.map { Double(evaluation.accuracy) >= $0 } ?? false) || exhausted != nil
        // Trust: a delivered, accepted update is a success; an excluded or missing one a failure.
        try await recordOutcomes(succeeded: acceptedIDs, failed: flagged + dropped, ctx)
        // Cost so far: the quote's unit price for the hours run until now.
        let startedAt = Timestamp.parse(t["startedAt"]?.stringValue ?? "") ?? ctx.now
        let hours = ctx.now.timeIntervalSince(startedAt) / 3600
        let cost = try JobCost(quote: job.status?["quote"], used: hours, fallbackUnit: "hour").status()
        var typed = try JSONValue.object(t).statusPart(FederatedJobStatus.Training.self, at: "status.training")
        if done {
            typed.finishedAt = ctx.timestamp
            try await ctx.updateStatus(job, as: FederatedJobStatus.self, fields: [\.phase, \.training, \.cost], { s in
                JobPhase.move(&s, to: .succeeded)
                s.training = typed
                s.cost = cost
            }, conditions: [Condition(type: "Training", status: .false, reason: exhausted == nil ? "Completed" : "PrivacyBudgetExhausted",
                                      message: exhausted ?? String(format: "%d rounds, test accuracy %.4f", round, evaluation.accuracy))])
            await ctx.events.record(job, .normal, reason: "Completed", message: String(format: "trained %d rounds: test accuracy %.4f", round, evaluation.accuracy))
            return .done
        }
        try await ctx.updateStatus(job, as: FederatedJobStatus.self, fields: [\.phase, \.training, \.cost], { s in
            s.training = typed
            s.cost = cost
        }, conditions: [
            Condition(type: "Training", status: .true, reason: "Running", message: String(format: "round %d of %d: test accuracy %.4f", round, rounds, evaluation.accuracy))])
        return try await startRound(job, spec: spec, round: round + 1, model: newDigest, training: t,
                                    participants: job.status?["allocation"]?["participants"]?.arrayValue ?? [],
                                    timeout: timeout, ctx)
    }

    /// Global-model fetches of a round (or of all rounds so far), by where they were served.
    struct ModelFetches {
        var hits = 0, misses = 0, direct = 0
        var serverBytes = 0, bytesWithoutCache = 0
        var total: Int { hits + misses + direct }

        init() {}
        init(json: JSONValue?) {
            hits = Int(json?["hits"]?.intValue ?? 0)
            misses = Int(json?["misses"]?.intValue ?? 0)
            direct = Int(json?["direct"]?.intValue ?? 0)
            serverBytes = Int(json?["serverBytes"]?.intValue ?? 0)
            bytesWithoutCache = Int(json?["bytesWithoutCache"]?.intValue ?? 0)
        }

        /// One fetch as a participant reported it (`status.modelFrom`, `status.bytesReceived`).
        mutating func count(_ from: String?, bytes: Int) {
            guard let from else { return }
            switch from {
            case "cache-hit": hits += 1
            case "cache-miss": misses += 1; serverBytes += bytes
            default: direct += 1; serverBytes += bytes
            }
            bytesWithoutCache += bytes
        }

        static func + (a: Self, b: Self) -> Self {
            var s = a
            s.hits += b.hits; s.misses += b.misses; s.direct += b.direct
            s.serverBytes += b.serverBytes; s.bytesWithoutCache += b.bytesWithoutCache
            return s
        }

        var json: JSONValue {
            ["hits": .int(Int64(hits)), "misses": .int(Int64(misses)), "direct": .int(Int64(direct)),
             "serverBytes": .int(Int64(serverBytes)), "bytesWithoutCache": .int(Int64(bytesWithoutCache))]
        }
    }

    /// Drops `clients` from all but the latest rounds: at most `clientHistoryLimit` rounds and
    /// `clientEntryLimit` entries keep them (the latest round always does), and no older
    /// round keeps them once a newer one has lost them.
    public static func trimClients(_ history: inout [JSONValue]) {
        var kept = 0
        var keeping = true
        for (n, i) in history.indices.reversed().enumerated() {
            let count = history[i]["clients"]?.arrayValue?.count ?? 0
            if keeping && (n == 0 || (n < clientHistoryLimit && kept + count <= clientEntryLimit)) {
                kept += count
                continue
            }
            keeping = false
            guard history[i]["clients"] != nil else { continue }
            var old = history[i].objectValue ?? [:]
            old["clients"] = nil
            history[i] = .object(old)
        }
    }

    /// One entry per task of a round: the node, how its task ended (Excluded when its update
    /// was flagged; Missing when it never reported), and what it reported.
    static func clients(_ tasks: [Resource], flagged: Set<String>) -> [JSONValue] {
        tasks.compactMap { task -> JSONValue? in
            guard let node = task.spec?["node"]?.stringValue else { return nil }
            let s = task.status
            var c: [String: JSONValue] = ["node": .string(node)]
            c["status"] = .string(flagged.contains(node) ? "Excluded" : (s?["phase"]?.stringValue ?? "Missing"))
            if let v = s?["samples"] { c["samples"] = v }
            if let v = s?["loss"] { c["loss"] = v }
            if let v = s?["bytesSent"] { c["bytes"] = v }
            if let v = s?["reason"] { c["reason"] = v }
            return .object(c)
        }.sorted { ($0["node"]?.stringValue ?? "") < ($1["node"]?.stringValue ?? "") }
    }

    func recordOutcomes(succeeded: [String], failed: [String], _ ctx: ReconcileContext) async throws {
        var tally: [String: (Int64, Int64)] = [:]
        for n in succeeded { tally[n, default: (0, 0)].0 += 1 }
        for n in failed { tally[n, default: (0, 0)].1 += 1 }
        // Every participant's tally in one transaction (compare-and-swap on each node's counts);
        // a conflict (another job's tally) reads them again and retries the batch.
        for _ in 0..<5 {
            var patches: [StatusPatch] = []
            for (name, (s, f)) in tally.sorted(by: { $0.key < $1.key }) {
                guard let node = try await ctx.client.get(ObjectKey(kind: "FogNode", namespace: "", name: name)) else { continue }
                let old = node.status?["taskOutcomes"]
                let patch: JSONValue = ["taskOutcomes": ["succeeded": .int((old?["succeeded"]?.intValue ?? 0) + s),
                                                         "failed": .int((old?["failed"]?.intValue ?? 0) + f)]]
                patches.append(StatusPatch(key: node.key, expect: [.init(path: "taskOutcomes", value: old)], patch: patch))
            }
            guard !patches.isEmpty else { return }
            do {
                _ = try await ctx.client.patchStatuses(patches)
                return
            } catch let e as StoreError where e.code == .conflict { continue }
        }
    }

    func fail(_ job: Resource, _ ctx: ReconcileContext, reason: String, message: String) async throws {
        try await ctx.updateStatus(job, as: FederatedJobStatus.self, fields: [\.phase, \.training, \.cost], { s in JobPhase.move(&s, to: .failed) },
                                   conditions: [Condition(type: "Failed", status: .true, reason: reason, message: message)])
    }
}
