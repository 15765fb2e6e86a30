/// Line-based unified diff (`diff -u` format) built on the standard library's
/// `CollectionDifference`.
public enum UnifiedDiff {
    enum Op { case same(String), removed(String), added(String) }

    public static func render(old: String, new: String, oldName: String, newName: String, context: Int = 3) -> String {
        let a = lines(old), b = lines(new)
        let diff = b.difference(from: a)
        var removed = Set<Int>(), inserted = Set<Int>()
        for change in diff {
            switch change {
            case .remove(let offset, _, _): removed.insert(offset)
            case .insert(let offset, _, _): inserted.insert(offset)
            }
        }
        var ops: [Op] = []
        var i = 0, j = 0
        while i < a.count || j < b.count {
            if i < a.count && removed.contains(i) { ops.append(.removed(a[i])); i += 1 }
            else if j < b.count && inserted.contains(j) { ops.append(.added(b[j])); j += 1 }
            else { ops.append(.same(a[i])); i += 1; j += 1 }
        }
        guard ops.contains(where: { if case .same = $0 { return false }; return true }) else { return "" }
        var out = "--- \(oldName)\n+++ \(newName)\n"
        // Group changes that are within 2 × context lines of each other into hunks.
        var k = 0
        let changed = ops.indices.filter { if case .same = ops[$0] { return false }; return true }
        while k < changed.count {
            var end = k
            while end + 1 < changed.count && changed[end + 1] - changed[end] <= 2 * context { end += 1 }
            let lo = max(0, changed[k] - context), hi = min(ops.count - 1, changed[end] + context)
            var oldStart = 1, newStart = 1
            for op in ops[..<lo] {
                switch op {
                case .same: oldStart += 1; newStart += 1
                case .removed: oldStart += 1
                case .added: newStart += 1
                }
            }
            var oldCount = 0, newCount = 0, body = ""
            for op in ops[lo...hi] {
                switch op {
                case .same(let l): oldCount += 1; newCount += 1; body += " \(l)\n"
                case .removed(let l): oldCount += 1; body += "-\(l)\n"
                case .added(let l): newCount += 1; body += "+\(l)\n"
                }
            }
            out += "@@ -\(oldCount == 0 ? oldStart - 1 : oldStart),\(oldCount) +\(newCount == 0 ? newStart - 1 : newStart),\(newCount) @@\n" + body
            k = end + 1
        }
        return out
    }

    static func lines(_ s: String) -> [String] {
        if s.isEmpty { return [] }
        var parts = s.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if parts.last == "" { parts.removeLast() }
        return parts
    }
}
