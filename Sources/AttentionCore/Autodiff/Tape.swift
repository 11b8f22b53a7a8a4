import Glibc

/// Reverse-mode automatic differentiation over the library's matrix operations.
///
/// A `Tape` records each operation as it runs forward: the result (a `Matrix`) and a
/// closure that, given ∂L/∂result, adds each operand's share to the operands' gradients
/// (the vector–Jacobian product). `gradients(of:)` then walks the record backwards once,
/// so the gradient with respect to every parameter costs a small constant times the
/// forward pass, whatever the number of parameters.
///
/// Operands are `Variable`s: parameters (the leaves we differentiate with respect to),
/// constants (inputs, masks), or results of recorded operations. An operation whose
/// operands are all constants records no closure, so masks and data cost nothing backwards.
///
/// A tape is used by one thread at a time (the cell that runs `grad`, or `train`); the
/// heavy operations inside still split their work across cores, deterministically.
public final class Tape: @unchecked Sendable {
    /// A value on this tape.
    public struct Variable: Sendable, Hashable {
        public let id: Int
    }

    /// ∂L/∂v for every variable v, filled in by the backward pass. Operations add into it.
    public struct Gradients: Sendable {
        fileprivate var storage: [Matrix?]
        fileprivate let needed: [Bool]

        /// The gradient of the leaf `v` (a parameter or constant); zeros of `v`'s shape when
        /// L does not depend on v. Interior values' gradients are not kept.
        public func of(_ v: Variable, on tape: Tape) -> Matrix {
            storage[v.id] ?? Matrix(rows: tape.value(v).rows, cols: tape.value(v).cols, repeating: 0)
        }

        /// Adds `g` to ∂L/∂v (ignored when v is a constant).
        mutating func add(_ v: Variable, _ g: Matrix) {
            guard needed[v.id] else { return }
            if var existing = storage[v.id] {
                storage[v.id] = nil  // unique, so the addition below is in place
                existing.storage.withUnsafeMutableBufferPointer { e in
                    g.storage.withUnsafeBufferPointer { gb in
                        for i in e.indices { e[i] += gb[i] }
                    }
                }
                storage[v.id] = existing
            } else {
                storage[v.id] = g
            }
        }

        /// Whether v needs a gradient at all (a parameter, or computed from one).
        func needs(_ v: Variable) -> Bool { needed[v.id] }
    }

    typealias Backward = (Matrix, inout Gradients) -> Void

    private var values: [Matrix] = []
    private var needsGradient: [Bool] = []
    private var backwards: [Backward?] = []

    public init() {}

    /// The number of recorded values.
    public var count: Int { values.count }

    public func value(_ v: Variable) -> Matrix { values[v.id] }

    /// Whether `v` depends on a parameter (so a gradient flows to it).
    public func isDifferentiable(_ v: Variable) -> Bool { needsGradient[v.id] }

    /// A leaf we differentiate with respect to.
    public func parameter(_ m: Matrix) -> Variable { append(m, needs: true, nil) }

    /// A leaf with no gradient: data, masks, targets.
    public func constant(_ m: Matrix) -> Variable { append(m, needs: false, nil) }

    private func append(_ m: Matrix, needs: Bool, _ backward: Backward?) -> Variable {
        values.append(m)
        needsGradient.append(needs)
        backwards.append(needs ? backward : nil)
        return Variable(id: values.count - 1)
    }

    /// Records `value`, computed from `operands`; `backward` runs only when one of them
    /// needs a gradient.
    func record(_ value: Matrix, from operands: [Variable], _ backward: @escaping Backward) -> Variable {
        let needs = operands.contains { needsGradient[$0.id] }
        return append(value, needs: needs, backward)
    }

    /// ∂output/∂v for every v, by one backward pass. `output` must be 1×1 (a loss).
    public func gradients(of output: Variable) throws(CoreError) -> Gradients {
        let y = values[output.id]
        guard y.rows == 1, y.cols == 1 else {
            throw .invalidArgument("a gradient needs a function whose value is a number (or 1×1 matrix), not a \(y.shapeDescription) matrix")
        }
        return gradients(of: output, seed: Matrix(scalar: 1))
    }

