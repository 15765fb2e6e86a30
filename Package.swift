// swift-tools-version: 6.0
import PackageDescription

let package = Package(
    name: "fog",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "fogctl", targets: ["fogctl"]),
        .library(name: "FogModel", targets: ["FogModel"]),
        .library(name: "FogManifest", targets: ["FogManifest"]),
        .library(name: "FogAPI", targets: ["FogAPI"]),
        .library(name: "FogStore", targets: ["FogStore"]),
        .library(name: "FogClient", targets: ["FogClient"]),
    ],
    dependencies: [
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        // Already resolved through swift-nio; named for the work queue's timer heap.
        .package(url: "https://github.com/apple/swift-collections.git", from: "1.1.0"),
        // Already resolved through Hummingbird; named for the HTTP parts a server channel handler sees.
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.24.0"),
        // The PostgreSQL store's wire protocol client (connection pool, LISTEN/NOTIFY).
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
    ],
    targets: [
        // Resource model: objects, metadata, names, labels, selectors, conditions. Pure.
        .target(name: "FogModel"),
        // libyaml (Debian: libyaml-dev), read event by event.
        .systemLibrary(name: "CLibYAML", pkgConfig: "yaml-0.1", providers: [.apt(["libyaml-dev"])]),
        // Manifest decoding (YAML/JSON with source positions), JSON Schema admission, defaults.
        .target(name: "FogManifest", dependencies: ["FogModel", "CLibYAML"]),
        // The API vocabulary below both the store and the client: the store protocol, write outcomes, watch events, errors.
        .target(name: "FogAPI", dependencies: ["FogModel"]),
        // The embedded SQLite store and the blob store.
        .target(name: "FogStore", dependencies: ["FogModel", "FogAPI", .product(name: "GRDB", package: "GRDB.swift"),
                                                 .product(name: "GRDBSQLite", package: "GRDB.swift"),
                                                .product(name: "Crypto", package: "swift-crypto")]),
        // The PostgreSQL store: the same semantics as the SQLite one over a shared database,
        // watches pushed by LISTEN/NOTIFY, the leader lease and its fencing token.
        .target(name: "FogPostgres", dependencies: ["FogModel", "FogAPI", "FogStore",
                                                   .product(name: "PostgresNIO", package: "postgres-nio"),
                                                   .product(name: "Logging", package: "swift-log")]),
        // The client protocol and its in-process implementation.
        .target(name: "FogClient", dependencies: ["FogModel", "FogAPI", "FogStore"]),
        // Watch-fed informer caches, work queues, the controller protocol, the manager, GC, events.
        .target(name: "FogRuntime", dependencies: [
            "FogModel", "FogAPI", "FogStore", "FogClient",
            .product(name: "HeapModule", package: "swift-collections"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        // Fleet domain (pure): telemetry, peer scoring and trust, harvest rules, the fleet simulator's model.
        .target(name: "FogFleet", dependencies: ["FogModel"]),
        // Node agents: host telemetry readers, the heartbeat loop, the simulated fleet driver.
        .target(name: "FogAgent", dependencies: ["FogModel", "FogManifest", "FogAPI", "FogFleet", "FogMarket", "FogStore", "FogClient", "FogRuntime", "FogLearning", "FogCircuits"]),
        // Federated learning (pure): data sets and partitions, models and local SGD, aggregation
        // strategies and Byzantine detection, differential privacy, update compression.
        .target(name: "FogLearning", dependencies: ["FogModel"]),
        // Onion circuits (pure apart from system randomness): the cell construction (X25519, HKDF-SHA256,
        // ChaCha20-Poly1305 layers, fixed-size cells) and constrained relay path selection.
        .target(name: "FogCircuits", dependencies: [.product(name: "Crypto", package: "swift-crypto")]),
        // Marketplace domain (pure): tier terms, pricing and quotes, eligibility of fleet nodes, participant selection and failover.
        .target(name: "FogMarket", dependencies: ["FogModel", "FogFleet"]),
        // The controllers (glue between state and the domain libraries).
        .target(name: "FogControllers", dependencies: ["FogModel", "FogManifest", "FogAPI", "FogStore", "FogClient", "FogRuntime", "FogFleet", "FogMarket", "FogLearning", "FogCircuits"]),
        // The HTTP API server (Hummingbird): Kubernetes-shaped paths, watch streams, authn/authz.
        .target(name: "FogServer", dependencies: [
            "FogModel", "FogManifest", "FogAPI", "FogStore", "FogClient", "FogRuntime", "FogCircuits",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "Prometheus", package: "swift-prometheus"),
            .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
        ], exclude: ["UI"]),
        // The client protocol over HTTP (AsyncHTTPClient), streaming watch.
        .target(name: "FogRemote", dependencies: [
            "FogModel", "FogAPI", "FogStore", "FogClient", "FogCircuits",
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
        ]),
        // fogctl's commands, printers and diff.
        .target(name: "FogCLI", dependencies: [
            "FogModel", "FogManifest", "FogAPI", "FogStore", "FogClient", "FogRuntime", "FogControllers", "FogServer", "FogRemote",
            "FogFleet", "FogAgent", "FogMarket", "FogLearning", "FogCircuits", "FogPostgres",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .executableTarget(name: "fogctl", dependencies: ["FogCLI"]),
        // Test support: the test epoch and manual clocks, scratch directories, waits, a real server on an ephemeral port.
        .target(name: "FogTesting", dependencies: ["FogModel", "FogRuntime", "FogStore", "FogServer",
                                                 .product(name: "Logging", package: "swift-log"),
                                                 // WebDriver: the control panel's browser tests and fog-bench ui.
                                                 .product(name: "AsyncHTTPClient", package: "async-http-client"),
                                                 .product(name: "ServiceLifecycle", package: "swift-service-lifecycle")]),
        .executableTarget(
            name: "fog-bench",
            dependencies: ["FogModel", "FogManifest", "FogStore", "FogClient", "FogCLI", "FogRuntime", "FogControllers", "FogServer", "FogRemote",
                           "FogFleet", "FogAgent", "FogMarket", "FogLearning",
                           "FogPostgres", "FogTesting", "FogAPI", "FogCircuits",
                           .product(name: "PostgresNIO", package: "postgres-nio"),
                           .product(name: "AsyncHTTPClient", package: "async-http-client"),
                           .product(name: "Hummingbird", package: "hummingbird"),
                           .product(name: "Crypto", package: "swift-crypto"),
                           .product(name: "GRDB", package: "GRDB.swift")],
            path: "Benchmarks/FogBench"),
        .testTarget(name: "FogModelTests", dependencies: ["FogTesting", "FogModel"]),
        .testTarget(name: "FogManifestTests", dependencies: ["FogTesting", "FogModel", "FogManifest"]),
        .testTarget(name: "FogFleetTests", dependencies: ["FogTesting", "FogModel", "FogManifest", "FogFleet"]),
        .testTarget(name: "FogMarketTests", dependencies: ["FogTesting", "FogModel", "FogManifest", "FogMarket"]),
        .testTarget(name: "FogCircuitsTests", dependencies: ["FogTesting", "FogModel", "FogCircuits"]),
        .testTarget(name: "FogLearningTests", dependencies: ["FogTesting", "FogModel", "FogManifest", "FogLearning"]),
        .testTarget(name: "FogIntegrationTests", dependencies: ["FogTesting", 
            "FogModel", "FogAPI", "FogFleet", "FogAgent", "FogMarket", "FogStore", "FogClient", "FogRuntime", "FogControllers", "FogServer", "FogRemote",
            "FogManifest", "FogCircuits",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ], exclude: ["Fixtures"]),
        .testTarget(name: "FogStoreTests", dependencies: ["FogTesting", "FogModel", "FogAPI", "FogStore", "FogClient", "FogPostgres"]),
        .testTarget(name: "FogRuntimeTests", dependencies: ["FogTesting", "FogModel", "FogAPI", "FogStore", "FogClient", "FogRuntime", "FogControllers", "FogManifest", "fogctl", .product(name: "Logging", package: "swift-log")]),
        .testTarget(name: "FogServerTests", dependencies: ["FogTesting", "FogControllers", 
            "FogModel", "FogAPI", "FogStore", "FogClient", "FogServer", "FogRemote", "FogManifest", "FogRuntime",
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
        ]),
        .testTarget(name: "FogCLITests", dependencies: ["FogTesting", 
            "FogCLI", "FogModel", "FogManifest", "FogStore", "FogServer", "FogRuntime", "FogControllers", "FogClient", "fogctl",
            "FogAgent", "FogLearning", "FogRemote", "FogCircuits",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ]),
    ]
)
