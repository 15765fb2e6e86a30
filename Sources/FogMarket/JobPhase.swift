import FogModel

/// The phases of a `FederatedJob`, and the one table of which moves between them are
/// allowed. Controllers change a job's phase only through `move(_:to:)`, so a phase
/// that this table does not allow is never written, whichever controller tries.
///
/// ```
/// Pending ─▶ Admitted ─▶ Allocated ─▶ Running ─▶ Succeeded
///    │           │           │           └─────▶ Failed
///    └───────────┴───────────┴─────────────────▶ Failed
/// ```
public enum JobPhase: String, Sendable, CaseIterable {
    case pending = "Pending"
    case admitted = "Admitted"
    case allocated = "Allocated"
    case running = "Running"
    case succeeded = "Succeeded"
    case failed = "Failed"

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
        .failed: [],
    ]

    public func canMove(to next: JobPhase) -> Bool { next == self || (Self.transitions[self]?.contains(next) ?? false) }

    /// Phases that hold a slot of the tier's concurrency and their participants' capacity.
    public var holdsSlot: Bool { self == .admitted || self == .allocated || self == .running }

    /// Phases a job never leaves.
    public var isFinal: Bool { self == .succeeded || self == .failed }

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
}
