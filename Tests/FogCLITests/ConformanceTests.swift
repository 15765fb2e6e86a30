import FogCLI
import FogControllers
import FogModel
import FogStore
import FogTesting
import Foundation
import Testing

/// The remote path is the local one: every verb and flag of the kubectl-grade CLI, run in the
/// same order against the embedded store and against a real server on 127.0.0.1, prints the
/// same output and exits with the same code (once the values that differ by nature — uids,
/// timestamps, ages, and whether an error came from the store or the server — are masked).
@Suite struct CLIConformanceTests {
    /// The session: each line is one fogctl command (arguments separated by spaces; a
    /// single-quoted part is one argument).
    static let session: [[String]] = {
        let q = Harness.root + "/examples/quickstart"
        let lines = [
            "apply -f \(q)/tiers.yaml -f \(q)/privacy.yaml -f \(q)/nodes.yaml -f \(q)/jobs.yaml",
            "get fn", "get fn -o wide", "get fn,tier", "get pp/low tier/small", "get pp/low nope", "get all", "get tier nope",
            "get fn -L fog/zone --show-labels", "get fn --sort-by .spec.capacity.cpu --no-headers",
            "get fn --sort-by '{.metadata.name}' -o name", "get fn --field-selector spec.region=eu-west,spec.class!=mobile",
            "get fn -o 'jsonpath={range .items[*]}{.metadata.name}{\"\\t\"}{.spec.capacity.cpu}{\"\\n\"}{end}'",
            "get fn -o 'custom-columns=NAME:.metadata.name,CPU:.spec.capacity.cpu,ROLES:.spec.roles'",
            "get fj digits-fedavg -o 'jsonpath={.spec.training.rounds}'", "get fn -o bogus",
            "label fn eu-west-edge-1 team=a", "label fn eu-west-edge-1 team=b", "label fn eu-west-edge-1 team=b --overwrite",
            "label fn eu-west-edge-1 team=b --overwrite", "label fn -l fog/region=us-east zone-group=east", "label fn eu-west-edge-1 team-",
            "label fn eu-west-edge-1 'bad key!=x'", "annotate fj/digits-fedavg owner=ana", "annotate fj digits-fedavg owner-",
            "patch fn eu-west-edge-1 -p '{\"spec\":{\"capacity\":{\"cpu\":6}}}'", "patch fn eu-west-edge-1 -p '{\"spec\":{\"capacity\":{\"cpu\":\"lots\"}}}'",
            "patch fj/digits-fedavg --type json -p '[{\"op\":\"replace\",\"path\":\"/spec/training/rounds\",\"value\":7}]'",
            "patch fj/digits-fedavg --type json -p '[{\"op\":\"test\",\"path\":\"/spec/training/rounds\",\"value\":3}]'",
            "patch fj/digits-fedavg -p '{\"metadata\":{\"name\":\"other\"}}'",
            "get fn eu-west-edge-1 -o 'jsonpath={.spec.capacity.cpu} {.metadata.labels.team}'",
            "create -f \(q)/tiers.yaml", "replace -f \(q)/tiers.yaml",
            "cordon eu-west-edge-2", "cordon fn/eu-west-edge-2", "uncordon eu-west-edge-2", "drain eu-west-edge-3",
            "get fn eu-west-edge-3 -o 'jsonpath={.spec.unschedulable}'",
            "wait fj/digits-fedavg --for=jsonpath={.spec.training.rounds}=7", "wait fn --all --for=jsonpath={.spec.region}",
            "wait fj/digits-fedavg --for=condition=Ready --timeout 200ms", "wait fj/nope --for=condition=Ready",
            "wait fj/nope --for=delete", "wait fj/x --for=sideways",
            "auth can-i delete tiers", "auth can-i bounce tiers",
            "delete fn -l fog/region=ap-south", "delete fj", "get fn --no-headers -o name",
            "delete tier --all", "get tiers",
            "describe fn eu-west-edge-1",
            "explain fj", "explain fj.spec.training.rounds", "explain fn.spec --recursive", "explain fj.spec.nope",
            "logs fn/eu-west-edge-1", "logs fj/digits-fedavg", "logs trainingtask/nope",
            "rounds digits-fedavg", "rounds nope", "model list", "model pull digits-fedavg",
            "stop fj/digits-inference", "stop fj/digits-inference", "get fj digits-inference -o 'jsonpath={.metadata.annotations}'",
            "retry fj/digits-fedavg", "quote -f \(q)/jobs.yaml", "top nodes --limit 3", "version --client", "kinds",
        ]
        return lines.map(words)
    }()

