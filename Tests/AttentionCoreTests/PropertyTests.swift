import Foundation
import Testing

@testable import AttentionCore

/// Properties the lessons rely on, checked over several seeds and shapes.
struct AttentionPropertyTests {
    static let shapes: [(n: Int, d: Int, heads: Int)] = [(1, 1, 1), (3, 4, 2), (5, 8, 4), (8, 16, 8), (6, 12, 3)]

    @Test(arguments: 0..<5)
    func everyWeightRowSumsToOne(seed: Int) throws {
        let (n, d, heads) = Self.shapes[seed]
        let x = try randn(n, d, seed: UInt64(seed))
        let wq = try randn(d, d, seed: 100 + UInt64(seed)), wk = try randn(d, d, seed: 200 + UInt64(seed))
        var matrices = [try rawAttentionWeights(x), try attentionWeights(x, x), try attentionWeights(x, x, mask: try causalMask(n))]
        matrices += try multiHeadWeights(x, wq, wk, heads: heads)
        matrices += try multiHeadWeights(x, wq, wk, heads: heads, mask: try causalMask(n))
        for w in matrices {
            for i in 0..<w.rows {
                #expect(abs(w.row(i).reduce(0, +) - 1) <= 1e-12)
                #expect(w.row(i).allSatisfy { $0 >= 0 && $0 <= 1 })
            }
        }
    }

