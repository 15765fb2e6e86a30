import FogClient
import FogControllers
import FogModel
import FogRemote
import FogStore
import Foundation

/// `apply --wait`: when is an object ready, and waiting for all of them.
enum Readiness {
    enum State: Equatable { case ready, waiting(String), failed(String) }

    /// `rules`: the readiness rule of each kind (kinds without one are ready once applied).
    static func state(_ r: Resource, rules: [String: ReadinessRule]) -> State {
        if let f = Failures.failed(r) { return .failed(f) }
        switch rules[r.kind] {
        case .readyCondition?:
            switch r.condition("Ready") {
            case let c? where c.status == .true: return .ready
            case let c?: return .waiting("Ready=\(c.status.rawValue) (\(c.reason))")
            case nil: return .waiting("no Ready condition yet")
            }
        case .observedGeneration?:
            let observed = r.status?["observedGeneration"]?.intValue ?? 0
            return observed >= r.metadata.generation ? .ready : .waiting("generation \(r.metadata.generation) not observed yet")
        case nil:
            return .ready
        }
    }

    /// The rules to wait by: a server's (from its discovery), or this binary's families'.
    static func rules(for client: any FogClient) async throws -> [String: ReadinessRule] {
        if let remote = client as? HTTPFogClient { return try await remote.readinessRules() }
        return ControllerFamilies.readiness
    }

    static func wait(for objects: [Resource], client: any FogClient, timeout: Double) async throws {
        let rules = try await rules(for: client)
        func state(_ r: Resource) -> State { Self.state(r, rules: rules) }
        let keys = Set(objects.map(\.key))
        var latest: [ObjectKey: Resource] = [:]
        for o in objects { latest[o.key] = o }
        let start = try await client.currentRevision()
        func pending() -> [ObjectKey] { keys.filter { if case .ready = state(latest[$0]!) { return false }; return true }.sorted() }
        func failures() -> [String] {
            keys.sorted().compactMap { k in if case .failed(let why) = state(latest[k]!) { return "\(CLI.resourceRef(latest[k]!)): \(why)" }; return nil }
        }
        // Objects may have become ready before we started watching.
        for k in keys { if let r = try await client.get(k) { latest[k] = r } }
        func report() { CLI.console.out(keys.sorted().map { "\(CLI.resourceRef(latest[$0]!)) ready\n" }.joined()) }
        if !failures().isEmpty { throw CommandFailure(code: 1, failures().map { "failed: " + $0 }.joined(separator: "\n")) }
        if pending().isEmpty {
            report()
            return
        }
        // One watch per kind applied (a server's watch is per kind), feeding one view.
        let kinds = Set(keys.map(\.kind))
        let box = SendableBox(latest)
        enum Outcome: Sendable { case decided, timedOut, streamEnded }
        let done: Bool = try await withThrowingTaskGroup(of: Outcome.self) { group in
            for kind in kinds {
                let stream = client.watch(kind: kind, namespace: nil, from: start)
                group.addTask {
                    for try await event in stream {
                        guard let r = event.object, keys.contains(r.key) else { continue }
                        var l = box.value
                        l[r.key] = r
                        box.value = l
                        let states = keys.map { state(l[$0]!) }
                        if states.contains(where: { if case .failed = $0 { return true }; return false }) { return .decided }
                        if states.allSatisfy({ $0 == .ready }) { return .decided }
                    }
                    return .streamEnded
                }
            }
            group.addTask {
                try await Task.sleep(for: .nanoseconds(Int64(timeout * 1e9)))
                return .timedOut
            }
            var decided = false
            loop: while let outcome = try await group.next() {
                switch outcome {
                case .decided: decided = true; break loop
                case .timedOut: break loop
                case .streamEnded: continue  // wait for the others, or the timeout
                }
            }
            group.cancelAll()
            return decided
        }
        latest = box.value
        let failed = failures()
        if !failed.isEmpty { throw CommandFailure(code: 1, failed.map { "failed: " + $0 }.joined(separator: "\n")) }
        let left = pending()
        if !done || !left.isEmpty {
            throw CommandFailure(code: 1, "error: timed out after \(Int(timeout))s waiting for:\n" + left.map { k in
                if case .waiting(let why) = state(latest[k]!) { return "  \(CLI.resourceRef(latest[k]!)): \(why)" }
                return "  \(CLI.resourceRef(latest[k]!))"
            }.joined(separator: "\n"))
        }
        report()
    }
}
