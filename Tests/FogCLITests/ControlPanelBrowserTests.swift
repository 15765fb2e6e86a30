import AsyncHTTPClient
import FogControllers
import FogModel
import FogServer
import FogStore
import FogTesting
import Foundation
import NIOCore
import Testing

/// The control panel in a real browser: Chromium, headless, driven through chromedriver's
/// WebDriver API (W3C), against `fogctl server`'s HTTP API over the quick start's converged
/// state. Needs Debian's `chromium` and `chromium-driver` (`.ci/run` installs them).
@Suite(.serialized) struct ControlPanelBrowserTests {
    static let tokens = """
        tokens:
        - {token: panel-admin, user: ops, role: admin}
        - {token: panel-tenant, user: alice, role: tenant, namespaces: [team-b]}
        """

    @Test func theControlPanelShowsTheQuickStartInARealBrowser() async throws {
        let h = try Harness()
        let up = await h.fogctl(["up", "-f", Harness.root + "/examples/quickstart", "--seed", "1", "--data-dir", Harness.root + "/examples/data"])
        #expect(up.code == 0, "\(up.stderr)")
        let store = try h.store()
        let server = try await TestServer.start(store: store, directory: h.dir, tokens: Self.tokens, access: ControllerFamilies.access)
        let driver = try await WebDriver.start()
        do {
            let browser = try await driver.session()
            // The page asks for a token; the admin's opens everything.
            try await browser.open(server.baseURL + "/ui/")
            try await browser.type("#token", "panel-admin")
            try await browser.click("#login-form button")
            let nodes = try store.list(kind: "FogNode", namespace: nil, selector: LabelSelector()).items
            let ready = nodes.filter { $0.condition("Ready")?.status == .true }.count
            #expect(try await browser.text("#nodes-ready") == "\(ready) / \(nodes.count)")
            let overviewJobs = try await browser.text("#overview-jobs")
            for job in ["digits-fedavg", "digits-auction", "digits-inference"] { #expect(overviewJobs.contains(job)) }

            // A job: its accuracy curve has one point per round, its participants are the allocation's.
            let job = try #require(try store.get(ObjectKey(kind: "FederatedJob", namespace: "default", name: "digits-fedavg")))
            let rounds = job.status?["training"]?["rounds"]?.arrayValue ?? []
            try await browser.open(server.baseURL + "/ui/#/job/default/digits-fedavg")
            _ = try await browser.element("#job-chart path[data-series=accuracy]")
            #expect(try await browser.count("#job-chart circle") == 2 * rounds.count)
            #expect(try await browser.count("#job-participants tbody tr") == (job.status?["allocation"]?["participants"]?.arrayValue?.count ?? -1))
            #expect(try await browser.text("#job-quote").contains("privacy"))
            // Plan a change: the server's dry run answers, the diff shows it, nothing is written.
            let before = job.metadata.resourceVersion
            try await browser.run("""
                const t = document.querySelector("textarea"); const o = JSON.parse(t.value);
                o.metadata.labels = Object.assign({}, o.metadata.labels, {team: "vision"}); t.value = JSON.stringify(o);
                document.querySelector("textarea").parentElement.querySelector("button").click();
                """)
            #expect(try await browser.text("[id$='-out'] .diff .add").contains("team: vision"))
            #expect(try store.get(job.key)?.metadata.resourceVersion == before)

            // Nodes: five to a page, sorted by the server, a click on a header reverses the order.
            try await browser.open(server.baseURL + "/ui/#/nodes?limit=5&sort=name")
            _ = try await browser.element("th.sorted-asc[data-sort=name]")
            #expect(try await browser.count("#node-table tbody tr") == 5)
            #expect(try await browser.text("#node-count").hasPrefix("1–5 of \(nodes.count)"))
            try await browser.click("th[data-sort=name]")
            _ = try await browser.element("th.sorted-desc[data-sort=name]")
            let lastFirst = nodes.map(\.name).sorted(by: >).prefix(5)
            #expect(try await browser.texts("#node-table tbody tr td:first-child") == Array(lastFirst))
            try await browser.click("#next")
            _ = try await browser.element("#prev:not([aria-disabled])")
            #expect(try await browser.text("#node-count").hasPrefix("6–10 of \(nodes.count)"))

            // The auction: closed, so its ranked bids are shown.
            let auction = try #require(try store.get(ObjectKey(kind: "Auction", namespace: "default", name: "digits-auction")))
            try await browser.open(server.baseURL + "/ui/#/auction/default/digits-auction")
            #expect(try await browser.count("#auction-ranking tbody tr") == (auction.status?["ranking"]?.arrayValue?.count ?? -1))
            #expect(try await browser.text("#auction-clearing") == JSONCoding.formatDouble(auction.status?["clearingPrice"]?.numberValue ?? -1))

            // A tenant of another namespace sees none of it.
            try await browser.run("sessionStorage.clear();")
            try await browser.open(server.baseURL + "/ui/?tenant")
            try await browser.type("#token", "panel-tenant")
            try await browser.click("#login-form button")
            _ = try await browser.element("main[data-page=overview]")
            let page = try await browser.text("main")
            #expect(page.contains("Your token may not read GitSources"))
            #expect(!page.contains("digits-fedavg"))
        } catch {
            await driver.stop()
            await server.stop()
            throw error
        }
        await driver.stop()
        await server.stop()
    }
}

/// chromedriver, started on a free port, and the WebDriver sessions it gives.
final class WebDriver: @unchecked Sendable {
    let process: Process
    let base: String

