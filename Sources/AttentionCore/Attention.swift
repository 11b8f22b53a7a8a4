import Glibc

// The attention functions, in the order the lessons introduce them. Shapes: n queries,
// m keys, d_k the query/key width, d_v the value width. Masks are additive (0 keeps a
// score, −inf removes it) and broadcast like any addition (an n×m mask, or 1×m for
// every query). A query whose every key is masked gets a zero row of weights.

/// Lesson 1: W = softmax(X·Xᵀ), row-wise, no projections and no scaling. X is n×d, W is n×n.
/// W is the softmax of a symmetric matrix, and Xᵢ·Xᵢ = ‖Xᵢ‖² often dominates its row.
public func rawAttentionWeights(_ x: Matrix) throws(CoreError) -> Matrix {
    try softmax(MatrixProduct.multiplyTransposed(x, x))
}

/// Lesson 1: softmax(X·Xᵀ)·X: every token becomes a weighted average of all tokens. n×d.
public func rawAttention(_ x: Matrix) throws(CoreError) -> Matrix {
    MatrixProduct.multiply(try rawAttentionWeights(x), x)
}

/// Lesson 2: W = softmax(Q·Kᵀ/√d_k + mask), row-wise. Q is n×d_k, K is m×d_k, W is n×m
/// and each row sums to 1 (or is all zeros when the mask removes every key).
/// With `scaled: false` the 1/√d_k factor is left out (to show softmax saturating).
/// (Computed by `FusedAttention`: the scale folded into the exponent, the causal mask by skipping.)
public func attentionWeights(_ q: Matrix, _ k: Matrix, mask: Matrix? = nil, scaled: Bool = true) throws(CoreError) -> Matrix {
    let plan = try checkScores(q, k, mask: mask)
    let (n, m) = (q.rows, k.rows)
    var out = [Double](repeating: 0, count: n * m)
    q.storage.withUnsafeBufferPointer { pq in
        k.storage.withUnsafeBufferPointer { pk in
            out.withUnsafeMutableBufferPointer { po in
                FusedAttention.run(
                    n: n, m: m, dk: q.cols, dv: 0, heads: 1, q: pq.baseAddress, ldq: q.cols, k: pk.baseAddress, ldk: k.cols,
                    v: nil, ldv: 0, scale: scaled ? scoreScale(q.cols) : 1, mask: plan, output: .weights([po.baseAddress!]))
            }
        }
    }
    return Matrix(uncheckedRows: n, cols: m, storage: out)
}

/// 1/√d_k, or 1 when d_k = 0 (empty scores are not scaled).
func scoreScale(_ dk: Int) -> Double { dk > 0 ? 1 / Double(dk).squareRoot() : 1 }

/// Checks Q (n×d_k) against K (m×d_k) and the mask against the n×m scores, and says how
/// the mask will be applied.
func checkScores(_ q: Matrix, _ k: Matrix, mask: Matrix?) throws(CoreError) -> FusedAttention.MaskPlan {
    try checkScores(q: (q.rows, q.cols), k: (k.rows, k.cols), mask: mask)
}

/// `checkScores` by shapes: Q is q.rows×q.cols, K k.rows×k.cols (a head's column block
/// needs no copy to be checked).
func checkScores(q: (rows: Int, cols: Int), k: (rows: Int, cols: Int), mask: Matrix?) throws(CoreError) -> FusedAttention.MaskPlan {
    guard q.cols == k.cols else {
        throw .shapeMismatch(
            operation: "match queries against keys (Q·Kᵀ needs Q and K with the same number of columns) for", lhs: "\(q.rows)×\(q.cols)",
            rhs: "\(k.rows)×\(k.cols)", hint: q.cols == k.rows ? "K looks transposed already: pass K, not K.T" : nil)
    }
    _ = try checkedCount(q.rows, k.rows)
    if let mask {
        let scores = "\(q.rows)×\(k.rows)"
        func fits(_ x: Int, _ y: Int) -> Bool { x == y || y == 1 }
        guard fits(q.rows, mask.rows), fits(k.rows, mask.cols) else {
            throw .shapeMismatch(operation: "apply a mask to", lhs: "\(scores) score", rhs: mask.shapeDescription,
                                 hint: "the mask must be \(scores) (queries × keys)")
        }
    }
    return FusedAttention.plan(mask, n: q.rows, m: k.rows)
}

/// Lesson 3: softmax(Q·Kᵀ/√d_k + mask)·V. Q n×d_k, K m×d_k, V m×d_v; the result is n×d_v,
/// row i the average of V's rows weighted by how well query i matches each key.
public func attention(_ q: Matrix, _ k: Matrix, _ v: Matrix, mask: Matrix? = nil) throws(CoreError) -> Matrix {
    guard k.rows == v.rows else {
        throw .shapeMismatch(operation: "pair keys with values (K and V need the same number of rows) for", lhs: k.shapeDescription,
                             rhs: v.shapeDescription, hint: nil)
    }
    let plan = try checkScores(q, k, mask: mask)
    _ = try checkedCount(q.rows, v.cols)
    return attendHeads(q, k, v, heads: 1, plan: plan)
}

