/// A transformer block's weights as variables on a tape (fields as in `BlockParameters`).
/// `W1`…`b2` and `ln2Gamma`/`ln2Beta` are nil in an attention-only block.
public struct BlockVariables: Sendable {
    public var Wq, Wk, Wv, Wo, bq, bk, bv, bo: Tape.Variable
    public var W1, b1, W2, b2: Tape.Variable?
    public var ln1Gamma, ln1Beta: Tape.Variable
    public var ln2Gamma, ln2Beta: Tape.Variable?
    public var heads: Int

    public init(
        Wq: Tape.Variable, Wk: Tape.Variable, Wv: Tape.Variable, Wo: Tape.Variable,
        bq: Tape.Variable, bk: Tape.Variable, bv: Tape.Variable, bo: Tape.Variable,
        W1: Tape.Variable?, b1: Tape.Variable?, W2: Tape.Variable?, b2: Tape.Variable?,
        ln1Gamma: Tape.Variable, ln1Beta: Tape.Variable, ln2Gamma: Tape.Variable?, ln2Beta: Tape.Variable?, heads: Int
    ) {
        (self.Wq, self.Wk, self.Wv, self.Wo, self.bq, self.bk, self.bv, self.bo) = (Wq, Wk, Wv, Wo, bq, bk, bv, bo)
        (self.W1, self.b1, self.W2, self.b2) = (W1, b1, W2, b2)
        (self.ln1Gamma, self.ln1Beta, self.ln2Gamma, self.ln2Beta) = (ln1Gamma, ln1Beta, ln2Gamma, ln2Beta)
        self.heads = heads
    }

    var mlp: (W1: Tape.Variable, b1: Tape.Variable, W2: Tape.Variable, b2: Tape.Variable)? {
        guard let W1, let b1, let W2, let b2 else { return nil }
        return (W1, b1, W2, b2)
    }
}

/// A GPT's weights as variables on a tape, with its sizes.
public struct GPTVariables: Sendable {
    public var wte, wpe: Tape.Variable
    public var blocks: [BlockVariables]
    public var lnFGamma, lnFBeta: Tape.Variable
    public var vocab, context: Int

    public init(wte: Tape.Variable, wpe: Tape.Variable, blocks: [BlockVariables], lnFGamma: Tape.Variable, lnFBeta: Tape.Variable,
                vocab: Int, context: Int) {
        (self.wte, self.wpe, self.blocks, self.lnFGamma, self.lnFBeta) = (wte, wpe, blocks, lnFGamma, lnFBeta)
        (self.vocab, self.context) = (vocab, context)
    }
}

extension Tape {
    /// x·W + b.
    public func linear(_ x: Variable, _ w: Variable, _ b: Variable) throws(CoreError) -> Variable {
        try add(try matmul(x, w), b)
    }

    /// gelu(X·W₁ + b₁)·W₂ + b₂ (exact GELU).
    public func ffn(_ x: Variable, _ w1: Variable, _ b1: Variable, _ w2: Variable, _ b2: Variable) throws(CoreError) -> Variable {
        try linear(apply(.gelu, try linear(x, w1, b1)), w2, b2)
    }

    /// Multi-head self-attention with biases, on `sequences` stacked sequences of equal
    /// length: concat_h(attention(Qₕ, Kₕ, Vₕ, mask))·W_O + b_O with Q = X·W_Q + b_Q (likewise K, V).
    public func blockAttention(_ x: Variable, _ p: BlockVariables, sequences: Int, mask: Matrix?) throws(CoreError) -> Variable {
        let q = try linear(x, p.Wq, p.bq), k = try linear(x, p.Wk, p.bk), v = try linear(x, p.Wv, p.bv)
        let heads = try attention(q, k, v, sequences: sequences, heads: p.heads, mask: mask)
        return try linear(heads, p.Wo, p.bo)
    }

    /// One transformer block (see `NormPlacement`); an attention-only block (no W₁) skips
    /// the FFN and its layer norm.
    public func transformerBlock(
        _ x: Variable, _ p: BlockVariables, sequences: Int = 1, mask: Matrix?, norm: NormPlacement = .pre
    ) throws(CoreError) -> Variable {
        switch norm {
        case .pre:
            let normed = try layerNorm(x, gamma: p.ln1Gamma, beta: p.ln1Beta)
            let afterAttention = try add(x, try blockAttention(normed, p, sequences: sequences, mask: mask))
            guard let mlp = p.mlp else { return afterAttention }
            let normed2 = try layerNorm(afterAttention, gamma: p.ln2Gamma, beta: p.ln2Beta)
            return try add(afterAttention, try ffn(normed2, mlp.W1, mlp.b1, mlp.W2, mlp.b2))
        case .post:
            let attended = try add(x, try blockAttention(x, p, sequences: sequences, mask: mask))
            let afterAttention = try layerNorm(attended, gamma: p.ln1Gamma, beta: p.ln1Beta)
            guard let mlp = p.mlp else { return afterAttention }
            let afterFFN = try add(afterAttention, try ffn(afterAttention, mlp.W1, mlp.b1, mlp.W2, mlp.b2))
            return try layerNorm(afterFFN, gamma: p.ln2Gamma, beta: p.ln2Beta)
        }
    }

