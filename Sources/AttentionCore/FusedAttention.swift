import CAttentionMath
import Glibc

/// The computation behind `attentionWeights`, `attention`, `multiHead`, `multiHeadWeights`
/// and the block's attention, without needless copies:
///
/// - Head h reads columns h·d_k ..< (h+1)·d_k of the packed Q, K, V (n×d each) in place:
///   every product is a strided `dgemm` (leading dimension d), no per-head split copies,
///   and head outputs are written straight into their column block of the concatenation.
/// - Queries are processed in row blocks of at most `blockRows`: Sᵦ = Qᵦ·Kᵀ (B×m, kept in
///   cache), the softmax pass over Sᵦ, then Oᵦ = Eᵦ·V. Blocks of every head are spread
///   over the cores.
/// - Without a mask or with the causal mask, 1/√d_k is fused into the exponent:
///   wᵢⱼ = exp((sᵢⱼ − maxⱼ sᵢⱼ)·c) / Σⱼ exp((sᵢⱼ − maxⱼ sᵢⱼ)·c), c = 1/√d_k, which is
///   softmax(S·c) because c > 0 commutes with max. The causal mask (0 on and below the
///   diagonal, −inf above) only removes entries, so instead of adding it the causal path
///   never forms them: block [r₀, r₁) multiplies against keys 0..<r₁ only (the upper
///   triangle of blocks is skipped), and within a block the exponent pass stops at j = i
///   and stores zeros after it. Normalisation is deferred: Oᵢ = (Σⱼ eᵢⱼVⱼ)/Σⱼ eᵢⱼ, a
///   division per output element instead of per weight.
/// - Any other additive mask takes the unfused order of the contract: S·c, + mask, softmax.
///
/// Results agree with the unfused formula softmax(Q·Kᵀ/√d_k + mask)·V to rounding
/// (relative differences of order 10⁻¹⁵). One deliberate difference: with the causal
/// mask, a NaN or ±inf score at a masked (future) position no longer turns a row into NaN,
/// since masked scores are never computed; an earlier query depends on nothing later.
enum FusedAttention {
    /// How the mask is applied.
    enum MaskPlan {
        case none
        /// The causal mask (n = m; key j visible to query i iff j ≤ i).
        case causal
        /// A general additive mask, already broadcast to n×m, row-major.
        case additive([Double])
    }

    /// Rows per block: Sᵦ is at most `blockRows`·m doubles per core (4 MiB at m = 2048).
    static let blockRows = 256

    /// Multiply-adds below which a call runs on the calling thread only.
    static let parallelThreshold = 1 << 18

    /// Classifies a mask for an n×m score matrix (shapes already checked to broadcast).
    /// The causal mask is recognised by its entries (n = m, 0 at j ≤ i, −inf at j > i),
    /// whether it came from `causalMask(n)` or was built by hand: one pass over n² values,
    /// cheap beside the n²·d products it saves.
    static func plan(_ mask: Matrix?, n: Int, m: Int) -> MaskPlan {
        guard let mask else { return .none }
        if n == m, mask.rows == n, mask.cols == m, isCausal(mask) { return .causal }
        if mask.rows == n && mask.cols == m { return .additive(mask.storage) }
        let rowStep = mask.rows == 1 ? 0 : mask.cols, colStep = mask.cols == 1 ? 0 : 1
        var expanded = [Double](repeating: 0, count: n * m)
        for i in 0..<n { for j in 0..<m { expanded[i * m + j] = mask.storage[i * rowStep + j * colStep] } }
        return .additive(expanded)
    }

    static func isCausal(_ mask: Matrix) -> Bool {
        let n = mask.rows
        return mask.storage.withUnsafeBufferPointer { p in
            for i in 0..<n {
                let row = p.baseAddress! + i * n
                for j in 0...i where row[j] != 0 { return false }
                for j in (i + 1)..<n where row[j] != -.infinity { return false }
            }
            return true
        }
    }

    /// Where the per-head results go.
    enum Output {
        /// Head h's n×d_v output into columns h·d_v ..< (h+1)·d_v of `out` (row stride ldo).
        case values(out: UnsafeMutablePointer<Double>, ldo: Int)
        /// Head h's n×m weights into `weights[h]` (row-major, n×m).
        case weights([UnsafeMutablePointer<Double>])
    }

