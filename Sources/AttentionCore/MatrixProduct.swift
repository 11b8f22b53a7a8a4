import CAttentionMath
import Glibc

/// The one place matrix products are computed.
///
/// `multiply` and `multiplyTransposed` hand products above a small size to BLAS
/// (`cblas_dgemm`, OpenBLAS) and keep tiny ones in Swift loops, where a library call costs
/// more than the arithmetic. The pure-Swift loops stay as `referenceMultiply` and
/// `referenceMultiplyTransposed`: the tests check that both paths agree.
///
/// Threads: OpenBLAS runs single-threaded (`openblas_set_num_threads(1)`, set once on the
/// first product) and this library splits large products into row blocks itself, one per
/// core (`DispatchQueue.concurrentPerform`). Rows of C = A·B are independent, so the split
/// changes no arithmetic, and no OpenBLAS worker threads are left spinning between cells
/// (the kernel's heartbeat and control threads stay responsive, and idle CPU stays idle).
/// Set `ATTN_THREADS=1` to keep everything on the calling thread.
enum MatrixProduct {
    /// C = A·B for A r×k, B k×c (shapes already checked): Cᵢⱼ = Σₚ AᵢₚBₚⱼ.
    static func multiply(_ a: Matrix, _ b: Matrix) -> Matrix { product(a, b, transposeB: false) }

    /// C = A·Bᵀ for A r×k, B c×k (shapes already checked): Cᵢⱼ = Σₚ AᵢₚBⱼₚ, dot products of
    /// rows, which is how attention scores Q·Kᵀ are formed without materializing Kᵀ.
    static func multiplyTransposed(_ a: Matrix, _ b: Matrix) -> Matrix { product(a, b, transposeB: true) }

    private static func product(_ a: Matrix, _ b: Matrix, transposeB: Bool) -> Matrix {
        let (r, k) = (a.rows, a.cols)
        let c = transposeB ? b.rows : b.cols
        // `gemm` writes every element of C (β = 0), so C starts uninitialised.
        let out = [Double].writtenInPlace(count: r * c) { pc in
            a.storage.withUnsafeBufferPointer { pa in
                b.storage.withUnsafeBufferPointer { pb in
                    gemm(r, c, k, pa.baseAddress, lda: k, pb.baseAddress, ldb: b.cols, transposeB: transposeB, pc.baseAddress, ldc: c)
                }
            }
        }
        return Matrix(uncheckedRows: r, cols: c, storage: out)
    }

    /// The reference C = A·B in Swift (i-k-j loop order: the innermost loop walks a row
    /// of B and a row of C contiguously, which the compiler vectorizes).
    static func referenceMultiply(_ a: Matrix, _ b: Matrix) -> Matrix { referenceProduct(a, b, transposeB: false) }

    /// The reference C = A·Bᵀ in Swift: each Cᵢⱼ one dot product of row i of A and row j of B.
    static func referenceMultiplyTransposed(_ a: Matrix, _ b: Matrix) -> Matrix { referenceProduct(a, b, transposeB: true) }

    private static func referenceProduct(_ a: Matrix, _ b: Matrix, transposeB: Bool) -> Matrix {
        let (r, k) = (a.rows, a.cols)
        let c = transposeB ? b.rows : b.cols
        var out = [Double](repeating: 0, count: r * c)
        a.storage.withUnsafeBufferPointer { pa in
            b.storage.withUnsafeBufferPointer { pb in
                out.withUnsafeMutableBufferPointer { pc in
                    swiftGemm(r, c, k, pa.baseAddress, lda: k, pb.baseAddress, ldb: b.cols, transposeB: transposeB, pc.baseAddress, ldc: c)
                }
            }
        }
        return Matrix(uncheckedRows: r, cols: c, storage: out)
    }

    // MARK: - Strided kernels (row-major, C overwritten)

    /// Products with fewer multiply-adds than this stay in Swift: below it a BLAS call
    /// (argument checks, packing) costs more than the loop.
    static let blasThreshold = 4096

    /// Products with at least this many multiply-adds are split into row blocks across cores.
    static let parallelThreshold = 1 << 21

