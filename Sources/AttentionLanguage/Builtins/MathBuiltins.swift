import AttentionCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Elementwise math, reductions, norm, softmax, log_softmax.
enum MathBuiltins {
    static func call(_ name: String, _ a: Arguments) throws(LangError) -> Value? {
        switch name {
        case "sqrt": return try elementwise(a) { $0.squareRoot() }
        case "exp": return try elementwise(a) { exp($0) }
        case "log": return try elementwise(a) { log($0) }
        case "abs": return try elementwise(a) { Swift.abs($0) }
        case "tanh": return try elementwise(a) { tanh($0) }
        case "relu": return try matrixFunction(a, relu)
        case "gelu": return try matrixFunction(a, gelu)
        case "gelu_tanh": return try matrixFunction(a, geluTanh)
        case "sum", "mean", "max", "min", "argmax":
            guard let op = Reduction(rawValue: name) else { return nil }
            let m = try a.matrix("A")
            let axis = try a.axis(optional: true)
            if m.count == 0, op != .sum {
                throw .value("\(name) of an empty \(m.shapeDescription) matrix has no value", at: a.range)
            }
            let r = try a.core { () throws(CoreError) -> Matrix in try reduce(m, op, axis: axis) }
            if axis == nil, r.count == 1 { return .number(r.storage[0]) }
            return .matrix(r)
        case "norm":
            return .number(norm(try a.matrix("A")))
        case "softmax", "log_softmax":
            let m = try a.matrix("A")
            let axis = try a.axis(optional: false) ?? 1
            let t = try a.number("temperature")
            guard t > 0 else {
                throw .value("temperature must be positive, got \(Renderer.formatNumber(t))", at: a.range(of: "temperature"))
            }
            return .matrix(try a.core { () throws(CoreError) -> Matrix in
                name == "softmax" ? try softmax(m, axis: axis, temperature: t) : try logSoftmax(m, axis: axis, temperature: t)
            })
        default:
            return nil
        }
    }

    /// Applies `f` to a number, or to every element of a matrix.
    private static func elementwise(_ a: Arguments, _ f: (Double) -> Double) throws(LangError) -> Value {
        switch a.value("x") {
        case .number(let d): return .number(f(d))
        default: return .matrix(try a.matrix("x").map(f))
        }
    }

    /// Applies a library function to a matrix (a number is treated as 1×1 and comes back a number).
    private static func matrixFunction(_ a: Arguments, _ f: (Matrix) -> Matrix) throws(LangError) -> Value {
        if case .number(let d) = a.value("x") { return .number(f(Matrix(scalar: d)).storage[0]) }
        return .matrix(f(try a.matrix("x")))
    }
}
