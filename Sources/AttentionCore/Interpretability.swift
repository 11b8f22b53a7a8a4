/// Looking inside a model: what each head attends to, and what the model does without a head.
extension GPTModel {
    /// The attention weights of every head of every layer in `forward(ids:)`: element
    /// [l][h] is the n×n matrix softmax(Qₕ·Kₕᵀ/√(d/heads) + causal mask) of block l, with
    /// Q = LN₁(x)·W_Q + b_Q and K = LN₁(x)·W_K + b_K computed from that block's input x.
    /// Row i is what position i reads; entries above the diagonal are 0.
    public func attentionMaps(ids: [Int]) throws(CoreError) -> [[Matrix]] {
        var x = try embed(ids)
        let mask = try causalMask(ids.count)
        var maps: [[Matrix]] = []
        for block in blocks {
            let normed = try layerNorm(x, gamma: block.ln1Gamma, beta: block.ln1Beta)
            let q = try Matrix.add(try matmul(normed, block.Wq), block.bq)
            let k = try Matrix.add(try matmul(normed, block.Wk), block.bk)
            maps.append(try headWeights(q, k, heads: block.heads, mask: mask))
            x = try transformerBlock(x, block, mask: mask, norm: .pre)
        }
        return maps
    }

    /// One head's attention weights as `attentionMaps` computes them, with the softmax
    /// taken at temperature T and the causal mask optional, for exploring a map:
    /// softmax(Qₕ·Kₕᵀ/(√(d/heads)·T) + M), M the causal mask when `causal`, else 0 (a
    /// non-causal map shows what the head's scores would give every position; the block
    /// inputs still come from the model's own causal forward pass up to `layer`).
    /// T = 1 with `causal` is `attentionMaps(ids:)[layer][head]`.
    public func attentionMap(ids: [Int], layer: Int, head: Int, temperature: Double, causal: Bool) throws(CoreError) -> Matrix {
        guard blocks.indices.contains(layer), head >= 0, head < heads else {
            throw .invalidArgument("layer \(layer), head \(head) is not in a model of \(blocks.count) layers and \(heads) heads")
        }
        guard temperature > 0, temperature.isFinite else { throw .invalidArgument("the temperature must be > 0, got \(temperature)") }
        var x = try embed(ids)
        let mask = try causalMask(ids.count)
        for block in blocks[..<layer] { x = try transformerBlock(x, block, mask: mask, norm: .pre) }
        let block = blocks[layer]
        let normed = try layerNorm(x, gamma: block.ln1Gamma, beta: block.ln1Beta)
        // Scaling Q by 1/T scales every score by 1/T: the softmax at temperature T.
        let q = Matrix.scale(try Matrix.add(try matmul(normed, block.Wq), block.bq), by: 1 / temperature)
        let k = try Matrix.add(try matmul(normed, block.Wk), block.bk)
        return try headWeights(q, k, heads: block.heads, mask: causal ? mask : nil)[head]
    }

    /// A copy of the model in which head `head` of block `layer` contributes nothing: its
    /// output, column block h·d_k ..< (h+1)·d_k of the concatenation before W_O
    /// (d_k = d/heads), meets zero rows of W_O, since concat·W_O = Σₕ headₕ·W_O[h·d_k ..< (h+1)·d_k, :].
    /// The bias b_O and every other head are unchanged.
    public func ablating(layer: Int, head: Int) throws(CoreError) -> GPTModel {
        guard blocks.indices.contains(layer) else {
            throw .invalidArgument("layer \(layer) does not exist: the model has \(blocks.count) layer\(blocks.count == 1 ? "" : "s") (0 to \(blocks.count - 1))")
        }
        let block = blocks[layer]
        guard block.heads > 0, (0..<block.heads).contains(head) else {
            throw .invalidArgument("head \(head) does not exist: layer \(layer) has \(block.heads) head\(block.heads == 1 ? "" : "s") (0 to \(block.heads - 1))")
        }
        try checkHeads(dModel: block.Wo.rows, heads: block.heads)
        let width = block.Wo.rows / block.heads
        var copy = self
        var wo = block.Wo
        for row in (head * width)..<((head + 1) * width) {
            for col in 0..<wo.cols { wo[row, col] = 0 }
        }
        copy.blocks[layer].Wo = wo
        return copy
    }
}
