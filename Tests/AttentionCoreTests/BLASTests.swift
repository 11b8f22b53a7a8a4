import CAttentionMath
import Foundation
import Testing

@testable import AttentionCore

/// The BLAS products against the pure-Swift reference loops.
///
/// Agreement is relative to the natural scale of a dot product's rounding error:
/// |C_BLAS − C_ref| ≤ 1e-12 · Σₚ |Aᵢₚ|·|Bₚⱼ| elementwise (a plain |C| would be meaningless
/// where terms cancel), and ‖C_BLAS − C_ref‖ ≤ 1e-12 · ‖C_ref‖ overall.
struct BLASProductTests {
    /// Shapes (r, k, c): empty, 1×1, below and above the BLAS threshold, and large enough
    /// to be split across cores.
    static let shapes: [(Int, Int, Int)] = [
        (0, 0, 0), (0, 3, 4), (3, 0, 4), (3, 4, 0), (1, 1, 1), (1, 7, 1), (7, 1, 9), (2, 3, 5), (16, 16, 16),
        (17, 31, 9), (64, 64, 64), (33, 129, 65), (1, 300, 1), (300, 1, 300), (5, 2000, 3), (257, 100, 130), (400, 96, 300),
    ]

    /// OpenBLAS loads on first use and the products fall back to the Swift loops without
    /// it; on a machine set up by the README it must load, or every agreement test below
    /// would compare the Swift loops with themselves.
    @Test func openBLASLoads() {
        #expect(BLASLibrary.isLoaded, "OpenBLAS did not load: \(BLASLibrary.loadError ?? "?")")
        #expect(BLASLibrary.loadError == nil)
        #expect(BLASLibrary.coreName != "unavailable")
    }

