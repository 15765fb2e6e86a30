import FogModel
import Foundation

// Pricing: the quote a FederatedJob gets before it is admitted. Pure arithmetic
// on a Tier's spec, the job's spec, its PrivacyPolicy's spec and a snapshot of
// the market; no I/O. The job controller stores the result in
// `status.quote` and compares its total with `spec.budget.max`.
//
//   unit price = clamp(base × model × privacy × participants × (1 − volumeDiscount)
//                      × market × duration, tier.min, tier.max)
//   total      = unit price × quantity
//
// The price range is the tier's `spec.inference.pricePerRequest` for inference
// (unit "request", quantity `spec.inference.requests`) or
// `spec.training.pricePerHour` for training (unit "hour", quantity the
// estimated hours, an upper bound: rounds × roundTimeout). Each factor has its
// own function below, documented with its table or definition.
//
// Volume discounts are graduated: a step takes its percent off the units
// beyond its threshold, not off every unit, so one more request never makes a
// job cheaper (with an all-units discount, 999 requests at p would cost more
// than 1,000 at 0.9 p). The discount factor is the resulting average. A step
// takes at most 90% off: with more, the duration factor of a long training
// job could make an extra hour lower its total.
//
// Values keep full precision; round only for display (`Pricing.rounded`,
// `Quote.roundedTotal`, `Quote.summary`).

// MARK: - Job type

/// The two workload types, and the unit each is priced in.
public enum JobType: String, Sendable, CaseIterable {
    case training
    case inference

    /// The type a FederatedJob's `spec.type` names.
    public init(_ type: FederatedJobSpec.JobType) {
        switch type {
        case .training: self = .training
        case .inference: self = .inference
        }
    }

    /// "hour" for training, "request" for inference.
    public var unit: String {
        switch self {
        case .training: return "hour"
        case .inference: return "request"
        }
    }
}

// MARK: - Errors

/// Why a job cannot be priced. `reason` is a condition reason for
/// `Admitted=False`; `message` says what to fix.
public struct PricingError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What went wrong, as an open set of codes (new ones do not break callers).
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String, Sendable {
            case noPriceForType = "NoPriceForType"
            case invalidPriceRange = "InvalidPriceRange"
            case invalidJobSpec = "InvalidJobSpec"
            case invalidPrivacyPolicy = "InvalidPrivacyPolicy"
        }
        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// The tier has no price range for the job's type (e.g. training on a tier with no `training` block).
        public static let noPriceForType = Code(.noPriceForType)
        /// The tier's range is negative, not finite, or has max below min.
        public static let invalidPriceRange = Code(.invalidPriceRange)
        /// The job's spec cannot be priced: unknown type or size class, bad duration, no participants.
        public static let invalidJobSpec = Code(.invalidJobSpec)
        /// The privacy policy's multiplier is not a positive number.
        public static let invalidPrivacyPolicy = Code(.invalidPrivacyPolicy)

        public var description: String { base.rawValue }
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// CamelCase condition reason, e.g. `NoPriceForType`.
    public var reason: String { code.description }
    /// The message alone: the reason goes in its own field of a condition.
    public var description: String { message }
}

// MARK: - Tier terms

/// A unit price range. `max == nil` means unbounded (the enterprise tier's
/// "custom pricing above the floor").
public struct PriceRange: Sendable, Equatable, CustomStringConvertible {
    public var min: Double
    public var max: Double?

    public init(min: Double, max: Double? = nil) {
        self.min = min
        self.max = max
    }

    /// A Tier's range.
    public init(_ range: TierSpec.PriceRange) {
        self.init(min: range.min, max: range.max)
    }

    /// min finite and ≥ 0; max, if any, finite and ≥ min.
    public var isValid: Bool {
        guard min.isFinite, min >= 0 else { return false }
        if let max { return max.isFinite && max >= min }
        return true
    }

    /// `value` held within the range, and which bound held it ("min", "max" or nil).
    public func clamp(_ value: Double) -> (value: Double, clampedTo: String?) {
        if value < min { return (min, "min") }
        if let max, value > max { return (max, "max") }
        return (value, nil)
    }

    public var description: String {
        if let max { return "\(Pricing.format(min))–\(Pricing.format(max))" }
        return "≥ \(Pricing.format(min))"
    }
}

