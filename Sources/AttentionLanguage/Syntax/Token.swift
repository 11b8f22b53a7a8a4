/// Reserved words.
enum Keyword: String, Sendable, CaseIterable {
    case `let`, `func`, `return`, `for`, `in`, `if`, `else`, `while`, `break`, `continue`, `true`, `false`, `nil`
}

/// Operators and punctuation, spelled as in the source.
enum Punct: String, Sendable, CaseIterable {
    case lparen = "(", rparen = ")", lbracket = "[", rbracket = "]", lbrace = "{", rbrace = "}"
    case comma = ",", semicolon = ";", colon = ":", dot = ".", assign = "="
    case plus = "+", minus = "-", star = "*", slash = "/", percent = "%", at = "@", power = "**", bang = "!"
    case equal = "==", notEqual = "!=", less = "<", lessEqual = "<=", greater = ">", greaterEqual = ">="
    case and = "&&", or = "||", range = "..<"
}

/// What a token is.
enum TokenKind: Equatable, Sendable {
    case number(Double)
    case string(String)
    case identifier(String)
    case keyword(Keyword)
    case punct(Punct)
    /// The end of a statement (a line break outside parentheses), or a row break inside brackets.
    case newline
    case eof

    /// How a student would recognise the token in a message.
    var description: String {
        switch self {
        case .number: "a number"
        case .string: "a string"
        case .identifier(let name): "'\(name)'"
        case .keyword(let k): "'\(k.rawValue)'"
        case .punct(let p): "'\(p.rawValue)'"
        case .newline: "the end of the line"
        case .eof: "the end of the cell"
        }
    }
}

/// A token with its place in the source.
struct Token: Sendable {
    let kind: TokenKind
    let range: SourceRange
    var location: SourceLocation { range.start }
}
