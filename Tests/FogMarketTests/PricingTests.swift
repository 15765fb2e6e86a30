import Foundation
import Testing
import FogManifest
@testable import FogMarket
import FogModel

// Pricing takes typed specs. The fixtures below are JSON, read as the controllers read stored
// specs: decoded with their schemas' defaults filled in (`SchemaSet.spec`).
extension QuoteRequest {
    fileprivate init(jobSpec: JSONValue, privacySpec: JSONValue?) throws {
        try self.init(job: SchemaSet.builtIn.spec(FederatedJobSpec.self, from: jobSpec),
                      privacy: privacySpec.map { try SchemaSet.builtIn.spec(PrivacyPolicySpec.self, from: $0) })
    }
}

extension TierTerms {
    fileprivate init(name: String, json: JSONValue) throws {
        try self.init(name: name, spec: SchemaSet.builtIn.spec(TierSpec.self, from: json))
    }
}

// MARK: - Fixtures: the specs of manifests/tiers.yaml and manifests/privacy-policies.yaml

fileprivate enum PricingFixtures {
    static let tiers: [String: JSONValue] = [
        "small": [
            "size": "small", "currency": "USD",
            "inference": ["pricePerRequest": ["min": 0.01, "max": 0.10]],
            "training": ["pricePerHour": ["min": 1, "max": 10]],
            "deviceClasses": ["mobile", "edge"], "allowedPrivacyLevels": ["low", "medium"], "dedicated": false,
            "sla": ["uptimePercent": 95], "maxConcurrentJobs": 5,
            "volumeDiscounts": [["minRequests": 1000, "percent": 5], ["minRequests": 10000, "percent": 10],
                                ["minHours": 50, "percent": 5], ["minHours": 200, "percent": 10]],
        ],
        "medium": [
            "size": "medium", "currency": "USD",
            "inference": ["pricePerRequest": ["min": 0.10, "max": 1.00]],
            "training": ["pricePerHour": ["min": 10, "max": 100]],
            "deviceClasses": ["edge", "fog"], "allowedPrivacyLevels": ["low", "medium", "high"], "dedicated": false,
            "sla": ["uptimePercent": 98, "maxLatencyMs": 500], "maxConcurrentJobs": 20,
            "volumeDiscounts": [["minRequests": 1000, "percent": 10], ["minRequests": 10000, "percent": 15],
                                ["minHours": 24, "percent": 10], ["minHours": 100, "percent": 15]],
        ],
        "large": [
            "size": "large", "currency": "USD",
            "inference": ["pricePerRequest": ["min": 1.00, "max": 10.00]],
            "training": ["pricePerHour": ["min": 100, "max": 1000]],
            "deviceClasses": ["cloud"], "allowedPrivacyLevels": ["low", "medium", "high", "critical"], "dedicated": false,
            "sla": ["uptimePercent": 99, "maxLatencyMs": 200], "maxConcurrentJobs": 50,
            "volumeDiscounts": [["minRequests": 1000, "percent": 10], ["minRequests": 10000, "percent": 15],
                                ["minRequests": 100_000, "percent": 20], ["minHours": 24, "percent": 10],
                                ["minHours": 100, "percent": 15], ["minHours": 500, "percent": 20]],
        ],
        "enterprise": [
            "size": "enterprise", "currency": "USD",
            "inference": ["pricePerRequest": ["min": 10.00]],
            "training": ["pricePerHour": ["min": 1000]],
            "deviceClasses": ["cloud"], "allowedPrivacyLevels": ["low", "medium", "high", "critical"], "dedicated": true,
            "sla": ["uptimePercent": 99.9, "maxLatencyMs": 50],
            "volumeDiscounts": [["minRequests": 10000, "percent": 15], ["minRequests": 100_000, "percent": 20],
                                ["minHours": 100, "percent": 15], ["minHours": 500, "percent": 20]],
        ],
    ]
    static let tierNames = ["small", "medium", "large", "enterprise"]
    static func tier(_ name: String) -> TierTerms { try! TierTerms(name: name, json: tiers[name]!) }

    static let privacyLevels = ["low", "medium", "high", "critical"]
    static let privacyMultipliers: [String: Double] = ["low": 1.0, "medium": 1.2, "high": 1.5, "critical": 1.8]
    static func privacy(_ level: String) -> JSONValue {
        ["level": .string(level), "priceMultiplier": .double(privacyMultipliers[level]!)]
    }

    /// examples/quickstart/jobs.yaml, digits-fedavg.
    static let digitsFedavg: JSONValue = [
        "type": "training", "tier": "medium", "privacy": "low",
        "model": ["architecture": "logistic-regression", "sizeClass": "small"],
        "data": ["dataset": "digits", "testFraction": 0.2, "partition": ["type": "iid"]],
        "training": ["rounds": 30, "localEpochs": 1, "learningRate": 0.1, "batchSize": 32, "roundTimeout": "30s"],
        "aggregation": ["strategy": "fedavg", "byzantineDetection": false],
        "participants": ["min": 8, "max": 10],
        "budget": ["max": 200, "currency": "USD"], "seed": 42,
    ]
    /// The seed's small-tier mobile inference (quickstart digits-inference).
    static let mobileInference: JSONValue = [
        "type": "inference", "tier": "small", "privacy": "low",
        "model": ["sizeClass": "small", "fromJob": "digits-fedavg"],
        "inference": ["requests": 50, "batchSize": 10, "maxLatencyMs": 1000],
        "participants": ["min": 3, "max": 3], "budget": ["max": 5, "currency": "USD"],
    ]
    /// The seed's medium-tier large-model inference: 1,000 requests, 10 participants, privacy medium.
    static let largeModelInference: JSONValue = [
        "type": "inference", "tier": "medium", "privacy": "medium",
        "model": ["sizeClass": "large"], "inference": ["requests": 1000], "participants": ["min": 10],
    ]
    /// Half the eligible CPU allocated: the seed's market factor 1.1.
    static let halfUsed = MarketState(allocatedCpu: 12, allocatableCpu: 24)
}

