import AttentionCore

extension BuiltinTable {
    /// `explore`: a ready attention explorer made of widgets, over a random or trained model.
    static let exploring: [Builtin] = [
        Builtin("explore", .display, "explore(model = nil, vocab: nil, sentence: \"the cat sat on the mat\", seed: 0)",
            "An attention explorer: a sentence box, a temperature slider, layer and head selectors and a causal-mask checkbox, over a gpt model (with its vocabulary vocab:, a list of tokens as vocab gives) or, without one, a random character-level model (printable ASCII, d_model 32, 4 heads, 2 layers, context 64, from seed). It draws softmax(Qₕ·Kₕᵀ/(√d_k·T) + M) of the chosen head, M the causal mask when ticked, and redraws on every change; the block inputs come from the model's own forward pass.",
            example: "explore(sentence: \"the cat sat on the mat\")") { a throws(LangError) in
            let explorer: Explorer
            if case .nil = try a.value("model") {
                let seed = try a.seed()
                let model = try a.core { () throws(CoreError) -> GPTModel in
                    try gpt(vocab: Explorer.asciiCount + 1, dModel: 32, heads: 4, layers: 2, context: 64, seed: seed, mlp: true)
                }
                explorer = Explorer(model: model, vocabulary: nil)
            } else {
                let model = try ModelRecords.gptModel(a.value("model"), a, "model")
                guard let tokens = try a.optionalLabels("vocab") else {
                    throw LangError(.missingArgument(builtin: "explore", parameter: "vocab", labelled: true, usage: a.info.signature), at: a.range)
                }
                explorer = Explorer(model: model, vocabulary: Vocabulary(uncheckedTokens: tokens))
            }
            let layers = explorer.model.blocks.count, heads = explorer.model.heads
            guard layers > 0 else { throw LangError(.argumentOutOfRange(builtin: "explore", parameter: "model", range: "a model with at least one layer"), at: try a.range(of: "model")) }
            let controls: [(name: String, widget: Widget)] = [
                ("sentence", Widget(kind: .text, description: "sentence", value: .string(try a.string("sentence")))),
                ("temperature", Widget(kind: .slider(min: 0.1, max: 5, step: 0.1), description: "temperature", value: .number(1))),
                ("layer", Widget(kind: .dropdown(options: (0..<layers).map { .number(Double($0)) }), description: "layer", value: .number(0))),
                ("head", Widget(kind: .dropdown(options: (0..<heads).map { .number(Double($0)) }), description: "head", value: .number(0))),
                ("causal", Widget(kind: .checkbox, description: "causal mask", value: .bool(true))),
            ]
            try Interactions.start(.explorer(explorer), controls: controls, a)
            return .nil
        }.readingValues(),
    ]
}

/// `explore`'s model and how it reads a sentence; draws the chosen head's map.
public struct Explorer: Sendable {
    let model: GPTModel
    /// The model's tokens (nil: the random model, which reads printable ASCII characters).
    let vocabulary: Vocabulary?

    /// Printable ASCII (space to `~`); any other character is the one id after them.
    static let asciiCount = 95

    /// The sentence's tokens and ids, at most the model's context of them.
    func read(_ sentence: String) throws(CoreError) -> (tokens: [String], ids: [Int]) {
        var tokens: [String], ids: [Int]
        if let vocabulary {
            let level = TokenLevel.inferred(from: vocabulary.tokens)
            tokens = level.tokens(sentence)
            ids = try vocabulary.encode(sentence, level: level)
        } else {
            tokens = sentence.map { String($0) }
            ids = sentence.map { c in
                guard let v = c.unicodeScalars.first?.value, c.unicodeScalars.count == 1, v >= 32, v < 127 else { return Explorer.asciiCount }
                return Int(v) - 32
            }
        }
        let n = min(ids.count, model.context)
        return (Array(tokens.prefix(n)), Array(ids.prefix(n)))
    }

    /// Draws the map the controls choose, through the evaluator's host.
    func draw(_ controls: [(name: String, widget: Widget)], _ evaluator: Evaluator, at range: SourceRange) throws(LangError) -> Value {
        func control(_ name: String) -> Value { controls.first { $0.name == name }?.widget.value ?? .nil }
        guard case .string(let sentence) = control("sentence"), case .number(let t) = control("temperature"),
            case .number(let layer) = control("layer"), case .number(let head) = control("head"), case .bool(let causal) = control("causal")
        else { return .nil }
        let (tokens, ids) = try evaluator.core(at: range) { () throws(CoreError) -> ([String], [Int]) in try read(sentence) }
        guard !ids.isEmpty else {
            evaluator.host.emit(.stdout("Type a sentence to see its attention.\n"))
            return .nil
        }
        let map = try evaluator.core(at: range) { () throws(CoreError) -> Matrix in
            try model.attentionMap(ids: ids, layer: Int(layer), head: Int(head), temperature: t, causal: causal)
        }
        let title = "layer \(Int(layer)), head \(Int(head)), temperature \(Renderer.formatNumber(t))" + (causal ? ", causal" : ", no mask")
        evaluator.host.emit(.display(Renderer.heatmap(map, rowLabels: tokens, colLabels: tokens, title: title, raster: evaluator.host.wantsRasterImages), displayID: nil, update: false))
        return .nil
    }
}
