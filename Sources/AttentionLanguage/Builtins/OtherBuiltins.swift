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
        Builtin("len", .other, "len(x)", "The number of items of a list, characters of a string, or rows of a matrix.", example: "len(tokens(\"a b c\"))  // 3", numpy: "len(x)") { a throws(LangError) in
            switch try a.value("x") {
            case .list(let items): return .number(Double(items.count))
            case .string(let s): return .number(Double(s.count))
            case .matrix(let m): return .number(Double(m.rows))
            case .record(let r): return .number(Double(r.keys.count))
            case let v: throw LangError(.lenType(got: v.kindDescription), at: try a.range(of: "x"))
            }
        }.readingValues(),
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
