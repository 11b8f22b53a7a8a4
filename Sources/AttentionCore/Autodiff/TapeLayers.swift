import CAttentionMath
import Glibc

// The fused layers of a transformer on the tape: each is one recorded operation with a
// hand-derived backward pass, which is both faster and more accurate than composing it
// from element-wise pieces.

extension Tape {
    /// softmax(A/T) along an axis. With y the output and g = ∂L/∂y, each row (column) gets
    /// ∂L/∂a = y ∘ (g − ⟨g, y⟩) / T. A fully masked row (all −inf) has y = 0 and gradient 0.
    public func softmax(_ a: Variable, axis: Int = 1, temperature: Double = 1) throws(CoreError) -> Variable {
        let out = try AttentionCore.softmax(value(a), axis: axis, temperature: temperature)
        return record(out, from: [a]) { g, grads in
            grads.add(a, Self.rowwiseBackward(out, g, axis: axis) { y, d in
                var dot = 0.0
                for j in d.indices { dot += d[j] * y[j] }
                for j in d.indices { d[j] = y[j] * (d[j] - dot) / temperature }
            })
        }
    }

    /// log softmax(A/T) along an axis: ∂L/∂a = (g − softmax(a/T)·Σg) / T per row (column).
    public func logSoftmax(_ a: Variable, axis: Int = 1, temperature: Double = 1) throws(CoreError) -> Variable {
        let out = try AttentionCore.logSoftmax(value(a), axis: axis, temperature: temperature)
        return record(out, from: [a]) { g, grads in
            grads.add(a, Self.rowwiseBackward(out, g, axis: axis) { y, d in
                var total = 0.0
                for j in d.indices { total += d[j] }
                for j in d.indices { d[j] = (d[j] - exp(y[j]) * total) / temperature }
            })
        }
    }

    /// The backward pass of a function applied along rows (axis 1) or columns (axis 0):
    /// `row(y, d)` turns one slice of the output y and of ∂L/∂y (in d) into ∂L/∂input, in place.
    private static func rowwiseBackward(
        _ out: Matrix, _ g: Matrix, axis: Int, _ row: (UnsafeBufferPointer<Double>, inout UnsafeMutableBufferPointer<Double>) -> Void
    ) -> Matrix {
        let (y, gy) = axis == 1 ? (out, g) : (out.transposed, g.transposed)
        var d = gy
        d.storage.withUnsafeMutableBufferPointer { db in
            y.storage.withUnsafeBufferPointer { yb in
                for i in 0..<y.rows {
                    let range = (i * y.cols)..<((i + 1) * y.cols)
                    var slice = UnsafeMutableBufferPointer(rebasing: db[range])
                    row(UnsafeBufferPointer(rebasing: yb[range]), &slice)
                }
            }
        }
        return axis == 1 ? d : d.transposed
    }

    /// Layer norm of each row, y = γ ∘ x̂ + β with x̂ = (x − μ)/√(σ² + ε). Backward, per row
    /// with s = 1/√(σ² + ε) and h = g ∘ γ: ∂x = s·(h − mean(h) − x̂·mean(h ∘ x̂));
    /// ∂γ = Σ_rows g ∘ x̂; ∂β = Σ_rows g. `gamma`/`beta` nil mean 1 and 0.
    public func layerNorm(_ x: Variable, gamma: Variable?, beta: Variable?, eps: Double = 1e-5) throws(CoreError) -> Variable {
        let input = value(x)
        let g = gamma.map(value), b = beta.map(value)
        let out = try AttentionCore.layerNorm(input, gamma: g, beta: b, eps: eps)
        let (n, d) = (input.rows, input.cols)
        // x̂ and s per row, kept for the backward pass.
        var normalized = input
        var inverse = [Double](repeating: 0, count: n)
        for i in 0..<n {
            let row = input.row(i)
            let mean = row.reduce(0, +) / Double(d)
            let variance = row.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(d)
            inverse[i] = 1 / (variance + eps).squareRoot()
            for j in 0..<d { normalized[i, j] = (input[i, j] - mean) * inverse[i] }
        }
        let operands = [x] + (gamma.map { [$0] } ?? []) + (beta.map { [$0] } ?? [])
        return record(out, from: operands) { grad, grads in
            if let gamma, grads.needs(gamma) {
                var dg = Matrix(rows: 1, cols: d, repeating: 0)
                for i in 0..<n { for j in 0..<d { dg[0, j] += grad[i, j] * normalized[i, j] } }
                grads.add(gamma, dg)
            }
            if let beta, grads.needs(beta) {
                var db = Matrix(rows: 1, cols: d, repeating: 0)
                for i in 0..<n { for j in 0..<d { db[0, j] += grad[i, j] } }
                grads.add(beta, db)
            }
            guard grads.needs(x) else { return }
            var dx = grad
            for i in 0..<n {
                var meanH = 0.0, meanHX = 0.0
                for j in 0..<d {
                    let h = grad[i, j] * (g?[0, j] ?? 1)
                    dx[i, j] = h
                    meanH += h
                    meanHX += h * normalized[i, j]
                }
                meanH /= Double(d)
                meanHX /= Double(d)
                for j in 0..<d { dx[i, j] = inverse[i] * (dx[i, j] - meanH - normalized[i, j] * meanHX) }
            }
            grads.add(x, dx)
        }
    }

