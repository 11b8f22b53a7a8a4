import AttentionCore

// The gradient rules of the differentiable builtins: each reads its arguments as tape
// variables (a followed matrix, or a constant for a plain matrix or number) and records the
// same computation as the builtin's implementation on the tape. Entries attach them with
// `.differentiable(...)` beside their implementation.

extension Arguments {
    /// The argument `name` as a tape variable.
    func variable(_ name: String, _ tape: Tape) throws(LangError) -> Tape.Variable {
        let v = try value(name)
        guard let variable = evaluator.variable(v, on: tape) else {
            throw LangError(.argumentType(builtin: info.name, parameter: name, expected: "a matrix", got: v.kindDescription), at: try range(of: name))
        }
        return variable
    }

    func optionalVariable(_ name: String, _ tape: Tape) throws(LangError) -> Tape.Variable? {
        if case .nil = try value(name) { return nil }
        return try variable(name, tape)
    }

    /// A list of matrices (followed or not) as tape variables.
    func variables(_ values: [Value], _ name: String, _ tape: Tape) throws(LangError) -> [Tape.Variable] {
        var out: [Tape.Variable] = []
        for v in values {
            guard let variable = evaluator.variable(v, on: tape), !v.isNumber else {
                throw LangError(.argumentType(builtin: info.name, parameter: name, expected: "matrices", got: v.kindDescription), at: try range(of: name))
            }
            out.append(variable)
        }
        return out
    }

    /// Runs a tape operation located at this call and wraps its result.
    func record(_ tape: Tape, _ body: () throws(CoreError) -> Tape.Variable) throws(LangError) -> Value {
        .on(tape, try core(body))
    }

    /// A block record's fields as tape variables (an attention-only block has no W1…b2, ln2).
    func blockVariables(_ name: String, _ tape: Tape) throws(LangError) -> BlockVariables {
        let v = try value(name)
        guard case .record(let r) = v else {
            throw LangError(.notABlock(builtin: info.name, parameter: name, got: v.kindDescription), at: try range(of: name))
        }
        return try blockVariables(r, name, tape)
    }

    func blockVariables(_ r: Record, _ name: String, _ tape: Tape) throws(LangError) -> BlockVariables {
        func field(_ key: String) throws(LangError) -> Tape.Variable {
            guard let v = r[key] else { throw LangError(.missingField(builtin: info.name, parameter: name, field: key), at: try range(of: name)) }
            guard v.isMatrixLike, let variable = evaluator.variable(v, on: tape) else {
                throw LangError(.fieldNotMatrix(builtin: info.name, parameter: name, field: key, got: v.kindDescription), at: try range(of: name))
            }
            return variable
        }
        func optionalField(_ key: String) throws(LangError) -> Tape.Variable? { r[key] == nil ? nil : try field(key) }
        guard case .number(let h)? = r["heads"], let heads = Convert.exactInt(h), heads >= 1 else {
            throw LangError(.fieldNotWhole(builtin: info.name, parameter: name, field: "heads"), at: try range(of: name))
        }
        return BlockVariables(
            Wq: try field("Wq"), Wk: try field("Wk"), Wv: try field("Wv"), Wo: try field("Wo"),
            bq: try field("bq"), bk: try field("bk"), bv: try field("bv"), bo: try field("bo"),
            W1: try optionalField("W1"), b1: try optionalField("b1"), W2: try optionalField("W2"), b2: try optionalField("b2"),
            ln1Gamma: try field("ln1_gamma"), ln1Beta: try field("ln1_beta"),
            ln2Gamma: try optionalField("ln2_gamma"), ln2Beta: try optionalField("ln2_beta"), heads: heads)
    }