/// Draws for the property sweeps, from FogModel's seeded SplitMix64.
fileprivate extension SplitMix64 {
    /// Uniform in [0, 1).
    mutating func unit() -> Double { Double(next() >> 11) * 0x1p-53 }
    mutating func int(_ range: ClosedRange<Int>) -> Int {
        range.lowerBound + Int(next() % UInt64(range.upperBound - range.lowerBound + 1))
    }
    /// Log-uniform in [low, high].
    mutating func logUniform(_ low: Double, _ high: Double) -> Double { low * pow(high / low, unit()) }
    mutating func pick<T>(_ items: [T]) -> T { items[int(0...(items.count - 1))] }
}

/// Equal within `relative` of the larger magnitude.
fileprivate func nearly(_ a: Double, _ b: Double, relative: Double = 1e-9) -> Bool {
    if a == b { return true }
    return abs(a - b) <= relative * max(abs(a), abs(b))
}

@Suite struct PricingTests {
    // MARK: Factors

    @Test func baseIsTheGeometricMeanOfTheRange() {
        #expect(nearly(Pricing.base(PriceRange(min: 0.01, max: 0.10)), 0.031622776601683794))
        #expect(nearly(Pricing.base(PriceRange(min: 0.10, max: 1.00)), 0.31622776601683794))
        #expect(nearly(Pricing.base(PriceRange(min: 10, max: 100)), 31.622776601683793))
        #expect(Pricing.base(PriceRange(min: 4, max: 9)) == 6)
        #expect(Pricing.base(PriceRange(min: 5, max: 5)) == 5)
        // No maximum (enterprise): the floor.
        #expect(Pricing.base(PriceRange(min: 10)) == 10)
        // A free floor makes a free tier.
        #expect(Pricing.base(PriceRange(min: 0, max: 1)) == 0)
    }

    @Test func modelMultipliersFollowTheTable() {
        #expect(Pricing.modelMultiplier(sizeClass: "small") == 1.0)
        #expect(Pricing.modelMultiplier(sizeClass: "medium") == 1.5)
        #expect(Pricing.modelMultiplier(sizeClass: "large") == 2.0)
        #expect(Pricing.modelMultiplier(sizeClass: "xlarge") == 4.0)
        #expect(Pricing.modelMultiplier(sizeClass: "huge") == nil)
        #expect(Pricing.modelMultiplier(sizeClass: "") == nil)
        #expect(Pricing.modelMultiplier(sizeClass: "Small") == nil)
    }

    @Test func participantsAreSubLinear() {
        #expect(Pricing.participantsMultiplier(1) == 1)
        #expect(nearly(Pricing.participantsMultiplier(10), 1.9054607179632472))  // the seed's 1.9
        #expect(abs(Pricing.participantsMultiplier(10) - 1.9) < 0.01)
        #expect(nearly(Pricing.participantsMultiplier(3), 1.360172378791096))
        #expect(nearly(Pricing.participantsMultiplier(2), 1.2141948843950347))
        #expect(nearly(Pricing.participantsMultiplier(100), 3.630780547701014))
        #expect(nearly(Pricing.participantsMultiplier(10), exp(0.28 * log(10.0)), relative: 1e-12))
        // Fewer than one counts as one.
        #expect(Pricing.participantsMultiplier(0) == 1)
        #expect(Pricing.participantsMultiplier(-5) == 1)
    }

    @Test func marketFollowsUtilisationWithinBounds() {
        #expect(Pricing.marketMultiplier(utilisation: 0) == 0.9)
        #expect(nearly(Pricing.marketMultiplier(utilisation: 0.25), 1.0))
        #expect(nearly(Pricing.marketMultiplier(utilisation: 0.5), 1.1))
        #expect(nearly(Pricing.marketMultiplier(utilisation: 0.75), 1.2))
        #expect(nearly(Pricing.marketMultiplier(utilisation: 1), 1.3))
        #expect(Pricing.marketMultiplier(utilisation: 1.7) == 1.3)
        #expect(Pricing.marketMultiplier(utilisation: -0.5) == 0.9)
        #expect(Pricing.marketMultiplier(utilisation: .infinity) == 1.3)
        #expect(Pricing.marketMultiplier(utilisation: .nan) == 1.0)

        #expect(nearly(Pricing.marketMultiplier(PricingFixtures.halfUsed), 1.1))
        #expect(Pricing.marketMultiplier(MarketState(allocatedCpu: 0, allocatableCpu: 8)) == 0.9)
        #expect(nearly(Pricing.marketMultiplier(MarketState(allocatedCpu: 8, allocatableCpu: 8)), 1.3))
        // Overcommitted supply is held at the top.
        #expect(Pricing.marketMultiplier(MarketState(allocatedCpu: 20, allocatableCpu: 8)) == 1.3)
        // Negative allocation counts as none.
        #expect(Pricing.marketMultiplier(MarketState(allocatedCpu: -3, allocatableCpu: 8)) == 0.9)
    }

    @Test func noSupplyInformationIsNeutral() {
        #expect(MarketState.noSupply.utilisation == nil)
        #expect(Pricing.marketMultiplier(.noSupply) == 1.0)
        #expect(Pricing.marketMultiplier(MarketState(allocatedCpu: 4, allocatableCpu: 0)) == 1.0)
        #expect(Pricing.marketMultiplier(MarketState(allocatedCpu: 4, allocatableCpu: -2)) == 1.0)
        #expect(Pricing.marketMultiplier(MarketState(allocatedCpu: .nan, allocatableCpu: 8)) == 1.0)
        #expect(Pricing.marketMultiplier(MarketState(allocatedCpu: 1, allocatableCpu: .infinity)) == 1.0)
        let q = try? Pricing.quote(QuoteRequest(type: .inference, quantity: 10), tier: PricingFixtures.tier("small"), market: .noSupply)
        #expect(q?.factor("market")?.value == 1.0)
        #expect(q?.factor("market")?.detail == "no supply information")
    }

