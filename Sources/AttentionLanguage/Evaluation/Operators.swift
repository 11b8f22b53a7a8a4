import AttentionCore

extension Evaluator {
    func unary(_ op: UnaryOp, _ value: Value, at range: SourceRange) throws(LangError) -> Value {
        switch (op, value) {
        case (.negate, .number(let d)): return .number(-d)
        case (.negate, .matrix(let m)): return .matrix(m.map { -$0 })
        case (.not, .bool(let b)): return .bool(!b)
        case (.negate, .tracked):
            if let result = try followedNegate(value, at: range) { return result }
            throw LangError(.cannotNegate(got: value.kindDescription), at: range)
        case (.negate, _):
            throw LangError(.cannotNegate(got: value.kindDescription), at: range)
        case (.not, _):
            throw LangError(.notNeedsBool(got: value.kindDescription), at: range)
        }
    }

    /// `+ - * / % ** @`: numbers, matrices (broadcasting a number or a 1×1 matrix, a 1×C row
    /// or an R×1 column, as `Matrix.broadcastShape` allows), string and list concatenation with `+`.
    func arithmetic(_ op: BinaryOp, _ lhs: Value, _ rhs: Value, at range: SourceRange, rhs rhsExpr: Expr) throws(LangError) -> Value {
        switch (lhs, rhs) {
        case (.number(let a), .number(let b)):
            switch op {
            case .add: return .number(a + b)
            case .subtract: return .number(a - b)
            case .multiply: return .number(a * b)
            case .divide: return .number(a / b)
            case .modulo: return .number(a.flooredModulo(b))
            case .power: return .number(Math.pow(a, b))
            case .matmul: throw LangError(.matmulOfNumbers, at: range)
            default: break
            }
        case (.matrix(let a), .matrix(let b)):
            if op == .matmul { return .matrix(try matrixProduct(a, b, at: range, rhs: rhsExpr)) }
            return .matrix(try elementwise(op, a, b, at: range))
        case (.matrix(let a), .number(let b)):
            if op == .matmul { throw LangError(.matmulWithNumber(side: "right"), at: range) }
            return .matrix(try elementwise(op, a, Matrix(scalar: b), at: range))
        case (.number(let a), .matrix(let b)):
            if op == .matmul { throw LangError(.matmulWithNumber(side: "left"), at: range) }
            return .matrix(try elementwise(op, Matrix(scalar: a), b, at: range))
        case (.string(let a), .string(let b)) where op == .add:
            try checkStringLength(a.utf8.count + b.utf8.count, at: range)
            return .string(a + b)
        case (.list(let a), .list(let b)) where op == .add:
            try checkCount(a.count + b.count, at: range)
            let joined = a + b
            try checkListDepth(joined, at: range)
            return .list(joined)
        case (.list, .matrix) where op == .add, (.list, .number) where op == .add, (.list, .string) where op == .add:
            // Python's `xs = xs + [v]`: `[v]` is a 1×1 matrix here, not a list.
            throw LangError(.listPlusItem(got: rhs.kindDescription), at: range)
        default:
            if let result = try followedArithmetic(op, lhs, rhs, at: range, rhs: rhsExpr) { return result }
        }
        throw LangError(.operandTypes(op: op.rawValue, left: lhs.kindDescription, right: rhs.kindDescription), at: range)
    }

    private func elementwise(_ op: BinaryOp, _ a: Matrix, _ b: Matrix, at range: SourceRange) throws(LangError) -> Matrix {
        let (operation, verb): (ElementwiseOperation, String) = switch op {
        case .add: (.add, "add")
        case .subtract: (.subtract, "subtract")
        case .multiply: (.multiply, "multiply elementwise")
        case .divide: (.divide, "divide elementwise")
        case .modulo: (.modulo, "take the remainder elementwise of")
        default: (.power, "raise to a power")
        }
        // The rule is AttentionCore's (`Matrix.broadcastShape`); the language words the error.
        guard Matrix.broadcastShape(a, b) != nil else {
            throw LangError(
                .broadcastMismatch(verb: verb, left: a.shapeDescription, right: b.shapeDescription, rows: max(a.rows, b.rows), cols: max(a.cols, b.cols)),
                at: range)
        }
        return try broadcast(operation, a, b, at: range)
    }

    /// `op` element by element over two matrices broadcast by AttentionCore's rule, the
    /// result's size checked against the limit before it is made: the one path for the
    /// arithmetic operators, the element-wise comparisons and the element-wise builtins.
    func broadcast(_ op: ElementwiseOperation, _ a: Matrix, _ b: Matrix, at range: SourceRange) throws(LangError) -> Matrix {
        if let shape = Matrix.broadcastShape(a, b) { try checkSize(rows: shape.rows, cols: shape.cols, at: range) }
        return try core(at: range) { () throws(CoreError) -> Matrix in try AttentionCore.elementwise(op, a, b) }
    }

    private func matrixProduct(_ a: Matrix, _ b: Matrix, at range: SourceRange, rhs: Expr) throws(LangError) -> Matrix {
        guard a.cols == b.rows else {
            var suggestion: String?
            if a.cols == b.cols {
                let text = source.slice(rhs.fullRange)
                if text.hasSuffix(".T") {
                    suggestion = String(text.dropLast(2))
                } else if case .call(.name("transpose", _), let arguments, _) = rhs, arguments.count == 1, arguments[0].label == nil {
                    suggestion = source.slice(arguments[0].value.fullRange)
                } else if !text.isEmpty {
                    // `.T` binds to a whole name, call, index or field; anything else needs parentheses.
                    let postfix = switch rhs {
                    case .name, .call, .index, .field, .bracket: true
                    default: false
                    }
                    suggestion = "\(postfix ? text : "(\(text))").T"
                }
            }
            throw LangError(
                .matmulShape(left: a.shapeDescription, right: b.shapeDescription, leftCols: a.cols, rightRows: b.rows, suggestion: suggestion),
                at: range)
        }
        try checkSize(rows: a.rows, cols: b.cols, at: range)
        try checkWork(Double(a.rows) * Double(a.cols) * Double(b.cols), at: range)
        return try core(at: range) { () throws(CoreError) -> Matrix in try matmul(a, b) }
    }