    /// The mean cross-entropy of rows of logits against target ids (PyTorch's
    /// `F.cross_entropy`): L = −(1/n)·Σᵢ log softmax(zᵢ)[tᵢ]; ∂L/∂zᵢ = (softmax(zᵢ) − onehot(tᵢ))/n.
    public func crossEntropy(_ logits: Variable, targets: [Int]) throws(CoreError) -> Variable {
        let z = value(logits)
        guard targets.count == z.rows else {
            throw .invalidArgument("cross_entropy needs one target per row of logits: \(z.rows) rows, \(targets.count) targets")
        }
        guard z.rows > 0 else { throw .invalidArgument("cross_entropy needs at least one row of logits") }
        if let bad = targets.first(where: { $0 < 0 || $0 >= z.cols }) {
            throw .invalidArgument("target id \(bad) is outside 0..<\(z.cols), the logits' columns")
        }
        let logProbabilities = try AttentionCore.logSoftmax(z)
        var total = 0.0
        for (i, t) in targets.enumerated() { total -= logProbabilities[i, t] }
        let n = Double(z.rows)
        return record(Matrix(scalar: total / n), from: [logits]) { g, grads in
            let scale = g[0, 0] / n
            var d = logProbabilities.map { exp($0) * scale }
            for (i, t) in targets.enumerated() { d[i, t] -= scale }
            grads.add(logits, d)
        }
    }

    /// Scaled dot-product attention for several sequences and heads at once, in one
    /// recorded operation.
    ///
    /// `q` has `sequences`·Tq rows and `k`, `v` have `sequences`·Tk rows (sequence s owns a
    /// contiguous block of rows); head h uses column block h of q, k (width dₖ = q.cols/heads)
    /// and of v. For each sequence and head: S = Q·Kᵀ·c + mask (c = 1/√dₖ when `scaled`),
    /// P = softmax(S) row-wise, O = P·V, written into column block h of the output.
    ///
    /// Backward, with G = ∂L/∂O: ∂V = Pᵀ·G; ∂P = G·Vᵀ; ∂S = P ∘ (∂P − rowsum(∂P ∘ P));
    /// ∂Q = c·∂S·K; ∂K = c·∂Sᵀ·Q. Where the mask is −inf, P is exactly 0, so ∂S is exactly 0
    /// and no gradient reaches a masked (future) position.
    public func attention(
        _ q: Variable, _ k: Variable, _ v: Variable, sequences: Int = 1, heads: Int = 1, mask: Matrix? = nil, scaled: Bool = true
    ) throws(CoreError) -> Variable {
        let (Q, K, V) = (value(q), value(k), value(v))
        let plan = try FusedPlan(q: Q, k: K, v: V, sequences: sequences, heads: heads, mask: mask, scaled: scaled)
        var weights = [Double](repeating: 0, count: plan.weightCount)
        var out = Matrix(rows: Q.rows, cols: V.cols, repeating: 0)
        plan.forward(Q, K, V, mask: mask, weights: &weights, out: &out)
        return record(out, from: [q, k, v]) { g, grads in
            var dQ = Matrix(rows: Q.rows, cols: Q.cols, repeating: 0)
            var dK = Matrix(rows: K.rows, cols: K.cols, repeating: 0)
            var dV = Matrix(rows: V.rows, cols: V.cols, repeating: 0)
            plan.backward(Q, K, V, g, weights: weights, dQ: &dQ, dK: &dK, dV: &dV)
            grads.add(q, dQ)
            grads.add(k, dK)
            grads.add(v, dV)
        }
    }

