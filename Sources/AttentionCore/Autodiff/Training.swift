import Glibc

/// How parameters are updated from their gradients.
public enum Optimizer: Sendable, Equatable {
    /// AdamW exactly as PyTorch's `torch.optim.AdamW` (non-fused) computes it, per step t:
    /// p ← p·(1 − lr·λ) (decoupled weight decay, decayed parameters only);
    /// m ← m + (1 − β₁)(g − m); v ← β₂v + (1 − β₂)g²;
    /// p ← p − (lr/(1 − β₁ᵗ))·m / (√v/√(1 − β₂ᵗ) + ε).
    case adamW(beta1: Double, beta2: Double, eps: Double, weightDecay: Double)
    /// SGD with momentum as `torch.optim.SGD` (dampening 0): g ← g + λp (decayed
    /// parameters only); b ← g on the first step, then b ← μb + g; p ← p − lr·b.
    case sgd(momentum: Double, weightDecay: Double)
}

/// The learning rate over the steps.
public enum LearningRateSchedule: Sendable, Equatable {
    case constant
    /// nanoGPT's: linear warm-up lr·(t+1)/(warmup+1) for t < warmup, then cosine decay from
    /// lr to `minimum` at the last step: min + ½(1 + cos(π·(t − warmup)/(steps − warmup)))·(lr − min).
    case warmupCosine(warmup: Int, minimum: Double)

    /// The rate at step t (0-based) of `steps`, for a peak rate `lr`.
    public func rate(step t: Int, of steps: Int, peak lr: Double) -> Double {
        switch self {
        case .constant: return lr
        case .warmupCosine(let warmup, let minimum):
            if t < warmup { return lr * Double(t + 1) / Double(warmup + 1) }
            let span = max(1, steps - warmup)
            let ratio = min(1, Double(t - warmup) / Double(span))
            return minimum + 0.5 * (1 + cos(Double.pi * ratio)) * (lr - minimum)
        }
    }
}

/// The state of an optimizer over a list of parameter matrices.
public struct OptimizerState: Sendable {
    public let optimizer: Optimizer
    /// Which parameters get weight decay: as nanoGPT groups them, the ≥2-D weights (every
    /// matrix with more than one row: projections and embeddings), not the 1×C biases and
    /// layer-norm γ, β.
    public let decays: [Bool]
    private var first: [[Double]]
    private var second: [[Double]]
    public private(set) var step = 0

    public init(_ optimizer: Optimizer, parameters: [Matrix]) {
        self.optimizer = optimizer
        decays = parameters.map { $0.rows > 1 }
        first = parameters.map { [Double](repeating: 0, count: $0.count) }
        if case .adamW = optimizer {
            second = parameters.map { [Double](repeating: 0, count: $0.count) }
        } else {
            second = []
        }
    }

    /// One update of every parameter with its gradient at learning rate `lr`.
    public mutating func update(_ parameters: inout [Matrix], gradients: [Matrix], lr: Double) {
        step += 1
        let t = Double(step)
        for index in parameters.indices {
            let g = gradients[index].storage
            let decay = decays[index]
            switch optimizer {
            case .adamW(let beta1, let beta2, let eps, let weightDecay):
                let stepSize = lr / (1 - pow(beta1, t))
                let correction2 = (1 - pow(beta2, t)).squareRoot()
                let shrink = decay ? 1 - lr * weightDecay : 1
                parameters[index].storage.withUnsafeMutableBufferPointer { p in
                    first[index].withUnsafeMutableBufferPointer { m in
                        second[index].withUnsafeMutableBufferPointer { v in
                            for i in p.indices {
                                if decay { p[i] *= shrink }
                                m[i] += (g[i] - m[i]) * (1 - beta1)
                                v[i] = v[i] * beta2 + (1 - beta2) * g[i] * g[i]
                                let denominator = v[i].squareRoot() / correction2 + eps
                                p[i] -= stepSize * (m[i] / denominator)
                            }
                        }
                    }
                }
            case .sgd(let momentum, let weightDecay):
                let isFirst = step == 1
                parameters[index].storage.withUnsafeMutableBufferPointer { p in
                    first[index].withUnsafeMutableBufferPointer { b in
                        for i in p.indices {
                            let gi = decay && weightDecay != 0 ? g[i] + weightDecay * p[i] : g[i]
                            b[i] = momentum == 0 || isFirst ? gi : momentum * b[i] + gi
                            p[i] -= lr * b[i]
                        }
                    }
                }
            }
        }
    }
}

