import AttentionCore

extension BuiltinTable {
    /// Layer norm, feed-forward, transformer blocks and GPT models.
    static let models: [Builtin] = [
        Builtin("layer_norm", .models, "layer_norm(X, gamma: nil, beta: nil, eps: 1e-5)",
            "Normalizes each row: (x − mean)/√(var + eps) with the biased variance, then × gamma + beta (1×d rows; default ones and zeros).",
            example: "Y = layer_norm(X)", numpy: "(X - X.mean(1, keepdims=True)) / np.sqrt(X.var(1, keepdims=True) + eps) * gamma + beta") { a throws(LangError) in
            let x = try a.matrix("X")
            let gamma = try a.optionalMatrix("gamma"), beta = try a.optionalMatrix("beta")
            let eps = try a.number("eps")
            return .matrix(try a.core { () throws(CoreError) -> Matrix in try layerNorm(x, gamma: gamma, beta: beta, eps: eps) })
        }.differentiable(Follow.layerNorm),
        Builtin("ffn", .models, "ffn(X, W1, b1, W2, b2)",
            "The position-wise feed-forward network gelu(X W1 + b1) W2 + b2 (b1, b2 are bias rows).",
            example: "p = init_block(d_model: 4, heads: 2, seed: 0)\nY = ffn(X, p.W1, p.b1, p.W2, p.b2)") { a throws(LangError) in
            let x = try a.matrix("X"), w1 = try a.matrix("W1"), b1 = try a.matrix("b1"), w2 = try a.matrix("W2"), b2 = try a.matrix("b2")
            try a.checkSize(rows: x.rows, cols: w1.cols)
            try a.checkSize(rows: x.rows, cols: w2.cols)
            try a.evaluator.checkWork(Double(x.rows) * Double(w1.rows) * Double(w1.cols) * 2, at: a.range)
            return .matrix(try a.core { () throws(CoreError) -> Matrix in try ffn(x, w1, b1, w2, b2) })
        }.differentiable(Follow.ffn),
        Builtin("init_block", .models, "init_block(d_model:, heads:, seed: 0)",
            "A record of all weights of one transformer block: Wq Wk Wv Wo bq bk bv bo W1 b1 W2 b2 ln1_gamma ln1_beta ln2_gamma ln2_beta heads. The hidden width of the FFN is 4·d_model.",
            example: "p = init_block(d_model: 8, heads: 2, seed: 0)\np.W1.shape  // [8, 32]") { a throws(LangError) in
            let d = try a.positive("d_model"), heads = try a.positive("heads")
            let seed = try a.seed()
            try ModelBuiltins.checkBlockSize(a, d)
            return .record(ModelRecords.record(try a.core { () throws(CoreError) -> BlockParameters in try initBlock(dModel: d, heads: heads, seed: seed) }))
        },
        Builtin("block_attention", .models, "block_attention(X, p, mask: nil)",
            "The attention sublayer of a block on its own, biases included: concat_h(attention(Qₕ, Kₕ, Vₕ, mask)) W_O + b_O with Q = X W_Q + b_Q (likewise K and V), split into p.heads heads. This is what a block adds to the residual stream before the FFN (without its layer norm).",
            example: "p = init_block(d_model: 4, heads: 2, seed: 0)\nA = block_attention(X, p, mask: causal_mask(X.rows))") { a throws(LangError) in
            let (x, p, mask) = try ModelBuiltins.blockInputs(a)
            try AttentionBuiltins.checkProjection(a, x, [p.Wq])
            return .matrix(try a.core { () throws(CoreError) -> Matrix in try blockAttention(x, p, mask: mask) })
        }.differentiable(Follow.blockAttention),
        Builtin("transformer_block", .models, "transformer_block(X, p, mask: nil, norm: \"pre\")",
            "One transformer block with the weights p (from init_block). norm: \"pre\" (GPT-2): X + attn(ln1(X)), then + ffn(ln2(·)). norm: \"post\" (original Transformer): ln1(X + attn(X)), then ln2(· + ffn(·)).",
            example: "Y = transformer_block(X, p, mask: causal_mask(X.rows))") { a throws(LangError) in
            let (x, p, mask) = try ModelBuiltins.blockInputs(a)
            let normText = try a.string("norm")
            guard let norm = NormPlacement(rawValue: normText) else { throw LangError(.badNorm(normText), at: try a.range(of: "norm")) }
            try AttentionBuiltins.checkProjection(a, x, [p.Wq, p.W1])
            return .matrix(try a.core { () throws(CoreError) -> Matrix in try transformerBlock(x, p, mask: mask, norm: norm) })
        }.differentiable(Follow.transformerBlock),
        Builtin("gpt", .models, "gpt(vocab:, d_model:, heads:, layers:, context:, seed: 0, mlp: true)",
            "A GPT-2 shaped model as in nanoGPT: token (wte) and learned position (wpe) embeddings, `layers` pre-norm blocks with biases, a final layer norm and the output projection tied to wte. Fields: wte wpe blocks ln_f_gamma ln_f_beta vocab d_model heads layers context mlp. Parameters: V·d + T·d + L(12d² + 13d) + 2d. With mlp: false the blocks are attention-only (no FFN and no ln2: x + attn(ln1(x)) only, their records lack W1 b1 W2 b2 ln2_gamma ln2_beta) and the count is V·d + T·d + L(4d² + 6d) + 2d.",
            example: "m = gpt(vocab: 10, d_model: 8, heads: 2, layers: 2, context: 16, seed: 0)\nattn_only = gpt(vocab: 10, d_model: 8, heads: 2, layers: 2, context: 16, mlp: false)") { a throws(LangError) in
            let vocab = try a.positive("vocab"), d = try a.positive("d_model"), heads = try a.positive("heads")
            let layers = try a.size("layers"), context = try a.positive("context")
            let seed = try a.seed()
            let mlp = try a.bool("mlp")
            guard let total = gptParameterFormula(vocab: vocab, dModel: d, layers: layers, context: context, mlp: mlp) else {
                throw LangError(.tooManyParametersToCount, at: a.range)
            }
            try a.evaluator.checkCount(total, at: a.range, what: "parameters")
            try a.checkSize(rows: vocab, cols: d)
            try a.checkSize(rows: context, cols: d)
            try ModelBuiltins.checkBlockSize(a, d)
            return .record(ModelRecords.record(try a.core { () throws(CoreError) -> GPTModel in
                try gpt(vocab: vocab, dModel: d, heads: heads, layers: layers, context: context, seed: seed, mlp: mlp)
            }))
        },
        Builtin("forward", .models, "forward(model, ids)",
            "The logits (len(ids)×vocab) of a gpt model for the token ids (a list or a 1×n matrix, at most context of them).",
            example: "logits = forward(m, [1, 2, 3])") { a throws(LangError) in
            let (model, ids, count) = try ModelBuiltins.forwardInputs(a)
            try a.evaluator.checkWork(ModelBuiltins.forwardWork(model, count: count), at: a.range, what: "this forward pass")
            return .matrix(try a.core { () throws(CoreError) -> Matrix in try model.forward(ids: ids) })
        }.differentiable(Follow.forward),
        Builtin("param_count", .models, "param_count(model)",
            "The number of parameters of a gpt model or a block record (of a matrix: its element count; of a list: the total).",
            example: "param_count(m)") { a throws(LangError) in
            .number(Double(try ModelRecords.parameterCount(a.value("model"), a)))
        }.readingValues(),
        Builtin("generate", .models, "generate(model, ids, steps:, temperature: 1, seed: 0)",
            "Extends ids by `steps` tokens, each sampled from softmax(last logits / temperature); temperature 0 is greedy (argmax). Past the context the model sees the last `context` ids (as nanoGPT). Returns the whole list of ids. Within the context each new token reuses the keys and values of the earlier positions (a KV cache: one row through the model per token); once the window slides past the context every position moves, so each such step recomputes the window. The logits equal forward's last row to rounding (~1e-15).",
            example: "generate(m, [1, 2], steps: 5, temperature: 0)") { a throws(LangError) in
            let model = try ModelRecords.gptModel(a.value("model"), a, "model")
            let ids = try a.ids("ids")
            let steps = try a.size("steps")
            let temperature = try a.number("temperature")
            let seed = try a.seed()
            try a.evaluator.checkCount(ids.count + steps, at: a.range, what: "token ids")
            let count = min(ids.count + steps, model.context)
            try ModelBuiltins.checkForward(a, model, count: count)
            // The whole call runs without an interrupt check, so it is bounded as one step,
            // by the multiply-adds it really does (cached steps are one row each).
            try a.evaluator.checkWork(model.generationWork(promptCount: ids.count, steps: steps), at: a.range, what: "generating \(steps) tokens")
            return .list(try a.core { () throws(CoreError) -> [Int] in
                try model.generate(ids: ids, steps: steps, temperature: temperature, seed: seed)
            }.map { .number(Double($0)) })
        }.readingValues(),
        Builtin("attention_maps", .models, "attention_maps(model, ids)",
            "The attention weights inside forward(model, ids): a list over layers of lists over heads of n×n matrices softmax(Qₕ Kₕᵀ/√(d/heads) + causal mask), with Q = ln1(x) Wq + bq and K = ln1(x) Wk + bk from the block's input x. Row i is what position i reads from positions 0..i (zeros above the diagonal).",
            example: "maps = attention_maps(m, [1, 2, 3, 1, 2])\nheatmap(maps[0][1])") { a throws(LangError) in
            let (model, ids, count) = try ModelBuiltins.forwardInputs(a)
            let (mapCount, overflow) = (count * count).multipliedReportingOverflow(by: max(model.blocks.count * model.heads, 1))
            if overflow { throw LangError(.tooManyAttentionWeights, at: a.range) }
            try a.evaluator.checkCount(mapCount, at: a.range, what: "attention weights")
            try a.evaluator.checkWork(ModelBuiltins.forwardWork(model, count: count) * 1.5, at: a.range, what: "these attention maps")
            let maps = try a.core { () throws(CoreError) -> [[Matrix]] in try model.attentionMaps(ids: ids) }
            return .list(maps.map { .list($0.map(Value.matrix)) })
        }.readingValues(),
        Builtin("ablate", .models, "ablate(model, layer:, head:)",
            "A copy of a gpt model in which one head contributes nothing: its output (column block h·d_k..<(h+1)·d_k of the concatenation before W_O, d_k = d/heads) is zeroed, by zeroing those rows of the block's Wo. Every other weight is unchanged. Compare forward or loss with and without it to see what the head does.",
            example: "m2 = ablate(m, layer: 0, head: 1)\nforward(m2, [1, 2, 3])") { a throws(LangError) in
            let model = try ModelRecords.gptModel(a.value("model"), a, "model")
            let layer = try a.int("layer"), head = try a.int("head")
            let ablated = try a.core { () throws(CoreError) -> GPTModel in try model.ablating(layer: layer, head: head) }
            // Fields the student added to the record (beyond a model's) are kept.
            guard case .record(var record) = try a.value("model") else { return .record(ModelRecords.record(ablated)) }
            guard case .list(var blocks) = record["blocks"], case .record(var block) = blocks[layer] else {
                return .record(ModelRecords.record(ablated))
            }
            block["Wo"] = .matrix(ablated.blocks[layer].Wo)
            blocks[layer] = .record(block)
            record["blocks"] = .list(blocks)
            return .record(record)
        },
    ]
}

