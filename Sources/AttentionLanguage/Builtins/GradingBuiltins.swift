import AttentionCore

extension BuiltinTable {
    /// Checks for exercises and auto-grading.
    static let grading: [Builtin] = [
        Builtin("assert", .grading, "assert(condition, message = \"assertion failed\")",
            "Stops the cell with an AssertionError carrying message when condition is false.", example: "assert(W.rows == 3, \"W needs 3 rows\")", numpy: "assert condition, message") { a throws(LangError) in
            let ok = try a.bool("condition")
            let message = switch try a.value("message") {
            case .string(let s): s
            case let v: Renderer.plainText(v)
            }
            if !ok { throw LangError(.assertion(message), at: a.range) }
            return .nil
        }.readingValues(),
        Builtin("close", .grading, "close(A, B, tol: 1e-6)",
            "true when A and B have the same shape and every |a − b| ≤ tol·(1 + |b|). Numbers count as 1×1.", example: "close(softmax([0, 0]), [0.5, 0.5])", numpy: "np.allclose(A, B, rtol=tol, atol=tol)") { a throws(LangError) in
            let (x, y) = (try GradingBuiltins.operand(a, "A"), try GradingBuiltins.operand(a, "B"))
            let tol = try GradingBuiltins.tolerance(a)
            guard x.rows == y.rows, x.cols == y.cols else { return .bool(false) }
            return .bool(GradingBuiltins.largestExcess(x, y, tol: tol) == nil)
        }.readingValues(),
        Builtin("expect_close", .grading, "expect_close(A, B, tol: 1e-6)",
            "Like close, but fails with an AssertionError naming the largest difference and where it is (or both shapes).",
            example: "expect_close(sum(W, axis: 1), ones(3, 1))", numpy: "np.testing.assert_allclose(A, B, rtol=tol, atol=tol)") { a throws(LangError) in
            let (x, y) = (try GradingBuiltins.operand(a, "A"), try GradingBuiltins.operand(a, "B"))
            let tol = try GradingBuiltins.tolerance(a)
            guard x.rows == y.rows, x.cols == y.cols else {
                throw LangError(.shapeExpectation(expected: y.shapeDescription, got: x.shapeDescription), at: a.range)
            }
            if let (i, j) = GradingBuiltins.largestExcess(x, y, tol: tol) {
                let single = x.count == 1
                throw LangError(
                    .valuesDiffer(
                        difference: Swift.abs(x[i, j] - y[i, j]), row: single ? nil : i, col: single ? nil : j,
                        got: x[i, j], expected: y[i, j], tolerance: tol),
                    at: a.range)
            }
            return .nil
        }.readingValues(),
        Builtin("expect_shape", .grading, "expect_shape(A, shape)",
            "Fails with an AssertionError naming both shapes unless A has the shape [r, c].", example: "expect_shape(W, [3, 3])") { a throws(LangError) in
            let m = try a.matrix("A")
            let expected = try a.ids("shape")
            guard expected.count == 2 else { throw LangError(.expectShapeArity(expected.count), at: try a.range(of: "shape")) }
            if m.rows != expected[0] || m.cols != expected[1] {
                throw LangError(.expectedShape(rows: expected[0], cols: expected[1], got: m.shapeDescription), at: a.range)
            }
            return .nil
        }.readingValues(),
    ]
}

/// Helpers shared by the Grading builtins.
enum GradingBuiltins {
    /// A number, matrix, or list of numbers (as 1×n) to compare.
    static func operand(_ a: Arguments, _ name: String) throws(LangError) -> Matrix {
        if case .list(let items) = try a.value(name) {
            var values: [Double] = []
            for item in items {
                guard case .number(let d) = item else {
                    throw LangError(.comparesNumbers(builtin: a.info.name, parameter: name, found: item.kindDescription), at: try a.range(of: name))
                }
                values.append(d)
            }
            return Matrix(rows: 1, cols: values.count) { _, j in values[j] }
        }
        return try a.matrix(name)
    }

    static func tolerance(_ a: Arguments) throws(LangError) -> Double {
        let tol = try a.number("tol")
        guard tol >= 0, !tol.isNaN else { throw LangError(.negativeTolerance(tol), at: try a.range(of: "tol")) }
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
