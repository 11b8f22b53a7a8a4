import AttentionCore

// How `grad` follows matrices through a student's function: the matrices of `p` go onto a
// tape as `Value.tracked`; operators and differentiable builtins record what they compute
// (AttentionCore's `Tape` holds the rules); anything else refuses a followed matrix with a
// TypeError naming itself. Outside `grad` there is no tape and none of this runs.

extension Value {
    /// Whether a followed matrix is anywhere inside (lists and records included).
    var containsTracked: Bool {
        switch self {
        case .tracked: true
        case .list(let items): items.contains { $0.containsTracked }
        case .record(let r): r.fields.contains { $0.value.containsTracked }
        default: false
        }
    }

    /// The same value with every followed matrix replaced by what it holds.
    var untracked: Value {
        switch self {
        case .tracked(let t): .matrix(t.value)
        case .list(let items) where containsTracked: .list(items.map(\.untracked))
        case .record(let r) where containsTracked: .record(Record(r.fields.map { ($0.name, $0.value.untracked) }))
        default: self
        }
    }

    /// The tape variable `v` as a value: followed when it depends on a parameter.
    static func on(_ tape: Tape, _ v: Tape.Variable) -> Value {
        tape.isDifferentiable(v) ? .tracked(Tracked(variable: v, value: tape.value(v))) : .matrix(tape.value(v))
    }
}

extension Evaluator {
    /// A builtin call with a followed matrix among its arguments.
    func callFollowing(_ builtin: Builtin, _ arguments: [EvaluatedArgument], tape: Tape, at range: SourceRange) throws(LangError) -> Value {
        switch builtin.differentiation {
        case nil:
            throw LangError(.notDifferentiable(builtin: builtin.name), at: range)
        case .readsValues?:
            let plain = arguments.map { EvaluatedArgument(label: $0.label, labelRange: $0.labelRange, value: $0.value.untracked, expr: $0.expr) }
            return try builtin.implementation(Arguments(info: builtin, evaluator: self, range: range, arguments: plain))
        case .rule(let rule)?:
            return try rule(Arguments(info: builtin, evaluator: self, range: range, arguments: arguments), tape)
        }
    }

    /// A value on the tape: a followed matrix's variable, or a constant for a matrix or number.
    func variable(_ v: Value, on tape: Tape) -> Tape.Variable? {
        switch v {
        case .tracked(let t): t.variable
        case .matrix(let m): tape.constant(m)
        case .number(let d): tape.constant(Matrix(scalar: d))
        default: nil
        }
    }

    /// Runs a tape operation with its errors located at `range`.
    func onTape(at range: SourceRange, _ body: () throws(CoreError) -> Tape.Variable) throws(LangError) -> Value {
        guard let tape else { throw LangError(.gradInsideGrad, at: range) }
        return .on(tape, try core(at: range, body))
    }

    // MARK: Operators

    /// `+ - * / ** @` when an operand is followed, and element-wise arithmetic between
    /// records of the same fields (or a number and a record); nil when neither applies.
    func followedArithmetic(_ op: BinaryOp, _ lhs: Value, _ rhs: Value, at range: SourceRange, rhs rhsExpr: Expr) throws(LangError) -> Value? {
        if case .record = lhs { return try recordArithmetic(op, lhs, rhs, at: range, rhs: rhsExpr) }
        if case .record = rhs { return try recordArithmetic(op, lhs, rhs, at: range, rhs: rhsExpr) }
        guard let tape, lhs.isFollowed || rhs.isFollowed,
              let a = variable(lhs, on: tape), let b = variable(rhs, on: tape) else { return nil }
        if op == .matmul {
            if case .number = lhs { throw LangError(.matmulWithNumber(side: "left"), at: range) }
            if case .number = rhs { throw LangError(.matmulWithNumber(side: "right"), at: range) }
            let (x, y) = (tape.value(a), tape.value(b))
            if x.cols != y.rows {
                // The plain product words the error (and its hint).
                _ = try arithmetic(op, .matrix(x), .matrix(y), at: range, rhs: rhsExpr)
            }
            try checkSize(rows: x.rows, cols: y.cols, at: range)
            try checkWork(Double(x.rows) * Double(x.cols) * Double(y.cols), at: range)
            return try onTape(at: range) { () throws(CoreError) -> Tape.Variable in try tape.matmul(a, b) }
        }
        let operation: ElementwiseOperation
        switch op {
        case .add: operation = .add
        case .subtract: operation = .subtract
        case .multiply: operation = .multiply
        case .divide: operation = .divide
        case .power: operation = .power
        case .modulo: operation = .modulo
        default: return nil
        }
        let (x, y) = (tape.value(a), tape.value(b))
        if Matrix.broadcastShape(x, y) == nil {
            _ = try arithmetic(op, .matrix(x), .matrix(y), at: range, rhs: rhsExpr)
        }
        return try onTape(at: range) { () throws(CoreError) -> Tape.Variable in try tape.elementwise(operation, a, b) }
    }