/// One volume discount step: `percent` off the units beyond every threshold it
/// names. A step that names no threshold never applies (the schema rejects it).
public struct VolumeDiscount: Sendable, Equatable {
    /// Inference only: requests beyond this many.
    public var minRequests: Double?
    /// Training only: estimated hours beyond this many.
    public var minHours: Double?
    /// Either type: units beyond the point where the undiscounted spend reaches this.
    public var minSpend: Double?
    /// Percent off, 0–100.
    public var percent: Double

    public init(minRequests: Double? = nil, minHours: Double? = nil, minSpend: Double? = nil, percent: Double) {
        self.minRequests = minRequests
        self.minHours = minHours
        self.minSpend = minSpend
        self.percent = percent
    }

    /// A Tier's step.
    public init(_ step: TierSpec.VolumeDiscount) {
        self.init(minRequests: step.minRequests, minHours: step.minHours, minSpend: step.minSpend, percent: step.percent)
    }

    /// The fraction off, `percent / 100` held in 0…`Pricing.maxVolumeDiscount` (0 when not a number).
    public var fraction: Double {
        guard !percent.isNaN else { return 0 }
        return Swift.min(Swift.max(percent / 100, 0), Pricing.maxVolumeDiscount)
    }
}

/// What pricing and admission need from a Tier's spec.
public struct TierTerms: Sendable, Equatable {
    public var name: String
    /// ISO 4217 code of every price in the tier. Default "USD".
    public var currency: String
    /// `spec.inference.pricePerRequest`; nil when the tier has no inference block.
    public var inferencePerRequest: PriceRange?
    /// `spec.training.pricePerHour`; nil when the tier has no training block.
    public var trainingPerHour: PriceRange?
    public var volumeDiscounts: [VolumeDiscount]
    public var deviceClasses: [String]
    /// Default: all four levels.
    public var allowedPrivacyLevels: [String]
    public var dedicated: Bool
    /// Nil: unlimited.
    public var maxConcurrentJobs: Int?
    public var slaUptimePercent: Double?
    /// Nil: best effort.
    public var slaMaxLatencyMs: Double?

    public static let allPrivacyLevels = ["low", "medium", "high", "critical"]

    public init(name: String, currency: String = "USD", inferencePerRequest: PriceRange? = nil,
                trainingPerHour: PriceRange? = nil, volumeDiscounts: [VolumeDiscount] = [],
                deviceClasses: [String] = [], allowedPrivacyLevels: [String] = TierTerms.allPrivacyLevels,
                dedicated: Bool = false, maxConcurrentJobs: Int? = nil, slaUptimePercent: Double? = nil,
                slaMaxLatencyMs: Double? = nil) {
        self.name = name
        self.currency = currency
        self.inferencePerRequest = inferencePerRequest
        self.trainingPerHour = trainingPerHour
        self.volumeDiscounts = volumeDiscounts
        self.deviceClasses = deviceClasses
        self.allowedPrivacyLevels = allowedPrivacyLevels
        self.dedicated = dedicated
        self.maxConcurrentJobs = maxConcurrentJobs
        self.slaUptimePercent = slaUptimePercent
        self.slaMaxLatencyMs = slaMaxLatencyMs
    }

    /// A Tier's terms from its spec (decoded with the schema's defaults).
    public init(name: String, spec: TierSpec) {
        self.name = name
        currency = spec.currency
        inferencePerRequest = PriceRange(spec.inference.pricePerRequest)
        trainingPerHour = PriceRange(spec.training.pricePerHour)
        volumeDiscounts = (spec.volumeDiscounts ?? []).map(VolumeDiscount.init)
        deviceClasses = spec.deviceClasses.map(\.rawValue)
        allowedPrivacyLevels = spec.allowedPrivacyLevels.map(\.rawValue)
        dedicated = spec.dedicated
        maxConcurrentJobs = spec.maxConcurrentJobs
        slaUptimePercent = spec.sla.uptimePercent
        slaMaxLatencyMs = spec.sla.maxLatencyMs
    }

    /// The unit price range for `type`, nil when the tier does not offer it.
    public func priceRange(for type: JobType) -> PriceRange? {
        switch type {
        case .inference: return inferencePerRequest
        case .training: return trainingPerHour
        }
    }
}

// MARK: - Market

