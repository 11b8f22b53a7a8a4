import AttentionCore

/// Which positions of one axis an index part picks.
enum Selection {
    case one(Int)
    case many([Int])

    var indices: [Int] {
        switch self {
        case .one(let i): [i]
        case .many(let xs): xs
        }
    }
}

extension Evaluator {
    /// Resolves one index part against an axis of `count` positions. Single indices may be
    /// negative (from the end) and must be in range; slices clamp to the axis, as in Python;
    /// a list or 1×n matrix of whole numbers picks those positions.
    func resolve(_ part: IndexPart, count: Int, axis: String, at range: SourceRange) throws(LangError) -> Selection {
        switch part {
        case .single(let expr):
            let value = try evaluate(expr)
            switch value {
            case .number(let d):
                return .one(try position(d, count: count, axis: axis, at: expr.fullRange))
            case .list(let items):
                var picked: [Int] = []
                for item in items {
                    guard case .number(let d) = item else {
                        throw .type("a list used as an index must hold whole numbers, found a \(item.kindDescription)", at: expr.fullRange)
                    }
                    picked.append(try position(d, count: count, axis: axis, at: expr.fullRange))
                }
                return .many(picked)
            case .matrix(let m) where m.rows == 1 || m.cols == 1:
                var picked: [Int] = []
                for d in m.storage { picked.append(try position(d, count: count, axis: axis, at: expr.fullRange)) }
                return .many(picked)
            default:
                throw .type("an index must be a whole number, a slice like 0:2, or a list of numbers; got a \(value.kindDescription)", at: expr.fullRange)
            }
        case .slice(let lowerExpr, let upperExpr):
            func bound(_ e: Expr?, _ fallback: Int) throws(LangError) -> Int {
                guard let e else { return fallback }
                let v = try evaluate(e)
                guard case .number(let d) = v else {
                    throw .type("a slice bound must be a whole number, got a \(v.kindDescription)", at: e.fullRange)
                }
                guard d.isFinite, d == d.rounded() else {
                    throw .index("a slice bound must be a whole number, got \(Renderer.formatNumber(d))", at: e.fullRange)
                }
                // Clamp first: huge bounds simply mean "to the end".
                let clamped = max(-Double(count), min(Double(count), d))
                let i = Int(clamped)
                return i < 0 ? i + count : i
            }
            let lower = try bound(lowerExpr, 0)
            let upper = try bound(upperExpr, count)
            return .many(upper > lower ? Array(lower..<upper) : [])
        }
    }

    /// A single index checked against `count`, negative counting from the end.
    /// The messages are built only on failure: this runs for every element a loop touches.
    func position(_ d: Double, count: Int, axis: String, at range: SourceRange) throws(LangError) -> Int {
        var plural: String { count == 1 ? axis : axis + "s" }
        var valid: String { count == 0 ? "there are none" : "use 0 to \(count - 1), or -\(count) to -1" }
        guard d.isFinite, d == d.rounded() else {
            throw .index("an index must be a whole number, got \(Renderer.formatNumber(d))", at: range)
        }
        guard abs(d) <= Double(count), let i = Convert.exactInt(d) else {
            throw .index("index \(Renderer.formatNumber(d)) is out of range for \(count) \(plural) (\(valid))", at: range)
        }
        let j = i < 0 ? i + count : i
        guard j >= 0, j < count else {
            throw .index("index \(i) is out of range for \(count) \(plural) (\(valid))", at: range)
        }
        return j
    }

    func index(_ target: Value, _ parts: [IndexPart], at range: SourceRange) throws(LangError) -> Value {
        switch target {
        case .matrix(let m):
            let rowSel = try resolve(parts[0], count: m.rows, axis: "row", at: range)
            if parts.count == 1 {
                if case .one(let i) = rowSel { return .matrix(Matrix(rows: 1, cols: m.cols) { _, j in m[i, j] }) }
                return .matrix(try select(m, rows: rowSel.indices, cols: Array(0..<m.cols), at: range))
            }
            let colSel = try resolve(parts[1], count: m.cols, axis: "column", at: range)
            if case .one(let i) = rowSel, case .one(let j) = colSel { return .number(m[i, j]) }
            return .matrix(try select(m, rows: rowSel.indices, cols: colSel.indices, at: range))
        case .list(let items):
            guard parts.count == 1 else {
                throw .index("a list takes one index; for an item of an item write xs[i][j]", at: range)
            }
            switch try resolve(parts[0], count: items.count, axis: "item", at: range) {
            case .one(let i): return items[i]
            case .many(let picked): return .list(picked.map { items[$0] })
            }
        case .string(let s):
            guard parts.count == 1 else { throw .index("a string takes one index", at: range) }
            let chars = Array(s)
            switch try resolve(parts[0], count: chars.count, axis: "character", at: range) {
            case .one(let i): return .string(String(chars[i]))
            case .many(let picked): return .string(String(picked.map { chars[$0] }))
            }
        default:
            throw .type("a \(target.kindDescription) cannot be indexed; indexing works on matrices, lists and strings", at: range)
        }
    }