    /// The loader names OpenBLAS's kernel family from the CPU's features when the user did
    /// not (an older OpenBLAS falls back to SSE3 kernels on CPUs it does not know), and
    /// OpenBLAS uses the family named.
    @Test func openBLASUsesTheKernelsTheCPUCanRun() throws {
        #if arch(x86_64)
        #expect(BLASLibrary.isLoaded)
        let flags = try String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)
            .split(separator: "\n").first { $0.hasPrefix("flags") }.map { Set($0.split(separator: " ").map(String.init)) } ?? []
        guard flags.contains("avx2"), flags.contains("fma") else { return }
        let chosen = try #require(getenv("OPENBLAS_CORETYPE").map { String(cString: $0) }, "no core type named for an AVX2 CPU")
        #expect(BLASLibrary.coreName.lowercased() == chosen.lowercased())
        #expect(!["prescott", "core2", "nehalem", "sandybridge", "katmai", "atom"].contains(BLASLibrary.coreName.lowercased()))
        #endif
    }

    static func random(_ r: Int, _ c: Int, seed: UInt64) -> Matrix {
        var g = SeededGenerator(seed: seed)
        // Mixed magnitudes so cancellation and scaling both occur.
        return Matrix(rows: r, cols: c) { _, _ in g.nextGaussian() * Foundation.pow(10, Double(Int(g.next() % 7)) - 3) }
    }

    static func bound(_ a: Matrix, _ b: Matrix, transposed: Bool) -> Matrix {
        let absA = a.map(Swift.abs), absB = b.map(Swift.abs)
        return transposed ? MatrixProduct.referenceMultiplyTransposed(absA, absB) : MatrixProduct.referenceMultiply(absA, absB)
    }

    static func expectAgree(_ got: Matrix, _ want: Matrix, bound: Matrix, _ label: String) {
        #expect(got.rows == want.rows && got.cols == want.cols, "\(label): shape")
        guard got.rows == want.rows, got.cols == want.cols else { return }
        var worst = 0.0
        for (index, (g, w)) in zip(got.storage, want.storage).enumerated() {
            worst = Swift.max(worst, Swift.abs(g - w) / Swift.max(bound.storage[index], .leastNormalMagnitude))
        }
        #expect(worst <= 1e-12, "\(label): worst elementwise error \(worst) of the bound")
        let difference = zip(got.storage, want.storage).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }.squareRoot()
        #expect(difference <= 1e-12 * norm(want), "\(label): ‖Δ‖ = \(difference), ‖C‖ = \(norm(want))")
    }

    @Test(arguments: 0..<shapes.count)
    func productsAgreeWithReference(index: Int) {
        let (r, k, c) = Self.shapes[index]
        let a = Self.random(r, k, seed: UInt64(index)), b = Self.random(k, c, seed: 1000 + UInt64(index))
        let bt = Self.random(c, k, seed: 2000 + UInt64(index))
        Self.expectAgree(MatrixProduct.multiply(a, b), MatrixProduct.referenceMultiply(a, b), bound: Self.bound(a, b, transposed: false), "A·B \(r)×\(k)×\(c)")
        Self.expectAgree(
            MatrixProduct.multiplyTransposed(a, bt), MatrixProduct.referenceMultiplyTransposed(a, bt), bound: Self.bound(a, bt, transposed: true),
            "A·Bᵀ \(r)×\(k)×\(c)")
    }

    /// `cblas_dgemm` itself (not only above the threshold) against the Swift loop.
    @Test(arguments: 0..<shapes.count)
    func blasCallAgreesAtEverySize(index: Int) {
        let (r, k, c) = Self.shapes[index]
        guard r > 0, k > 0, c > 0 else { return }
        let a = Self.random(r, k, seed: 7 + UInt64(index)), b = Self.random(k, c, seed: 8 + UInt64(index))
        let bt = Self.random(c, k, seed: 9 + UInt64(index))
        for transposed in [false, true] {
            let rhs = transposed ? bt : b
            var out = [Double](repeating: .nan, count: r * c)
            a.storage.withUnsafeBufferPointer { pa in
                rhs.storage.withUnsafeBufferPointer { pb in
                    out.withUnsafeMutableBufferPointer { pc in
                        MatrixProduct.blasGemm(r, c, k, pa.baseAddress!, lda: k, pb.baseAddress!, ldb: transposed ? k : c, transposeB: transposed, pc.baseAddress!, ldc: c)
                    }
                }
            }
            let want = transposed ? MatrixProduct.referenceMultiplyTransposed(a, bt) : MatrixProduct.referenceMultiply(a, b)
            Self.expectAgree(Matrix(uncheckedRows: r, cols: c, storage: out), want, bound: Self.bound(a, rhs, transposed: transposed), "dgemm \(r)×\(k)×\(c) T=\(transposed)")
        }
    }

    /// Strided column blocks (what attention heads use) give the products of the copied blocks.
    @Test(arguments: [(5, 12, 3), (70, 64, 4), (130, 96, 8)])
    func stridedBlocksMatchCopies(n: Int, d: Int, heads: Int) throws {
        let q = Self.random(n, d, seed: 1), k = Self.random(n, d, seed: 2)
        let width = d / heads
        let qs = try splitHeads(q, heads: heads), ks = try splitHeads(k, heads: heads)
        for h in 0..<heads {
            var out = [Double](repeating: .nan, count: n * n)
            q.storage.withUnsafeBufferPointer { pq in
                k.storage.withUnsafeBufferPointer { pk in
                    out.withUnsafeMutableBufferPointer { po in
                        MatrixProduct.gemm(n, n, width, pq.baseAddress! + h * width, lda: d, pk.baseAddress! + h * width, ldb: d, transposeB: true, po.baseAddress!, ldc: n)
                    }
                }
            }
            Self.expectAgree(
                Matrix(uncheckedRows: n, cols: n, storage: out), MatrixProduct.referenceMultiplyTransposed(qs[h], ks[h]),
                bound: Self.bound(qs[h], ks[h], transposed: true), "head \(h)")
        }
    }

    /// IEEE special values propagate as in the reference loops: 0·inf = nan, inf − inf = nan,
    /// inf + finite = inf, nan anywhere in a dot product gives nan.
    @Test(arguments: [(1, 1, 1), (3, 4, 5), (20, 30, 40), (64, 80, 72)])
    func specialValuesPropagateLikeIEEE(r: Int, k: Int, c: Int) {
        var a = Self.random(r, k, seed: 11), b = Self.random(k, c, seed: 12)
        // Row 0 of A: a zero meeting an inf in B (0·inf); column 0 of B: a NaN; an inf in A
        // meeting finite and -inf entries.
        a[0, 0] = 0
        b[0, c - 1] = .infinity
        if r > 1 { a[r - 1, k - 1] = .infinity }
        if k > 1 && c > 1 { b[k - 1, c / 2] = -.infinity; b[1, 0] = .nan }
        if r > 2 { a[1, 0] = .infinity }
        for transposed in [false, true] {
            let rhs = transposed ? b.transposed : b
            var out = [Double](repeating: 0, count: r * c)
            a.storage.withUnsafeBufferPointer { pa in
                rhs.storage.withUnsafeBufferPointer { pb in
                    out.withUnsafeMutableBufferPointer { pc in
                        MatrixProduct.blasGemm(r, c, k, pa.baseAddress!, lda: k, pb.baseAddress!, ldb: transposed ? k : c, transposeB: transposed, pc.baseAddress!, ldc: c)
                    }
                }
            }
            let want = transposed ? MatrixProduct.referenceMultiplyTransposed(a, rhs) : MatrixProduct.referenceMultiply(a, b)
            for (index, (g, w)) in zip(out, want.storage).enumerated() {
                if w.isNaN {
                    #expect(g.isNaN, "element \(index): reference nan, BLAS \(g) (T=\(transposed))")
                } else if w.isInfinite {
                    #expect(g == w, "element \(index): reference \(w), BLAS \(g) (T=\(transposed))")
                } else {
                    #expect(g.isFinite && Swift.abs(g - w) <= 1e-12 * Swift.max(1, Swift.abs(w)), "element \(index): \(g) vs \(w)")
                }
            }
        }
        let zero = Matrix(scalar: 0), infinite = Matrix(scalar: .infinity)
        #expect(MatrixProduct.referenceMultiply(zero, infinite)[0, 0].isNaN)
    }
}

