import AttentionCore

extension BuiltinTable {
    /// `explain`: an attention computation shown step by step on the student's own matrices.
    static let explaining: [Builtin] = [
        Builtin("explain", .display, "explain(f, args..., heads: nil, mask: nil)",
            "Shows a call of attention, single_head or multi_head step by step, with the shapes and a heatmap of each step: the projections Q = X·W_Q, K = X·W_K, V = X·W_V (single_head, multi_head), the split into heads (multi_head), the scores S = Q·Kᵀ, the scaling S/√d_k, the mask S/√d_k + M, the softmax weights A, the weighted sum A·V, the concatenation of the heads and the output projection ·W_O (multi_head). Returns the output, equal to f's up to rounding.",
            example: "explain(multi_head, X, Wq, Wk, Wv, Wo, heads: 2, mask: causal_mask(4))") { a throws(LangError) in
            guard case .function(.builtin(let name)) = try a.value("f"), ["attention", "single_head", "multi_head"].contains(name) else {
                throw LangError(.argumentType(builtin: "explain", parameter: "f", expected: "attention, single_head or multi_head", got: try a.value("f").kindDescription), at: try a.range(of: "f"))
            }
            let expected = ["attention": 3, "single_head": 4, "multi_head": 5][name] ?? 0
            guard a.rest.count == expected else {
                let usage = BuiltinTable.info(name)?.signature ?? name
                throw LangError(.wrongArgumentCount(signature: usage, expected: expected, got: a.rest.count), at: a.range)
            }
            var matrices: [Matrix] = []
            for (i, argument) in a.rest.enumerated() {
                matrices.append(try Arguments.matrix(argument.value, info: a.info, name: "args[\(i)]", at: argument.range))
            }
            let mask = try a.optionalMatrix("mask")
            var heads = 1
            if name == "multi_head" {
                guard case .number = try a.value("heads") else {
                    throw LangError(.missingArgument(builtin: "explain", parameter: "heads", labelled: true, usage: "explain(multi_head, X, Wq, Wk, Wv, Wo, heads:, mask: nil)"), at: a.range)
                }
                heads = try a.positive("heads")
            }
            for m in matrices { try a.checkSize(rows: m.rows, cols: m.cols) }
            let steps = Explanation(host: a.evaluator.host)
            return .matrix(try a.core { () throws(CoreError) -> Matrix in
                try steps.run(name, matrices, heads: heads, mask: mask)
            })
        }.readingValues(),
    ]
}

/// The steps of one attention computation, each emitted as a heatmap titled with its
/// formula and shape. The arithmetic is AttentionCore's, in the textbook's order.
struct Explanation {
    let host: CellHost

    private func show(_ step: Int, _ title: String, _ m: Matrix) {
        host.emit(.display(Renderer.heatmap(m, title: "\(step). \(title)  [\(m.shapeDescription)]", raster: host.wantsRasterImages), displayID: nil, update: false))
    }

    private func showHeads(_ step: Int, _ title: String, _ ms: [Matrix]) {
        if ms.count == 1 { return show(step, title, ms[0]) }
        let titles = ms.indices.map { "head \($0)" }
        host.emit(.stdout("\(step). \(title)\n"))
        host.emit(.display(Renderer.heads(ms, labels: nil, titles: titles, raster: host.wantsRasterImages), displayID: nil, update: false))
    }

    func run(_ name: String, _ m: [Matrix], heads: Int, mask: Matrix?) throws(CoreError) -> Matrix {
        var step = 0
        func next() -> Int { step += 1; return step }
        var q: Matrix, k: Matrix, v: Matrix
        if name == "attention" {
            (q, k, v) = (m[0], m[1], m[2])
            host.emit(.stdout("Q \(q.shapeDescription), K \(k.shapeDescription), V \(v.shapeDescription)\n"))
        } else {
            let x = m[0]
            q = try matmul(x, m[1])
            k = try matmul(x, m[2])
            v = try matmul(x, m[3])
            host.emit(.stdout("X \(x.shapeDescription): Q = X·W_Q, K = X·W_K, V = X·W_V\n"))
            show(next(), "Q = X·W_Q", q)
            show(next(), "K = X·W_K", k)
            show(next(), "V = X·W_V", v)
        }
        guard q.cols == k.cols else { throw .shapeMismatch(operation: "form Q·Kᵀ from", lhs: "Q \(q.shapeDescription)", rhs: "K \(k.shapeDescription)", hint: "Q and K need the same number of columns") }
        guard k.rows == v.rows else { throw .shapeMismatch(operation: "form A·V from", lhs: "K \(k.shapeDescription)", rhs: "V \(v.shapeDescription)", hint: "every key needs a value: K and V need the same number of rows") }
        let qs = try splitHeads(q, heads: heads), ks = try splitHeads(k, heads: heads), vs = try splitHeads(v, heads: heads)
        let dk = qs[0].cols
        if heads > 1 { host.emit(.stdout("\(next()). split into \(heads) heads of d_k = \(q.cols) / \(heads) = \(dk) columns each\n")) }
        let scores = try zip(qs, ks).map { (q, k) throws(CoreError) -> Matrix in try matmul(q, transpose(k)) }
        showHeads(next(), "scores S = Q·Kᵀ", scores)
        let scale = 1 / Double(dk).squareRoot()
        var scaled = scores.map { Matrix.scale($0, by: scale) }
        showHeads(next(), "scaled S / √d_k = S / √\(dk)", scaled)
        if let mask {
            scaled = try scaled.map { (s) throws(CoreError) -> Matrix in try Matrix.add(s, mask) }
            showHeads(next(), "masked S / √d_k + M (−inf: not allowed)", scaled)
        }
        let weights = try scaled.map { (s) throws(CoreError) -> Matrix in try softmax(s) }
        showHeads(next(), "weights A = softmax(rows), each row sums to 1", weights)
        let outputs = try zip(weights, vs).map { (w, v) throws(CoreError) -> Matrix in try matmul(w, v) }
        showHeads(next(), "weighted sum A·V", outputs)
        guard name == "multi_head" else { return outputs[0] }
        let joined = try concatHeads(outputs)
        show(next(), "concatenated heads", joined)
        let out = try matmul(joined, m[4])
        show(next(), "output = concat · W_O", out)
        return out
    }
}
