import Glibc

// The NumPy vocabulary students reach for (np.tril, np.reshape, np.arange, ...), with
// NumPy's results: where NumPy's own arithmetic fixes the last bit (arange, linspace,
// round), the same operations in the same order.

extension Matrix {
    /// The lower triangle, np.tril(A, k): aᵢⱼ where j − i ≤ k, 0 above. k = 0 keeps the
    /// diagonal, k = −1 drops it.
    public func lowerTriangle(k: Int) -> Matrix { Matrix(rows: rows, cols: cols) { i, j in j - i <= k ? self[i, j] : 0 } }

    /// The upper triangle, np.triu(A, k): aᵢⱼ where j − i ≥ k, 0 below.
    public func upperTriangle(k: Int) -> Matrix { Matrix(rows: rows, cols: cols) { i, j in j - i >= k ? self[i, j] : 0 } }

    /// The same elements in row-major order as an r×c matrix (np.reshape, order "C").
    public func reshaped(rows r: Int, cols c: Int) throws(CoreError) -> Matrix {
        guard try checkedCount(r, c) == count else {
            throw .invalidArgument("cannot reshape a \(shapeDescription) matrix (\(count) elements) into \(r)×\(c) (\(r * c) elements)")
        }
        return Matrix(uncheckedRows: r, cols: c, storage: storage)
    }

    /// Each element rounded to `digits` decimals, halves to even, as np.round: x·10ᵈ
    /// rounded to the nearest whole number and divided by 10ᵈ (for d < 0, divided by
    /// 10⁻ᵈ, rounded and multiplied).
    public func rounded(digits: Int) -> Matrix {
        let factor = pow(10, Double(Swift.abs(digits)))
        return digits >= 0
            ? map { ($0 * factor).rounded(.toNearestOrEven) / factor }
            : map { ($0 / factor).rounded(.toNearestOrEven) * factor }
    }

    /// Each element limited to [lo, hi] (np.clip): min(max(x, lo), hi); NaN stays NaN.
    public func clipped(lo: Double, hi: Double) -> Matrix { map { $0.isNaN ? $0 : Swift.min(Swift.max($0, lo), hi) } }

    /// Running sums (np.cumsum): along each row for axis 1 (cᵢⱼ = Σ_{k≤j} aᵢₖ), down each
    /// column for axis 0.
    public func cumulativeSum(axis: Int) throws(CoreError) -> Matrix {
        guard axis == 0 || axis == 1 else { throw .invalidArgument("axis must be 0 (down columns) or 1 (along rows), not \(axis)") }
        var out = self
        for i in 0..<rows {
            for j in 0..<cols where (axis == 1 ? j : i) > 0 {
                out.storage[i * cols + j] += axis == 1 ? out.storage[i * cols + j - 1] : out.storage[(i - 1) * cols + j]
            }
        }
        return out
    }
}

/// Evenly spaced rows of numbers and one-hot rows.
public enum Sequences {
    /// np.arange(start, stop, step) as a 1×n row: n = ⌈(stop − start)/step⌉ values
    /// start + i·δ with δ = (start + step) − start, as NumPy computes them.
    public static func arange(_ start: Double, _ stop: Double, step: Double) throws(CoreError) -> Matrix {
        guard step != 0, step.isFinite, start.isFinite, stop.isFinite else {
            throw .invalidArgument("arange needs finite bounds and a step other than 0")
        }
        let length = ((stop - start) / step).rounded(.up)
        guard length <= 1e15 else { throw .tooLarge("arange would have \(length) values") }
        let n = Swift.max(0, Int(length))
        let delta = (start + step) - start
        return Matrix(uncheckedRows: 1, cols: n, storage: (0..<n).map { start + Double($0) * delta })
    }

    /// np.linspace(a, b, n) as a 1×n row: a + i·(b − a)/(n − 1), the last value exactly b.
    public static func linspace(_ a: Double, _ b: Double, count n: Int) throws(CoreError) -> Matrix {
        guard n >= 0 else { throw .invalidArgument("linspace needs a count ≥ 0, got \(n)") }
        guard n > 1 else { return Matrix(uncheckedRows: 1, cols: n, storage: n == 1 ? [a] : []) }
        let step = (b - a) / Double(n - 1)
        var values = (0..<n).map { step == 0 ? Double($0) / Double(n - 1) * (b - a) + a : Double($0) * step + a }
        values[n - 1] = b
        return Matrix(uncheckedRows: 1, cols: n, storage: values)
    }

    /// One row per id, n wide: 1 in column idᵢ, 0 elsewhere (an identity row, as
    /// np.eye(n)[ids]). Every id must be in 0..<n.
    public static func oneHot(_ ids: [Int], classes n: Int) throws(CoreError) -> Matrix {
        let count = try checkedCount(ids.count, n)
        if let bad = ids.first(where: { $0 < 0 || $0 >= n }) {
            throw .invalidArgument("one_hot: id \(bad) is outside 0..<\(n)")
        }
        var storage = [Double](repeating: 0, count: count)
        for (i, id) in ids.enumerated() { storage[i * n + id] = 1 }
        return Matrix(uncheckedRows: ids.count, cols: n, storage: storage)
    }
}
