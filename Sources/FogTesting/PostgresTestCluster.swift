import Foundation

/// A throw-away PostgreSQL cluster for the tests that run against the PostgreSQL store.
///
/// `swift test` stays the one command: the first test that asks for a database starts a
/// cluster of its own (initdb into a temporary directory, `pg_ctl start` on a free loopback
/// port, trust authentication for the superuser `fog`, the Unix socket inside the directory),
/// and the cluster is stopped and removed when the test process exits. As root (CI), initdb
/// and the server run as the unprivileged `postgres` user (PostgreSQL refuses to run as root).
/// Each test gets a database of its own (`database()`), so tests run in parallel.
///
/// `FOG_TEST_POSTGRES_URL` (e.g. `postgres://fog@127.0.0.1:5432/postgres`) points the tests at
/// an existing server instead (a superuser: tests create and drop databases).
/// Without it the binaries are looked for in `FOG_POSTGRES_BIN`, Debian's
/// `/usr/lib/postgresql/<version>/bin`, then `PATH`; missing, the PostgreSQL cases fail
/// with what to install (`apt-get install postgresql`).
public final class PostgresTestCluster: @unchecked Sendable {
    /// The administrative connection URL (database `postgres`).
    public let adminURL: String
    public let host: String
    public let port: Int
    let user: String
    let bin: String
    let dataDirectory: String?
    let runAs: String?

    private static let lock = NSLock()
    nonisolated(unsafe) private static var started: Result<PostgresTestCluster, Error>?

    /// The cluster of this test process, started on first use.
    public static func shared() throws -> PostgresTestCluster {
        try lock.withLock {
            if let started { return try started.get() }
            let result = Result { try make() }
            started = result
            if case .success(let cluster) = result, cluster.dataDirectory != nil {
                atexit { PostgresTestCluster.stopShared() }
            }
            return try result.get()
        }
    }

    static func stopShared() {
        guard case .success(let c)? = started else { return }
        c.stop()
    }

    /// A cluster of its own (benchmarks): `durable` keeps PostgreSQL's default fsync and
    /// synchronous commit (the tests' cluster turns them off). `stop()` removes it.
    public static func dedicated(durable: Bool) throws -> PostgresTestCluster {
        guard let bin = findBinaries(ProcessInfo.processInfo.environment) else {
            throw Failure(description: "PostgreSQL is not installed (Debian: apt-get install postgresql)")
        }
        return try start(bin: bin, durable: durable)
    }