    private init(process: Process, base: String) { self.process = process; self.base = base }

    static func start() async throws -> WebDriver {
        let binary = ["/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver"].first { FileManager.default.isExecutableFile(atPath: $0) }
        guard let binary else {
            throw Failure("chromedriver not found: install Debian's chromium and chromium-driver (apt-get install -y chromium chromium-driver)")
        }
        let port = try freePort()
        let p = Process()
        p.executableURL = URL(fileURLWithPath: binary)
        p.arguments = ["--port=\(port)"]
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        // Ready once it says so on its standard output (read as it comes, not polled).
        // The pipe stays drained afterwards, so that chromedriver never blocks on a full pipe.
        let chunks = AsyncStream<String>.makeStream()
        out.fileHandleForReading.readabilityHandler = { h in
            let d = h.availableData
            if d.isEmpty { chunks.continuation.finish(); h.readabilityHandler = nil } else { chunks.continuation.yield(String(decoding: d, as: UTF8.self)) }
        }
        try p.run()
        var seen = ""
        for await chunk in chunks.stream {
            seen += chunk
            if seen.contains("started successfully") { break }
        }
        guard seen.contains("started successfully") else { p.terminate(); throw Failure("chromedriver did not start: \(seen)") }
        return WebDriver(process: p, base: "http://127.0.0.1:\(port)")
    }

