import AttentionCore

/// The records that carry block and model weights, to and from the library's types.
enum ModelRecords {
    /// The fields only a block with an FFN has (an attention-only block has none of them).
    static let mlpFields = ["W1", "b1", "W2", "b2", "ln2_gamma", "ln2_beta"]

    static func record(_ p: BlockParameters) -> Record {
        guard p.hasMLP else {
            return Record([
                ("Wq", .matrix(p.Wq)), ("Wk", .matrix(p.Wk)), ("Wv", .matrix(p.Wv)), ("Wo", .matrix(p.Wo)),
                ("bq", .matrix(p.bq)), ("bk", .matrix(p.bk)), ("bv", .matrix(p.bv)), ("bo", .matrix(p.bo)),
                ("ln1_gamma", .matrix(p.ln1Gamma)), ("ln1_beta", .matrix(p.ln1Beta)),
                ("heads", .number(Double(p.heads))),
            ])
        }
        return Record([
            ("Wq", .matrix(p.Wq)), ("Wk", .matrix(p.Wk)), ("Wv", .matrix(p.Wv)), ("Wo", .matrix(p.Wo)),
            ("bq", .matrix(p.bq)), ("bk", .matrix(p.bk)), ("bv", .matrix(p.bv)), ("bo", .matrix(p.bo)),
            ("W1", .matrix(p.W1)), ("b1", .matrix(p.b1)), ("W2", .matrix(p.W2)), ("b2", .matrix(p.b2)),
            ("ln1_gamma", .matrix(p.ln1Gamma)), ("ln1_beta", .matrix(p.ln1Beta)),
            ("ln2_gamma", .matrix(p.ln2Gamma)), ("ln2_beta", .matrix(p.ln2Beta)),
            ("heads", .number(Double(p.heads))),
        ])
    }

    static func record(_ m: GPTModel) -> Record {
        Record([
            ("wte", .matrix(m.wte)), ("wpe", .matrix(m.wpe)), ("blocks", .list(m.blocks.map { .record(record($0)) })),
            ("ln_f_gamma", .matrix(m.lnFGamma)), ("ln_f_beta", .matrix(m.lnFBeta)),
            ("vocab", .number(Double(m.vocab))), ("d_model", .number(Double(m.dModel))), ("heads", .number(Double(m.heads))),
            ("layers", .number(Double(m.layers))), ("context", .number(Double(m.context))), ("mlp", .bool(m.mlp)),
        ])
    }

    /// Reads the fields of the record passed as the argument `parameter`, failing with
    /// errors that name the builtin, the argument and the field.
    private struct Fields {
        let record: Record
        let a: Arguments
        let parameter: String

        func value(_ key: String) throws(LangError) -> Value {
            guard let v = record[key] else {
                throw LangError(.missingField(builtin: a.info.name, parameter: parameter, field: key), at: try a.range(of: parameter))
            }
            return v
        }

        func matrix(_ key: String) throws(LangError) -> Matrix {
            let v = try value(key)
            guard case .matrix(let m) = v else {
                throw LangError(
                    .fieldNotMatrix(builtin: a.info.name, parameter: parameter, field: key, got: v.kindDescription), at: try a.range(of: parameter))
            }
            return m
        }

        func int(_ key: String) throws(LangError) -> Int {
            guard case .number(let d) = try value(key), let i = Convert.exactInt(d), i >= 0 else {
                throw LangError(.fieldNotWhole(builtin: a.info.name, parameter: parameter, field: key), at: try a.range(of: parameter))
            }
            return i
        }
    }

