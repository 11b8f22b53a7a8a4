import AttentionCore

extension Evaluator {
    /// Fails with a `LimitError` when a rows×cols result would exceed the size limit.
    /// Called before anything is allocated.
    func checkSize(rows: Int, cols: Int, at range: SourceRange) throws(LangError) {
        guard rows >= 0, cols >= 0 else {
            throw .value("a matrix cannot have a negative size (\(rows)×\(cols))", at: range)
        }
        let (count, overflow) = rows.multipliedReportingOverflow(by: cols)
        guard !overflow, count <= limits.maxElements else {
            throw .limit(
                "a \(rows)×\(cols) matrix would have more than the \(limits.maxElements) elements allowed (raise ATTN_MAX_ELEMENTS to allow more)",
                at: range)
        }
    }

    /// Like `checkSize`, for a list or a parameter total.
    func checkCount(_ count: Int, at range: SourceRange, what: String = "values") throws(LangError) {
        guard count <= limits.maxElements else {
            throw .limit("\(count) \(what) are more than the \(limits.maxElements) allowed (raise ATTN_MAX_ELEMENTS to allow more)", at: range)
        }
    }

    /// Fails when one operation would take more than `maxWork` multiply-adds.
    func checkWork(_ work: Double, at range: SourceRange) throws(LangError) {
        guard work <= limits.maxWork else {
            throw .limit(
                "this product needs about \(Renderer.formatNumber(work.rounded())) multiply-adds, more than the \(Renderer.formatNumber(limits.maxWork)) allowed in one step (raise ATTN_MAX_WORK to allow more)",
                at: range)
        }
    }

    /// Runs a library call, turning its errors into located diagnostics.
    func core<T>(at range: SourceRange, _ body: () throws(CoreError) -> T) throws(LangError) -> T {
        do {
            return try body()
        } catch {
            switch error {
            case .shapeMismatch: throw .shape(error.message, at: range)
            case .invalidArgument(let m): throw .value(m, at: range)
            case .tooLarge(let m): throw .limit(m, at: range)
            }
        }
    }

    /// Fails when a new list would nest deeper than the nesting limit (deep values
    /// would otherwise exhaust the stack when printed or freed).
    func checkListDepth(_ items: [Value], at range: SourceRange) throws(LangError) {
        let cap = limits.maxNestingDepth
        func depth(_ v: Value, _ level: Int) -> Int {
            guard level <= cap else { return level }
            switch v {
            case .list(let xs): return xs.reduce(level + 1) { max($0, depth($1, level + 1)) }
            case .record(let r): return r.fields.reduce(level + 1) { max($0, depth($1.value, level + 1)) }
            default: return level
            }
        }
        if items.contains(where: { depth($0, 1) > cap }) {
            throw .limit("lists nested more than \(cap) levels deep are not allowed", at: range)
        }
    }
}

/// "did you mean ...?" for misspelt names.
enum Suggestions {
    /// The candidate closest to `name` by edit distance, if it is close enough to be a likely typo.
    static func closest(to name: String, among candidates: [String]) -> String? {
        let target = Array(name.lowercased())
        guard target.count <= 64 else { return nil }
        var best: (String, Int)?
        for candidate in Set(candidates).sorted() where candidate != name {
            let c = Array(candidate.lowercased())
            // Very short names are too alike to guess between, unless only the case differs.
            if target.count < 3 && c != target { continue }
            guard abs(c.count - target.count) <= 2, c.count <= 64 else { continue }
            let d = distance(target, c)
            if d < (best?.1 ?? Int.max) { best = (candidate, d) }
        }
        guard let (candidate, d) = best else { return nil }
        let allowed = target.count <= 3 ? 1 : (target.count <= 6 ? 2 : 3)
        return d <= allowed ? candidate : nil
    }

    /// Levenshtein distance (an adjacent swap counts 1).
    static func distance(_ a: [Character], _ b: [Character]) -> Int {
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var prevPrev = [Int](repeating: 0, count: b.count + 1)
        var prev = Array(0...b.count)
        var current = prev
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                current[j] = min(prev[j] + 1, current[j - 1] + 1, prev[j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                    current[j] = min(current[j], prevPrev[j - 2] + 1)
                }
            }
            prevPrev = prev
            prev = current
        }
        return prev[b.count]
    }
}
