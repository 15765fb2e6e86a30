import FogModel

/// The phases of a `FederatedJob`, and the one table of which moves between them are
/// allowed. Controllers change a job's phase only through `move(_:to:)`, so a phase
/// that this table does not allow is never written, whichever controller tries.
///
/// ```
/// Pending ─▶ Admitted ─▶ Allocated ─▶ Running ─▶ Succeeded
///    │           │           │           └─────▶ Failed
///    └───────────┴───────────┴─────────────────▶ Failed
///
/// Failed ─▶ Pending: a retry (a new run of the same job, asked for with `fogctl retry`)
/// ```
///
/// The phases themselves are the schema's (`status.phase` in schemas/federatedjob.json, generated
/// as `FederatedJobStatus.Phase`); this file holds what the domain decides about them.
public typealias JobPhase = FederatedJobStatus.Phase

extension FederatedJobStatus.Phase {
    /// The phase in a job's status (`Pending` when none is written yet, or an unknown one).
    public init(status: JSONValue?) {
        self = status?["phase"]?.stringValue.flatMap(JobPhase.init(rawValue:)) ?? .pending
    }

    /// Every allowed move. Staying in a phase is always allowed.
    public static let transitions: [JobPhase: Set<JobPhase>] = [
        .pending: [.admitted, .failed],
        .admitted: [.allocated, .failed],
        .allocated: [.running, .failed],
        .running: [.succeeded, .failed],
        .succeeded: [],
        .failed: [.pending],
    ]

    public func canMove(to next: JobPhase) -> Bool { next == self || (Self.transitions[self]?.contains(next) ?? false) }

    /// Phases that hold a slot of the tier's concurrency and their participants' capacity.
    public var holdsSlot: Bool { self == .admitted || self == .allocated || self == .running }

    /// Phases a job leaves only when it is retried (Failed): its participants are released.
    public var isFinal: Bool { self == .succeeded || self == .failed }

    /// The annotation `fogctl retry` sets (to the time it was asked): a Failed job whose value
    /// differs from the one its status last acted on runs again.
    public static let retryAnnotation = "fog/retry"

    /// The annotation `fogctl stop` sets (to the time it was asked): a job that has not finished
    /// whose value differs from the one its status last acted on (`status.stop.requested`)
    /// moves to Failed with the condition `Stopped=True`, and may then be retried.
    public static let stopAnnotation = "fog/stop"

    /// Phases in which the job's participants work (training rounds or inference batches).
    public var isServing: Bool { self == .allocated || self == .running }

    /// Moves the phase in `status` to `next` if the table allows it from the current one;
    /// returns whether the status now holds `next`.
    @discardableResult
    public static func move(_ status: inout [String: JSONValue], to next: JobPhase) -> Bool {
        let current = JobPhase(status: .object(status))
        guard current.canMove(to: next) else { return false }
        status["phase"] = .string(next.rawValue)
        return true
    }

    /// `move(_:to:)` on a typed status.
    @discardableResult
    public static func move(_ status: inout FederatedJobStatus, to next: JobPhase) -> Bool {
        guard (status.phase ?? .pending).canMove(to: next) else { return false }
        status.phase = next
        return true
    }
}

/// Why a job is not admitted, as its `Admitted=False` condition says: a job queued for a
/// slot of its tier waits; any other reason (over budget, a level or class the tier does
/// not allow, no price for its type, its tier or policy missing) is a refusal that waiting
/// will not change until the job or the cluster's policy does.
public enum AdmissionReason {
    /// The reason of a job waiting for a concurrency slot of its tier.
    public static let queued = "TierConcurrencyLimit"

    /// Whether `job`'s conditions say it was refused (not merely queued or in progress).
    public static func refusal(of job: Resource) -> Condition? {
        let cs = job.conditions
        for type in ["TierResolved", "PrivacyResolved"] { if let c = cs[type: type], c.status == .false { return c } }
        if let c = cs[type: "Admitted"], c.status == .false, c.reason != queued { return c }
        return nil
    }
}
