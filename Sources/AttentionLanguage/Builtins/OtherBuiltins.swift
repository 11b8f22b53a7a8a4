/// input len range str.
enum OtherBuiltins {
    static func call(_ name: String, _ a: Arguments) throws(LangError) -> Value? {
        switch name {
        case "input":
            let prompt = try a.string("prompt")
            guard let line = a.evaluator.host.readInput(prompt: prompt) else {
                throw .value("input() cannot read here: this front end does not accept typed input (stdin is not allowed)", at: a.range)
            }
            return .string(line)
        case "len":
            switch a.value("x") {
            case .list(let items): return .number(Double(items.count))
            case .string(let s): return .number(Double(s.count))
            case .matrix(let m): return .number(Double(m.rows))
            case .record(let r): return .number(Double(r.keys.count))
            case let v: throw .type("len expects a list, a string or a matrix, got a \(v.kindDescription)", at: a.range(of: "x"))
            }
        case "range":
            let first = try a.int("a")
            if case .nil = a.value("b") { return try a.evaluator.makeRange(.number(0), .number(Double(first)), at: a.range) }
            let second = try a.int("b")
            return try a.evaluator.makeRange(.number(Double(first)), .number(Double(second)), at: a.range)
        case "str":
            return .string(Renderer.plainText(a.value("x")))
        default:
            return nil
        }
    }
}