    /// C = A·op(B) on strided row-major blocks: C is m×n with row stride ldc, A is m×k with
    /// row stride lda, B is k×n (stride ldb), or n×k (stride ldb) when `transposeB`, giving
    /// C = A·Bᵀ. C is overwritten (β = 0). Chooses Swift, single-threaded BLAS, or BLAS on
    /// row blocks across cores by size.
    static func gemm(
        _ m: Int, _ n: Int, _ k: Int, _ a: UnsafePointer<Double>?, lda: Int, _ b: UnsafePointer<Double>?, ldb: Int,
        transposeB: Bool, _ c: UnsafeMutablePointer<Double>?, ldc: Int
    ) {
        guard m > 0, n > 0 else { return }
        let work = m * n * k
        guard work >= blasThreshold, let a, let b, let c else {
            swiftGemm(m, n, k, a, lda: lda, b, ldb: ldb, transposeB: transposeB, c, ldc: ldc)
            return
        }
        let blocks = work >= parallelThreshold ? min(Parallel.threads, m / 32) : 1
        if blocks <= 1 {
            blasGemm(m, n, k, a, lda: lda, b, ldb: ldb, transposeB: transposeB, c, ldc: ldc)
            return
        }
        Parallel.forEachBlock(rows: m, blocks: blocks) { range in
            blasGemm(range.count, n, k, a + range.lowerBound * lda, lda: lda, b, ldb: ldb, transposeB: transposeB,
                     c + range.lowerBound * ldc, ldc: ldc)
        }
    }

    /// `gemm` on the calling thread only (for callers that parallelise at a coarser grain).
    static func gemmSingleThread(
        _ m: Int, _ n: Int, _ k: Int, _ a: UnsafePointer<Double>?, lda: Int, _ b: UnsafePointer<Double>?, ldb: Int,
        transposeB: Bool, _ c: UnsafeMutablePointer<Double>?, ldc: Int
    ) {
        guard m > 0, n > 0 else { return }
        if m * n * k >= blasThreshold, let a, let b, let c {
            blasGemm(m, n, k, a, lda: lda, b, ldb: ldb, transposeB: transposeB, c, ldc: ldc)
        } else {
            swiftGemm(m, n, k, a, lda: lda, b, ldb: ldb, transposeB: transposeB, c, ldc: ldc)
        }
    }

    /// `cblas_dgemm`, row-major, α = 1, β = 0, on the calling thread (m, n, k > 0); the
    /// Swift loops when OpenBLAS cannot be loaded (see `BLASLibrary`).
    static func blasGemm(
        _ m: Int, _ n: Int, _ k: Int, _ a: UnsafePointer<Double>, lda: Int, _ b: UnsafePointer<Double>, ldb: Int,
        transposeB: Bool, _ c: UnsafeMutablePointer<Double>, ldc: Int
    ) {
        guard BLASLibrary.isLoaded else {
            swiftGemm(m, n, k, a, lda: lda, b, ldb: ldb, transposeB: transposeB, c, ldc: ldc)
            return
        }
        attention_blas_dgemm(transposeB ? 1 : 0, Int32(m), Int32(n), Int32(k), a, Int32(lda), b, Int32(ldb), c, Int32(ldc))
    }

    /// The Swift loops behind the reference products, on strided blocks (same contract as `gemm`).
    static func swiftGemm(
        _ m: Int, _ n: Int, _ k: Int, _ a: UnsafePointer<Double>?, lda: Int, _ b: UnsafePointer<Double>?, ldb: Int,
        transposeB: Bool, _ c: UnsafeMutablePointer<Double>?, ldc: Int
    ) {
        guard m > 0, n > 0, let c else { return }
        for i in 0..<m { (c + i * ldc).update(repeating: 0, count: n) }
        guard k > 0, let a, let b else { return }
        if transposeB {
            for i in 0..<m {
                let aRow = a + i * lda, cRow = c + i * ldc
                for j in 0..<n {
                    let bRow = b + j * ldb
                    var sum = 0.0
                    for p in 0..<k { sum += aRow[p] * bRow[p] }
                    cRow[j] = sum
                }
            }
        } else {
            for i in 0..<m {
                let aRow = a + i * lda, cRow = c + i * ldc
                for p in 0..<k {
                    let aip = aRow[p]
                    let bRow = b + p * ldb
                    for j in 0..<n { cRow[j] += aip * bRow[j] }
                }
            }
        }
    }
}

/// OpenBLAS, loaded by the first product large enough to need it (Sources/CAttentionMath/
/// blas_loader.c says why not at start-up) and set to one thread: this library
/// parallelises over row blocks itself, see `MatrixProduct`.
public enum BLASLibrary {
    /// Whether `cblas_dgemm` is available; the first call loads the library.
    public static var isLoaded: Bool { attention_blas_load() != 0 }

