import FogModel
import Foundation

/// A manifest file's bytes and the name errors will use for it (`-` for stdin).
public struct ManifestInput: Sendable {
    public var name: String
    public var bytes: [UInt8]
    public init(name: String, bytes: [UInt8]) {
        self.name = name
        self.bytes = bytes
    }

    /// Reads `-f` arguments: files, directories (`.yaml`, `.yml`, `.json`, sorted;
    /// subdirectories only with `recursive`), or `-` for standard input.
    public static func load(paths: [String], recursive: Bool,
                            readStandardInput: () -> [UInt8]? = { ManifestInput.readStandardInput() }) throws -> [ManifestInput] {
        var inputs: [ManifestInput] = []
        var errors: [ManifestError] = []
        let fm = FileManager.default
        for path in paths {
            if path == "-" {
                guard let bytes = readStandardInput() else {
                    errors.append(ManifestError(file: "-", message: "standard input is larger than \(ManifestLimits.maxFileBytes) bytes (16 MiB)"))
                    continue
                }
                inputs.append(ManifestInput(name: "-", bytes: bytes))
                continue
            }
            var isDir: ObjCBool = false
            guard fm.fileExists(atPath: path, isDirectory: &isDir) else {
                errors.append(ManifestError(file: path, message: "no such file or directory"))
                continue
            }
            let files = isDir.boolValue ? manifestFiles(in: path, recursive: recursive) : [path]
            if isDir.boolValue && files.isEmpty {
                errors.append(ManifestError(file: path, message: "no .yaml, .yml or .json files in this directory\(recursive ? "" : " (use -R to include subdirectories)")"))
            }
            for file in files {
                do {
                    let size = (try fm.attributesOfItem(atPath: file)[.size] as? NSNumber)?.intValue ?? 0
                    if size > ManifestLimits.maxFileBytes {
                        errors.append(ManifestError(file: file, message: "file is \(size) bytes; the limit is \(ManifestLimits.maxFileBytes) bytes (16 MiB); split it into several files"))
                        continue
                    }
                    guard let data = fm.contents(atPath: file) else {
                        errors.append(ManifestError(file: file, message: "cannot read the file"))
                        continue
                    }
                    inputs.append(ManifestInput(name: file, bytes: [UInt8](data)))
                } catch {
                    errors.append(ManifestError(file: file, message: "cannot read the file: \(error.localizedDescription)"))
                }
            }
        }
        if !errors.isEmpty { throw ManifestErrors(errors) }
        return inputs
    }

    static func manifestFiles(in dir: String, recursive: Bool) -> [String] {
        let fm = FileManager.default
        guard let entries = try? fm.contentsOfDirectory(atPath: dir) else { return [] }
        var out: [String] = []
        for entry in entries.sorted() where !entry.hasPrefix(".") {
            let full = dir.hasSuffix("/") ? dir + entry : dir + "/" + entry
            var isDir: ObjCBool = false
            fm.fileExists(atPath: full, isDirectory: &isDir)
            if isDir.boolValue {
                if recursive { out += manifestFiles(in: full, recursive: true) }
            } else if entry.hasSuffix(".yaml") || entry.hasSuffix(".yml") || entry.hasSuffix(".json") {
                out.append(full)
            }
        }
        return out
    }

    /// Reads standard input up to the file limit; nil when it is larger.
    public static func readStandardInput() -> [UInt8]? {
        var out: [UInt8] = []
        let handle = FileHandle.standardInput
        while true {
            let chunk = handle.readData(ofLength: 1 << 16)
            if chunk.isEmpty { break }
            out.append(contentsOf: chunk)
            if out.count > ManifestLimits.maxFileBytes { return nil }
        }
        return out
    }
}

/// An object decoded from a manifest, validated and defaulted, with where it came from.
public struct DecodedObject: Sendable {
    public var resource: Resource
    public var file: String
    public var document: Int
    public var line: Int
    public var column: Int
    /// The manifest's `metadata.resourceVersion`, if it gave one (`replace` writes only that version).
    public var resourceVersion: Int64? = nil
}

/// Decodes manifests into objects: YAML → JSON → kind and apiVersion checks →
/// JSON Schema admission → name and label rules → defaults. Either every
/// document is valid, or every problem is reported and no object is returned.
public struct ManifestDecoder: Sendable {
    public var schemas: SchemaSet
    /// Namespace for namespaced objects that name none.
    public var defaultNamespace: String
    /// When set (`-n`), objects naming another namespace are rejected, as kubectl does.
    public var requiredNamespace: String?
    /// Cores a large file is read and admitted on (every core of the machine by default).
    public var cores = ProcessInfo.processInfo.activeProcessorCount

