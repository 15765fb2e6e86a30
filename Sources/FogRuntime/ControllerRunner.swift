import FogAPI
import FogClient
import FogModel
import FogStore
import Foundation
import Logging

/// Runs one controller: a work queue fed by the informers' changes, and up to
/// `workers` reconciles at a time, never two of the same key. Failures retry
/// with backoff and are reported on the object (condition `Reconciled=False`)
/// and as a Warning event; other keys keep flowing.
public final class ControllerRunner: @unchecked Sendable {
    public let controller: any Controller
    public let queue: WorkQueue<ObjectKey>
    let context: ReconcileContext
    let signal = AsyncSignal()
    private let lock = NSLock()
    private var _reconciles = 0
    private var _failures = 0
    private var _seconds: Double = 0

    let observer: (@Sendable (String, Double, Bool) -> Void)?
    /// Notified after every reconcile (the manager's stop condition is checked then).
    var activity: AsyncSignal?

    public init(controller: any Controller, context: ReconcileContext, backoff: WorkQueue<ObjectKey>.Backoff,
                observer: (@Sendable (String, Double, Bool) -> Void)? = nil) {
        self.observer = observer
        self.controller = controller
        self.context = context.for(controller)
        queue = WorkQueue(backoff: backoff)
        let signal = self.signal
        queue.onReady = { signal.notify() }
    }

    public var reconciles: Int { lock.withLock { _reconciles } }
    public var failures: Int { lock.withLock { _failures } }
    public var reconcileSeconds: Double { lock.withLock { _seconds } }

    /// Connects the controller's sources to the informers.
    func wire(_ cache: InformerSet) {
        let kind = controller.kind
        let queue = self.queue
        let ownWrites = context.ownWrites
        for source in controller.sources {
            switch source {
            case .kind(let k, let predicates):
                cache[k]?.addHandler { change in
                    switch change {
                    case .upsert(let old, let new):
                        // A version this controller wrote itself needs no second pass; any other
                        // change passes when one of the controller's predicates says it matters.
                        let own = k == kind && ownWrites.consume(new)
                        if let old, !predicates.contains(where: { p in
                            own && p == .statusChangedByOthers ? false : p.passes(old, new)
                        }) { return }
                        queue.add(new.key)
                    case .delete(let r): queue.add(r.key)
                    }
                }
            case .owned(let k):
                cache[k]?.addHandler { change in
                    let r: Resource
                    switch change {
                    case .upsert(_, let new): r = new
                    case .delete(let old): r = old
                    }
                    for owner in r.metadata.ownerReferences where owner.kind == kind && owner.controller == true {
                        let ownerNamespaced = cache.informers[kind].map { _ in !r.namespace.isEmpty } ?? false
                        queue.add(ObjectKey(kind: kind, namespace: ownerNamespaced ? r.namespace : "", name: owner.name))
                    }
                }
            case .mapped(let k, let predicates, let map):
                cache[k]?.addHandler { change in
                    let r: Resource
                    switch change {
                    case .upsert(let old, let new):
                        if let old, let predicates, !predicates.contains(where: { $0.passes(old, new) }) { return }
                        r = new
                    case .delete(let old): r = old
                    }
                    for key in map(r, cache) { queue.add(key) }
                }
            }
        }
    }

    private var inFlight = 0

    /// Dispatches work until cancelled.
    public func run() async {
        let workers = max(1, controller.workers)
        await withDiscardingTaskGroup { group in
            while !Task.isCancelled {
                queue.promoteDue(now: context.clock.now())
                while lock.withLock({ inFlight < workers }), let key = queue.next() {
                    lock.withLock { inFlight += 1 }
                    group.addTask { [self] in await self.process(key) }
                }
                await waitForWork(due: queue.nextDue)
            }
            group.cancelAll()
        }
    }

    /// Returns on new work, a finished worker, or the next timer, whichever comes first.
    private func waitForWork(due: Date?) async {
        let clock = context.clock
        let signal = self.signal
        await withTaskGroup(of: Void.self) { race in
            race.addTask { await signal.wait() }
            if let due { race.addTask { try? await clock.sleep(until: due) } }
            await race.next()
            race.cancelAll()
        }
    }

    func process(_ key: ObjectKey) async {
        let start = DispatchTime.now()
        var failed = false
        defer { observer?(controller.name, Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9, failed) }
        do {
            let result = try await controller.reconcile(key, context)
            queue.forget(key)
            if let after = result.requeueAfter { queue.add(key, after: after, now: context.clock.now()) }
            await clearFailure(key)
        } catch let terminal as TerminalError {
            failed = true
            queue.forget(key)
            await report(key, reason: "TerminalError", message: terminal.message)
            lock.withLock { _failures += 1 }
        } catch {
            failed = true
            let delay = queue.addRateLimited(key, now: context.clock.now())
            let message = (error as? any FogAPIError)?.message ?? "\(error)"
            context.logger.debug("reconcile failed", metadata: ["controller": "\(controller.name)", "key": "\(key)", "retryIn": "\(delay)", "error": "\(message)"])
            if !(error is StoreError && (error as! StoreError).code == .conflict) {
                await report(key, reason: "ReconcileError", message: message)
            }
            lock.withLock { _failures += 1 }
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
        lock.withLock {
            _reconciles += 1
            _seconds += seconds
            inFlight -= 1
        }
        queue.done(key)
        signal.notify()
        activity?.notify()
    }

    /// A failing object shows why: `Reconciled=False` with the error, and a Warning event.
    func report(_ key: ObjectKey, reason: String, message: String) async {
        let owned = "\(controller.name): \(message)"
        // Another writer may race this one (other controllers of the kind): read again and retry on conflict.
        for _ in 0..<5 {
            guard let object = try? await context.client.get(key) else { return }
            let previous = object.condition("Reconciled")
            // Another controller's failure stays until that controller clears it.
            let othersFailure = previous?.status == .false && !(previous?.message.hasPrefix(controller.name + ": ") ?? false)
            if !othersFailure && (previous?.status != .false || previous?.message != owned) {
                var o = object
                var cs = o.conditions
                cs.set(Condition(type: "Reconciled", status: .false, reason: reason, message: owned), now: context.timestamp)
                o.conditions = cs
                do { _ = try await context.client.updateStatus(o) } catch let e as StoreError where e.code == .conflict { continue } catch {}
            }
            await context.events.record(object, .warning, reason: reason, message: owned)
            return
        }
    }

    /// Clears `Reconciled=False` once this controller succeeds, if the failure was its own:
    /// no controller clears another's failure.
    func clearFailure(_ key: ObjectKey) async {
        guard let cached = context.cache.get(key), let failure = cached.condition("Reconciled"), failure.status == .false,
              failure.message.hasPrefix(controller.name + ": "),
              let object = try? await context.client.get(key) else { return }
        var o = object
        var cs = o.conditions
        cs.set(Condition(type: "Reconciled", status: .true, reason: "Reconciled"), now: context.timestamp)
        o.conditions = cs
        _ = try? await context.client.updateStatus(o)
    }
}
