// Transformer blocks and whole GPT losses on the tape against JAX (float64), from
// Fixtures/gradients_model.json (scripts/make_gradient_fixtures.py); finite-difference
// properties; exact zeros at masked positions; and training's determinism.
// Agreement with JAX: |a − b| ≤ 1e-9·max(1, |b|).

@testable import AttentionCore
import Foundation
import Testing

private struct M: Decodable {
    let shape: [Int]
    let data: [Double]
    var matrix: Matrix { try! Matrix(rows: shape[0], cols: shape[1], storage: data) }
}

private struct BlockCase: Decodable {
    let norm: String
    let mlp: Bool
    let heads: Int
    let params: [String: M]
    let x: M
    let target: M
    let value: Double
    let grad_params: [String: M]
    let grad_x: M
}

private struct ModelParams: Decodable {
    let wte: M
    let wpe: M
    let blocks: [[String: M]]
    let ln_f_gamma: M
    let ln_f_beta: M
}

private struct ModelCase: Decodable {
    let mlp: Bool
    let vocab: Int
    let context: Int
    let heads: Int
    let params: ModelParams
    let sequences: [[Int]]
    let loss: Double
    let grad: ModelParams  // the gradient has the parameters' structure
}

private struct GradientFile: Decodable {
    let blocks: [BlockCase]
    let models: [ModelCase]

    static func load() throws -> GradientFile {
        guard let url = Bundle.module.url(forResource: "gradients_model", withExtension: "json", subdirectory: "Fixtures") else {
            throw FixtureError.missing("Fixtures/gradients_model.json is not in the test bundle")
        }
        return try JSONDecoder().decode(GradientFile.self, from: Data(contentsOf: url))
    }
}

private func blockParameters(_ p: [String: M], heads: Int) -> BlockParameters {
    let empty = Matrix(rows: 0, cols: 0, repeating: 0)
    func m(_ k: String) -> Matrix { p[k]?.matrix ?? empty }
    return BlockParameters(
        Wq: m("Wq"), Wk: m("Wk"), Wv: m("Wv"), Wo: m("Wo"), bq: m("bq"), bk: m("bk"), bv: m("bv"), bo: m("bo"),
        W1: m("W1"), b1: m("b1"), W2: m("W2"), b2: m("b2"),
        ln1Gamma: m("ln1_gamma"), ln1Beta: m("ln1_beta"), ln2Gamma: m("ln2_gamma"), ln2Beta: m("ln2_beta"), heads: heads,
        hasMLP: p["W1"] != nil)
}

private func worstDifference(_ a: Matrix, _ b: Matrix) -> Double {
    guard a.rows == b.rows, a.cols == b.cols else { return .infinity }
    return zip(a.storage, b.storage).reduce(0) { max($0, abs($1.0 - $1.1) / max(1, abs($1.1))) }
}

private let blockFields = ["Wq", "Wk", "Wv", "Wo", "bq", "bk", "bv", "bo", "W1", "b1", "W2", "b2", "ln1_gamma", "ln1_beta", "ln2_gamma", "ln2_beta"]

private func variable(_ v: BlockVariables, _ field: String) -> Tape.Variable? {
    switch field {
    case "Wq": v.Wq
    case "Wk": v.Wk
    case "Wv": v.Wv
    case "Wo": v.Wo
    case "bq": v.bq
    case "bk": v.bk
    case "bv": v.bv
    case "bo": v.bo
    case "W1": v.W1
    case "b1": v.b1
    case "W2": v.W2
    case "b2": v.b2
    case "ln1_gamma": v.ln1Gamma
    case "ln1_beta": v.ln1Beta
    case "ln2_gamma": v.ln2Gamma
    default: v.ln2Beta
    }
}