    /// The vector–Jacobian product: Σ seed ∘ ∂output/∂v for every v (seed has output's shape).
    public func gradients(of output: Variable, seed: Matrix) -> Gradients {
        var grads = Gradients(storage: Array(repeating: nil, count: values.count), needed: needsGradient)
        grads.storage[output.id] = seed
        for id in stride(from: output.id, through: 0, by: -1) {
            guard let backward = backwards[id], let g = grads.storage[id] else { continue }
            // Only the leaves' gradients are kept: memory stays at the parameters' size
            // plus what is in flight.
            grads.storage[id] = nil
            backward(g, &grads)
        }
        return grads
    }

}

// MARK: - Helpers for the backward closures

extension Matrix {
    /// The gradient of a broadcast operand: `g` (the result's shape) summed down to
    /// rows×cols, the operand's shape under the language's broadcasting (scalar, 1×C row,
    /// R×1 column, or the same shape).
    func summed(toRows r: Int, cols c: Int) -> Matrix {
        if rows == r && cols == c { return self }
        var out = Matrix(rows: r, cols: c, repeating: 0)
        storage.withUnsafeBufferPointer { g in
            out.storage.withUnsafeMutableBufferPointer { o in
                for i in 0..<rows {
                    let oi = r == 1 ? 0 : i
                    for j in 0..<cols { o[oi * c + (c == 1 ? 0 : j)] += g[i * cols + j] }
                }
            }
        }
        return out
    }

    /// Element-wise combination of two matrices of the same shape.
    func zipped(_ other: Matrix, _ f: (Double, Double) -> Double) -> Matrix {
        var out = self
        out.storage.withUnsafeMutableBufferPointer { o in
            other.storage.withUnsafeBufferPointer { b in
                for i in o.indices { o[i] = f(o[i], b[i]) }
            }
        }
        return out
    }

    /// This matrix broadcast up to rows×cols (the inverse of `summed`).
    func expanded(toRows r: Int, cols c: Int) -> Matrix {
        if rows == r && cols == c { return self }
        return Matrix(rows: r, cols: c) { i, j in self[rows == 1 ? 0 : i, cols == 1 ? 0 : j] }
    }
}

// MARK: - Arithmetic

