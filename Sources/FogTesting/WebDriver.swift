import AsyncHTTPClient
import FogModel
import Foundation
import NIOCore

/// A WebDriver (W3C) client for Debian's Chromium through chromedriver: the control panel's
/// browser tests and `fog-bench ui` drive a real, headless browser with it.
/// chromedriver, started on a free port, and the WebDriver sessions it gives.
public final class WebDriver: @unchecked Sendable {
    let process: Process
    let base: String

    private init(process: Process, base: String) { self.process = process; self.base = base }

    public static func start() async throws -> WebDriver {
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

    public func session() async throws -> Browser {
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
    public func stop() async {
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
    public static func call(_ url: String, _ method: String, _ body: JSONValue? = nil) async throws -> JSONValue {
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

    public struct Failure: Error, CustomStringConvertible {
        public let description: String
        public init(_ d: String) { description = d }
    }
}

/// One browser session.
public struct Browser {
    public let base: String
    static let elementKey = "element-6066-11e4-a52e-4f735466cecf"

    public func open(_ url: String) async throws { try await WebDriver.call(base + "/url", "POST", ["url": .string(url)]) }

    public func element(_ css: String) async throws -> String {
        let r = try await WebDriver.call(base + "/element", "POST", ["using": "css selector", "value": .string(css)])
        guard let id = r["value"]?[Self.elementKey]?.stringValue else { throw WebDriver.Failure("no element \(css)") }
        return id
    }

    public func text(_ css: String) async throws -> String {
        try await WebDriver.call(base + "/element/" + element(css) + "/text", "GET")["value"]?.stringValue ?? ""
    }

    public func count(_ css: String) async throws -> Int {
        _ = try await element(css)  // waits for the first one
        return try await WebDriver.call(base + "/elements", "POST", ["using": "css selector", "value": .string(css)])["value"]?.arrayValue?.count ?? 0
    }

    public func texts(_ css: String) async throws -> [String] {
        _ = try await element(css)
        var out: [String] = []
        for e in try await WebDriver.call(base + "/elements", "POST", ["using": "css selector", "value": .string(css)])["value"]?.arrayValue ?? [] {
            guard let id = e[Self.elementKey]?.stringValue else { continue }
            out.append(try await WebDriver.call(base + "/element/" + id + "/text", "GET")["value"]?.stringValue ?? "")
        }
        return out
    }

    public func click(_ css: String) async throws { try await WebDriver.call(base + "/element/" + element(css) + "/click", "POST", [:]) }

    public func type(_ css: String, _ text: String) async throws {
        try await WebDriver.call(base + "/element/" + element(css) + "/value", "POST", ["text": .string(text)])
    }

    public func run(_ script: String) async throws { try await WebDriver.call(base + "/execute/sync", "POST", ["script": .string(script), "args": []]) }

    /// What `script` returns (`return …;`), as JSON.
    public func evaluate(_ script: String) async throws -> JSONValue {
        try await WebDriver.call(base + "/execute/sync", "POST", ["script": .string(script), "args": []])["value"] ?? .null
    }

    /// Saves a PNG of the window to `path`.
    public func screenshot(to path: String) async throws {
        guard let b64 = try await WebDriver.call(base + "/screenshot", "GET")["value"]?.stringValue, let data = Data(base64Encoded: b64) else {
            throw WebDriver.Failure("no screenshot")
        }
        try data.write(to: URL(fileURLWithPath: path))
    }

    /// Sets the window's size (screenshots of long pages).
    public func resize(width: Int, height: Int) async throws {
        try await WebDriver.call(base + "/window/rect", "POST", ["width": .int(Int64(width)), "height": .int(Int64(height))])
    }

    public func close() async throws { try await WebDriver.call(base, "DELETE") }
}
