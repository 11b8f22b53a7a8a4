import Glibc

/// A decoder-only transformer shaped like GPT-2 as in nanoGPT: token embeddings `wte`
/// (vocab×d), learned position embeddings `wpe` (context×d), `layers` pre-norm blocks with
/// biases and causal masks, a final layer norm, and an output projection tied to `wte`
/// (logits = LN_f(x)·wteᵀ), so it has V·d + T·d + L(12d² + 13d) + 2d parameters.
/// An attention-only model (`mlp` false) has blocks without FFN and ln₂:
/// V·d + T·d + L(4d² + 6d) + 2d.
public struct GPTModel: Equatable, Sendable {
    public var wte: Matrix
    public var wpe: Matrix
    public var blocks: [BlockParameters]
    public var lnFGamma: Matrix
    public var lnFBeta: Matrix
    public let vocab, dModel, heads, layers, context: Int
    /// Whether the blocks have their FFN (false: an attention-only transformer).
    public let mlp: Bool

    public init(wte: Matrix, wpe: Matrix, blocks: [BlockParameters], lnFGamma: Matrix, lnFBeta: Matrix,
                vocab: Int, dModel: Int, heads: Int, layers: Int, context: Int, mlp: Bool = true) {
        (self.wte, self.wpe, self.blocks, self.lnFGamma, self.lnFBeta) = (wte, wpe, blocks, lnFGamma, lnFBeta)
        (self.vocab, self.dModel, self.heads, self.layers, self.context) = (vocab, dModel, heads, layers, context)
        self.mlp = mlp
    }
}

/// The parameter count of a GPT-2-shaped model by formula:
/// P = V·d + T·d + L·(12d² + 13d) + 2d (124,439,808 for GPT-2 small: V = 50257, T = 1024, d = 768, L = 12);
/// attention-only (`mlp` false): P = V·d + T·d + L·(4d² + 6d) + 2d.
/// Returns nil when the count does not fit in an Int.
public func gptParameterFormula(vocab v: Int, dModel d: Int, layers l: Int, context t: Int, mlp: Bool = true) -> Int? {
    let (square, o1) = d.multipliedReportingOverflow(by: d)
    let (perSquare, o2) = square.multipliedReportingOverflow(by: mlp ? 12 : 4)
    let (perLinear, o3) = d.multipliedReportingOverflow(by: mlp ? 13 : 6)
    let (perLayer, o4) = perSquare.addingReportingOverflow(perLinear)
    if o1 || o2 || o3 || o4 { return nil }
    let terms: [(Int, Int)] = [(v, d), (t, d), (l, perLayer), (2, d)]
    var total = 0
    for (a, b) in terms {
        let (product, o1) = a.multipliedReportingOverflow(by: b)
        let (sum, o2) = total.addingReportingOverflow(product)
        if o1 || o2 { return nil }
        total = sum
    }
    return total
}

/// A GPT with nanoGPT's initialisation (weights N(0, 0.02²), biases 0, norms γ = 1, β = 0),
/// drawn from one `SeededGenerator(seed:)`: wte, wpe, then each block in order.
/// With `mlp` false the blocks are attention-only (each draws W_Q, W_K, W_V, W_O only).
public func gpt(vocab: Int, dModel: Int, heads: Int, layers: Int, context: Int, seed: UInt64, mlp: Bool = true) throws(CoreError) -> GPTModel {
    guard vocab > 0, context > 0, layers >= 0 else {
        throw .invalidArgument("a GPT needs vocab ≥ 1, context ≥ 1 and layers ≥ 0 (got vocab \(vocab), context \(context), layers \(layers))")
    }
    guard let total = gptParameterFormula(vocab: vocab, dModel: dModel, layers: layers, context: context, mlp: mlp), total <= 50_000_000 else {
        throw .tooLarge("a GPT with vocab \(vocab), d_model \(dModel), \(layers) layers and context \(context) has too many parameters to build here (limit 50,000,000); param counts by formula work at any size")
    }
    var generator = SeededGenerator(seed: seed)
    func weights(_ r: Int, _ c: Int) -> Matrix {
        Matrix(uncheckedRows: r, cols: c, storage: (0..<(r * c)).map { _ in 0.02 * generator.nextGaussian() })
    }
    let wte = weights(vocab, dModel), wpe = weights(context, dModel)
    var blocks: [BlockParameters] = []
    for _ in 0..<layers { blocks.append(try initBlock(dModel: dModel, heads: heads, mlp: mlp, generator: &generator)) }
    return GPTModel(wte: wte, wpe: wpe, blocks: blocks, lnFGamma: Matrix(rows: 1, cols: dModel, repeating: 1),
                    lnFBeta: Matrix(rows: 1, cols: dModel, repeating: 0), vocab: vocab, dModel: dModel, heads: heads,
                    layers: layers, context: context, mlp: mlp)
}

/// The number of parameters of a built model, counted from its matrices (the output
/// projection is tied to `wte`, so it is not counted twice).
public func paramCount(_ model: GPTModel) -> Int {
    model.wte.count + model.wpe.count + model.blocks.reduce(0) { $0 + paramCount($1) } + model.lnFGamma.count + model.lnFBeta.count
}

extension GPTModel {
    /// Logits for every position: x = wte[ids] + wpe[0..<n]; x ← block(x, causal mask) for each
    /// block; logits = LN_f(x)·wteᵀ, an n×vocab matrix (row t predicts token t+1).
    /// Needs 1 ≤ n ≤ context and every id in 0..<vocab.
    public func forward(ids: [Int]) throws(CoreError) -> Matrix {
        var x = try embed(ids)
        let mask = try causalMask(ids.count)
        for block in blocks { x = try transformerBlock(x, block, mask: mask, norm: .pre) }
        let final = try layerNorm(x, gamma: lnFGamma, beta: lnFBeta)
        return MatrixProduct.multiplyTransposed(final, wte)
    }

    /// x = wte[ids] + wpe[0..<n], after checking 1 ≤ n ≤ context and every id in 0..<vocab.
    func embed(_ ids: [Int]) throws(CoreError) -> Matrix {
        guard !ids.isEmpty else { throw .invalidArgument("forward needs at least one token id") }
        guard ids.count <= context else {
            throw .invalidArgument("\(ids.count) token ids are more than the model's context of \(context)")
        }
        if let bad = ids.first(where: { $0 < 0 || $0 >= vocab }) {
            throw .invalidArgument("token id \(bad) is outside the vocabulary 0..<\(vocab)")
        }
        return try Matrix.add(try wte.select(rows: ids, cols: Array(0..<dModel)), wpe.select(rows: Array(0..<ids.count), cols: Array(0..<dModel)))
    }

    /// Multiply-adds of one forward pass over n tokens: per layer the four projections
    /// (4·n·d²), the FFN when the model has one (8·n·d²) and the scores and weighted sums
    /// (2·n²·d), then the logits (n·d·vocab).
    public func forwardWork(count: Int) -> Double {
        let n = Double(count), d = Double(dModel)
        return Double(layers) * ((mlp ? 12 : 4) * n * d * d + 2 * n * n * d) + n * d * Double(vocab)
    }
}
