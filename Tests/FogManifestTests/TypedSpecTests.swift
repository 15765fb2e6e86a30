import FogManifest
import FogModel
import Foundation
import Testing

/// The typed specs (`FogModel/Kinds`) decode what users write, and what they leave out reads
/// as the schema's default: the defaults are compared with the schemas themselves, never with
/// numbers repeated here.
@Suite struct TypedSpecTests {
    static func manifests(_ dir: String) throws -> [Resource] {
        try ManifestDecoder().decode(ManifestInput.load(paths: [repoRoot + "/" + dir], recursive: false)).map(\.resource)
    }

    /// Decodes `object`'s spec with the type of its kind; false for a kind with no typed spec.
    static func decodesTyped(_ object: Resource) throws -> Bool {
        let s = SchemaSet.builtIn
        switch object.kind {
        case FogNodeSpec.kind: _ = try s.spec(FogNodeSpec.self, of: object)
        case TierSpec.kind: _ = try s.spec(TierSpec.self, of: object)
        case PrivacyPolicySpec.kind: _ = try s.spec(PrivacyPolicySpec.self, of: object)
        case FederatedJobSpec.kind: _ = try s.spec(FederatedJobSpec.self, of: object)
        case HarvestPolicySpec.kind: _ = try s.spec(HarvestPolicySpec.self, of: object)
        case TrainingTaskSpec.kind: _ = try s.spec(TrainingTaskSpec.self, of: object)
        case GitSourceSpec.kind: _ = try s.spec(GitSourceSpec.self, of: object)
        case AuctionSpec.kind: _ = try s.spec(AuctionSpec.self, of: object)
        case BidSpec.kind: _ = try s.spec(BidSpec.self, of: object)
        case CircuitPoolSpec.kind: _ = try s.spec(CircuitPoolSpec.self, of: object)
        default: return false
        }
        return true
    }

    @Test(arguments: ["examples/quickstart", "manifests", "examples/robust"])
    func everySpecOfTheShippedManifestsDecodes(_ dir: String) throws {
        let objects = try Self.manifests(dir)
        #expect(!objects.isEmpty)
        for o in objects {
            #expect(try Self.decodesTyped(o), "\(o.kind) has no typed spec")
        }
    }