/// Scales gradients so that their global norm √(Σ‖g‖²) is at most `maxNorm`, as PyTorch's
/// `clip_grad_norm_` (factor maxNorm/(norm + 10⁻⁶), applied when below 1). Returns the norm
/// before clipping.
@discardableResult
public func clipGlobalNorm(_ gradients: inout [Matrix], maxNorm: Double) -> Double {
    var total = 0.0
    for g in gradients { for x in g.storage { total += x * x } }
    let norm = total.squareRoot()
    let factor = maxNorm / (norm + 1e-6)
    if factor < 1 {
        for i in gradients.indices { gradients[i] = gradients[i].map { $0 * factor } }
    }
    return norm
}

/// Token data to train on.
public enum TrainingData: Sendable {
    /// Separate sequences (a task's examples); each step draws whole sequences, or a random
    /// window of context + 1 ids from one that is longer.
    case sequences([[Int]])
    /// One long stream of ids (a text); each step draws windows of context + 1 ids.
    case stream([Int])
}

/// Everything `train` needs besides the model and the data.
public struct TrainingOptions: Sendable {
    public var steps: Int
    public var batch: Int
    public var lr: Double
    public var seed: UInt64
    public var optimizer: Optimizer
    public var schedule: LearningRateSchedule
    /// Clip the gradients' global norm to this (nil: no clipping).
    public var clip: Double?

    public init(steps: Int, batch: Int, lr: Double, seed: UInt64, optimizer: Optimizer = .adamW(beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.1),
                schedule: LearningRateSchedule = .constant, clip: Double? = 1) {
        (self.steps, self.batch, self.lr, self.seed) = (steps, batch, lr, seed)
        (self.optimizer, self.schedule, self.clip) = (optimizer, schedule, clip)
    }
}

/// What one training step reports.
public struct TrainingStep: Sendable {
    public let step: Int
    public let loss: Double
    public let lr: Double
}

extension GPTModel {
    /// The trainable matrices in a fixed order (wte, wpe, each block's fields, ln_f γ, β),
    /// with their field paths as in the language's records (`blocks.0.Wq`).
    public var namedParameters: [(name: String, matrix: Matrix)] {
        var out: [(String, Matrix)] = [("wte", wte), ("wpe", wpe)]
        for (i, b) in blocks.enumerated() {
            let fields: [(String, Matrix)] = [
                ("Wq", b.Wq), ("Wk", b.Wk), ("Wv", b.Wv), ("Wo", b.Wo), ("bq", b.bq), ("bk", b.bk), ("bv", b.bv), ("bo", b.bo),
                ("W1", b.W1), ("b1", b.b1), ("W2", b.W2), ("b2", b.b2),
                ("ln1_gamma", b.ln1Gamma), ("ln1_beta", b.ln1Beta), ("ln2_gamma", b.ln2Gamma), ("ln2_beta", b.ln2Beta),
            ]
            for (name, m) in fields where m.count > 0 { out.append(("blocks.\(i).\(name)", m)) }
        }
        out.append(("ln_f_gamma", lnFGamma))
        out.append(("ln_f_beta", lnFBeta))
        return out
    }

    /// This model with its trainable matrices replaced, in `namedParameters`' order.
    public func replacingParameters(_ ms: [Matrix]) -> GPTModel {
        var next = self
        var it = ms.makeIterator()
        next.wte = it.next()!
        next.wpe = it.next()!
        for i in next.blocks.indices {
            let mlp = next.blocks[i].W1.count > 0
            next.blocks[i].Wq = it.next()!; next.blocks[i].Wk = it.next()!; next.blocks[i].Wv = it.next()!; next.blocks[i].Wo = it.next()!
            next.blocks[i].bq = it.next()!; next.blocks[i].bk = it.next()!; next.blocks[i].bv = it.next()!; next.blocks[i].bo = it.next()!
            if mlp {
                next.blocks[i].W1 = it.next()!; next.blocks[i].b1 = it.next()!; next.blocks[i].W2 = it.next()!; next.blocks[i].b2 = it.next()!
            }
            next.blocks[i].ln1Gamma = it.next()!; next.blocks[i].ln1Beta = it.next()!
            if mlp { next.blocks[i].ln2Gamma = it.next()!; next.blocks[i].ln2Beta = it.next()! }
        }
        next.lnFGamma = it.next()!
        next.lnFBeta = it.next()!
        return next
    }