    /// A gpt record's weights as tape variables.
    func gptVariables(_ name: String, _ tape: Tape) throws(LangError) -> GPTVariables {
        let v = try value(name)
        guard case .record(let r) = v, r["wte"] != nil else {
            throw LangError(.notAModel(builtin: info.name, parameter: name, got: v.kindDescription), at: try range(of: name))
        }
        func field(_ key: String) throws(LangError) -> Tape.Variable {
            guard let f = r[key], f.isMatrixLike, let variable = evaluator.variable(f, on: tape) else {
                throw LangError(.fieldNotMatrix(builtin: info.name, parameter: name, field: key, got: r[key]?.kindDescription ?? "missing"), at: try range(of: name))
            }
            return variable
        }
        func int(_ key: String) throws(LangError) -> Int {
            guard case .number(let d)? = r[key], let i = Convert.exactInt(d), i >= 0 else {
                throw LangError(.fieldNotWhole(builtin: info.name, parameter: name, field: key), at: try range(of: name))
            }
            return i
        }
        guard case .list(let items)? = r["blocks"] else { throw LangError(.blocksNotList(builtin: info.name, parameter: name), at: try range(of: name)) }
        var blocks: [BlockVariables] = []
        for item in items {
            guard case .record(let b) = item else {
                throw LangError(.notABlock(builtin: info.name, parameter: name, got: item.kindDescription), at: try range(of: name))
            }
            blocks.append(try blockVariables(b, name, tape))
        }
        return GPTVariables(
            wte: try field("wte"), wpe: try field("wpe"), blocks: blocks, lnFGamma: try field("ln_f_gamma"), lnFBeta: try field("ln_f_beta"),
            vocab: try int("vocab"), context: try int("context"))
    }

    /// Token id sequences: one list (or 1×n matrix) of ids, or a list of such lists.
    func sequences(_ name: String) throws(LangError) -> [[Int]] {
        let v = try value(name)
        // [[0, 1, 2], [3, 4, 5]] is a matrix: each row a sequence.
        if case .matrix(let m) = v, m.rows > 1 {
            var out: [[Int]] = []
            for i in 0..<m.rows {
                var ids: [Int] = []
                for d in m.row(i) {
                    guard let id = Convert.exactInt(d) else { throw LangError(.tokenIDNotWhole(d), at: try range(of: name)) }
                    ids.append(id)
                }
                out.append(ids)
            }
            return out
        }
        if case .list(let items) = v, let first = items.first, !first.isNumber {
            var out: [[Int]] = []
            for item in items {
                var ids: [Int] = []
                let numbers: [Value]
                switch item {
                case .list(let xs): numbers = xs
                case .matrix(let m) where m.rows == 1: numbers = m.storage.map(Value.number)
                default:
                    throw LangError(.argumentType(builtin: info.name, parameter: name, expected: "token ids or a list of id sequences", got: item.kindDescription), at: try range(of: name))
                }
                for n in numbers {
                    guard case .number(let d) = n, let i = Convert.exactInt(d) else {
                        throw LangError(.argumentType(builtin: info.name, parameter: name, expected: "whole-number token ids", got: n.kindDescription), at: try range(of: name))
                    }
                    ids.append(i)
                }
                out.append(ids)
            }
            return out
        }
        return [try ids(name)]
    }
}

/// Rules shared by several builtins.
enum Follow {
    typealias Rule = @Sendable (Arguments, Tape) throws(LangError) -> Value

    /// An element-wise function of the argument `x`.
    static func unary(_ f: Tape.UnaryFunction, _ name: String = "x") -> Rule {
        { a, tape throws(LangError) in
            let x = try a.variable(name, tape)
            return .on(tape, tape.apply(f, x))
        }
    }

    /// sum, mean, max, min, var, std over `A` with an optional axis (without axis a 1×1).
    static func reduction(_ op: Reduction) -> Rule {
        { a, tape throws(LangError) in
            let x = try a.variable("A", tape)
            let axis = try a.axis(optional: true)
            if tape.value(x).count == 0, op != .sum {
                throw LangError(.emptyReduction(builtin: a.info.name, shape: tape.value(x).shapeDescription), at: a.range)
            }
            return try a.record(tape) { () throws(CoreError) -> Tape.Variable in try tape.reduce(x, op, axis: axis) }
        }
    }

    /// max(A, B) / min(A, B) element-wise, or the reduction of A.
    static func reductionOrPair(_ op: Reduction, _ pair: ElementwiseOperation) -> Rule {
        { a, tape throws(LangError) in
            if case .nil = try a.value("B") { return try reduction(op)(a, tape) }
            return try elementwise(pair, "A", "B")(a, tape)
        }
    }