    /// Stops the server and removes its directory (nothing for an external server).
    public func stop() {
        guard let dir = dataDirectory else { return }
        _ = try? run(bin + "/pg_ctl", ["-D", dir + "/data", "-m", "immediate", "-w", "stop"], quiet: true)
        try? FileManager.default.removeItem(atPath: dir)
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    static func make() throws -> PostgresTestCluster {
        let env = ProcessInfo.processInfo.environment
        guard let bin = findBinaries(env) else {
            if let url = env["FOG_TEST_POSTGRES_URL"], !url.isEmpty {
                return try external(url, bin: "")
            }
            throw Failure(description: "PostgreSQL is not installed: the PostgreSQL store's tests need its server binaries (Debian: apt-get install postgresql; or set FOG_POSTGRES_BIN to the directory holding initdb and pg_ctl, or FOG_TEST_POSTGRES_URL to a server where the URL's user may create databases)")
        }
        if let url = env["FOG_TEST_POSTGRES_URL"], !url.isEmpty { return try external(url, bin: bin) }
        return try start(bin: bin)
    }

    static func external(_ url: String, bin: String) throws -> PostgresTestCluster {
        guard let c = URLComponents(string: url), let host = c.host else { throw Failure(description: "FOG_TEST_POSTGRES_URL is not a URL: \(url)") }
        return PostgresTestCluster(adminURL: url, host: host, port: c.port ?? 5432, user: c.user ?? "postgres", bin: bin, dataDirectory: nil, runAs: nil)
    }

    static func findBinaries(_ env: [String: String]) -> String? {
        let fm = FileManager.default
        var candidates: [String] = []
        if let b = env["FOG_POSTGRES_BIN"], !b.isEmpty { candidates.append(b) }
        let debian = "/usr/lib/postgresql"
        let versions = ((try? fm.contentsOfDirectory(atPath: debian)) ?? []).compactMap(Int.init).sorted(by: >)
        candidates += versions.map { "\(debian)/\($0)/bin" }
        candidates += (env["PATH"] ?? "").split(separator: ":").map(String.init)
        return candidates.first { fm.isExecutableFile(atPath: $0 + "/initdb") && fm.isExecutableFile(atPath: $0 + "/pg_ctl") }
    }

    init(adminURL: String, host: String, port: Int, user: String, bin: String, dataDirectory: String?, runAs: String?) {
        self.adminURL = adminURL
        self.host = host
        self.port = port
        self.user = user
        self.bin = bin
        self.dataDirectory = dataDirectory
        self.runAs = runAs
    }

    static func start(bin: String, durable: Bool = false) throws -> PostgresTestCluster {
        let runAs: String? = geteuid() == 0 ? "postgres" : nil
        let dir = NSTemporaryDirectory() + "fog-pg-" + UUID().uuidString.prefix(8).lowercased()
        let fm = FileManager.default
        try fm.createDirectory(atPath: dir, withIntermediateDirectories: true)
        if let runAs {
            guard getpwnam(runAs) != nil else {
                throw Failure(description: "running as root, the test cluster runs as the user \(runAs), which does not exist (Debian's postgresql package creates it; or: useradd --system \(runAs))")
            }
            try fm.setAttributes([.ownerAccountName: runAs], ofItemAtPath: dir)
        }
        let probe = PostgresTestCluster(adminURL: "", host: "127.0.0.1", port: 0, user: "fog", bin: bin, dataDirectory: dir, runAs: runAs)
        try probe.run(bin + "/initdb", ["-D", dir + "/data", "-U", "fog", "--auth=trust", "--no-sync", "-E", "UTF8", "--locale=C"], quiet: true)
        // A free port: the kernel picks one, we release it and hand it to the server (another
        // process may take it in between: then start once more on another).
        var lastError: Error?
        for _ in 0..<5 {
            let port = try freePort()
            do {
                try probe.run(bin + "/pg_ctl", ["-D", dir + "/data", "-l", dir + "/server.log", "-w", "-t", "60", "start",
                                                "-o", "-p \(port) -h 127.0.0.1 -k \(dir) -c max_connections=300" + (durable ? "" : " -c fsync=off -c synchronous_commit=off -c full_page_writes=off")],
                              quiet: true)
                return PostgresTestCluster(adminURL: "postgres://fog@127.0.0.1:\(port)/postgres", host: "127.0.0.1", port: port, user: "fog",
                                           bin: bin, dataDirectory: dir, runAs: runAs)
            } catch {
                lastError = error
            }
        }
        let log = (try? String(contentsOfFile: dir + "/server.log", encoding: .utf8)) ?? ""
        throw Failure(description: "the test PostgreSQL cluster did not start: \(lastError.map { "\($0)" } ?? "")\n\(log.suffix(2000))")
    }

    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "socket: errno \(errno)") }
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = 0
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) } }
        guard bound == 0 else { throw Failure(description: "bind: errno \(errno)") }
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        return Int(UInt16(bigEndian: addr.sin_port))
    }

    /// Runs a PostgreSQL binary (as the unprivileged user when we are root); throws with its output when it fails.
    /// Runs `executable` (through `runuser` when we are root) with its output in a file, and
    /// waits for it with `waitpid`. Not Foundation's `Process`: it learns that a child ended when
    /// every process holding the child's end of its monitoring socket has ended, and the server
    /// that `pg_ctl start` leaves running would hold it forever. Descriptors above 2 are closed
    /// in the child, so the server keeps no pipe of this process (or of a concurrent test) open.
    @discardableResult
    func run(_ executable: String, _ arguments: [String], quiet: Bool = false) throws -> String {
        // As the unprivileged user, from `/`: the test's working directory (a checkout under
        // another user's temporary directory, in CI) may be closed to it, and psql would say so
        // in its output.
        let argv = runAs.map { ["/usr/sbin/runuser", "-u", $0, "--", "/usr/bin/env", "-C", "/", executable] + arguments } ?? [executable] + arguments
        let outputPath = NSTemporaryDirectory() + "fog-pg-out-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: outputPath) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        if let closeFrom = Self.addCloseFrom { _ = closeFrom(&actions, 3) }
        let cArgs = argv.map { strdup($0) } + [nil]
        defer { for a in cArgs { free(a) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, argv[0], &actions, nil, cArgs, environ)
        guard spawned == 0 else { throw Failure(description: "cannot run \(argv[0]): errno \(spawned)") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let text = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
        let exited = (status & 0x7f) == 0
        let code = (status >> 8) & 0xff
        guard exited && code == 0 else {
            throw Failure(description: "\((executable as NSString).lastPathComponent) \(arguments.joined(separator: " ")) \(exited ? "exited with \(code)" : "was killed by signal \(status & 0x7f)"): \(text)")
        }
        return text
    }

    /// glibc's `posix_spawn_file_actions_addclosefrom_np` (2.34+), which Swift's Glibc module does not declare.
    typealias AddCloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
    static let addCloseFrom: AddCloseFrom? = {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np") else { return nil }
        return unsafeBitCast(symbol, to: AddCloseFrom.self)
    }()

    /// A new empty database; returns its URL. `drop(_:)` removes it.
    public func database(prefix: String = "fog_test") throws -> String {
        let name = prefix + "_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(12).lowercased()
        try psql("CREATE DATABASE \(name)")
        return "postgres://\(user)@\(host):\(port)/\(name)?sslmode=disable"
    }

    /// Runs one SQL command on the administrative database.
    @discardableResult
    public func psql(_ sql: String, database: String = "postgres") throws -> String {
        let psqlPath = bin.isEmpty ? "/usr/bin/psql" : bin + "/psql"
        var args = ["-X", "-q", "-t", "-A", "-v", "ON_ERROR_STOP=1", "-h", host, "-p", String(port), "-U", user, "-d", database, "-c", sql]
        if !adminURL.isEmpty, let c = URLComponents(string: adminURL), let password = c.password {
            setenv("PGPASSWORD", password, 1)
            args += []
        }
        return try run(psqlPath, args).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    public func drop(_ url: String) {
        guard let name = URLComponents(string: url)?.path.dropFirst(), !name.isEmpty else { return }
        _ = try? psql("DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
    }
}