    /// The attention weights P of `attention` (sequences·heads blocks of Tq×Tk, in order
    /// sequence-major), for inspection; not recorded.
    public static func attentionWeights(
        q: Matrix, k: Matrix, sequences: Int = 1, heads: Int = 1, mask: Matrix? = nil, scaled: Bool = true
    ) throws(CoreError) -> [Matrix] {
        let v = Matrix(rows: k.rows, cols: heads, repeating: 0)
        let plan = try FusedPlan(q: q, k: k, v: v, sequences: sequences, heads: heads, mask: mask, scaled: scaled)
        var weights = [Double](repeating: 0, count: plan.weightCount)
        var out = Matrix(rows: q.rows, cols: heads, repeating: 0)
        plan.forward(q, k, v, mask: mask, weights: &weights, out: &out)
        let size = plan.tq * plan.tk
        return (0..<(sequences * heads)).map { Matrix(uncheckedRows: plan.tq, cols: plan.tk, storage: Array(weights[($0 * size)..<(($0 + 1) * size)])) }
    }
}

/// The shapes of one batched, multi-head attention and the loops over its (sequence, head)
/// pairs. Each pair writes its own rows and columns of every output, so pairs run on any
/// worker in any order and the result is the same to the bit.
struct FusedPlan {
    let sequences, heads, tq, tk, dk, dv: Int
    let qCols, vCols: Int
    let scale: Double

    init(q: Matrix, k: Matrix, v: Matrix, sequences: Int, heads: Int, mask: Matrix?, scaled: Bool) throws(CoreError) {
        guard sequences >= 1, heads >= 1 else { throw .invalidArgument("attention needs at least one sequence and one head") }
        guard q.cols == k.cols else {
            throw .shapeMismatch(operation: "match queries against keys of", lhs: q.shapeDescription, rhs: k.shapeDescription, hint: "Q and K need the same number of columns")
        }
        guard k.rows == v.rows else {
            throw .shapeMismatch(operation: "weight the values of", lhs: k.shapeDescription, rhs: v.shapeDescription, hint: "K and V need the same number of rows")
        }
        guard q.rows % sequences == 0, k.rows % sequences == 0 else {
            throw .invalidArgument("\(q.rows) query rows cannot be split into \(sequences) sequences")
        }
        guard q.cols % heads == 0, v.cols % heads == 0 else {
            throw .invalidArgument("\(q.cols) columns cannot be split into \(heads) heads")
        }
        (self.sequences, self.heads) = (sequences, heads)
        (tq, tk) = (q.rows / sequences, k.rows / sequences)
        (dk, dv) = (q.cols / heads, v.cols / heads)
        (qCols, vCols) = (q.cols, v.cols)
        if let mask, mask.rows != tq || mask.cols != tk {
            throw .shapeMismatch(operation: "add a mask to scores of", lhs: "\(tq)×\(tk)", rhs: mask.shapeDescription, hint: "the mask must be \(tq)×\(tk)")
        }
        scale = scaled && dk > 0 ? 1 / Double(dk).squareRoot() : 1
    }

    var weightCount: Int { sequences * heads * tq * tk }

    private func forEachPair(_ body: (_ s: Int, _ h: Int) -> Void) {
        let pairs = sequences * heads
        let workers = tq * tk * dk * pairs >= (1 << 18) ? min(Parallel.threads, pairs) : 1
        let queue = TaskQueue(count: pairs)
        Parallel.onWorkers(workers) { _ in
            while let p = queue.next() { body(p / heads, p % heads) }
        }
    }

    func forward(_ q: Matrix, _ k: Matrix, _ v: Matrix, mask: Matrix?, weights: inout [Double], out: inout Matrix) {
        let size = tq * tk
        q.storage.withUnsafeBufferPointer { Q in
        k.storage.withUnsafeBufferPointer { K in
        v.storage.withUnsafeBufferPointer { V in
        weights.withUnsafeMutableBufferPointer { W in
        out.storage.withUnsafeMutableBufferPointer { O in
            nonisolated(unsafe) let (Q, K, V, W, O) = (Q, K, V, W, O)
            forEachPair { s, h in
                let P = W.baseAddress! + (s * heads + h) * size
                let qBlock = Q.baseAddress! + s * tq * qCols + h * dk
                let kBlock = K.baseAddress! + s * tk * qCols + h * dk
                let vBlock = V.baseAddress! + s * tk * vCols + h * dv
                MatrixProduct.gemmSingleThread(tq, tk, dk, qBlock, lda: qCols, kBlock, ldb: qCols, transposeB: true, P, ldc: tk)
                for i in 0..<tq {
                    var row = UnsafeMutableBufferPointer(start: P + i * tk, count: tk)
                    for j in 0..<tk { row[j] = row[j] * scale + (mask?[i, j] ?? 0) }
                    softmaxRow(&row)
                }
                MatrixProduct.gemmSingleThread(tq, dv, tk, P, lda: tk, vBlock, ldb: vCols, transposeB: false,
                                               O.baseAddress! + s * tq * vCols + h * dv, ldc: vCols)
            }
        }}}}}
    }