    /// An element-wise operation of two arguments with broadcasting.
    static func elementwise(_ op: ElementwiseOperation, _ lhs: String = "a", _ rhs: String = "b") -> Rule {
        { a, tape throws(LangError) in
            let x = try a.variable(lhs, tape), y = try a.variable(rhs, tape)
            if Matrix.broadcastShape(tape.value(x), tape.value(y)) == nil {
                // The plain path words the shape error.
                _ = try a.evaluator.broadcast(op, tape.value(x), tape.value(y), at: a.range)
            }
            return try a.record(tape) { () throws(CoreError) -> Tape.Variable in try tape.elementwise(op, x, y) }
        }
    }

    /// softmax / log_softmax with axis and temperature.
    static func softmax(log: Bool) -> Rule {
        { a, tape throws(LangError) in
            let x = try a.variable("A", tape)
            let axis = try a.axis(optional: false) ?? 1
            let t = try a.number("temperature")
            guard t > 0 else { throw LangError(.nonPositiveTemperature(t), at: try a.range(of: "temperature")) }
            return try a.record(tape) { () throws(CoreError) -> Tape.Variable in
                log ? try tape.logSoftmax(x, axis: axis, temperature: t) : try tape.softmax(x, axis: axis, temperature: t)
            }
        }
    }

    /// The optional additive mask argument (a constant: masks carry no gradient).
    static func mask(_ a: Arguments) throws(LangError) -> Matrix? {
        let v = try a.value("mask")
        if case .nil = v { return nil }
        return v.untracked.asMatrix
    }
}

// MARK: - Rules of single builtins

extension Follow {
    static let norm: Rule = { a, tape throws(LangError) in
        let x = try a.variable("A", tape)
        return try a.record(tape) { () throws(CoreError) -> Tape.Variable in
            tape.apply(.sqrt, try tape.reduce(try tape.multiply(x, x), .sum, axis: nil))
        }
    }

    static let transpose: Rule = { a, tape throws(LangError) in .on(tape, tape.transpose(try a.variable("A", tape))) }

    /// hcat / vcat of the variadic `matrices...`.
    static func concatenate(axis: Int) -> Rule {
        { a, tape throws(LangError) in
            let parts = try a.variables(a.rest.map(\.value), "matrices", tape)
            return try a.record(tape) { () throws(CoreError) -> Tape.Variable in try tape.concatenate(parts, axis: axis) }
        }
    }

    static let splitHeads: Rule = { a, tape throws(LangError) in
        let m = try a.variable("M", tape)
        let h = try a.positive("h")
        let cols = tape.value(m).cols
        guard cols % h == 0 else { _ = try a.core { () throws(CoreError) -> [Matrix] in try AttentionCore.splitHeads(tape.value(m), heads: h) }; return .nil }
        let width = cols / h
        var heads: [Value] = []
        for i in 0..<h {
            heads.append(try a.record(tape) { () throws(CoreError) -> Tape.Variable in
                try tape.select(m, rows: Array(0..<tape.value(m).rows), cols: Array((i * width)..<((i + 1) * width)))
            })
        }
        return .list(heads)
    }

    static let concatHeads: Rule = { a, tape throws(LangError) in
        guard case .list(let items) = try a.value("list") else { return .nil }
        let parts = try a.variables(items, "list", tape)
        return try a.record(tape) { () throws(CoreError) -> Tape.Variable in try tape.concatenate(parts, axis: 1) }
    }

    /// stack(list): rows (1×C) one under another; numbers or 1×1 matrices side by side.
    static let stack: Rule = { a, tape throws(LangError) in
        guard case .list(let items) = try a.value("list") else { return .on(tape, try a.variable("list", tape)) }
        let parts = try items.map { (v: Value) throws(LangError) -> Tape.Variable in
            guard let variable = a.evaluator.variable(v, on: tape) else {
                throw LangError(.argumentType(builtin: "stack", parameter: "list", expected: "a list of numbers or rows", got: v.kindDescription), at: try a.range(of: "list"))
            }
            return variable
        }
        let allScalars = parts.allSatisfy { tape.value($0).count == 1 }
        return try a.record(tape) { () throws(CoreError) -> Tape.Variable in try tape.concatenate(parts, axis: allScalars ? 1 : 0) }
    }