    /// Logits of a GPT for `sequences` sequences of equal length n, stacked: row s·n + t
    /// predicts the token after position t of sequence s. x = wte[ids] + wpe[0..<n]; each
    /// block with a causal mask; logits = LN_f(x)·wteᵀ.
    public func gptLogits(_ m: GPTVariables, _ batch: [[Int]]) throws(CoreError) -> Variable {
        guard let n = batch.first?.count, n > 0 else { throw .invalidArgument("forward needs at least one token id") }
        guard batch.allSatisfy({ $0.count == n }) else { throw .invalidArgument("the sequences of one batch need the same length") }
        guard n <= m.context else { throw .invalidArgument("\(n) token ids are more than the model's context of \(m.context)") }
        let ids = batch.flatMap { $0 }
        if let bad = ids.first(where: { $0 < 0 || $0 >= m.vocab }) {
            throw .invalidArgument("token id \(bad) is outside the vocabulary 0..<\(m.vocab)")
        }
        var x = try add(try rows(m.wte, ids), try rows(m.wpe, (0..<batch.count).flatMap { _ in 0..<n }))
        let mask = try causalMask(n)
        for block in m.blocks { x = try transformerBlock(x, block, sequences: batch.count, mask: mask) }
        return try matmulTransposed(try layerNorm(x, gamma: m.lnFGamma, beta: m.lnFBeta), m.wte)
    }

    /// Next-token cross-entropy of a GPT on sequences (predict ids[1:] from ids[:-1], as
    /// nanoGPT), averaged over every predicted token when the sequences have equal length;
    /// sequences of different lengths are grouped by length and the groups' losses averaged
    /// per sequence (the mean of each sequence's mean loss).
    public func gptLoss(_ m: GPTVariables, _ sequences: [[Int]]) throws(CoreError) -> Variable {
        guard !sequences.isEmpty else { throw .invalidArgument("a loss needs at least one sequence") }
        if let short = sequences.first(where: { $0.count < 2 }) {
            throw .invalidArgument("a sequence of \(short.count) id\(short.count == 1 ? "" : "s") has no next token to predict; each needs at least 2")
        }
        var groups: [Int: [[Int]]] = [:]
        var order: [Int] = []
        for s in sequences {
            if groups[s.count] == nil { order.append(s.count) }
            groups[s.count, default: []].append(s)
        }
        var total: Variable?
        for length in order {
            let group = groups[length]!
            let logits = try gptLogits(m, group.map { Array($0.dropLast()) })
            let groupLoss = try crossEntropy(logits, targets: group.flatMap { $0.dropFirst() })
            // The mean over the group's tokens equals the mean of its sequences' means.
            let weighted = order.count == 1 ? groupLoss : scale(groupLoss, by: Double(group.count) / Double(sequences.count))
            total = try total.map { t throws(CoreError) in try add(t, weighted) } ?? weighted
        }
        return total!
    }
}

extension Tape {
    /// A block's weights on this tape, as parameters (differentiated) or constants.
    public func variables(_ p: BlockParameters, differentiable: Bool) -> BlockVariables {
        let v = differentiable ? parameter : constant
        let mlp = p.W1.count > 0
        return BlockVariables(
            Wq: v(p.Wq), Wk: v(p.Wk), Wv: v(p.Wv), Wo: v(p.Wo), bq: v(p.bq), bk: v(p.bk), bv: v(p.bv), bo: v(p.bo),
            W1: mlp ? v(p.W1) : nil, b1: mlp ? v(p.b1) : nil, W2: mlp ? v(p.W2) : nil, b2: mlp ? v(p.b2) : nil,
            ln1Gamma: v(p.ln1Gamma), ln1Beta: v(p.ln1Beta), ln2Gamma: mlp ? v(p.ln2Gamma) : nil, ln2Beta: mlp ? v(p.ln2Beta) : nil,
            heads: p.heads)
    }

    /// A model's weights on this tape, as parameters (differentiated) or constants.
    public func variables(_ m: GPTModel, differentiable: Bool) -> GPTVariables {
        let v = differentiable ? parameter : constant
        return GPTVariables(
            wte: v(m.wte), wpe: v(m.wpe), blocks: m.blocks.map { variables($0, differentiable: differentiable) },
            lnFGamma: v(m.lnFGamma), lnFBeta: v(m.lnFBeta), vocab: m.vocab, context: m.context)
    }
}

