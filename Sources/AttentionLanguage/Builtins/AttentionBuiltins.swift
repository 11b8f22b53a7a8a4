import AttentionCore

/// The attention functions, masks and position encodings.
enum AttentionBuiltins {
    static func call(_ name: String, _ a: Arguments) throws(LangError) -> Value? {
        switch name {
        case "raw_attention_weights", "raw_attention":
            let x = try a.matrix("X")
            try checkScores(a, queries: x.rows, keys: x.rows, width: x.cols)
            return .matrix(try a.core { () throws(CoreError) -> Matrix in
                name == "raw_attention" ? try rawAttention(x) : try rawAttentionWeights(x)
            })
        case "attention_weights":
            let q = try a.matrix("Q"), k = try a.matrix("K")
            let mask = try a.optionalMatrix("mask")
            let scaled = try a.bool("scaled")
            try checkScores(a, queries: q.rows, keys: k.rows, width: q.cols)
            return .matrix(try a.core { () throws(CoreError) -> Matrix in try attentionWeights(q, k, mask: mask, scaled: scaled) })
        case "attention":
            let q = try a.matrix("Q"), k = try a.matrix("K"), v = try a.matrix("V")
            let mask = try a.optionalMatrix("mask")
            try checkScores(a, queries: q.rows, keys: k.rows, width: max(q.cols, v.cols))
            return .matrix(try a.core { () throws(CoreError) -> Matrix in try attention(q, k, v, mask: mask) })
        case "single_head":
            let x = try a.matrix("X"), wq = try a.matrix("Wq"), wk = try a.matrix("Wk"), wv = try a.matrix("Wv")
            let mask = try a.optionalMatrix("mask")
            try checkProjection(a, x, [wq, wk, wv])
            return .matrix(try a.core { () throws(CoreError) -> Matrix in try singleHead(x, wq, wk, wv, mask: mask) })
        case "multi_head":
            let x = try a.matrix("X"), wq = try a.matrix("Wq"), wk = try a.matrix("Wk"), wv = try a.matrix("Wv"), wo = try a.matrix("Wo")
            let heads = try a.positive("heads")
            let mask = try a.optionalMatrix("mask")
            try checkProjection(a, x, [wq, wk, wv, wo])
            return .matrix(try a.core { () throws(CoreError) -> Matrix in try multiHead(x, wq, wk, wv, wo, heads: heads, mask: mask) })
        case "multi_head_weights":
            let x = try a.matrix("X"), wq = try a.matrix("Wq"), wk = try a.matrix("Wk")
            let heads = try a.positive("heads")
            let mask = try a.optionalMatrix("mask")
            try checkProjection(a, x, [wq, wk])
            let (total, overflow) = x.rows.multipliedReportingOverflow(by: x.rows)
            if overflow || total.multipliedReportingOverflow(by: heads).overflow { throw .limit("too many attention weights", at: a.range) }
            try a.evaluator.checkCount(total * heads, at: a.range, what: "attention weights")
            return .list(try a.core { () throws(CoreError) -> [Matrix] in
                try multiHeadWeights(x, wq, wk, heads: heads, mask: mask)
            }.map(Value.matrix))
        case "causal_mask":
            let n = try a.size("n")
            try a.checkSize(rows: n, cols: n)
            return .matrix(try a.core { () throws(CoreError) -> Matrix in try causalMask(n) })
        case "sinusoidal", "learned_positions":
            let n = try a.size("n"), d = try a.size("d")
            try a.checkSize(rows: n, cols: d)
            if name == "sinusoidal" { return .matrix(try a.core { () throws(CoreError) -> Matrix in try sinusoidal(n, d) }) }
            let seed = try a.seed()
            return .matrix(try a.core { () throws(CoreError) -> Matrix in try learnedPositions(n, d, seed: seed) })
        case "rope":
            let x = try a.matrix("X")
            let base = try a.number("base")
            return .matrix(try a.core { () throws(CoreError) -> Matrix in try rope(x, base: base) })
        default:
            return nil
        }
    }

    /// Checks the queries×keys score matrix against the size and work limits before computing it.
    static func checkScores(_ a: Arguments, queries: Int, keys: Int, width: Int) throws(LangError) {
        try a.checkSize(rows: queries, cols: keys)
        try a.evaluator.checkWork(Double(queries) * Double(keys) * Double(max(width, 1)) * 2, at: a.range)
    }

    /// Checks X @ W for every projection, and the n×n scores.
    static func checkProjection(_ a: Arguments, _ x: Matrix, _ ws: [Matrix]) throws(LangError) {
        for w in ws {
            try a.checkSize(rows: x.rows, cols: w.cols)
            try a.evaluator.checkWork(Double(x.rows) * Double(w.rows) * Double(w.cols), at: a.range)
        }
        try checkScores(a, queries: x.rows, keys: x.rows, width: ws.first?.cols ?? x.cols)
    }
}