@Suite struct GradientModelTests {
    @Test func transformerBlocksMatchJAX() throws {
        let file = try GradientFile.load()
        #expect(file.blocks.count == 4)
        for c in file.blocks {
            let tape = Tape()
            let p = tape.variables(blockParameters(c.params, heads: c.heads), differentiable: true)
            let x = tape.parameter(c.x.matrix)
            let y = try tape.transformerBlock(x, p, mask: try causalMask(c.x.shape[0]), norm: NormPlacement(rawValue: c.norm)!)
            let loss = try tape.reduce(try tape.multiply(y, tape.constant(c.target.matrix)), .sum, axis: nil)
            #expect(abs(tape.value(loss)[0, 0] - c.value) <= 1e-9 * max(1, abs(c.value)), "\(c.norm) mlp \(c.mlp): value")
            let grads = try tape.gradients(of: loss)
            #expect(worstDifference(grads.of(x, on: tape), c.grad_x.matrix) <= 1e-9, "\(c.norm) mlp \(c.mlp): ∂x")
            for field in blockFields {
                guard let expected = c.grad_params[field] else { continue }
                guard let v = variable(p, field) else { Issue.record("missing \(field)"); continue }
                let worst = worstDifference(grads.of(v, on: tape), expected.matrix)
                #expect(worst <= 1e-9, "\(c.norm) mlp \(c.mlp): ∂\(field) differs by \(worst)")
            }
        }
    }

    @Test func gptLossAndEveryWeightGradientMatchJAX() throws {
        let file = try GradientFile.load()
        #expect(file.models.count == 2)
        for c in file.models {
            let blocks = c.params.blocks.map { blockParameters($0, heads: c.heads) }
            let d = c.params.wte.shape[1]
            let model = GPTModel(
                wte: c.params.wte.matrix, wpe: c.params.wpe.matrix, blocks: blocks, lnFGamma: c.params.ln_f_gamma.matrix,
                lnFBeta: c.params.ln_f_beta.matrix, vocab: c.vocab, dModel: d, heads: c.heads, layers: blocks.count, context: c.context, mlp: c.mlp)
            let (loss, gradients) = try model.lossAndGradients(c.sequences)
            #expect(abs(loss - c.loss) <= 1e-9 * max(1, abs(c.loss)), "mlp \(c.mlp): loss \(loss) vs \(c.loss)")
            var expected: [Matrix] = [c.grad.wte.matrix, c.grad.wpe.matrix]
            for b in c.grad.blocks {
                for field in blockFields { if let m = b[field] { expected.append(m.matrix) } }
            }
            expected += [c.grad.ln_f_gamma.matrix, c.grad.ln_f_beta.matrix]
            let names = model.namedParameters.map(\.name)
            #expect(gradients.count == expected.count)
            for (i, (g, e)) in zip(gradients, expected).enumerated() {
                let worst = worstDifference(g, e)
                #expect(worst <= 1e-9, "mlp \(c.mlp): ∂\(names[i]) differs by \(worst)")
            }
        }
    }

    /// Central finite differences agree with the tape on random compositions.
    @Test func finiteDifferencesAgree() throws {
        var generator = SeededGenerator(seed: 7)
        func random(_ r: Int, _ c: Int) -> Matrix { Matrix(rows: r, cols: c) { _, _ in generator.nextGaussian() } }
        let x0 = random(4, 6), w = random(6, 6), t = random(4, 6), g = random(1, 6)
        func loss(_ tape: Tape, _ x: Tape.Variable) throws -> Tape.Variable {
            let h = try tape.layerNorm(try tape.matmul(x, tape.constant(w)), gamma: tape.constant(g), beta: nil)
            let a = try tape.attention(h, x, tape.apply(.tanh, x), heads: 2, mask: try causalMask(4))
            let s = try tape.logSoftmax(try tape.add(a, tape.apply(.geluTanh, x)), temperature: 0.7)
            return try tape.reduce(try tape.multiply(s, tape.constant(t)), .sum, axis: nil)
        }
        let tape = Tape()
        let x = tape.parameter(x0)
        let analytic = try tape.gradients(of: try loss(tape, x)).of(x, on: tape)
        let h = 1e-6
        for i in 0..<x0.rows {
            for j in 0..<x0.cols {
                var plus = x0, minus = x0
                plus[i, j] += h
                minus[i, j] -= h
                let tp = Tape(), tm = Tape()
                let fp = tp.value(try loss(tp, tp.parameter(plus)))[0, 0]
                let fm = tm.value(try loss(tm, tm.parameter(minus)))[0, 0]
                let numeric = (fp - fm) / (2 * h)
                #expect(abs(numeric - analytic[i, j]) <= 1e-6 * max(1, abs(numeric)), "(\(i), \(j)): \(numeric) vs \(analytic[i, j])")
            }
        }
    }