    /// Runs `heads` heads of attention over strided column blocks:
    /// Qₕ = q[:, h·dk ..< (h+1)·dk] (row stride ldq), likewise Kₕ (ldk) and Vₕ (dv wide, ldv).
    /// n queries, m keys. `scale` multiplies the scores (1/√d_k, or 1 when unscaled).
    static func run(
        n: Int, m: Int, dk: Int, dv: Int, heads: Int,
        q: UnsafePointer<Double>?, ldq: Int, k: UnsafePointer<Double>?, ldk: Int, v: UnsafePointer<Double>?, ldv: Int,
        scale: Double, mask: MaskPlan, output: Output
    ) {
        guard n > 0, heads > 0 else { return }
        let blockCount = (n + blockRows - 1) / blockRows
        let taskCount = heads * blockCount
        let work = heads * n * m * (dk + dv)
        let threads = work >= parallelThreshold ? min(Parallel.threads, taskCount) : 1
        let queue = TaskQueue(count: taskCount)
        let maskStorage: [Double]? = if case .additive(let storage) = mask { storage } else { nil }
        maskStorage.withUnsafeOptionalBufferPointer { maskPointer in
            Parallel.onWorkers(threads) { _ in
                let workspace = UnsafeMutablePointer<Double>.allocate(capacity: max(1, blockRows * m))
                let sums = UnsafeMutablePointer<Double>.allocate(capacity: blockRows)
                defer { workspace.deallocate(); sums.deallocate() }
                while let task = queue.next() {
                    // Last blocks first: under the causal mask they carry the most work.
                    let h = task % heads, block = blockCount - 1 - task / heads
                    let r0 = block * blockRows, r1 = min(n, r0 + blockRows)
                    runBlock(
                        rows: r0..<r1, m: m, dk: dk, dv: dv, q: q.map { $0 + h * dk }, ldq: ldq, k: k.map { $0 + h * dk }, ldk: ldk,
                        v: v.map { $0 + h * dv }, ldv: ldv, scale: scale, mask: mask, maskPointer: maskPointer,
                        head: h, output: output, workspace: workspace, sums: sums)
                }
            }
        }
    }

    private static func runBlock(
        rows: Range<Int>, m: Int, dk: Int, dv: Int,
        q: UnsafePointer<Double>?, ldq: Int, k: UnsafePointer<Double>?, ldk: Int, v: UnsafePointer<Double>?, ldv: Int,
        scale: Double, mask: MaskPlan, maskPointer: UnsafePointer<Double>?, head: Int, output: Output,
        workspace: UnsafeMutablePointer<Double>, sums: UnsafeMutablePointer<Double>
    ) {
        let causal = if case .causal = mask { true } else { false }
        // Keys this block can see: all m, or 0..<r₁ under the causal mask (n = m).
        let keys = causal ? rows.upperBound : m
        let b = rows.count
        // Scores: into the workspace (ld = keys), or straight into the weights output (ld = m).
        let (scores, lds): (UnsafeMutablePointer<Double>, Int)
        switch output {
        case .values: (scores, lds) = (workspace, keys)
        case .weights(let outs): (scores, lds) = (outs[head] + rows.lowerBound * m, m)
        }
        MatrixProduct.gemmSingleThread(b, keys, dk, q.map { $0 + rows.lowerBound * ldq }, lda: ldq, k, ldb: ldk, transposeB: true, scores, ldc: lds)
        for r in 0..<b {
            let i = rows.lowerBound + r
            let row = scores + r * lds
            var visible = keys
            var factor = scale
            if causal {
                visible = i + 1
                (row + visible).update(repeating: 0, count: lds - visible)
            } else if let maskPointer {
                // The contract's order: scale, then add the mask, then softmax.
                let maskRow = maskPointer + i * m
                for j in 0..<keys { row[j] = row[j] * scale + maskRow[j] }
                factor = 1
            }
            sums[r] = expRow(row, count: visible, factor: factor)
        }
        switch output {
        case .values(let out, let ldo):
            let o = out + head * dv + rows.lowerBound * ldo
            MatrixProduct.gemmSingleThread(b, dv, keys, UnsafePointer(workspace), lda: keys, v, ldb: ldv, transposeB: false, o, ldc: ldo)
            for r in 0..<b where sums[r] != 0 {
                let inverse = 1 / sums[r]
                let oRow = o + r * ldo
                for c in 0..<dv { oRow[c] *= inverse }
            }
        case .weights:
            for r in 0..<b where sums[r] != 0 {
                let row = scores + r * lds
                let total = sums[r]
                for j in 0..<lds { row[j] /= total }
            }
        }
    }

    /// row[j] ← exp((row[j] − max)·factor) for j < count, returning the sum; a row whose
    /// finite part is empty (all −inf, or no entries) becomes zeros (NaN entries stay) and
    /// returns 0: a query that sees no key attends to nothing. The maximum ignores NaN
    /// (as `softmax` does), and NaN then propagates through the sum.
    @inline(__always)
    static func expRow(_ row: UnsafeMutablePointer<Double>, count: Int, factor: Double) -> Double {
        let top = attention_max(row, count)
        guard top != -.infinity else {
            for j in 0..<count where !row[j].isNaN { row[j] = 0 }
            return 0
        }
        return attention_exp_shift_scale_sum(row, count, top, factor)
    }
}

extension Optional where Wrapped == [Double] {
    func withUnsafeOptionalBufferPointer<R>(_ body: (UnsafePointer<Double>?) -> R) -> R {
        switch self {
        case .none: body(nil)
        case .some(let array): array.withUnsafeBufferPointer { body($0.baseAddress) }
        }
    }
}