    /// Why OpenBLAS could not be loaded, or nil when it was.
    public static var loadError: String? { attention_blas_load_error().map { String(cString: $0) } }

    /// The OpenBLAS kernel family in use (e.g. "Haswell", "SkylakeX"), for benchmarks.
    public static var coreName: String { String(cString: attention_blas_core_name()) }

    /// OpenBLAS's own thread count: 1 once loaded (0 when it is not available).
    public static var threads: Int { Int(attention_blas_threads()) }
}

// MARK: - Products with either operand transposed, for gradients

extension MatrixProduct {
    /// C = op(A)·op(B), where op transposes when asked: the products backpropagation needs
    /// (dA = dC·Bᵀ, dB = Aᵀ·dC) without materialising a transpose. Shapes already checked.
    static func product(_ a: Matrix, transposeA: Bool, _ b: Matrix, transposeB: Bool) -> Matrix {
        let m = transposeA ? a.cols : a.rows
        let n = transposeB ? b.rows : b.cols
        var c = Matrix(uncheckedRows: m, cols: n, storage: [Double](repeating: 0, count: m * n))
        accumulate(a, transposeA: transposeA, b, transposeB: transposeB, into: &c)
        return c
    }

    /// C += op(A)·op(B) in place (C already op(A)'s rows × op(B)'s columns).
    static func accumulate(_ a: Matrix, transposeA: Bool, _ b: Matrix, transposeB: Bool, into c: inout Matrix) {
        let m = c.rows, n = c.cols
        let k = transposeA ? a.rows : a.cols
        guard m > 0, n > 0, k > 0 else { return }
        a.storage.withUnsafeBufferPointer { pa in
            b.storage.withUnsafeBufferPointer { pb in
                c.storage.withUnsafeMutableBufferPointer { pc in
                    generalGemm(m, n, k, pa.baseAddress!, lda: a.cols, transposeA: transposeA, pb.baseAddress!, ldb: b.cols,
                                transposeB: transposeB, pc.baseAddress!, ldc: n)
                }
            }
        }
    }

    /// C += op(A)·op(B) on strided row-major blocks (m, n, k > 0): Swift loops for small
    /// products, BLAS above `blasThreshold`, row blocks of C across cores above `parallelThreshold`
    /// (each element of C is still one dot product in one order, so the split changes no bit).
    static func generalGemm(
        _ m: Int, _ n: Int, _ k: Int, _ a: UnsafePointer<Double>, lda: Int, transposeA: Bool,
        _ b: UnsafePointer<Double>, ldb: Int, transposeB: Bool, _ c: UnsafeMutablePointer<Double>, ldc: Int
    ) {
        let work = m * n * k
        guard work >= blasThreshold, BLASLibrary.isLoaded else {
            swiftGeneralGemm(m, n, k, a, lda: lda, transposeA: transposeA, b, ldb: ldb, transposeB: transposeB, c, ldc: ldc)
            return
        }
        let blocks = work >= parallelThreshold ? min(Parallel.threads, m / 32) : 1
        Parallel.forEachBlock(rows: m, blocks: blocks) { range in
            // Row i of op(A) starts at a + i·lda, or at column i of the stored Aᵀ.
            let aStart = transposeA ? a + range.lowerBound : a + range.lowerBound * lda
            attention_blas_dgemm_general(
                transposeA ? 1 : 0, transposeB ? 1 : 0, Int32(range.count), Int32(n), Int32(k), aStart, Int32(lda), b,
                Int32(ldb), 1.0, c + range.lowerBound * ldc, Int32(ldc))
        }
    }

    static func swiftGeneralGemm(
        _ m: Int, _ n: Int, _ k: Int, _ a: UnsafePointer<Double>, lda: Int, transposeA: Bool,
        _ b: UnsafePointer<Double>, ldb: Int, transposeB: Bool, _ c: UnsafeMutablePointer<Double>, ldc: Int
    ) {
        for i in 0..<m {
            let cRow = c + i * ldc
            for p in 0..<k {
                let aip = transposeA ? a[p * lda + i] : a[i * lda + p]
                if transposeB {
                    for j in 0..<n { cRow[j] += aip * b[j * ldb + p] }
                } else {
                    let bRow = b + p * ldb
                    for j in 0..<n { cRow[j] += aip * bRow[j] }
                }
            }
        }
    }
}
