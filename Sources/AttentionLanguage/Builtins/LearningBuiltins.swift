import AttentionCore

extension BuiltinTable {
    /// Gradients, losses and training.
    static let learning: [Builtin] = [
        Builtin("grad", .learning, "grad(f, p)",
            "The gradient ∂f(p)/∂p by reverse-mode automatic differentiation. f is a function of one argument whose value is a number (or 1×1 matrix); p is a matrix, a list or a record (a model) of matrices, and the gradient has p's structure (number fields such as heads are carried unchanged). Inside f, operators (+ - * / ** @ .T, indexing and slicing, A[ids] as an embedding lookup) and the differentiable builtins (help(\"differentiable\") lists them) are followed; any other builtin given a followed matrix is a TypeError naming it.",
            example: "func f(W) = sum(W * W)\ngrad(f, [1, 2; 3, 4])  // [2, 4; 6, 8]", numpy: "jax.grad(f)(p)") { a throws(LangError) in
            try a.evaluator.valueAndGradient(of: a.value("f"), at: a.value("p"), range: a.range).gradient
        },
        Builtin("value_and_grad", .learning, "value_and_grad(f, p)",
            "f(p) and its gradient in one pass, as the record {value, grad} (see grad).",
            example: "func f(W) = mean(W ** 2)\nr = value_and_grad(f, [1, 2])\nr.value  // 2.5\nr.grad   // [1, 2]", numpy: "jax.value_and_grad(f)(p)") { a throws(LangError) in
            let (value, gradient) = try a.evaluator.valueAndGradient(of: a.value("f"), at: a.value("p"), range: a.range)
            return .record(Record([("value", value), ("grad", gradient)]))
        },
        Builtin("cross_entropy", .learning, "cross_entropy(logits, targets)",
            "The mean over rows of −log softmax(logits)[i, tᵢ]: logits is n×V, targets n token ids (a list or 1×n matrix), as PyTorch's F.cross_entropy. Differentiable; its gradient is (softmax(logits) − onehot(targets))/n.",
            example: "cross_entropy([2, 0, 0; 0, 2, 0], [0, 1])", numpy: "torch.nn.functional.cross_entropy(logits, targets)") { a throws(LangError) in
            let tape = Tape()
            let logits = tape.constant(try a.matrix("logits"))
            let targets = try a.ids("targets")
            return .number(try a.core { () throws(CoreError) -> Double in tape.value(try tape.crossEntropy(logits, targets: targets))[0, 0] })
        }.differentiable { a, tape throws(LangError) in
            let logits = try a.variable("logits", tape)
            let targets = try a.ids("targets")
            return try a.record(tape) { () throws(CoreError) -> Tape.Variable in try tape.crossEntropy(logits, targets: targets) }
        },
        Builtin("loss", .learning, "loss(model, ids)",
            "The next-token cross-entropy of a gpt model on ids: predict ids[1:] from ids[:-1], as nanoGPT trains. ids is one sequence (a list or 1×n matrix, at most context + 1 ids) or several: a list of sequences, or a matrix whose rows are sequences (their mean). Differentiable with respect to the model.",
            example: "m = gpt(vocab: 5, d_model: 8, heads: 2, layers: 1, context: 8, seed: 0)\nloss(m, [0, 1, 2, 3])  // about log(5)", numpy: "F.cross_entropy(model(x[:-1]), x[1:])") { a throws(LangError) in
            let model = try ModelRecords.gptModel(a.value("model"), a, "model")
            let sequences = try a.sequences("ids")
            try LearningBuiltins.checkLossWork(a, model, sequences)
            let tape = Tape()
            let variables = tape.variables(model, differentiable: false)
            return .number(try a.core { () throws(CoreError) -> Double in tape.value(try tape.gptLoss(variables, sequences))[0, 0] })
        }.differentiable { a, tape throws(LangError) in
            let model = try a.gptVariables("model", tape)
            let sequences = try a.sequences("ids")
            try LearningBuiltins.checkLossWork(a, ModelRecords.gptModel(a.value("model").untracked, a, "model"), sequences)
            return try a.record(tape) { () throws(CoreError) -> Tape.Variable in try tape.gptLoss(model, sequences) }
        },
        Builtin("train", .learning,
            "train(model, data, steps:, batch: 8, lr: 0.001, seed: 0, optimizer: \"adamw\", weight_decay: 0.1, beta1: 0.9, beta2: 0.95, eps: 1e-8, momentum: 0.9, warmup: 0, schedule: \"constant\", min_lr: 0, clip: 1, plot: true)",
            "Trains a gpt model and returns the record {model, losses, steps, interrupted} (losses is 1×steps, the training loss of each step). Each step draws `batch` examples from data (a list of id sequences or a matrix of them, one per row, each used whole or as a random window of context + 1 ids; or one long list of ids, from which windows of context + 1 are drawn), computes the next-token loss and its gradient, clips the gradients' global norm to `clip` (nil: no clipping), and updates with AdamW exactly as PyTorch (bias correction; weight decay decoupled and applied only to matrices with more than one row, the weights and embeddings, as nanoGPT groups them) or with optimizer: \"sgd\" (momentum, PyTorch's). schedule: \"cosine\" warms up linearly for `warmup` steps, then decays to min_lr (nanoGPT's). While it runs the cell shows the loss curve, updated in place a few times a second. The stop button ends training after the current step and still returns (and binds) the model trained so far, with interrupted: true. The same seed gives a bitwise-identical model on every run and thread count.",
            example: "m = gpt(vocab: 8, d_model: 16, heads: 2, layers: 1, context: 8, seed: 0)\nr = train(m, task(\"copy\", n: 64, length: 4, vocab: 8, seed: 0), steps: 50, batch: 8, lr: 0.01, plot: false)\nr.losses[0, -1] < r.losses[0, 0]  // true",
            numpy: "torch.optim.AdamW(model.parameters(), lr, betas, eps, weight_decay)") { a throws(LangError) in
            try LearningBuiltins.train(a)
        },
    ]
}