    @Test(arguments: 0..<5)
    func causalMaskingLeaksNothing(seed: Int) throws {
        let (n, d, heads) = Self.shapes[seed]
        guard n > 1 else { return }
        let x = try randn(n, d, seed: UInt64(seed))
        let w = (0..<4).map { try! randn(d, d, seed: 10 * UInt64(seed) + UInt64($0)) }
        let mask = try causalMask(n)
        for changed in 1..<n {
            var y = x
            for j in 0..<d { y[changed, j] = y[changed, j] * -3 + 7 }
            let before = try multiHead(x, w[0], w[1], w[2], w[3], heads: heads, mask: mask)
            let after = try multiHead(y, w[0], w[1], w[2], w[3], heads: heads, mask: mask)
            for i in 0..<changed { #expect(Array(before.row(i)) == Array(after.row(i)), "row \(i) changed when token \(changed) did") }
            // And without the mask, earlier rows do see the change.
            let unmaskedBefore = try multiHead(x, w[0], w[1], w[2], w[3], heads: heads)
            let unmaskedAfter = try multiHead(y, w[0], w[1], w[2], w[3], heads: heads)
            #expect(Array(unmaskedBefore.row(0)) != Array(unmaskedAfter.row(0)))
        }
    }

    @Test(arguments: 0..<5)
    func permutationEquivarianceWithoutPositions(seed: Int) throws {
        let (n, d, heads) = Self.shapes[seed]
        let x = try randn(n, d, seed: UInt64(seed))
        let w = (0..<4).map { try! randn(d, d, seed: 50 + UInt64($0)) }
        let permutation = Array((0..<n).reversed())
        let permuted = try x.select(rows: permutation, cols: Array(0..<d))
        let out = try multiHead(x, w[0], w[1], w[2], w[3], heads: heads)
        let outPermuted = try multiHead(permuted, w[0], w[1], w[2], w[3], heads: heads)
        let expected = try out.select(rows: permutation, cols: Array(0..<d))
        for (a, b) in zip(outPermuted.storage, expected.storage) { #expect(abs(a - b) <= 1e-12 * max(1, abs(b))) }
    }

    @Test(arguments: 0..<5)
    func oneHeadWithIdentityOutputIsSingleHead(seed: Int) throws {
        let (n, d, _) = Self.shapes[seed]
        let x = try randn(n, d, seed: UInt64(seed))
        let wq = try randn(d, d, seed: 1), wk = try randn(d, d, seed: 2), wv = try randn(d, d, seed: 3)
        let multi = try multiHead(x, wq, wk, wv, try eye(d), heads: 1)
        let single = try singleHead(x, wq, wk, wv)
        for (a, b) in zip(multi.storage, single.storage) { #expect(abs(a - b) <= 1e-12 * max(1, abs(b))) }
    }

    @Test func fullyMaskedRowIsZeroNotNaN() throws {
        let q = try randn(3, 4, seed: 1), k = try randn(3, 4, seed: 2), v = try randn(3, 4, seed: 3)
        var mask = try zeros(3, 3)
        for j in 0..<3 { mask[1, j] = -.infinity }
        let w = try attentionWeights(q, k, mask: mask)
        #expect(Array(w.row(1)) == [0, 0, 0])
        let out = try attention(q, k, v, mask: mask)
        #expect(Array(out.row(1)) == [0, 0, 0, 0])
        #expect(!out.storage.contains { $0.isNaN })
    }

    @Test func causalMaskIsZeroOnAndBelowDiagonal() throws {
        let m = try causalMask(3)
        #expect(m.storage == [0, -.infinity, -.infinity, 0, 0, -.infinity, 0, 0, 0])
        let w = try attentionWeights(try randn(3, 2, seed: 4), try randn(3, 2, seed: 5), mask: m)
        #expect(w[0, 1] == 0 && w[0, 2] == 0 && w[1, 2] == 0)
    }

    @Test func softmaxIsStableForHugeScores() throws {
        let m = try Matrix([[1000, 1001, 1002], [-1000, -1000, -1000]])
        let s = try softmax(m)
        #expect(!s.storage.contains { !$0.isFinite })
        #expect(abs(s[1, 0] - 1.0 / 3) < 1e-15)
        let t = try softmax(try Matrix([[1, 2, 3]]), temperature: 1e-3)
        #expect(t[0, 2] == 1)
        #expect(throws: CoreError.self) { try softmax(m, temperature: 0) }
    }

    @Test func ropePreservesNormsAndDependsOnRelativePosition() throws {
        let v = try randn(1, 8, seed: 9)
        let x = try vcat(Array(repeating: v, count: 6))
        let r = try rope(x)
        for i in 0..<6 { #expect(abs(norm(try r.select(rows: [i], cols: Array(0..<8))) - norm(v)) < 1e-12) }
        let dot = { (i: Int, j: Int) in zip(r.row(i), r.row(j)).reduce(0) { $0 + $1.0 * $1.1 } }
        #expect(abs(dot(0, 2) - dot(3, 5)) < 1e-12)
    }
}

struct ModelTests {
    @Test func gpt2SmallParameterFormula() {
        #expect(gptParameterFormula(vocab: 50257, dModel: 768, layers: 12, context: 1024) == 124_439_808)
    }

    @Test(arguments: [(11, 8, 2, 2, 6), (5, 4, 1, 1, 3), (17, 12, 3, 3, 9), (7, 16, 4, 0, 4)])
    func builtModelCountMatchesFormula(vocab: Int, d: Int, heads: Int, layers: Int, context: Int) throws {
        let model = try gpt(vocab: vocab, dModel: d, heads: heads, layers: layers, context: context, seed: 3)
        #expect(paramCount(model) == gptParameterFormula(vocab: vocab, dModel: d, layers: layers, context: context))
    }

    @Test func blockParameterSplitIsTwoThirdsFFN() throws {
        let block = try initBlock(dModel: 64, heads: 4, seed: 1)
        #expect(paramCount(block) == 12 * 64 * 64 + 13 * 64)
        let ffnCount = block.W1.count + block.b1.count + block.W2.count + block.b2.count
        #expect(ffnCount == 8 * 64 * 64 + 5 * 64)
    }

    @Test func forwardShapesAndGeneration() throws {
        let model = try gpt(vocab: 13, dModel: 8, heads: 2, layers: 2, context: 4, seed: 7)
        let logits = try model.forward(ids: [1, 2, 3])
        #expect(logits.rows == 3 && logits.cols == 13)
        let greedy = try model.generate(ids: [1, 2], steps: 6, temperature: 0, seed: 0)
        #expect(greedy.count == 8 && Array(greedy.prefix(2)) == [1, 2])
        #expect(try model.generate(ids: [1, 2], steps: 6, temperature: 0, seed: 99) == greedy)
        let sampled = try model.generate(ids: [1, 2], steps: 6, temperature: 1, seed: 5)
        #expect(try model.generate(ids: [1, 2], steps: 6, temperature: 1, seed: 5) == sampled)
        #expect(sampled.allSatisfy { (0..<13).contains($0) })
        #expect(throws: CoreError.self) { try model.forward(ids: [1, 2, 3, 4, 5]) }
        #expect(throws: CoreError.self) { try model.forward(ids: [13]) }
    }

    @Test func causalModelOutputsDoNotSeeTheFuture() throws {
        let model = try gpt(vocab: 10, dModel: 8, heads: 2, layers: 2, context: 5, seed: 1)
        let a = try model.forward(ids: [1, 2, 3, 4]), b = try model.forward(ids: [1, 2, 3, 9])
        for i in 0..<3 { #expect(Array(a.row(i)) == Array(b.row(i))) }
        #expect(Array(a.row(3)) != Array(b.row(3)))
    }
}

struct GeneratorTests {
    /// The generator's algorithm is a contract (graded exercises depend on it): these bits
    /// must never change.
    @Test func randnIsPinned() throws {
        let a = try randn(2, 2, seed: 1)
        let b = try randn(2, 2, seed: 1)
        #expect(a == b)
        #expect(try randn(2, 2, seed: 2) != a)
        var g = SeededGenerator(seed: 0)
        #expect(g.next() == 0x99EC_5F36_CB75_F2B4)
    }

    @Test func uniformIsInUnitInterval() throws {
        let u = try rand(100, 100, seed: 3)
        #expect(u.storage.allSatisfy { $0 >= 0 && $0 < 1 })
        let mean = u.storage.reduce(0, +) / Double(u.count)
        #expect(abs(mean - 0.5) < 0.01)
        let n = try randn(100, 100, seed: 3)
        let nMean = n.storage.reduce(0, +) / Double(n.count)
        let variance = n.storage.reduce(0) { $0 + ($1 - nMean) * ($1 - nMean) } / Double(n.count)
        #expect(abs(nMean) < 0.03 && abs(variance - 1) < 0.05)
    }

    @Test func embeddingsDependOnTokenText() throws {
        let e = try embed(["the", "cat", "the"], dim: 4, seed: 1)
        #expect(Array(e.row(0)) == Array(e.row(2)))
        #expect(Array(e.row(0)) != Array(e.row(1)))
        #expect(try embed(["cat"], dim: 4, seed: 1).storage == Array(e.row(1)))
        #expect(try embed(["cat"], dim: 4, seed: 2).storage != Array(e.row(1)))
    }
}

struct ArithmeticTests {
    @Test func broadcastingRules() throws {
        let a = try Matrix([[1, 2, 3], [4, 5, 6]])
        #expect(try Matrix.add(a, try Matrix([[10, 20, 30]])).storage == [11, 22, 33, 14, 25, 36])
        #expect(try Matrix.add(a, try Matrix([[10], [20]])).storage == [11, 12, 13, 24, 25, 26])
        #expect(try Matrix.multiply(a, Matrix(scalar: 2)).storage == [2, 4, 6, 8, 10, 12])
        #expect(throws: CoreError.self) { try Matrix.add(a, try Matrix([[1, 2]])) }
        #expect(try Matrix.divide(Matrix(scalar: 1), Matrix(scalar: 0)).storage == [.infinity])
    }

    /// The language's rule, enforced by the library itself: a 1×C row with an R×1 column is no
    /// outer sum (NumPy would make one), whichever side each is on and whatever the operation.
    @Test func rowWithColumnDoesNotBroadcast() throws {
        let row = try Matrix([[1, 2, 3]]), column = try Matrix([[10], [20]])
        #expect(Matrix.broadcastShape(row, column) == nil)
        #expect(Matrix.broadcastShape(column, row) == nil)
        #expect(throws: CoreError.self) { try Matrix.add(row, column) }
        #expect(throws: CoreError.self) { try Matrix.add(column, row) }
        #expect(throws: CoreError.self) { try elementwise(.multiply, row, column) }
        // What the language allows still broadcasts: a 1×1 with anything, a row or a column
        // with a matrix of its width or height, and empty matrices keep their zero axis.
        #expect(Matrix.broadcastShape(Matrix(scalar: 2), row)! == (1, 3))
        #expect(Matrix.broadcastShape(column, Matrix(rows: 2, cols: 4, repeating: 0))! == (2, 4))
        #expect(Matrix.broadcastShape(Matrix(rows: 0, cols: 3, repeating: 0), row)! == (0, 3))
    }

    @Test func productAndHint() throws {
        let q = try randn(3, 4, seed: 1), k = try randn(5, 4, seed: 2)
        do {
            _ = try matmul(q, k)
            Issue.record("expected a shape error")
        } catch {
            #expect(error.message.contains("3×4") && error.message.contains("5×4") && error.message.contains(".T"))
        }
        let s = try matmul(q, k.transposed)
        let direct = MatrixProduct.multiplyTransposed(q, k)
        for (a, b) in zip(s.storage, direct.storage) { #expect(abs(a - b) <= 1e-12 * max(1, abs(b))) }
        #expect(try matmul(try zeros(2, 0), try zeros(0, 3)) == (try zeros(2, 3)))
    }

    @Test func reductions() throws {
        let a = try Matrix([[1, 5, 3], [4, 2, 6]])
        #expect(try reduce(a, .sum, axis: nil).storage == [21])
        #expect(try reduce(a, .max, axis: 0).storage == [4, 5, 6])
        #expect(try reduce(a, .argmax, axis: 1).storage == [1, 2])
        #expect(try reduce(a, .argmax, axis: nil).storage == [5])
        #expect(try reduce(a, .mean, axis: 1).storage == [3, 4])
        #expect(throws: CoreError.self) { try reduce(a, .sum, axis: 2) }
        #expect(throws: CoreError.self) { try reduce(try zeros(0, 0), .max, axis: nil) }
    }

    @Test func headsSplitAndJoin() throws {
        let m = try Matrix([[1, 2, 3, 4], [5, 6, 7, 8]])
        let parts = try splitHeads(m, heads: 2)
        #expect(parts[0].storage == [1, 2, 5, 6] && parts[1].storage == [3, 4, 7, 8])
        #expect(try concatHeads(parts) == m)
        #expect(throws: CoreError.self) { try splitHeads(m, heads: 3) }
    }

    @Test func hugeSizesThrowInsteadOfTrapping() {
        #expect(throws: CoreError.self) { try zeros(Int.max, 2) }
        #expect(throws: CoreError.self) { try randn(-1, 2, seed: 0) }
        #expect(throws: CoreError.self) { try causalMask(Int.max) }
    }
}

@Suite struct ExploreMapTests {
    /// attentionMap at T = 1 with the causal mask is attentionMaps' entry; without the mask
    /// rows still sum to 1 and later positions get weight; a lower temperature sharpens.
    @Test func attentionMapMatchesAttentionMaps() throws {
        let model = try gpt(vocab: 7, dModel: 8, heads: 2, layers: 2, context: 8, seed: 5, mlp: true)
        let ids = [1, 4, 2, 6, 0]
        let maps = try model.attentionMaps(ids: ids)
        for layer in 0..<2 {
            for head in 0..<2 {
                let m = try model.attentionMap(ids: ids, layer: layer, head: head, temperature: 1, causal: true)
                #expect(m == maps[layer][head])
                let open = try model.attentionMap(ids: ids, layer: layer, head: head, temperature: 1, causal: false)
                #expect(open[0, 4] > 0)
                for i in 0..<5 { #expect(abs((0..<5).map { open[i, $0] }.reduce(0, +) - 1) < 1e-12) }
                let sharp = try model.attentionMap(ids: ids, layer: layer, head: head, temperature: 0.01, causal: false)
                #expect((0..<5).map { sharp[2, $0] }.max()! > (0..<5).map { open[2, $0] }.max()!)
            }
        }
        #expect(throws: CoreError.self) { try model.attentionMap(ids: ids, layer: 2, head: 0, temperature: 1, causal: true) }
        #expect(throws: CoreError.self) { try model.attentionMap(ids: ids, layer: 0, head: 0, temperature: 0, causal: true) }
    }
}
