import FogModel
import FogRuntime

extension ControllerFamily {
    /// GitOps: GitSources keep repositories of manifests applied (fetch, atomic apply, prune
    /// with safety, drift repair, dependencies). GitSource stays admin-only (no access lines):
    /// the controller applies a repository's objects with its own rights, so whoever may
    /// create a source may write any kind in any namespace through it.
    public static let gitops = ControllerFamily(
        name: "gitops",
        kinds: ["GitSource"],
        readiness: ["GitSource": .readyCondition],
        controllers: { settings in
            [GitSourceController(fetcher: GitFetcher(root: settings.gitCheckouts, credentialsDirectory: settings.gitCredentials))]
        },
        summary: { cache in
            let sources = cache.list("GitSource")
            guard !sources.isEmpty else { return [] }
            return sources.sorted { $0.name < $1.name }.map { s in
                let ready = s.condition("Ready")
                let rev = s.status?["lastAppliedRevision"]?.stringValue.map { String($0.prefix(12)) } ?? "none"
                return "gitsource \(s.namespace)/\(s.name): Ready=\(ready?.status.rawValue ?? "Unknown") at \(rev), \(s.status?["inventoryCount"]?.intValue ?? 0) objects, \(s.status?["driftRepairs"]?.intValue ?? 0) drift repairs"
            }
        })
}