extension Tape {
    /// a ∘ b element-wise with the language's broadcasting: +, −, ×, ÷, a^b and a mod b.
    /// ∂(a+b) = (g, g); ∂(a−b) = (g, −g); ∂(ab) = (g·b, g·a); ∂(a/b) = (g/b, −g·a/b²);
    /// ∂(aᵇ) = (g·b·aᵇ⁻¹, g·aᵇ·ln a); each summed back to its operand's shape.
    public func elementwise(_ op: ElementwiseOperation, _ a: Variable, _ b: Variable) throws(CoreError) -> Variable {
        let x = value(a), y = value(b)
        let out = try AttentionCore.elementwise(op, x, y)
        let (r, c) = (out.rows, out.cols)
        let needA = isDifferentiable(a), needB = isDifferentiable(b)
        switch op {
        case .add, .subtract:
            let sign: Double = op == .add ? 1 : -1
            return record(out, from: [a, b]) { g, grads in
                if needA { grads.add(a, g.summed(toRows: x.rows, cols: x.cols)) }
                if needB { grads.add(b, (sign == 1 ? g : g.map { -$0 }).summed(toRows: y.rows, cols: y.cols)) }
            }
        case .multiply:
            return record(out, from: [a, b]) { g, grads in
                if needA { grads.add(a, g.zipped(y.expanded(toRows: r, cols: c), *).summed(toRows: x.rows, cols: x.cols)) }
                if needB { grads.add(b, g.zipped(x.expanded(toRows: r, cols: c), *).summed(toRows: y.rows, cols: y.cols)) }
            }
        case .divide:
            return record(out, from: [a, b]) { g, grads in
                let yb = y.expanded(toRows: r, cols: c)
                if needA { grads.add(a, g.zipped(yb, /).summed(toRows: x.rows, cols: x.cols)) }
                if needB {
                    let q = g.zipped(out, *).zipped(yb, /)
                    grads.add(b, q.map { -$0 }.summed(toRows: y.rows, cols: y.cols))
                }
            }
        case .power:
            return record(out, from: [a, b]) { g, grads in
                let xb = x.expanded(toRows: r, cols: c), yb = y.expanded(toRows: r, cols: c)
                if needA {
                    let d = xb.zipped(yb) { base, e in e == 0 ? 0 : e * pow(base, e - 1) }
                    grads.add(a, g.zipped(d, *).summed(toRows: x.rows, cols: x.cols))
                }
                if needB {
                    let d = out.zipped(xb) { p, base in p == 0 ? 0 : p * log(base) }
                    grads.add(b, g.zipped(d, *).summed(toRows: y.rows, cols: y.cols))
                }
            }
        case .maximum, .minimum:
            // Ties share the gradient equally, as JAX's max and min do.
            let isMaximum = op == .maximum
            let pickA: (Double, Double) -> Double = { p, q in
                if p == q { return 0.5 }
                return (isMaximum ? p > q : p < q) ? 1 : 0
            }
            return record(out, from: [a, b]) { g, grads in
                let xb = x.expanded(toRows: r, cols: c), yb = y.expanded(toRows: r, cols: c)
                if needA { grads.add(a, g.zipped(xb.zipped(yb, pickA), *).summed(toRows: x.rows, cols: x.cols)) }
                if needB { grads.add(b, g.zipped(yb.zipped(xb, pickA), *).summed(toRows: y.rows, cols: y.cols)) }
            }
        case .modulo:
            // a mod b = a − b·floor(a/b): ∂a = g, ∂b = −g·floor(a/b) (as JAX's jnp.mod).
            return record(out, from: [a, b]) { g, grads in
                let xb = x.expanded(toRows: r, cols: c), yb = y.expanded(toRows: r, cols: c)
                if needA { grads.add(a, g.summed(toRows: x.rows, cols: x.cols)) }
                if needB { grads.add(b, g.zipped(xb.zipped(yb) { -($0 / $1).rounded(.down) }, *).summed(toRows: y.rows, cols: y.cols)) }
            }
        default:
            // Comparisons give 0/1: piecewise constant, so no gradient flows.
            return constant(out)
        }
    }

    public func add(_ a: Variable, _ b: Variable) throws(CoreError) -> Variable { try elementwise(.add, a, b) }
    public func subtract(_ a: Variable, _ b: Variable) throws(CoreError) -> Variable { try elementwise(.subtract, a, b) }
    public func multiply(_ a: Variable, _ b: Variable) throws(CoreError) -> Variable { try elementwise(.multiply, a, b) }
    public func divide(_ a: Variable, _ b: Variable) throws(CoreError) -> Variable { try elementwise(.divide, a, b) }

    /// s·a for a number s: ∂ = s·g.
    public func scale(_ a: Variable, by s: Double) -> Variable {
        record(value(a).map { $0 * s }, from: [a]) { g, grads in grads.add(a, g.map { $0 * s }) }
    }

    /// A·B: ∂A = G·Bᵀ, ∂B = Aᵀ·G (products through BLAS).
    public func matmul(_ a: Variable, _ b: Variable) throws(CoreError) -> Variable {
        let x = value(a), y = value(b)
        let out = try AttentionCore.matmul(x, y)
        let needA = isDifferentiable(a), needB = isDifferentiable(b)
        return record(out, from: [a, b]) { g, grads in
            if needA { grads.add(a, MatrixProduct.product(g, transposeA: false, y, transposeB: true)) }
            if needB { grads.add(b, MatrixProduct.product(x, transposeA: true, g, transposeB: false)) }
        }
    }

