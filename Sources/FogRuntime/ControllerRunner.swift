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

    public init(controller: any Controller, context: ReconcileContext, backoff: WorkQueue<ObjectKey>.Backoff,
                observer: (@Sendable (String, Double, Bool) -> Void)? = nil) {
        self.observer = observer
        self.controller = controller
        self.context = context
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
        for source in controller.sources {
            switch source {
            case .kind(let k):
                cache[k]?.addHandler { change in
                    switch change {
                    case .upsert(let old, let new):
                        // Status-only writes by this controller do not need another pass,
                        // unless the object is being deleted (finalizers).
                        if let old, k == kind, old.spec == new.spec, old.metadata.labels == new.metadata.labels,
                           old.metadata.annotations == new.metadata.annotations,
                           old.metadata.finalizers == new.metadata.finalizers,
                           old.metadata.deletionTimestamp == new.metadata.deletionTimestamp,
                           old.metadata.ownerReferences == new.metadata.ownerReferences,
                           !Self.statusNeedsReconcile(old, new) { return }
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
            case .mapped(let k, let map):
                cache[k]?.addHandler { change in
                    let r: Resource
                    switch change {
                    case .upsert(_, let new): r = new
                    case .delete(let old): r = old
                    }
                    for key in map(r, cache) { queue.add(key) }
                }
            }
        }
    }

    /// Status changes made by others (agents, other controllers) matter to the
    /// object's own controller only through mapped sources; for the same kind
    /// we reconcile again when status changed in a way this controller did not
    /// write, approximated by the status payload minus conditions and observedGeneration.
    static func statusNeedsReconcile(_ old: Resource, _ new: Resource) -> Bool {
        func strip(_ r: Resource) -> JSONValue? {
            guard var s = r.status?.objectValue else { return r.status }
            s.removeValue(forKey: "conditions")
            s.removeValue(forKey: "observedGeneration")
            return s.isEmpty ? nil : .object(s)
        }
        return strip(old) != strip(new)
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
            let message = (error as? StoreError)?.message ?? "\(error)"
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
    }

    /// A failing object shows why: `Reconciled=False` with the error, and a Warning event.
    func report(_ key: ObjectKey, reason: String, message: String) async {
        guard let object = try? await context.client.get(key) else { return }
        let previous = object.condition("Reconciled")
        if previous?.status != .false || previous?.message != message {
            var o = object
            var cs = o.conditions
            cs.set(Condition(type: "Reconciled", status: .false, reason: reason, message: "\(controller.name): \(message)"), now: context.timestamp)
            o.conditions = cs
            _ = try? await context.client.updateStatus(o)
        }
        await context.events.record(object, .warning, reason: reason, message: "\(controller.name): \(message)")
    }

    func clearFailure(_ key: ObjectKey) async {
        guard let cached = context.cache.get(key), cached.condition("Reconciled")?.status == .false,
              let object = try? await context.client.get(key) else { return }
        var o = object
        var cs = o.conditions
        cs.set(Condition(type: "Reconciled", status: .true, reason: "Reconciled"), now: context.timestamp)
        o.conditions = cs
        _ = try? await context.client.updateStatus(o)
    }
}
