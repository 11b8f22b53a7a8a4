import AttentionCore

extension BuiltinTable {
    /// Building matrices and token lists.
    static let build: [Builtin] = [
        Builtin("zeros", .build, "zeros(r, c)", "An r×c matrix of zeros.", example: "Z = zeros(2, 3)") { a throws(LangError) in
            try BuildBuiltins.filled(a, 0)
        },
        Builtin("ones", .build, "ones(r, c)", "An r×c matrix of ones.", example: "O = ones(2, 3)") { a throws(LangError) in
            try BuildBuiltins.filled(a, 1)
        },
        Builtin("eye", .build, "eye(n)", "The n×n identity matrix: ones on the diagonal, zeros elsewhere.", example: "I = eye(3)") { a throws(LangError) in
            let n = try a.size("n")
            try a.checkSize(rows: n, cols: n)
            return .matrix(try a.core { () throws(CoreError) -> Matrix in try eye(n) })
        },
        Builtin("full", .build, "full(r, c, v)", "An r×c matrix with every element equal to v.", example: "M = full(2, 2, 0.5)") { a throws(LangError) in
            try BuildBuiltins.filled(a, a.number("v"))
        },
        Builtin("randn", .build, "randn(r, c, seed: 0)",
            "An r×c matrix of samples from the standard normal distribution N(0, 1). The same seed always gives the same matrix.",
            example: "W = randn(4, 3, seed: 1)") { a throws(LangError) in
            let (r, c, seed) = try BuildBuiltins.randomShape(a)
            return .matrix(try a.core { () throws(CoreError) -> Matrix in try randn(r, c, seed: seed) })
        },
        Builtin("rand", .build, "rand(r, c, seed: 0)",
            "An r×c matrix of samples uniform on [0, 1). The same seed always gives the same matrix.", example: "U = rand(2, 2, seed: 7)") { a throws(LangError) in
            let (r, c, seed) = try BuildBuiltins.randomShape(a)
            return .matrix(try a.core { () throws(CoreError) -> Matrix in try rand(r, c, seed: seed) })
        },
        Builtin("tokens", .build, "tokens(text)",
            "Splits text on spaces into a list of token strings (empty pieces are dropped).",
            example: "toks = tokens(\"the cat sat\")\nlen(toks)  // 3") { a throws(LangError) in
            .list(Tokenizer.tokens(try a.string("text")).map(Value.string))
        },
        Builtin("embed", .build, "embed(toks, dim:, seed: 0)",
            "One row of length dim per token: a len(toks)×dim matrix. The same token string gives the same row for the same seed, so repeated words get identical embeddings.",
            example: "X = embed(tokens(\"the cat sat on the mat\"), dim: 4, seed: 0)") { a throws(LangError) in
            let toks = try BuildBuiltins.tokenList(a, "toks")
            let dim = try a.size("dim")
            let seed = try a.seed()
            try a.checkSize(rows: toks.count, cols: dim)
            return .matrix(try a.core { () throws(CoreError) -> Matrix in try embed(toks, dim: dim, seed: seed) })
        },
    ]
}

/// Helpers shared by the Build builtins.
enum BuildBuiltins {
    /// zeros, ones, full: an r×c matrix of one value.
    static func filled(_ a: Arguments, _ value: @autoclosure () throws(LangError) -> Double) throws(LangError) -> Value {
        let r = try a.size("r"), c = try a.size("c")
        try a.checkSize(rows: r, cols: c)
        let v = try value()
        return .matrix(try a.core { () throws(CoreError) -> Matrix in try full(r, c, v) })
    }

    /// randn, rand: the shape and the seed, checked.
    static func randomShape(_ a: Arguments) throws(LangError) -> (Int, Int, UInt64) {
        let r = try a.size("r"), c = try a.size("c")
        let seed = try a.seed()
        try a.checkSize(rows: r, cols: c)
        return (r, c, seed)
    }

    /// A list of token strings; a plain string is split into tokens first.
    static func tokenList(_ a: Arguments, _ name: String) throws(LangError) -> [String] {
        switch try a.value(name) {
        case .string(let s): return Tokenizer.tokens(s)
        case .list(let items):
            var out: [String] = []
            for item in items {
                guard case .string(let s) = item else {
                    throw LangError(
                        .argumentItemType(builtin: a.info.name, parameter: name, expected: "a list of token strings", found: item.kindDescription),
                        at: try a.range(of: name))
                }
                out.append(s)
            }
            return out
        case let v:
            throw LangError(
                .argumentType(builtin: a.info.name, parameter: name, expected: "a list of token strings", got: v.kindDescription),
                at: try a.range(of: name))
        }
    }
}
