import AttentionCore

extension BuiltinTable {
    /// The attention functions and the causal mask.
    static let attention: [Builtin] = [
        Builtin("raw_attention_weights", .attention, "raw_attention_weights(X)",
            "Lesson 1: softmax(X Xᵀ), every token attending to every token by plain dot products: no projections, no scaling. Row i holds token i's weights; each row sums to 1.",
            example: "X = embed(tokens(\"the cat sat\"), dim: 4, seed: 0)\nheatmap(raw_attention_weights(X))", numpy: "scipy.special.softmax(X @ X.T, axis=1)") { a throws(LangError) in
            let x = try a.matrix("X")
            try AttentionBuiltins.checkScores(a, queries: x.rows, keys: x.rows, width: x.cols)
            return .matrix(try a.core { () throws(CoreError) -> Matrix in try rawAttentionWeights(x) })
        }.differentiable(Follow.rawAttentionWeights),
        Builtin("raw_attention", .attention, "raw_attention(X)",
            "raw_attention_weights(X) @ X: each output row is a weighted average of the rows of X.", example: "Y = raw_attention(X)") { a throws(LangError) in
            let x = try a.matrix("X")
            try AttentionBuiltins.checkScores(a, queries: x.rows, keys: x.rows, width: x.cols)
            return .matrix(try a.core { () throws(CoreError) -> Matrix in try rawAttention(x) })
        }.differentiable(Follow.rawAttention),
        Builtin("attention_weights", .attention, "attention_weights(Q, K, mask: nil, scaled: true)",
            "Lesson 2: softmax(Q Kᵀ/√d_k + mask), d_k = K.cols. The mask is additive (0 to keep, -inf to hide); scaled: false leaves out the 1/√d_k. A row whose keys are all masked gives zeros.",
            example: "W = attention_weights(X @ Wq, X @ Wk, mask: causal_mask(X.rows))", numpy: "scipy.special.softmax(Q @ K.T / np.sqrt(d_k) + mask, axis=1)") { a throws(LangError) in
            let q = try a.matrix("Q"), k = try a.matrix("K")
            let mask = try a.optionalMatrix("mask")
            let scaled = try a.bool("scaled")
            try AttentionBuiltins.checkScores(a, queries: q.rows, keys: k.rows, width: q.cols)
            return .matrix(try a.core { () throws(CoreError) -> Matrix in try attentionWeights(q, k, mask: mask, scaled: scaled) })
        }.differentiable(Follow.attentionWeights),
        Builtin("attention", .attention, "attention(Q, K, V, mask: nil)",
            "Lesson 3: attention_weights(Q, K, mask: mask) @ V, scaled dot-product attention.",
            example: "out = attention(Q, K, V, mask: causal_mask(Q.rows))") { a throws(LangError) in
            let q = try a.matrix("Q"), k = try a.matrix("K"), v = try a.matrix("V")
            let mask = try a.optionalMatrix("mask")
            try AttentionBuiltins.checkScores(a, queries: q.rows, keys: k.rows, width: max(q.cols, v.cols))
            return .matrix(try a.core { () throws(CoreError) -> Matrix in try AttentionCore.attention(q, k, v, mask: mask) })
        }.differentiable(Follow.attention),
        Builtin("single_head", .attention, "single_head(X, Wq, Wk, Wv, mask: nil)",
            "attention(X Wq, X Wk, X Wv, mask: mask): one attention head with its projections.",
            example: "out = single_head(X, Wq, Wk, Wv)") { a throws(LangError) in
            let (x, w, _, mask) = try AttentionBuiltins.projectionInputs(a, ["Wq", "Wk", "Wv"])
            return .matrix(try a.core { () throws(CoreError) -> Matrix in try singleHead(x, w[0], w[1], w[2], mask: mask) })
        }.differentiable(Follow.singleHead),
        Builtin("multi_head", .attention, "multi_head(X, Wq, Wk, Wv, Wo, heads:, mask: nil)",
            "Lesson 4: Q = X Wq, K = X Wk, V = X Wv are split into `heads` contiguous column blocks of d_model/heads (as in nanoGPT); head i attends with block i; the outputs are joined side by side and multiplied by Wo. d_model must be divisible by heads.",
            example: "out = multi_head(X, Wq, Wk, Wv, Wo, heads: 2, mask: causal_mask(X.rows))") { a throws(LangError) in
            let (x, w, heads, mask) = try AttentionBuiltins.projectionInputs(a, ["Wq", "Wk", "Wv", "Wo"])
            return .matrix(try a.core { () throws(CoreError) -> Matrix in try multiHead(x, w[0], w[1], w[2], w[3], heads: heads, mask: mask) })
        }.differentiable(Follow.multiHead),
        Builtin("multi_head_weights", .attention, "multi_head_weights(X, Wq, Wk, heads:, mask: nil)",
            "The list of per-head attention weight matrices that multi_head uses (one n×n matrix per head).",
            example: "heads(multi_head_weights(X, Wq, Wk, heads: 2), labels: toks)") { a throws(LangError) in
            let (x, w, heads, mask) = try AttentionBuiltins.projectionInputs(a, ["Wq", "Wk"])
            let (total, overflow) = x.rows.multipliedReportingOverflow(by: x.rows)
            if overflow || total.multipliedReportingOverflow(by: heads).overflow { throw LangError(.tooManyAttentionWeights, at: a.range) }
            try a.evaluator.checkCount(total * heads, at: a.range, what: "attention weights")
            return .list(try a.core { () throws(CoreError) -> [Matrix] in
                try multiHeadWeights(x, w[0], w[1], heads: heads, mask: mask)
            }.map(Value.matrix))
        }.differentiable(Follow.multiHeadWeights),
        Builtin("causal_mask", .attention, "causal_mask(n)",
            "The additive n×n causal mask: 0 on and below the diagonal, -inf above, so token i attends only to tokens 0...i.",
            example: "M = causal_mask(4)", numpy: "np.triu(np.full((n, n), -np.inf), k=1)") { a throws(LangError) in
            let n = try a.size("n")
            try a.checkSize(rows: n, cols: n)
            return .matrix(try a.core { () throws(CoreError) -> Matrix in try causalMask(n) })
        },
    ]
}

/// Size and work checks shared by the attention builtins (and the blocks).
enum AttentionBuiltins {
    /// Checks the queries×keys score matrix against the size and work limits before computing it.
    static func checkScores(_ a: Arguments, queries: Int, keys: Int, width: Int) throws(LangError) {
        try a.checkSize(rows: queries, cols: keys)
        try a.evaluator.checkWork(Double(queries) * Double(keys) * Double(max(width, 1)) * 2, at: a.range)
    }

    /// The inputs of single_head, multi_head and multi_head_weights, read in this order: X, the
    /// projection matrices `names`, `heads` (1 when the signature has none) and the mask; then
    /// X @ W for every projection and the n×n scores are checked against the limits.
    static func projectionInputs(_ a: Arguments, _ names: [String]) throws(LangError) -> (x: Matrix, w: [Matrix], heads: Int, mask: Matrix?) {
        let x = try a.matrix("X")
        var ws: [Matrix] = []
        for name in names { ws.append(try a.matrix(name)) }
        let heads = try a.info.parsed.declares("heads") ? a.positive("heads") : 1
        let mask = try a.optionalMatrix("mask")
        try checkProjection(a, x, ws)
        return (x, ws, heads, mask)
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
