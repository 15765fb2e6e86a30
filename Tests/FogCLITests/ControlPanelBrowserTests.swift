import FogCLI
import FogControllers
import FogModel
import FogServer
import FogStore
import FogTesting
import Foundation
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

    /// Where the test saves a screenshot of each page: `FOG_UI_SCREENSHOTS`, else beside the
    /// test's state file (the path is printed).
    static func screenshots(_ h: Harness) throws -> String {
        let dir = ProcessInfo.processInfo.environment["FOG_UI_SCREENSHOTS"] ?? h.dir + "/screenshots"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    /// Fails the test if the page has met any error (script errors, failed promises: app.js keeps them).
    static func noErrors(_ browser: Browser, _ page: String) async throws {
        let errors = try await browser.evaluate("return window.fogErrors;")
        #expect(errors == [], "errors on \(page): \(errors)")
    }

    @Test func theControlPanelShowsTheQuickStartInARealBrowser() async throws {
        let h = try Harness()
        let up = await h.fogctl(["up", "-f", Harness.root + "/examples/quickstart", "--seed", "1", "--data-dir", Harness.root + "/examples/data"])
        #expect(up.code == 0, "\(up.stderr)")
        let store = try h.store()
        // An auction still open in the tenant's namespace, with one bid: sealed to the tenant.
        var open = try store.create(Resource(kind: "Auction", metadata: ObjectMeta(name: "capacity", namespace: "team-b"), content: [
            "spec": ["participantsWanted": 1, "requirements": ["cpu": 1], "reservePrice": 5, "duration": "1h"]]))
        open.status = ["phase": "Open", "bidCount": 1, "round": 1]
        _ = try store.updateStatus(open)
        _ = try store.create(Resource(kind: "Bid", metadata: ObjectMeta(name: "capacity-bid", namespace: "team-b"),
                                      content: ["spec": ["auction": "capacity", "node": "eu-west-edge-1", "price": 0.4242]]))
        let server = try await TestServer.start(store: store, directory: h.dir, tokens: Self.tokens, access: ControllerFamilies.access)
        let shots = try Self.screenshots(h)
        let driver = try await WebDriver.start()
        do {
            let browser = try await driver.session()
            try await browser.resize(width: 1300, height: 1800)
            // The page asks for a token; the admin's opens everything.
            try await browser.open(server.baseURL + "/ui/")
            try await browser.type("#token", "panel-admin")
            try await browser.click("#login-form button")
            let nodes = try store.list(kind: "FogNode", namespace: nil, selector: LabelSelector()).items
            let ready = nodes.filter { $0.condition("Ready")?.status == .true }.count
            #expect(try await browser.text("#nodes-ready") == "\(ready) / \(nodes.count)")
            let overviewJobs = try await browser.text("#overview-jobs")
            for job in ["digits-fedavg", "digits-auction", "digits-inference"] { #expect(overviewJobs.contains(job)) }
            try await browser.screenshot(to: shots + "/overview.png")
            try await Self.noErrors(browser, "overview")

            // A job: its accuracy curve has one point per round, its participants are the allocation's.
            let job = try #require(try store.get(ObjectKey(kind: "FederatedJob", namespace: "default", name: "digits-fedavg")))
            let rounds = job.status?["training"]?["rounds"]?.arrayValue ?? []
            try await browser.open(server.baseURL + "/ui/#/job/default/digits-fedavg")
            _ = try await browser.element("#job-chart path[data-series=accuracy]")
            #expect(try await browser.count("#job-chart circle") == 2 * rounds.count)
            #expect(try await browser.count("#job-participants tbody tr") == (job.status?["allocation"]?["participants"]?.arrayValue?.count ?? -1))
            #expect(try await browser.text("#job-quote").contains("privacy"))
            try await browser.screenshot(to: shots + "/job.png")
            // Plan a change: the server's dry run answers, the diff shows it, nothing is written.
            let before = job.metadata.resourceVersion
            try await browser.run("""
                const t = document.querySelector("textarea"); const o = JSON.parse(t.value);
                o.metadata.labels = Object.assign({}, o.metadata.labels, {team: "vision"}); t.value = JSON.stringify(o);
                document.querySelector("textarea").parentElement.querySelector("button").click();
                """)
            #expect(try await browser.text("[id$='-out'] .diff .add").contains("team: vision"))
            #expect(try store.get(job.key)?.metadata.resourceVersion == before)
            try await Self.noErrors(browser, "job")

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
            try await browser.screenshot(to: shots + "/nodes.png")

            // Cordoned elsewhere (the CLI, against the server): the open page shows it without a reload.
            let boot = try await browser.evaluate("return window.fogBoot;")
            let target = nodes.map(\.name).sorted(by: >)[5]
            #expect(try await browser.evaluate("return document.querySelectorAll('#node-table tbody tr:nth-child(1) .pill.warn').length;") == 0)
            let t0 = try await browser.evaluate("return performance.now();").numberValue ?? 0
            let cordon = Console.capturing()
            #expect(await Fogctl.run(["cordon", target, "--server", server.baseURL, "--token", "panel-admin"], console: cordon) == 0, "\(cordon.stderr)")
            _ = try await browser.element("#node-table tbody tr:nth-child(1) .pill.warn")
            let t1 = Double(try await browser.evaluate("return document.querySelector('main').dataset.rendered;").stringValue ?? "") ?? 0
            #expect(try await browser.evaluate("return window.fogBoot;") == boot)
            #expect(try await browser.text("#live") == "live")
            print("control panel: a cordon made with the CLI showed on the open nodes page \(Int(t1 - t0)) ms after the command started (browser clock, no reload)")
            try await Self.noErrors(browser, "nodes")

            // The auction: closed, so its ranked bids are shown.
            let auction = try #require(try store.get(ObjectKey(kind: "Auction", namespace: "default", name: "digits-auction")))
            try await browser.open(server.baseURL + "/ui/#/auction/default/digits-auction")
            #expect(try await browser.count("#auction-ranking tbody tr") == (auction.status?["ranking"]?.arrayValue?.count ?? -1))
            #expect(try await browser.text("#auction-clearing") == JSONCoding.formatDouble(auction.status?["clearingPrice"]?.numberValue ?? -1))
            try await browser.screenshot(to: shots + "/auction.png")
            for (page, route) in [("circuitpool", "#/circuitpool/default/high-privacy"), ("gitsources", "#/gitsources"), ("events", "#/events"), ("jobs", "#/jobs")] {
                try await browser.open(server.baseURL + "/ui/" + route)
                _ = try await browser.element("main[data-page=\(route.split(separator: "/")[1])]")
                try await browser.screenshot(to: shots + "/\(page).png")
                try await Self.noErrors(browser, page)
            }

            // A tenant of team-b: no other namespace's job, no sealed bid.
            try await browser.run("sessionStorage.clear();")
            try await browser.open(server.baseURL + "/ui/?tenant")
            try await browser.type("#token", "panel-tenant")
            try await browser.click("#login-form button")
            _ = try await browser.element("main[data-page=overview]")
            let page = try await browser.text("main")
            #expect(page.contains("Your token may not read GitSources"))
            #expect(!page.contains("digits-fedavg"))
            try await browser.open(server.baseURL + "/ui/?tenant#/job/default/digits-fedavg")
            #expect(try await browser.text("#page-error") == "Your token may not read this.")
            try await browser.open(server.baseURL + "/ui/?tenant#/auction/team-b/capacity")
            #expect(try await browser.text("#auction-sealed").contains("Sealed"))
            #expect(!(try await browser.text("main")).contains("0.4242"))
            try await Self.noErrors(browser, "tenant pages")
            print("control panel screenshots: \(shots)")
        } catch {
            await driver.stop()
            await server.stop()
            throw error
        }
        await driver.stop()
        await server.stop()
    }
}