    /// A·Bᵀ (scores Q·Kᵀ, logits x·wteᵀ): ∂A = G·B, ∂B = Gᵀ·A.
    public func matmulTransposed(_ a: Variable, _ b: Variable) throws(CoreError) -> Variable {
        let x = value(a), y = value(b)
        guard x.cols == y.cols else {
            throw .shapeMismatch(operation: "multiply (A·Bᵀ)", lhs: x.shapeDescription, rhs: y.shapeDescription, hint: nil)
        }
        let out = MatrixProduct.multiplyTransposed(x, y)
        let needA = isDifferentiable(a), needB = isDifferentiable(b)
        return record(out, from: [a, b]) { g, grads in
            if needA { grads.add(a, MatrixProduct.product(g, transposeA: false, y, transposeB: false)) }
            if needB { grads.add(b, MatrixProduct.product(g, transposeA: true, x, transposeB: false)) }
        }
    }

    /// Aᵀ: ∂A = Gᵀ.
    public func transpose(_ a: Variable) -> Variable {
        record(value(a).transposed, from: [a]) { g, grads in grads.add(a, g.transposed) }
    }

    /// f applied to every element, with f′ given in terms of the input x and output y:
    /// ∂ = g·f′(x, y).
    public func map(_ a: Variable, _ f: (Double) -> Double, derivative: @escaping (_ x: Double, _ y: Double) -> Double) -> Variable {
        let x = value(a)
        let out = x.map(f)
        return record(out, from: [a]) { g, grads in
            var d = x
            d.storage.withUnsafeMutableBufferPointer { dx in
                out.storage.withUnsafeBufferPointer { y in
                    g.storage.withUnsafeBufferPointer { gb in
                        for i in dx.indices { dx[i] = gb[i] * derivative(dx[i], y[i]) }
                    }
                }
            }
            grads.add(a, d)
        }
    }

    /// The element-wise functions the language differentiates, with their derivatives.
    public enum UnaryFunction: String, Sendable, CaseIterable {
        case negate, exp, log, sqrt, tanh, relu, gelu, geluTanh = "gelu_tanh", abs
    }

    /// exp′ = exp; log′ = 1/x; √′ = 1/(2√x); tanh′ = 1 − tanh²; relu′ = [x > 0] (0 at 0, as
    /// JAX); gelu′ = Φ(x) + x·φ(x); gelu_tanh′ from its formula; |x|′ = sign x (0 at 0).
    public func apply(_ function: UnaryFunction, _ a: Variable) -> Variable {
        switch function {
        case .negate: return map(a, { -$0 }, derivative: { _, _ in -1 })
        case .exp: return map(a, Glibc.exp, derivative: { _, y in y })
        case .log: return map(a, Glibc.log, derivative: { x, _ in 1 / x })
        case .sqrt: return map(a, Glibc.sqrt, derivative: { _, y in 0.5 / y })
        case .tanh: return map(a, Glibc.tanh, derivative: { _, y in 1 - y * y })
        case .relu: return record(relu(value(a)), from: [a]) { [x = value(a)] g, grads in
                grads.add(a, g.zipped(x) { gi, xi in xi > 0 ? gi : 0 })
            }
        case .gelu:
            // Φ(x) is kept from the forward pass: erf is the costly part of both directions.
            let x = value(a)
            var cdf = x
            var out = x
            let inverseRoot2Pi = 1 / (2 * Double.pi).squareRoot()
            for i in 0..<x.count {
                // The same arithmetic as `gelu`, so values agree bit for bit.
                let e = erf(x.storage[i] / 2.0.squareRoot())
                cdf.storage[i] = 0.5 * (1 + e)
                out.storage[i] = 0.5 * x.storage[i] * (1 + e)
            }
            return record(out, from: [a]) { g, grads in
                var d = g
                for i in 0..<d.count {
                    let xi = x.storage[i]
                    d.storage[i] *= cdf.storage[i] + xi * Glibc.exp(-0.5 * xi * xi) * inverseRoot2Pi
                }
                grads.add(a, d)
            }
        case .geluTanh:
            let c = (2 / Double.pi).squareRoot()
            return map(a, { x in 0.5 * x * (1 + Glibc.tanh(c * (x + 0.044715 * x * x * x))) }) { x, _ in
                let u = c * (x + 0.044715 * x * x * x)
                let t = Glibc.tanh(u)
                return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * c * (1 + 3 * 0.044715 * x * x)
            }
        case .abs: return map(a, Swift.abs) { x, _ in x > 0 ? 1 : (x < 0 ? -1 : 0) }
        }
    }