enum LearningBuiltins {
    /// One forward and backward pass is about three forward passes of work.
    static func checkLossWork(_ a: Arguments, _ model: GPTModel, _ sequences: [[Int]]) throws(LangError) {
        let work = sequences.reduce(0.0) { $0 + ModelBuiltins.forwardWork(model, count: min($1.count, model.context)) }
        try a.evaluator.checkWork(3 * work, at: a.range, what: "this loss")
    }

    static func trainingData(_ a: Arguments) throws(LangError) -> TrainingData {
        let v = try a.value("data")
        switch v {
        case .list(let items) where items.first.map({ !$0.isNumber }) ?? false:
            return .sequences(try a.sequences("data"))
        case .matrix(let m) where m.rows > 1:
            return .sequences(try a.sequences("data"))
        default:
            return .stream(try a.ids("data"))
        }
    }

    static func options(_ a: Arguments) throws(LangError) -> TrainingOptions {
        let steps = try a.size("steps"), batch = try a.size("batch")
        let lr = try a.number("lr")
        guard steps >= 1 else { throw LangError(.core(.invalidArgument("train needs at least 1 step (steps: \(steps))")), at: try a.range(of: "steps")) }
        guard batch >= 1 else { throw LangError(.core(.invalidArgument("train needs a batch of at least 1 example (batch: \(batch))")), at: try a.range(of: "batch")) }
        guard lr.isFinite, lr >= 0 else { throw LangError(.core(.invalidArgument("lr must be a finite number ≥ 0, not \(Renderer.formatNumber(lr))")), at: try a.range(of: "lr")) }
        let weightDecay = try a.number("weight_decay")
        let optimizer: Optimizer
        switch try a.string("optimizer") {
        case "adamw":
            optimizer = .adamW(beta1: try a.number("beta1"), beta2: try a.number("beta2"), eps: try a.number("eps"), weightDecay: weightDecay)
        case "sgd":
            optimizer = .sgd(momentum: try a.number("momentum"), weightDecay: weightDecay)
        case let other:
            throw LangError(.core(.invalidArgument("optimizer must be \"adamw\" or \"sgd\", not \"\(other)\"")), at: try a.range(of: "optimizer"))
        }
        let schedule: LearningRateSchedule
        switch try a.string("schedule") {
        case "constant": schedule = .constant
        case "cosine": schedule = .warmupCosine(warmup: try a.size("warmup"), minimum: try a.number("min_lr"))
        case let other:
            throw LangError(.core(.invalidArgument("schedule must be \"constant\" or \"cosine\", not \"\(other)\"")), at: try a.range(of: "schedule"))
        }
        var clip: Double?
        if case .number(let c) = try a.value("clip") {
            guard c > 0 else { throw LangError(.core(.invalidArgument("clip must be positive (or nil for no clipping), not \(Renderer.formatNumber(c))")), at: try a.range(of: "clip")) }
            clip = c
        }
        return TrainingOptions(steps: steps, batch: batch, lr: lr, seed: try a.seed(), optimizer: optimizer, schedule: schedule, clip: clip)
    }

    static func train(_ a: Arguments) throws(LangError) -> Value {
        let model = try ModelRecords.gptModel(a.value("model"), a, "model")
        let data = try trainingData(a)
        let options = try options(a)
        let plot = try a.bool("plot")
        // One step runs without looking at the stop button: bound it as one builtin call.
        let stepWork = 3 * Double(options.batch) * ModelBuiltins.forwardWork(model, count: model.context)
        try a.evaluator.checkWork(stepWork, at: a.range, what: "one training step")
        let evaluator = a.evaluator
        let clock = ContinuousClock()
        let start = clock.now
        var lastShown = start
        let displayID = "train-\(UInt64(start.hashValue.magnitude))"
        var losses: [Double] = []
        var interrupted = false
        var currentLR = options.lr
        func seconds(_ d: Duration) -> Double { Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18 }
        func show(finished: Bool, update: Bool = true) {
            guard plot else { return }
            let bundle = Renderer.trainingProgress(
                losses: losses, total: options.steps, lr: currentLR, seconds: seconds(clock.now - start), finished: finished, interrupted: interrupted)
            evaluator.host.emit(.display(bundle, displayID: displayID, update: update))
        }
        show(finished: false, update: false)
        let result = try a.core { () throws(CoreError) -> (model: GPTModel, losses: [Double]) in
            try AttentionCore.train(model, data: data, options: options) { step in
                losses.append(step.loss)
                currentLR = step.lr
                if evaluator.interruptRequested {
                    interrupted = step.step + 1 < options.steps
                    return false
                }
                let now = clock.now
                if seconds(now - lastShown) >= 0.25 {
                    lastShown = now
                    show(finished: false)
                }
                return true
            }
        }
        show(finished: true)
        return .record(Record([
            ("model", .record(ModelRecords.record(result.model))),
            ("losses", .matrix(Matrix(rows: 1, cols: result.losses.count) { _, j in result.losses[j] })),
            ("steps", .number(Double(result.losses.count))),
            ("interrupted", .bool(interrupted)),
        ]))
    }
}
