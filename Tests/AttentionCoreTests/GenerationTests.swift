import Testing

@testable import AttentionCore

/// The key/value cache gives what the recomputation gives, and the work it reports.
struct GenerationTests {
    static func relativeDifference(_ a: [Double], _ b: [Double]) -> Double {
        let scale = max(b.map(abs).max() ?? 0, 1e-300)
        return zip(a, b).map { abs($0 - $1) }.max().map { $0 / scale } ?? 0
    }

    /// Every cached step's logits match forward's last row to 1e-12 relative, with and without FFN.
    @Test(arguments: [true, false])
    func cachedLogitsMatchForward(mlp: Bool) throws {
        let model = try gpt(vocab: 11, dModel: 16, heads: 4, layers: 3, context: 12, seed: 5, mlp: mlp)
        let ids = [3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8]
        for n in 1...ids.count {
            let prefix = Array(ids.prefix(n))
            let full = try model.forward(ids: prefix)
            let last = Array(full.storage[((n - 1) * full.cols)...])
            let cached = try model.cachedLastLogits(ids: prefix)
            #expect(cached.count == 11)
            #expect(Self.relativeDifference(cached, last) <= 1e-12, "n = \(n)")
        }
    }

    /// Greedy and sampled generation give the same ids as a forward pass per step, also
    /// once the window slides past the context (steps well beyond it).
    @Test(arguments: [(0.0, UInt64(0)), (1.0, UInt64(7)), (0.7, UInt64(3))])
    func generationEqualsRecomputation(temperature: Double, seed: UInt64) throws {
        for mlp in [true, false] {
            let model = try gpt(vocab: 9, dModel: 8, heads: 2, layers: 2, context: 6, seed: 2, mlp: mlp)
            let cached = try model.generate(ids: [1, 2], steps: 20, temperature: temperature, seed: seed)
            let reference = try model.generateRecomputing(ids: [1, 2], steps: 20, temperature: temperature, seed: seed)
            #expect(cached == reference)
            #expect(cached.count == 22)
        }
    }

    /// A prompt longer than the context starts from its last `context` ids, as before.
    @Test func longPromptIsCropped() throws {
        let model = try gpt(vocab: 9, dModel: 8, heads: 2, layers: 1, context: 4, seed: 1)
        let prompt = [1, 2, 3, 4, 5, 6, 7]
        #expect(try model.generate(ids: prompt, steps: 5, temperature: 0, seed: 0)
                == model.generateRecomputing(ids: prompt, steps: 5, temperature: 0, seed: 0))
    }

    /// The work of a fully cached generation is far below a forward pass per step, and
    /// past the context it is a forward pass per step again (minus the unused logits).
    @Test func workCountsWhatIsComputed() throws {
        let model = try gpt(vocab: 65, dModel: 32, heads: 4, layers: 2, context: 64, seed: 0)
        let d = 32.0
        let cached = model.generationWork(promptCount: 1, steps: 10)
        // Step 0: forward over 1 token; steps 1..<10 at lengths 2...10.
        var expected = model.forwardWork(count: 1)
        for length in 2...10 { expected += 2 * (12 * d * d + 2 * Double(length) * d) + d * 65 }
        #expect(cached == expected)
        let sliding = model.generationWork(promptCount: 64, steps: 3)
        #expect(sliding == 3 * (model.forwardWork(count: 64) - 63 * d * 65))
        #expect(model.generationWork(promptCount: 1, steps: 63) < 0.1 * 63 * model.forwardWork(count: 64))
    }

    @Test func errorsAreValues() throws {
        let model = try gpt(vocab: 5, dModel: 4, heads: 2, layers: 1, context: 3, seed: 0)
        #expect(throws: CoreError.self) { try model.generate(ids: [], steps: 2, temperature: 0, seed: 0) }
        #expect(throws: CoreError.self) { try model.generate(ids: [7], steps: 2, temperature: 0, seed: 0) }
        #expect(throws: CoreError.self) { try model.generate(ids: [1], steps: -1, temperature: 0, seed: 0) }
        #expect(try model.generate(ids: [1], steps: 0, temperature: 0, seed: 0) == [1])
    }
}

/// Attention-only models, maps and ablation.
struct AttentionOnlyModelTests {
    @Test func attentionOnlyBlocksHaveNoFFNAndTheFormulaCountsThem() throws {
        let model = try gpt(vocab: 10, dModel: 8, heads: 2, layers: 3, context: 5, seed: 0, mlp: false)
        #expect(!model.mlp && model.blocks.allSatisfy { !$0.hasMLP && $0.W1.count == 0 && $0.ln2Gamma.count == 0 })
        #expect(paramCount(model) == gptParameterFormula(vocab: 10, dModel: 8, layers: 3, context: 5, mlp: false))
        #expect(paramCount(model) == 10 * 8 + 5 * 8 + 3 * (4 * 64 + 6 * 8) + 2 * 8)
        let full = try gpt(vocab: 10, dModel: 8, heads: 2, layers: 3, context: 5, seed: 0)
        #expect(paramCount(full) == gptParameterFormula(vocab: 10, dModel: 8, layers: 3, context: 5))
        // The first block draws the same attention weights either way.
        #expect(model.blocks[0].Wq == full.blocks[0].Wq && model.blocks[0].Wo == full.blocks[0].Wo)
    }

