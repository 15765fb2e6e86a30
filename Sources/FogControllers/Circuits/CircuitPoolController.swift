import FogCircuits
import FogModel
import FogRuntime
import Foundation

/// Keeps a CircuitPool's `circuits` circuits of `hops` relays ready.
///
/// Paths come from FogCircuits' `PathSelection` (no relay twice, distinct owners, distinct
/// regions when asked, min trust, weighted by score × uptime, seeded by the pool). Each new
/// circuit is proven by building it for real: the controller sends a create cell through the
/// relays (its own ephemeral keys; an origin that uses the pool builds its own circuit over the
/// same path, with keys the control plane never sees) and keeps the circuit only if the exit's
/// confirmation comes back through every layer. A circuit is replaced when it reaches
/// `lifetime` (a rotation), when one of its relays goes NotReady, falls below the min trust,
/// stops publishing its key, or stops answering the periodic probe (a rebuild).
public struct CircuitPoolController: Controller {
    public let name = "circuit-pool"
    public let kind = "CircuitPool"
    /// How circuits are probed: over HTTP to real relays, in process to simulated ones.
    let transport: RelayTransport?
    /// Seconds between probes of a kept circuit.
    public let probeInterval: Double
    private let relayNodes = RelayNodes()

    public init(transport: RelayTransport?, probeInterval: Double = 30) {
        self.transport = transport
        self.probeInterval = probeInterval
    }

    public var conditionTypes: Set<String> { ["Ready"] }

    public func prepare(_ cache: InformerSet) { relayNodes.follow(cache) }

    public var sources: [WatchSource] {
        Watches.for("CircuitPool", when: [.generationChanged, .lifecycleChanged])
            // A relay's readiness, trust, key or address changing concerns every pool.
            .watches("FogNode", when: [.changed("status.conditions"), .changed("status.trust"), .changed("status.relay.address"),
                                      .changed("status.relay.onionKeys"), .generationChanged, .lifecycleChanged]) { node, cache in
                RelayFacts.isRelay(node) ? cache.keys("CircuitPool") { _ in true } : []
            }
            .watches("PrivacyPolicy", when: [.generationChanged]) { _, cache in cache.keys("CircuitPool") { _ in true } }
            .sources
    }

    /// One circuit as status lists it.
    struct Circuit {
        var id: String
        var relays: [String]
        var regions: [String]
        var built: Double
        var expires: Double
        var probed: Double
        var buildMillis: Double
        var bytesRelayed: Int

        /// As status lists it, with how an origin reaches each relay now (address and newest
        /// onion key: origins may not read FogNodes, and keys rotate).
        func status(_ facts: [String: RelayFacts]) -> CircuitPoolStatus.Circuit {
            let hops = relays.compactMap { name in
                facts[name]?.hop.map { CircuitPoolStatus.Circuit.Hop(address: $0.address, node: name, publicKey: $0.onionKey.rawRepresentation.base64EncodedString()) }
            }
            return CircuitPoolStatus.Circuit(
                buildMillis: (buildMillis * 1000).rounded() / 1000, built: Timestamp.format(Date(timeIntervalSince1970: built)),
                bytesRelayed: bytesRelayed, expires: Timestamp.format(Date(timeIntervalSince1970: expires)), health: "Ready",
                hops: hops, id: id, probed: Timestamp.format(Date(timeIntervalSince1970: probed)), regions: regions, relays: relays)
        }

        init(id: String, relays: [String], regions: [String], built: Double, expires: Double, probed: Double, buildMillis: Double, bytesRelayed: Int) {
            self.id = id; self.relays = relays; self.regions = regions; self.built = built; self.expires = expires
            self.probed = probed; self.buildMillis = buildMillis; self.bytesRelayed = bytesRelayed
        }

        init?(_ j: JSONValue) {
            guard let id = j["id"]?.stringValue, let relays = j["relays"]?.arrayValue?.compactMap(\.stringValue),
                  let built = j["built"]?.stringValue.flatMap(Timestamp.parse), let expires = j["expires"]?.stringValue.flatMap(Timestamp.parse)
            else { return nil }
            self.init(id: id, relays: relays, regions: j["regions"]?.arrayValue?.compactMap(\.stringValue) ?? [],
                      built: built.timeIntervalSince1970, expires: expires.timeIntervalSince1970,
                      probed: j["probed"]?.stringValue.flatMap(Timestamp.parse)?.timeIntervalSince1970 ?? built.timeIntervalSince1970,
                      buildMillis: j["buildMillis"]?.numberValue ?? 0, bytesRelayed: Int(j["bytesRelayed"]?.intValue ?? 0))
        }
    }