    static let choose: Rule = { a, tape throws(LangError) in
        guard let condition = try a.value("cond").untracked.asMatrix else {
            throw LangError(.argumentType(builtin: "where", parameter: "cond", expected: "a matrix", got: try a.value("cond").kindDescription), at: try a.range(of: "cond"))
        }
        let x = try a.variable("a", tape), y = try a.variable("b", tape)
        return try a.record(tape) { () throws(CoreError) -> Tape.Variable in try tape.choose(where: condition, x, y) }
    }

    static let reshape: Rule = { a, tape throws(LangError) in
        let x = try a.variable("A", tape)
        let r = try a.size("r"), c = try a.size("c")
        return try a.record(tape) { () throws(CoreError) -> Tape.Variable in try tape.reshape(x, rows: r, cols: c) }
    }

    /// tril (keep j − i ≤ k) and triu (keep j − i ≥ k).
    static func triangle(lower: Bool) -> Rule {
        { a, tape throws(LangError) in
            let x = try a.variable("A", tape)
            let k = try a.int("k")
            return .on(tape, tape.masked(x) { i, j in lower ? j - i <= k : j - i >= k })
        }
    }

    /// clip(A, lo, hi) = minimum(maximum(A, lo), hi), whose subgradients JAX also uses.
    static let clip: Rule = { a, tape throws(LangError) in
        let x = try a.variable("A", tape)
        let lo = tape.constant(Matrix(scalar: try a.number("lo"))), hi = tape.constant(Matrix(scalar: try a.number("hi")))
        return try a.record(tape) { () throws(CoreError) -> Tape.Variable in
            try tape.elementwise(.minimum, try tape.elementwise(.maximum, x, lo), hi)
        }
    }

    static let cumsum: Rule = { a, tape throws(LangError) in
        let x = try a.variable("A", tape)
        let axis = try a.axis(optional: false) ?? 1
        return try a.record(tape) { () throws(CoreError) -> Tape.Variable in try tape.cumulativeSum(x, axis: axis) }
    }

    static let layerNorm: Rule = { a, tape throws(LangError) in
        let x = try a.variable("X", tape)
        let gamma = try a.optionalVariable("gamma", tape), beta = try a.optionalVariable("beta", tape)
        let eps = try a.number("eps")
        return try a.record(tape) { () throws(CoreError) -> Tape.Variable in try tape.layerNorm(x, gamma: gamma, beta: beta, eps: eps) }
    }

    static let ffn: Rule = { a, tape throws(LangError) in
        let x = try a.variable("X", tape), w1 = try a.variable("W1", tape), b1 = try a.variable("b1", tape)
        let w2 = try a.variable("W2", tape), b2 = try a.variable("b2", tape)
        return try a.record(tape) { () throws(CoreError) -> Tape.Variable in try tape.ffn(x, w1, b1, w2, b2) }
    }

    // MARK: Attention

    static let rawAttentionWeights: Rule = { a, tape throws(LangError) in
        let x = try a.variable("X", tape)
        return try a.record(tape) { () throws(CoreError) -> Tape.Variable in try tape.softmax(try tape.matmulTransposed(x, x)) }
    }

    static let rawAttention: Rule = { a, tape throws(LangError) in
        let x = try a.variable("X", tape)
        return try a.record(tape) { () throws(CoreError) -> Tape.Variable in
            try tape.matmul(try tape.softmax(try tape.matmulTransposed(x, x)), x)
        }
    }

    /// softmax(Q·Kᵀ·c + mask) with c = 1/√dₖ when scaled.
    static func scores(_ tape: Tape, _ q: Tape.Variable, _ k: Tape.Variable, mask: Matrix?, scaled: Bool) throws(CoreError) -> Tape.Variable {
        var s = try tape.matmulTransposed(q, k)
        let dk = tape.value(q).cols
        if scaled, dk > 0 { s = tape.scale(s, by: 1 / Double(dk).squareRoot()) }
        if let mask { s = try tape.add(s, tape.constant(mask)) }
        return try tape.softmax(s)
    }

    static let attentionWeights: Rule = { a, tape throws(LangError) in
        let q = try a.variable("Q", tape), k = try a.variable("K", tape)
        let mask = try Follow.mask(a), scaled = try a.bool("scaled")
        return try a.record(tape) { () throws(CoreError) -> Tape.Variable in try scores(tape, q, k, mask: mask, scaled: scaled) }
    }