    public init(schemas: SchemaSet = .builtIn, defaultNamespace: String = "default", requiredNamespace: String? = nil) {
        self.schemas = schemas
        self.defaultNamespace = requiredNamespace ?? defaultNamespace
        self.requiredNamespace = requiredNamespace
    }

    public func decode(_ inputs: [ManifestInput]) throws -> [DecodedObject] {
        var objects: [DecodedObject] = []
        var errors: [ManifestError] = []
        var seen: [ObjectKey: DecodedObject] = [:]
        for input in inputs {
            let (documents, parseErrors) = YAMLReader.parse(input.bytes, file: input.name, cores: cores)
            errors += parseErrors
            var objectsInFile = 0
            // Each document's objects (a List's items, or the document itself), or its error.
            let items: [(doc: ParsedDocument, objects: Result<[(JSONValue, String)], ManifestError>)] = documents.compactMap { doc in
                if doc.value.isNull { return nil }  // an empty document, as between two `---`
                guard doc.value["kind"]?.stringValue == "List", doc.value.objectValue != nil else { return (doc, .success([(doc.value, "")])) }
                guard let list = doc.value["items"]?.arrayValue else {
                    let (l, c) = doc.location(of: "items")
                    return (doc, .failure(ManifestError(file: doc.file, document: doc.index, line: l, column: c, path: "items",
                                                        message: "a List needs items: a list of objects")))
                }
                return (doc, .success(list.enumerated().map { ($1, "items[\($0)]") }))
            }
            // Admission of each object is independent of the others: on every core.
            let admitted = concurrentMap(items, cores: cores) { item -> [(prefix: String, result: Result<DecodedObject, ManifestErrors>)] in
                guard case .success(let objects) = item.objects else { return [] }
                return objects.map { ($0.1, admit($0.0, prefix: $0.1, doc: item.doc)) }
            }
            for (item, results) in zip(items, admitted) {
                if case .failure(let e) = item.objects { errors.append(e); continue }
                for (prefix, result) in results {
                    objectsInFile += 1
                    switch result {
                    case .success(let object):
                        if let first = seen[object.resource.key] {
                            errors.append(ManifestError(file: item.doc.file, document: item.doc.index, line: object.line, column: object.column,
                                                        path: FieldPath.child(prefix, "metadata.name"),
                                                        message: "\(object.resource.kind) \"\(object.resource.name)\" is defined twice; first at \(first.file):\(first.line):\(first.column)"))
                        } else {
                            seen[object.resource.key] = object
                            objects.append(object)
                        }
                    case .failure(let e):
                        errors += e.errors
                    }
                }
            }
            if objectsInFile == 0 && parseErrors.isEmpty {
                errors.append(ManifestError(file: input.name, message: "no objects found (the file is empty or holds only comments)"))
            }
        }
        if !errors.isEmpty { throw ManifestErrors(errors) }
        return objects
    }

