import AttentionCore

extension BuiltinTable {
    /// Input, lengths, ranges, strings.
    static let other: [Builtin] = [
        Builtin("input", .other, "input(prompt = \"\")",
            "Reads a line of text from the user (through the notebook's input box). Fails clearly where the front end does not allow input.",
            example: "name = input(\"your name: \")", numpy: "input(prompt)") { a throws(LangError) in
            let prompt = try a.string("prompt")
            guard let line = a.evaluator.host.readInput(prompt: prompt) else {
                // An interrupt while waiting for the line ends the cell as any interrupt does.
                try a.evaluator.checkInterrupt(at: a.range)
                throw LangError(.inputUnavailable, at: a.range)
            }
            return .string(line)
        },
        Builtin("len", .other, "len(x)", "The number of items of a list, characters of a string, or what for x in M gives of a matrix: the numbers of a 1×n row or n×1 column, else its rows (A.rows).", example: "len(tokens(\"a b c\"))  // 3\nlen([4, 16, 64])         // 3", numpy: "len(x)") { a throws(LangError) in
            switch try a.value("x") {
            case .list(let items): return .number(Double(items.count))
            case .string(let s): return .number(Double(s.count))
            case .matrix(let m): return .number(Double(m.rows == 1 || m.cols == 1 ? m.count : m.rows))
            case .record(let r): return .number(Double(r.keys.count))
            case let v: throw LangError(.lenType(got: v.kindDescription), at: try a.range(of: "x"))
            }
        }.readingValues(),
        Builtin("append", .other, "append(xs, v)",
            "xs with v at the end: a list gets one more item (start from xs = []); a 1×n row and a number give a 1×(n+1) row. xs itself is unchanged; xs = append(xs, v) in a loop costs the same at every length (the binding is extended in place).",
            example: "xs = []\nfor dk in [4, 16, 64] { xs = append(xs, sqrt(dk)) }\nmean(xs)  // 4.666666666666667", numpy: "xs.append(v), np.append(xs, v)") { a throws(LangError) in
            try OtherBuiltins.append(a.value("xs"), a.value("v"), a.evaluator, xsRange: try a.range(of: "xs"), vRange: try a.range(of: "v"), at: a.range)
        }.passingFollowed(),
        Builtin("range", .other, "range(a, b = nil)",
            "The list of whole numbers 0..<a, or a..<b with two arguments.", example: "range(3)  // [0, 1, 2]", numpy: "list(range(a, b))") { a throws(LangError) in
            let first = try a.int("a")
            if case .nil = try a.value("b") { return try a.evaluator.makeRange(.number(0), .number(Double(first)), at: a.range) }
            let second = try a.int("b")
            return try a.evaluator.makeRange(.number(Double(first)), .number(Double(second)), at: a.range)
        },
        Builtin("str", .other, "str(x, digits: nil)",
            "The text print would write for x, as a string. With digits: a number is written with exactly that many decimals (Python's f\"{x:.3f}\"), and a matrix's elements are rounded to them.",
            example: "\"loss: \" + str(0.5)\nstr(3.14159, digits: 3)  // \"3.142\"", numpy: "str(x), f\"{x:.3f}\"") { a throws(LangError) in
            let x = try a.value("x")
            guard case .number = try a.value("digits") else { return .string(Renderer.plainText(x)) }
            let digits = try a.int("digits")
            guard (0...20).contains(digits) else {
                throw LangError(.argumentOutOfRange(builtin: "str", parameter: "digits", range: "0...20"), at: try a.range(of: "digits"))
            }
            switch x {
            case .number(let d): return .string(Renderer.formatFixed(d, decimals: digits))
            case .matrix(let m): return .string(Renderer.plainText(.matrix(m.rounded(digits: digits))))
            default: return .string(Renderer.plainText(x))
            }
        }.readingValues(),
    ]
}

enum OtherBuiltins {
    /// `append(xs, v)` without the in-place path: a list with one more item, or a row with
    /// one more number. The limits are checked before anything is built.
    static func append(_ xs: Value, _ v: Value, _ evaluator: Evaluator, xsRange: SourceRange, vRange: SourceRange, at range: SourceRange) throws(LangError) -> Value {
        try checkAppend(xs, v, evaluator, xsRange: xsRange, vRange: vRange, at: range)
        switch (xs, v) {
        case (.list(let items), _): return .list(items + [v])
        case (.matrix(let m), .number(let d)): return .matrix(Matrix(row: m.storage + [d]))
        default: preconditionFailure("checkAppend refuses every other pairing")
        }
    }

    /// Every way `append(xs, v)` can fail, with nothing built: a TypeError for anything but
    /// a list, or a 1×n row with a number; the count, size and depth limits.
    static func checkAppend(_ xs: Value, _ v: Value, _ evaluator: Evaluator, xsRange: SourceRange, vRange: SourceRange, at range: SourceRange) throws(LangError) {
        switch (xs, v) {
        case (.list(let items), _):
            try evaluator.checkCount(items.count + 1, at: range)
            if v.holdsItems { try evaluator.checkListDepth([v], at: range, alreadyCounted: items.count) }
        case (.matrix(let m), .number) where m.rows == 1 || m.count == 0:
            try evaluator.checkSize(rows: 1, cols: m.count + 1, at: range)
        case (.matrix(let m), _) where m.rows == 1 || m.count == 0:
            throw LangError(.appendToRow(got: v.kindDescription), at: vRange)
        default:
            throw LangError(.appendTarget(got: xs.kindDescription), at: xsRange)
        }
    }
}
