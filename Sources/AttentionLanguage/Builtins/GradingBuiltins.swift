import AttentionCore

/// assert close expect_close expect_shape: checks for exercises and auto-grading.
enum GradingBuiltins {
    static func call(_ name: String, _ a: Arguments) throws(LangError) -> Value? {
        switch name {
        case "assert":
            let ok = try a.bool("condition")
            let message: String
            switch a.value("message") {
            case .string(let s): message = s
            case let v: message = Renderer.plainText(v)
            }
            if !ok { throw LangError(.assertionError, message, at: a.range) }
            return .nil
        case "close":
            let (x, y) = (try operand(a, "A"), try operand(a, "B"))
            let tol = try tolerance(a)
            guard x.rows == y.rows, x.cols == y.cols else { return .bool(false) }
            return .bool(largestExcess(x, y, tol: tol) == nil)
        case "expect_close":
            let (x, y) = (try operand(a, "A"), try operand(a, "B"))
            let tol = try tolerance(a)
            guard x.rows == y.rows, x.cols == y.cols else {
                throw LangError(.assertionError, "expected a \(y.shapeDescription) matrix, got a \(x.shapeDescription) matrix", at: a.range)
            }
            if let (i, j) = largestExcess(x, y, tol: tol) {
                let f = Renderer.formatNumber
                let diff = Swift.abs(x[i, j] - y[i, j])
                let place = x.count == 1 ? "" : " at [\(i), \(j)]"
                throw LangError(
                    .assertionError,
                    "the values differ by \(f(diff))\(place) (got \(f(x[i, j])), expected \(f(y[i, j]))), more than tol \(f(tol)) allows",
                    at: a.range)
            }
            return .nil
        case "expect_shape":
            let m = try a.matrix("A")
            let expected = try a.ids("shape")
            guard expected.count == 2 else {
                throw .value("expect_shape needs the shape as [rows, cols], got \(expected.count) numbers", at: a.range(of: "shape"))
            }
            if m.rows != expected[0] || m.cols != expected[1] {
                throw LangError(.assertionError, "expected shape \(expected[0])×\(expected[1]), got \(m.shapeDescription)", at: a.range)
            }
            return .nil
        default:
            return nil
        }
    }

    /// A number, matrix, or list of numbers (as 1×n) to compare.
    private static func operand(_ a: Arguments, _ name: String) throws(LangError) -> Matrix {
        if case .list(let items) = a.value(name) {
            var values: [Double] = []
            for item in items {
                guard case .number(let d) = item else {
                    throw .type("\(a.info.name) compares numbers and matrices; '\(name)' holds a \(item.kindDescription)", at: a.range(of: name))
                }
                values.append(d)
            }
            return Matrix(rows: 1, cols: values.count) { _, j in values[j] }
        }
        return try a.matrix(name)
    }

    private static func tolerance(_ a: Arguments) throws(LangError) -> Double {
        let tol = try a.number("tol")
        guard tol >= 0, !tol.isNaN else { throw .value("tol must be ≥ 0, got \(Renderer.formatNumber(tol))", at: a.range(of: "tol")) }
        return tol
    }

    /// The position of the largest |a − b| beyond tol·(1 + |b|), or nil when all are within.
    /// Equal infinities count as close; a NaN is never close.
    static func largestExcess(_ x: Matrix, _ y: Matrix, tol: Double) -> (Int, Int)? {
        var worst: (Int, Int)?
        var worstDiff = -1.0
        for i in 0..<x.rows {
            for j in 0..<x.cols {
                let (u, v) = (x[i, j], y[i, j])
                if u == v { continue }
                let diff = Swift.abs(u - v)
                if diff.isNaN || diff > tol * (1 + Swift.abs(v)) {
                    let key = diff.isNaN ? Double.infinity : diff
                    if key > worstDiff {
                        worstDiff = key
                        worst = (i, j)
                    }
                }
            }
        }
        return worst
    }
}
