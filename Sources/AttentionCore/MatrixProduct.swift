/// The one place matrix products are computed, so a BLAS path can replace the loops
/// behind the same interface (the pure-Swift loops stay as the reference).
enum MatrixProduct {
    /// C = A·B for A r×k, B k×c (shapes already checked).
    ///
    /// i-k-j loop order: the innermost loop walks a row of B and a row of C
    /// contiguously, which the compiler vectorizes.
    static func multiply(_ a: Matrix, _ b: Matrix) -> Matrix {
        let (r, k, c) = (a.rows, a.cols, b.cols)
        var out = [Double](repeating: 0, count: r * c)
        guard !out.isEmpty, k > 0 else { return Matrix(uncheckedRows: r, cols: c, storage: out) }
        a.storage.withUnsafeBufferPointer { pa in
            b.storage.withUnsafeBufferPointer { pb in
                out.withUnsafeMutableBufferPointer { pc in
                    for i in 0..<r {
                        let cRow = pc.baseAddress! + i * c
                        for p in 0..<k {
                            let aip = pa[i * k + p]
                            let bRow = pb.baseAddress! + p * c
                            for j in 0..<c { cRow[j] += aip * bRow[j] }
                        }
                    }
                }
            }
        }
        return Matrix(uncheckedRows: r, cols: c, storage: out)
    }

    /// C = A·Bᵀ for A r×k, B c×k (shapes already checked): dot products of rows,
    /// which is how attention scores Q·Kᵀ are formed without materializing Kᵀ.
    static func multiplyTransposed(_ a: Matrix, _ b: Matrix) -> Matrix {
        let (r, k, c) = (a.rows, a.cols, b.rows)
        var out = [Double](repeating: 0, count: r * c)
        a.storage.withUnsafeBufferPointer { pa in
            b.storage.withUnsafeBufferPointer { pb in
                out.withUnsafeMutableBufferPointer { pc in
                    for i in 0..<r {
                        for j in 0..<c {
                            var sum = 0.0
                            for p in 0..<k { sum += pa[i * k + p] * pb[j * k + p] }
                            pc[i * c + j] = sum
                        }
                    }
                }
            }
        }
        return Matrix(uncheckedRows: r, cols: c, storage: out)
    }
}