    @Test func existingInitialisersStillBuildFullBlocks() throws {
        let block = try initBlock(dModel: 4, heads: 2, seed: 1)
        #expect(block.hasMLP && block.W1.rows == 4 && block.W1.cols == 16)
        let rebuilt = BlockParameters(
            Wq: block.Wq, Wk: block.Wk, Wv: block.Wv, Wo: block.Wo, bq: block.bq, bk: block.bk, bv: block.bv, bo: block.bo,
            W1: block.W1, b1: block.b1, W2: block.W2, b2: block.b2, ln1Gamma: block.ln1Gamma, ln1Beta: block.ln1Beta,
            ln2Gamma: block.ln2Gamma, ln2Beta: block.ln2Beta, heads: 2)
        #expect(rebuilt == block)
    }

    /// forward of the ablated model equals the forward computed with that head's output zeroed.
    @Test func ablationZeroesOneHeadsOutput() throws {
        let model = try gpt(vocab: 7, dModel: 8, heads: 2, layers: 1, context: 6, seed: 4, mlp: false)
        let ids = [1, 2, 3, 4]
        let ablated = try model.ablating(layer: 0, head: 0)
        let b = model.blocks[0]
        let x = try model.embed(ids)
        let h = try layerNorm(x, gamma: b.ln1Gamma, beta: b.ln1Beta)
        let q = try Matrix.add(try matmul(h, b.Wq), b.bq), k = try Matrix.add(try matmul(h, b.Wk), b.bk)
        let v = try Matrix.add(try matmul(h, b.Wv), b.bv)
        var concat = try multiHeadConcat(q, k, v, heads: 2, mask: try causalMask(4))
        for i in 0..<4 { for j in 0..<4 { concat[i, j] = 0 } }
        let y = try Matrix.add(x, try Matrix.add(try matmul(concat, b.Wo), b.bo))
        let logits = MatrixProduct.multiplyTransposed(try layerNorm(y, gamma: model.lnFGamma, beta: model.lnFBeta), model.wte)
        let got = try ablated.forward(ids: ids)
        #expect(GenerationTests.relativeDifference(got.storage, logits.storage) <= 1e-12)
        #expect(got != (try model.forward(ids: ids)))
        #expect(throws: CoreError.self) { try model.ablating(layer: 1, head: 0) }
        #expect(throws: CoreError.self) { try model.ablating(layer: 0, head: 2) }
    }