/// The heads of projected Q, K, V (shapes checked): head h reads column block h of each in
/// place and writes column block h of the n×d_v result (the concatenation).
func attendHeads(_ q: Matrix, _ k: Matrix, _ v: Matrix, heads: Int, plan: FusedAttention.MaskPlan) -> Matrix {
    let (n, m, dk, dv) = (q.rows, k.rows, q.cols / heads, v.cols / heads)
    // Every output element is written: each row block of each head fills its n_block×d_v
    // piece (a product with β = 0), so the result starts uninitialised.
    let out = [Double].writtenInPlace(count: n * v.cols) { po in
        q.storage.withUnsafeBufferPointer { pq in
            k.storage.withUnsafeBufferPointer { pk in
                v.storage.withUnsafeBufferPointer { pv in
                    guard let o = po.baseAddress else { return }
                    FusedAttention.run(
                        n: n, m: m, dk: dk, dv: dv, heads: heads, q: pq.baseAddress, ldq: q.cols, k: pk.baseAddress, ldk: k.cols,
                        v: pv.baseAddress, ldv: v.cols, scale: scoreScale(dk), mask: plan, output: .values(out: o, ldo: v.cols))
                }
            }
        }
    }
    return Matrix(uncheckedRows: n, cols: v.cols, storage: out)
}

/// Lesson 3: attention(X·W_Q, X·W_K, X·W_V, mask). X n×d_model, W_Q and W_K d_model×d_k,
/// W_V d_model×d_v; the result is n×d_v.
public func singleHead(_ x: Matrix, _ wq: Matrix, _ wk: Matrix, _ wv: Matrix, mask: Matrix? = nil) throws(CoreError) -> Matrix {
    try attention(try matmul(x, wq), try matmul(x, wk), try matmul(x, wv), mask: mask)
}

/// Lesson 4: multi-head attention. Q = X·W_Q, K = X·W_K, V = X·W_V (each n×d); head h uses
/// the contiguous column block h of width d/heads (as nanoGPT); headₕ = attention(Qₕ, Kₕ, Vₕ, mask);
/// the result is [head₀ … head_{H−1}]·W_O, n×d_out. d must be divisible by `heads`.
public func multiHead(
    _ x: Matrix, _ wq: Matrix, _ wk: Matrix, _ wv: Matrix, _ wo: Matrix, heads: Int, mask: Matrix? = nil
) throws(CoreError) -> Matrix {
    let concatenated = try multiHeadConcat(try matmul(x, wq), try matmul(x, wk), try matmul(x, wv), heads: heads, mask: mask)
    return try matmul(concatenated, wo)
}

/// Lesson 4: the list of per-head weight matrices softmax(Qₕ·Kₕᵀ/√(d/heads) + mask), each n×n.
public func multiHeadWeights(_ x: Matrix, _ wq: Matrix, _ wk: Matrix, heads: Int, mask: Matrix? = nil) throws(CoreError) -> [Matrix] {
    let q = try matmul(x, wq), k = try matmul(x, wk)
    guard q.cols == k.cols else {
        throw .shapeMismatch(operation: "match queries against keys for", lhs: "W_Q \(wq.shapeDescription)", rhs: "W_K \(wk.shapeDescription)", hint: "W_Q and W_K need the same number of columns")
    }
    return try headWeights(q, k, heads: heads, mask: mask)
}

/// The per-head weights of already-projected Q (n×d) and K (m×d), each n×m:
/// softmax(Qₕ·Kₕᵀ/√(d/heads) + mask), head h reading column block h.
func headWeights(_ q: Matrix, _ k: Matrix, heads: Int, mask: Matrix?) throws(CoreError) -> [Matrix] {
    try checkHeads(dModel: q.cols, heads: heads)
    let dk = q.cols / heads
    let plan = try checkScores(q: (q.rows, dk), k: (k.rows, dk), mask: mask)
    let (n, m) = (q.rows, k.rows)
    let count = try checkedCount(n, m)
    return q.storage.withUnsafeBufferPointer { pq in
        k.storage.withUnsafeBufferPointer { pk in
            (0..<heads).map { h in
                let weights = [Double].writtenInPlace(count: count) { buffer in
                    // Every entry of the n×m buffer is written (scores, zeros, or normalised weights).
                    if let out = buffer.baseAddress {
                        FusedAttention.run(
                            n: n, m: m, dk: dk, dv: 0, heads: 1, q: pq.baseAddress.map { $0 + h * dk }, ldq: q.cols,
                            k: pk.baseAddress.map { $0 + h * dk }, ldk: k.cols, v: nil, ldv: 0, scale: scoreScale(dk), mask: plan,
                            output: .weights([out]))
                    }
                }
                return Matrix(uncheckedRows: n, cols: m, storage: weights)
            }
        }
    }
}

/// The heads of already-projected Q, K, V, concatenated (before W_O): shared by
/// `multiHead` and the transformer block (which adds biases to the projections).
func multiHeadConcat(_ q: Matrix, _ k: Matrix, _ v: Matrix, heads: Int, mask: Matrix?) throws(CoreError) -> Matrix {
    guard q.cols == k.cols, q.cols == v.cols else {
        throw .shapeMismatch(operation: "split into heads", lhs: "Q \(q.shapeDescription)", rhs: "K \(k.shapeDescription), V \(v.shapeDescription)",
                             hint: "Q, K and V need the same width d_model")
    }
    try checkHeads(dModel: q.cols, heads: heads)
    let width = q.cols / heads
    guard k.rows == v.rows else {
        throw .shapeMismatch(operation: "pair keys with values (K and V need the same number of rows) for", lhs: "\(k.rows)×\(width)",
                             rhs: "\(v.rows)×\(width)", hint: nil)
    }
    let plan = try checkScores(q: (q.rows, width), k: (k.rows, width), mask: mask)
    return attendHeads(q, k, v, heads: heads, plan: plan)
}

/// The additive causal mask, n×n: 0 on and below the diagonal (a query may see itself and
/// earlier keys), −inf above it (no query sees the future).
public func causalMask(_ n: Int) throws(CoreError) -> Matrix {
    _ = try checkedCount(n, n)
    return Matrix(rows: n, cols: n) { i, j in j > i ? -.infinity : 0 }
}
