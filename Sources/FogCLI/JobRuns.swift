import ArgumentParser
import FogClient
import FogMarket
import FogModel
import Foundation

/// The job `stop` and `retry` act on, read from the store.
struct JobReference: ParsableArguments {
    @Argument(help: ArgumentHelp("The job: federatedjob/NAME, fj/NAME or NAME.", valueName: "job"))
    var job: String
    @Option(name: .shortAndLong, help: ArgumentHelp("Namespace.", valueName: "namespace"))
    var namespace = "default"
    @OptionGroup var global: GlobalOptions

    var name: String { job.split(separator: "/").last.map(String.init) ?? job }
    var key: ObjectKey { ObjectKey(kind: "FederatedJob", namespace: namespace, name: name) }

    /// The client, and the job's phase now; `verb` names the command in messages ("stopped").
    func load(_ verb: String) async throws -> (any FogClient, JobPhase) {
        if job.contains("/"), let kind = job.split(separator: "/").first, CLI.registry.lookup(String(kind))?.kind != "FederatedJob" {
            throw CommandFailure(code: 1, "error: only federated jobs are \(verb) (got \(job))")
        }
        let client = try global.client()
        do {
            guard let object = try await client.get(key) else { throw CommandFailure(code: 1, CLI.notFound("federatedjobs", name)) }
            return (client, JobPhase(status: object.status))
        } catch let e as CommandFailure { throw e } catch { throw CLI.storeFailure(error) }
    }

    /// Sets `annotation` to now, on the latest version of the job.
    func request(_ annotation: String, client: any FogClient) async throws {
        let asked = Timestamp.format(Date())
        _ = try await ObjectEditing.modify(client, key, source: "federatedjob/\(name)") { r in r.metadata.annotations[annotation] = asked }
    }
}

/// `fogctl retry fj/NAME`: run a Failed job again without deleting it (as Flower users stop
/// and start a run): its old run's tasks go, it is quoted and admitted again from Pending.
struct RetryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "retry",
        abstract: "Run a Failed federated job again, without deleting it.",
        discussion: "Sets the job's fog/retry annotation; its controller then clears the failed run and admits the job again.")
    @OptionGroup var target: JobReference

    func run() async throws {
        let (client, phase) = try await target.load("retried")
        guard phase == .failed else {
            throw CommandFailure(code: 1, "error: federatedjob/\(target.name) is \(phase.rawValue); only a Failed job is retried")
        }
        try await target.request(JobPhase.retryAnnotation, client: client)
        CLI.console.out("federatedjob/\(target.name) retry requested\n")
    }
}

/// `fogctl stop fj/NAME`: end a job's run now (as Flower's `flwr stop`): it becomes Failed with
/// the condition Stopped=True, its participants are released, and `fogctl retry` can run it again.
struct StopCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stop",
        abstract: "Stop a federated job that has not finished (it becomes Failed with Stopped=True; `retry` runs it again).",
        discussion: "Sets the job's fog/stop annotation; its controller ends the run, removes its unfinished tasks and releases its participants.")
    @OptionGroup var target: JobReference

    func run() async throws {
        let (client, phase) = try await target.load("stopped")
        guard !phase.isFinal else { throw CommandFailure(code: 1, "error: federatedjob/\(target.name) has already finished (\(phase.rawValue))") }
        try await target.request(JobPhase.stopAnnotation, client: client)
        CLI.console.out("federatedjob/\(target.name) stop requested\n")
    }
}