    public func negate(_ a: Variable) -> Variable { apply(.negate, a) }
}

// MARK: - Reductions, selection, joining

extension Tape {
    /// sum, mean, max or min over every element (1×1), down columns (axis 0, 1×C) or along
    /// rows (axis 1, R×1). ∂sum = g broadcast back; ∂mean = g/n; ∂max and ∂min go to the
    /// elements equal to the result, shared equally among ties (as JAX).
    public func reduce(_ a: Variable, _ op: Reduction, axis: Int?) throws(CoreError) -> Variable {
        let x = value(a)
        switch op {
        case .sum, .mean, .max, .min: break
        case .variance:
            let centred = try subtract(a, try reduce(a, .mean, axis: axis))
            return try reduce(try multiply(centred, centred), .mean, axis: axis)
        case .standardDeviation:
            return apply(.sqrt, try reduce(a, .variance, axis: axis))
        case .argmax:
            throw .invalidArgument("argmax is not differentiable (its value is a position)")
        }
        let out = try AttentionCore.reduce(x, op, axis: axis)
        let n: Double = switch axis {
        case nil: Double(x.count)
        case 0?: Double(x.rows)
        default: Double(x.cols)
        }
        return record(out, from: [a]) { g, grads in
            let gb = g.expanded(toRows: x.rows, cols: x.cols)
            switch op {
            case .sum: grads.add(a, gb)
            case .mean: grads.add(a, gb.map { $0 / n })
            default:
                let best = out.expanded(toRows: x.rows, cols: x.cols)
                let hits = x.zipped(best) { $0 == $1 ? 1 : 0 }
                let counts = (try? AttentionCore.reduce(hits, .sum, axis: axis))?.expanded(toRows: x.rows, cols: x.cols) ?? hits
                grads.add(a, gb.zipped(hits, *).zipped(counts) { $1 == 0 ? 0 : $0 / $1 })
            }
        }
    }

    /// The sub-matrix of the given rows and columns (indices may repeat, as an embedding
    /// lookup repeats a token's row): ∂ scatters g back, adding where an index repeats.
    public func select(_ a: Variable, rows rowIndices: [Int], cols colIndices: [Int]) throws(CoreError) -> Variable {
        let x = value(a)
        let out = try x.select(rows: rowIndices, cols: colIndices)
        return record(out, from: [a]) { g, grads in
            var d = Matrix(rows: x.rows, cols: x.cols, repeating: 0)
            for (i, r) in rowIndices.enumerated() {
                for (j, c) in colIndices.enumerated() { d[r, c] += g[i, j] }
            }
            grads.add(a, d)
        }
    }

    /// Rows of `a` by index (an embedding lookup), every column.
    public func rows(_ a: Variable, _ indices: [Int]) throws(CoreError) -> Variable {
        let x = value(a)
        for i in indices where i < 0 || i >= x.rows {
            throw .invalidArgument("row \(i) is outside a matrix of \(x.rows) rows")
        }
        var out = [Double](repeating: 0, count: indices.count * x.cols)
        for (k, i) in indices.enumerated() { out.replaceSubrange((k * x.cols)..<((k + 1) * x.cols), with: x.row(i)) }
        let result = Matrix(uncheckedRows: indices.count, cols: x.cols, storage: out)
        return record(result, from: [a]) { g, grads in
            var d = Matrix(rows: x.rows, cols: x.cols, repeating: 0)
            d.storage.withUnsafeMutableBufferPointer { db in
                g.storage.withUnsafeBufferPointer { gb in
                    for (k, i) in indices.enumerated() {
                        for j in 0..<x.cols { db[i * x.cols + j] += gb[k * x.cols + j] }
                    }
                }
            }
            grads.add(a, d)
        }
    }

