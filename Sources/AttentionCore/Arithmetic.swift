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
    /// Floored modulo, `np.mod` / Python's `%` on floats: the remainder has the sign of the
    /// divisor (see `Double.flooredModulo`).
    case modulo
    /// np.maximum / np.minimum: the larger (smaller) of the two; NaN if either is NaN.
    case maximum, minimum
    /// Comparisons giving 1 (true) or 0 (false); any comparison with NaN is 0, except ≠ (1).
    case less, lessEqual, greater, greaterEqual, equal, notEqual

    var verb: String {
        switch self {
        case .add: "add (+)"
        case .subtract: "subtract (-)"
        case .multiply: "multiply element-wise (*)"
        case .divide: "divide element-wise (/)"
        case .power: "raise element-wise (**)"
        case .modulo: "take the element-wise remainder (%) of"
        case .maximum: "take the element-wise maximum of"
        case .minimum: "take the element-wise minimum of"
        case .less: "compare element-wise (<)"
        case .lessEqual: "compare element-wise (<=)"
        case .greater: "compare element-wise (>)"
        case .greaterEqual: "compare element-wise (>=)"
        case .equal: "compare element-wise (eq)"
        case .notEqual: "compare element-wise (ne)"
        }
    }

    @inline(__always) public func apply(_ x: Double, _ y: Double) -> Double {
        switch self {
        case .add: x + y
        case .subtract: x - y
        case .multiply: x * y
        case .divide: x / y
        case .power: pow(x, y)
        case .modulo: x.flooredModulo(y)
        case .maximum: x.isNaN || y.isNaN ? .nan : Swift.max(x, y)
        case .minimum: x.isNaN || y.isNaN ? .nan : Swift.min(x, y)
        case .less: x < y ? 1 : 0
        case .lessEqual: x <= y ? 1 : 0
        case .greater: x > y ? 1 : 0
        case .greaterEqual: x >= y ? 1 : 0
        case .equal: x == y ? 1 : 0
        case .notEqual: x != y ? 1 : 0
        }
    }
}

extension Matrix {
    /// The result shape of `a ∘ b` under the language's broadcasting rule (docs/LANGUAGE.md,
    /// "Broadcasting"), or nil when the shapes do not broadcast. Allowed: equal shapes; a 1×1
    /// operand with any matrix; a 1×C row with an R×C matrix; an R×1 column with an R×C
    /// matrix. NumPy would also pair a 1×C row with an R×1 column (an outer sum); that is
    /// refused here, so that no caller of the library can do what the language forbids.
    public static func broadcastShape(_ a: Matrix, _ b: Matrix) -> (rows: Int, cols: Int)? {
        broadcastShape((a.rows, a.cols), (b.rows, b.cols))
    }

    /// `broadcastShape` on shapes alone.
    public static func broadcastShape(_ a: (rows: Int, cols: Int), _ b: (rows: Int, cols: Int)) -> (rows: Int, cols: Int)? {
        func fits(_ x: Int, _ y: Int) -> Int? { x == y ? x : x == 1 ? y : y == 1 ? x : nil }
        guard let r = fits(a.rows, b.rows), let c = fits(a.cols, b.cols) else { return nil }
        // Both axes stretched (1×C with R×1) only when one side is a single number.
        let single = (a.rows == 1 && a.cols == 1) || (b.rows == 1 && b.cols == 1)
        guard a.rows == b.rows || a.cols == b.cols || single else { return nil }
        return (r, c)
    }
}

/// `a ∘ b` element by element, IEEE semantics (1/0 = inf), with broadcasting.
public func elementwise(_ op: ElementwiseOperation, _ a: Matrix, _ b: Matrix) throws(CoreError) -> Matrix {
    guard let (rows, cols) = Matrix.broadcastShape(a, b) else {
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

extension Matrix {
    // Namespaced (`Matrix.add`, not a global `add`) so that the library's names never shadow
    // the language's builtins of the same name in code that imports both.

    /// A + B with broadcasting.
    public static func add(_ a: Matrix, _ b: Matrix) throws(CoreError) -> Matrix { try elementwise(.add, a, b) }
    /// A − B with broadcasting.
    public static func subtract(_ a: Matrix, _ b: Matrix) throws(CoreError) -> Matrix { try elementwise(.subtract, a, b) }
    /// A ⊙ B (element-wise product) with broadcasting.
    public static func multiply(_ a: Matrix, _ b: Matrix) throws(CoreError) -> Matrix { try elementwise(.multiply, a, b) }
    /// A ⊘ B (element-wise quotient) with broadcasting; IEEE division (x/0 = ±inf, 0/0 = nan).
    public static func divide(_ a: Matrix, _ b: Matrix) throws(CoreError) -> Matrix { try elementwise(.divide, a, b) }
    /// Aᵢⱼ ** Bᵢⱼ (element-wise power, `pow`) with broadcasting.
    public static func power(_ a: Matrix, _ b: Matrix) throws(CoreError) -> Matrix { try elementwise(.power, a, b) }
    /// s·A for a scalar s.
    public static func scale(_ a: Matrix, by s: Double) -> Matrix { a.map { $0 * s } }

    /// np.where(cond, a, b): aᵢⱼ where condᵢⱼ ≠ 0, else bᵢⱼ, the three broadcast together
    /// under the same rule as `+`.
    public static func choose(where condition: Matrix, _ a: Matrix, _ b: Matrix) throws(CoreError) -> Matrix {
        // The shape all three broadcast to, and each must reach it by the rule on its own.
        guard let ab = broadcastShape(a, b), let (rows, cols) = broadcastShape((condition.rows, condition.cols), ab),
            [condition, a, b].allSatisfy({ broadcastShape(($0.rows, $0.cols), (rows, cols)).map { $0 == (rows, cols) } ?? false })
        else {
            throw .shapeMismatch(
                operation: "choose elements (where) from", lhs: condition.shapeDescription, rhs: "\(a.shapeDescription) / \(b.shapeDescription)",
                hint: "the condition and both choices must broadcast to one shape")
        }
        func element(_ m: Matrix, _ i: Int, _ j: Int) -> Double { m[m.rows == 1 ? 0 : i, m.cols == 1 ? 0 : j] }
        return Matrix(rows: rows, cols: cols) { i, j in element(condition, i, j) != 0 ? element(a, i, j) : element(b, i, j) }
    }
}

extension Double {
    /// `self mod m`, floored as NumPy's `np.mod` and Python's `%` on floats: r = fmod(x, m),
    /// moved by m when it is nonzero and its sign differs from m's, so r has m's sign and
    /// x = m·floor(x/m) + r. `-7 mod 3` is 2, `7 mod -3` is −2; a zero remainder takes m's
    /// sign (np.mod(-6.0, 3.0) is 0.0, np.mod(6.0, -3.0) is −0.0). IEEE cases follow fmod:
    /// m = 0 or x = ±inf give nan; `-3 mod inf` is inf and `3 mod inf` is 3, as NumPy.
    public func flooredModulo(_ m: Double) -> Double {
        var r = fmod(self, m)
        if r != 0 {
            if (m < 0) != (r < 0) { r += m }
        } else {
            r = Double(signOf: m, magnitudeOf: 0)
        }
        return r
    }
}