    /// r₁ op r₂ field by field for two records of the same fields, or n op r, r op n for a
    /// number or matrix n: every matrix field is combined; number, bool and string fields
    /// (sizes and settings such as `heads`) are kept from the (left) record. Lists inside
    /// are combined item by item.
    private func recordArithmetic(_ op: BinaryOp, _ lhs: Value, _ rhs: Value, at range: SourceRange, rhs rhsExpr: Expr) throws(LangError) -> Value? {
        guard op != .matmul else { return nil }
        func isSetting(_ v: Value) -> Bool {
            switch v {
            case .number, .bool, .string, .nil: true
            default: false
            }
        }
        // Both sides structured alike.
        func zipped(_ x: Value, _ y: Value, _ path: String) throws(LangError) -> Value {
            switch (x, y) {
            case (.record(let r), .record(let s)):
                guard r.keys == s.keys else {
                    let differing = Set(r.keys).symmetricDifference(s.keys).sorted()
                    let named = differing.prefix(4).joined(separator: ", ") + (differing.count > 4 ? " and \(differing.count - 4) more" : "")
                    let text = differing.isEmpty ? "the same fields in a different order" : "only one of them has " + named
                    throw LangError(.recordFieldsDiffer(op: op.rawValue, missing: text), at: range)
                }
                var out = Record()
                for (k, v) in r.fields { out[k] = try zipped(v, s[k]!, path.isEmpty ? k : "\(path).\(k)") }
                return .record(out)
            case (.list(let xs), .list(let ys)):
                guard xs.count == ys.count else {
                    throw LangError(.recordFieldsDiffer(op: op.rawValue, missing: "\(path) has \(xs.count) items on the left and \(ys.count) on the right"), at: range)
                }
                var out: [Value] = []
                for (i, (u, v)) in zip(xs, ys).enumerated() { out.append(try zipped(u, v, "\(path)[\(i)]")) }
                return .list(out)
            case _ where x.isMatrixLike && y.isMatrixLike:
                return try arithmetic(op, x, y, at: range, rhs: rhsExpr)
            case _ where isSetting(x) && isSetting(y):
                return x
            default:
                throw LangError(.recordFieldsDiffer(op: op.rawValue, missing: "\(path) is a \(x.kindDescription) on the left and a \(y.kindDescription) on the right"), at: range)
            }
        }
        // One side a record, the other a number or matrix applied to each matrix field.
        func broadcast(_ structured: Value, _ scalar: Value, structuredOnLeft: Bool) throws(LangError) -> Value {
            switch structured {
            case .record(let r):
                var out = Record()
                for (k, v) in r.fields { out[k] = try broadcast(v, scalar, structuredOnLeft: structuredOnLeft) }
                return .record(out)
            case .list(let items):
                var out: [Value] = []
                for item in items { out.append(try broadcast(item, scalar, structuredOnLeft: structuredOnLeft)) }
                return .list(out)
            case _ where structured.isMatrixLike:
                return structuredOnLeft ? try arithmetic(op, structured, scalar, at: range, rhs: rhsExpr)
                    : try arithmetic(op, scalar, structured, at: range, rhs: rhsExpr)
            default:
                return structured
            }
        }
        switch (lhs, rhs) {
        case (.record, .record): return try zipped(lhs, rhs, "")
        case (.record, _) where rhs.isMatrixLike || rhs.isNumber: return try broadcast(lhs, rhs, structuredOnLeft: true)
        case (_, .record) where lhs.isMatrixLike || lhs.isNumber: return try broadcast(rhs, lhs, structuredOnLeft: false)
        default: return nil
        }
    }

    /// `-A` for a followed A.
    func followedNegate(_ value: Value, at range: SourceRange) throws(LangError) -> Value? {
        guard case .tracked(let t) = value, let tape else { return nil }
        return .on(tape, tape.negate(t.variable))
    }