/// CPU allocated and allocatable on the nodes eligible for the tier (its
/// device classes, ready), summed by the caller.
public struct MarketState: Sendable, Equatable {
    public var allocatedCpu: Double
    public var allocatableCpu: Double

    public init(allocatedCpu: Double, allocatableCpu: Double) {
        self.allocatedCpu = allocatedCpu
        self.allocatableCpu = allocatableCpu
    }

    /// No eligible node known: the market factor is neutral (1.0).
    public static let noSupply = MarketState(allocatedCpu: 0, allocatableCpu: 0)

    /// allocated / allocatable (negative allocation counts as 0; may exceed 1
    /// when overcommitted); nil when there is no supply information: allocatable
    /// not positive, or either figure not finite.
    public var utilisation: Double? {
        guard allocatableCpu.isFinite, allocatableCpu > 0, allocatedCpu.isFinite else { return nil }
        return Swift.max(allocatedCpu, 0) / allocatableCpu
    }
}

// MARK: - Quote request

/// What the quote needs from a FederatedJob's spec and its PrivacyPolicy's spec.
public struct QuoteRequest: Sendable, Equatable {
    public var type: JobType
    /// `spec.model.sizeClass`: small, medium, large or xlarge.
    public var modelSize: String
    /// Participants priced: `participants.max`, else `participants.min`.
    public var participants: Int
    /// Requests (inference) or hours (training).
    public var quantity: Double
    public var privacyLevel: String
    /// The PrivacyPolicy's `spec.priceMultiplier`.
    public var privacyMultiplier: Double
    /// How the quantity was estimated, for the quote's details: "30 rounds × 30s" (training) or nil.
    public var estimate: String?

    public init(type: JobType, modelSize: String = "small", participants: Int = 2, quantity: Double,
                privacyLevel: String = "low", privacyMultiplier: Double = 1.0, estimate: String? = nil) {
        self.type = type
        self.modelSize = modelSize
        self.participants = participants
        self.quantity = quantity
        self.privacyLevel = privacyLevel
        self.privacyMultiplier = privacyMultiplier
        self.estimate = estimate
    }

    /// Reads a FederatedJob's spec and its PrivacyPolicy's spec, both decoded with their
    /// schemas' defaults (nil policy: multiplier 1.0, level from the job's `spec.privacy`).
    /// If `participants.max` is below `min`, `min` is priced (that many are recruited).
    public init(job: FederatedJobSpec, privacy: PrivacyPolicySpec?) throws(PricingError) {
        type = JobType(job.type)
        modelSize = job.model.sizeClass.rawValue

        let n = job.participants.maxOrMin
        guard n >= 1, n <= Int(Int32.max) else {
            throw PricingError(.invalidJobSpec, "spec.participants must allow at least 1 participant, got \(n)")
        }
        participants = n

        switch type {
        case .inference:
            let requests = Double(job.inference.requests)
            guard requests > 0 else {
                throw PricingError(.invalidJobSpec, "spec.inference.requests must be positive, got \(Pricing.format(requests))")
            }
            quantity = requests
            estimate = nil
        case .training:
            let rounds = job.training.rounds
            guard rounds >= 1 else {
                throw PricingError(.invalidJobSpec, "spec.training.rounds must be at least 1, got \(rounds)")
            }
            let timeout = job.training.roundTimeout
            guard let seconds = Pricing.parseDuration(timeout), seconds > 0 else {
                throw PricingError(.invalidJobSpec,
                                   "spec.training.roundTimeout \"\(timeout)\" is not a positive duration such as 30s, 5m or 1h30m")
            }
            quantity = Pricing.estimatedHours(rounds: rounds, roundTimeoutSeconds: seconds)
            estimate = "\(rounds) rounds × \(timeout)"
        }

        privacyLevel = privacy?.level.rawValue ?? job.privacy
        // Without a policy the privacy factor is neutral.
        let multiplier = privacy?.priceMultiplier ?? 1
        guard multiplier.isFinite, multiplier > 0 else {
            throw PricingError(.invalidPrivacyPolicy,
                               "PrivacyPolicy \(privacyLevel): spec.priceMultiplier must be a positive number, got \(Pricing.format(multiplier))")
        }
        privacyMultiplier = multiplier
    }
}

// MARK: - Quote

/// A priced job: what `FederatedJob.status.quote` holds.
public struct Quote: Sendable, Equatable {
    /// One factor of the product, with how it was obtained.
    public struct Factor: Sendable, Equatable {
        public var name: String
        public var value: Double
        public var detail: String

