import ArgumentParser
import FogAPI
import FogAgent
import FogCircuits
import FogClient
import FogFleet
import FogModel
import FogRemote
import FogServer
import FogRuntime
import FogStore
import Foundation
import ServiceLifecycle

/// Runs `body` until SIGINT/SIGTERM, then cancels it and returns.
func runUntilSignalled(_ label: String, _ body: @escaping @Sendable () async throws -> Void) async throws {
    struct Body: Service {
        let body: @Sendable () async throws -> Void
        func run() async throws {
            try await cancelWhenGracefulShutdown { try await body() }
        }
    }
    // Finishing on its own (a --count or --duration reached) ends the group cleanly too.
    let config = ServiceGroupConfiguration(
        services: [.init(service: Body(body: body), successTerminationBehavior: .gracefullyShutdownGroup)],
        gracefulShutdownSignals: [.sigterm, .sigint], logger: CLILogging.logger(label))
    let group = ServiceGroup(configuration: config)
    do { try await group.run() } catch is CancellationError {
        // SIGTERM or SIGINT: a graceful end, not a failure.
    }
}

struct AgentCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "agent",
        abstract: "Run a node agent: register this machine as a FogNode and heartbeat its telemetry.",
        discussion: """
            Reads CPU count and load (/proc/stat, /proc/loadavg), memory (/proc/meminfo), batteries and AC
            (/sys/class/power_supply), thermal zones (/sys/class/thermal) and the measured round trip to the server.
            A reading the host does not expose is left out. Retries with backoff and jitter while the server is away;
            stops cleanly on SIGTERM or SIGINT.
            """)

    @Option(help: ArgumentHelp("Name of this node (DNS-1123 label).", valueName: "name"))
    var node: String
    @Option(name: .customLong("class"), help: ArgumentHelp("Device class when the node is created: mobile, edge, fog or cloud.", valueName: "class"))
    var nodeClass = "edge"
    @Option(help: ArgumentHelp("Region when the node is created.", valueName: "region"))
    var region = "local"
    @Option(help: ArgumentHelp("Zone when the node is created.", valueName: "zone"))
    var zone: String?
    @Option(help: ArgumentHelp("Comma-separated roles when the node is created: compute, relay, aggregator.", valueName: "roles"))
    var roles = "compute"
    @Option(help: ArgumentHelp("Time between heartbeats.", valueName: "duration"))
    var interval: DurationArgument = DurationArgument(argument: "5s")!
    @Option(help: ArgumentHelp("Root of the /proc and /sys trees to read (for containers and tests).", valueName: "path"))
    var sysfsRoot = "/"
    @Option(help: ArgumentHelp("Stop after this many heartbeats (0: run until signalled).", valueName: "n"))
    var count = 0
    @Option(help: ArgumentHelp("Data sets (<dir>/<name>.csv): run the training tasks bound to this node.", valueName: "dir"))
    var data: String?
    @Option(name: .customLong("peer-listen"), help: ArgumentHelp("Serve peers here (an aggregator's regional model cache; port 0 picks one).", valueName: "host:port"))
    var peerListen: String?
    @Option(name: .customLong("peer-address"), help: ArgumentHelp("The URL peers reach --peer-listen at, when it is not http://host:port (NAT, a proxy).", valueName: "url"))
    var peerAddress: String?
    @Option(name: .customLong("relay-listen"), help: ArgumentHelp("Relay onion circuits here (role relay; port 0 picks one).", valueName: "host:port"))
    var relayListen: String?
    @Option(name: .customLong("relay-address"), help: ArgumentHelp("The URL other relays and origins reach --relay-listen at, when it is not http://host:port.", valueName: "url"))
    var relayAddress: String?
    @Option(name: .customLong("relay-keys"), help: ArgumentHelp("Directory of the relay's onion keys (onion-keys.json, mode 0600). Default: ~/.fog/relay/NODE.", valueName: "dir"))
    var relayKeys: String?
    @Option(name: .customLong("relay-max-circuits"), help: ArgumentHelp("Circuits the relay keeps open at once.", valueName: "n"))
    var relayMaxCircuits = 64
    @Option(name: .customLong("relay-circuit-rate"), help: ArgumentHelp("Bytes per second one circuit may push through the relay.", valueName: "bytes"))
    var relayCircuitRate: Double = 32 * 1_048_576
    @Option(name: .customLong("relay-key-period"), help: ArgumentHelp("Time between onion key rotations (the previous key is accepted for a tenth of it more).", valueName: "duration"))
    var relayKeyPeriod: DurationArgument = DurationArgument(argument: "24h")!
    @Flag(help: "Do not bid on auctions (by default the agent bids from the node's spec.bidding policy).")
    var noBid = false
    @OptionGroup var global: GlobalOptions

    func validate() throws {
        if let p = Names.dns1123LabelProblem(node) { throw ValidationError("--node \(node): \(p)") }
        if !["mobile", "edge", "fog", "cloud"].contains(nodeClass) { throw ValidationError("--class must be mobile, edge, fog or cloud (got \(nodeClass))") }
        if let p = Names.dns1123LabelProblem(region) { throw ValidationError("--region \(region): \(p)") }
        if let zone, let p = Names.dns1123LabelProblem(zone) { throw ValidationError("--zone \(zone): \(p)") }
        for r in roleList where !["compute", "relay", "aggregator"].contains(r) {
            throw ValidationError("--roles: unknown role \(r) (expected compute, relay or aggregator)")
        }
        if roleList.isEmpty { throw ValidationError("--roles needs at least one role") }
        if interval.seconds < 0.1 { throw ValidationError("--interval must be at least 100ms") }
        var isDir: ObjCBool = false
        if !FileManager.default.fileExists(atPath: sysfsRoot, isDirectory: &isDir) || !isDir.boolValue {
            throw ValidationError("--sysfs-root \(sysfsRoot) is not a directory")
        }
        if let data, !FileManager.default.fileExists(atPath: data, isDirectory: &isDir) || !isDir.boolValue {
            throw ValidationError("--data \(data) is not a directory")
        }
        if let peerListen, Self.hostPort(peerListen) == nil { throw ValidationError("--peer-listen must be host:port (got \(peerListen))") }
        if peerAddress != nil && peerListen == nil { throw ValidationError("--peer-address needs --peer-listen") }
        if let relayListen {
            if Self.hostPort(relayListen) == nil { throw ValidationError("--relay-listen must be host:port (got \(relayListen))") }
            if !roleList.contains("relay") { throw ValidationError("--relay-listen needs the relay role (--roles ...,relay)") }
        }
        if relayAddress != nil && relayListen == nil { throw ValidationError("--relay-address needs --relay-listen") }
        if relayMaxCircuits < 1 { throw ValidationError("--relay-max-circuits must be at least 1") }
        if relayCircuitRate <= 0 { throw ValidationError("--relay-circuit-rate must be positive") }
        if relayKeyPeriod.seconds < 1 { throw ValidationError("--relay-key-period must be at least 1s") }
    }

    static func hostPort(_ s: String) -> (String, Int)? {
        guard let colon = s.lastIndex(of: ":"), let port = Int(s[s.index(after: colon)...]), (0...65535).contains(port) else { return nil }
        let host = String(s[..<colon])
        return host.isEmpty ? nil : (host, port)
    }

    var roleList: [String] { roles.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty } }

    func run() async throws {
        var options = NodeAgent.Options(node: node)
        options.nodeClass = nodeClass
        options.region = region
        options.zone = zone
        options.roles = roleList
        options.interval = interval.seconds
        options.dataDirectory = data
        // Onion-routed updates go through relays over HTTP.
        options.onionTransport = RelayClient.shared.transport
        let console = CLI.console
        let client = try global.client(timeout: max(2, interval.seconds))
        let peerClient = PeerClient()
        let peers: PeerModelFetch = { address, digest in try await peerClient.model(at: address, digest: digest) }
        let uploads: PeerUpdateUpload = { address, u in
            try await peerClient.upload(to: address, namespace: u.namespace, task: u.aggregateTask, node: u.node, participantTask: u.participantTask,
                                        samples: u.samples, token: u.token, bytes: u.bytes)
        }
        // The peer endpoint first: its address (the bound port, with port 0) goes into the node's status.
        let cacheHolder = CacheHolder()
        var endpoint: Task<Void, Error>?
        if let peerListen, let (host, port) = Self.hostPort(peerListen) {
            let ready = AsyncStream<Int>.makeStream()
            let service = PeerEndpoint(host: host, port: port, logger: CLILogging.logger("fog.peer")) { digest in
                guard let cache = cacheHolder.cache else { throw StoreError(.notFound, "this node keeps no model cache (it has no aggregator role)") }
                return try await cache.get(digest)
            } updates: { u in
                guard let aggregator = cacheHolder.aggregator else { throw StoreError(.notFound, "this node does not aggregate (it has no aggregator role)") }
                try await aggregator.receive(u)
            }.application(onRunning: { ready.continuation.yield($0) })
            let group = ServiceGroup(services: [service], logger: CLILogging.logger("fog.peer"))
            endpoint = Task { try await group.run() }
            var bound = 0
            for await p in ready.stream { bound = p; break }
            options.peerAddress = peerAddress ?? "http://\(host):\(bound)"
            console.err("serving peers at \(options.peerAddress!)\n")
        }
        defer { endpoint?.cancel() }
        // The onion relay (role relay): keys on this machine only, its endpoint, its status.
        var relay: OnionRelay?
        var relayTask: Task<Void, Error>?
        if let relayListen, let (host, port) = Self.hostPort(relayListen) {
            var relayOptions = OnionRelay.Options()
            relayOptions.keyDirectory = relayKeys ?? (NSHomeDirectory() + "/.fog/relay/" + node)
            relayOptions.keyPeriod = relayKeyPeriod.seconds
            relayOptions.keyOverlap = relayKeyPeriod.seconds / 10
            relayOptions.limits.maxCircuits = relayMaxCircuits
            relayOptions.limits.circuitBytesPerSecond = relayCircuitRate
            let ready = AsyncStream<Int>.makeStream()
            let holder = RelayHolder()
            let service = RelayEndpoint(host: host, port: port, logger: CLILogging.logger("fog.relay")) { link, kind, cells in
                guard let node = holder.node else { throw CircuitError.overloaded("the relay is starting") }
                return try await node.receive(link: link, kind: kind, cells: cells)
            }.application(onRunning: { ready.continuation.yield($0) })
            let group = ServiceGroup(services: [service], logger: CLILogging.logger("fog.relay"))
            relayTask = Task { try await group.run() }
            var bound = 0
            for await p in ready.stream { bound = p; break }
            let address = relayAddress ?? "http://\(host):\(bound)"
            let r = try OnionRelay(name: node, address: address, client: client, clock: SystemClock(), forward: RelayClient.shared.transport,
                                   options: relayOptions)
            holder.node = r.node
            relay = r
            console.err("relaying onion circuits at \(address) (keys in \(relayOptions.keyDirectory!))\n")
        }
        defer { relayTask?.cancel() }
        // A heartbeat that takes longer than the interval (at least 2 s) is abandoned and retried.
        let agent = NodeAgent(client: client, clock: SystemClock(), reader: HostTelemetryReader(root: sysfsRoot), options: options, peers: peers,
                              uploads: uploads)
        agent.relay = relay
        cacheHolder.cache = agent.modelCache
        cacheHolder.aggregator = agent.regionalAggregator
        let target = global.serverURL ?? global.statePath()
        console.err("agent for fognode/\(node) reporting to \(target) every \(String(format: "%g", interval.seconds))s; Ctrl-C to stop\n")
        let limit = count
        // The bidder (AgentBidder) beside the agent's loops: it ends when the agent does.
        let bidder = noBid ? nil : AgentBidder(client: try global.client(timeout: max(2, interval.seconds)), clock: SystemClock(), node: node)
        do {
            try await runUntilSignalled("fog.agent") {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    if let bidder { group.addTask { await bidder.run() } }
                    try await agent.run(heartbeats: limit, log: { console.err($0 + "\n") })
                    group.cancelAll()
                }
            }
        } catch let e as NodeAgent.Stopped {
            throw CommandFailure(code: 1, "error: \(e.reason); stopped after \(agent.heartbeats) heartbeats")
        }
        console.err("agent stopped after \(agent.heartbeats) heartbeats\n")
    }

    /// The simulated fleet, for the relay endpoint started before it exists.
    final class FleetBox: @unchecked Sendable {
        private let lock = NSLock()
        private var _fleet: SimulatedFleet?
        var fleet: SimulatedFleet? {
            get { lock.withLock { _fleet } }
            set { lock.withLock { _fleet = newValue } }
        }
    }

    /// The agent's relay, for the endpoint started before the relay exists.
    final class RelayHolder: @unchecked Sendable {
        private let lock = NSLock()
        private var _node: RelayNode?
        var node: RelayNode? {
            get { lock.withLock { _node } }
            set { lock.withLock { _node = newValue } }
        }
    }

    /// The agent's cache, for the endpoint started before the agent exists.
    final class CacheHolder: @unchecked Sendable {
        private let lock = NSLock()
        private var _cache: ModelCache?
        private var _aggregator: RegionalAggregator?
        var cache: ModelCache? {
            get { lock.withLock { _cache } }
            set { lock.withLock { _cache = newValue } }
        }
        var aggregator: RegionalAggregator? {
            get { lock.withLock { _aggregator } }
            set { lock.withLock { _aggregator = newValue } }
        }
    }
}

