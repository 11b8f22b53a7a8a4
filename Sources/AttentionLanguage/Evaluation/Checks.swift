import AttentionCore

extension Evaluator {
    /// Fails with a `LimitError` when a rows×cols result would exceed the size limit.
    /// Called before anything is allocated.
    func checkSize(rows: Int, cols: Int, at range: SourceRange) throws(LangError) {
        guard rows >= 0, cols >= 0 else {
            throw LangError(.negativeMatrixSize(rows: rows, cols: cols), at: range)
        }
        let (count, overflow) = rows.multipliedReportingOverflow(by: cols)
        guard !overflow, count <= limits.maxElements else {
            throw LangError(.matrixTooLarge(rows: rows, cols: cols, limit: limits.maxElements), at: range)
        }
    }

    /// Like `checkSize`, for a list or a parameter total.
    func checkCount(_ count: Int, at range: SourceRange, what: String = "values") throws(LangError) {
        guard count <= limits.maxElements else {
            throw LangError(.tooMany(count: count, what: what, limit: limits.maxElements), at: range)
        }
    }

    /// Fails when one operation would take more than `maxWork` multiply-adds (one builtin
    /// call runs to its end without looking at the interrupt flag, so this bounds how
    /// long the kernel can be deaf to an interrupt).
    func checkWork(_ work: Double, at range: SourceRange, what: String = "this product") throws(LangError) {
        guard work <= limits.maxWork else {
            throw LangError(.tooMuchWork(what: what, work: work, limit: limits.maxWork), at: range)
        }
    }

    /// Runs a library call, turning its errors into located diagnostics.
    func core<T>(at range: SourceRange, _ body: () throws(CoreError) -> T) throws(LangError) -> T {
        do {
            return try body()
        } catch {
            throw LangError(.core(error), at: range)
        }
    }

    /// Fails when a new list would nest deeper than the nesting limit (deep values
    /// would otherwise exhaust the stack when printed or freed), or would hold more than
    /// `maxElements` values in all, counting the items of nested lists and records.
    ///
    /// The second bound matters because lists share their items: `l = [l, l]` repeated
    /// 40 times is a small value whose unfolded size is 2⁴⁰, and printing, comparing or
    /// even measuring it would never end. The walk stops as soon as a bound is passed, so
    /// this check itself visits at most `maxElements` + 1 values.
    func checkListDepth(_ items: [Value], at range: SourceRange) throws(LangError) {
        let cap = limits.maxNestingDepth
        var budget = limits.maxElements
        enum Violation { case depth, size }
        func walk(_ v: Value, _ level: Int) -> Violation? {
            budget -= 1
            if budget < 0 { return .size }
            let children: [Value]
            switch v {
            case .list(let xs): children = xs
            case .record(let r): children = r.fields.map(\.value)
            default: return nil
            }
            if level + 1 > cap { return .depth }
            for child in children {
                if let violation = walk(child, level + 1) { return violation }
            }
            return nil
        }
        for item in items {
            switch walk(item, 1) {
            case nil: continue
            case .depth?:
                throw LangError(.listTooDeep(limit: cap), at: range)
            case .size?:
                throw LangError(.listTooLarge(limit: limits.maxElements), at: range)
            }
        }
    }

    /// Fails when a string made by the program (not a literal) would be longer than
    /// `maxElements` bytes of UTF-8, so that `s = s + s` in a loop cannot use up memory.
    func checkStringLength(_ bytes: Int, at range: SourceRange) throws(LangError) {
        guard bytes <= limits.maxElements else {
            throw LangError(.stringTooLong(bytes: bytes, limit: limits.maxElements), at: range)
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
