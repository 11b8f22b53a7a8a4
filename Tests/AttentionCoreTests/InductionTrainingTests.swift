// Training end to end: an attention-only transformer learns what the literature says it
// learns. Data: the induction task (L random tokens, then the same L again).

@testable import AttentionCore
import Testing

/// A GPT without FFNs, as induction-head studies use.
func attentionOnlyGPT(vocab: Int, dModel: Int, heads: Int, layers: Int, context: Int, seed: UInt64) throws -> GPTModel {
    try gpt(vocab: vocab, dModel: dModel, heads: heads, layers: layers, context: context, seed: seed, mlp: false)
}

func inductionData(count: Int, length: Int, vocab: Int, seed: UInt64) -> [[Int]] {
    var generator = SeededGenerator(seed: seed)
    return (0..<count).map { _ in
        let half = (0..<length).map { _ in Int(generator.nextUniform() * Double(vocab)) }
        return half + half
    }
}

@Suite struct InductionTrainingTests {
    @Test func aTwoLayerAttentionOnlyModelDevelopsAnInductionHead() throws {
        let (vocab, length) = (16, 8)
        let model = try attentionOnlyGPT(vocab: vocab, dModel: 32, heads: 2, layers: 2, context: 2 * length, seed: 0)
        let data = inductionData(count: 2048, length: length, vocab: vocab, seed: 1)
        let clock = ContinuousClock()
        let start = clock.now
        let options = TrainingOptions(steps: 150, batch: 16, lr: 1e-2, seed: 2, schedule: .warmupCosine(warmup: 20, minimum: 1e-3))
        let trained = try train(model, data: .sequences(data), options: options) { _ in true }
        print("trained in", clock.now - start, "first loss", trained.losses.first!, "last", trained.losses.last!)
        let held = inductionData(count: 50, length: length, vocab: vocab, seed: 99)
        var score = 0.0, count = 0
        var firstHalf = 0.0, secondHalf = 0.0
        for s in held {
            let maps = try trained.model.attentionMaps(ids: Array(s.dropLast()))
            for t in length..<(2 * length - 1) {
                score += maps.flatMap { $0 }.map { $0[t, t - length + 1] }.max()!
                count += 1
            }
            let tape = Tape()
            let logits = try tape.gptLogits(tape.variables(trained.model, differentiable: false), [Array(s.dropLast())])
            let lp = try logSoftmax(tape.value(logits))
            for t in 0..<(2 * length - 1) {
                if t < length - 1 { firstHalf -= lp[t, s[t + 1]] } else if t >= length { secondHalf -= lp[t, s[t + 1]] }
            }
        }
        score /= Double(count)
        firstHalf /= Double(held.count * (length - 1))
        secondHalf /= Double(held.count * (length - 1))
        print("induction score", score, "loss first half", firstHalf, "second half", secondHalf)
        // Measured: score 0.955, losses 2.84 (first half) and 0.118 (repeated half). The weight
        // comes from layer 0: with the repeat length fixed, "7 back" by position finds the token,
        // so this is not evidence of the content-matching two-layer circuit (see README).
        #expect(score > 0.9)
        #expect(secondHalf < 0.1 * firstHalf)
    }

    /// Sequences in which the next token repeats the one two back (x_{t+1} = x_{t−1}) 80% of
    /// the time and is random otherwise: the best guess at position t is the token at t − 1,
    /// exactly one position back (older positions agree less often), so a 1-layer model must
    /// learn a previous-token head.
    @Test func aOneLayerModelLearnsAPreviousTokenHead() throws {
        let vocab = 12, n = 12
        let model = try attentionOnlyGPT(vocab: vocab, dModel: 32, heads: 2, layers: 1, context: n, seed: 3)
        var generator = SeededGenerator(seed: 4)
        let data = (0..<1024).map { _ -> [Int] in
            var s = [Int(generator.nextUniform() * Double(vocab)), Int(generator.nextUniform() * Double(vocab))]
            while s.count <= n {
                let random = Int(generator.nextUniform() * Double(vocab))
                s.append(generator.nextUniform() < 0.8 ? s[s.count - 2] : random)
            }
            return s
        }
        let options = TrainingOptions(steps: 120, batch: 16, lr: 1e-2, seed: 5)
        let trained = try train(model, data: .sequences(data), options: options) { _ in true }
        var score = 0.0, count = 0
        for s in data.prefix(20) {
            let maps = try trained.model.attentionMaps(ids: Array(s.dropLast()))
            for t in 1..<n {
                score += maps[0].map { $0[t, t - 1] }.max()!
                count += 1
            }
        }
        score /= Double(count)
        print("previous-token score", score, "loss", trained.losses.first!, "→", trained.losses.last!)
        // Measured: score 0.985.
        #expect(score > 0.9)
        #expect(trained.losses.last! < 0.6 * trained.losses.first!)
    }
}