    /// With a causal mask, nothing at position i depends on a later position j: the
    /// gradient of output row i with respect to input rows j > i is exactly zero.
    @Test func masked_future_positions_get_exactly_zero_gradient() throws {
        var generator = SeededGenerator(seed: 3)
        let x0 = Matrix(rows: 6, cols: 8) { _, _ in generator.nextGaussian() }
        let model = try initBlock(dModel: 8, heads: 2, seed: 5)
        for row in 0..<6 {
            let tape = Tape()
            let x = tape.parameter(x0)
            let y = try tape.transformerBlock(x, tape.variables(model, differentiable: false), mask: try causalMask(6))
            let picked = try tape.reduce(try tape.select(y, rows: [row], cols: Array(0..<8)), .sum, axis: nil)
            let g = try tape.gradients(of: picked).of(x, on: tape)
            for later in (row + 1)..<6 {
                #expect(g.row(later).allSatisfy { $0 == 0 }, "row \(row) leaks gradient to position \(later)")
            }
            #expect(g.row(row).contains { $0 != 0 })
        }
    }

    /// The same seed gives the same trained weights, bit for bit, on one worker and on all.
    @Test func trainingIsBitwiseReproducibleAcrossThreadCounts() throws {
        // Big enough that products split into row blocks (≥ 2²¹ multiply-adds) and attention
        // into (sequence, head) pairs across workers, so the split itself is under test.
        let model = try gpt(vocab: 12, dModel: 64, heads: 4, layers: 1, context: 32, seed: 1)
        var generator = SeededGenerator(seed: 9)
        let data = (0..<64).map { _ in (0..<33).map { _ in Int(generator.nextUniform() * 12) } }
        let options = TrainingOptions(steps: 3, batch: 16, lr: 3e-3, seed: 4, schedule: .warmupCosine(warmup: 2, minimum: 1e-4))
        func run(workers: Int?) throws -> GPTModel {
            CoreConfiguration.configure(workers: workers)
            defer { CoreConfiguration.configure(workers: nil) }
            return try train(model, data: .sequences(data), options: options) { _ in true }.model
        }
        let one = try run(workers: 1), all = try run(workers: nil), again = try run(workers: 2)
        #expect(one == all)
        #expect(one == again)
        #expect(one != model)
    }

