import AttentionCore

/// zeros ones eye full randn rand tokens embed.
enum BuildBuiltins {
    static func call(_ name: String, _ a: Arguments) throws(LangError) -> Value? {
        switch name {
        case "zeros", "ones", "full":
            let r = try a.size("r"), c = try a.size("c")
            try a.checkSize(rows: r, cols: c)
            let v = name == "full" ? try a.number("v") : (name == "ones" ? 1 : 0)
            return .matrix(try a.core { () throws(CoreError) -> Matrix in try full(r, c, v) })
        case "eye":
            let n = try a.size("n")
            try a.checkSize(rows: n, cols: n)
            return .matrix(try a.core { () throws(CoreError) -> Matrix in try eye(n) })
        case "randn", "rand":
            let r = try a.size("r"), c = try a.size("c")
            let seed = try a.seed()
            try a.checkSize(rows: r, cols: c)
            return .matrix(try a.core { () throws(CoreError) -> Matrix in
                name == "randn" ? try randn(r, c, seed: seed) : try rand(r, c, seed: seed)
            })
        case "tokens":
            return .list(tokens(try a.string("text")).map(Value.string))
        case "embed":
            let toks = try tokenList(a, "toks")
            let dim = try a.size("dim")
            let seed = try a.seed()
            try a.checkSize(rows: toks.count, cols: dim)
            return .matrix(try a.core { () throws(CoreError) -> Matrix in try embed(toks, dim: dim, seed: seed) })
        default:
            return nil
        }
    }

    /// A list of token strings; a plain string is split into tokens first.
    static func tokenList(_ a: Arguments, _ name: String) throws(LangError) -> [String] {
        switch a.value(name) {
        case .string(let s): return tokens(s)
        case .list(let items):
            var out: [String] = []
            for item in items {
                guard case .string(let s) = item else {
                    throw .type("\(a.info.name) expects a list of token strings for '\(name)', found a \(item.kindDescription)", at: a.range(of: name))
                }
                out.append(s)
            }
            return out
        case let v:
            throw .type("\(a.info.name) expects a list of token strings for '\(name)', got a \(v.kindDescription)", at: a.range(of: name))
        }
    }
}