    /// Splits a command line: spaces separate arguments, except inside single quotes.
    static func words(_ line: String) -> [String] {
        var out: [String] = []
        var current = ""
        var quoted = false
        var any = false
        for c in line {
            if c == "'" { quoted.toggle(); any = true; continue }
            if c == " " && !quoted {
                if any { out.append(current) }
                current = ""
                any = false
                continue
            }
            current.append(c)
            any = true
        }
        if any { out.append(current) }
        return out
    }

    /// Masks what differs between two runs by nature.
    static func normalized(_ s: String) -> String {
        var t = s.replacingOccurrences(of: "Error from server", with: "Error from STORE").replacingOccurrences(of: "Error from store", with: "Error from STORE")
        let patterns = [
            (#"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"#, "UID"),
            (#"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z"#, "TIME"),
            (#"(?<![\w.-])\d+(ms|s|m|h|d)(?![\w])"#, "AGE"),
        ]
        for (p, r) in patterns { t = t.replacingOccurrences(of: p, with: r, options: .regularExpression) }
        // An age one character longer in one run ("9s" against "10s") widens its column.
        return t.replacingOccurrences(of: " {2,}", with: "  ", options: .regularExpression)
    }

    @Test func everyVerbPrintsTheSameLocallyAndThroughAServer() async throws {
        let local = try Harness()
        let remoteDir = try Harness()
        let store = try SQLiteStore(path: remoteDir.dir + "/server.db")
        let server = try await TestServer.start(store: store, directory: remoteDir.dir,
                                                tokens: "tokens:\n- {token: conformance-admin, user: me, role: admin}\n",
                                                access: ControllerFamilies.access)
        let remote = ["--server", "http://127.0.0.1:\(server.port)", "--token", "conformance-admin"]
        var differences: [String] = []
        var failures = 0
        for command in Self.session {
            let a = await local.fogctl(command)
            let console = Console.capturing()
            let code = await Fogctl.run(command + remote, console: console)
            let shown = command.joined(separator: " ")
            if a.code != 0 { failures += 1 }
            if a.code != code { differences.append("\(shown): exit \(a.code) locally, \(code) remotely") }
            if Self.normalized(a.stdout) != Self.normalized(console.stdout) {
                differences.append("\(shown): stdout differs\n--- local\n\(a.stdout)--- remote\n\(console.stdout)")
            }
            if Self.normalized(a.stderr) != Self.normalized(console.stderr) {
                differences.append("\(shown): stderr differs\n--- local\n\(a.stderr)--- remote\n\(console.stderr)")
            }
        }
        // `version` names the server's build too, as kubectl version does.
        let version = Console.capturing()
        #expect(await Fogctl.run(["version"] + remote, console: version) == 0)
        #expect(version.stdout == "fogctl \(FogBuild.version) (API fog/v1alpha1)\nserver \(server.baseURL): fog \(FogBuild.version) (API fog/v1alpha1)\n")
        await server.stop()
        #expect(differences.isEmpty, "\(differences.joined(separator: "\n"))")
        // The session exercises failures as well as successes.
        #expect(failures >= 12 && failures < Self.session.count / 2, "\(failures) failing commands")
    }
}
