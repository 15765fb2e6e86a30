@testable import FogCLI
import FogModel
import FogStore
import FogTesting
import Foundation
import Testing

/// The kubectl verbs and flags fogctl offers, each checked for what it prints and writes.
@Suite struct KubectlVerbTests {
    static let quickstart = Harness.root + "/examples/quickstart"

    func cluster() async throws -> Harness {
        let h = try Harness()
        let r = await h.fogctl(["apply", "-f", Self.quickstart + "/tiers.yaml", "-f", Self.quickstart + "/privacy.yaml",
                                "-f", Self.quickstart + "/nodes.yaml", "-f", Self.quickstart + "/jobs.yaml"])
        #expect(r.code == 0, "\(r.stderr)")
        return h
    }

    func node(_ h: Harness, _ name: String) throws -> Resource {
        try #require(try h.store().get(ObjectKey(kind: "FogNode", namespace: "", name: name)))
    }

    @Test func labelAndAnnotateSetChangeOnlyWithOverwriteAndRemove() async throws {
        let h = try await cluster()
        #expect(await h.fogctl(["label", "fn", "eu-west-edge-1", "team=a"]).stdout == "fognode/eu-west-edge-1 labeled\n")
        let refused = await h.fogctl(["label", "fn/eu-west-edge-1", "team=b"])
        #expect(refused.code == 1 && refused.stderr == "error: 'team' already has a value (a), and --overwrite is false\n")
        #expect(try node(h, "eu-west-edge-1").metadata.labels["team"] == "a")
        #expect(await h.fogctl(["label", "fn/eu-west-edge-1", "team=b", "--overwrite"]).code == 0)
        #expect(await h.fogctl(["label", "fn/eu-west-edge-1", "team=b", "--overwrite"]).stdout == "fognode/eu-west-edge-1 not labeled\n")
        #expect(await h.fogctl(["label", "fn", "eu-west-edge-1", "team-"]).stdout == "fognode/eu-west-edge-1 unlabeled\n")
        #expect(try node(h, "eu-west-edge-1").metadata.labels["team"] == nil)
        // -l: every node in the region, and only those.
        let east = await h.fogctl(["label", "fn", "-l", "fog/region=us-east", "group=east"])
        #expect(east.code == 0 && east.stdout.split(separator: "\n").count == 10)
        let labelled = try h.store().list(kind: "FogNode", namespace: nil).items.filter { $0.metadata.labels["group"] == "east" }
        #expect(labelled.count == 10 && labelled.allSatisfy { $0.name.hasPrefix("us-east") })
        // A key the schema refuses is refused with its field, and nothing is written.
        let bad = await h.fogctl(["label", "fn", "eu-west-edge-1", "bad key!=x"])
        #expect(bad.code == 1 && bad.stderr.contains("metadata.labels") && bad.stderr.contains("nothing was changed"), "\(bad.stderr)")
        #expect(await h.fogctl(["annotate", "fj/digits-fedavg", "owner=ana"]).stdout == "federatedjob/digits-fedavg annotated\n")
        let job = try #require(try h.store().get(ObjectKey(kind: "FederatedJob", namespace: "default", name: "digits-fedavg")))
        #expect(job.metadata.annotations["owner"] == "ana" && job.metadata.generation == 1)
        let none = await h.fogctl(["label", "fn", "eu-west-edge-1"])
        #expect(none.code == 1 && none.stderr.contains("at least one label update is required"))
    }

