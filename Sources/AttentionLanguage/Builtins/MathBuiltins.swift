import AttentionCore
import Glibc

extension BuiltinTable {
    /// Elementwise math, reductions, norm, softmax.
    static let math: [Builtin] = [
        Builtin("sqrt", .math, "sqrt(x)", "Square root, elementwise on a matrix (NaN for negative values).", example: "sqrt(16)  // 4", numpy: "np.sqrt(x)") { a throws(LangError) in
            try MathBuiltins.elementwise(a) { $0.squareRoot() }
        }.differentiable(Follow.unary(.sqrt)),
        Builtin("exp", .math, "exp(x)", "eˣ, elementwise on a matrix.", example: "exp(0)  // 1", numpy: "np.exp(x)") { a throws(LangError) in
            try MathBuiltins.elementwise(a) { exp($0) }
        }.differentiable(Follow.unary(.exp)),
        Builtin("log", .math, "log(x)", "Natural logarithm, elementwise (log(0) is -inf).", example: "log(exp(2))  // 2", numpy: "np.log(x)") { a throws(LangError) in
            try MathBuiltins.elementwise(a) { log($0) }
        }.differentiable(Follow.unary(.log)),
        Builtin("abs", .math, "abs(x)", "Absolute value, elementwise.", example: "abs([-1, 2])  // [1, 2]", numpy: "np.abs(x)") { a throws(LangError) in
            try MathBuiltins.elementwise(a) { Swift.abs($0) }
        }.differentiable(Follow.unary(.abs)),
        Builtin("floor", .math, "floor(x)",
            "The largest whole number ≤ x, elementwise (toward −∞: floor(-2.5) is -3). Python's a // b is floor(a / b); int(x) truncates toward 0 instead, which is floor(x) only for x ≥ 0.",
            example: "floor(7 / 2)    // 3\nfloor(-7 / 2)   // -4", numpy: "np.floor(x)") { a throws(LangError) in
            try MathBuiltins.elementwise(a) { $0.rounded(.down) }
        }.readingValues(),
        Builtin("tanh", .math, "tanh(x)", "Hyperbolic tangent, elementwise.", example: "tanh(0)  // 0", numpy: "np.tanh(x)") { a throws(LangError) in
            try MathBuiltins.elementwise(a) { tanh($0) }
        }.differentiable(Follow.unary(.tanh)),
        Builtin("relu", .math, "relu(x)", "max(0, x), elementwise.", example: "relu([-1, 2])  // [0, 2]", numpy: "np.maximum(x, 0)") { a throws(LangError) in
            try MathBuiltins.elementwiseMatrix(a, "x", relu)
        }.differentiable(Follow.unary(.relu)),
        Builtin("gelu", .math, "gelu(x)",
            "GELU in its exact form: x·Φ(x) = x·(1 + erf(x/√2))/2, elementwise.", example: "gelu([0, 1])", numpy: "x * (1 + scipy.special.erf(x / np.sqrt(2))) / 2") { a throws(LangError) in
            try MathBuiltins.elementwiseMatrix(a, "x", gelu)
        }.differentiable(Follow.unary(.gelu)),
        Builtin("gelu_tanh", .math, "gelu_tanh(x)",
            "GELU's tanh approximation (GPT-2): x/2·(1 + tanh(√(2/π)(x + 0.044715x³))), elementwise.", example: "gelu_tanh([0, 1])", numpy: "0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x**3)))") { a throws(LangError) in
            try MathBuiltins.elementwiseMatrix(a, "x", geluTanh)
        }.differentiable(Follow.unary(.geluTanh)),
        .reduction("sum", .math, .sum,
            "The sum of the elements. Without axis a number; axis: 0 sums each column (1×C), axis: 1 each row (R×1).",
            example: "sum([1, 2; 3, 4])          // 10\nsum([1, 2; 3, 4], axis: 0) // [4, 6]", numpy: "np.sum(A, axis=0, keepdims=True)"),
        .reduction("mean", .math, .mean, "The mean of the elements; axis as in sum.", example: "mean([1, 2, 3])  // 2", numpy: "np.mean(A, axis=0, keepdims=True)"),
        Builtin("max", .math, "max(A, B = nil, axis: nil)",
            "The largest element; axis as in sum. With two arguments, the larger of each pair as maximum(A, B) (so max(3, 5) is 5, as in Python).",
            example: "max([1, 5, 3])  // 5\nmax(3, 5)       // 5", numpy: "np.max(A, axis=0, keepdims=True)") { a throws(LangError) in
            try MathBuiltins.reductionOrPair(a, .max, .maximum)
        }.differentiable(Follow.reductionOrPair(.max, .maximum)),
        Builtin("min", .math, "min(A, B = nil, axis: nil)",
            "The smallest element; axis as in sum. With two arguments, the smaller of each pair as minimum(A, B).",
            example: "min([1, 5, 3])  // 1\nmin(3, 5)       // 3", numpy: "np.min(A, axis=0, keepdims=True)") { a throws(LangError) in
            try MathBuiltins.reductionOrPair(a, .min, .minimum)
        }.differentiable(Follow.reductionOrPair(.min, .minimum)),
        Builtin("argmax", .math, "argmax(A, axis: nil)",
            "The position of the largest element: without axis the index into the row-major elements; axis: 1 gives each row's column index (R×1), axis: 0 each column's row index (1×C).",
            example: "argmax([1, 5, 3])  // 1", numpy: "np.argmax(A, axis=1, keepdims=True)") { a throws(LangError) in
            try MathBuiltins.reduction(a, .argmax)
        }.readingValues(),
        Builtin("norm", .math, "norm(A)", "The Frobenius norm √(Σ aᵢⱼ²).", example: "norm([3, 4])  // 5", numpy: "np.linalg.norm(A)") { a throws(LangError) in
            .number(norm(try a.matrix("A")))
        }.differentiable(Follow.norm),
        .softmaxFamily("softmax", log: false,
            "softmax(x)ᵢ = exp(xᵢ/T) / Σⱼ exp(xⱼ/T), row by row by default (axis: 0 for columns). Numerically stable (the maximum is subtracted first); a row that is all -inf gives zeros.",
            example: "softmax([1, 2, 3])\nsoftmax(S, temperature: 0.5)", numpy: "scipy.special.softmax(A / T, axis=1)"),
        .softmaxFamily("log_softmax", log: true,
            "log(softmax(A)), computed stably as x/T − logsumexp(x/T).", example: "log_softmax([1, 2, 3])", numpy: "scipy.special.log_softmax(A / T, axis=1)"),
    ]
}

