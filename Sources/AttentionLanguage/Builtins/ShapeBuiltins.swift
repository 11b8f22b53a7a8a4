import AttentionCore

/// rows cols shape transpose hcat vcat split_heads concat_heads.
enum ShapeBuiltins {
    static func call(_ name: String, _ a: Arguments) throws(LangError) -> Value? {
        switch name {
        case "rows": return .number(Double(try a.matrix("A").rows))
        case "cols": return .number(Double(try a.matrix("A").cols))
        case "shape":
            let m = try a.matrix("A")
            return .list([.number(Double(m.rows)), .number(Double(m.cols))])
        case "transpose": return .matrix(transpose(try a.matrix("A")))
        case "hcat", "vcat":
            let parts = try matrices(a)
            guard !parts.isEmpty else { throw .value("\(name) needs at least one matrix", at: a.range) }
            var total = 0
            for m in parts {
                let (sum, overflow) = total.addingReportingOverflow(name == "hcat" ? m.cols : m.rows)
                if overflow { throw .limit("the joined matrix would be too large", at: a.range) }
                total = sum
            }
            if name == "hcat" { try a.checkSize(rows: parts[0].rows, cols: total) } else { try a.checkSize(rows: total, cols: parts[0].cols) }
            return .matrix(try a.core { () throws(CoreError) -> Matrix in name == "hcat" ? try hcat(parts) : try vcat(parts) })
        case "split_heads":
            let m = try a.matrix("M")
            let h = try a.positive("h")
            return .list(try a.core { () throws(CoreError) -> [Matrix] in try splitHeads(m, heads: h) }.map(Value.matrix))
        case "concat_heads":
            let parts = try a.matrices("list")
            guard !parts.isEmpty else { throw .value("concat_heads needs at least one matrix", at: a.range) }
            let total = parts.reduce(0) { $0 + $1.cols }
            try a.checkSize(rows: parts[0].rows, cols: total)
            return .matrix(try a.core { () throws(CoreError) -> Matrix in try concatHeads(parts) })
        default:
            return nil
        }
    }

    /// `hcat(A, B, C)` or `hcat([A, B, C])`.
    private static func matrices(_ a: Arguments) throws(LangError) -> [Matrix] {
        var values = a.rest
        if values.count == 1, case .list(let items) = values[0].value {
            values = items.map { ($0, values[0].range) }
        }
        var out: [Matrix] = []
        for (v, r) in values { out.append(try Arguments.matrix(v, info: a.info, name: "matrices", at: r)) }
        return out
    }
}