    @Test func attentionMapsAreCausalDistributions() throws {
        let model = try gpt(vocab: 7, dModel: 8, heads: 4, layers: 2, context: 6, seed: 4)
        let maps = try model.attentionMaps(ids: [1, 2, 3, 4, 5])
        #expect(maps.count == 2 && maps.allSatisfy { $0.count == 4 })
        for layer in maps {
            for w in layer {
                for i in 0..<5 {
                    #expect(abs(w.row(i).reduce(0, +) - 1) <= 1e-12)
                    for j in (i + 1)..<5 { #expect(w[i, j] == 0) }
                }
            }
        }
    }
}

/// Synthetic tasks and the toy language: exact layouts and reproducibility.
struct DataGenerationTests {
    @Test func layoutsAreAsDocumented() throws {
        for task in SequenceTask.allCases {
            let length = task == .periodic ? 12 : task == .recall ? 3 : 5  // periodic: periods 2…6 of 7 tokens; recall: 3 keys of 0..<3
            let a = try task.sequences(n: 20, length: length, vocab: 7, seed: 9)
            #expect(a == (try task.sequences(n: 20, length: length, vocab: 7, seed: 9)))
            #expect(a != (try task.sequences(n: 20, length: length, vocab: 7, seed: 10)))
            var periods: Set<Int> = []
            var reordered = 0  // recall sequences whose repeat is in another order
            for s in a {
                #expect(s.count == task.sequenceLength(length))
                #expect(s.allSatisfy { (0..<7).contains($0) })
                let x = Array(s.prefix(5))
                switch task {
                case .induction: #expect(Array(s[5...]) == x)
                case .copy: #expect(s[5] == 6 && Array(s[6...]) == x && !x.contains(6))
                case .reverse: #expect(s[5] == 6 && Array(s[6...]) == x.reversed())
                case .sort: #expect(s[5] == 6 && Array(s[6...]) == x.sorted())
                case .modadd: #expect(s[5] == 6 && s[6] == x.reduce(0, +) % 6 && !x.contains(6))
                case .periodic:
                    // p distinct tokens, then the same again and again: s[t] == s[t − p].
                    let p = (1..<s.count).first { s[$0] == s[0] } ?? 0
                    periods.insert(p)
                    #expect((2...6).contains(p))
                    #expect(Set(s.prefix(p)).count == p)
                    #expect((p..<s.count).allSatisfy { s[$0] == s[$0 - p] })
                case .recall:
                    // 3 pairs (distinct keys of 0..<3, values of 3..<7), then the same pairs reordered.
                    let pairs = stride(from: 0, to: 6, by: 2).map { [s[$0], s[$0 + 1]] }
                    let again = stride(from: 6, to: 12, by: 2).map { [s[$0], s[$0 + 1]] }
                    #expect(Set(pairs.map { $0[0] }).count == 3 && pairs.allSatisfy { $0[0] < 3 && $0[1] >= 3 })
                    #expect(again.sorted { $0[0] < $1[0] } == pairs.sorted { $0[0] < $1[0] })
                    if again != pairs { reordered += 1 }
                }
            }
            // The period varies, so no fixed offset finds the previous occurrence.
            if task == .periodic { #expect(periods.count >= 3) }
            // The repeat is shuffled: its order differs from the first half's in some sequences.
            if task == .recall { #expect(reordered > 0) }
        }
        #expect(throws: CoreError.self) { try SequenceTask.periodic.sequences(n: 1, length: 3, vocab: 5, seed: 0) }
        #expect(throws: CoreError.self) { try SequenceTask.periodic.sequences(n: 1, length: 8, vocab: 1, seed: 0) }
        // A vocabulary of 2 allows only the period 2.
        #expect(try SequenceTask.periodic.sequences(n: 5, length: 9, vocab: 2, seed: 0).allSatisfy { $0[0] != $0[1] && $0[2] == $0[0] })
        #expect(throws: CoreError.self) { try SequenceTask.induction.sequences(n: 1, length: 0, vocab: 5, seed: 0) }
        #expect(throws: CoreError.self) { try SequenceTask.recall.sequences(n: 1, length: 4, vocab: 7, seed: 0) }
        #expect(throws: CoreError.self) { try SequenceTask.copy.sequences(n: 1, length: 3, vocab: 1, seed: 0) }
    }

    @Test func toyLanguageReferentsAreNounsTheirPronounsAgreeWith() throws {
        let sentences = try ToyLanguage.sentences(n: 300, seed: 1)
        #expect(sentences == (try ToyLanguage.sentences(n: 300, seed: 1)))
        var kinds: Set<String> = []
        for s in sentences {
            kinds.insert(s.kind.rawValue)
            #expect(s.words.last == ".")
            let pronoun = s.words[s.pronoun], noun = s.words[s.referent]
            #expect(s.referent < s.pronoun)
            switch pronoun {
            case "he": #expect(ToyLanguage.he.contains(noun))
            case "she": #expect(ToyLanguage.she.contains(noun))
            case "it": #expect(ToyLanguage.animals.contains(noun) || ToyLanguage.things.contains(noun))
            default: Issue.record("\(pronoun) is not a pronoun")
            }
            // Exactly one pronoun per sentence, and it is unambiguous in agreement sentences.
            let nouns = s.words.enumerated().filter { (ToyLanguage.he + ToyLanguage.she + ToyLanguage.animals + ToyLanguage.things).contains($0.element) }
            #expect(nouns.count == 2)
            if s.kind == .agreement {
                let classOf: (String) -> String = { ToyLanguage.he.contains($0) ? "he" : ToyLanguage.she.contains($0) ? "she" : "it" }
                #expect(nouns.filter { classOf($0.element) == pronoun }.map(\.offset) == [s.referent])
            } else {
                let quality = s.words[s.words.count - 2]
                #expect(ToyLanguage.animals.contains(noun) == ToyLanguage.animalQualities.contains(quality))
            }
        }
        #expect(kinds == ["agreement", "meaning"])
    }

    @Test func vocabularyRoundTrips() throws {
        let v = Vocabulary(text: "the cat sat", level: .char)
        #expect(v.tokens == [" ", "a", "c", "e", "h", "s", "t"])
        #expect(try v.decode(try v.encode("cat", level: .char), level: .char) == "cat")
        #expect(throws: CoreError.self) { try v.encode("dog", level: .char) }
        let w = Vocabulary(text: "the cat\nsat  the", level: .word)
        #expect(w.tokens == ["cat", "sat", "the"])
        #expect(try w.encode("the sat", level: .word) == [2, 1])
        #expect(TokenLevel.inferred(from: w.tokens) == .word && TokenLevel.inferred(from: v.tokens) == .char)
    }
}