extension Builtin {
    /// The entry of a differentiable reduction `name(A, axis: nil)` that applies `op` (see
    /// `MathBuiltins.reduction`); grad follows it by `Follow.reduction(op)`.
    static func reduction(_ name: String, _ category: BuiltinCategory, _ op: Reduction, _ doc: String, example: String, numpy: String) -> Builtin {
        Builtin(name, category, "\(name)(A, axis: nil)", doc, example: example, numpy: numpy) { a throws(LangError) in
            try MathBuiltins.reduction(a, op)
        }.differentiable(Follow.reduction(op))
    }

    /// The entry of softmax (`log: false`) or log_softmax (`log: true`), `name(A, axis: 1, temperature: 1)`:
    /// the one flag picks both the core function and grad's rule, so the two cannot disagree.
    static func softmaxFamily(_ name: String, log takesLog: Bool, _ doc: String, example: String, numpy: String) -> Builtin {
        Builtin(name, .math, "\(name)(A, axis: 1, temperature: 1)", doc, example: example, numpy: numpy) { a throws(LangError) in
            try MathBuiltins.softmaxFamily(a) { (m, axis, t) throws(CoreError) in
                takesLog ? try logSoftmax(m, axis: axis, temperature: t) : try softmax(m, axis: axis, temperature: t)
            }
        }.differentiable(Follow.softmax(log: takesLog))
    }
}

/// Helpers shared by the Math builtins.
enum MathBuiltins {
    /// Applies `f` to a number, or to every element of a matrix.
    static func elementwise(_ a: Arguments, _ f: (Double) -> Double) throws(LangError) -> Value {
        switch try a.value("x") {
        case .number(let d): return .number(f(d))
        default: return .matrix(try a.matrix("x").map(f))
        }
    }

    /// A matrix function applied to the argument `name`; a number comes back a number.
    static func elementwiseMatrix(_ a: Arguments, _ name: String, _ f: (Matrix) -> Matrix) throws(LangError) -> Value {
        if case .number(let d) = try a.value(name) { return .number(f(Matrix(scalar: d)).storage[0]) }
        return .matrix(f(try a.matrix(name)))
    }

    /// max and min: a reduction of A, or with a second argument B the element-wise `pair`.
    static func reductionOrPair(_ a: Arguments, _ op: Reduction, _ pair: ElementwiseOperation) throws(LangError) -> Value {
        if case .nil = try a.value("B") { return try reduction(a, op) }
        return try ArrayBuiltins.elementwise(a, pair, "A", "B")
    }

    /// sum, mean, max, min, argmax, var, std: a number without axis, else a row or a column.
    static func reduction(_ a: Arguments, _ op: Reduction) throws(LangError) -> Value {
        let m = try a.matrixOrNumbers("A")
        let axis = try a.axis(optional: true)
        if m.count == 0, op != .sum { throw LangError(.emptyReduction(builtin: a.info.name, shape: m.shapeDescription), at: a.range) }
        let r = try a.core { () throws(CoreError) -> Matrix in try reduce(m, op, axis: axis) }
        if axis == nil, r.count == 1 { return .number(r.storage[0]) }
        return .matrix(r)
    }

    /// softmax, log_softmax: the matrix, axis (default 1) and a positive temperature.
    static func softmaxFamily(
        _ a: Arguments, _ f: (Matrix, Int, Double) throws(CoreError) -> Matrix
    ) throws(LangError) -> Value {
        let m = try a.matrix("A")
        let axis = try a.axis(optional: false) ?? 1
        let t = try a.number("temperature")
        guard t > 0 else { throw LangError(.nonPositiveTemperature(t), at: try a.range(of: "temperature")) }
        return .matrix(try a.core { () throws(CoreError) -> Matrix in try f(m, axis, t) })
    }
}
