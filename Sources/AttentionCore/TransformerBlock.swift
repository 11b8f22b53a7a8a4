import Glibc

/// Layer normalisation of each row: yᵢ = γ ⊙ (xᵢ − μᵢ)/√(σᵢ² + ε) + β, with μᵢ the row
/// mean and σᵢ² the biased variance (divide by d, as PyTorch). γ and β are 1×d rows
/// (ones and zeros when nil).
public func layerNorm(_ x: Matrix, gamma: Matrix? = nil, beta: Matrix? = nil, eps: Double = 1e-5) throws(CoreError) -> Matrix {
    guard eps >= 0 else { throw .invalidArgument("eps must not be negative, not \(eps)") }
    for (name, parameter) in [("gamma", gamma), ("beta", beta)] {
        if let parameter, parameter.rows != 1 || parameter.cols != x.cols {
            throw .shapeMismatch(operation: "normalise with \(name)", lhs: x.shapeDescription, rhs: parameter.shapeDescription, hint: "\(name) must be 1×\(x.cols)")
        }
    }
    var out = x
    let d = Double(x.cols)
    for i in 0..<x.rows {
        let row = x.row(i)
        let mean = row.reduce(0, +) / d
        let variance = row.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / d
        let inverse = 1 / (variance + eps).squareRoot()
        for j in 0..<x.cols {
            out[i, j] = (x[i, j] - mean) * inverse * (gamma?[0, j] ?? 1) + (beta?[0, j] ?? 0)
        }
    }
    return out
}

/// The position-wise feed-forward network: gelu(X·W₁ + b₁)·W₂ + b₂ (exact GELU).
/// X n×d, W₁ d×h, b₁ 1×h, W₂ h×d, b₂ 1×d (h = 4d in `initBlock`).
public func ffn(_ x: Matrix, _ w1: Matrix, _ b1: Matrix, _ w2: Matrix, _ b2: Matrix) throws(CoreError) -> Matrix {
    let hidden = gelu(try Matrix.add(try matmul(x, w1), b1))
    return try Matrix.add(try matmul(hidden, w2), b2)
}

/// All weights of one transformer block (names as in the language's `init_block` record).
/// Attention: W_Q, W_K, W_V, W_O (d×d) with biases b (1×d); FFN: W₁ (d×4d), b₁ (1×4d),
/// W₂ (4d×d), b₂ (1×d); two layer norms' γ, β (1×d); the number of heads.
///
/// An attention-only block (`hasMLP` false, as in the induction-head literature) has no
/// FFN and no second layer norm: W₁ b₁ W₂ b₂ and ln₂'s γ, β are then 0×0 and unused.
public struct BlockParameters: Equatable, Sendable {
    public var Wq, Wk, Wv, Wo, bq, bk, bv, bo: Matrix
    public var W1, b1, W2, b2: Matrix
    public var ln1Gamma, ln1Beta, ln2Gamma, ln2Beta: Matrix
    public var heads: Int
    /// Whether the block has its FFN sublayer (and ln₂). False: x ← x + MHA(LN₁(x)) only.
    public var hasMLP: Bool

    public init(
        Wq: Matrix, Wk: Matrix, Wv: Matrix, Wo: Matrix, bq: Matrix, bk: Matrix, bv: Matrix, bo: Matrix,
        W1: Matrix, b1: Matrix, W2: Matrix, b2: Matrix,
        ln1Gamma: Matrix, ln1Beta: Matrix, ln2Gamma: Matrix, ln2Beta: Matrix, heads: Int, hasMLP: Bool = true
    ) {
        (self.Wq, self.Wk, self.Wv, self.Wo, self.bq, self.bk, self.bv, self.bo) = (Wq, Wk, Wv, Wo, bq, bk, bv, bo)
        (self.W1, self.b1, self.W2, self.b2) = (W1, b1, W2, b2)
        (self.ln1Gamma, self.ln1Beta, self.ln2Gamma, self.ln2Beta) = (ln1Gamma, ln1Beta, ln2Gamma, ln2Beta)
        self.heads = heads
        self.hasMLP = hasMLP
    }

    /// An attention-only block: the FFN fields and ln₂ are 0×0.
    public init(
        Wq: Matrix, Wk: Matrix, Wv: Matrix, Wo: Matrix, bq: Matrix, bk: Matrix, bv: Matrix, bo: Matrix,
        ln1Gamma: Matrix, ln1Beta: Matrix, heads: Int
    ) {
        let empty = Matrix(uncheckedRows: 0, cols: 0, storage: [])
        self.init(Wq: Wq, Wk: Wk, Wv: Wv, Wo: Wo, bq: bq, bk: bk, bv: bv, bo: bo, W1: empty, b1: empty, W2: empty, b2: empty,
                  ln1Gamma: ln1Gamma, ln1Beta: ln1Beta, ln2Gamma: empty, ln2Beta: empty, heads: heads, hasMLP: false)
    }

    /// Every weight matrix in a fixed order (for counting and for iteration); an
    /// attention-only block leaves out the FFN and ln₂.
    public var matrices: [Matrix] {
        hasMLP ? [Wq, Wk, Wv, Wo, bq, bk, bv, bo, W1, b1, W2, b2, ln1Gamma, ln1Beta, ln2Gamma, ln2Beta]
            : [Wq, Wk, Wv, Wo, bq, bk, bv, bo, ln1Gamma, ln1Beta]
    }

    /// The model width d_model.
    public var dModel: Int { Wq.rows }
}

