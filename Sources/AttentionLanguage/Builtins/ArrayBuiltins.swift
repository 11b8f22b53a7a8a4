import AttentionCore

extension BuiltinTable {
    /// The NumPy vocabulary: triangles, reshaping, ranges, one-hot rows, stacking,
    /// variance, rounding, clipping, running sums, any and all.
    static let arrays: [Builtin] = [
        Builtin("tril", .arrays, "tril(A, k: 0)",
            "The lower triangle (np.tril): aᵢⱼ where j − i ≤ k, 0 above. k: 0 keeps the diagonal, k: -1 drops it.",
            example: "tril(ones(3, 3))", numpy: "np.tril(A, k)") { a throws(LangError) in
            .matrix(try a.matrix("A").lowerTriangle(k: a.int("k")))
        }.differentiable(Follow.triangle(lower: true)),
        Builtin("triu", .arrays, "triu(A, k: 0)",
            "The upper triangle (np.triu): aᵢⱼ where j − i ≥ k, 0 below. A causal mask by hand: where(triu(ones(n, n), k: 1) > 0, -inf, 0), NumPy's np.triu(np.full((n, n), -np.inf), k=1).",
            example: "triu(ones(3, 3), k: 1)", numpy: "np.triu(A, k)") { a throws(LangError) in
            .matrix(try a.matrix("A").upperTriangle(k: a.int("k")))
        }.differentiable(Follow.triangle(lower: false)),
        Builtin("reshape", .arrays, "reshape(A, r, c)",
            "The elements of A in row-major order as an r×c matrix (np.reshape(A, (r, c))); r·c must equal the number of elements.",
            example: "reshape(arange(6), 2, 3)", numpy: "np.reshape(A, (r, c))") { a throws(LangError) in
            let m = try a.matrix("A")
            let r = try a.size("r"), c = try a.size("c")
            return .matrix(try a.core { () throws(CoreError) -> Matrix in try m.reshaped(rows: r, cols: c) })
        }.differentiable(Follow.reshape),
        Builtin("arange", .arrays, "arange(a, b = nil, step: 1)",
            "np.arange as a 1×n row: arange(n) is 0, 1, …, n−1; arange(a, b, step: s) is a, a + s, … up to but not including b.",
            example: "arange(4)                 // [0, 1, 2, 3]\narange(0, 1, step: 0.25)  // [0, 0.25, 0.5, 0.75]", numpy: "np.arange(a, b, step)") { a throws(LangError) in
            let first = try a.number("a")
            let (start, stop) = if case .nil = try a.value("b") { (0.0, first) } else { (first, try a.number("b")) }
            let step = try a.number("step")
            let length = step == 0 ? 0 : ((stop - start) / step).rounded(.up)
            if length.isFinite, length > 0 { try a.evaluator.checkCount(length > 1e15 ? Int.max : Int(length), at: a.range) }
            return .matrix(try a.core { () throws(CoreError) -> Matrix in try Sequences.arange(start, stop, step: step) })
        },
        Builtin("linspace", .arrays, "linspace(a, b, n)",
            "np.linspace as a 1×n row: n evenly spaced values from a to b, both included: a + i·(b − a)/(n − 1).",
            example: "linspace(0, 1, 5)  // [0, 0.25, 0.5, 0.75, 1]", numpy: "np.linspace(a, b, n)") { a throws(LangError) in
            let (start, stop, n) = (try a.number("a"), try a.number("b"), try a.size("n"))
            try a.checkSize(rows: 1, cols: n)
            return .matrix(try a.core { () throws(CoreError) -> Matrix in try Sequences.linspace(start, stop, count: n) })
        },
        Builtin("one_hot", .arrays, "one_hot(ids, n)",
            "One row per token id, n wide: 1 in column id, 0 elsewhere (np.eye(n)[ids]). Every id must be in 0..<n.",
            example: "one_hot([2, 0], 3)  // [0, 0, 1; 1, 0, 0]", numpy: "np.eye(n)[ids]") { a throws(LangError) in
            let ids = try a.ids("ids")
            let n = try a.size("n")
            try a.checkSize(rows: ids.count, cols: n)
            return .matrix(try a.core { () throws(CoreError) -> Matrix in try Sequences.oneHot(ids, classes: n) })
        },
        Builtin("stack", .arrays, "stack(list)",
            "Rows into a matrix (np.stack): a list of rows (1×C matrices or lists of numbers) gives a matrix with one row each; a list of numbers gives a 1×n row. A matrix (a bracket of numbers is one) is returned as it is.",
            example: "stack([[1, 2], [3, 4]])  // 2×2", numpy: "np.stack(rows)") { a throws(LangError) in
            .matrix(try ArrayBuiltins.stack(a))
        }.differentiable(Follow.stack),
        Builtin("where", .arrays, "where(cond, a, b)",
            "Element by element, a where cond is not 0 and b where it is (np.where); cond, a and b broadcast as in +. A causal mask by hand: where(triu(ones(n, n), k: 1) > 0, -inf, 0).",
            example: "where([1, 0, 1], [1, 2, 3], 0)  // [1, 0, 3]", numpy: "np.where(cond, a, b)") { a throws(LangError) in
            let (condition, x, y) = (try a.matrix("cond"), try a.matrix("a"), try a.matrix("b"))
            return .matrix(try a.core { () throws(CoreError) -> Matrix in try Matrix.choose(where: condition, x, y) })
        }.differentiable(Follow.choose),
        .elementwise("maximum", .maximum, "The larger of a and b element by element (np.maximum), broadcast as in +; NaN if either is NaN. maximum(x, 0) is relu.", example: "maximum([1, 5, 3], 2)  // [2, 5, 3]", numpy: "np.maximum(a, b)"),
        .elementwise("minimum", .minimum, "The smaller of a and b element by element (np.minimum), broadcast as in +; NaN if either is NaN.", example: "minimum([1, 5, 3], 2)  // [1, 2, 2]", numpy: "np.minimum(a, b)"),
        .elementwise("eq", .equal, "Element-wise equality as 1 and 0 (NumPy's a == b); == itself compares whole values and gives one true or false.", example: "eq([1, 2, 3], 2)  // [0, 1, 0]", numpy: "(a == b).astype(float)"),
        .elementwise("ne", .notEqual, "Element-wise inequality as 1 and 0 (NumPy's a != b); NaN is not equal to anything, itself included.", example: "ne([1, 2, 3], 2)  // [1, 0, 1]", numpy: "(a != b).astype(float)"),
        .reduction("var", .arrays, .variance,
            "The biased variance (1/n)·Σ(x − mean)² (np.var, ddof=0): of all elements, or per column (axis: 0) or row (axis: 1) as in sum.",
            example: "var([1, 2, 3, 4])  // 1.25", numpy: "np.var(A, axis=0, keepdims=True)"),
        .reduction("std", .arrays, .standardDeviation,
            "The biased standard deviation √var (np.std, ddof=0); axis as in sum.",
            example: "std([1, 2, 3, 4])", numpy: "np.std(A, axis=0, keepdims=True)"),
        Builtin("round", .arrays, "round(A, digits: 0)",
            "Rounds to digits decimals, halves to even, as np.round: round(2.5) is 2, round(0.125, digits: 2) is 0.12. Negative digits round to tens, hundreds, ….",
            example: "round(3.14159, digits: 2)  // 3.14", numpy: "np.round(A, digits)") { a throws(LangError) in
            let digits = try a.int("digits")
            guard Swift.abs(digits) <= 308 else { throw LangError(.argumentOutOfRange(builtin: "round", parameter: "digits", range: "-308...308"), at: try a.range(of: "digits")) }
            return try MathBuiltins.elementwiseMatrix(a, "A") { $0.rounded(digits: digits) }
        }.readingValues(),
        Builtin("clip", .arrays, "clip(A, lo, hi)",
            "Each element limited to [lo, hi] (np.clip): min(max(x, lo), hi).",
            example: "clip([-2, 0.5, 3], 0, 1)  // [0, 0.5, 1]", numpy: "np.clip(A, lo, hi)") { a throws(LangError) in
            let (lo, hi) = (try a.number("lo"), try a.number("hi"))
            return try MathBuiltins.elementwiseMatrix(a, "A") { $0.clipped(lo: lo, hi: hi) }
        }.differentiable(Follow.clip),
        Builtin("cumsum", .arrays, "cumsum(A, axis: 1)",
            "Running sums (np.cumsum): along each row (axis: 1, the default), or down each column (axis: 0).",
            example: "cumsum([1, 2, 3])  // [1, 3, 6]", numpy: "np.cumsum(A, axis=1)") { a throws(LangError) in
            let m = try a.matrix("A")
            let axis = try a.axis(optional: false) ?? 1
            return .matrix(try a.core { () throws(CoreError) -> Matrix in try m.cumulativeSum(axis: axis) })
        }.differentiable(Follow.cumsum),
        Builtin("any", .arrays, "any(A)",
            "true when some element is not 0 (np.any; NaN counts as not 0).",
            example: "any([0, 0, 1])  // true", numpy: "np.any(A)") { a throws(LangError) in
            .bool(try a.matrix("A").storage.contains { $0 != 0 })
        }.readingValues(),
        Builtin("all", .arrays, "all(A)",
            "true when no element is 0 (np.all; true for an empty matrix).",
            example: "all(ones(2, 2))  // true", numpy: "np.all(A)") { a throws(LangError) in
            .bool(try a.matrix("A").storage.allSatisfy { $0 != 0 })
        }.readingValues(),
    ]
}

