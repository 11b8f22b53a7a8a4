/// Autoregressive generation with a key/value cache.
///
/// Under the causal mask, position t's keys and values in every layer depend only on the
/// tokens at positions ≤ t. While the sequence fits in the context, a new token therefore
/// needs one row through the model: its query, key and value in each layer, attention of
/// that one query over the cached keys and values of all earlier positions, W_O, the FFN
/// and the logits of that row. That is O(d² + t·d) per layer instead of a whole forward
/// pass, O(t·d² + t²·d).
///
/// Past the context the window slides: the oldest token leaves and every remaining token
/// moves to the position before, so every key and value changes (they depend on the
/// learned position embeddings). No cache survives that; each such step recomputes the
/// whole window, exactly as `forward` on the last `context` ids (nanoGPT's crop).
extension GPTModel {
    /// Keys and values of each layer for the positions seen so far: row-major t×d each.
    struct KeyValueCache {
        var keys: [[Double]]
        var values: [[Double]]
        var count: Int
    }

    /// Autoregressive generation as nanoGPT's `generate`: `steps` times, take the logits of
    /// the last of the last `context` ids, and append the next id — the argmax (first maximum)
    /// when temperature = 0 (greedy), otherwise a sample from softmax(logits / temperature)
    /// using `SeededGenerator(seed:)` (one uniform per step, inverse-CDF). Returns the prompt
    /// followed by the generated ids.
    ///
    /// The logits come from the key/value cache while the sequence fits in the context and
    /// from a recomputation of the window once it slides (see the type's notes). They equal
    /// `forward(ids:)`'s last row to rounding (about 10⁻¹⁵ relative: a one-row product may
    /// round differently from the same row inside a larger product), not bit for bit;
    /// `generateRecomputing` is the reference it is tested against.
    public func generate(ids: [Int], steps: Int, temperature: Double, seed: UInt64) throws(CoreError) -> [Int] {
        try generateChecks(steps: steps, temperature: temperature)
        var sequence = ids
        var generator = SeededGenerator(seed: seed)
        var cache: KeyValueCache?
        for _ in 0..<steps {
            let logits: [Double]
            if var kept = cache, sequence.count <= context, kept.count == sequence.count - 1 {
                cache = nil  // keep the cache's arrays uniquely referenced while they grow
                logits = try step(token: sequence[sequence.count - 1], cache: &kept)
                cache = kept
            } else {
                let window = Array(sequence.suffix(context))
                let (last, filled) = try prefill(window)
                logits = last
                cache = sequence.count <= context ? filled : nil
            }
            sequence.append(choose(logits, temperature: temperature, generator: &generator))
        }
        return sequence
    }

    /// The reference generation: a whole `forward` over the last `context` ids at every step.
    /// Same choices as `generate` (greedy or the same uniform per step).
    public func generateRecomputing(ids: [Int], steps: Int, temperature: Double, seed: UInt64) throws(CoreError) -> [Int] {
        try generateChecks(steps: steps, temperature: temperature)
        var sequence = ids
        var generator = SeededGenerator(seed: seed)
        for _ in 0..<steps {
            let logits = try forward(ids: Array(sequence.suffix(context)))
            let last = Array(logits.storage[((logits.rows - 1) * logits.cols)...])
            sequence.append(choose(last, temperature: temperature, generator: &generator))
        }
        return sequence
    }

    /// The logits of the last id of `ids` (their last row of `forward(ids:)`), computed as the
    /// cache computes them: the whole prefix, then one cached row at a time. For tests and
    /// for comparing with the recomputation.
    public func cachedLastLogits(ids: [Int]) throws(CoreError) -> [Double] {
        guard ids.count > 1 else { return try prefill(ids).logits }
        var (_, cache) = try prefill(Array(ids.dropLast()))
        return try step(token: ids[ids.count - 1], cache: &cache)
    }

    /// Multiply-adds `generate` performs for a prompt of `promptCount` ids and `steps` steps:
    /// the first step (and every step past the context) is a forward pass over the window
    /// with the logits of its last row only; a cached step at position t costs, per layer,
    /// the projections and the FFN of one row ((12 or 4)·d²) and one query against t + 1
    /// keys and values (2·(t + 1)·d), then one row of logits (d·vocab).
    public func generationWork(promptCount: Int, steps: Int) -> Double {
        let d = Double(dModel), perRow = Double(mlp ? 12 : 4) * d * d
        var work = 0.0, length = promptCount
        for step in 0..<steps {
            if step == 0 || length > context {
                let n = min(length, context)
                work += forwardWork(count: n) - Double(max(n - 1, 0)) * d * Double(vocab)
            } else {
                work += Double(layers) * (perRow + 2 * Double(length) * d) + d * Double(vocab)
            }
            length += 1
        }
        return work
    }