    static let attention: Rule = { a, tape throws(LangError) in
        let q = try a.variable("Q", tape), k = try a.variable("K", tape), v = try a.variable("V", tape)
        let mask = try Follow.mask(a)
        return try a.record(tape) { () throws(CoreError) -> Tape.Variable in try tape.attention(q, k, v, mask: mask) }
    }

    static let singleHead: Rule = { a, tape throws(LangError) in
        let x = try a.variable("X", tape)
        let wq = try a.variable("Wq", tape), wk = try a.variable("Wk", tape), wv = try a.variable("Wv", tape)
        let mask = try Follow.mask(a)
        return try a.record(tape) { () throws(CoreError) -> Tape.Variable in
            try tape.attention(try tape.matmul(x, wq), try tape.matmul(x, wk), try tape.matmul(x, wv), mask: mask)
        }
    }

    static let multiHead: Rule = { a, tape throws(LangError) in
        let x = try a.variable("X", tape)
        let wq = try a.variable("Wq", tape), wk = try a.variable("Wk", tape), wv = try a.variable("Wv", tape), wo = try a.variable("Wo", tape)
        let heads = try a.positive("heads")
        let mask = try Follow.mask(a)
        return try a.record(tape) { () throws(CoreError) -> Tape.Variable in
            let concatenated = try tape.attention(try tape.matmul(x, wq), try tape.matmul(x, wk), try tape.matmul(x, wv), heads: heads, mask: mask)
            return try tape.matmul(concatenated, wo)
        }
    }

    static let multiHeadWeights: Rule = { a, tape throws(LangError) in
        let x = try a.variable("X", tape)
        let wq = try a.variable("Wq", tape), wk = try a.variable("Wk", tape)
        let heads = try a.positive("heads")
        let mask = try Follow.mask(a)
        let q = try a.core { () throws(CoreError) -> Tape.Variable in try tape.matmul(x, wq) }
        let k = try a.core { () throws(CoreError) -> Tape.Variable in try tape.matmul(x, wk) }
        let d = tape.value(q).cols
        guard d % heads == 0, tape.value(k).cols == d else {
            // The plain path words the error.
            _ = try a.core { () throws(CoreError) -> [Matrix] in
                try AttentionCore.multiHeadWeights(tape.value(x), tape.value(wq), tape.value(wk), heads: heads, mask: mask)
            }
            return .nil
        }
        let width = d / heads
        var out: [Value] = []
        for h in 0..<heads {
            out.append(try a.record(tape) { () throws(CoreError) -> Tape.Variable in
                let columns = Array((h * width)..<((h + 1) * width))
                let qh = try tape.select(q, rows: Array(0..<tape.value(q).rows), cols: columns)
                let kh = try tape.select(k, rows: Array(0..<tape.value(k).rows), cols: columns)
                return try scores(tape, qh, kh, mask: mask, scaled: true)
            })
        }
        return .list(out)
    }

    // MARK: Blocks and models

    static let blockAttention: Rule = { a, tape throws(LangError) in
        let x = try a.variable("X", tape), p = try a.blockVariables("p", tape)
        let mask = try Follow.mask(a)
        return try a.record(tape) { () throws(CoreError) -> Tape.Variable in try tape.blockAttention(x, p, sequences: 1, mask: mask) }
    }

    static let transformerBlock: Rule = { a, tape throws(LangError) in
        let x = try a.variable("X", tape), p = try a.blockVariables("p", tape)
        let mask = try Follow.mask(a)
        let normText = try a.string("norm")
        guard let norm = NormPlacement(rawValue: normText) else { throw LangError(.badNorm(normText), at: try a.range(of: "norm")) }
        return try a.record(tape) { () throws(CoreError) -> Tape.Variable in try tape.transformerBlock(x, p, mask: mask, norm: norm) }
    }

    static let forward: Rule = { a, tape throws(LangError) in
        let m = try a.gptVariables("model", tape)
        let ids = try a.ids("ids")
        return try a.record(tape) { () throws(CoreError) -> Tape.Variable in try tape.gptLogits(m, [ids]) }
    }
}