/// The fused attention path against the unfused formula built from reference parts:
/// softmax(Q·Kᵀ·c + mask)·V, c = 1/√d_k, with the reference products and `softmax`.
struct FusedAttentionTests {
    static func unfusedWeights(_ q: Matrix, _ k: Matrix, mask: Matrix?, scaled: Bool = true) throws -> Matrix {
        var scores = MatrixProduct.referenceMultiplyTransposed(q, k)
        if scaled && q.cols > 0 { scores = Matrix.scale(scores, by: 1 / Double(q.cols).squareRoot()) }
        if let mask { scores = try Matrix.add(scores, mask) }
        return try softmax(scores)
    }

    static func unfusedMultiHead(_ x: Matrix, _ w: [Matrix], heads: Int, mask: Matrix?) throws -> Matrix {
        let q = MatrixProduct.referenceMultiply(x, w[0]), k = MatrixProduct.referenceMultiply(x, w[1]), v = MatrixProduct.referenceMultiply(x, w[2])
        let qs = try splitHeads(q, heads: heads), ks = try splitHeads(k, heads: heads), vs = try splitHeads(v, heads: heads)
        let outs = try (0..<heads).map { MatrixProduct.referenceMultiply(try unfusedWeights(qs[$0], ks[$0], mask: mask), vs[$0]) }
        return MatrixProduct.referenceMultiply(try hcat(outs), w[3])
    }

