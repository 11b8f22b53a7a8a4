import Glibc

/// A reduction over a matrix, over all elements or along one axis.
public enum Reduction: String, Sendable, CaseIterable {
    case sum, mean, max, min, argmax
    /// The biased variance (1/n)·Σ(x − x̄)², NumPy's default (`ddof=0`).
    case variance = "var"
    /// The biased standard deviation √var, NumPy's default.
    case standardDeviation = "std"

    /// Reduces a sequence of values. `argmax` gives the position of the first maximum
    /// (as NumPy does); a NaN anywhere makes max, min and argmax report it (NumPy
    /// propagates NaN), so a bug upstream is not hidden.
    func reduce(_ values: some Collection<Double>) -> Double {
        switch self {
        case .sum: return values.reduce(0, +)
        case .mean: return values.reduce(0, +) / Double(values.count)
        case .variance:
            let mean = values.reduce(0, +) / Double(values.count)
            return values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count)
        case .standardDeviation: return Reduction.variance.reduce(values).squareRoot()
        case .max:
            return values.reduce(-Double.infinity) { $0.isNaN || $1.isNaN ? .nan : Swift.max($0, $1) }
        case .min:
            return values.reduce(Double.infinity) { $0.isNaN || $1.isNaN ? .nan : Swift.min($0, $1) }
        case .argmax:
            var best = 0, bestValue = -Double.infinity
            for (index, value) in values.enumerated() {
                if value.isNaN { return Double(index) }
                if index == 0 || value > bestValue { best = index; bestValue = value }
            }
            return Double(best)
        }
    }
}

/// Reduces `m` with `op`: over every element when `axis` is nil (a 1×1 result), down
/// each column for axis 0 (a 1×C row), along each row for axis 1 (an R×1 column).
/// `argmax` without an axis gives the row-major (flat) index, as NumPy does.
public func reduce(_ m: Matrix, _ op: Reduction, axis: Int?) throws(CoreError) -> Matrix {
    switch axis {
    case nil:
        guard !m.isEmpty || op == .sum else { throw .invalidArgument("cannot take the \(op.rawValue) of an empty \(m.shapeDescription) matrix") }
        return Matrix(scalar: op.reduce(m.storage))
    case 0?:
        guard m.rows > 0 || op == .sum else { throw .invalidArgument("cannot take the \(op.rawValue) down the columns of a \(m.shapeDescription) matrix: it has no rows") }
        return Matrix(rows: 1, cols: m.cols) { _, j in op.reduce((0..<m.rows).map { m[$0, j] }) }
    case 1?:
        guard m.cols > 0 || op == .sum else { throw .invalidArgument("cannot take the \(op.rawValue) along the rows of a \(m.shapeDescription) matrix: it has no columns") }
        return Matrix(rows: m.rows, cols: 1) { i, _ in op.reduce(m.row(i)) }
    case let other?:
        throw .invalidArgument("axis must be 0 (down columns) or 1 (along rows), not \(other)")
    }
}

/// The Frobenius norm ‖A‖ = √(Σᵢⱼ Aᵢⱼ²).
public func norm(_ m: Matrix) -> Double {
    m.storage.reduce(0) { $0 + $1 * $1 }.squareRoot()
}

/// [A₁ A₂ …]: matrices side by side. All must have the same number of rows.
public func hcat(_ ms: [Matrix]) throws(CoreError) -> Matrix {
    let (first, cols) = try joinedSize(ms, along: \.cols, keeping: \.rows, name: "hcat", operation: "place side by side (hcat)", kept: "rows")
    _ = try checkedCount(first.rows, cols)
    var storage: [Double] = []
    storage.reserveCapacity(first.rows * cols)
    for i in 0..<first.rows { for m in ms { storage.append(contentsOf: m.row(i)) } }
    return Matrix(uncheckedRows: first.rows, cols: cols, storage: storage)
}

/// [A₁; A₂; …]: matrices stacked top to bottom. All must have the same number of columns.
public func vcat(_ ms: [Matrix]) throws(CoreError) -> Matrix {
    let (first, rows) = try joinedSize(ms, along: \.rows, keeping: \.cols, name: "vcat", operation: "stack (vcat)", kept: "columns")
    _ = try checkedCount(rows, first.cols)
    return Matrix(uncheckedRows: rows, cols: first.cols, storage: ms.flatMap(\.storage))
}

/// The first matrix and the total of dimension `along` over `ms`, after checking that
/// there is at least one and that all agree on the dimension `keeping`.
private func joinedSize(
    _ ms: [Matrix], along: KeyPath<Matrix, Int>, keeping: KeyPath<Matrix, Int>, name: String, operation: String, kept: String
) throws(CoreError) -> (Matrix, Int) {
    guard let first = ms.first else { throw .invalidArgument("\(name) needs at least one matrix") }
    var total = 0
    for m in ms {
        guard m[keyPath: keeping] == first[keyPath: keeping] else {
            throw .shapeMismatch(operation: operation, lhs: first.shapeDescription, rhs: m.shapeDescription, hint: "\(name) needs the same number of \(kept)")
        }
        total += m[keyPath: along]
    }
    return (first, total)
}

extension Matrix {
    /// The submatrix of the given rows and columns, in the order given (indices may repeat).
    /// Throws an `invalidArgument` naming the first index out of range.
    public func select(rows rowIndices: [Int], cols colIndices: [Int]) throws(CoreError) -> Matrix {
        if let bad = rowIndices.first(where: { $0 < 0 || $0 >= rows }) {
            throw .invalidArgument("row \(bad) is out of range for a \(shapeDescription) matrix")
        }
        if let bad = colIndices.first(where: { $0 < 0 || $0 >= cols }) {
            throw .invalidArgument("column \(bad) is out of range for a \(shapeDescription) matrix")
        }
        var storage: [Double] = []
        storage.reserveCapacity(rowIndices.count * colIndices.count)
        for i in rowIndices { for j in colIndices { storage.append(self[i, j]) } }
        return Matrix(uncheckedRows: rowIndices.count, cols: colIndices.count, storage: storage)
    }

    /// Columns `range` of every row (a contiguous column block), range already checked.
    func columns(_ range: Range<Int>) -> Matrix {
        var storage: [Double] = []
        storage.reserveCapacity(rows * range.count)
        for i in 0..<rows { storage.append(contentsOf: self.storage[(i * cols + range.lowerBound)..<(i * cols + range.upperBound)]) }
        return Matrix(uncheckedRows: rows, cols: range.count, storage: storage)
    }
}

/// Splits M (n×d) into `heads` contiguous column blocks of width d/heads, as nanoGPT
/// lays out heads: block h holds columns h·d/heads ..< (h+1)·d/heads.
public func splitHeads(_ m: Matrix, heads: Int) throws(CoreError) -> [Matrix] {
    try checkHeads(dModel: m.cols, heads: heads)
    let width = m.cols / heads
    return (0..<heads).map { m.columns(($0 * width)..<(($0 + 1) * width)) }
}

/// The inverse of `splitHeads`: the head outputs side by side (hcat).
public func concatHeads(_ ms: [Matrix]) throws(CoreError) -> Matrix { try hcat(ms) }

func checkHeads(dModel: Int, heads: Int) throws(CoreError) {
    guard heads > 0 else { throw .invalidArgument("the number of heads must be at least 1, not \(heads)") }
    guard dModel % heads == 0 else {
        let divisors = (1...max(dModel, 1)).filter { dModel % $0 == 0 }.map(String.init).joined(separator: ", ")
        throw .invalidArgument("d_model = \(dModel) is not divisible by heads = \(heads); heads must divide it (one of \(divisors))")
    }
}