        public init(name: String, value: Double, detail: String) {
            self.name = name
            self.value = value
            self.detail = detail
        }
    }

    /// base, model, privacy, participants, volumeDiscount (as the multiplier 1 − d),
    /// market, duration: in this order.
    public var factors: [Factor]
    /// The product clamped to the tier's range.
    public var unitPrice: Double
    /// The product of the factors.
    public var unclampedUnitPrice: Double
    /// "request" or "hour".
    public var unit: String
    public var quantity: Double
    /// unitPrice × quantity, unrounded.
    public var total: Double
    public var currency: String
    /// "min" or "max" when the tier's range held the unit price; nil otherwise.
    public var clampedTo: String?

    public init(factors: [Factor], unitPrice: Double, unclampedUnitPrice: Double, unit: String, quantity: Double,
                total: Double, currency: String, clampedTo: String?) {
        self.factors = factors
        self.unitPrice = unitPrice
        self.unclampedUnitPrice = unclampedUnitPrice
        self.unit = unit
        self.quantity = quantity
        self.total = total
        self.currency = currency
        self.clampedTo = clampedTo
    }

    /// The factor called `name`, if present.
    public func factor(_ name: String) -> Factor? {
        factors.first { $0.name == name }
    }

    /// `{unit, quantity, unitPrice, unclampedUnitPrice, total, currency,
    /// factors: [{name, value, detail}], clamped?}`. Integral numbers are written
    /// as integers; reading accepts either.
    public var json: JSONValue {
        var o: [String: JSONValue] = [
            "unit": .string(unit),
            "quantity": Pricing.jsonNumber(quantity),
            "unitPrice": Pricing.jsonNumber(unitPrice),
            "unclampedUnitPrice": Pricing.jsonNumber(unclampedUnitPrice),
            "total": Pricing.jsonNumber(total),
            "currency": .string(currency),
            "factors": .array(factors.map {
                .object(["name": .string($0.name), "value": Pricing.jsonNumber($0.value), "detail": .string($0.detail)])
            }),
        ]
        if let clampedTo { o["clamped"] = .string(clampedTo) }
        return .object(o)
    }

    /// As the job's typed status holds it (`json` read by `FederatedJobStatus.Quote`; throws if a
    /// unit, factor or bound is one the schema does not list).
    public func status() throws(JSONDecodingError) -> FederatedJobStatus.Quote {
        try FederatedJobStatus.Quote(json: StatusRead.object(json, "status.quote"), at: "status.quote")
    }

    /// Reads what `json` writes; nil when a required field is missing or of the
    /// wrong type. `unclampedUnitPrice` defaults to `unitPrice`, a factor's
    /// `detail` to "".
    public init?(json: JSONValue?) {
        guard let json,
              let unit = json["unit"]?.stringValue,
              let quantity = json["quantity"]?.numberValue,
              let unitPrice = json["unitPrice"]?.numberValue,
              let total = json["total"]?.numberValue,
              let currency = json["currency"]?.stringValue,
              let rawFactors = json["factors"]?.arrayValue
        else { return nil }
        var factors: [Factor] = []
        for f in rawFactors {
            guard let name = f["name"]?.stringValue, let value = f["value"]?.numberValue else { return nil }
            factors.append(Factor(name: name, value: value, detail: f["detail"]?.stringValue ?? ""))
        }
        var clampedTo: String?
        if let c = json["clamped"], !c.isNull {
            guard let s = c.stringValue, s == "min" || s == "max" else { return nil }
            clampedTo = s
        }
        self.init(factors: factors, unitPrice: unitPrice,
                  unclampedUnitPrice: json["unclampedUnitPrice"]?.numberValue ?? unitPrice,
                  unit: unit, quantity: quantity, total: total, currency: currency, clampedTo: clampedTo)
    }

    /// The total rounded to cents, for display.
    public var roundedTotal: Double { Pricing.rounded(total) }
    /// The unit price rounded to 4 decimals (small-tier requests cost a few cents), for display.
    public var roundedUnitPrice: Double { Pricing.rounded(unitPrice, places: 4) }