    public func reconcile(_ key: ObjectKey, _ ctx: ReconcileContext) async throws -> ReconcileResult {
        guard let pool = ctx.cache.get(key), pool.metadata.deletionTimestamp == nil else { return .done }
        let spec = try pool.reconciledSpec(CircuitPoolSpec.self)
        guard let lifetime = DurationText.seconds(spec.lifetime), lifetime > 0 else {
            throw TerminalError("invalid spec of circuitpool/\(pool.name): spec.lifetime: \(spec.lifetime) is not a duration")
        }
        // A pool serving a privacy policy has at least that policy's hops.
        var hops = spec.hops
        var notes: [String] = []
        if let privacy = spec.privacy {
            if let policy = ctx.cache.get(ObjectKey(kind: "PrivacyPolicy", namespace: "", name: privacy)),
               let onion = (try? policy.decodeSpec(PrivacyPolicySpec.self))?.onionRouting, onion.enabled, onion.hops > hops {
                hops = onion.hops
                notes.append("\(hops) hops for privacy policy \(privacy)")
            }
        }
        let now = ctx.now.timeIntervalSince1970
        let relays = relayNodes.all(ctx.cache)
        let status = pool.status
        var rotations = Int(status?["rotations"]?.intValue ?? 0)
        var rebuilds = Int(status?["rebuilds"]?.intValue ?? 0)
        var sequence = Int(status?["circuitsBuilt"]?.intValue ?? 0)
        var kept: [Circuit] = []
        var notAnswering = Set<String>()
        var changes: [(EventRecorder.EventType, String, String)] = []
        var totalBytes = Int(status?["bytesRelayed"]?.intValue ?? 0)

        for circuit in (status?["circuits"]?.arrayValue ?? []).compactMap(Circuit.init) {
            if circuit.expires <= now {
                rotations += 1
                changes.append((.normal, "CircuitRotated", "\(circuit.id) reached its lifetime \(spec.lifetime)"))
                continue
            }
            if circuit.relays.count != hops {
                rebuilds += 1
                changes.append((.normal, "CircuitRebuilt", "\(circuit.id) has \(circuit.relays.count) hops, the pool now wants \(hops)"))
                continue
            }
            if let gone = circuit.relays.first(where: { name in
                guard let r = relays[name] else { return true }
                return !r.candidate.usable || r.candidate.trust < spec.constraints.minTrust
            }) {
                rebuilds += 1
                let why = relays[gone].map { !$0.ready ? "is not Ready" : $0.candidate.trust < spec.constraints.minTrust ? "fell below trust \(spec.constraints.minTrust)" : "publishes no relay address or key" } ?? "is gone"
                changes.append((.warning, "CircuitRebuilt", "\(circuit.id): relay \(gone) \(why)"))
                continue
            }
            kept.append(circuit)
        }
        // Probe kept circuits that are due; one that no longer builds is replaced.
        if let transport {
            var probed: [Circuit] = []
            for var circuit in kept {
                guard now - circuit.probed >= probeInterval else { probed.append(circuit); continue }
                let path = circuit.relays.compactMap { relays[$0]?.hop }
                switch await Self.probe(path, transport) {
                case .success(let (millis, bytes)):
                    circuit.probed = now
                    circuit.bytesRelayed += bytes
                    circuit.buildMillis = millis
                    totalBytes += bytes
                    probed.append(circuit)
                case .failure(let error):
                    rebuilds += 1
                    let silent = await Self.silentRelays(path, transport)
                    notAnswering.formUnion(silent)
                    changes.append((.warning, "CircuitRebuilt", "\(circuit.id): probe failed (\(error))" + (silent.isEmpty ? "" : "; not answering: \(silent.sorted().joined(separator: ", "))")))
                }
            }
            kept = probed
        }

        // Build what is missing.
        var refusal: PathRefusal?
        var probeFailure: String?
        if let transport {
            var rng = SplitMix64(seed: SplitMix64.mix(Self.seed(pool.metadata.uid.isEmpty ? pool.name : pool.metadata.uid), sequence))
            var attempts = 0
            while kept.count < spec.circuits && attempts < spec.circuits * 3 {
                attempts += 1
                let candidates = relays.values.map(\.candidate).sorted { $0.name < $1.name }
                let constraints = PathConstraints(hops: hops, distinctRegions: spec.constraints.distinctRegions,
                                                  minTrust: spec.constraints.minTrust, excluded: notAnswering)
                let path: [RelayCandidate]
                switch PathSelection.select(from: candidates, constraints, using: &rng) {
                case .success(let p): path = p
                case .failure(let r): refusal = r; path = []
                }
                if refusal != nil { break }
                let hopsPath = path.compactMap { relays[$0.name]?.hop }
                switch await Self.probe(hopsPath, transport) {
                case .success(let (millis, bytes)):
                    sequence += 1
                    totalBytes += bytes
                    kept.append(Circuit(id: "\(pool.name)-\(sequence)", relays: path.map(\.name), regions: path.map(\.region),
                                        built: now, expires: now + lifetime, probed: now, buildMillis: millis, bytesRelayed: bytes))
                case .failure(let error):
                    let silent = await Self.silentRelays(hopsPath, transport)
                    notAnswering.formUnion(silent.isEmpty ? Set(path.map(\.name)) : silent)
                    probeFailure = "building through \(path.map(\.name).joined(separator: " → ")) failed: \(error)"
                }
            }
        }

        let target = spec.circuits
        let ready = kept.count >= target
        let condition: Condition
        if transport == nil {
            condition = Condition(type: "Ready", status: .false, reason: "NoRelayTransport",
                                  message: "this controller was started without a way to reach relays; no circuit is built")
        } else if ready {
            condition = Condition(type: "Ready", status: .true, reason: "PoolFull", message: "\(kept.count) circuits of \(hops) hops ready")
        } else if let refusal {
            condition = Condition(type: "Ready", status: .false, reason: refusal.reason.rawValue,
                                  message: "\(kept.count) of \(target) circuits: \(refusal.message)")
        } else {
            condition = Condition(type: "Ready", status: .false, reason: "RelaysNotAnswering",
                                  message: "\(kept.count) of \(target) circuits: " + (probeFailure ?? "relays did not answer"))
        }
        let eligible = relays.values.filter { $0.candidate.usable && $0.candidate.trust >= spec.constraints.minTrust }.count
        let previousReady = pool.condition("Ready")?.status
        let circuits = kept.map { $0.status(relays) }
        try await ctx.updateStatus(pool, as: CircuitPoolStatus.self, { s in
            s.hops = hops
            s.readyCircuits = kept.count
            s.circuits = circuits
            s.rotations = rotations
            s.rebuilds = rebuilds
            s.circuitsBuilt = sequence
            s.relays = .init(eligible: eligible, total: relays.count)
            s.bytesRelayed = totalBytes
            s.note = notes.isEmpty ? nil : notes.joined(separator: "; ")
        }, conditions: [condition])
        for (type, reason, message) in changes { await ctx.events.record(pool, type, reason: reason, message: message) }
        if previousReady == .true && !ready { await ctx.events.record(pool, .warning, reason: "PoolDegraded", message: condition.message) }
        // Wake at the first expiry or probe, and retry soon while short of circuits.
        var next = kept.map { min($0.expires, $0.probed + probeInterval) - now }.min() ?? probeInterval
        if !ready { next = min(next, 5) }
        return .requeue(after: max(0.05, next))
    }

    /// Builds (and closes) a circuit over `path`; the build time and the bytes it put on the wire.
    static func probe(_ path: [HopDescriptor], _ transport: @escaping RelayTransport) async -> Result<(Double, Int), Error> {
        do {
            let session = try OriginSession(path: path, exit: OriginCircuit.blobStoreExit, transport: transport)
            let started = ContinuousClock.now
            try await session.build()
            let elapsed = ContinuousClock.now - started
            await session.destroy()
            let bytes = await session.bytesSent
            return .success((elapsed.milliseconds, bytes))
        } catch {
            return .failure(error)
        }
    }

    /// The relays of `path` that do not build a one-hop circuit on their own.
    static func silentRelays(_ path: [HopDescriptor], _ transport: @escaping RelayTransport) async -> Set<String> {
        var out = Set<String>()
        for hop in path {
            if case .failure = await probe([hop], transport) { out.insert(hop.name) }
        }
        return out
    }

    /// A stable seed from the pool's uid (FNV-1a).
    static func seed(_ text: String) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in text.utf8 { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        return h
    }
}