/// Size and work checks shared by the model builtins.
enum ModelBuiltins {
    /// X, the block record p and the optional mask of block_attention and transformer_block.
    static func blockInputs(_ a: Arguments) throws(LangError) -> (Matrix, BlockParameters, Matrix?) {
        (try a.matrix("X"), try ModelRecords.block(a.value("p"), a, "p"), try a.optionalMatrix("mask"))
    }

    static func checkBlockSize(_ a: Arguments, _ d: Int) throws(LangError) {
        let (hidden, overflow) = d.multipliedReportingOverflow(by: 4)
        if overflow { throw LangError(.dModelTooLarge(d), at: a.range) }
        try a.checkSize(rows: d, cols: hidden)
    }

    /// Multiply-adds of one forward pass over `count` tokens (see `GPTModel.forwardWork`).
    static func forwardWork(_ model: GPTModel, count: Int) -> Double { model.forwardWork(count: count) }

    /// The gpt model and token ids of forward and attention_maps, and how many of the ids the model
    /// reads (at most its context), checked against the size limits of one forward pass.
    static func forwardInputs(_ a: Arguments) throws(LangError) -> (model: GPTModel, ids: [Int], count: Int) {
        let model = try ModelRecords.gptModel(a.value("model"), a, "model")
        let ids = try a.ids("ids")
        let count = min(ids.count, model.context)
        try checkForward(a, model, count: count)
        return (model, ids, count)
    }

    static func checkForward(_ a: Arguments, _ model: GPTModel, count: Int) throws(LangError) {
        try a.checkSize(rows: count, cols: model.vocab)
        try a.checkSize(rows: count, cols: count)
    }
}