    static func expectClose(_ got: Matrix, _ want: Matrix, _ label: String) {
        #expect(got.rows == want.rows && got.cols == want.cols, "\(label): shape \(got.shapeDescription) vs \(want.shapeDescription)")
        var worst = 0.0
        for (g, w) in zip(got.storage, want.storage) {
            if g.isNaN || w.isNaN { #expect(g.isNaN && w.isNaN, "\(label): \(g) vs \(w)"); continue }
            worst = Swift.max(worst, Swift.abs(g - w) / Swift.max(1, Swift.abs(w)))
        }
        #expect(worst <= 1e-12, "\(label): worst relative difference \(worst)")
    }

    /// A general additive mask: finite offsets, some −inf, one fully masked row.
    static func generalMask(_ n: Int, _ m: Int, seed: UInt64) -> Matrix {
        var g = SeededGenerator(seed: seed)
        var mask = Matrix(rows: n, cols: m) { _, _ in g.next() % 4 == 0 ? -.infinity : g.nextGaussian() }
        if n > 1 { for j in 0..<m { mask[n / 2, j] = -.infinity } }
        return mask
    }

    @Test(arguments: [(1, 1, 1), (2, 4, 2), (8, 16, 2), (63, 32, 4), (65, 48, 3), (130, 64, 8), (200, 40, 5)])
    func multiHeadMatchesUnfused(n: Int, d: Int, heads: Int) throws {
        let x = try randn(n, d, seed: 3)
        let w = try (0..<4).map { try Matrix.scale(randn(d, d, seed: 20 + UInt64($0)), by: 1 / Double(d).squareRoot()) }
        let masks: [(String, Matrix?)] = [
            ("none", nil), ("causal", try causalMask(n)), ("general", Self.generalMask(n, n, seed: 5)),
            ("row", Self.generalMask(1, n, seed: 6).map { $0 == -.infinity ? 0 : $0 }),
        ]
        for (label, mask) in masks {
            Self.expectClose(try multiHead(x, w[0], w[1], w[2], w[3], heads: heads, mask: mask), try Self.unfusedMultiHead(x, w, heads: heads, mask: mask), "multiHead \(label)")
            let weights = try multiHeadWeights(x, w[0], w[1], heads: heads, mask: mask)
            let qs = try splitHeads(MatrixProduct.referenceMultiply(x, w[0]), heads: heads)
            let ks = try splitHeads(MatrixProduct.referenceMultiply(x, w[1]), heads: heads)
            for h in 0..<heads { Self.expectClose(weights[h], try Self.unfusedWeights(qs[h], ks[h], mask: mask), "weights \(label) head \(h)") }
        }
    }

    @Test(arguments: [(1, 1, 1, 1), (3, 5, 4, 2), (70, 90, 16, 8), (129, 64, 33, 7), (0, 4, 3, 2), (4, 0, 3, 2), (3, 4, 0, 2), (3, 4, 2, 0)])
    func attentionMatchesUnfused(n: Int, m: Int, dk: Int, dv: Int) throws {
        let q = try randn(n, dk, seed: 1), k = try randn(m, dk, seed: 2), v = try randn(m, dv, seed: 3)
        var masks: [(String, Matrix?)] = [("none", nil), ("general", Self.generalMask(n, m, seed: 4)), ("column", Self.generalMask(n, 1, seed: 9))]
        if n == m { masks.append(("causal", try causalMask(n))) }
        for (label, mask) in masks {
            for scaled in [true, false] {
                Self.expectClose(try attentionWeights(q, k, mask: mask, scaled: scaled), try Self.unfusedWeights(q, k, mask: mask, scaled: scaled), "weights \(label) scaled=\(scaled)")
            }
            let want = MatrixProduct.referenceMultiply(try Self.unfusedWeights(q, k, mask: mask), v)
            Self.expectClose(try attention(q, k, v, mask: mask), want, "attention \(label)")
        }
    }

    @Test func causalMaskIsRecognisedByItsEntries() throws {
        let n = 5
        #expect(FusedAttention.isCausal(try causalMask(n)))
        let byHand = Matrix(rows: n, cols: n) { i, j in j > i ? -.infinity : -0.0 }
        #expect(FusedAttention.isCausal(byHand))
        var almost = try causalMask(n)
        almost[3, 1] = -1
        #expect(!FusedAttention.isCausal(almost))
        almost = try causalMask(n)
        almost[1, 3] = -1e300
        #expect(!FusedAttention.isCausal(almost))
        // Both take correct paths.
        let q = try randn(n, 4, seed: 1), k = try randn(n, 4, seed: 2)
        Self.expectClose(try attentionWeights(q, k, mask: almost), try Self.unfusedWeights(q, k, mask: almost), "almost causal")
        Self.expectClose(try attentionWeights(q, k, mask: byHand), try Self.unfusedWeights(q, k, mask: byHand), "causal by hand")
    }

    /// Causal masking leaks nothing, bitwise, across row blocks and the parallel split.
    @Test(arguments: [(150, 32, 4), (300, 64, 8)])
    func causalLeaksNothingAtScale(n: Int, d: Int, heads: Int) throws {
        let x = try randn(n, d, seed: 1)
        let w = try (0..<4).map { try randn(d, d, seed: 40 + UInt64($0)) }
        let mask = try causalMask(n)
        let before = try multiHead(x, w[0], w[1], w[2], w[3], heads: heads, mask: mask)
        for changed in [1, 63, 64, 65, n / 2, n - 1] {
            var y = x
            for j in 0..<d { y[changed, j] = y[changed, j] * -3 + 7 }
            let after = try multiHead(y, w[0], w[1], w[2], w[3], heads: heads, mask: mask)
            for i in 0..<changed { #expect(Array(before.row(i)) == Array(after.row(i)), "row \(i) changed when token \(changed) did") }
            #expect(Array(before.row(changed)) != Array(after.row(changed)))
        }
    }

    @Test func nonFiniteScoresBehaveAsTheUnfusedFormula() throws {
        var q = try randn(4, 3, seed: 1)
        let k = try randn(4, 3, seed: 2), v = try randn(4, 2, seed: 3)
        q[1, 0] = .nan
        q[2, 1] = .infinity
        for mask in [nil, Self.generalMask(4, 4, seed: 1)] {
            Self.expectClose(try attentionWeights(q, k, mask: mask), try Self.unfusedWeights(q, k, mask: mask), "weights")
            Self.expectClose(try attention(q, k, v, mask: mask), MatrixProduct.referenceMultiply(try Self.unfusedWeights(q, k, mask: mask), v), "attention")
        }
    }
}

/// The vector kernels of the softmax pass against libm.
struct VectorKernelTests {
    @Test func expMatchesLibm() {
        var values: [Double] = [0, -0.0, 1e-300, -1e-300, 0.5, -0.5, 1, -1, 700, 709, 709.7, 710, -700, -708, -708.5, -740, -745.2, -746, -1000, .infinity, -.infinity, .nan]
        var g = SeededGenerator(seed: 1)
        for _ in 0..<20_000 { values.append((g.nextUniform() - 0.8) * 1500) }
        for _ in 0..<5_000 { values.append((g.nextUniform() - 0.5) * 2) }
        for count in [0, 1, 7, 8, 9, 17, values.count] {
            var got = Array(values.prefix(count))
            let sum = got.withUnsafeMutableBufferPointer { attention_exp_shift_scale_sum($0.baseAddress, count, 0, 1) }
            var total = 0.0
            for (x, e) in zip(values.prefix(count), got) {
                let want = Foundation.exp(x)
                total += want
                if want.isNaN {
                    #expect(e.isNaN)
                } else if want == 0 || want.isInfinite || want < Double.leastNormalMagnitude {
                    #expect(e == want || Swift.abs(e - want) <= 4 * Double.leastNonzeroMagnitude, "exp(\(x)) = \(want), got \(e)")
                } else {
                    #expect(Swift.abs(e - want) <= 1e-15 * want, "exp(\(x)) = \(want), got \(e)")
                }
            }
            #expect(sum.isNaN == total.isNaN)
            if total.isFinite { #expect(Swift.abs(sum - total) <= 1e-13 * total) }
        }
        // Shift and factor: exp((x − s)·f).
        var row: [Double] = (0..<21).map { Double($0) }
        _ = row.withUnsafeMutableBufferPointer { attention_exp_shift_scale_sum($0.baseAddress, 21, 20, 0.125) }
        for (j, e) in row.enumerated() { #expect(Swift.abs(e - Foundation.exp((Double(j) - 20) * 0.125)) <= 1e-15) }
    }

    @Test func maxIgnoresNaN() {
        let cases: [([Double], Double)] = [
            ([], -.infinity), ([.nan], -.infinity), ([-.infinity, .nan], -.infinity), ([1, .nan, 3, 2], 3),
            ((0..<19).map { Double($0 % 7) } + [.nan, 9, .nan], 9), ([-5, -3, -4, -6, -7, -8, -9, -10, -11], -3),
        ]
        for (values, want) in cases {
            #expect(values.withUnsafeBufferPointer { attention_max($0.baseAddress, values.count) } == want, "\(values)")
        }
    }
}