    /// One line for events and `describe`: "50 requests × 0.0473 USD = 2.37 USD".
    public var summary: String {
        let units = quantity == 1 ? unit : unit + "s"
        var s = "\(Pricing.format(quantity)) \(units) × \(Pricing.format(roundedUnitPrice)) \(currency)"
            + " = \(String(format: "%.2f", roundedTotal)) \(currency)"
        if let clampedTo { s += " (unit price held at the tier \(clampedTo == "min" ? "minimum" : "maximum"))" }
        return s
    }
}

// MARK: - Pricing

public enum Pricing {
    // MARK: Factor names, in the order of `Quote.factors`

    public static let factorNames = ["base", "model", "privacy", "participants", "volumeDiscount", "market", "duration"]

    // MARK: Quote

    /// Prices `request` under `tier` in `market`. Throws `noPriceForType` when the
    /// tier has no range for the job's type, `invalidPriceRange` when that range
    /// is malformed, `invalidJobSpec` / `invalidPrivacyPolicy` for a request that
    /// cannot be priced (unknown size class, no participants, negative quantity,
    /// non-positive privacy multiplier).
    ///
    /// ```swift
    /// let tier = TierTerms(name: "small", spec: try SchemaSet.builtIn.spec(TierSpec.self, of: tierObject))
    /// let request = try QuoteRequest(job: jobSpec, privacy: policySpec)
    /// let quote = try Pricing.quote(request, tier: tier, market: .noSupply)
    /// if let budget = jobSpec.budget?.max, quote.total > budget { … }
    /// ```
    ///
    /// For the real cost of a finished training job, price a request whose
    /// quantity is the hours it really ran.
    public static func quote(_ request: QuoteRequest, tier: TierTerms, market: MarketState) throws(PricingError) -> Quote {
        let type = request.type
        guard let range = tier.priceRange(for: type) else {
            let field = type == .training ? "spec.training.pricePerHour" : "spec.inference.pricePerRequest"
            throw PricingError(.noPriceForType, "tier \"\(tier.name)\" has no \(type.rawValue) price (\(field))")
        }
        guard range.isValid else {
            throw PricingError(.invalidPriceRange,
                               "tier \"\(tier.name)\" has an invalid \(type.rawValue) price range \(range.description)")
        }
        guard let model = modelMultiplier(sizeClass: request.modelSize) else {
            throw PricingError(.invalidJobSpec, "unknown model size class \"\(request.modelSize)\" (small, medium, large, xlarge)")
        }
        guard request.participants >= 1 else {
            throw PricingError(.invalidJobSpec, "a job needs at least 1 participant, got \(request.participants)")
        }
        guard request.quantity.isFinite, request.quantity >= 0 else {
            throw PricingError(.invalidJobSpec, "the quantity of \(type.unit)s must be finite and not negative")
        }
        guard request.privacyMultiplier.isFinite, request.privacyMultiplier > 0 else {
            throw PricingError(.invalidPrivacyPolicy,
                               "PrivacyPolicy \(request.privacyLevel): the price multiplier must be a positive number")
        }

        let quantity = request.quantity
        let base = base(range)
        let participants = participantsMultiplier(request.participants)
        let marketFactor = marketMultiplier(market)
        let duration = type == .training ? durationMultiplier(hours: quantity) : 1.0

        // The spend thresholds of volume discounts count undiscounted spend.
        let undiscounted = base * model * request.privacyMultiplier * participants * marketFactor * duration
        let undiscountedUnit = range.clamp(undiscounted).value
        let brackets = discountBrackets(tier.volumeDiscounts, type: type, quantity: quantity,
                                        undiscountedUnitPrice: undiscountedUnit)
        let discount = averageDiscount(brackets, quantity: quantity)

        let currency = tier.currency
        let per = "\(currency)/\(type.unit)"
        let factors = [
            Quote.Factor(name: "base", value: base,
                         detail: range.max == nil
                             ? "tier \(tier.name) floor \(format(range.min)) \(per) (no maximum)"
                             : "√(\(format(range.min)) × \(format(range.max ?? 0))) \(per), tier \(tier.name)"),
            Quote.Factor(name: "model", value: model, detail: "sizeClass \(request.modelSize)"),
            Quote.Factor(name: "privacy", value: request.privacyMultiplier, detail: "PrivacyPolicy \(request.privacyLevel)"),
            Quote.Factor(name: "participants", value: participants,
                         detail: "\(request.participants)^\(format(participantsExponent))"),
            Quote.Factor(name: "volumeDiscount", value: 1 - discount,
                         detail: discountDetail(brackets, average: discount, unit: type.unit)),
            Quote.Factor(name: "market", value: marketFactor, detail: marketDetail(market)),
            Quote.Factor(name: "duration", value: duration,
                         detail: type == .inference
                             ? "inference"
                             : "\(brief(quantity)) h estimated" + (request.estimate.map { " (\($0))" } ?? "")),
        ]
        let unclamped = factors.reduce(1.0) { $0 * $1.value }
        let (unitPrice, clampedTo) = range.clamp(unclamped)
        return Quote(factors: factors, unitPrice: unitPrice, unclampedUnitPrice: unclamped, unit: type.unit,
                     quantity: quantity, total: unitPrice * quantity, currency: currency, clampedTo: clampedTo)
    }