    private func select(_ m: Matrix, rows: [Int], cols: [Int], at range: SourceRange) throws(LangError) -> Matrix {
        try checkSize(rows: rows.count, cols: cols.count, at: range)
        return try core(at: range) { () throws(CoreError) -> Matrix in try m.select(rows: rows, cols: cols) }
    }

    /// `.T`, `.shape`, `.rows`, `.cols` of a matrix; `r.name` of a record.
    func field(_ target: Value, _ name: String, at range: SourceRange) throws(LangError) -> Value {
        switch target {
        case .matrix(let m):
            switch name {
            case "T": return .matrix(transpose(m))
            case "shape": return .list([.number(Double(m.rows)), .number(Double(m.cols))])
            case "rows": return .number(Double(m.rows))
            case "cols": return .number(Double(m.cols))
            default:
                var message = "a matrix has no field '\(name)'; its fields are .T, .shape, .rows and .cols"
                if let s = Suggestions.closest(to: name, among: ["T", "shape", "rows", "cols"]) { message += " (did you mean .\(s)?)" }
                throw .name(message, at: range)
            }
        case .record(let r):
            if let v = r[name] { return v }
            var message = "this record has no field '\(name)'"
            if let s = Suggestions.closest(to: name, among: r.keys) { message += "; did you mean .\(s)?" }
            message += " Its fields are: \(r.keys.joined(separator: ", "))"
            throw .name(message, at: range)
        default:
            var message = "a \(target.kindDescription) has no field '\(name)'"
            if case .list = target { message += "; for its length use len(...)" }
            throw .type(message, at: range)
        }
    }

    /// `[...]`: a matrix when every element is a number (rows from `;` or line breaks);
    /// `[[1, 2], [3, 4]]` (bracketed rows of numbers) stacks its rows; otherwise a list.
    func evaluateBracket(_ rows: [[Expr]], range: SourceRange) throws(LangError) -> Value {
        if rows.isEmpty { return .list([]) }
        var values: [[Value]] = []
        for row in rows {
            var evaluated: [Value] = []
            for e in row { evaluated.append(try evaluate(e)) }
            values.append(evaluated)
        }
        let allNumbers = values.allSatisfy { $0.allSatisfy { if case .number = $0 { true } else { false } } }
        if allNumbers {
            let cols = values[0].count
            for (i, row) in values.enumerated() where row.count != cols {
                throw .shape("row \(i) of this matrix has \(row.count) value\(row.count == 1 ? "" : "s") but row 0 has \(cols); every row needs the same length", at: rows[i].first?.fullRange ?? range)
            }
            try checkSize(rows: values.count, cols: cols, at: range)
            var storage: [Double] = []
            storage.reserveCapacity(values.count * cols)
            for row in values { for case .number(let d) in row { storage.append(d) } }
            return .matrix(try core(at: range) { () throws(CoreError) -> Matrix in try Matrix(rows: values.count, cols: cols, storage: storage) })
        }
        guard rows.count == 1 else {
            throw .type("a matrix literal with several rows (';' or line breaks) holds numbers only; for a list, separate the items with commas", at: range)
        }
        let items = values[0]
        let bracketRows = rows[0].allSatisfy { if case .bracket = $0 { true } else { false } }
        if bracketRows, items.allSatisfy({ if case .matrix = $0 { true } else { false } }) {
            var parts: [Matrix] = []
            for case .matrix(let m) in items { parts.append(m) }
            let cols = parts[0].cols
            var total = 0
            for (i, m) in parts.enumerated() {
                guard m.cols == cols else {
                    throw .shape("row \(i) of this matrix has \(m.cols) value\(m.cols == 1 ? "" : "s") but row 0 has \(cols); every row needs the same length", at: rows[0][i].fullRange)
                }
                total += m.rows
            }
            try checkSize(rows: total, cols: cols, at: range)
            return .matrix(try core(at: range) { () throws(CoreError) -> Matrix in try vcat(parts) })
        }
        try checkListDepth(items, at: range)
        return .list(items)
    }
}