extension Builtin {
    /// The entry of a broadcasting element-wise builtin `name(a, b)` that applies `op`.
    static func elementwise(_ name: String, _ op: ElementwiseOperation, _ doc: String, example: String, numpy: String) -> Builtin {
        let entry = Builtin(name, .arrays, "\(name)(a, b)", doc, example: example, numpy: numpy) { a throws(LangError) in
            try ArrayBuiltins.elementwise(a, op)
        }
        switch op {
        case .maximum, .minimum: return entry.differentiable(Follow.elementwise(op))
        default: return entry.readingValues()  // comparisons: 0/1, no gradient
        }
    }
}

/// Helpers of the array builtins.
enum ArrayBuiltins {
    /// `op` on the arguments `lhs` and `rhs` with broadcasting: two numbers give a number.
    static func elementwise(_ a: Arguments, _ op: ElementwiseOperation, _ lhs: String = "a", _ rhs: String = "b") throws(LangError) -> Value {
        if case .number(let x) = try a.value(lhs), case .number(let y) = try a.value(rhs) { return .number(op.apply(x, y)) }
        return .matrix(try a.evaluator.broadcast(op, a.matrix(lhs), a.matrix(rhs), at: a.range))
    }

    /// stack(list): numbers → one row; rows (1×C matrices or lists of numbers) → one row each.
    static func stack(_ a: Arguments) throws(LangError) -> Matrix {
        let value = try a.value("list")
        // A bracket of numbers or of rows is already a matrix: its rows are the rows.
        if case .matrix(let m) = value { return m }
        guard case .list(let items) = value else {
            throw LangError(.argumentType(builtin: "stack", parameter: "list", expected: "a list of numbers or rows", got: try a.value("list").kindDescription), at: try a.range(of: "list"))
        }
        var rows: [[Double]] = []
        var numbers: [Double] = []
        for item in items {
            switch item {
            case .number(let d): numbers.append(d)
            case .matrix(let m) where m.rows == 1: rows.append(m.storage)
            case .list(let xs):
                var row: [Double] = []
                for x in xs {
                    guard case .number(let d) = x else {
                        throw LangError(.argumentItemType(builtin: "stack", parameter: "list", expected: "rows of numbers", found: x.kindDescription), at: try a.range(of: "list"))
                    }
                    row.append(d)
                }
                rows.append(row)
            default:
                throw LangError(.argumentItemType(builtin: "stack", parameter: "list", expected: "numbers or 1×C rows", found: item.kindDescription), at: try a.range(of: "list"))
            }
        }
        guard numbers.isEmpty || rows.isEmpty else {
            throw LangError(.argumentItemType(builtin: "stack", parameter: "list", expected: "numbers only or rows only", found: "mix of both"), at: try a.range(of: "list"))
        }
        if rows.isEmpty { rows = [numbers] }
        try a.checkSize(rows: rows.count, cols: rows[0].count)
        return try a.core { () throws(CoreError) -> Matrix in try Matrix(rows) }
    }
}