    @Test func theQuickStartReadsAsWritten() throws {
        let objects = try Self.manifests("examples/quickstart")
        func find(_ kind: String, _ name: String) throws -> Resource { try #require(objects.first { $0.kind == kind && $0.name == name }) }

        let training = try find("FederatedJob", "digits-fedavg").decodeSpec(FederatedJobSpec.self)
        #expect(training.type == .training && training.tier == "medium" && training.privacy == "low")
        #expect(training.training.rounds == 30 && training.training.learningRate == 0.5 && training.training.roundTimeout == "30s")
        #expect(training.participants.min == 8 && training.participants.max == 10 && training.participants.maxOrMin == 10)
        #expect(training.hierarchy.enabled && training.placement.regions == ["eu-west", "us-east", "ap-south"])
        let r = training.placement.requirements
        #expect(r.cpu == 2 && r.memoryGiB == 2 && !r.gpu)
        #expect(training.budget?.max == 200 && training.budget?.currency == "USD" && training.seed == 42)

        let inference = try find("FederatedJob", "digits-inference").decodeSpec(FederatedJobSpec.self)
        #expect(inference.type == .inference && inference.model.fromJob == "digits-fedavg")
        #expect(inference.inference.requests == 50 && inference.inference.batchSize == 10 && inference.inference.maxLatencyMs == 1000)
        #expect(inference.placement.algorithm == .latencyOptimized)
        #expect(inference.participants.max == 3)

        let phone = try find("FogNode", "eu-west-mobile-1").decodeSpec(FogNodeSpec.self)
        #expect(phone.class == .mobile && phone.region == "eu-west" && phone.zone == "eu-west-a")
        #expect(phone.capacity.cpu == 4 && phone.capacity.memoryGiB == 4 && phone.capacity.gpu == nil && phone.capacity.tokensPerSecond == 12)
        #expect(phone.price?.askPerHour == 0.05 && phone.price?.askPerRequest == 0.004 && phone.price?.currency == "USD")
        #expect(phone.profile == "Mobile")
        #expect(phone.roles == [.compute] && !phone.unschedulable)

        let small = try find("Tier", "small").decodeSpec(TierSpec.self)
        #expect(small.size == .small && small.deviceClasses == [.mobile, .edge] && small.allowedPrivacyLevels == [.low, .medium])
        #expect(small.inference.pricePerRequest.min == 0.01 && small.inference.pricePerRequest.max == 0.1 && small.sla.maxLatencyMs == nil)
        #expect(small.volumeDiscounts?.first?.minRequests == 1000 && small.volumeDiscounts?.first?.percent == 5)

        let high = try find("PrivacyPolicy", "high").decodeSpec(PrivacyPolicySpec.self)
        #expect(high.level == .high && high.differentialPrivacy?.enabled == true && high.onionRouting?.enabled == true)

        let desktops = try find("HarvestPolicy", "desktops-overnight").decodeSpec(HarvestPolicySpec.self)
        #expect(desktops.nodeSelector?.matches(["fog/harvest": "overnight", "fog/class": "edge"]) == true)
        #expect(desktops.nodeSelector?.matches(["fog/harvest": "overnight", "fog/class": "cloud"]) == false)
        #expect(desktops.windows?.first?.days == [.Mon, .Tue, .Wed, .Thu, .Fri] && desktops.maxCpuShare == 0.75)
    }

    // MARK: Defaults

    /// The `default` the schema of `kind` declares for `path` below `spec` (`training.rounds`).
    static func schemaDefault(_ kind: String, _ path: String) throws -> JSONValue {
        var node = try #require(SchemaSet.builtIn.byKind[kind]?.raw["properties"]?["spec"])
        for key in path.split(separator: ".") { node = try #require(node["properties"]?[String(key)], "\(kind) spec.\(path)") }
        return try #require(node["default"], "\(kind) spec.\(path) has no default")
    }

    /// Whether `value` is the schema's default for `path` (numbers compared by value).
    static func isDefault(_ value: JSONValue, _ kind: String, _ path: String) throws -> Bool {
        let d = try schemaDefault(kind, path)
        if let a = value.numberValue, let b = d.numberValue { return a == b }
        return value == d
    }

    /// Each kind with only what its schema requires, as a manifest (admitted, defaulted by
    /// `ManifestDecoder`) and as an object made in-process (defaulted only when decoded): both
    /// read the same, and every field left out reads as its schema default.
    static func minimal(_ kind: String, _ spec: String, namespaced: Bool) throws -> (admitted: Resource, inProcess: Resource) {
        let yaml = "apiVersion: fog/v1alpha1\nkind: \(kind)\nmetadata: {name: m}\nspec:\n" + spec
        let admitted = try #require(try ManifestDecoder().decode([ManifestInput(name: "m.yaml", bytes: Array(yaml.utf8))]).first?.resource)
        let inProcess = Resource(kind: kind, metadata: ObjectMeta(name: "m", namespace: namespaced ? "default" : ""),
                                 content: ["spec": try #require(try YAMLTestReader.json(spec))])
        return (admitted, inProcess)
    }

    @Test func aMinimalFogNodeGetsTheSchemaDefaults() throws {
        let (admitted, inProcess) = try Self.minimal("FogNode", """
              region: eu-west
              class: edge
              capacity: {cpu: 2, memoryGiB: 4, gpu: {model: RTX 4090}}
              price: {askPerHour: 1}
            """, namespaced: false)
        let spec = try admitted.decodeSpec(FogNodeSpec.self)
        #expect(try inProcess.decodeSpec(FogNodeSpec.self) == spec)
        let k = FogNodeSpec.kind
        #expect(try Self.isDefault(.array(spec.roles.map { .string($0.rawValue) }), k, "roles"))
        #expect(try Self.isDefault(.bool(spec.unschedulable), k, "unschedulable"))
        #expect(try Self.isDefault(.int(Int64(try #require(spec.capacity.gpu).count)), k, "capacity.gpu.count"))
        #expect(try Self.isDefault(.string(try #require(spec.price).currency), k, "price.currency"))
        #expect(spec.zone == nil && spec.owner == nil && spec.profile == nil && spec.price?.askPerRequest == nil)
    }

    @Test func aMinimalTierGetsTheSchemaDefaults() throws {
        let (admitted, inProcess) = try Self.minimal("Tier", """
              size: small
              inference: {pricePerRequest: {min: 0.01}}
              training: {pricePerHour: {min: 1, max: 10}}
              deviceClasses: [edge]
              sla: {uptimePercent: 90}
            """, namespaced: false)
        let spec = try admitted.decodeSpec(TierSpec.self)
        #expect(try inProcess.decodeSpec(TierSpec.self) == spec)
        let k = TierSpec.kind
        #expect(try Self.isDefault(.string(spec.currency), k, "currency"))
        #expect(try Self.isDefault(.array(spec.allowedPrivacyLevels.map { .string($0.rawValue) }), k, "allowedPrivacyLevels"))
        #expect(try Self.isDefault(.bool(spec.dedicated), k, "dedicated"))
        #expect(spec.inference.pricePerRequest.max == nil && spec.maxConcurrentJobs == nil && spec.volumeDiscounts == nil)
    }

    @Test func aMinimalPrivacyPolicyGetsTheSchemaDefaults() throws {
        let (admitted, inProcess) = try Self.minimal("PrivacyPolicy", """
              level: critical
              anonymization: {}
              differentialPrivacy: {}
              secureAggregation: {}
              onionRouting: {}
            """, namespaced: false)
        let spec = try admitted.decodeSpec(PrivacyPolicySpec.self)
        #expect(try inProcess.decodeSpec(PrivacyPolicySpec.self) == spec)
        let k = PrivacyPolicySpec.kind
        #expect(try Self.isDefault(.double(spec.priceMultiplier), k, "priceMultiplier"))
        #expect(try Self.isDefault(.bool(try #require(spec.anonymization).enabled), k, "anonymization.enabled"))
        #expect(try Self.isDefault(.bool(try #require(spec.secureAggregation).enabled), k, "secureAggregation.enabled"))
        let dp = try #require(spec.differentialPrivacy)
        #expect(try Self.isDefault(.bool(dp.enabled), k, "differentialPrivacy.enabled"))
        #expect(try Self.isDefault(.double(dp.epsilon), k, "differentialPrivacy.epsilon"))
        #expect(try Self.isDefault(.double(dp.delta), k, "differentialPrivacy.delta"))
        #expect(try Self.isDefault(.double(dp.clipNorm), k, "differentialPrivacy.clipNorm"))
        #expect(dp.noiseMultiplier == nil)
        let onion = try #require(spec.onionRouting)
        #expect(try Self.isDefault(.bool(onion.enabled), k, "onionRouting.enabled"))
        #expect(try Self.isDefault(.int(Int64(onion.hops)), k, "onionRouting.hops"))
        // Absent mechanism blocks stay absent: off.
        let bare = try SchemaSet.builtIn.spec(PrivacyPolicySpec.self, from: ["level": "low"])
        #expect(bare.anonymization == nil && bare.differentialPrivacy == nil && bare.onionRouting == nil)
    }

    @Test func aMinimalFederatedJobGetsTheSchemaDefaults() throws {
        let (admitted, inProcess) = try Self.minimal("FederatedJob", """
              type: training
              tier: small
              budget: {max: 10}
              allocation: {auction: {}}
            """, namespaced: true)
        let spec = try admitted.decodeSpec(FederatedJobSpec.self)
        #expect(try inProcess.decodeSpec(FederatedJobSpec.self) == spec)
        let k = FederatedJobSpec.kind
        func check(_ value: JSONValue, _ path: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
            #expect(try Self.isDefault(value, k, path), "spec.\(path) = \(value)", sourceLocation: sourceLocation)
        }
        try check(.string(spec.privacy), "privacy")
        try check(.string(spec.model.architecture.rawValue), "model.architecture")
        try check(.string(spec.model.sizeClass.rawValue), "model.sizeClass")
        try check(.int(Int64(spec.model.hiddenUnits)), "model.hiddenUnits")
        #expect(try Self.schemaDefault(k, "data")["dataset"] == .string(spec.data.dataset))
        try check(.double(spec.data.testFraction), "data.testFraction")
        try check(.string(spec.data.partition.type.rawValue), "data.partition.type")
        try check(.double(spec.data.partition.alpha), "data.partition.alpha")
        try check(.int(Int64(spec.training.rounds)), "training.rounds")
        try check(.int(Int64(spec.training.localEpochs)), "training.localEpochs")
        try check(.double(spec.training.learningRate), "training.learningRate")
        try check(.int(Int64(spec.training.batchSize)), "training.batchSize")
        try check(.double(spec.training.proximalMu), "training.proximalMu")
        try check(.string(spec.training.roundTimeout), "training.roundTimeout")
        try check(.int(Int64(spec.inference.requests)), "inference.requests")
        try check(.int(Int64(spec.inference.batchSize)), "inference.batchSize")
        try check(.string(spec.aggregation.strategy.rawValue), "aggregation.strategy")
        try check(.double(spec.aggregation.trimBeta), "aggregation.trimBeta")
        try check(.int(Int64(spec.aggregation.byzantineF)), "aggregation.byzantineF")
        try check(.bool(spec.aggregation.byzantineDetection), "aggregation.byzantineDetection")
        try check(.string(spec.aggregation.compression.rawValue), "aggregation.compression")
        try check(.double(spec.aggregation.topkFraction), "aggregation.topkFraction")
        try check(.int(Int64(spec.participants.min)), "participants.min")
        try check(.bool(spec.hierarchy.enabled), "hierarchy.enabled")
        try check(.string(spec.placement.algorithm.rawValue), "placement.algorithm")
        try check(.double(spec.placement.minTrust), "placement.minTrust")
        try check(.double(spec.placement.requirements.cpu), "placement.requirements.cpu")
        try check(.double(spec.placement.requirements.memoryGiB), "placement.requirements.memoryGiB")
        try check(.bool(spec.placement.requirements.gpu), "placement.requirements.gpu")
        try check(.string(spec.allocation.mode.rawValue), "allocation.mode")
        let auction = try #require(spec.allocation.auction)
        try check(.string(auction.mechanism.rawValue), "allocation.auction.mechanism")
        try check(.string(auction.duration), "allocation.auction.duration")
        try check(.double(auction.trustWeight), "allocation.auction.trustWeight")
        try check(.string(try #require(spec.budget).currency), "budget.currency")
        try check(.int(spec.seed), "seed")
        // No default: absent. participants.max follows min (a default the schema cannot hold).
        #expect(spec.participants.max == nil && spec.participants.maxOrMin == spec.participants.min)
        #expect(spec.model.fromJob == nil && spec.data.path == nil && spec.training.targetAccuracy == nil && spec.deadline == nil)
        #expect(spec.placement.regions == nil && spec.placement.deviceClasses == nil && spec.inference.maxLatencyMs == nil)
    }

    @Test func aMinimalHarvestPolicyGetsTheSchemaDefaults() throws {
        let (admitted, inProcess) = try Self.minimal("HarvestPolicy", "  {}\n", namespaced: false)
        let spec = try admitted.decodeSpec(HarvestPolicySpec.self)
        #expect(try inProcess.decodeSpec(HarvestPolicySpec.self) == spec)
        let k = HarvestPolicySpec.kind
        #expect(try Self.isDefault(.bool(spec.requireCharging), k, "requireCharging"))
        #expect(try Self.isDefault(.double(spec.minBatteryPercent), k, "minBatteryPercent"))
        #expect(try Self.isDefault(.double(spec.maxThermalCelsius), k, "maxThermalCelsius"))
        #expect(try Self.isDefault(.double(spec.minIdleSeconds), k, "minIdleSeconds"))
        #expect(try Self.isDefault(.double(spec.maxCpuShare), k, "maxCpuShare"))
        #expect(try Self.isDefault(.string(spec.timeZone), k, "timeZone"))
        #expect(spec.nodeSelector == nil && spec.windows == nil)
    }

    @Test func aMinimalGitSourceGetsTheSchemaDefaults() throws {
        let (admitted, inProcess) = try Self.minimal("GitSource", "  {url: /srv/fleet.git}\n", namespaced: true)
        let spec = try admitted.decodeSpec(GitSourceSpec.self)
        #expect(try inProcess.decodeSpec(GitSourceSpec.self) == spec)
        let k = GitSourceSpec.kind
        #expect(try Self.isDefault(.string(spec.ref), k, "ref"))
        #expect(try Self.isDefault(.string(spec.path), k, "path"))
        #expect(try Self.isDefault(.string(spec.interval), k, "interval"))
        #expect(try Self.isDefault(.string(spec.timeout), k, "timeout"))
        #expect(try Self.isDefault(.bool(spec.prune), k, "prune"))
        #expect(try Self.isDefault(.bool(spec.suspend), k, "suspend"))
        #expect(try Self.isDefault(.string(spec.driftPolicy.rawValue), k, "driftPolicy"))
        #expect(try Self.isDefault(.double(spec.pruneSafety.maxDeleteShare), k, "pruneSafety.maxDeleteShare"))
        #expect(try Self.isDefault(.bool(spec.pruneSafety.allowEmpty), k, "pruneSafety.allowEmpty"))
        #expect(try Self.isDefault(.bool(spec.pruneSafety.allowMissingPath), k, "pruneSafety.allowMissingPath"))
        #expect(spec.dependsOn == nil && spec.targetNamespace == nil && spec.secretRef == nil)
    }

    @Test func aMinimalTrainingTaskGetsTheSchemaDefaults() throws {
        let (admitted, inProcess) = try Self.minimal("TrainingTask", "  {job: j, round: 1, node: n}\n", namespaced: true)
        let spec = try admitted.decodeSpec(TrainingTaskSpec.self)
        #expect(try inProcess.decodeSpec(TrainingTaskSpec.self) == spec)
        let k = TrainingTaskSpec.kind
        #expect(try Self.isDefault(.string(spec.type.rawValue), k, "type"))
        #expect(try Self.isDefault(["index": .int(Int64(spec.shard.index)), "count": .int(Int64(spec.shard.count))], k, "shard"))
        #expect(try Self.isDefault(.string(spec.partition.rawValue), k, "partition"))
        #expect(try Self.isDefault(.double(spec.alpha), k, "alpha"))
        #expect(try Self.isDefault(.double(spec.testFraction), k, "testFraction"))
        #expect(try Self.isDefault(.string(spec.architecture.rawValue), k, "architecture"))
        #expect(try Self.isDefault(.int(Int64(spec.hiddenUnits)), k, "hiddenUnits"))
        #expect(try Self.isDefault(.double(spec.learningRate), k, "learningRate"))
        #expect(try Self.isDefault(.int(Int64(spec.batchSize)), k, "batchSize"))
        #expect(try Self.isDefault(.int(Int64(spec.localEpochs)), k, "localEpochs"))
        #expect(try Self.isDefault(.double(spec.proximalMu), k, "proximalMu"))
        #expect(try Self.isDefault(.string(spec.compression.rawValue), k, "compression"))
        #expect(try Self.isDefault(.double(spec.topkFraction), k, "topkFraction"))
        #expect(try Self.isDefault(.int(spec.seed), k, "seed"))
        #expect(spec.dataset == nil && spec.model == nil && spec.rows == nil && spec.input == nil && spec.deadline == nil)
    }

    @Test func aMinimalAuctionGetsTheSchemaDefaults() throws {
        let (admitted, inProcess) = try Self.minimal("Auction", "  {participantsWanted: 3}\n", namespaced: true)
        let spec = try admitted.decodeSpec(AuctionSpec.self)
        #expect(try inProcess.decodeSpec(AuctionSpec.self) == spec)
        let k = AuctionSpec.kind
        #expect(try Self.isDefault(.string(spec.mechanism.rawValue), k, "mechanism"))
        #expect(try Self.isDefault(.string(spec.unit.rawValue), k, "unit"))
        #expect(try Self.isDefault(.double(spec.units), k, "units"))
        #expect(try Self.isDefault(.int(Int64(spec.maxRounds)), k, "maxRounds"))
        #expect(try Self.isDefault(.string(spec.currency), k, "currency"))
        #expect(try Self.isDefault(.bool(spec.hierarchy), k, "hierarchy"))
        #expect(try Self.isDefault(.string(spec.duration), k, "duration"))
        #expect(try Self.isDefault(.double(spec.minTrust), k, "minTrust"))
        #expect(try Self.isDefault(.double(spec.trustWeight), k, "trustWeight"))
        #expect(spec.job == nil && spec.reservePrice == nil && spec.reserveCeiling == nil && spec.regions == nil && spec.closesAt == nil)
    }

    @Test func aMinimalBidReadsAsWritten() throws {
        let (admitted, inProcess) = try Self.minimal("Bid", "  {auction: a, node: n, price: 1.5}\n", namespaced: true)
        let spec = try admitted.decodeSpec(BidSpec.self)
        #expect(try inProcess.decodeSpec(BidSpec.self) == spec)
        #expect(spec.auction == "a" && spec.node == "n" && spec.price == 1.5 && spec.capacity == nil && spec.expiresAt == nil)
    }

    // MARK: Errors

    @Test func aSpecThatDoesNotDecodeNamesTheField() throws {
        let node = Resource(kind: "FogNode", metadata: ObjectMeta(name: "n"),
                            content: ["spec": ["region": "eu-west", "class": "edge", "capacity": ["cpu": "x", "memoryGiB": 1]]])
        #expect(throws: JSONDecodingError(path: "spec.capacity.cpu", message: #"must be a number (got string "x")"#)) {
            try node.decodeSpec(FogNodeSpec.self)
        }
        let phone = Resource(kind: "FogNode", metadata: ObjectMeta(name: "p"), content: ["spec": ["region": "eu-west", "class": "phone"]])
        #expect(throws: JSONDecodingError(path: "spec.class", message: #"must be one of: mobile, edge, fog, cloud (got "phone")"#)) {
            try phone.decodeSpec(FogNodeSpec.self)
        }
        let job = Resource(kind: "FederatedJob", metadata: ObjectMeta(name: "j", namespace: "default"),
                           content: ["spec": ["type": "training", "tier": "small", "training": ["rounds": "ten"]]])
        #expect(throws: JSONDecodingError(path: "spec.training.rounds", message: #"must be an integer (got string "ten")"#)) {
            try job.decodeSpec(FederatedJobSpec.self)
        }
        #expect(throws: JSONDecodingError(path: "spec.tier", message: "required field is missing")) {
            try SchemaSet.builtIn.spec(FederatedJobSpec.self, from: ["type": "training"])
        }
        #expect(throws: JSONDecodingError(path: "kind", message: "must be FederatedJob (got FogNode)")) {
            try node.decodeSpec(FederatedJobSpec.self)
        }
    }
}

/// YAML text to JSON through the manifest reader (a spec body indented under `spec:`).
enum YAMLTestReader {
    static func json(_ indentedSpec: String) throws -> JSONValue? {
        let yaml = "apiVersion: fog/v1alpha1\nkind: Event\nmetadata: {name: x}\nspec:\n" + indentedSpec
        let parsed = YAMLReader.parse(Array(yaml.utf8), file: "x.yaml")
        guard parsed.errors.isEmpty else { throw parsed.errors[0] }
        return parsed.documents.first?.value["spec"]
    }
}