    func session() async throws -> Browser {
        let chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].first { FileManager.default.isExecutableFile(atPath: $0) } ?? "/usr/bin/chromium"
        let answer = try await Self.call(base + "/session", "POST", ["capabilities": ["alwaysMatch": ["goog:chromeOptions": [
            "binary": .string(chromium),
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1300,1000"]]]]])
        guard let id = answer["value"]?["sessionId"]?.stringValue ?? answer["sessionId"]?.stringValue else { throw Failure("no session: \(answer)") }
        sessions.add(id)
        let browser = Browser(base: base + "/session/" + id)
        // Elements are waited for by the browser itself, up to 20 s (pages load asynchronously).
        _ = try await Self.call(browser.base + "/timeouts", "POST", ["implicit": 20000, "script": 20000, "pageLoad": 30000])
        return browser
    }

    /// Ends the sessions still open (their browsers quit), then chromedriver itself.
    func stop() async {
        for id in sessions.all { _ = try? await Self.call(base + "/session/" + id, "DELETE") }
        let exited = AsyncStream<Void>.makeStream()
        process.terminationHandler = { _ in exited.continuation.yield(); exited.continuation.finish() }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) } else { exited.continuation.finish() }
        for await _ in exited.stream { break }
    }

    /// Session ids, to end them whatever happens to the test.
    final class Sessions: @unchecked Sendable {
        private let lock = NSLock()
        private var ids: [String] = []
        func add(_ id: String) { lock.withLock { ids.append(id) } }
        var all: [String] { lock.withLock { ids } }
    }
    let sessions = Sessions()

    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = 0
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &addr) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) == 0 && getsockname(fd, $0, &len) == 0 }
        }
        guard bound else { throw Failure("no free port") }
        return Int(UInt16(bigEndian: addr.sin_port))
    }

    /// One WebDriver command; a WebDriver error becomes a thrown failure with its message.
    @discardableResult
    static func call(_ url: String, _ method: String, _ body: JSONValue? = nil) async throws -> JSONValue {
        var request = HTTPClientRequest(url: url)
        request.method = .init(rawValue: method)
        if let body {
            request.body = .bytes(ByteBuffer(bytes: JSONCoding.encodeBytes(body)))
            request.headers.add(name: "Content-Type", value: "application/json")
        }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(90))
        let bytes = try await response.body.collect(upTo: 64 << 20)
        let json = try JSONCoding.parse(bytes: Array(bytes.readableBytesView))
        if let error = json["value"]?["error"]?.stringValue {
            throw Failure("\(method) \(url): \(error): \(json["value"]?["message"]?.stringValue ?? "")")
        }
        return json
    }

    struct Failure: Error, CustomStringConvertible {
        let description: String
        init(_ d: String) { description = d }
    }
}

/// One browser session.
struct Browser {
    let base: String
    static let elementKey = "element-6066-11e4-a52e-4f735466cecf"

    func open(_ url: String) async throws { try await WebDriver.call(base + "/url", "POST", ["url": .string(url)]) }

    func element(_ css: String) async throws -> String {
        let r = try await WebDriver.call(base + "/element", "POST", ["using": "css selector", "value": .string(css)])
        guard let id = r["value"]?[Self.elementKey]?.stringValue else { throw WebDriver.Failure("no element \(css)") }
        return id
    }

    func text(_ css: String) async throws -> String {
        try await WebDriver.call(base + "/element/" + element(css) + "/text", "GET")["value"]?.stringValue ?? ""
    }

    func count(_ css: String) async throws -> Int {
        _ = try await element(css)  // waits for the first one
        return try await WebDriver.call(base + "/elements", "POST", ["using": "css selector", "value": .string(css)])["value"]?.arrayValue?.count ?? 0
    }

    func texts(_ css: String) async throws -> [String] {
        _ = try await element(css)
        var out: [String] = []
        for e in try await WebDriver.call(base + "/elements", "POST", ["using": "css selector", "value": .string(css)])["value"]?.arrayValue ?? [] {
            guard let id = e[Self.elementKey]?.stringValue else { continue }
            out.append(try await WebDriver.call(base + "/element/" + id + "/text", "GET")["value"]?.stringValue ?? "")
        }
        return out
    }

    func click(_ css: String) async throws { try await WebDriver.call(base + "/element/" + element(css) + "/click", "POST", [:]) }

    func type(_ css: String, _ text: String) async throws {
        try await WebDriver.call(base + "/element/" + element(css) + "/value", "POST", ["text": .string(text)])
    }

    func run(_ script: String) async throws { try await WebDriver.call(base + "/execute/sync", "POST", ["script": .string(script), "args": []]) }

    func close() async throws { try await WebDriver.call(base, "DELETE") }
}
