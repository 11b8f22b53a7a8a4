import Glibc

/// The matrix product C = A·B, Cᵢⱼ = Σₖ AᵢₖBₖⱼ, for A r×k and B k×c; C is r×c.
///
/// A shape error when A's column count differs from B's row count; when A and Bᵀ would
/// fit instead (same column count), the hint suggests the transpose.
public func matmul(_ a: Matrix, _ b: Matrix) throws(CoreError) -> Matrix {
    guard a.cols == b.rows else {
        let hint = a.cols == b.cols ? "did you mean to transpose the right-hand side (.T)?" : nil
        throw .shapeMismatch(operation: "multiply (@)", lhs: a.shapeDescription, rhs: b.shapeDescription, hint: hint)
    }
    _ = try checkedCount(a.rows, b.cols)
    return MatrixProduct.multiply(a, b)
}

/// Aᵀ, with (Aᵀ)ᵢⱼ = Aⱼᵢ: an r×c matrix becomes c×r.
public func transpose(_ a: Matrix) -> Matrix { a.transposed }

extension Matrix {
    /// Aᵀ (see `transpose(_:)`).
    public var transposed: Matrix {
        var out = [Double](repeating: 0, count: count)
        storage.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for i in 0..<rows {
                    for j in 0..<cols { dst[j * rows + i] = src[i * cols + j] }
                }
            }
        }
        return Matrix(uncheckedRows: cols, cols: rows, storage: out)
    }

    /// f applied to every element.
    public func map(_ f: (Double) -> Double) -> Matrix {
        Matrix(uncheckedRows: rows, cols: cols, storage: storage.map(f))
    }
}

/// The element-wise binary operations, with NumPy-style broadcasting restricted to
/// the cases the language allows: equal shapes; a 1×1 operand (a scalar) with any
/// matrix; a 1×C row with an R×C matrix (a bias row); an R×1 column with an R×C matrix.
public enum ElementwiseOperation: Sendable {
    case add, subtract, multiply, divide, power

    var verb: String {
        switch self {
        case .add: "add (+)"
        case .subtract: "subtract (-)"
        case .multiply: "multiply element-wise (*)"
        case .divide: "divide element-wise (/)"
        case .power: "raise element-wise (**)"
        }
    }

    @inline(__always) func apply(_ x: Double, _ y: Double) -> Double {
        switch self {
        case .add: x + y
        case .subtract: x - y
        case .multiply: x * y
        case .divide: x / y
        case .power: pow(x, y)
        }
    }
}

/// The broadcast result shape of `a ∘ b`, or nil when the shapes do not broadcast.
func broadcastShape(_ a: Matrix, _ b: Matrix) -> (rows: Int, cols: Int)? {
    func fits(_ x: Int, _ y: Int) -> Int? { x == y ? x : x == 1 ? y : y == 1 ? x : nil }
    guard let r = fits(a.rows, b.rows), let c = fits(a.cols, b.cols) else { return nil }
    return (r, c)
}

/// `a ∘ b` element by element, IEEE semantics (1/0 = inf), with broadcasting.
public func elementwise(_ op: ElementwiseOperation, _ a: Matrix, _ b: Matrix) throws(CoreError) -> Matrix {
    guard let (rows, cols) = broadcastShape(a, b) else {
        throw .shapeMismatch(
            operation: op.verb, lhs: a.shapeDescription, rhs: b.shapeDescription,
            hint: a.rows == b.cols && a.cols == b.rows ? "one of them may need a transpose (.T)" : nil)
    }
    if a.rows == b.rows && a.cols == b.cols {
        var out = a.storage
        out.withUnsafeMutableBufferPointer { dst in
            b.storage.withUnsafeBufferPointer { src in
                for k in 0..<dst.count { dst[k] = op.apply(dst[k], src[k]) }
            }
        }
        return Matrix(uncheckedRows: rows, cols: cols, storage: out)
    }
    let aRowStep = a.rows == 1 ? 0 : a.cols, aColStep = a.cols == 1 ? 0 : 1
    let bRowStep = b.rows == 1 ? 0 : b.cols, bColStep = b.cols == 1 ? 0 : 1
    var out = [Double](repeating: 0, count: rows * cols)
    a.storage.withUnsafeBufferPointer { pa in
        b.storage.withUnsafeBufferPointer { pb in
            out.withUnsafeMutableBufferPointer { dst in
                for i in 0..<rows {
                    for j in 0..<cols {
                        dst[i * cols + j] = op.apply(pa[i * aRowStep + j * aColStep], pb[i * bRowStep + j * bColStep])
                    }
                }
            }
        }
    }
    return Matrix(uncheckedRows: rows, cols: cols, storage: out)
}

/// A + B with broadcasting.
public func add(_ a: Matrix, _ b: Matrix) throws(CoreError) -> Matrix { try elementwise(.add, a, b) }
/// A − B with broadcasting.
public func subtract(_ a: Matrix, _ b: Matrix) throws(CoreError) -> Matrix { try elementwise(.subtract, a, b) }
/// A ⊙ B (element-wise product) with broadcasting.
public func multiply(_ a: Matrix, _ b: Matrix) throws(CoreError) -> Matrix { try elementwise(.multiply, a, b) }
/// A ⊘ B (element-wise quotient) with broadcasting; IEEE division (x/0 = ±inf, 0/0 = nan).
public func divide(_ a: Matrix, _ b: Matrix) throws(CoreError) -> Matrix { try elementwise(.divide, a, b) }
/// Aᵢⱼ ** Bᵢⱼ (element-wise power, `pow`) with broadcasting.
public func power(_ a: Matrix, _ b: Matrix) throws(CoreError) -> Matrix { try elementwise(.power, a, b) }

/// s·A for a scalar s.
public func scale(_ a: Matrix, by s: Double) -> Matrix { a.map { $0 * s } }
