/// What the generated status types (`Status.generated.swift`) read their fields with: each
/// checks a JSON value's type and names the field path when it is wrong, in the words of
/// `JSONValueDecoder` (`status.trust: must be a number (got string "x")`).
public enum StatusRead {
    public static func required(_ v: JSONValue?, _ path: String) throws(JSONDecodingError) -> JSONValue {
        guard let v, !v.isNull else { throw JSONDecodingError(path: path, message: "required field is missing") }
        return v
    }

    public static func string(_ v: JSONValue, _ path: String) throws(JSONDecodingError) -> String {
        guard case .string(let s) = v else { throw wrong(v, path, "a string") }
        return s
    }

    public static func int(_ v: JSONValue, _ path: String) throws(JSONDecodingError) -> Int {
        guard let i = v.intValue else { throw wrong(v, path, "an integer") }
        return Int(i)
    }

    public static func double(_ v: JSONValue, _ path: String) throws(JSONDecodingError) -> Double {
        guard let d = v.numberValue else { throw wrong(v, path, "a number") }
        return d
    }

    public static func bool(_ v: JSONValue, _ path: String) throws(JSONDecodingError) -> Bool {
        guard case .bool(let b) = v else { throw wrong(v, path, "a boolean") }
        return b
    }

    public static func object(_ v: JSONValue, _ path: String) throws(JSONDecodingError) -> [String: JSONValue] {
        guard case .object(let o) = v else { throw wrong(v, path, "a mapping") }
        return o
    }

    public static func condition(_ v: JSONValue, _ path: String) throws(JSONDecodingError) -> Condition {
        guard let c = Condition(json: v) else {
            throw JSONDecodingError(path: path, message: "must be a condition with a type and a status of True, False or Unknown")
        }
        return c
    }

    public static func enumeration<E: SchemaEnum>(_ type: E.Type, _ v: JSONValue, _ path: String) throws(JSONDecodingError) -> E {
        let text = try string(v, path)
        guard let e = E(rawValue: text) else {
            throw JSONDecodingError(path: path, message: "must be one of: \(E.allCases.map(\.rawValue).joined(separator: ", ")) (got \(JSONValueText.render(v)))")
        }
        return e
    }

    public static func array<T>(_ v: JSONValue, _ path: String,
                                _ element: (JSONValue, String) throws(JSONDecodingError) -> T) throws(JSONDecodingError) -> [T] {
        guard case .array(let a) = v else { throw wrong(v, path, "a list") }
        var out: [T] = []
        out.reserveCapacity(a.count)
        for (i, e) in a.enumerated() { out.append(try element(e, FieldPath.element(path, i))) }
        return out
    }

    public static func map<T>(_ v: JSONValue, _ path: String,
                              _ value: (JSONValue, String) throws(JSONDecodingError) -> T) throws(JSONDecodingError) -> [String: T] {
        guard case .object(let o) = v else { throw wrong(v, path, "a mapping") }
        var out: [String: T] = [:]
        out.reserveCapacity(o.count)
        for (k, e) in o { out[k] = try value(e, FieldPath.child(path, k)) }
        return out
    }

    static func wrong(_ v: JSONValue, _ path: String, _ expected: String) -> JSONDecodingError {
        JSONDecodingError(path: path, message: "must be \(expected) (got \(JSONValueText.describe(v)))")
    }
}