    @Test func durationRewardsLongTrainingDownToEightyPercent() {
        #expect(Pricing.durationMultiplier(hours: 0) == 1)
        #expect(Pricing.durationMultiplier(hours: 0.25) == 1)
        #expect(Pricing.durationMultiplier(hours: 3) == 1)
        #expect(nearly(Pricing.durationMultiplier(hours: 6), 0.95))  // the seed's
        #expect(nearly(Pricing.durationMultiplier(hours: 12), 0.90))
        #expect(nearly(Pricing.durationMultiplier(hours: 24), 0.85))
        #expect(nearly(Pricing.durationMultiplier(hours: 48), 0.80))
        #expect(Pricing.durationMultiplier(hours: 1000) == 0.8)
        #expect(nearly(Pricing.durationMultiplier(hours: 4), 1 - 0.05 * log2(4.0 / 3)))
        #expect(Pricing.durationMultiplier(hours: -1) == 1)
        #expect(Pricing.durationMultiplier(hours: .nan) == 1)
        #expect(Pricing.durationMultiplier(hours: .infinity) == 0.8)
    }

    @Test func estimatedHoursAreRoundsTimesTimeout() {
        #expect(Pricing.estimatedHours(rounds: 30, roundTimeoutSeconds: 30) == 0.25)
        #expect(Pricing.estimatedHours(rounds: 10, roundTimeoutSeconds: 60) == 10.0 / 60)
        #expect(Pricing.estimatedHours(rounds: 120, roundTimeoutSeconds: 5400) == 180)
    }

    // MARK: Volume discounts

    static let mediumSteps = PricingFixtures.tier("medium").volumeDiscounts