    func backward(
        _ q: Matrix, _ k: Matrix, _ v: Matrix, _ g: Matrix, weights: [Double],
        dQ: inout Matrix, dK: inout Matrix, dV: inout Matrix
    ) {
        let size = tq * tk
        q.storage.withUnsafeBufferPointer { Q in
        k.storage.withUnsafeBufferPointer { K in
        v.storage.withUnsafeBufferPointer { V in
        g.storage.withUnsafeBufferPointer { G in
        weights.withUnsafeBufferPointer { W in
        dQ.storage.withUnsafeMutableBufferPointer { DQ in
        dK.storage.withUnsafeMutableBufferPointer { DK in
        dV.storage.withUnsafeMutableBufferPointer { DV in
            nonisolated(unsafe) let (Q, K, V, G, W, DQ, DK, DV) = (Q, K, V, G, W, DQ, DK, DV)
            forEachPair { s, h in
                let P = W.baseAddress! + (s * heads + h) * size
                let qOff = s * tq * qCols + h * dk, kOff = s * tk * qCols + h * dk
                let vOff = s * tk * vCols + h * dv, gOff = s * tq * vCols + h * dv
                // ∂V = Pᵀ·G
                MatrixProduct.swiftOrBlas(tk, dv, tq, P, lda: tk, transposeA: true, G.baseAddress! + gOff, ldb: vCols, transposeB: false,
                                          DV.baseAddress! + vOff, ldc: vCols)
                // ∂P = G·Vᵀ, then ∂S = c·P ∘ (∂P − rowsum(∂P ∘ P)) in place
                let dS = UnsafeMutablePointer<Double>.allocate(capacity: size)
                defer { dS.deallocate() }
                dS.initialize(repeating: 0, count: size)
                MatrixProduct.swiftOrBlas(tq, tk, dv, G.baseAddress! + gOff, lda: vCols, transposeA: false, V.baseAddress! + vOff, ldb: vCols,
                                          transposeB: true, dS, ldc: tk)
                for i in 0..<tq {
                    var dot = 0.0
                    for j in 0..<tk { dot += dS[i * tk + j] * P[i * tk + j] }
                    for j in 0..<tk { dS[i * tk + j] = P[i * tk + j] * (dS[i * tk + j] - dot) * scale }
                }
                // ∂Q = ∂S·K; ∂K = ∂Sᵀ·Q
                MatrixProduct.swiftOrBlas(tq, dk, tk, dS, lda: tk, transposeA: false, K.baseAddress! + kOff, ldb: qCols, transposeB: false,
                                          DQ.baseAddress! + qOff, ldc: qCols)
                MatrixProduct.swiftOrBlas(tk, dk, tq, dS, lda: tk, transposeA: true, Q.baseAddress! + qOff, ldb: qCols, transposeB: false,
                                          DK.baseAddress! + kOff, ldc: qCols)
            }
        }}}}}}}}
    }

    /// Stable softmax of one row in place; a row of all −inf becomes zeros.
    private func softmaxRow(_ row: inout UnsafeMutableBufferPointer<Double>) {
        var top = -Double.infinity
        for x in row where x > top { top = x }
        guard top != -.infinity else {
            for j in row.indices where !row[j].isNaN { row[j] = 0 }
            return
        }
        var total = 0.0
        for j in row.indices {
            let e = exp(row[j] - top)
            row[j] = e
            total += e
        }
        for j in row.indices { row[j] /= total }
    }
}

extension MatrixProduct {
    /// C += op(A)·op(B) on strided blocks, on the calling thread (callers parallelise over
    /// blocks themselves).
    static func swiftOrBlas(
        _ m: Int, _ n: Int, _ k: Int, _ a: UnsafePointer<Double>, lda: Int, transposeA: Bool,
        _ b: UnsafePointer<Double>, ldb: Int, transposeB: Bool, _ c: UnsafeMutablePointer<Double>, ldc: Int
    ) {
        guard m > 0, n > 0, k > 0 else { return }
        if m * n * k >= blasThreshold, BLASLibrary.isLoaded {
            attention_blas_dgemm_general(transposeA ? 1 : 0, transposeB ? 1 : 0, Int32(m), Int32(n), Int32(k), a, Int32(lda), b, Int32(ldb),
                                         1.0, c, Int32(ldc))
        } else {
            swiftGeneralGemm(m, n, k, a, lda: lda, transposeA: transposeA, b, ldb: ldb, transposeB: transposeB, c, ldc: ldc)
        }
    }
}