    /// AdamW's first step from zero moments moves each weight by lr·sign(g) (|m̂/√v̂| = 1),
    /// after the decoupled decay of matrices with more than one row only.
    @Test func adamWFirstStepIsSignedLearningRateAfterDecay() {
        var parameters = [try! Matrix([[1, -2], [3, 4]]), try! Matrix([[5, 6]])]
        let gradients = [try! Matrix([[0.5, -0.25], [1, -3]]), try! Matrix([[2, -1]])]
        var state = OptimizerState(.adamW(beta1: 0.9, beta2: 0.95, eps: 0, weightDecay: 0.1), parameters: parameters)
        state.update(&parameters, gradients: gradients, lr: 0.01)
        let decayed = [1, -2, 3, 4].map { $0 * (1 - 0.01 * 0.1) }
        let expected0 = zip(decayed, [0.5, -0.25, 1, -3]).map { $0 - 0.01 * ($1 > 0 ? 1 : -1) }
        for (a, b) in zip(parameters[0].storage, expected0) { #expect(abs(a - b) < 1e-15) }
        #expect(abs(parameters[1][0, 0] - (5 - 0.01)) < 1e-15)
        #expect(abs(parameters[1][0, 1] - (6 + 0.01)) < 1e-15)
    }

    @Test func clippingScalesToTheGlobalNorm() {
        var g = [try! Matrix([[3, 0]]), try! Matrix([[0], [4]])]
        let norm = clipGlobalNorm(&g, maxNorm: 1)
        #expect(norm == 5)
        let after = (g[0].storage + g[1].storage).reduce(0) { $0 + $1 * $1 }.squareRoot()
        #expect(abs(after - 1) < 1e-6)
    }

    @Test func scheduleWarmsUpThenDecaysToTheMinimum() {
        let s = LearningRateSchedule.warmupCosine(warmup: 10, minimum: 0.1)
        #expect(s.rate(step: 0, of: 100, peak: 1) == 1.0 / 11)
        #expect(s.rate(step: 10, of: 100, peak: 1) == 1)
        #expect(abs(s.rate(step: 99, of: 100, peak: 1) - 0.1) < 1e-3)
    }
}

/// AdamW and SGD against PyTorch's own optimizers (Fixtures/optimizers.json, written by
/// scripts/make_optimizer_fixtures.py from torch.optim in float64): five steps of given
/// gradients on a decayed 3×4 weight and an undecayed 1×4 bias. The update follows PyTorch's
/// operations in order; PyTorch's CPU kernels fuse some multiply-adds (FMA), so a few elements
/// differ in the last bit: every element must agree to 1e-15 relative.
@Suite struct OptimizerFixtureTests {
    struct Run: Decodable {
        let lr: Double
        let steps: [[[Double]]]
        let beta1, beta2, eps, momentum: Double?
        let weight_decay: Double
    }
    struct File: Decodable {
        let w0, b0: [Double]
        let grads: [[[Double]]]
        let adamw, sgd: Run
    }

    static func load() throws -> File {
        guard let url = Bundle.module.url(forResource: "optimizers", withExtension: "json", subdirectory: "Fixtures") else {
            throw FixtureError.missing("Fixtures/optimizers.json is not in the test bundle")
        }
        return try JSONDecoder().decode(File.self, from: Data(contentsOf: url))
    }

    func trajectory(_ optimizer: Optimizer, _ file: File, lr: Double) throws -> [[[Double]]] {
        var parameters = [try Matrix(rows: 3, cols: 4, storage: file.w0), try Matrix(rows: 1, cols: 4, storage: file.b0)]
        var state = OptimizerState(optimizer, parameters: parameters)
        var out: [[[Double]]] = []
        for g in file.grads {
            state.update(&parameters, gradients: [try Matrix(rows: 3, cols: 4, storage: g[0]), try Matrix(rows: 1, cols: 4, storage: g[1])], lr: lr)
            out.append(parameters.map(\.storage))
        }
        return out
    }

    @Test func adamWMatchesPyTorch() throws {
        let file = try Self.load()
        let a = file.adamw
        let ours = try trajectory(.adamW(beta1: a.beta1!, beta2: a.beta2!, eps: a.eps!, weightDecay: a.weight_decay), file, lr: a.lr)
        #expect(Self.worst(ours, a.steps) <= 1e-15)
    }

    static func worst(_ a: [[[Double]]], _ b: [[[Double]]]) -> Double {
        var worst = 0.0
        for (x, y) in zip(a.joined().joined(), b.joined().joined()) { worst = max(worst, abs(x - y) / max(1e-300, abs(y))) }
        return a.count == b.count ? worst : .infinity
    }

    @Test func sgdWithMomentumMatchesPyTorch() throws {
        let file = try Self.load()
        let s = file.sgd
        let ours = try trajectory(.sgd(momentum: s.momentum!, weightDecay: s.weight_decay), file, lr: s.lr)
        #expect(Self.worst(ours, s.steps) <= 1e-15)
    }
}