    // MARK: Factors

    /// The base unit price: the geometric mean √(min × max) of the range, the
    /// price halfway between the bounds on a log scale (0.1–1.0 → 0.316). With
    /// no maximum, the minimum. A range with min 0 has base 0 (a free tier).
    public static func base(_ range: PriceRange) -> Double {
        guard let max = range.max else { return range.min }
        return (range.min * max).squareRoot()
    }

    /// By `spec.model.sizeClass`: small 1.0, medium 1.5, large 2.0, xlarge 4.0.
    public static let modelMultipliers: [String: Double] = ["small": 1.0, "medium": 1.5, "large": 2.0, "xlarge": 4.0]

    /// The model factor, nil for a size class not in `modelMultipliers`.
    public static func modelMultiplier(sizeClass: String) -> Double? {
        modelMultipliers[sizeClass]
    }

    public static let participantsExponent = 0.28

    /// n^0.28, sub-linear: 1 → 1, 3 → 1.360, 10 → 1.905, 100 → 3.631. n below 1 counts as 1.
    public static func participantsMultiplier(_ n: Int) -> Double {
        pow(Double(Swift.max(n, 1)), participantsExponent)
    }

    /// clamp(0.9 + 0.4 u, 0.9, 1.3): idle supply 0.9, half used 1.1, full (or
    /// overcommitted) 1.3. Non-decreasing in u. NaN (unknown) gives 1.0.
    public static func marketMultiplier(utilisation u: Double) -> Double {
        guard !u.isNaN else { return 1.0 }
        return Swift.min(Swift.max(0.9 + 0.4 * u, 0.9), 1.3)
    }

    /// The market factor of a snapshot; 1.0 when there is no supply information.
    public static func marketMultiplier(_ market: MarketState) -> Double {
        market.utilisation.map { marketMultiplier(utilisation: $0) } ?? 1.0
    }

    /// Training only: clamp(1 − 0.05 log₂(hours / 3), 0.8, 1.0): up to 3 h 1.0,
    /// 6 h 0.95, 12 h 0.90, 24 h 0.85, 48 h and more 0.80. Longer jobs pay less
    /// per hour, yet every extra hour still costs more in total.
    public static func durationMultiplier(hours: Double) -> Double {
        guard hours > 3 else { return 1.0 }
        return Swift.min(Swift.max(1 - 0.05 * log2(hours / 3), 0.8), 1.0)
    }

    /// rounds × roundTimeout in hours: an upper bound, since a round ends at
    /// its deadline at the latest.
    public static func estimatedHours(rounds: Int, roundTimeoutSeconds: Double) -> Double {
        Double(rounds) * roundTimeoutSeconds / 3600
    }

    /// The largest fraction a volume discount step takes off, whatever its percent.
    /// A training job's total, unit × hours, grows with the hours as long as the
    /// marginal discount r satisfies 0.8 (1 − r) ≥ 0.05 / ln 2 (the duration
    /// factor's floor against its slope), i.e. r ≤ 0.909; 0.9 keeps that true.
    public static let maxVolumeDiscount = 0.9

