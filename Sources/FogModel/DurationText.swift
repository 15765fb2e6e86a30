/// The one duration grammar: manifests (`roundTimeout: 30s`, the schemas' pattern), the
/// controllers and `fogctl`'s flags (`--timeout 5m`) all read durations with it.
public enum DurationText {
    /// Seconds in a duration such as "500ms", "30s", "5m", "1h30m", "1.5h", "2d":
    /// one or more `<digits>[.<digits>]<unit>` with unit ms, s, m, h or d (the
    /// schemas' pattern). Nil for anything else: "", "30", "5x", "-1s", "1h 30m".
    public static func seconds(_ text: String) -> Double? {
        let bytes = Array(text.utf8)
        guard !bytes.isEmpty else { return nil }
        func isDigit(_ b: UInt8) -> Bool { b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9") }
        var i = 0
        var total = 0.0
        while i < bytes.count {
            let start = i
            while i < bytes.count, isDigit(bytes[i]) { i += 1 }
            guard i > start else { return nil }
            if i < bytes.count, bytes[i] == UInt8(ascii: ".") {
                i += 1
                let fraction = i
                while i < bytes.count, isDigit(bytes[i]) { i += 1 }
                guard i > fraction else { return nil }
            }
            guard let number = Double(String(decoding: bytes[start..<i], as: UTF8.self)) else { return nil }
            let unitStart = i
            while i < bytes.count, !isDigit(bytes[i]), bytes[i] != UInt8(ascii: ".") { i += 1 }
            let scale: Double
            switch String(decoding: bytes[unitStart..<i], as: UTF8.self) {
            case "ms": scale = 0.001
            case "s": scale = 1
            case "m": scale = 60
            case "h": scale = 3600
            case "d": scale = 86_400
            default: return nil
            }
            total += number * scale
        }
        return total.isFinite ? total : nil
    }
}