    /// [A₁ A₂ …] side by side (axis 1) or stacked (axis 0): ∂ slices g back.
    public func concatenate(_ parts: [Variable], axis: Int) throws(CoreError) -> Variable {
        let ms = parts.map(value)
        let out = axis == 1 ? try hcat(ms) : try vcat(ms)
        return record(out, from: parts) { g, grads in
            var offset = 0
            for (part, m) in zip(parts, ms) {
                if axis == 1 {
                    grads.add(part, (try? g.select(rows: Array(0..<g.rows), cols: Array(offset..<(offset + m.cols)))) ?? m)
                    offset += m.cols
                } else {
                    grads.add(part, Matrix(uncheckedRows: m.rows, cols: g.cols, storage: Array(g.storage[(offset * g.cols)..<((offset + m.rows) * g.cols)])))
                    offset += m.rows
                }
            }
        }
    }

    /// A with the same elements in r×c (row-major): ∂ reshapes g back.
    public func reshape(_ a: Variable, rows r: Int, cols c: Int) throws(CoreError) -> Variable {
        let x = value(a)
        return record(try x.reshaped(rows: r, cols: c), from: [a]) { g, grads in
            grads.add(a, Matrix(uncheckedRows: x.rows, cols: x.cols, storage: g.storage))
        }
    }

    /// Elements kept where `keep(i, j)` holds, zero elsewhere (tril, triu): ∂ is g masked alike.
    public func masked(_ a: Variable, keep: @escaping (Int, Int) -> Bool) -> Variable {
        let x = value(a)
        let out = Matrix(rows: x.rows, cols: x.cols) { i, j in keep(i, j) ? x[i, j] : 0 }
        return record(out, from: [a]) { g, grads in
            grads.add(a, Matrix(rows: g.rows, cols: g.cols) { i, j in keep(i, j) ? g[i, j] : 0 })
        }
    }

    /// where(cond, a, b): a where cond ≠ 0, else b (broadcast): ∂a = g·[cond ≠ 0], ∂b = g·[cond = 0].
    public func choose(where condition: Matrix, _ a: Variable, _ b: Variable) throws(CoreError) -> Variable {
        let x = value(a), y = value(b)
        let out = try Matrix.choose(where: condition, x, y)
        let (r, c) = (out.rows, out.cols)
        return record(out, from: [a, b]) { g, grads in
            let cond = condition.expanded(toRows: r, cols: c)
            grads.add(a, g.zipped(cond) { $1 != 0 ? $0 : 0 }.summed(toRows: x.rows, cols: x.cols))
            grads.add(b, g.zipped(cond) { $1 != 0 ? 0 : $0 }.summed(toRows: y.rows, cols: y.cols))
        }
    }

    /// Running sums along an axis: ∂ is the running sum of g taken from the other end.
    public func cumulativeSum(_ a: Variable, axis: Int) throws(CoreError) -> Variable {
        let out = try value(a).cumulativeSum(axis: axis)
        return record(out, from: [a]) { g, grads in
            var d = g
            if axis == 1 {
                for i in 0..<g.rows { for j in stride(from: g.cols - 2, through: 0, by: -1) { d[i, j] += d[i, j + 1] } }
            } else {
                for i in stride(from: g.rows - 2, through: 0, by: -1) { for j in 0..<g.cols { d[i, j] += d[i + 1, j] } }
            }
            grads.add(a, d)
        }
    }
}
