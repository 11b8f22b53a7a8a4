/// Every builtin with its documentation, in the order `help()` lists them.
/// One entry per builtin; the kernel's completion and inspection read this table.
public enum BuiltinTable {
    /// All builtins.
    public static let all: [BuiltinInfo] = build + shape + math + attention + positions + models + display + grading + other

    /// Builtin names, in table order.
    public static let names: [String] = all.map(\.name)

    private static let byName: [String: BuiltinInfo] = Dictionary(all.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })

    /// The entry for `name`, if it is a builtin.
    public static func info(_ name: String) -> BuiltinInfo? { byName[name] }

    /// The `help()` page without a topic: every builtin's signature, by category.
    public static var overview: String {
        var out = "Builtins (help(name) for details):\n"
        var category = ""
        for info in all {
            if info.category != category {
                category = info.category
                out += "\n\(category):\n"
            }
            out += "    \(info.signature)\n"
        }
        return out
    }

    static let build: [BuiltinInfo] = [
        BuiltinInfo("zeros", "Build", "zeros(r, c)", "An r×c matrix of zeros.", example: "Z = zeros(2, 3)"),
        BuiltinInfo("ones", "Build", "ones(r, c)", "An r×c matrix of ones.", example: "O = ones(2, 3)"),
        BuiltinInfo("eye", "Build", "eye(n)", "The n×n identity matrix: ones on the diagonal, zeros elsewhere.", example: "I = eye(3)"),
        BuiltinInfo("full", "Build", "full(r, c, v)", "An r×c matrix with every element equal to v.", example: "M = full(2, 2, 0.5)"),
        BuiltinInfo("randn", "Build", "randn(r, c, seed: 0)",
            "An r×c matrix of samples from the standard normal distribution N(0, 1). The same seed always gives the same matrix.",
            example: "W = randn(4, 3, seed: 1)"),
        BuiltinInfo("rand", "Build", "rand(r, c, seed: 0)",
            "An r×c matrix of samples uniform on [0, 1). The same seed always gives the same matrix.", example: "U = rand(2, 2, seed: 7)"),
        BuiltinInfo("tokens", "Build", "tokens(text)",
            "Splits text on spaces into a list of token strings (empty pieces are dropped).",
            example: "toks = tokens(\"the cat sat\")\nlen(toks)  // 3"),
        BuiltinInfo("embed", "Build", "embed(toks, dim:, seed: 0)",
            "One row of length dim per token: a len(toks)×dim matrix. The same token string gives the same row for the same seed, so repeated words get identical embeddings.",
            example: "X = embed(tokens(\"the cat sat on the mat\"), dim: 4, seed: 0)"),
    ]

    static let shape: [BuiltinInfo] = [
        BuiltinInfo("rows", "Shape", "rows(A)", "The number of rows of A (same as A.rows).", example: "rows(zeros(2, 3))  // 2"),
        BuiltinInfo("cols", "Shape", "cols(A)", "The number of columns of A (same as A.cols).", example: "cols(zeros(2, 3))  // 3"),
        BuiltinInfo("shape", "Shape", "shape(A)", "The list [rows, cols] (same as A.shape).", example: "shape(zeros(2, 3))  // [2, 3]"),
        BuiltinInfo("transpose", "Shape", "transpose(A)", "Aᵀ: rows become columns (same as A.T).", example: "transpose([1, 2, 3])  // 3×1"),
        BuiltinInfo("hcat", "Shape", "hcat(matrices...)",
            "Joins matrices side by side (all need the same number of rows). Takes matrices as arguments or one list of matrices.",
            example: "hcat(ones(2, 1), zeros(2, 2))  // 2×3"),
        BuiltinInfo("vcat", "Shape", "vcat(matrices...)",
            "Stacks matrices on top of each other (all need the same number of columns). Takes matrices as arguments or one list of matrices.",
            example: "vcat([1, 2], [3, 4])  // 2×2"),
        BuiltinInfo("split_heads", "Shape", "split_heads(M, h)",
            "Splits the columns of M into h contiguous blocks of M.cols / h columns: the list of per-head matrices (as in nanoGPT). M.cols must be divisible by h.",
            example: "hs = split_heads(randn(4, 6, seed: 0), 2)  // two 4×3 matrices"),
        BuiltinInfo("concat_heads", "Shape", "concat_heads(list)",
            "The inverse of split_heads: joins a list of per-head matrices side by side.",
            example: "concat_heads(split_heads(eye(4), 2))  // eye(4) again"),
    ]

    static let math: [BuiltinInfo] = [
        BuiltinInfo("sqrt", "Math", "sqrt(x)", "Square root, elementwise on a matrix (NaN for negative values).", example: "sqrt(16)  // 4"),
        BuiltinInfo("exp", "Math", "exp(x)", "eˣ, elementwise on a matrix.", example: "exp(0)  // 1"),
        BuiltinInfo("log", "Math", "log(x)", "Natural logarithm, elementwise (log(0) is -inf).", example: "log(exp(2))  // 2"),
        BuiltinInfo("abs", "Math", "abs(x)", "Absolute value, elementwise.", example: "abs([-1, 2])  // [1, 2]"),
        BuiltinInfo("tanh", "Math", "tanh(x)", "Hyperbolic tangent, elementwise.", example: "tanh(0)  // 0"),
        BuiltinInfo("relu", "Math", "relu(x)", "max(0, x), elementwise.", example: "relu([-1, 2])  // [0, 2]"),
        BuiltinInfo("gelu", "Math", "gelu(x)",
            "GELU in its exact form: x·Φ(x) = x·(1 + erf(x/√2))/2, elementwise.", example: "gelu([0, 1])"),
        BuiltinInfo("gelu_tanh", "Math", "gelu_tanh(x)",
            "GELU's tanh approximation (GPT-2): x/2·(1 + tanh(√(2/π)(x + 0.044715x³))), elementwise.", example: "gelu_tanh([0, 1])"),
        BuiltinInfo("sum", "Math", "sum(A, axis: nil)",
            "The sum of the elements. Without axis a number; axis: 0 sums each column (1×C), axis: 1 each row (R×1).",
            example: "sum([1, 2; 3, 4])          // 10\nsum([1, 2; 3, 4], axis: 0) // [4, 6]"),
        BuiltinInfo("mean", "Math", "mean(A, axis: nil)", "The mean of the elements; axis as in sum.", example: "mean([1, 2, 3])  // 2"),
        BuiltinInfo("max", "Math", "max(A, axis: nil)", "The largest element; axis as in sum.", example: "max([1, 5, 3])  // 5"),
        BuiltinInfo("min", "Math", "min(A, axis: nil)", "The smallest element; axis as in sum.", example: "min([1, 5, 3])  // 1"),
        BuiltinInfo("argmax", "Math", "argmax(A, axis: nil)",
            "The position of the largest element: without axis the index into the row-major elements; axis: 1 gives each row's column index (R×1), axis: 0 each column's row index (1×C).",
            example: "argmax([1, 5, 3])  // 1"),
        BuiltinInfo("norm", "Math", "norm(A)", "The Frobenius norm √(Σ aᵢⱼ²).", example: "norm([3, 4])  // 5"),
        BuiltinInfo("softmax", "Math", "softmax(A, axis: 1, temperature: 1)",
            "softmax(x)ᵢ = exp(xᵢ/T) / Σⱼ exp(xⱼ/T), row by row by default (axis: 0 for columns). Numerically stable (the maximum is subtracted first); a row that is all -inf gives zeros.",
            example: "softmax([1, 2, 3])\nsoftmax(S, temperature: 0.5)"),
        BuiltinInfo("log_softmax", "Math", "log_softmax(A, axis: 1, temperature: 1)",
            "log(softmax(A)), computed stably as x/T − logsumexp(x/T).", example: "log_softmax([1, 2, 3])"),
    ]

    static let attention: [BuiltinInfo] = [
        BuiltinInfo("raw_attention_weights", "Attention", "raw_attention_weights(X)",
            "Lesson 1: softmax(X Xᵀ), every token attending to every token by plain dot products: no projections, no scaling. Row i holds token i's weights; each row sums to 1.",
            example: "X = embed(tokens(\"the cat sat\"), dim: 4, seed: 0)\nheatmap(raw_attention_weights(X))"),
        BuiltinInfo("raw_attention", "Attention", "raw_attention(X)",
            "raw_attention_weights(X) @ X: each output row is a weighted average of the rows of X.", example: "Y = raw_attention(X)"),
        BuiltinInfo("attention_weights", "Attention", "attention_weights(Q, K, mask: nil, scaled: true)",
            "Lesson 2: softmax(Q Kᵀ/√d_k + mask), d_k = K.cols. The mask is additive (0 to keep, -inf to hide); scaled: false leaves out the 1/√d_k. A row whose keys are all masked gives zeros.",
            example: "W = attention_weights(X @ Wq, X @ Wk, mask: causal_mask(X.rows))"),
        BuiltinInfo("attention", "Attention", "attention(Q, K, V, mask: nil)",
            "Lesson 3: attention_weights(Q, K, mask: mask) @ V, scaled dot-product attention.",
            example: "out = attention(Q, K, V, mask: causal_mask(Q.rows))"),
        BuiltinInfo("single_head", "Attention", "single_head(X, Wq, Wk, Wv, mask: nil)",
            "attention(X Wq, X Wk, X Wv, mask: mask): one attention head with its projections.",
            example: "out = single_head(X, Wq, Wk, Wv)"),
        BuiltinInfo("multi_head", "Attention", "multi_head(X, Wq, Wk, Wv, Wo, heads:, mask: nil)",
            "Lesson 4: Q = X Wq, K = X Wk, V = X Wv are split into `heads` contiguous column blocks of d_model/heads (as in nanoGPT); head i attends with block i; the outputs are joined side by side and multiplied by Wo. d_model must be divisible by heads.",
            example: "out = multi_head(X, Wq, Wk, Wv, Wo, heads: 2, mask: causal_mask(X.rows))"),
        BuiltinInfo("multi_head_weights", "Attention", "multi_head_weights(X, Wq, Wk, heads:, mask: nil)",
            "The list of per-head attention weight matrices that multi_head uses (one n×n matrix per head).",
            example: "heads(multi_head_weights(X, Wq, Wk, heads: 2), labels: toks)"),
        BuiltinInfo("causal_mask", "Attention", "causal_mask(n)",
            "The additive n×n causal mask: 0 on and below the diagonal, -inf above, so token i attends only to tokens 0...i.",
            example: "M = causal_mask(4)"),
    ]

    static let positions: [BuiltinInfo] = [
        BuiltinInfo("sinusoidal", "Positions", "sinusoidal(n, d)",
            "Vaswani et al.'s n×d position encodings: PE[p, 2i] = sin(p / 10000^(2i/d)), PE[p, 2i+1] = cos(p / 10000^(2i/d)).",
            example: "X = X + sinusoidal(X.rows, X.cols)"),
        BuiltinInfo("learned_positions", "Positions", "learned_positions(n, d, seed: 0)",
            "An n×d table of position embeddings as a model would learn them (here: small random values, N(0, 0.02²) as in GPT-2).",
            example: "P = learned_positions(8, 4, seed: 1)"),
        BuiltinInfo("rope", "Positions", "rope(X, base: 10000)",
            "Rotary position embedding: row p (the position, from 0) has each pair of columns (2i, 2i+1) rotated by the angle p·base^(−2i/d). X.cols must be even.",
            example: "Q = rope(X @ Wq)"),
    ]

    static let models: [BuiltinInfo] = [
        BuiltinInfo("layer_norm", "Blocks and models", "layer_norm(X, gamma: nil, beta: nil, eps: 1e-5)",
            "Normalizes each row: (x − mean)/√(var + eps) with the biased variance, then × gamma + beta (1×d rows; default ones and zeros).",
            example: "Y = layer_norm(X)"),
        BuiltinInfo("ffn", "Blocks and models", "ffn(X, W1, b1, W2, b2)",
            "The position-wise feed-forward network gelu(X W1 + b1) W2 + b2 (b1, b2 are bias rows).",
            example: "p = init_block(d_model: 4, heads: 2, seed: 0)\nY = ffn(X, p.W1, p.b1, p.W2, p.b2)"),
        BuiltinInfo("init_block", "Blocks and models", "init_block(d_model:, heads:, seed: 0)",
            "A record of all weights of one transformer block: Wq Wk Wv Wo bq bk bv bo W1 b1 W2 b2 ln1_gamma ln1_beta ln2_gamma ln2_beta heads. The hidden width of the FFN is 4·d_model.",
            example: "p = init_block(d_model: 8, heads: 2, seed: 0)\np.W1.shape  // [8, 32]"),
        BuiltinInfo("transformer_block", "Blocks and models", "transformer_block(X, p, mask: nil, norm: \"pre\")",
            "One transformer block with the weights p (from init_block). norm: \"pre\" (GPT-2): X + attn(ln1(X)), then + ffn(ln2(·)). norm: \"post\" (original Transformer): ln1(X + attn(X)), then ln2(· + ffn(·)).",
            example: "Y = transformer_block(X, p, mask: causal_mask(X.rows))"),
        BuiltinInfo("gpt", "Blocks and models", "gpt(vocab:, d_model:, heads:, layers:, context:, seed: 0)",
            "A GPT-2 shaped model as in nanoGPT: token (wte) and learned position (wpe) embeddings, `layers` pre-norm blocks with biases, a final layer norm and the output projection tied to wte. Fields: wte wpe blocks ln_f_gamma ln_f_beta vocab d_model heads layers context. Parameters: V·d + T·d + L(12d² + 13d) + 2d.",
            example: "m = gpt(vocab: 10, d_model: 8, heads: 2, layers: 2, context: 16, seed: 0)"),
        BuiltinInfo("forward", "Blocks and models", "forward(model, ids)",
            "The logits (len(ids)×vocab) of a gpt model for the token ids (a list or a 1×n matrix, at most context of them).",
            example: "logits = forward(m, [1, 2, 3])"),
        BuiltinInfo("param_count", "Blocks and models", "param_count(model)",
            "The number of parameters of a gpt model or a block record (of a matrix: its element count; of a list: the total).",
            example: "param_count(m)"),
        BuiltinInfo("generate", "Blocks and models", "generate(model, ids, steps:, temperature: 1, seed: 0)",
            "Extends ids by `steps` tokens, each sampled from softmax(last logits / temperature); temperature 0 is greedy (argmax). Past the context the model sees the last `context` ids (as nanoGPT). Returns the whole list of ids.",
            example: "generate(m, [1, 2], steps: 5, temperature: 0)"),
    ]

    static let display: [BuiltinInfo] = [
        BuiltinInfo("print", "Display", "print(values...)", "Writes the values to stdout, separated by spaces, with a newline.", example: "print(\"loss\", 0.25)"),
        BuiltinInfo("warn", "Display", "warn(values...)", "Like print, to stderr (shown in red).", example: "warn(\"careful\")"),
        BuiltinInfo("show", "Display", "show(x, title: nil, display_id: nil, update: false)",
            "Displays a value (a matrix as a table) right now, with an optional title. With display_id: the display can be replaced in place later by a display call with the same id and update: true (e.g. inside a loop).",
            example: "show(W, title: \"weights\")"),
        BuiltinInfo("heatmap", "Display", "heatmap(W, rows: nil, cols: nil, title: nil, display_id: nil, update: false)",
            "Draws W as a heatmap: rows are queries, columns keys; rows:/cols: are label lists (e.g. tokens). The colour scale is fixed to [0, 1] when every entry is in [0, 1] (attention weights, so heatmaps compare), otherwise it spans the matrix's min…max. display_id:/update: replace an earlier heatmap in place (see show).",
            example: "heatmap(W, rows: toks, cols: toks, title: \"who attends to whom\")"),
        BuiltinInfo("heads", "Display", "heads(list, labels: nil, titles: nil, display_id: nil, update: false)",
            "A grid of heatmaps, one per head; labels: the token labels, titles: one title per head. display_id:/update: as in show.",
            example: "heads(multi_head_weights(X, Wq, Wk, heads: 2), labels: toks)"),
        BuiltinInfo("clear_output", "Display", "clear_output(wait: false)",
            "Clears this cell's output; wait: true waits until new output arrives (smooth animations).", example: "clear_output(wait: true)"),
        BuiltinInfo("help", "Display", "help(topic = nil)",
            "Shows the documentation of a builtin: help(softmax) or help(\"softmax\"). Without a topic, lists all builtins.", example: "help(attention)"),
    ]

    static let grading: [BuiltinInfo] = [
        BuiltinInfo("assert", "Grading", "assert(condition, message = \"assertion failed\")",
            "Stops the cell with an AssertionError carrying message when condition is false.", example: "assert(W.rows == 3, \"W needs 3 rows\")"),
        BuiltinInfo("close", "Grading", "close(A, B, tol: 1e-6)",
            "true when A and B have the same shape and every |a − b| ≤ tol·(1 + |b|). Numbers count as 1×1.", example: "close(softmax([0, 0]), [0.5, 0.5])"),
        BuiltinInfo("expect_close", "Grading", "expect_close(A, B, tol: 1e-6)",
            "Like close, but fails with an AssertionError naming the largest difference and where it is (or both shapes).",
            example: "expect_close(sum(W, axis: 1), ones(3, 1))"),
        BuiltinInfo("expect_shape", "Grading", "expect_shape(A, shape)",
            "Fails with an AssertionError naming both shapes unless A has the shape [r, c].", example: "expect_shape(W, [3, 3])"),
    ]

    static let other: [BuiltinInfo] = [
        BuiltinInfo("input", "Other", "input(prompt = \"\")",
            "Reads a line of text from the user (through the notebook's input box). Fails clearly where the front end does not allow input.",
            example: "name = input(\"your name: \")"),
        BuiltinInfo("len", "Other", "len(x)", "The number of items of a list, characters of a string, or rows of a matrix.", example: "len(tokens(\"a b c\"))  // 3"),
        BuiltinInfo("range", "Other", "range(a, b = nil)",
            "The list of whole numbers 0..<a, or a..<b with two arguments.", example: "range(3)  // [0, 1, 2]"),
        BuiltinInfo("str", "Other", "str(x)", "The text print would write for x, as a string.", example: "\"loss: \" + str(0.5)"),
    ]
}