    func admit(_ value: JSONValue, prefix: String, doc: ParsedDocument) -> Result<DecodedObject, ManifestErrors> {
        var errors: [ManifestError] = []
        func report(_ path: String, _ message: String, atKey: Bool = false, locate: String? = nil) {
            let full = prefix.isEmpty ? path : (path.isEmpty ? prefix : prefix + "." + path)
            let (l, c) = doc.location(of: locate.map { prefix.isEmpty ? $0 : prefix + "." + $0 } ?? full, atKey: atKey)
            errors.append(ManifestError(file: doc.file, document: doc.index, line: l, column: c, path: full, message: message))
        }
        guard var object = value.objectValue else {
            report("", "expected a mapping with apiVersion, kind, metadata and spec (got \(JSONSchema.describe(value)))")
            return .failure(ManifestErrors(errors))
        }
        // apiVersion and kind first: they pick the schema.
        switch object["apiVersion"] {
        case nil: report("apiVersion", "required field is missing (expected \"\(fogAPIVersion)\")", locate: "")
        case .string(fogAPIVersion)?: break
        case let v?: report("apiVersion", "unknown apiVersion \(JSONSchema.render(v)); expected \"\(fogAPIVersion)\"")
        }
        var schema: JSONSchema?
        var info: KindInfo?
        switch object["kind"] {
        case nil: report("kind", "required field is missing (expected one of: \(knownKinds))", locate: "")
        case .string(let k)?:
            if let s = schemas.byKind[k] {
                schema = s
                info = schemas.registry.info(forKind: k)
            } else {
                var message = "unknown kind \"\(k)\""
                if let known = schemas.registry.lookup(k) {
                    message += "; did you mean \"\(known.kind)\"?"
                } else if let guess = JSONSchema.closest(k, among: schemas.registry.kinds.map(\.kind)) {
                    message += "; did you mean \"\(guess)\"?"
                }
                report("kind", message + " (known kinds: \(knownKinds))")
            }
        case let v?: report("kind", "must be a string (got \(JSONSchema.describe(v)))")
        }
        guard errors.isEmpty, let schema, let info else { return .failure(ManifestErrors(errors)) }

        // Names and labels get messages in Kubernetes' words; the schema's patterns then stay quiet on those paths.
        var reported = Set<String>()
        if let meta = object["metadata"]?.objectValue {
            if let name = meta["name"]?.stringValue, let p = Names.dns1123LabelProblem(name) {
                report("metadata.name", "\(p) (got \(JSONSchema.render(.string(name))))")
                reported.insert("metadata.name")
            }
            if let ns = meta["namespace"]?.stringValue {
                if !info.namespaced {
                    report("metadata.namespace", "\(info.kind) is cluster-scoped and has no namespace; remove this field")
                } else if let p = Names.dns1123LabelProblem(ns) {
                    report("metadata.namespace", "\(p) (got \(JSONSchema.render(.string(ns))))")
                } else if let required = requiredNamespace, ns != required {
                    report("metadata.namespace", "the object's namespace \"\(ns)\" does not match the namespace \"\(required)\" given with -n")
                }
                reported.insert("metadata.namespace")
            }
            for field in ["labels", "annotations"] {
                guard let map = meta[field]?.objectValue else { continue }
                for key in map.keys.sorted() {
                    let path = "metadata.\(field).\(key)"
                    if let p = Names.labelKeyProblem(key) {
                        report(path, "\(p) (got key \(JSONSchema.render(.string(key))))", atKey: true)
                        reported.insert(path)
                    } else if field == "labels", let v = map[key]?.stringValue, let p = Names.labelValueProblem(v) {
                        report(path, "\(p) (got \(JSONSchema.render(.string(v))))")
                        reported.insert(path)
                    }
                }
            }
        }
        for v in schema.validate(value) where !reported.contains(v.path) {
            switch v.kind {
            case .missing:
                let parent = v.path.split(separator: ".").dropLast().joined(separator: ".")
                report(v.path, v.message, locate: parent)
            case .unknownField: report(v.path, v.message, atKey: true)
            case .value: report(v.path, v.message)
            }
        }
        if errors.isEmpty {
            for (path, message) in CrossFieldRules.problems(kind: info.kind, value) { report(path, message) }
        }
        guard errors.isEmpty else { return .failure(ManifestErrors(errors)) }

        // Server-set metadata and status are not part of the desired state.
        var meta = object["metadata"]!.objectValue!
        let givenVersion = meta["resourceVersion"].flatMap { $0.stringValue.flatMap { Int64($0) } ?? $0.intValue }
        for field in ["uid", "resourceVersion", "generation", "creationTimestamp", "deletionTimestamp"] {
            meta.removeValue(forKey: field)
        }
        if info.namespaced && meta["namespace"] == nil { meta["namespace"] = .string(defaultNamespace) }
        object["metadata"] = .object(meta)
        object.removeValue(forKey: "status")
        var defaulted = JSONValue.object(object)
        schema.applyDefaults(&defaulted)
        do {
            let resource = try Resource(json: defaulted)
            if let v = ObjectLimits.violation(of: resource) {
                report("", v.message)
                return .failure(ManifestErrors(errors))
            }
            let (l, c) = prefix.isEmpty ? (doc.line, doc.column) : doc.location(of: prefix)
            return .success(DecodedObject(resource: resource, file: doc.file, document: doc.index, line: l, column: c, resourceVersion: givenVersion))
        } catch {
            report("", "\(error)")
            return .failure(ManifestErrors(errors))
        }
    }

    var knownKinds: String { schemas.registry.kinds.map(\.kind).joined(separator: ", ") }
}
