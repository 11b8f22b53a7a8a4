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
    func resolve(_ part: CompiledPart, count: Int, axis: String, at range: SourceRange) throws(LangError) -> Selection {
        switch part.kind {
        case .single(let code, let expr):
            return try select(try code(self), of: expr, count: count, axis: axis)
        case .slice(let lowerExpr, let upperExpr):
            func bound(_ b: CompiledBound?, _ fallback: Int) throws(LangError) -> Int {
                guard let b else { return fallback }
                let e = b.expr, v = try b.code(self)
                guard case .number(let d) = v else {
                    throw LangError(.sliceBoundType(got: v.kindDescription), at: e.fullRange)
                }
                guard d.isFinite, d == d.rounded() else {
                    throw LangError(.sliceBoundNotWhole(d), at: e.fullRange)
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

    /// The positions one index value (`expr`'s) picks on an axis of `count` positions.
    @inline(__always)
    func select(_ value: Value, of expr: Expr, count: Int, axis: String) throws(LangError) -> Selection {
        // A whole number in 0..<count, the index of nearly every loop, needs no other check
        // (and no rounding call): NaN fails the first comparison.
        if case .number(let d) = value, d >= 0, d < Double(count), Double(Int(d)) == d { return .one(Int(d)) }
        return try selectChecked(value, of: expr, count: count, axis: axis)
    }

    private func selectChecked(_ value: Value, of expr: Expr, count: Int, axis: String) throws(LangError) -> Selection {
            switch value {
            case .number(let d):
                return .one(try position(d, count: count, axis: axis, at: expr.fullRange))
            case .list(let items):
                var picked: [Int] = []
                for item in items {
                    guard case .number(let d) = item else {
                        throw LangError(.indexListItemType(found: item.kindDescription), at: expr.fullRange)
                    }
                    picked.append(try position(d, count: count, axis: axis, at: expr.fullRange))
                }
                return .many(picked)
            case .matrix(let m) where m.rows == 1 || m.cols == 1:
                var picked: [Int] = []
                for d in m.storage { picked.append(try position(d, count: count, axis: axis, at: expr.fullRange)) }
                return .many(picked)
            default:
                throw LangError(.indexType(got: value.kindDescription), at: expr.fullRange)
            }
    }

    /// A single index checked against `count`, negative counting from the end.
    /// The messages are built only on failure: this runs for every element a loop touches.
    func position(_ d: Double, count: Int, axis: String, at range: @autoclosure () -> SourceRange) throws(LangError) -> Int {
        guard d.isFinite, d == d.rounded() else {
            throw LangError(.indexNotWhole(d), at: range())
        }
        guard abs(d) <= Double(count), let i = Convert.exactInt(d) else {
            throw LangError(.indexOutOfRange(index: d, count: count, axis: axis), at: range())
        }
        let j = i < 0 ? i + count : i
        guard j >= 0, j < count else {
            throw LangError(.indexOutOfRange(index: Double(i), count: count, axis: axis), at: range())
        }
        return j
    }

    func index(_ target: Value, _ parts: [CompiledPart], at range: SourceRange) throws(LangError) -> Value {
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
                throw LangError(.listTakesOneIndex, at: range)
            }
            switch try resolve(parts[0], count: items.count, axis: "item", at: range) {
            case .one(let i): return items[i]
            case .many(let picked): return .list(picked.map { items[$0] })
            }
        case .tracked(let t):
            return try followedIndex(t, parts, at: range)
        case .string(let s):
            guard parts.count == 1 else { throw LangError(.stringTakesOneIndex, at: range) }
            let chars = Array(s)
            switch try resolve(parts[0], count: chars.count, axis: "character", at: range) {
            case .one(let i): return .string(String(chars[i]))
            case .many(let picked): return .string(String(picked.map { chars[$0] }))
            }
        default:
            throw LangError(.notIndexable(got: target.kindDescription), at: range)
        }
    }

    /// `target[row, col]` with both parts single indices, its closures called directly: for a
    /// matrix, the same checks and results as `index`; anything else goes to `index`.
    @inline(__always)
    func element(_ target: Value, row: Operand, _ rowExpr: Expr, col: Operand, _ colExpr: Expr, parts: [CompiledPart], at range: SourceRange) throws(LangError) -> Value {
        guard case .matrix(let m) = target else { return try index(target, parts, at: range) }
        let rows = try select(try row.value(self), of: rowExpr, count: m.rows, axis: "row")
        let cols = try select(try col.value(self), of: colExpr, count: m.cols, axis: "column")
        if case .one(let i) = rows, case .one(let j) = cols { return .number(m[i, j]) }
        return .matrix(try select(m, rows: rows.indices, cols: cols.indices, at: range))
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
                let suggestion = Suggestions.closest(to: name, among: ["T", "shape", "rows", "cols"])
                throw LangError(.noMatrixField(name: name, suggestion: suggestion, method: PythonHabits.methodHint(name)), at: range)
            }
        case .tracked(let t):
            return try followedField(t, name, at: range)
        case .widget(let w):
            if let v = w.field(name) { return v }
            throw LangError(.noWidgetField(name: name, widget: w.kind.name, fields: w.fieldNames), at: range)
        case .record(let r):
            if let v = r[name] { return v }
            throw LangError(.noRecordField(name: name, suggestion: Suggestions.closest(to: name, among: r.keys), fields: r.keys), at: range)
        default:
            let isList = if case .list = target { true } else { false }
            throw LangError(.noField(name: name, got: target.kindDescription, isList: isList, method: PythonHabits.methodHint(name)), at: range)
        }
    }

    /// `[...]`: a matrix when every element is a number (rows from `;` or line breaks);
    /// `[[1, 2], [3, 4]]` (bracketed rows of numbers) stacks its rows; otherwise a list.
    func evaluateBracket(_ codes: [[CompiledCode]], _ rows: [[Expr]], range: SourceRange) throws(LangError) -> Value {
        if rows.isEmpty { return .list([]) }
        var values: [[Value]] = []
        for row in codes {
            var evaluated: [Value] = []
            for code in row { evaluated.append(try code.run(self)) }
            values.append(evaluated)
        }
        let allNumbers = values.allSatisfy { $0.allSatisfy { if case .number = $0 { true } else { false } } }
        if allNumbers {
            let cols = values[0].count
            for (i, row) in values.enumerated() where row.count != cols {
                throw LangError(.raggedRows(row: i, count: row.count, expected: cols), at: rows[i].first?.fullRange ?? range)
            }
            try checkSize(rows: values.count, cols: cols, at: range)
            var storage: [Double] = []
            storage.reserveCapacity(values.count * cols)
            for row in values { for case .number(let d) in row { storage.append(d) } }
            return .matrix(try core(at: range) { () throws(CoreError) -> Matrix in try Matrix(rows: values.count, cols: cols, storage: storage) })
        }
        guard rows.count == 1 else {
            throw LangError(.severalRowsNotNumbers, at: range)
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
                    throw LangError(.raggedRows(row: i, count: m.cols, expected: cols), at: rows[0][i].fullRange)
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