    @Test func patchMergesOrAppliesJSONPatchesAndValidatesBeforeWriting() async throws {
        let h = try await cluster()
        let merged = await h.fogctl(["patch", "fn", "eu-west-edge-1", "-p", #"{"spec":{"capacity":{"cpu":6}}}"#])
        #expect(merged.stdout == "fognode/eu-west-edge-1 patched\n", "\(merged.stderr)")
        #expect(try node(h, "eu-west-edge-1").spec?["capacity"]?["cpu"]?.numberValue == 6)
        #expect(try node(h, "eu-west-edge-1").spec?["capacity"]?["memoryGiB"] != nil)  // merged, not replaced
        #expect(await h.fogctl(["patch", "fn", "eu-west-edge-1", "-p", #"{"spec":{"capacity":{"cpu":6}}}"#]).stdout
                == "fognode/eu-west-edge-1 patched (no change)\n")
        let before = try node(h, "eu-west-edge-1")
        let invalid = await h.fogctl(["patch", "fn", "eu-west-edge-1", "-p", #"{"spec":{"capacity":{"cpu":"lots"}}}"#])
        #expect(invalid.code == 1 && invalid.stderr.contains("spec.capacity.cpu: must be a number"), "\(invalid.stderr)")
        #expect(try node(h, "eu-west-edge-1") == before)
        let json = await h.fogctl(["patch", "fj/digits-fedavg", "--type", "json", "-p",
                                   #"[{"op":"test","path":"/spec/training/rounds","value":30},{"op":"replace","path":"/spec/training/rounds","value":7}]"#])
        #expect(json.code == 0, "\(json.stderr)")
        let job = try #require(try h.store().get(ObjectKey(kind: "FederatedJob", namespace: "default", name: "digits-fedavg")))
        #expect(job.spec?["training"]?["rounds"]?.intValue == 7 && job.metadata.generation == 2)
        let failedTest = await h.fogctl(["patch", "fj/digits-fedavg", "--type", "json", "-p", #"[{"op":"test","path":"/spec/training/rounds","value":30}]"#])
        #expect(failedTest.code == 1 && failedTest.stderr.contains("test failed at /spec/training/rounds: expected 30, found 7"))
        let rename = await h.fogctl(["patch", "fj/digits-fedavg", "-p", #"{"metadata":{"name":"other"}}"#])
        #expect(rename.code == 1 && rename.stderr.contains("metadata.name cannot be changed"))
        let status = await h.fogctl(["patch", "fn", "eu-west-edge-1", "--subresource", "status", "-p", #"{"note":"checked"}"#])
        #expect(status.code == 0, "\(status.stderr)")
        #expect(try node(h, "eu-west-edge-1").status?["note"]?.stringValue == "checked")
    }

    @Test func createRefusesWhatExistsAndReplaceNeedsItAndItsVersion() async throws {
        let h = try Harness()
        let tiers = Self.quickstart + "/tiers.yaml"
        #expect(await h.fogctl(["create", "-f", tiers]).stdout.hasPrefix("tier/small created\n"))
        let again = await h.fogctl(["create", "-f", tiers])
        #expect(again.code == 1 && again.stderr.contains("Error from store (AlreadyExists): tiers \"small\" already exists"))
        #expect(await h.fogctl(["replace", "-f", tiers]).stdout.hasPrefix("tier/small replaced\n"))
        let tier = { (meta: String) in
            "apiVersion: fog/v1alpha1\nkind: Tier\nmetadata: \(meta)\nspec:\n  size: small\n  inference: {pricePerRequest: {min: 0.01, max: 0.1}}\n"
                + "  training: {pricePerHour: {min: 1, max: 10}}\n  deviceClasses: [edge]\n  sla: {uptimePercent: 95}\n"
        }
        let path = try h.write("gone.yaml", tier("{name: gone}"))
        let absent = await h.fogctl(["replace", "-f", path])
        #expect(absent.code == 1 && absent.stderr.contains("(NotFound): tiers \"gone\" not found"), "\(absent.stderr)")
        // A manifest that names an old version is a conflict, not a lost update.
        #expect(await h.fogctl(["label", "tier", "small", "reviewed=yes"]).code == 0)
        let stale = try h.write("stale.yaml", tier("{name: small, resourceVersion: \"1\"}"))
        let conflict = await h.fogctl(["replace", "-f", stale])
        #expect(conflict.code == 1 && conflict.stderr.contains("Conflict"), "\(conflict.stderr)")
    }

    @Test func editWritesWhatTheEditorSavedOrKeepsABadEditAndWritesNothing() async throws {
        let h = try await cluster()
        // An "editor" that changes the rounds, as a person would in vi.
        let script = try h.write("editor.sh", "#!/bin/sh\nsed -i 's/rounds: 30/rounds: 12/' \"$1\"\n")
        chmod(script, 0o755)
        let broken = try h.write("broken.sh", "#!/bin/sh\nsed -i 's/rounds: 12/rounds: -4/' \"$1\"\n")
        chmod(broken, 0o755)
        let untouched = try h.write("noop.sh", "#!/bin/sh\nexit 0\n")
        chmod(untouched, 0o755)
        setenv("FOG_EDITOR", script, 1)
        defer { unsetenv("FOG_EDITOR") }
        let edited = await h.fogctl(["edit", "fj/digits-fedavg"])
        #expect(edited.stdout == "federatedjob/digits-fedavg edited\n", "\(edited.stderr)")
        let key = ObjectKey(kind: "FederatedJob", namespace: "default", name: "digits-fedavg")
        #expect(try h.store().get(key)?.spec?["training"]?["rounds"]?.intValue == 12)
        setenv("FOG_EDITOR", broken, 1)
        let bad = await h.fogctl(["edit", "fj/digits-fedavg"])
        #expect(bad.code == 1 && bad.stderr.contains("spec.training.rounds: must be >= 1") && bad.stderr.contains("your edit is kept in"), "\(bad.stderr)")
        #expect(try h.store().get(key)?.spec?["training"]?["rounds"]?.intValue == 12)
        let kept = try #require(bad.stderr.split(separator: " ").last.map { String($0).trimmingCharacters(in: .whitespacesAndNewlines) })
        #expect(String(decoding: FileManager.default.contents(atPath: kept) ?? Data(), as: UTF8.self).contains("rounds: -4"))
        setenv("FOG_EDITOR", untouched, 1)
        #expect(await h.fogctl(["edit", "fj/digits-fedavg"]).stdout == "Edit cancelled, no changes made.\n")
    }

    @Test func getOffersKubectlsSelectorsColumnsSortingAndTemplates() async throws {
        let h = try await cluster()
        // Two KIND/NAME words: each its own kind (the second is not a name of the first).
        let two = await h.fogctl(["get", "pp/low", "tier/small"])
        #expect(two.code == 0 && two.stdout.contains("privacypolicy/low") && two.stdout.contains("tier/small"), "\(two.stderr)")
        let labels = await h.fogctl(["get", "fn", "eu-west-edge-1", "-L", "fog/zone", "--show-labels"])
        let lines = labels.stdout.split(separator: "\n")
        #expect(lines[0].split(separator: " ").suffix(2) == ["ZONE", "LABELS"], "\(lines[0])")
        #expect(lines[1].split(separator: " ").suffix(2) == ["eu-west-a", "fog/class=edge,fog/region=eu-west,fog/simulated=true,fog/zone=eu-west-a"])
        // The label column and the LABELS column start where their headers do.
        #expect(lines[1].range(of: "fog/class=")?.lowerBound.utf16Offset(in: lines[1]) == lines[0].range(of: "LABELS")?.lowerBound.utf16Offset(in: lines[0]))
        let sorted = await h.fogctl(["get", "fn", "--sort-by", ".spec.capacity.cpu", "-o", "custom-columns=NAME:.metadata.name,CPU:.spec.capacity.cpu", "--no-headers"])
        let cpus = sorted.stdout.split(separator: "\n").map { Double($0.split(separator: " ").last!)! }
        #expect(cpus.count == 30 && cpus == cpus.sorted())
        let fields = await h.fogctl(["get", "fn", "--field-selector", "spec.region=eu-west,spec.class!=mobile", "-o", "name"])
        #expect(fields.stdout.split(separator: "\n").count == 7 && !fields.stdout.contains("mobile") && !fields.stdout.contains("us-east"))
        let template = await h.fogctl(["get", "fn", "-l", "fog/class=cloud", "-o", #"jsonpath={range .items[*]}{.metadata.name}={.spec.region}{"\n"}{end}"#])
        #expect(template.stdout == "ap-south-cloud-1=ap-south\neu-west-cloud-1=eu-west\nus-east-cloud-1=us-east\n")
        let one = await h.fogctl(["get", "fj", "digits-fedavg", "-o", "jsonpath={.spec.training.rounds} {.spec.data.dataset}"])
        #expect(one.stdout == "30 digits")
        let all = await h.fogctl(["get", "all"])
        #expect(all.stdout.contains("federatedjob/digits-fedavg") && !all.stdout.contains("fognode/"))
        let bad = await h.fogctl(["get", "fn", "-o", "jsonpath={.items[}"])
        #expect(bad.code == 1 && bad.stderr.contains("jsonpath"))
    }

    @Test func watchedRowsLineUpWithTheListingAboveThem() async throws {
        let h = try await cluster()
        let console = Console.capturing()
        let watcher = Task { await Fogctl.run(["get", "fn", "-l", "fog/class=cloud", "-w", "--state", h.state], console: console) }
        try await eventually("the listing", wakingOn: [console.written]) { console.stdout.split(separator: "\n").count == 4 }
        // eu-west-cloud-1 is a character shorter than ap-south-cloud-1, which set the NAME column's width.
        #expect(await h.fogctl(["label", "fn", "eu-west-cloud-1", "checked=yes"]).code == 0)
        try await eventually("the changed row", wakingOn: [console.written]) { console.stdout.split(separator: "\n").count == 5 }
        watcher.cancel()
        #expect(await watcher.value == 0)
        let lines = console.stdout.split(separator: "\n").map(String.init)
        func start(_ s: String, _ word: String) -> Int? { s.range(of: word).map { s.distance(from: s.startIndex, to: $0.lowerBound) } }
        #expect(lines[4].hasPrefix("eu-west-cloud-1 "))
        for line in lines.dropFirst() { #expect(start(line, "cloud ") == start(lines[0], "CLASS"), "\(line)") }
    }

    @Test func anObjectBeingDeletedShowsTerminating() async throws {
        let h = try await cluster()
        let store = try h.store()
        var n = try #require(try store.get(ObjectKey(kind: "FogNode", namespace: "", name: "eu-west-edge-1")))
        n.metadata.finalizers = ["fog/test-hold"]
        _ = try store.update(n)
        _ = try store.delete(n.key)
        let row = await h.fogctl(["get", "fn", "eu-west-edge-1"])
        #expect(row.stdout.split(separator: "\n")[1].contains("Terminating"), "\(row.stdout)")
    }

    @Test func deleteTakesASelectorOrAll() async throws {
        let h = try await cluster()
        let d = await h.fogctl(["delete", "fn", "-l", "fog/region=ap-south"])
        #expect(d.stdout.split(separator: "\n").count == 10)
        #expect(try h.store().list(kind: "FogNode", namespace: nil).items.allSatisfy { !$0.name.hasPrefix("ap-south") })
        #expect(await h.fogctl(["delete", "tier", "--all"]).stdout.split(separator: "\n").count == 4)
        #expect(try h.store().list(kind: "Tier", namespace: nil).items.isEmpty)
        let nothing = await h.fogctl(["delete", "tier", "--all"])
        #expect(nothing.code == 0 && nothing.stderr == "No resources found\n")
        let bare = await h.fogctl(["delete", "fj"])
        #expect(bare.code == 1 && bare.stderr.contains("-l SELECTOR or --all"))
    }

    @Test func waitReturnsWhenTheConditionHoldsAndFailsAtItsTimeout() async throws {
        let h = try await cluster()
        let met = await h.fogctl(["wait", "fn", "--all", "--for=jsonpath={.spec.region}"])
        #expect(met.code == 0 && met.stdout.split(separator: "\n").count == 30)
        let late = await h.fogctl(["wait", "fj/digits-fedavg", "--for=condition=Ready", "--timeout", "100ms"])
        #expect(late.code == 1 && late.stderr == "error: timed out waiting for condition Ready=True on federatedjob/digits-fedavg\n")
        // Driven by the watch: the deletion is seen when it is written (or, if it came first, at once).
        let console = Console.capturing()
        let waiter = Task { await Fogctl.run(["wait", "fj/digits-fedavg", "--for=delete", "--timeout", "60s", "--state", h.state], console: console) }
        #expect(await h.fogctl(["delete", "fj", "digits-fedavg"]).code == 0)
        #expect(await waiter.value == 0)
        #expect(console.stdout == "federatedjob/digits-fedavg deleted\n")
    }

    @Test func configViewRedactsTokensAndDeleteContextRemovesOne() async throws {
        let h = try Harness()
        let config = h.dir + "/config.yaml"
        setenv("FOG_CONFIG", config, 1)
        defer { unsetenv("FOG_CONFIG") }
        #expect(await h.offline(["config", "set-context", "a", "--server", "http://127.0.0.1:1", "--token", "secret-token-a"]).code == 0)
        #expect(await h.offline(["config", "set-context", "b", "--server", "http://127.0.0.1:2"]).code == 0)
        #expect(await h.offline(["config", "use-context", "a"]).code == 0)
        let view = await h.offline(["config", "view"])
        #expect(view.stdout.contains("token: REDACTED") && !view.stdout.contains("secret-token-a") && view.stdout.contains("current-context: a"))
        #expect(await h.offline(["config", "view", "--raw"]).stdout.contains("secret-token-a"))
        let deleted = await h.offline(["config", "delete-context", "a"])
        #expect(deleted.stdout.contains("deleted context a") && deleted.stdout.contains("was the current context"))
        #expect(await h.offline(["config", "get-contexts"]).stdout.split(separator: "\n").count == 2)
        #expect(await h.offline(["config", "delete-context", "zzz"]).code == 1)
    }

    @Test func completionPrintsAScriptForEachShell() async throws {
        let h = try Harness()
        for shell in ["bash", "zsh", "fish"] {
            let r = await h.offline(["completion", shell])
            #expect(r.code == 0 && r.stdout.contains("fogctl") && r.stdout.count > 1000, "\(shell)")
        }
        #expect(await h.offline(["completion", "tcsh"]).code == 1)
    }
}

/// RFC 6902 and RFC 7386, on the examples of the RFCs.
@Suite struct JSONPatchTests {
    func json(_ s: String) throws -> JSONValue { try JSONCoding.parse(s) }

    @Test func jsonPatchOperations() throws {
        let doc = try json(#"{"foo":["bar","baz"],"a":{"b":1}}"#)
        #expect(try JSONPatch.apply(json(#"[{"op":"add","path":"/foo/1","value":"qux"}]"#), to: doc) == json(#"{"foo":["bar","qux","baz"],"a":{"b":1}}"#))
        #expect(try JSONPatch.apply(json(#"[{"op":"add","path":"/foo/-","value":"end"}]"#), to: doc) == json(#"{"foo":["bar","baz","end"],"a":{"b":1}}"#))
        #expect(try JSONPatch.apply(json(#"[{"op":"remove","path":"/foo/0"}]"#), to: doc) == json(#"{"foo":["baz"],"a":{"b":1}}"#))
        #expect(try JSONPatch.apply(json(#"[{"op":"replace","path":"/a/b","value":2}]"#), to: doc) == json(#"{"foo":["bar","baz"],"a":{"b":2}}"#))
        #expect(try JSONPatch.apply(json(#"[{"op":"move","from":"/a/b","path":"/c"}]"#), to: doc) == json(#"{"foo":["bar","baz"],"a":{},"c":1}"#))
        #expect(try JSONPatch.apply(json(#"[{"op":"copy","from":"/foo/0","path":"/d"}]"#), to: doc) == json(#"{"foo":["bar","baz"],"a":{"b":1},"d":"bar"}"#))
        #expect(try JSONPatch.apply(json(#"[{"op":"add","path":"/a~1b","value":3}]"#), to: doc)["a/b"] == .int(3))
        // All or nothing, with the operation's index.
        #expect(throws: JSONPatch.Failure.self) { try JSONPatch.apply(try json(#"[{"op":"replace","path":"/nope","value":1}]"#), to: doc) }
        #expect(throws: JSONPatch.Failure.self) { try JSONPatch.apply(try json(#"[{"op":"test","path":"/a/b","value":2}]"#), to: doc) }
        #expect(throws: JSONPatch.Failure.self) { try JSONPatch.apply(try json(#"[{"op":"add","path":"/foo/9","value":1}]"#), to: doc) }
        #expect(throws: JSONPatch.Failure.self) { try JSONPatch.apply(try json(#"[{"op":"move","from":"/a","path":"/a/x"}]"#), to: doc) }
        do { _ = try JSONPatch.apply(try json(#"[{"op":"add","path":"/x","value":1},{"op":"remove","path":"/y"}]"#), to: doc) } catch let e as JSONPatch.Failure {
            #expect(e.message == "operation 1 (remove): /y does not exist")
        }
    }

    @Test func mergePatch() throws {
        #expect(JSONPatch.merge(try json(#"{"a":"b","c":{"d":"e","f":"g"}}"#), try json(#"{"a":"z","c":{"f":null}}"#))
                == (try json(#"{"a":"z","c":{"d":"e"}}"#)))
        #expect(JSONPatch.merge(try json(#"{"a":[1,2]}"#), try json(#"{"a":[3]}"#)) == (try json(#"{"a":[3]}"#)))
    }

    /// The merge patch between two versions turns one into the other, and names only what changed.
    @Test func diffIsTheMergePatchBetweenTwoVersions() throws {
        let before = try json(#"{"metadata":{"name":"n","labels":{"a":"1","b":"2"}},"spec":{"x":[1,2],"y":{"z":1}}}"#)
        let after = try json(#"{"metadata":{"name":"n","labels":{"a":"1","c":"3"}},"spec":{"x":[2],"y":{"z":1}}}"#)
        let patch = JSONPatch.diff(from: before, to: after)
        #expect(patch == (try json(#"{"metadata":{"labels":{"b":null,"c":"3"}},"spec":{"x":[2]}}"#)))
        #expect(JSONPatch.merge(before, patch) == after)
    }
}

/// kubectl's JSONPath templates.
@Suite struct JSONPathTemplateTests {
    let doc: JSONValue = ["items": [["metadata": ["name": "a"], "status": ["conditions": [["type": "Ready", "status": "True"]], "n": 3]],
                                    ["metadata": ["name": "b"], "status": ["conditions": [["type": "Ready", "status": "False"]], "n": 1]]]]

    @Test func rendersPathsRangesFiltersAndLiterals() throws {
        #expect(try JSONPathTemplate("{.items[*].metadata.name}").render(doc) == "a b")
        #expect(try JSONPathTemplate(".items[0].metadata.name").render(doc) == "a")
        #expect(try JSONPathTemplate("{.items[-1].metadata.name}").render(doc) == "b")
        #expect(try JSONPathTemplate(#"{range .items[*]}{.metadata.name}:{.status.n}{"\n"}{end}"#).render(doc) == "a:3\nb:1\n")
        #expect(try JSONPathTemplate(#"{.items[?(@.status.n>2)].metadata.name}"#).render(doc) == "a")
        #expect(try JSONPathTemplate(#"{.items[*].status.conditions[?(@.type=="Ready")].status}"#).render(doc) == "True False")
        #expect(try JSONPathTemplate("{..name}").render(doc) == "a b")
        #expect(try JSONPathTemplate("{.items[0:1].metadata['name']}").render(doc) == "a")
        #expect(try JSONPathTemplate("{.items[0].status.conditions[0]}").render(doc) == #"{"status":"True","type":"Ready"}"#)
        #expect(throws: (any Error).self) { try JSONPathTemplate("{range .items[*]}{.x}") }
        #expect(throws: (any Error).self) { try JSONPathTemplate("{.items[}") }
    }
}