    /// The average discount fraction d of a job of `quantity` units. Graduated:
    /// the rate at unit x is the largest fraction among steps whose thresholds
    /// x has passed, and d is that rate averaged over the units 0…quantity.
    /// A step's threshold is the largest it names: `minRequests` (inference only;
    /// a training job never meets it), `minHours` (training only), `minSpend` /
    /// `undiscountedUnitPrice` (the unit at which undiscounted spend reaches it).
    /// Medium tier, 2,000 requests: 10% off the last 1,000, d = 0.05.
    public static func volumeDiscount(_ steps: [VolumeDiscount], type: JobType, quantity: Double,
                                      undiscountedUnitPrice: Double) -> Double {
        averageDiscount(discountBrackets(steps, type: type, quantity: quantity, undiscountedUnitPrice: undiscountedUnitPrice),
                        quantity: quantity)
    }

    /// Units from `from` up to the next bracket (or the quantity) are discounted by `fraction`.
    struct DiscountBracket: Equatable {
        var from: Double
        var fraction: Double
    }

    /// The brackets below `quantity` where the rate rises, in order of threshold.
    static func discountBrackets(_ steps: [VolumeDiscount], type: JobType, quantity: Double,
                                 undiscountedUnitPrice: Double) -> [DiscountBracket] {
        guard quantity > 0 else { return [] }
        var points: [DiscountBracket] = []
        for step in steps {
            var threshold = 0.0
            var named = false
            var met = true
            if let r = step.minRequests {
                named = true
                if type == .inference { threshold = Swift.max(threshold, r) } else { met = false }
            }
            if let h = step.minHours {
                named = true
                if type == .training { threshold = Swift.max(threshold, h) } else { met = false }
            }
            if let spend = step.minSpend {
                named = true
                if undiscountedUnitPrice > 0 {
                    threshold = Swift.max(threshold, spend / undiscountedUnitPrice)
                } else if spend > 0 {
                    met = false
                }
            }
            guard named, met, !threshold.isNaN, threshold < quantity, step.fraction > 0 else { continue }
            points.append(DiscountBracket(from: threshold, fraction: step.fraction))
        }
        points.sort { $0.from < $1.from }
        var brackets: [DiscountBracket] = []
        for p in points where p.fraction > (brackets.last?.fraction ?? 0) {
            if let last = brackets.last, last.from == p.from {
                brackets[brackets.count - 1].fraction = p.fraction
            } else {
                brackets.append(p)
            }
        }
        return brackets
    }

    static func averageDiscount(_ brackets: [DiscountBracket], quantity: Double) -> Double {
        guard quantity > 0, !brackets.isEmpty else { return 0 }
        var discounted = 0.0
        for (i, b) in brackets.enumerated() {
            let end = i + 1 < brackets.count ? brackets[i + 1].from : quantity
            discounted += b.fraction * (end - b.from)
        }
        return discounted / quantity
    }

    static func discountDetail(_ brackets: [DiscountBracket], average: Double, unit: String) -> String {
        guard !brackets.isEmpty else { return "no \(unit)s beyond a step's threshold" }
        let parts = brackets.map { "\(brief($0.fraction * 100))% off \(unit)s beyond \(brief($0.from))" }
        return parts.joined(separator: ", ") + "; \(brief(average * 100))% on average"
    }

    static func marketDetail(_ market: MarketState) -> String {
        guard let u = market.utilisation else { return "no supply information" }
        return "utilisation \(brief(u * 100))% (\(brief(market.allocatedCpu)) of \(brief(market.allocatableCpu)) CPU allocated)"
    }

    // MARK: Durations

    /// Seconds in a duration (see `DurationText`: the schemas' grammar).
    public static func parseDuration(_ text: String) -> Double? { DurationText.seconds(text) }

    // MARK: Presentation

    /// `value` rounded half away from zero to `places` decimals (cents by default). For display only.
    public static func rounded(_ value: Double, places: Int = 2) -> Double {
        let scale = pow(10.0, Double(places))
        return (value * scale).rounded(.toNearestOrAwayFromZero) / scale
    }

    /// Shortest text of a number: "100", "0.25", "1.9".
    static func format(_ value: Double) -> String {
        if value.isFinite, value.rounded() == value, abs(value) < 1e15 { return String(Int64(value)) }
        return String(value)
    }

    /// A number for a detail string: 4 decimals at most.
    static func brief(_ value: Double) -> String { format(rounded(value, places: 4)) }

    /// An integral number as `.int`, anything else as `.double`.
    static func jsonNumber(_ value: Double) -> JSONValue {
        if value.isFinite, value.rounded() == value, abs(value) < 9.0e15 { return .int(Int64(value)) }
        return .double(value)
    }
}
