import Foundation

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
public func attentionWeights(_ q: Matrix, _ k: Matrix, mask: Matrix? = nil, scaled: Bool = true) throws(CoreError) -> Matrix {
    guard q.cols == k.cols else {
        throw .shapeMismatch(
            operation: "match queries against keys (Q·Kᵀ needs Q and K with the same number of columns) for", lhs: q.shapeDescription,
            rhs: k.shapeDescription, hint: q.cols == k.rows ? "K looks transposed already: pass K, not K.T" : nil)
    }
    _ = try checkedCount(q.rows, k.rows)
    var scores = MatrixProduct.multiplyTransposed(q, k)
    if scaled && q.cols > 0 { scores = scale(scores, by: 1 / Double(q.cols).squareRoot()) }
    if let mask {
        guard let shape = broadcastShape(scores, mask), shape.rows == scores.rows, shape.cols == scores.cols else {
            throw .shapeMismatch(operation: "apply a mask to", lhs: "\(scores.shapeDescription) score", rhs: mask.shapeDescription,
                                 hint: "the mask must be \(scores.shapeDescription) (queries × keys)")
        }
        scores = try add(scores, mask)
    }
    return try softmax(scores)
}

/// Lesson 3: softmax(Q·Kᵀ/√d_k + mask)·V. Q n×d_k, K m×d_k, V m×d_v; the result is n×d_v,
/// row i the average of V's rows weighted by how well query i matches each key.
public func attention(_ q: Matrix, _ k: Matrix, _ v: Matrix, mask: Matrix? = nil) throws(CoreError) -> Matrix {
    guard k.rows == v.rows else {
        throw .shapeMismatch(operation: "pair keys with values (K and V need the same number of rows) for", lhs: k.shapeDescription,
                             rhs: v.shapeDescription, hint: nil)
    }
    return MatrixProduct.multiply(try attentionWeights(q, k, mask: mask), v)
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
    let qs = try splitHeads(q, heads: heads), ks = try splitHeads(k, heads: heads)
    var weights: [Matrix] = []
    for h in 0..<heads { weights.append(try attentionWeights(qs[h], ks[h], mask: mask)) }
    return weights
}

/// The heads of already-projected Q, K, V, concatenated (before W_O): shared by
/// `multiHead` and the transformer block (which adds biases to the projections).
func multiHeadConcat(_ q: Matrix, _ k: Matrix, _ v: Matrix, heads: Int, mask: Matrix?) throws(CoreError) -> Matrix {
    guard q.cols == k.cols, q.cols == v.cols else {
        throw .shapeMismatch(operation: "split into heads", lhs: "Q \(q.shapeDescription)", rhs: "K \(k.shapeDescription), V \(v.shapeDescription)",
                             hint: "Q, K and V need the same width d_model")
    }
    let qs = try splitHeads(q, heads: heads), ks = try splitHeads(k, heads: heads), vs = try splitHeads(v, heads: heads)
    var outputs: [Matrix] = []
    outputs.reserveCapacity(heads)
    for h in 0..<heads { outputs.append(try attention(qs[h], ks[h], vs[h], mask: mask)) }
    return try hcat(outputs)
}

/// The additive causal mask, n×n: 0 on and below the diagonal (a query may see itself and
/// earlier keys), −inf above it (no query sees the future).
public func causalMask(_ n: Int) throws(CoreError) -> Matrix {
    _ = try checkedCount(n, n)
    return Matrix(rows: n, cols: n) { i, j in j > i ? -.infinity : 0 }
}
