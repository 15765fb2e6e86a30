import FogClient
import FogModel
import FogStore
import Foundation
import Logging
import ServiceLifecycle

/// Runs the informers, the controllers and the garbage collector together,
/// as one service (SIGINT/SIGTERM end it gracefully through a ServiceGroup).
public final class Manager: Service, @unchecked Sendable {
    public struct Options: Sendable {
        public var backoff = WorkQueue<ObjectKey>.Backoff()
        public var garbageCollection = true
        /// Called after every reconcile: controller name, seconds taken, whether it failed.
        public var observer: (@Sendable (String, Double, Bool) -> Void)?
        /// The shortest time between two looks at `run(until:)`'s stop condition.
        public var stopCheckInterval: Duration = .milliseconds(10)
        public init() {}
    }

    public let client: any FogClient
    public let cache: InformerSet
    public let runners: [ControllerRunner]
    public let clock: any FogClock
    let logger: Logger
    let options: Options

    public init(client: any FogClient, controllers: [any Controller], registry: KindRegistry,
                clock: any FogClock = SystemClock(), logger: Logger = Logger(label: "fog.manager"),
                options: Options = Options()) {
        self.client = client
        self.clock = clock
        self.logger = logger
        self.options = options
        let kinds = registry.kinds.map(\.kind)
        cache = InformerSet(kinds: kinds, client: client, logger: logger)
        let context = ReconcileContext(client: client, cache: cache, clock: clock,
                                       events: EventRecorder(client: client, clock: clock, component: "fog-controller-manager"),
                                       logger: logger, registry: registry)
        var all = controllers
        if options.garbageCollection { all.append(GarbageCollector(kinds: kinds)) }
        runners = all.map { ControllerRunner(controller: $0, context: context, backoff: options.backoff, observer: options.observer) }
        for c in all { c.prepare(cache) }
        for r in runners {
            r.activity = cache.activity
            r.wire(cache)
        }
    }

    /// Runs until cancelled (or, in a ServiceGroup, until graceful shutdown).
    public func run() async throws {
        try await run(until: nil)
    }

    /// Runs until `stop` returns true (checked whenever work may have finished), or until cancelled.
    public func run(until stop: (@Sendable (Manager) async -> Bool)?) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            for informer in cache.informers.values { group.addTask { await informer.run() } }
            // Controllers start once every cache is filled, so they never act on a partial view.
            while !cache.allSynced {
                await cache.activity.wait()
                try Task.checkCancellation()
            }
            for runner in runners { group.addTask { await runner.run() } }
            if let stop {
                // The stop condition is looked at when a cache moves or a reconcile ends (or `wake()`
                // is called): an idle manager never wakes. A busy one changes thousands of times a
                // second and a stop condition may read whole caches, so bursts are coalesced: at
                // most one look per `stopCheckInterval`.
                let interval = options.stopCheckInterval
                group.addTask { [self] in
                    while !Task.isCancelled {
                        if await stop(self) { throw StopRequested() }
                        await cache.activity.wait()
                        try await Task.sleep(for: interval)
                    }
                }
            }
            group.addTask {
                // Until graceful shutdown or cancellation.
                try? await gracefulShutdown()
                throw StopRequested()
            }
            do {
                try await group.next()
            } catch is StopRequested {}
            group.cancelAll()
        }
    }

    struct StopRequested: Error {}

    /// Has `run(until:)` look at its stop condition now (for conditions that depend on time:
    /// a deadline, a progress display).
    public func wake() { cache.activity.notify() }

    /// Notified whenever a cache moves or a reconcile ends: follow it with `forward(to:)` to
    /// wait for the manager's state (e.g. `isSettled`) without polling.
    public var activity: AsyncSignal { cache.activity }

    /// Nothing queued or running, every cache has seen the store's latest
    /// revision, and no timer is due within `window` seconds.
    public func isSettled(within window: TimeInterval) async -> Bool {
        guard let current = try? await client.currentRevision() else { return false }
        guard cache.revision >= current else { return false }
        let horizon = clock.now().addingTimeInterval(window)
        for r in runners {
            guard r.queue.isIdle else { return false }
            if let due = r.queue.nextDue, due <= horizon { return false }
        }
        // Re-check the revision: a reconcile may have written since.
        guard let again = try? await client.currentRevision(), again == current, cache.revision >= again else { return false }
        return runners.allSatisfy { $0.queue.isIdle }
    }

    /// Why the manager is not settled, for diagnostics.
    public func unsettledReason(within window: TimeInterval) async -> String {
        let current = (try? await client.currentRevision()) ?? -1
        var parts: [String] = []
        let lagging = cache.informers.values.filter { $0.revision < current }.map { "\($0.kind)@\($0.revision)" }
        if !lagging.isEmpty { parts.append("caches behind revision \(current): \(lagging.sorted().joined(separator: ", "))") }
        let horizon = clock.now().addingTimeInterval(window)
        for r in runners {
            if !r.queue.isIdle { parts.append("\(r.controller.name): \(r.queue.depth) queued, \(r.queue.processingCount) running") }
            if let due = r.queue.nextDue, due <= horizon { parts.append("\(r.controller.name): timer due at \(due)") }
        }
        return parts.isEmpty ? "settled" : parts.joined(separator: "; ")
    }

    /// Runs until settled (see `isSettled`), for `fogctl reconcile --once`.
    public func runUntilSettled(window: TimeInterval = 1) async throws {
        try await run(until: { m in await m.isSettled(within: window) })
    }

    public var totalReconciles: Int { runners.map(\.reconciles).reduce(0, +) }
}