    private func generateChecks(steps: Int, temperature: Double) throws(CoreError) {
        guard steps >= 0 else { throw .invalidArgument("steps must not be negative, not \(steps)") }
        guard temperature >= 0, temperature.isFinite else { throw .invalidArgument("temperature must be 0 (greedy) or positive, not \(temperature)") }
    }

    /// Greedy (first maximum) or an inverse-CDF sample with one uniform.
    private func choose(_ logits: [Double], temperature: Double, generator: inout SeededGenerator) -> Int {
        if temperature == 0 { return Int(Reduction.argmax.reduce(logits)) }
        let row = Matrix(uncheckedRows: 1, cols: logits.count, storage: logits)
        // A 1×vocab row with a positive, finite temperature: softmax cannot fail.
        let probabilities = (try? softmax(row, temperature: temperature).storage) ?? logits
        let u = generator.nextUniform()
        var cumulative = 0.0
        for (index, p) in probabilities.enumerated() {
            cumulative += p
            if u < cumulative { return index }
        }
        return probabilities.count - 1
    }

    /// The forward pass over `ids` (the same operations as `forward`), keeping each layer's
    /// keys and values; returns the last row of logits.
    func prefill(_ ids: [Int]) throws(CoreError) -> (logits: [Double], cache: KeyValueCache) {
        var x = try embed(ids)
        let mask = try causalMask(ids.count)
        var cache = KeyValueCache(keys: [], values: [], count: ids.count)
        for block in blocks {
            let normed = try layerNorm(x, gamma: block.ln1Gamma, beta: block.ln1Beta)
            let q = try Matrix.add(try matmul(normed, block.Wq), block.bq)
            let k = try Matrix.add(try matmul(normed, block.Wk), block.bk)
            let v = try Matrix.add(try matmul(normed, block.Wv), block.bv)
            cache.keys.append(k.storage)
            cache.values.append(v.storage)
            let heads = try multiHeadConcat(q, k, v, heads: block.heads, mask: mask)
            x = try Matrix.add(x, try Matrix.add(try matmul(heads, block.Wo), block.bo))
            x = try feedForward(x, block)
        }
        let last = try x.select(rows: [x.rows - 1], cols: Array(0..<x.cols))
        return (try logits(of: last), cache)
    }

    /// One new token at position `cache.count`: its row through every block, attending over
    /// the cached keys and values and its own; appends its keys and values to the cache.
    func step(token: Int, cache: inout KeyValueCache) throws(CoreError) -> [Double] {
        let position = cache.count
        guard position < context else { throw .invalidArgument("position \(position) is past the model's context of \(context)") }
        guard token >= 0, token < vocab else { throw .invalidArgument("token id \(token) is outside the vocabulary 0..<\(vocab)") }
        let columns = Array(0..<dModel)
        var x = try Matrix.add(try wte.select(rows: [token], cols: columns), try wpe.select(rows: [position], cols: columns))
        for (layer, block) in blocks.enumerated() {
            let normed = try layerNorm(x, gamma: block.ln1Gamma, beta: block.ln1Beta)
            let q = try Matrix.add(try matmul(normed, block.Wq), block.bq)
            let k = try Matrix.add(try matmul(normed, block.Wk), block.bk)
            let v = try Matrix.add(try matmul(normed, block.Wv), block.bv)
            cache.keys[layer].append(contentsOf: k.storage)
            cache.values[layer].append(contentsOf: v.storage)
            try checkHeads(dModel: q.cols, heads: block.heads)
            let heads: Matrix
            do {
                // One query sees every cached key: the causal row, with nothing to mask.
                let keys = Matrix(uncheckedRows: position + 1, cols: k.cols, storage: cache.keys[layer])
                let values = Matrix(uncheckedRows: position + 1, cols: v.cols, storage: cache.values[layer])
                heads = attendHeads(q, keys, values, heads: block.heads, plan: .none)
            }
            x = try Matrix.add(x, try Matrix.add(try matmul(heads, block.Wo), block.bo))
            x = try feedForward(x, block)
        }
        cache.count += 1
        return try logits(of: x)
    }

    /// x + FFN(LN₂(x)) for a block with an FFN, x otherwise (as the pre-norm block).
    private func feedForward(_ x: Matrix, _ block: BlockParameters) throws(CoreError) -> Matrix {
        guard block.hasMLP else { return x }
        let normed = try layerNorm(x, gamma: block.ln2Gamma, beta: block.ln2Beta)
        return try Matrix.add(x, try ffn(normed, block.W1, block.b1, block.W2, block.b2))
    }

    /// LN_f(x)·wteᵀ of one row.
    private func logits(of row: Matrix) throws(CoreError) -> [Double] {
        MatrixProduct.multiplyTransposed(try layerNorm(row, gamma: lnFGamma, beta: lnFBeta), wte).storage
    }
}