    func compare(_ op: BinaryOp, _ lhs: Value, _ rhs: Value, at range: SourceRange) throws(LangError) -> Value {
        func result<T: Comparable>(_ a: T, _ b: T) -> Value {
            switch op {
            case .less: .bool(a < b)
            case .lessEqual: .bool(a <= b)
            case .greater: .bool(a > b)
            default: .bool(a >= b)
            }
        }
        switch (lhs, rhs) {
        case (.number(let a), .number(let b)): return result(a, b)
        case (.string(let a), .string(let b)): return result(a, b)
        // Inside grad a number computed from a followed matrix (sum(W), W[i, j]) is a followed
        // 1×1: it compares as the number it holds, as it would outside grad.
        case (.tracked(let a), _) where a.value.count == 1 && (rhs.isNumber || rhs.isFollowedScalar):
            return try compare(op, .number(a.value.storage[0]), rhs.isFollowedScalar ? rhs.untracked.asMatrix.map { .number($0.storage[0]) } ?? rhs : rhs, at: range)
        case (.number, .tracked(let b)) where b.value.count == 1:
            return try compare(op, lhs, .number(b.value.storage[0]), at: range)
        default:
            // A matrix with a number or a matrix (two numbers returned above): element by
            // element, as NumPy, a 0/1 matrix broadcast as in +.
            if let a = lhs.asMatrix, let b = rhs.asMatrix {
                let elementwiseOp: ElementwiseOperation = switch op {
                case .less: .less
                case .lessEqual: .lessEqual
                case .greater: .greater
                default: .greaterEqual
                }
                return .matrix(try broadcast(elementwiseOp, a, b, at: range))
            }
            let leftIsMatrix = if case .matrix = lhs { true } else { false }
            throw LangError(
                .comparisonTypes(op: op.rawValue, left: lhs.kindDescription, right: rhs.kindDescription, leftIsMatrix: leftIsMatrix),
                at: range)
        }
    }

    /// `a..<b` as a value: the list of whole numbers a, a+1, ..., b-1.
    func makeRange(_ lhs: Value, _ rhs: Value, at range: SourceRange) throws(LangError) -> Value {
        let a = try rangeBound(lhs, at: range, operatorRange: range)
        let b = try rangeBound(rhs, at: range, operatorRange: range)
        guard b > a else { return .list([]) }
        let (count, overflow) = b.subtractingReportingOverflow(a)
        if overflow { throw LangError(.rangeTooLong(from: a, to: b), at: range) }
        try checkCount(count, at: range)
        return .list((a..<b).map { .number(Double($0)) })
    }

    func rangeBound(_ value: Value, at range: SourceRange, operatorRange: SourceRange) throws(LangError) -> Int {
        guard case .number(let d) = value else {
            throw LangError(.rangeBoundType(got: value.kindDescription), at: operatorRange)
        }
        guard let i = Convert.exactInt(d) else {
            throw LangError(.rangeBoundNotWhole(d), at: range)
        }
        return i
    }
}

/// Whole-value equality for `==` and `!=`: numbers, strings, bools, nil; matrices equal
/// when shapes and all elements are equal; a list of numbers equals a 1×n matrix of
/// the same numbers (so `A.shape == [4, 3]` reads naturally).
enum Equality {
    static func equal(_ a: Value, _ b: Value) -> Bool {
        switch (a, b) {
        case (.number(let x), .number(let y)): return x == y
        case (.string(let x), .string(let y)): return x == y
        case (.bool(let x), .bool(let y)): return x == y
        case (.nil, .nil): return true
        case (.matrix(let x), .matrix(let y)): return x == y
        case (.tracked(let x), _): return equal(.matrix(x.value), b)
        case (_, .tracked(let y)): return equal(a, .matrix(y.value))
        case (.list(let xs), .list(let ys)):
            return xs.count == ys.count && zip(xs, ys).allSatisfy { equal($0, $1) }
        case (.list(let xs), .matrix(let m)), (.matrix(let m), .list(let xs)):
            guard m.rows == 1, m.cols == xs.count else { return false }
            return zip(xs, m.storage).allSatisfy { if case .number(let d) = $0 { d == $1 } else { false } }
        case (.record(let x), .record(let y)):
            return x.keys == y.keys && x.keys.allSatisfy { k in
                guard let u = x[k], let v = y[k] else { return false }
                return equal(u, v)
            }
        case (.function(let f), .function(let g)): return f.name == g.name
        default: return false
        }
    }
}

extension Value {
    /// The 1×n row of a list of numbers (an empty list gives 1×0); nil when an item is not a number.
    static func numbersRow(_ items: [Value]) -> Matrix? {
        var numbers: [Double] = []
        numbers.reserveCapacity(items.count)
        for item in items {
            guard case .number(let d) = item else { return nil }
            numbers.append(d)
        }
        return Matrix(row: numbers)
    }

    /// A matrix, or a number as 1×1; nil for anything else.
    var asMatrix: Matrix? {
        switch self {
        case .matrix(let m): m
        case .number(let d): Matrix(scalar: d)
        // Only read where no gradient can flow (comparisons, equality): builtins never see
        // a followed matrix unless they have a rule for it (see `callFollowing`).
        case .tracked(let t): t.value
        default: nil
        }
    }
}
