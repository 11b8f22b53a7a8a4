/// What a student who knows Python and NumPy types by habit, and what this language
/// writes instead: the hints of the NameError and SyntaxError messages those habits meet
/// (docs/LANGUAGE.md, "Coming from Python and NumPy", lists the same).
enum PythonHabits {
    /// A Python word met where this language has no such name: what to write instead.
    /// Asked when a name is not defined, and when a syntax error falls on or right after
    /// one of these words (`if a and b {`, `while not done {`, `} elif c {`).
    static func hint(for word: String) -> String? {
        switch word {
        case "True": "this language writes true"
        case "False": "this language writes false"
        case "None": "this language writes nil"
        case "and": "this language writes && (a && b)"
        case "or": "this language writes || (a || b)"
        case "not": "this language writes ! (!done)"
        case "elif": "this language writes else if (if a { ... } else if b { ... })"
        case "def": "functions are written func f(x) { ... } or func f(x) = x * 2"
        case "int": "every number is a Double; floor(x) rounds down (Python's int(x) truncates toward 0, the same for x ≥ 0) and round(x) to the nearest whole number"
        case "np", "numpy": "NumPy's functions are builtins here, without np. (help(\"numpy\") lists them: np.sum(A) is sum(A))"
        default: nil
        }
    }

    /// Python spellings that are never names here: a syntax error at or right after one of
    /// them gets the hint instead of the parser's generic message.
    static let words: Set<String> = ["and", "or", "not", "elif", "def", "True", "False", "None"]

    /// `A.sum()`, `A.reshape(2, 3)`, `xs.append(v)`: a builtin's name used as a method.
    /// The builtin form to write instead, or nil when `name` is no builtin.
    static func methodHint(_ name: String) -> String? {
        if name == "append" { return "append is a function here, not a method: xs = append(xs, v)" }
        guard let info = BuiltinTable.info(name) else { return nil }
        return "\(name) is a function here, not a method: \(info.signature)"
    }
}