    @Test func volumeDiscountIsGraduated() {
        func d(_ q: Double, _ type: JobType = .inference) -> Double {
            Pricing.volumeDiscount(Self.mediumSteps, type: type, quantity: q, undiscountedUnitPrice: 1)
        }
        #expect(d(0) == 0)
        #expect(d(500) == 0)
        #expect(d(1000) == 0)  // nothing beyond the threshold yet
        #expect(nearly(d(1001), 0.1 / 1001))
        #expect(nearly(d(2000), 0.05))  // 10% off the second thousand
        #expect(nearly(d(10_000), 0.09))  // 10% off 9,000 of 10,000
        #expect(nearly(d(20_000), (9000 * 0.10 + 10_000 * 0.15) / 20_000))  // 0.12
        // Hours steps count for training only, requests steps for inference only.
        #expect(nearly(d(48, .training), 0.05))  // 10% off the last 24 of 48 hours
        #expect(nearly(d(200, .training), (76 * 0.10 + 100 * 0.15) / 200))
        #expect(d(20_000, .training) > 0)  // 20,000 hours passes the hours steps
        #expect(Pricing.volumeDiscount([VolumeDiscount(minRequests: 10, percent: 50)], type: .training, quantity: 1e6,
                                       undiscountedUnitPrice: 1) == 0)
        #expect(Pricing.volumeDiscount([VolumeDiscount(minHours: 10, percent: 50)], type: .inference, quantity: 1e6,
                                       undiscountedUnitPrice: 1) == 0)
    }

    @Test func theTotalKeepsRisingAcrossAThreshold() throws {
        // Medium tier, small model, 2 participants, no supply information: 0.384 per request, unclamped.
        func total(_ requests: Double) throws -> Double {
            try Pricing.quote(QuoteRequest(type: .inference, quantity: requests), tier: PricingFixtures.tier("medium"),
                              market: .noSupply).total
        }
        let unit = 0.31622776601683794 * pow(2, 0.28)
        #expect(nearly(try total(999), 999 * unit))
        #expect(nearly(try total(1000), 1000 * unit))
        #expect(nearly(try total(1001), (1000 + 0.9) * unit))  // the 1,001st request at 10% off
        #expect(nearly(try total(2000), (1000 + 900) * unit))
        #expect(try total(999) < total(1000))
        #expect(try total(1000) < total(1001))
        // An all-units discount would have charged 900 × unit for 1,000 requests, less than for 999.
    }

    @Test func theLargestApplicablePercentWins() {
        // An overlapping smaller step changes nothing once a larger one applies.
        let steps = [VolumeDiscount(minRequests: 100, percent: 20), VolumeDiscount(minRequests: 500, percent: 10)]
        let d = Pricing.volumeDiscount(steps, type: .inference, quantity: 1100, undiscountedUnitPrice: 1)
        #expect(nearly(d, 0.2 * 1000 / 1100))
        // Two steps at the same threshold: the larger.
        let same = [VolumeDiscount(minRequests: 100, percent: 5), VolumeDiscount(minRequests: 100, percent: 12)]
        #expect(nearly(Pricing.volumeDiscount(same, type: .inference, quantity: 200, undiscountedUnitPrice: 1), 0.06))
    }

    @Test func aStepNeedsEveryThresholdItNames() {
        // minRequests 100 and minSpend 50 at unit price 0.25: spend reaches 50 at 200 requests.
        let both = [VolumeDiscount(minRequests: 100, minSpend: 50, percent: 10)]
        #expect(nearly(Pricing.volumeDiscount(both, type: .inference, quantity: 400, undiscountedUnitPrice: 0.25), 0.05))
        #expect(Pricing.volumeDiscount(both, type: .inference, quantity: 200, undiscountedUnitPrice: 0.25) == 0)
        // A spend step alone works for training too.
        let spend = [VolumeDiscount(minSpend: 100, percent: 20)]
        #expect(nearly(Pricing.volumeDiscount(spend, type: .training, quantity: 4, undiscountedUnitPrice: 50), 0.1))
        // Free units never reach a spend threshold.
        #expect(Pricing.volumeDiscount(spend, type: .training, quantity: 4, undiscountedUnitPrice: 0) == 0)
        // A step that names no threshold never applies; percents are held in 0…100.
        #expect(Pricing.volumeDiscount([VolumeDiscount(percent: 50)], type: .inference, quantity: 10,
                                       undiscountedUnitPrice: 1) == 0)
        #expect(VolumeDiscount(minRequests: 1, percent: 150).fraction == 0.9)
        #expect(VolumeDiscount(minRequests: 1, percent: 100).fraction == 0.9)  // at most 90% off
        #expect(VolumeDiscount(minRequests: 1, percent: 90).fraction == 0.9)
        #expect(VolumeDiscount(minRequests: 1, percent: 15).fraction == 0.15)
        #expect(VolumeDiscount(minRequests: 1, percent: -5).fraction == 0)
        #expect(VolumeDiscount(minRequests: 1, percent: .nan).fraction == 0)
    }

    // MARK: Durations

    @Test func parseDurationAcceptsTheSchemaForms() {
        #expect(Pricing.parseDuration("30s") == 30)
        #expect(Pricing.parseDuration("5m") == 300)
        #expect(Pricing.parseDuration("1h") == 3600)
        #expect(Pricing.parseDuration("1h30m") == 5400)
        #expect(Pricing.parseDuration("500ms") == 0.5)
        #expect(Pricing.parseDuration("1.5h") == 5400)
        #expect(Pricing.parseDuration("2d") == 172_800)
        #expect(Pricing.parseDuration("1m30s500ms") == 90.5)
        #expect(Pricing.parseDuration("0s") == 0)
        #expect(Pricing.parseDuration("60s") == 60)
        #expect(Pricing.parseDuration("007s") == 7)
    }

    @Test func parseDurationRejectsEverythingElse() {
        for bad in ["", "5x", "-1s", "30", "s", "ms", "1.s", ".5s", "1h 30m", " 30s", "30s ", "1H", "1e3s", "1,5h",
                    "5 s", "+5s", "1hh", "1sm", "∞s", "1..5s", "5μs"] {
            #expect(Pricing.parseDuration(bad) == nil, "\(bad)")
        }
        // Too large to be a finite number of seconds.
        #expect(Pricing.parseDuration(String(repeating: "9", count: 400) + "d") == nil)
    }

    // MARK: Reading specs

    @Test func tierTermsReadTheManifests() throws {
        let medium = PricingFixtures.tier("medium")
        #expect(medium.name == "medium")
        #expect(medium.currency == "USD")
        #expect(medium.inferencePerRequest == PriceRange(min: 0.1, max: 1))
        #expect(medium.trainingPerHour == PriceRange(min: 10, max: 100))
        #expect(medium.volumeDiscounts == [VolumeDiscount(minRequests: 1000, percent: 10),
                                           VolumeDiscount(minRequests: 10000, percent: 15),
                                           VolumeDiscount(minHours: 24, percent: 10),
                                           VolumeDiscount(minHours: 100, percent: 15)])
        #expect(medium.deviceClasses == ["edge", "fog"])
        #expect(medium.allowedPrivacyLevels == ["low", "medium", "high"])
        #expect(medium.maxConcurrentJobs == 20)
        #expect(medium.slaUptimePercent == 98)
        #expect(medium.slaMaxLatencyMs == 500)
        #expect(medium.dedicated == false)

        let enterprise = PricingFixtures.tier("enterprise")
        #expect(enterprise.inferencePerRequest == PriceRange(min: 10))
        #expect(enterprise.trainingPerHour == PriceRange(min: 1000))
        #expect(enterprise.maxConcurrentJobs == nil)
        #expect(enterprise.dedicated)
        #expect(enterprise.slaUptimePercent == 99.9)

        // Schema defaults.
        let bare = try TierTerms(name: "bare", json: ["size": "small", "inference": ["pricePerRequest": ["min": 1, "max": 2]],
                                                      "training": ["pricePerHour": ["min": 1]], "deviceClasses": ["edge"],
                                                      "sla": ["uptimePercent": 90]])
        #expect(bare.currency == "USD")
        #expect(bare.allowedPrivacyLevels == ["low", "medium", "high", "critical"])
        #expect(bare.trainingPerHour == PriceRange(min: 1))
        #expect(bare.volumeDiscounts.isEmpty)
        #expect(bare.dedicated == false && bare.maxConcurrentJobs == nil && bare.slaMaxLatencyMs == nil)
    }

    @Test func quoteRequestReadsTheJobAndPolicy() throws {
        let training = try QuoteRequest(jobSpec: PricingFixtures.digitsFedavg, privacySpec: PricingFixtures.privacy("low"))
        #expect(training == QuoteRequest(type: .training, modelSize: "small", participants: 10, quantity: 0.25,
                                         privacyLevel: "low", privacyMultiplier: 1.0, estimate: "30 rounds × 30s"))

        let inference = try QuoteRequest(jobSpec: PricingFixtures.largeModelInference, privacySpec: PricingFixtures.privacy("medium"))
        #expect(inference.type == .inference)
        #expect(inference.modelSize == "large")
        #expect(inference.participants == 10)  // min only
        #expect(inference.quantity == 1000)
        #expect(inference.privacyLevel == "medium")
        #expect(inference.privacyMultiplier == 1.2)
        #expect(inference.estimate == nil)
    }

    @Test func quoteRequestAppliesTheSchemaDefaults() throws {
        let inference = try QuoteRequest(jobSpec: ["type": "inference", "tier": "small"], privacySpec: nil)
        #expect(inference == QuoteRequest(type: .inference, modelSize: "small", participants: 2, quantity: 100,
                                          privacyLevel: "low", privacyMultiplier: 1.0))
        let training = try QuoteRequest(jobSpec: ["type": "training", "tier": "small", "privacy": "high"], privacySpec: nil)
        #expect(training.quantity == 10.0 * 60 / 3600)  // 10 rounds × 60s
        #expect(training.estimate == "10 rounds × 60s")
        #expect(training.privacyLevel == "high")  // from the job, the policy being absent
        #expect(training.privacyMultiplier == 1.0)
        // max below min: min participants are recruited, so min is priced.
        let odd = try QuoteRequest(jobSpec: ["type": "inference", "tier": "small", "participants": ["min": 5, "max": 3]], privacySpec: nil)
        #expect(odd.participants == 5)
        let ranged = try QuoteRequest(jobSpec: ["type": "inference", "tier": "small", "participants": ["min": 3, "max": 7]], privacySpec: nil)
        #expect(ranged.participants == 7)
    }

    @Test func quoteRequestRejectsWhatCannotBePriced() {
        /// `code` nil: the spec does not even decode (the decoder names the field).
        func reject(_ spec: JSONValue, privacy: JSONValue? = nil, code: PricingError.Code? = .invalidJobSpec,
                    _ fragment: String, sourceLocation: SourceLocation = #_sourceLocation) {
            do {
                _ = try QuoteRequest(jobSpec: spec, privacySpec: privacy)
                Issue.record("accepted \(spec)", sourceLocation: sourceLocation)
            } catch let error as PricingError {
                #expect(error.code == code, sourceLocation: sourceLocation)
                #expect(error.message.contains(fragment), "\(error.message)", sourceLocation: sourceLocation)
            } catch {
                #expect(code == nil && error is JSONDecodingError, "\(error)", sourceLocation: sourceLocation)
                #expect("\(error)".contains(fragment), "\(error)", sourceLocation: sourceLocation)
            }
        }
        reject(["tier": "small"], code: nil, "spec.type: required field is missing")
        reject(["type": "serving", "tier": "small"], code: nil, "spec.type: must be one of: training, inference")
        reject(["type": "inference", "tier": "small", "model": ["sizeClass": "huge"]], code: nil, "spec.model.sizeClass")
        reject(["type": "training", "tier": "small", "training": ["roundTimeout": "5x"]], "roundTimeout")
        reject(["type": "training", "tier": "small", "training": ["roundTimeout": "0s"]], "roundTimeout")
        reject(["type": "training", "tier": "small", "training": ["rounds": 0]], "rounds")
        reject(["type": "inference", "tier": "small", "participants": ["min": 0]], "participants")
        reject(["type": "inference", "tier": "small", "inference": ["requests": 0]], "requests")
        reject(["type": "inference", "tier": "small"], privacy: ["level": "low", "priceMultiplier": 0], code: .invalidPrivacyPolicy, "low")
        reject(["type": "inference", "tier": "small"], privacy: ["level": "low", "priceMultiplier": -1.5], code: .invalidPrivacyPolicy,
               "priceMultiplier")
        reject(["type": "inference", "tier": "small"], privacy: ["level": "odd"], code: nil, "spec.level")
        #expect(throws: JSONDecodingError.self) { try QuoteRequest(jobSpec: [:], privacySpec: nil) }
    }

    // MARK: Quotes and errors

    @Test func aTierWithoutTheRangeHasNoPriceForTheType() {
        let inferenceOnly = TierTerms(name: "edge-only", inferencePerRequest: PriceRange(min: 0.01, max: 0.1))
        do {
            _ = try Pricing.quote(QuoteRequest(type: .training, quantity: 2), tier: inferenceOnly, market: .noSupply)
            Issue.record("a training job was priced on a tier with no training block")
        } catch {
            #expect(error.code == .noPriceForType)
            #expect(error.reason == "NoPriceForType")
            #expect(error.message == "tier \"edge-only\" has no training price (spec.training.pricePerHour)")
            #expect("\(error)" == error.message)
        }
        #expect((try? Pricing.quote(QuoteRequest(type: .inference, quantity: 2), tier: inferenceOnly, market: .noSupply)) != nil)
    }

    @Test func malformedRangesAndRequestsAreRefused() {
        let backwards = TierTerms(name: "b", inferencePerRequest: PriceRange(min: 2, max: 1))
        #expect(throws: PricingError(.invalidPriceRange, "tier \"b\" has an invalid inference price range 2–1")) {
            try Pricing.quote(QuoteRequest(type: .inference, quantity: 1), tier: backwards, market: .noSupply)
        }
        let negative = TierTerms(name: "n", inferencePerRequest: PriceRange(min: -1, max: 1))
        #expect(throws: PricingError.self) {
            try Pricing.quote(QuoteRequest(type: .inference, quantity: 1), tier: negative, market: .noSupply)
        }
        let tier = PricingFixtures.tier("small")
        for bad in [QuoteRequest(type: .inference, modelSize: "huge", quantity: 1),
                    QuoteRequest(type: .inference, participants: 0, quantity: 1),
                    QuoteRequest(type: .inference, quantity: -1),
                    QuoteRequest(type: .inference, quantity: .infinity)] {
            #expect(throws: PricingError.self) { try Pricing.quote(bad, tier: tier, market: .noSupply) }
        }
        #expect(throws: PricingError.self) {
            try Pricing.quote(QuoteRequest(type: .inference, quantity: 1, privacyMultiplier: 0), tier: tier, market: .noSupply)
        }
    }

    @Test func theUnboundedTierIsHeldOnlyAtItsFloor() throws {
        let tier = PricingFixtures.tier("enterprise")
        let q = try Pricing.quote(QuoteRequest(type: .training, modelSize: "xlarge", participants: 100, quantity: 24,
                                               privacyLevel: "critical", privacyMultiplier: 1.8),
                                  tier: tier, market: PricingFixtures.halfUsed)
        let expected = 1000 * 4.0 * 1.8 * pow(100, 0.28) * (1 - 0.0) * 1.1 * 0.85
        #expect(nearly(q.unitPrice, expected))
        #expect(q.clampedTo == nil)
        #expect(q.factor("base")?.detail == "tier enterprise floor 1000 USD/hour (no maximum)")
        let one = try Pricing.quote(QuoteRequest(type: .inference, participants: 1, quantity: 1), tier: tier,
                                    market: MarketState(allocatedCpu: 0, allocatableCpu: 1))
        #expect(one.unitPrice == 10)
        #expect(one.clampedTo == "min")
        #expect(nearly(one.unclampedUnitPrice, 9))
    }

    @Test func theFactorsComeInOrderAndMultiplyToTheUnclampedPrice() throws {
        let q = try Pricing.quote(QuoteRequest(type: .training, modelSize: "medium", participants: 25, quantity: 60,
                                               privacyLevel: "high", privacyMultiplier: 1.5),
                                  tier: PricingFixtures.tier("large"), market: MarketState(allocatedCpu: 3, allocatableCpu: 4))
        #expect(q.factors.map(\.name) == Pricing.factorNames)
        #expect(q.factors.map(\.name) == ["base", "model", "privacy", "participants", "volumeDiscount", "market", "duration"])
        let product = q.factors.reduce(1.0) { $0 * $1.value }
        #expect(q.unclampedUnitPrice == product)
        let discount = (60.0 - 24) * 0.10 / 60
        let expected = (100.0 * 1000).squareRoot() * 1.5 * 1.5 * pow(25, 0.28) * (1 - discount) * 1.2 * 0.8
        #expect(nearly(q.unclampedUnitPrice, expected))
        #expect(nearly(q.factor("volumeDiscount")!.value, 0.94))
        #expect(q.factor("volumeDiscount")?.detail == "10% off hours beyond 24; 6% on average")
        #expect(q.factor("market")?.detail == "utilisation 75% (3 of 4 CPU allocated)")
        #expect(q.clampedTo == "max")  // about 1,582 per hour, above the large tier's 1,000
        #expect(q.unitPrice == 1000)
        #expect(q.total == 60_000)
        #expect(q.unit == "hour")
        #expect(q.currency == "USD")
    }

    // MARK: Worked examples (the README's)

    @Test func workedExampleSmallTierMobileInference() throws {
        let request = try QuoteRequest(jobSpec: PricingFixtures.mobileInference, privacySpec: PricingFixtures.privacy("low"))
        let q = try Pricing.quote(request, tier: PricingFixtures.tier("small"), market: PricingFixtures.halfUsed)
        for neutral in ["model", "privacy", "volumeDiscount", "duration"] { #expect(q.factor(neutral)?.value == 1) }
        #expect(nearly(q.factor("base")!.value, 0.03162277660168379))
        #expect(nearly(q.factor("participants")!.value, 1.360172378791096))
        #expect(nearly(q.factor("market")!.value, 1.1))
        #expect(nearly(q.unitPrice, 0.04731367000172082))
        #expect(q.clampedTo == nil)
        #expect(q.quantity == 50)
        #expect(nearly(q.total, 2.365683500086041))
        #expect(q.roundedTotal == 2.37)
        #expect(q.roundedUnitPrice == 0.0473)
        #expect(q.summary == "50 requests × 0.0473 USD = 2.37 USD")
        // With no supply information (market 1.0): 2.15.
        let idle = try Pricing.quote(request, tier: PricingFixtures.tier("small"), market: .noSupply)
        #expect(nearly(idle.total, 2.1506213637145826))
        #expect(idle.roundedTotal == 2.15)
    }

    @Test func workedExampleQuickstartTraining() throws {
        let request = try QuoteRequest(jobSpec: PricingFixtures.digitsFedavg, privacySpec: PricingFixtures.privacy("low"))
        let q = try Pricing.quote(request, tier: PricingFixtures.tier("medium"), market: PricingFixtures.halfUsed)
        #expect(nearly(q.factor("base")!.value, 31.622776601683793))
        #expect(q.factor("model")!.value == 1)
        #expect(q.factor("privacy")!.value == 1)
        #expect(nearly(q.factor("participants")!.value, 1.9054607179632472))
        #expect(q.factor("volumeDiscount")!.value == 1)
        #expect(nearly(q.factor("market")!.value, 1.1))
        #expect(q.factor("duration")!.value == 1)
        #expect(q.factor("duration")!.detail == "0.25 h estimated (30 rounds × 30s)")
        #expect(nearly(q.unitPrice, 66.28155446817935))
        #expect(q.unit == "hour")
        #expect(q.quantity == 0.25)
        #expect(nearly(q.total, 16.570388617044838))
        #expect(q.roundedTotal == 16.57)
        #expect(q.total <= 200)  // within the job's budget
        #expect(q.summary == "0.25 hours × 66.2816 USD = 16.57 USD")
    }

    @Test func workedExampleLargeModelInferenceIsClampedToTheTierMaximum() throws {
        let request = try QuoteRequest(jobSpec: PricingFixtures.largeModelInference, privacySpec: PricingFixtures.privacy("medium"))
        let q = try Pricing.quote(request, tier: PricingFixtures.tier("medium"), market: PricingFixtures.halfUsed)
        #expect(nearly(q.factor("base")!.value, 0.31622776601683794))
        #expect(q.factor("model")!.value == 2)
        #expect(q.factor("privacy")!.value == 1.2)
        #expect(nearly(q.factor("participants")!.value, 1.9054607179632472))
        // Exactly 1,000 requests: nothing beyond the 1,000 threshold yet.
        #expect(q.factor("volumeDiscount")!.value == 1)
        #expect(nearly(q.unclampedUnitPrice, 1.5907573072363046))
        #expect(q.clampedTo == "max")
        #expect(q.unitPrice == 1.0)
        #expect(q.total == 1000)
        #expect(q.summary == "1000 requests × 1 USD = 1000.00 USD (unit price held at the tier maximum)")
        // Even on idle supply (market 0.9) the product, 1.30, is above the maximum.
        let idle = try Pricing.quote(request, tier: PricingFixtures.tier("medium"), market: MarketState(allocatedCpu: 0, allocatableCpu: 24))
        #expect(nearly(idle.unclampedUnitPrice, 1.3015287059206129))
        #expect(idle.clampedTo == "max")
        #expect(idle.total == 1000)
    }

    @Test func theSeedsOwnBreakdownDoesNotMultiplyOut() {
        let seed = 0.50 * 2.0 * 1.2 * 1.9 * 0.9 * 1.1
        #expect(nearly(seed, 2.2572))
        #expect(Pricing.rounded(seed) == 2.26)
        #expect(Pricing.rounded(seed) != 0.75)  // the seed states 0.75 per request
    }

    // MARK: Properties

    /// A random priceable request on a random manifest tier.
    fileprivate static func randomCase(_ rng: inout SplitMix64) -> (QuoteRequest, TierTerms, MarketState) {
        let type: JobType = rng.unit() < 0.5 ? .inference : .training
        let quantity = type == .inference
            ? Double(rng.int(1...200_000))
            : Pricing.estimatedHours(rounds: rng.int(1...5000), roundTimeoutSeconds: rng.logUniform(1, 7200))
        let level = rng.pick(PricingFixtures.privacyLevels)
        let request = QuoteRequest(type: type, modelSize: rng.pick(["small", "medium", "large", "xlarge"]),
                                   participants: rng.int(1...200), quantity: quantity, privacyLevel: level,
                                   privacyMultiplier: PricingFixtures.privacyMultipliers[level]!)
        let market = rng.unit() < 0.1
            ? MarketState.noSupply
            : MarketState(allocatedCpu: rng.unit() * 120, allocatableCpu: rng.unit() * 100 + 1)
        return (request, PricingFixtures.tier(rng.pick(PricingFixtures.tierNames)), market)
    }

    /// Random discount steps, any percent up to 100, any threshold kind.
    fileprivate static func randomSteps(_ rng: inout SplitMix64) -> [VolumeDiscount] {
        (0..<rng.int(0...6)).map { _ in
            var step = VolumeDiscount(percent: rng.unit() < 0.1 ? 100 : rng.unit() * 100)
            switch rng.int(0...3) {
            case 0: step.minRequests = Double(rng.int(1...100_000))
            case 1: step.minHours = rng.logUniform(0.1, 1000)
            case 2: step.minSpend = rng.logUniform(1, 1e6)
            default:
                step.minRequests = Double(rng.int(1...100_000))
                step.minHours = rng.logUniform(0.1, 1000)
                step.minSpend = rng.logUniform(1, 1e6)
            }
            return step
        }
    }

    @Test func moreParticipantsAreNeverCheaper() throws {
        var rng = SplitMix64(seed: 1)
        for _ in 0..<2000 {
            var (request, tier, market) = Self.randomCase(&rng)
            let before = try Pricing.quote(request, tier: tier, market: market)
            request.participants += rng.int(1...50)
            let after = try Pricing.quote(request, tier: tier, market: market)
            #expect(after.total >= before.total, "\(request) on \(tier.name)")
            #expect(after.unitPrice >= before.unitPrice)
        }
    }

    @Test func higherPrivacyIsNeverCheaper() throws {
        var rng = SplitMix64(seed: 2)
        for _ in 0..<1000 {
            var (request, tier, market) = Self.randomCase(&rng)
            var last = -Double.infinity
            for level in PricingFixtures.privacyLevels {
                request.privacyLevel = level
                request.privacyMultiplier = PricingFixtures.privacyMultipliers[level]!
                let q = try Pricing.quote(request, tier: tier, market: market)
                #expect(q.total >= last, "\(request) on \(tier.name)")
                last = q.total
            }
        }
    }

    @Test func theUnitPriceStaysWithinTheTierRangeWhateverTheDiscount() throws {
        var rng = SplitMix64(seed: 3)
        for _ in 0..<3000 {
            var (request, tier, market) = Self.randomCase(&rng)
            tier.volumeDiscounts = Self.randomSteps(&rng)
            request.participants = rng.int(1...1000)
            let q = try Pricing.quote(request, tier: tier, market: market)
            let range = tier.priceRange(for: request.type)!
            #expect(q.unitPrice >= range.min, "\(request) on \(tier.name)")
            if let max = range.max { #expect(q.unitPrice <= max, "\(request) on \(tier.name)") }
            let d = 1 - q.factor("volumeDiscount")!.value
            #expect(d >= 0 && d <= 1)
            #expect(q.clampedTo == nil ? q.unitPrice == q.unclampedUnitPrice : q.unitPrice != q.unclampedUnitPrice)
        }
    }

    @Test func moreRequestsNeverLowerTheTotal() throws {
        var rng = SplitMix64(seed: 4)
        for i in 0..<1500 {
            var (request, tier, market) = Self.randomCase(&rng)
            request.type = .inference
            if i % 2 == 1 { tier.volumeDiscounts = Self.randomSteps(&rng) }
            // Probe around every threshold, where an all-units discount would drop the total.
            var quantities = [Double(rng.int(1...50_000))]
            for step in tier.volumeDiscounts { if let t = step.minRequests { quantities += [t - 1, t, t + 1] } }
            for q in quantities where q >= 1 {
                request.quantity = q
                let before = try Pricing.quote(request, tier: tier, market: market)
                request.quantity = q + Double(rng.int(1...3))
                let after = try Pricing.quote(request, tier: tier, market: market)
                #expect(after.total >= before.total * (1 - 1e-12), "\(request) on \(tier.name): \(before.total) → \(after.total)")
            }
        }
    }

    @Test func moreHoursNeverLowerTheTotal() throws {
        var rng = SplitMix64(seed: 5)
        for i in 0..<1500 {
            var (request, tier, market) = Self.randomCase(&rng)
            request.type = .training
            if i % 2 == 1 { tier.volumeDiscounts = Self.randomSteps(&rng) }
            var hours = [rng.logUniform(0.01, 2000)]
            for step in tier.volumeDiscounts { if let t = step.minHours { hours += [t * 0.999, t, t * 1.001] } }
            for h in hours {
                request.quantity = h
                let before = try Pricing.quote(request, tier: tier, market: market)
                request.quantity = h * (1 + rng.unit() * 0.01)
                let after = try Pricing.quote(request, tier: tier, market: market)
                #expect(after.total >= before.total * (1 - 1e-12), "\(request) on \(tier.name): \(before.total) → \(after.total)")
            }
        }
    }

    @Test func theMarketMultiplierIsMonotoneAndBounded() {
        var rng = SplitMix64(seed: 6)
        for _ in 0..<5000 {
            let a = rng.unit() * 4 - 1
            let b = a + rng.unit() * 2
            let ma = Pricing.marketMultiplier(utilisation: a)
            let mb = Pricing.marketMultiplier(utilisation: b)
            #expect(mb >= ma)
            #expect(ma >= 0.9 && ma <= 1.3 && mb >= 0.9 && mb <= 1.3)
            let cpu = rng.unit() * 64 + 0.5
            let state = Pricing.marketMultiplier(MarketState(allocatedCpu: a * cpu, allocatableCpu: cpu))
            #expect(state >= 0.9 && state <= 1.3)
        }
    }

    // MARK: JSON

    @Test func theQuoteJSONRoundTrips() throws {
        var rng = SplitMix64(seed: 7)
        for _ in 0..<500 {
            var (request, tier, market) = Self.randomCase(&rng)
            tier.volumeDiscounts = Self.randomSteps(&rng)
            let q = try Pricing.quote(request, tier: tier, market: market)
            #expect(Quote(json: q.json) == q)
            let text = JSONCoding.encode(q.json)
            #expect(Quote(json: try JSONCoding.parse(text)) == q, "\(text)")
        }
    }

    @Test func theQuoteJSONHasTheStatusShape() throws {
        let request = try QuoteRequest(jobSpec: PricingFixtures.largeModelInference, privacySpec: PricingFixtures.privacy("medium"))
        let q = try Pricing.quote(request, tier: PricingFixtures.tier("medium"), market: PricingFixtures.halfUsed)
        let json = q.json
        #expect(json["unit"] == "request")
        #expect(json["quantity"] == .int(1000))
        #expect(json["unitPrice"] == .int(1))
        #expect(json["total"] == .int(1000))
        #expect(json["currency"] == "USD")
        #expect(json["clamped"] == "max")
        #expect(json.value(at: "factors[1]") == ["name": "model", "value": 2, "detail": "sizeClass large"])
        #expect(json["factors"]?.arrayValue?.count == 7)
        #expect(json["unclampedUnitPrice"]?.numberValue == q.unclampedUnitPrice)

        let unclamped = try Pricing.quote(QuoteRequest(type: .inference, quantity: 5), tier: PricingFixtures.tier("small"), market: .noSupply)
        #expect(unclamped.json["clamped"] == nil)
        #expect(Quote(json: unclamped.json)?.clampedTo == nil)
    }

    @Test func malformedQuoteJSONIsRefused() throws {
        let good = try Pricing.quote(QuoteRequest(type: .inference, quantity: 5), tier: PricingFixtures.tier("small"), market: .noSupply).json
        #expect(Quote(json: nil) == nil)
        #expect(Quote(json: "quote") == nil)
        for key in ["unit", "quantity", "unitPrice", "total", "currency", "factors"] {
            var broken = good
            broken[key] = nil
            #expect(Quote(json: broken) == nil, "without \(key)")
        }
        var badClamp = good
        badClamp["clamped"] = "middle"
        #expect(Quote(json: badClamp) == nil)
        var badFactor = good
        badFactor["factors"] = [["name": "base"]]
        #expect(Quote(json: badFactor) == nil)
        // Optional fields default.
        var minimal = good
        minimal["unclampedUnitPrice"] = nil
        minimal["factors"] = [["name": "base", "value": 0.5]]
        let read = try #require(Quote(json: minimal))
        #expect(read.unclampedUnitPrice == read.unitPrice)
        #expect(read.factors == [Quote.Factor(name: "base", value: 0.5, detail: "")])
    }

    // MARK: Presentation

    @Test func roundingIsForDisplayOnly() throws {
        #expect(Pricing.rounded(2.365683500086041) == 2.37)
        #expect(Pricing.rounded(16.570388617044838) == 16.57)
        #expect(Pricing.rounded(0.125) == 0.13)
        #expect(Pricing.rounded(-0.125) == -0.13)
        #expect(Pricing.rounded(0.04731367, places: 4) == 0.0473)
        #expect(Pricing.rounded(1000) == 1000)
        let q = try Pricing.quote(QuoteRequest(type: .inference, quantity: 50), tier: PricingFixtures.tier("small"), market: .noSupply)
        #expect(q.total != q.roundedTotal)  // full precision kept
        let one = try Pricing.quote(QuoteRequest(type: .training, quantity: 1), tier: PricingFixtures.tier("small"), market: .noSupply)
        #expect(one.summary.hasPrefix("1 hour × "))
    }
}

@Suite struct JobPhaseTests {
    @Test func theTransitionTableAllowsOnlyForwardMoves() {
        var s: [String: JSONValue] = [:]
        #expect(JobPhase(status: .object(s)) == .pending)
        #expect(!JobPhase.move(&s, to: .allocated))  // not admitted yet
        #expect(s["phase"] == nil)
        #expect(JobPhase.move(&s, to: .admitted) && JobPhase.move(&s, to: .allocated) && JobPhase.move(&s, to: .running))
        #expect(JobPhase.move(&s, to: .running))  // staying is allowed
        #expect(!JobPhase.move(&s, to: .admitted))
        #expect(JobPhase.move(&s, to: .succeeded))
        #expect(!JobPhase.move(&s, to: .failed) && s["phase"] == "Succeeded")
        // Every phase can fail but the final ones; nothing leaves Succeeded, and Failed leaves
        // only for Pending (a retry: a new run).
        for p in JobPhase.allCases where !p.isFinal { #expect(p.canMove(to: .failed)) }
        #expect(JobPhase.allCases.allSatisfy { $0 == .succeeded || !JobPhase.succeeded.canMove(to: $0) })
        #expect(JobPhase.allCases.filter { $0 != .failed && JobPhase.failed.canMove(to: $0) } == [.pending])
        #expect(Set(JobPhase.allCases.filter(\.holdsSlot)) == [.admitted, .allocated, .running])
    }
}
