import AttentionCore

/// layer_norm ffn init_block transformer_block gpt forward param_count generate,
/// and the records that carry block and model weights.
enum ModelBuiltins {
    static func call(_ name: String, _ a: Arguments) throws(LangError) -> Value? {
        switch name {
        case "layer_norm":
            let x = try a.matrix("X")
            let gamma = try a.optionalMatrix("gamma"), beta = try a.optionalMatrix("beta")
            let eps = try a.number("eps")
            return .matrix(try a.core { () throws(CoreError) -> Matrix in try layerNorm(x, gamma: gamma, beta: beta, eps: eps) })
        case "ffn":
            let x = try a.matrix("X"), w1 = try a.matrix("W1"), b1 = try a.matrix("b1"), w2 = try a.matrix("W2"), b2 = try a.matrix("b2")
            try a.checkSize(rows: x.rows, cols: w1.cols)
            try a.checkSize(rows: x.rows, cols: w2.cols)
            try a.evaluator.checkWork(Double(x.rows) * Double(w1.rows) * Double(w1.cols) * 2, at: a.range)
            return .matrix(try a.core { () throws(CoreError) -> Matrix in try ffn(x, w1, b1, w2, b2) })
        case "init_block":
            let d = try a.positive("d_model"), heads = try a.positive("heads")
            let seed = try a.seed()
            try checkBlockSize(a, d)
            return .record(record(try a.core { () throws(CoreError) -> BlockParameters in try initBlock(dModel: d, heads: heads, seed: seed) }))
        case "transformer_block":
            let x = try a.matrix("X")
            let p = try block(a.value("p"), a, "p")
            let mask = try a.optionalMatrix("mask")
            let normText = try a.string("norm")
            guard let norm = NormPlacement(rawValue: normText) else {
                throw .value("norm must be \"pre\" or \"post\", got \"\(normText)\"", at: a.range(of: "norm"))
            }
            try AttentionBuiltins.checkProjection(a, x, [p.Wq, p.W1])
            return .matrix(try a.core { () throws(CoreError) -> Matrix in try transformerBlock(x, p, mask: mask, norm: norm) })
        case "gpt":
            let vocab = try a.positive("vocab"), d = try a.positive("d_model"), heads = try a.positive("heads")
            let layers = try a.size("layers"), context = try a.positive("context")
            let seed = try a.seed()
            guard let total = gptParameterFormula(vocab: vocab, dModel: d, layers: layers, context: context) else {
                throw .limit("this model would have too many parameters to count", at: a.range)
            }
            try a.evaluator.checkCount(total, at: a.range, what: "parameters")
            try a.checkSize(rows: vocab, cols: d)
            try a.checkSize(rows: context, cols: d)
            try checkBlockSize(a, d)
            return .record(record(try a.core { () throws(CoreError) -> GPTModel in
                try gpt(vocab: vocab, dModel: d, heads: heads, layers: layers, context: context, seed: seed)
            }))
        case "forward":
            let model = try gptModel(a.value("model"), a, "model")
            let ids = try a.ids("ids")
            try checkForward(a, model, count: min(ids.count, model.context))
            try a.evaluator.checkWork(forwardWork(model, count: min(ids.count, model.context)), at: a.range, what: "this forward pass")
            return .matrix(try a.core { () throws(CoreError) -> Matrix in try forward(model, ids: ids) })
        case "param_count":
            return .number(Double(try count(a.value("model"), a)))
        case "generate":
            let model = try gptModel(a.value("model"), a, "model")
            let ids = try a.ids("ids")
            let steps = try a.size("steps")
            let temperature = try a.number("temperature")
            let seed = try a.seed()
            try a.evaluator.checkCount(ids.count + steps, at: a.range, what: "token ids")
            try checkForward(a, model, count: min(ids.count + steps, model.context))
            // One forward pass per step, each over at most `context` tokens: the whole call
            // runs without an interrupt check, so it is bounded as one step.
            let perStep = forwardWork(model, count: min(ids.count + steps, model.context))
            try a.evaluator.checkWork(Double(steps) * perStep, at: a.range, what: "generating \(steps) tokens")
            return .list(try a.core { () throws(CoreError) -> [Int] in
                try generate(model, ids: ids, steps: steps, temperature: temperature, seed: seed)
            }.map { .number(Double($0)) })
        default:
            return nil
        }
    }

    private static func checkBlockSize(_ a: Arguments, _ d: Int) throws(LangError) {
        let (hidden, overflow) = d.multipliedReportingOverflow(by: 4)
        if overflow { throw .limit("d_model = \(d) is too large", at: a.range) }
        try a.checkSize(rows: d, cols: hidden)
    }

    /// Multiply-adds of one forward pass over `count` tokens: per layer the four
    /// projections and the 4× feed-forward (12·n·d²) and the scores and weighted sum
    /// (2·n²·d), then the logits (n·d·vocab).
    private static func forwardWork(_ model: GPTModel, count: Int) -> Double {
        let n = Double(count), d = Double(model.dModel)
        return Double(model.layers) * (12 * n * d * d + 2 * n * n * d) + n * d * Double(model.vocab)
    }

    private static func checkForward(_ a: Arguments, _ model: GPTModel, count: Int) throws(LangError) {
        try a.checkSize(rows: count, cols: model.vocab)
        try a.checkSize(rows: count, cols: count)
    }

    // MARK: - Records

    static let blockFields = ["Wq", "Wk", "Wv", "Wo", "bq", "bk", "bv", "bo", "W1", "b1", "W2", "b2",
                              "ln1_gamma", "ln1_beta", "ln2_gamma", "ln2_beta", "heads"]
    static let modelFields = ["wte", "wpe", "blocks", "ln_f_gamma", "ln_f_beta", "vocab", "d_model", "heads", "layers", "context"]

