import AttentionCore

extension BuiltinTable {
    /// Shapes: sizes, transposes, joining and splitting.
    static let shape: [Builtin] = [
        Builtin("rows", .shape, "rows(A)", "The number of rows of A (same as A.rows).", example: "rows(zeros(2, 3))  // 2", numpy: "A.shape[0]") { a throws(LangError) in
            .number(Double(try a.matrix("A").rows))
        }.readingValues(),
        Builtin("cols", .shape, "cols(A)", "The number of columns of A (same as A.cols).", example: "cols(zeros(2, 3))  // 3", numpy: "A.shape[1]") { a throws(LangError) in
            .number(Double(try a.matrix("A").cols))
        }.readingValues(),
        Builtin("shape", .shape, "shape(A)", "The list [rows, cols] (same as A.shape).", example: "shape(zeros(2, 3))  // [2, 3]", numpy: "A.shape") { a throws(LangError) in
            let m = try a.matrix("A")
            return .list([.number(Double(m.rows)), .number(Double(m.cols))])
        }.readingValues(),
        Builtin("transpose", .shape, "transpose(A)", "Aᵀ: rows become columns (same as A.T).", example: "transpose([1, 2, 3])  // 3×1", numpy: "A.T") { a throws(LangError) in
            .matrix(transpose(try a.matrix("A")))
        }.differentiable(Follow.transpose),
        Builtin("hcat", .shape, "hcat(matrices...)",
            "Joins matrices side by side (all need the same number of rows). Takes matrices as arguments or one list of matrices.",
            example: "hcat(ones(2, 1), zeros(2, 2))  // 2×3", numpy: "np.hstack([A, B])") { a throws(LangError) in
            let parts = try ShapeBuiltins.joined(a, along: \.cols)
            try a.checkSize(rows: parts.matrices[0].rows, cols: parts.total)
            return .matrix(try a.core { () throws(CoreError) -> Matrix in try hcat(parts.matrices) })
        }.differentiable(Follow.concatenate(axis: 1)),
        Builtin("vcat", .shape, "vcat(matrices...)",
            "Stacks matrices on top of each other (all need the same number of columns). Takes matrices as arguments or one list of matrices.",
            example: "vcat([1, 2], [3, 4])  // 2×2", numpy: "np.vstack([A, B])") { a throws(LangError) in
            let parts = try ShapeBuiltins.joined(a, along: \.rows)
            try a.checkSize(rows: parts.total, cols: parts.matrices[0].cols)
            return .matrix(try a.core { () throws(CoreError) -> Matrix in try vcat(parts.matrices) })
        }.differentiable(Follow.concatenate(axis: 0)),
        Builtin("split_heads", .shape, "split_heads(M, h)",
            "Splits the columns of M into h contiguous blocks of M.cols / h columns: the list of per-head matrices (as in nanoGPT). M.cols must be divisible by h.",
            example: "hs = split_heads(randn(4, 6, seed: 0), 2)  // two 4×3 matrices", numpy: "np.split(M, h, axis=1)") { a throws(LangError) in
            let m = try a.matrix("M")
            let h = try a.positive("h")
            return .list(try a.core { () throws(CoreError) -> [Matrix] in try splitHeads(m, heads: h) }.map(Value.matrix))
        }.differentiable(Follow.splitHeads),
        Builtin("concat_heads", .shape, "concat_heads(list)",
            "The inverse of split_heads: joins a list of per-head matrices side by side.",
            example: "concat_heads(split_heads(eye(4), 2))  // eye(4) again", numpy: "np.concatenate(hs, axis=1)") { a throws(LangError) in
            let parts = try a.matrices("list")
            guard !parts.isEmpty else { throw LangError(.needsAMatrix(builtin: "concat_heads"), at: a.range) }
            let total = parts.reduce(0) { $0 + $1.cols }
            try a.checkSize(rows: parts[0].rows, cols: total)
            return .matrix(try a.core { () throws(CoreError) -> Matrix in try concatHeads(parts) })
        }.differentiable(Follow.concatHeads),
    ]
}

/// Helpers shared by the Shape builtins.
enum ShapeBuiltins {
    /// The matrices of `hcat(A, B, C)` or `hcat([A, B, C])`, at least one, and the total of
    /// the dimension they are joined along (checked for overflow).
    static func joined(_ a: Arguments, along dimension: KeyPath<Matrix, Int>) throws(LangError) -> (matrices: [Matrix], total: Int) {
        var values = a.rest
        if values.count == 1, case .list(let items) = values[0].value {
            values = items.map { ($0, values[0].range) }
        }
        var parts: [Matrix] = []
        for (v, r) in values { parts.append(try Arguments.matrix(v, info: a.info, name: "matrices", at: r)) }
        guard !parts.isEmpty else { throw LangError(.needsAMatrix(builtin: a.info.name), at: a.range) }
        var total = 0
        for m in parts {
            let (sum, overflow) = total.addingReportingOverflow(m[keyPath: dimension])
            if overflow { throw LangError(.joinedMatrixTooLarge, at: a.range) }
            total = sum
        }
        return (parts, total)
    }
}
