import AttentionCore

extension BuiltinTable {
    /// Position encodings.
    static let positions: [Builtin] = [
        Builtin("sinusoidal", .positions, "sinusoidal(n, d)",
            "Vaswani et al.'s n×d position encodings: PE[p, 2i] = sin(p / 10000^(2i/d)), PE[p, 2i+1] = cos(p / 10000^(2i/d)).",
            example: "X = X + sinusoidal(X.rows, X.cols)") { a throws(LangError) in
            let n = try a.size("n"), d = try a.size("d")
            try a.checkSize(rows: n, cols: d)
            return .matrix(try a.core { () throws(CoreError) -> Matrix in try sinusoidal(n, d) })
        },
        Builtin("learned_positions", .positions, "learned_positions(n, d, seed: 0)",
            "An n×d table of position embeddings as a model would learn them (here: small random values, N(0, 0.02²) as in GPT-2).",
            example: "P = learned_positions(8, 4, seed: 1)") { a throws(LangError) in
            let n = try a.size("n"), d = try a.size("d")
            try a.checkSize(rows: n, cols: d)
            let seed = try a.seed()
            return .matrix(try a.core { () throws(CoreError) -> Matrix in try learnedPositions(n, d, seed: seed) })
        },
        Builtin("rope", .positions, "rope(X, base: 10000)",
            "Rotary position embedding: row p (the position, from 0) has each pair of columns (2i, 2i+1) rotated by the angle p·base^(−2i/d). X.cols must be even.",
            example: "Q = rope(X @ Wq)") { a throws(LangError) in
            let x = try a.matrix("X")
            let base = try a.number("base")
            return .matrix(try a.core { () throws(CoreError) -> Matrix in try rope(x, base: base) })
        },
    ]
}