    /// `A[...]` for a followed A: rows, columns, slices and lists of indices (an embedding
    /// lookup), recorded as a selection; `A[i, j]` gives a followed 1×1 matrix.
    func followedIndex(_ t: Tracked, _ parts: [CompiledPart], at range: SourceRange) throws(LangError) -> Value {
        guard let tape else { throw LangError(.gradInsideGrad, at: range) }
        let m = t.value
        let rowSel = try resolve(parts[0], count: m.rows, axis: "row", at: range)
        let colIndices = parts.count == 1 ? Array(0..<m.cols) : try resolve(parts[1], count: m.cols, axis: "column", at: range).indices
        try checkSize(rows: rowSel.indices.count, cols: colIndices.count, at: range)
        return try onTape(at: range) { () throws(CoreError) -> Tape.Variable in
            try tape.select(t.variable, rows: rowSel.indices, cols: colIndices)
        }
    }

    /// `.T`, `.shape`, `.rows`, `.cols` of a followed matrix.
    func followedField(_ t: Tracked, _ name: String, at range: SourceRange) throws(LangError) -> Value {
        guard name == "T", let tape else { return try field(.matrix(t.value), name, at: range) }
        return .on(tape, tape.transpose(t.variable))
    }
}

extension Value {
    var isFollowed: Bool { if case .tracked = self { true } else { false } }
    var isNumber: Bool { if case .number = self { true } else { false } }
    /// A followed 1×1 matrix: what a number computed from a followed matrix is inside grad.
    var isFollowedScalar: Bool { if case .tracked(let t) = self { t.value.count == 1 } else { false } }
    var isMatrixLike: Bool {
        switch self {
        case .matrix, .tracked: true
        default: false
        }
    }
}

// MARK: - grad

extension Evaluator {
    /// f(p) and ∂f/∂p: the matrices of `p` become parameters on a new tape, `f` runs once,
    /// and one backward pass gives the gradient with `p`'s structure.
    func valueAndGradient(of f: Value, at p: Value, range: SourceRange) throws(LangError) -> (value: Value, gradient: Value) {
        guard tape == nil else { throw LangError(.gradInsideGrad, at: range) }
        guard case .function(let callable) = f else { throw LangError(.gradNeedsFunction(got: f.kindDescription), at: range) }
        let newTape = Tape()
        var parameters: [Tape.Variable] = []
        func follow(_ v: Value, path: String) throws(LangError) -> Value {
            switch v {
            case .matrix(let m):
                let variable = newTape.parameter(m)
                parameters.append(variable)
                return .tracked(Tracked(variable: variable, value: m))
            case .list(let items):
                var out: [Value] = []
                for (i, item) in items.enumerated() { out.append(try follow(item, path: "\(path)[\(i)]")) }
                return .list(out)
            case .record(let r):
                var out = Record()
                for (k, field) in r.fields {
                    // Sizes and settings (heads, vocab) are carried, not differentiated.
                    if case .number = field { out[k] = field; continue }
                    if case .bool = field { out[k] = field; continue }
                    if case .string = field { out[k] = field; continue }
                    out[k] = try follow(field, path: path.isEmpty ? k : "\(path).\(k)")
                }
                return .record(out)
            default:
                throw LangError(.notDifferentiableParameter(path: path.isEmpty ? "p" : path, got: v.kindDescription), at: range)
            }
        }
        let followed = try follow(p, path: "")
        tape = newTape
        defer { tape = nil }
        let result = try call(callable, [EvaluatedArgument(label: nil, labelRange: nil, value: followed, expr: .nil(range))], at: range, calleeRange: range)
        let output: Tape.Variable
        switch result {
        case .tracked(let t) where t.value.rows == 1 && t.value.cols == 1: output = t.variable
        case .number(let d): output = newTape.constant(Matrix(scalar: d))
        case .matrix(let m) where m.rows == 1 && m.cols == 1: output = newTape.constant(m)
        default: throw LangError(.gradNeedsNumber(got: result.kindDescription), at: range)
        }
        let gradients = try core(at: range) { () throws(CoreError) -> Tape.Gradients in try newTape.gradients(of: output) }
        var next = 0
        func rebuild(_ v: Value) -> Value {
            switch v {
            case .tracked:
                defer { next += 1 }
                return .matrix(gradients.of(parameters[next], on: newTape))
            case .list(let items): return .list(items.map(rebuild))
            case .record(let r): return .record(Record(r.fields.map { ($0.name, rebuild($0.value)) }))
            default: return v
            }
        }
        return (.number(newTape.value(output)[0, 0]), rebuild(followed))
    }
}
