import ArgumentParser

/// The verbs a controller family adds to `fogctl` beside the generic ones (`get`, `apply`,
/// `describe`, … work for every kind from its schema alone): one line per family that has
/// any, as `ControllerFamilies.all` has one line per family. A family without extras needs
/// no line here.
enum FamilyCommands {
    static let byFamily: [(family: String, commands: [any ParsableCommand.Type])] = [
        ("marketplace", [QuoteCommand.self, StopCommand.self, RetryCommand.self]),  // quote: what a job would cost; stop a run; retry: run a Failed job again
        ("auctions", [BidCommand.self]),       // fogctl bid: a node's sealed bid in an open auction
        ("training", [ModelCommand.self, Rounds.self]),  // fogctl model list|pull: trained models out of fog; rounds: a job's rounds live
        ("inference", [Infer.self]),            // fogctl infer: ask a trained model, through the inference path
        ("gitops", [SuspendCommand.self, ResumeCommand.self]),  // fogctl suspend|resume gitsource NAME (reconcile gitsource NAME is Reconcile's)
    ]

    static var all: [any ParsableCommand.Type] { byFamily.flatMap(\.commands) }
}