    /// The loss and the gradient of every trainable matrix (in `namedParameters`' order)
    /// on one batch of sequences.
    public func lossAndGradients(_ batch: [[Int]]) throws(CoreError) -> (loss: Double, gradients: [Matrix]) {
        let tape = Tape()
        let variables = tape.variables(self, differentiable: true)
        let loss = try tape.gptLoss(variables, batch)
        let grads = try tape.gradients(of: loss)
        let order = variables.parameterOrder
        return (tape.value(loss)[0, 0], order.map { grads.of($0, on: tape) })
    }
}

extension GPTVariables {
    /// The variables in `GPTModel.namedParameters`' order.
    var parameterOrder: [Tape.Variable] {
        var out = [wte, wpe]
        for b in blocks {
            out += [b.Wq, b.Wk, b.Wv, b.Wo, b.bq, b.bk, b.bv, b.bo]
            if let mlp = b.mlp { out += [mlp.W1, mlp.b1, mlp.W2, mlp.b2] }
            out += [b.ln1Gamma, b.ln1Beta]
            if let g = b.ln2Gamma, let be = b.ln2Beta { out += [g, be] }
        }
        return out + [lnFGamma, lnFBeta]
    }
}

/// Draws training batches from data with one seeded generator: `batch` examples per step,
/// each a whole sequence or a random window of context + 1 ids.
public struct BatchSampler: Sendable {
    let data: TrainingData
    let window: Int
    var generator: SeededGenerator

    public init(_ data: TrainingData, context: Int, seed: UInt64) throws(CoreError) {
        self.data = data
        window = context + 1
        generator = SeededGenerator(seed: seed)
        switch data {
        case .sequences(let s):
            guard !s.isEmpty else { throw .invalidArgument("there is no data to train on: the list of sequences is empty") }
            if let short = s.first(where: { $0.count < 2 }) {
                throw .invalidArgument("a training sequence of \(short.count) id\(short.count == 1 ? "" : "s") has no next token to predict; each needs at least 2")
            }
        case .stream(let ids):
            guard ids.count >= 2 else { throw .invalidArgument("there is no data to train on: \(ids.count) ids, at least 2 are needed") }
        }
    }

    private mutating func below(_ n: Int) -> Int { Int(generator.nextUniform() * Double(n)) }

    private mutating func crop(_ s: [Int]) -> [Int] {
        guard s.count > window else { return s }
        let start = below(s.count - window + 1)
        return Array(s[start..<(start + window)])
    }

    public mutating func next(_ count: Int) -> [[Int]] {
        (0..<count).map { _ in
            switch data {
            case .sequences(let s): return crop(s[below(s.count)])
            case .stream(let ids): return crop(ids)
            }
        }
    }
}

/// Trains `model` on `data`: `steps` times, draw a batch, compute the loss and its gradient
/// by reverse-mode differentiation, clip, and update with the optimizer at the scheduled
/// rate. `progress` sees every step and returns false to stop early (an interrupt): the model
/// trained so far is returned with the losses so far. The same seed gives a bitwise-identical
/// model on every run and thread count.
public func train(
    _ model: GPTModel, data: TrainingData, options: TrainingOptions, progress: (TrainingStep) -> Bool
) throws(CoreError) -> (model: GPTModel, losses: [Double]) {
    guard options.steps >= 1 else { throw .invalidArgument("train needs at least 1 step, not \(options.steps)") }
    guard options.batch >= 1 else { throw .invalidArgument("train needs a batch of at least 1 sequence, not \(options.batch)") }
    guard options.lr.isFinite, options.lr >= 0 else { throw .invalidArgument("lr must be a finite number ≥ 0, not \(options.lr)") }
    var sampler = try BatchSampler(data, context: model.context, seed: options.seed)
    var parameters = model.namedParameters.map(\.matrix)
    var state = OptimizerState(options.optimizer, parameters: parameters)
    var current = model
    var losses: [Double] = []
    for step in 0..<options.steps {
        let batch = sampler.next(options.batch)
        var (loss, gradients) = try current.lossAndGradients(batch)
        if let clip = options.clip { clipGlobalNorm(&gradients, maxNorm: clip) }
        let lr = options.schedule.rate(step: step, of: options.steps, peak: options.lr)
        state.update(&parameters, gradients: gradients, lr: lr)
        current = current.replacingParameters(parameters)
        losses.append(loss)
        if !progress(TrainingStep(step: step, loss: loss, lr: lr)) { break }
    }
    return (current, losses)
}