    static func record(_ p: BlockParameters) -> Record {
        Record([
            ("Wq", .matrix(p.Wq)), ("Wk", .matrix(p.Wk)), ("Wv", .matrix(p.Wv)), ("Wo", .matrix(p.Wo)),
            ("bq", .matrix(p.bq)), ("bk", .matrix(p.bk)), ("bv", .matrix(p.bv)), ("bo", .matrix(p.bo)),
            ("W1", .matrix(p.W1)), ("b1", .matrix(p.b1)), ("W2", .matrix(p.W2)), ("b2", .matrix(p.b2)),
            ("ln1_gamma", .matrix(p.ln1Gamma)), ("ln1_beta", .matrix(p.ln1Beta)),
            ("ln2_gamma", .matrix(p.ln2Gamma)), ("ln2_beta", .matrix(p.ln2Beta)),
            ("heads", .number(Double(p.heads))),
        ])
    }

    static func record(_ m: GPTModel) -> Record {
        Record([
            ("wte", .matrix(m.wte)), ("wpe", .matrix(m.wpe)), ("blocks", .list(m.blocks.map { .record(record($0)) })),
            ("ln_f_gamma", .matrix(m.lnFGamma)), ("ln_f_beta", .matrix(m.lnFBeta)),
            ("vocab", .number(Double(m.vocab))), ("d_model", .number(Double(m.dModel))), ("heads", .number(Double(m.heads))),
            ("layers", .number(Double(m.layers))), ("context", .number(Double(m.context))),
        ])
    }

    private static func field(_ r: Record, _ key: String, _ a: Arguments, _ name: String) throws(LangError) -> Value {
        guard let v = r[key] else {
            throw .type("\(a.info.name) expects '\(name)' to be a record with the field '\(key)'", at: a.range(of: name))
        }
        return v
    }

    private static func matrixField(_ r: Record, _ key: String, _ a: Arguments, _ name: String) throws(LangError) -> Matrix {
        let v = try field(r, key, a, name)
        guard case .matrix(let m) = v else {
            throw .type("\(a.info.name): the field '\(key)' of '\(name)' must be a matrix, got a \(v.kindDescription)", at: a.range(of: name))
        }
        return m
    }

    private static func intField(_ r: Record, _ key: String, _ a: Arguments, _ name: String) throws(LangError) -> Int {
        let v = try field(r, key, a, name)
        guard case .number(let d) = v, let i = Convert.exactInt(d), i >= 0 else {
            throw .type("\(a.info.name): the field '\(key)' of '\(name)' must be a whole number", at: a.range(of: name))
        }
        return i
    }

    /// A block record (from init_block) back as library parameters.
    static func block(_ v: Value, _ a: Arguments, _ name: String) throws(LangError) -> BlockParameters {
        guard case .record(let r) = v else {
            throw .type("\(a.info.name) expects the block weights from init_block for '\(name)', got a \(v.kindDescription)", at: a.range(of: name))
        }
        func m(_ key: String) throws(LangError) -> Matrix { try matrixField(r, key, a, name) }
        return BlockParameters(
            Wq: try m("Wq"), Wk: try m("Wk"), Wv: try m("Wv"), Wo: try m("Wo"),
            bq: try m("bq"), bk: try m("bk"), bv: try m("bv"), bo: try m("bo"),
            W1: try m("W1"), b1: try m("b1"), W2: try m("W2"), b2: try m("b2"),
            ln1Gamma: try m("ln1_gamma"), ln1Beta: try m("ln1_beta"), ln2Gamma: try m("ln2_gamma"), ln2Beta: try m("ln2_beta"),
            heads: try intField(r, "heads", a, name))
    }

    /// A model record (from gpt) back as a library model.
    static func gptModel(_ v: Value, _ a: Arguments, _ name: String) throws(LangError) -> GPTModel {
        guard case .record(let r) = v, r["wte"] != nil else {
            throw .type("\(a.info.name) expects a model from gpt(...) for '\(name)', got a \(v.kindDescription)", at: a.range(of: name))
        }
        let blocksValue = try field(r, "blocks", a, name)
        guard case .list(let items) = blocksValue else {
            throw .type("\(a.info.name): the field 'blocks' of '\(name)' must be a list of blocks", at: a.range(of: name))
        }
        var blocks: [BlockParameters] = []
        for item in items { blocks.append(try block(item, a, name)) }
        return GPTModel(
            wte: try matrixField(r, "wte", a, name), wpe: try matrixField(r, "wpe", a, name), blocks: blocks,
            lnFGamma: try matrixField(r, "ln_f_gamma", a, name), lnFBeta: try matrixField(r, "ln_f_beta", a, name),
            vocab: try intField(r, "vocab", a, name), dModel: try intField(r, "d_model", a, name),
            heads: try intField(r, "heads", a, name), layers: try intField(r, "layers", a, name),
            context: try intField(r, "context", a, name))
    }

    /// Parameters of a model or block record, a matrix or a list of those.
    private static func count(_ v: Value, _ a: Arguments) throws(LangError) -> Int {
        switch v {
        case .matrix(let m): return m.count
        case .list(let items):
            var total = 0
            for item in items { total += try count(item, a) }
            return total
        case .record(let r) where r["wte"] != nil: return paramCount(try gptModel(v, a, "model"))
        case .record: return paramCount(try block(v, a, "model"))
        default:
            throw .type("param_count expects a model, a block, a matrix or a list of them, got a \(v.kindDescription)", at: a.range(of: "model"))
        }
    }
}