    /// A block record (from init_block) back as library parameters. A record without any
    /// of the FFN fields (W1 b1 W2 b2 ln2_gamma ln2_beta) is an attention-only block; one
    /// with some of them needs all.
    static func block(_ v: Value, _ a: Arguments, _ name: String) throws(LangError) -> BlockParameters {
        guard case .record(let r) = v else {
            throw LangError(.notABlock(builtin: a.info.name, parameter: name, got: v.kindDescription), at: try a.range(of: name))
        }
        let f = Fields(record: r, a: a, parameter: name)
        if !mlpFields.contains(where: { r[$0] != nil }) {
            return BlockParameters(
                Wq: try f.matrix("Wq"), Wk: try f.matrix("Wk"), Wv: try f.matrix("Wv"), Wo: try f.matrix("Wo"),
                bq: try f.matrix("bq"), bk: try f.matrix("bk"), bv: try f.matrix("bv"), bo: try f.matrix("bo"),
                ln1Gamma: try f.matrix("ln1_gamma"), ln1Beta: try f.matrix("ln1_beta"), heads: try f.int("heads"))
        }
        return BlockParameters(
            Wq: try f.matrix("Wq"), Wk: try f.matrix("Wk"), Wv: try f.matrix("Wv"), Wo: try f.matrix("Wo"),
            bq: try f.matrix("bq"), bk: try f.matrix("bk"), bv: try f.matrix("bv"), bo: try f.matrix("bo"),
            W1: try f.matrix("W1"), b1: try f.matrix("b1"), W2: try f.matrix("W2"), b2: try f.matrix("b2"),
            ln1Gamma: try f.matrix("ln1_gamma"), ln1Beta: try f.matrix("ln1_beta"),
            ln2Gamma: try f.matrix("ln2_gamma"), ln2Beta: try f.matrix("ln2_beta"),
            heads: try f.int("heads"))
    }

    /// A model record (from gpt) back as a library model.
    static func gptModel(_ v: Value, _ a: Arguments, _ name: String) throws(LangError) -> GPTModel {
        guard case .record(let r) = v, r["wte"] != nil else {
            throw LangError(.notAModel(builtin: a.info.name, parameter: name, got: v.kindDescription), at: try a.range(of: name))
        }
        let f = Fields(record: r, a: a, parameter: name)
        guard case .list(let items) = try f.value("blocks") else {
            throw LangError(.blocksNotList(builtin: a.info.name, parameter: name), at: try a.range(of: name))
        }
        var blocks: [BlockParameters] = []
        for item in items { blocks.append(try block(item, a, name)) }
        // `mlp` says what the blocks must be; a record without it (made by hand) goes by its blocks.
        let mlp: Bool
        switch r["mlp"] {
        case nil: mlp = blocks.first?.hasMLP ?? true
        case .bool(let b)?: mlp = b
        case let other?:
            throw LangError(.fieldNotBool(builtin: a.info.name, parameter: name, field: "mlp", got: other.kindDescription), at: try a.range(of: name))
        }
        if let layer = blocks.firstIndex(where: { $0.hasMLP != mlp }) {
            throw LangError(.blockMLPMismatch(builtin: a.info.name, parameter: name, layer: layer, mlp: mlp), at: try a.range(of: name))
        }
        return GPTModel(
            wte: try f.matrix("wte"), wpe: try f.matrix("wpe"), blocks: blocks,
            lnFGamma: try f.matrix("ln_f_gamma"), lnFBeta: try f.matrix("ln_f_beta"),
            vocab: try f.int("vocab"), dModel: try f.int("d_model"),
            heads: try f.int("heads"), layers: try f.int("layers"), context: try f.int("context"), mlp: mlp)
    }

    /// Parameters of a model or block record, a matrix or a list of those.
    static func parameterCount(_ v: Value, _ a: Arguments) throws(LangError) -> Int {
        switch v {
        case .matrix(let m): return m.count
        case .list(let items):
            var total = 0
            for item in items { total += try parameterCount(item, a) }
            return total
        case .record(let r) where r["wte"] != nil: return paramCount(try gptModel(v, a, "model"))
        case .record: return paramCount(try block(v, a, "model"))
        default:
            throw LangError(.paramCountType(got: v.kindDescription), at: try a.range(of: "model"))
        }
    }
}
