import ArgumentParser
import FogMarket
import FogModel
import Foundation

/// `fogctl retry fj/NAME`: run a Failed job again without deleting it (as Flower users stop
/// and start a run): its old run's tasks go, it is quoted and admitted again from Pending.
struct RetryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "retry",
        abstract: "Run a Failed federated job again, without deleting it.",
        discussion: "Sets the job's fog/retry annotation; its controller then clears the failed run and admits the job again.")

    @Argument(help: ArgumentHelp("The job: federatedjob/NAME, fj/NAME or NAME.", valueName: "job"))
    var job: String
    @Option(name: .shortAndLong, help: ArgumentHelp("Namespace.", valueName: "namespace"))
    var namespace = "default"
    @OptionGroup var global: GlobalOptions

    func run() async throws {
        let name = job.split(separator: "/").last.map(String.init) ?? job
        if job.contains("/"), let kind = job.split(separator: "/").first, CLI.registry.lookup(String(kind))?.kind != "FederatedJob" {
            throw CommandFailure(code: 1, "error: only federated jobs are retried (got \(job))")
        }
        let client = try global.client()
        do {
            guard var object = try await client.get(ObjectKey(kind: "FederatedJob", namespace: namespace, name: name)) else {
                throw CommandFailure(code: 1, CLI.notFound("federatedjobs", name))
            }
            let phase = JobPhase(status: object.status)
            guard phase == .failed else {
                throw CommandFailure(code: 1, "error: federatedjob/\(name) is \(phase.rawValue); only a Failed job is retried")
            }
            object.metadata.annotations[JobPhase.retryAnnotation] = Timestamp.format(Date())
            _ = try await client.update(object)
            CLI.console.out("federatedjob/\(name) retry requested\n")
        } catch let e as CommandFailure { throw e } catch { throw CLI.storeFailure(error) }
    }
}

/// `fogctl stop fj/NAME`: end a job's run now (as Flower's `flwr stop`): it becomes Failed with
/// the condition Stopped=True, its participants are released, and `fogctl retry` can run it again.
struct StopCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stop",
        abstract: "Stop a federated job that has not finished (it becomes Failed with Stopped=True; `retry` runs it again).",
        discussion: "Sets the job's fog/stop annotation; its controller ends the run, removes its unfinished tasks and releases its participants.")

    @Argument(help: ArgumentHelp("The job: federatedjob/NAME, fj/NAME or NAME.", valueName: "job"))
    var job: String
    @Option(name: .shortAndLong, help: ArgumentHelp("Namespace.", valueName: "namespace"))
    var namespace = "default"
    @OptionGroup var global: GlobalOptions

    func run() async throws {
        let name = job.split(separator: "/").last.map(String.init) ?? job
        if job.contains("/"), let kind = job.split(separator: "/").first, CLI.registry.lookup(String(kind))?.kind != "FederatedJob" {
            throw CommandFailure(code: 1, "error: only federated jobs are stopped (got \(job))")
        }
        let client = try global.client()
        let key = ObjectKey(kind: "FederatedJob", namespace: namespace, name: name)
        do {
            guard let object = try await client.get(key) else { throw CommandFailure(code: 1, CLI.notFound("federatedjobs", name)) }
            let phase = JobPhase(status: object.status)
            guard !phase.isFinal else {
                throw CommandFailure(code: 1, "error: federatedjob/\(name) has already finished (\(phase.rawValue))")
            }
        } catch let e as CommandFailure { throw e } catch { throw CLI.storeFailure(error) }
        let asked = Timestamp.format(Date())
        _ = try await ObjectEditing.modify(client, key, source: "federatedjob/\(name)") { r in
            r.metadata.annotations[JobPhase.stopAnnotation] = asked
        }
        CLI.console.out("federatedjob/\(name) stop requested\n")
    }
}
