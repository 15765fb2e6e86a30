import FogAPI
import FogClient
import FogModel
import FogRuntime
import Foundation

/// The loop the fleet's reactive parts share (the simulated fleet's tasks and bids, an agent's
/// bids): `sweep` once, then again after every watched change of `kind` that `wants`, until
/// cancelled. A broken watch is reopened, with a sweep, after a backoff on `clock`.
enum ChangeFollower {
    static func follow(_ kind: String, client: any FogClient, clock: any FogClock, jitter: @escaping () -> Double,
                       wants: @escaping (WatchEvent) -> Bool, sweep: () async throws -> Void) async {
        var failures = 0
        while !Task.isCancelled {
            do {
                let from = try await client.currentRevision()
                try await sweep()
                for try await event in client.watch(kind: kind, namespace: nil, from: from) where wants(event) { try await sweep() }
                failures = 0
            } catch is CancellationError {
                return
            } catch {
                failures += 1
                let wait = Backoff.delay(attempt: failures, jitter: jitter())
                do { try await clock.sleep(until: clock.now().addingTimeInterval(wait)) } catch { return }
            }
        }
    }
}