/// A block's weights initialised as nanoGPT does: weights N(0, 0.02²), biases 0, layer-norm
/// γ = 1 and β = 0. Drawn from one `SeededGenerator(seed:)` in the order W_Q, W_K, W_V,
/// W_O, W₁, W₂ (the last two only with `mlp`). The FFN hidden width is 4·d_model.
public func initBlock(dModel: Int, heads: Int, seed: UInt64, mlp: Bool = true) throws(CoreError) -> BlockParameters {
    var generator = SeededGenerator(seed: seed)
    return try initBlock(dModel: dModel, heads: heads, mlp: mlp, generator: &generator)
}

func initBlock(dModel d: Int, heads: Int, mlp: Bool = true, generator: inout SeededGenerator) throws(CoreError) -> BlockParameters {
    guard d > 0 else { throw .invalidArgument("d_model must be at least 1, not \(d)") }
    try checkHeads(dModel: d, heads: heads)
    let (hidden, overflow) = d.multipliedReportingOverflow(by: 4)
    guard !overflow else { throw .tooLarge("d_model = \(d) is too large") }
    _ = try checkedCount(d, hidden)
    func weights(_ r: Int, _ c: Int) -> Matrix {
        Matrix(uncheckedRows: r, cols: c, storage: (0..<(r * c)).map { _ in 0.02 * generator.nextGaussian() })
    }
    let (wq, wk, wv, wo) = (weights(d, d), weights(d, d), weights(d, d), weights(d, d))
    let zeroRow = Matrix(rows: 1, cols: d, repeating: 0), oneRow = Matrix(rows: 1, cols: d, repeating: 1)
    guard mlp else {
        return BlockParameters(Wq: wq, Wk: wk, Wv: wv, Wo: wo, bq: zeroRow, bk: zeroRow, bv: zeroRow, bo: zeroRow,
                               ln1Gamma: oneRow, ln1Beta: zeroRow, heads: heads)
    }
    let (w1, w2) = (weights(d, hidden), weights(hidden, d))
    return BlockParameters(
        Wq: wq, Wk: wk, Wv: wv, Wo: wo, bq: zeroRow, bk: zeroRow, bv: zeroRow, bo: zeroRow,
        W1: w1, b1: Matrix(rows: 1, cols: hidden, repeating: 0), W2: w2, b2: zeroRow,
        ln1Gamma: oneRow, ln1Beta: zeroRow, ln2Gamma: oneRow, ln2Beta: zeroRow, heads: heads)
}

/// Where a block applies its layer norms.
public enum NormPlacement: String, Sendable {
    /// GPT-2 / nanoGPT: x ← x + MHA(LN₁(x)); x ← x + FFN(LN₂(x)). The residual stream is never normalised.
    case pre
    /// The original Transformer: x ← LN₁(x + MHA(x)); x ← LN₂(x + FFN(x)).
    case post
}

/// Multi-head self-attention with biases, as inside a block:
/// concat_h(attention(Qₕ, Kₕ, Vₕ, mask))·W_O + b_O with Q = X·W_Q + b_Q (likewise K, V).
public func blockAttention(_ x: Matrix, _ p: BlockParameters, mask: Matrix?) throws(CoreError) -> Matrix {
    let q = try Matrix.add(try matmul(x, p.Wq), p.bq)
    let k = try Matrix.add(try matmul(x, p.Wk), p.bk)
    let v = try Matrix.add(try matmul(x, p.Wv), p.bv)
    let heads = try multiHeadConcat(q, k, v, heads: p.heads, mask: mask)
    return try Matrix.add(try matmul(heads, p.Wo), p.bo)
}

/// One transformer block on X (n×d): attention reads from the residual stream and adds
/// its output back; the FFN does the same. See `NormPlacement` for the two orders. An
/// attention-only block (`hasMLP` false) stops after the attention sublayer (and its ln₁).
public func transformerBlock(_ x: Matrix, _ p: BlockParameters, mask: Matrix? = nil, norm: NormPlacement = .pre) throws(CoreError) -> Matrix {
    guard x.cols == p.dModel else {
        throw .shapeMismatch(operation: "run a block of width \(p.dModel) on", lhs: "block \(p.dModel)×\(p.dModel)", rhs: x.shapeDescription,
                             hint: "the input needs \(p.dModel) columns")
    }
    switch (norm, p.hasMLP) {
    case (.pre, false):
        return try Matrix.add(x, try blockAttention(try layerNorm(x, gamma: p.ln1Gamma, beta: p.ln1Beta), p, mask: mask))
    case (.post, false):
        return try layerNorm(try Matrix.add(x, try blockAttention(x, p, mask: mask)), gamma: p.ln1Gamma, beta: p.ln1Beta)
    case (.pre, true):
        let afterAttention = try Matrix.add(x, try blockAttention(try layerNorm(x, gamma: p.ln1Gamma, beta: p.ln1Beta), p, mask: mask))
        let normed = try layerNorm(afterAttention, gamma: p.ln2Gamma, beta: p.ln2Beta)
        return try Matrix.add(afterAttention, try ffn(normed, p.W1, p.b1, p.W2, p.b2))
    case (.post, true):
        let afterAttention = try layerNorm(try Matrix.add(x, try blockAttention(x, p, mask: mask)), gamma: p.ln1Gamma, beta: p.ln1Beta)
        let afterFFN = try Matrix.add(afterAttention, try ffn(afterAttention, p.W1, p.b1, p.W2, p.b2))
        return try layerNorm(afterFFN, gamma: p.ln2Gamma, beta: p.ln2Beta)
    }
}

/// The number of parameters in a block: the element count of every weight matrix, which for
/// a standard block is 4d² + 4d (attention) + 8d² + 5d (FFN) + 4d (norms) = 12d² + 13d;
/// an attention-only block has 4d² + 4d + 2d (ln₁) = 4d² + 6d.
public func paramCount(_ block: BlockParameters) -> Int { block.matrices.reduce(0) { $0 + $1.count } }