struct Simulate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a simulated fleet: create (or adopt) FogNodes and heartbeat them like real agents.",
        discussion: """
            Profiles: \(FleetProfile.all.map(\.name).joined(separator: ", ")). Deterministic for a seed.
            Simulated nodes are labelled fog/simulated=true; --adopt also drives existing nodes with that label
            (their behaviour from spec.profile). --speed runs the simulation faster than the clock.
            """)

    @Option(help: ArgumentHelp("Nodes to create.", valueName: "n"))
    var nodes = 0
    @Option(help: ArgumentHelp("Random seed.", valueName: "seed"))
    var seed: UInt64 = 1
    @Option(help: ArgumentHelp("Comma-separated profiles to cycle through (default: all).", valueName: "names"))
    var profiles: String?
    @Option(help: ArgumentHelp("Simulated seconds per second.", valueName: "x"))
    var speed = 1.0
    @Option(help: ArgumentHelp("Time between a node's heartbeats.", valueName: "duration"))
    var interval: DurationArgument = DurationArgument(argument: "5s")!
    @Option(help: ArgumentHelp("Share of the simulated nodes (created, and adopted with --adopt) that misbehave in training (0…1).", valueName: "share"))
    var byzantine = 0.0
    @Option(name: .customLong("heartbeat-batch"), help: ArgumentHelp("Nodes per heartbeat request: 1 sends each node's heartbeat alone, as its agent would; more sends the due heartbeats in batches, one status-patch request each, as a gateway in front of many devices would.", valueName: "n"))
    var heartbeatBatch = 1
    @Flag(help: "Also drive existing nodes labelled fog/simulated=true.")
    var adopt = false
    @Option(help: ArgumentHelp("Where data sets live (<dir>/<name>.csv): the simulated nodes run the training and inference tasks bound to them, as in `fogctl up`.", valueName: "dir"))
    var dataDir = "examples/data"
    @Option(help: ArgumentHelp("Stop after this long (default: until interrupted).", valueName: "duration"))
    var duration: DurationArgument?
    @Option(name: .customLong("relay-listen"), help: ArgumentHelp("Serve the simulated relay nodes' onion relays here over HTTP (at /relays/NODE), for the server's controllers and real agents.", valueName: "host:port"))
    var relayListen = "127.0.0.1:0"
    @OptionGroup var global: GlobalOptions

    func validate() throws {
        if AgentCommand.hostPort(relayListen) == nil { throw ValidationError("--relay-listen must be host:port (got \(relayListen))") }
        if nodes < 0 || nodes > 1_000_000 { throw ValidationError("--nodes must be between 0 and 1000000 (got \(nodes))") }
        if nodes == 0 && !adopt { throw ValidationError("give --nodes N, --adopt, or both") }
        if !(speed > 0 && speed <= 100_000) { throw ValidationError("--speed must be in (0, 100000] (got \(speed))") }
        if !(0...1).contains(byzantine) { throw ValidationError("--byzantine must be between 0 and 1 (got \(byzantine))") }
        if !(1...1000).contains(heartbeatBatch) { throw ValidationError("--heartbeat-batch must be between 1 and 1000 (got \(heartbeatBatch))") }
        if interval.seconds < 0.05 { throw ValidationError("--interval must be at least 50ms") }
        _ = try profileList()
    }

    func profileList() throws -> [FleetProfile] {
        guard let profiles else { return FleetProfile.all }
        return try profiles.split(separator: ",").map { name in
            guard let p = FleetProfile.named(String(name).trimmingCharacters(in: .whitespaces)) else {
                throw ValidationError("--profiles: unknown profile \(name) (known: \(FleetProfile.all.map(\.name).joined(separator: ", ")))")
            }
            return p
        }
    }

    func run() async throws {
        var options = SimulatedFleet.Options()
        options.seed = seed
        options.speed = speed
        options.heartbeatInterval = interval.seconds
        options.byzantineShare = byzantine
        options.heartbeatBatch = heartbeatBatch
        // Without it the fleet only heartbeats: tasks bound to its nodes would wait for their deadline.
        options.dataDirectory = dataDir
        // The relay nodes' relays, served over HTTP: the server's circuit-pool controller and
        // agents in other processes reach them there (and the fleet reaches theirs over HTTP).
        let (host, port) = AgentCommand.hostPort(relayListen)!
        let fleetBox = AgentCommand.FleetBox()
        let ready = AsyncStream<Int>.makeStream()
        let relayApp = RelayEndpoint(host: host, port: port, logger: CLILogging.logger("fog.relay")) { node, link, kind, cells in
            guard let fleet = fleetBox.fleet else { throw CircuitError.unreachable("the simulated fleet is starting") }
            return try await fleet.receive(relay: node, link: link, kind: kind, cells: cells)
        }.application(onRunning: { ready.continuation.yield($0) })
        let relayGroup = ServiceGroup(services: [relayApp], logger: CLILogging.logger("fog.relay"))
        let relayTask = Task { try await relayGroup.run() }
        defer { relayTask.cancel() }
        var bound = 0
        for await p in ready.stream { bound = p; break }
        options.relayBaseURL = "http://\(host):\(bound)"
        options.externalRelays = RelayClient.shared.transport
        let fleet = SimulatedFleet(client: try global.client(), clock: SystemClock(), options: options)
        fleetBox.fleet = fleet
        do {
            if nodes > 0 { try await fleet.createNodes(count: nodes, profiles: try profileList()) }
            if adopt { try await fleet.adoptExisting() }
        } catch { throw CLI.storeFailure(error) }
        let console = CLI.console
        console.err("simulating \(fleet.nodeNames.count) nodes (seed \(seed), speed \(speed)x); Ctrl-C to stop\n")
        let limit = duration?.seconds
        let started = Date()
        try await runUntilSignalled("fog.simulate") {
            if let limit {
                try await withThrowingTaskGroup(of: Void.self) { g in
                    g.addTask { try await fleet.run() }
                    g.addTask { try await Task.sleep(for: .seconds(limit)) }
                    _ = try await g.next()
                    g.cancelAll()
                }
            } else {
                try await fleet.run()
            }
        }
        let elapsed = Date().timeIntervalSince(started)
        let online = fleet.modelSnapshot.nodes.filter(\.online).count
        console.out("simulated \(fleet.nodeNames.count) nodes for \(String(format: "%.1f", elapsed))s: \(fleet.heartbeatsSent) heartbeats, \(online) online at the end\n")
    }
}
