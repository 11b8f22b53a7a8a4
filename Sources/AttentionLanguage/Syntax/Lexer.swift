/// Turns source text into tokens, each with its location.
///
/// Line breaks: inside `(...)` they are skipped (the statement continues); inside
/// `[...]` they become `.newline` tokens, which the parser reads as a row break in a
/// matrix literal (or ignores next to `[`, `,`, `;` and `]`); elsewhere, including
/// inside `{...}`, they end a statement. Consecutive breaks collapse into one.
struct Lexer {
    private let chars: [Character]
    private var index = 0
    private var line = 1
    private var column = 1
    private var tokens: [Token] = []
    /// Open brackets: "(", "[" or "{".
    private var brackets: [Character] = []
    /// The `//` comments that follow an operand on their line, for `FloorDivisionComments`.
    private var comments: [LineComment] = []

    init(_ source: SourceText) {
        self.chars = source.characters
    }

    /// All tokens, ending with `.eof`. Throws a `SyntaxError` at the first bad character.
    static func tokenize(_ source: SourceText) throws(LangError) -> [Token] {
        var lexer = Lexer(source)
        return try lexer.run()
    }

    /// The tokens and the `//` comments among them that follow an operand on their line.
    static func tokenizeWithComments(_ source: SourceText) throws(LangError) -> (tokens: [Token], comments: [LineComment]) {
        var lexer = Lexer(source)
        let tokens = try lexer.run()
        return (tokens, lexer.comments)
    }

    private mutating func run() throws(LangError) -> [Token] {
        // Where the last real token ended: "the end of the cell" is reported there, not on
        // the empty line after a trailing newline.
        var endOfCode = mark()
        while index < chars.count {
            let ch = chars[index]
            if ch.isNewline {
                let start = mark()
                advance()
                if brackets.last != "(" { addNewline(start) }
                continue
            }
            if ch.isWhitespace { advance(); continue }
            if ch == "#" || (ch == "/" && peek(1) == "/") {
                let start = mark()
                while index < chars.count, !chars[index].isNewline { advance() }
                // Only a comment after an operand can read as floor division; building the
                // text of every comment was most of the cost of a short cell.
                if ch == "/", operandEndsHere(line: start.location.line) {
                    comments.append(LineComment(range: range(from: start), text: String(chars[(start.offset + 2)..<index])))
                }
                continue
            }
            let start = mark()
            if ch.isASCII, ch.isNumber {
                try lexNumber(start)
            } else if ch == "_" || ch.isLetter {
                lexIdentifier(start)
            } else if ch == "\"" {
                try lexString(start)
            } else {
                try lexPunct(start)
            }
            endOfCode = mark()
        }
        let end = endOfCode
        tokens.append(Token(kind: .eof, range: SourceRange(start: end.location, startOffset: end.offset, endOffset: end.offset)))
        return tokens
    }

    // MARK: - Helpers

    private struct Mark { let location: SourceLocation; let offset: Int }

    private func mark() -> Mark { Mark(location: SourceLocation(line: line, column: column), offset: index) }

    private func peek(_ ahead: Int = 0) -> Character? {
        let i = index + ahead
        return i < chars.count ? chars[i] : nil
    }

    private mutating func advance() {
        guard index < chars.count else { return }
        if chars[index].isNewline {
            line += 1
            column = 1
        } else {
            column += 1
        }
        index += 1
    }

    /// Whether the last token is on `line` and can end an operand (a number, string, name,
    /// `true`/`false`/`nil`, `)` or `]`): a `//` there could be meant as an operator.
    private func operandEndsHere(line: Int) -> Bool {
        guard let last = tokens.last, last.range.start.line == line else { return false }
        switch last.kind {
        case .number, .string, .identifier, .keyword(.true), .keyword(.false), .keyword(.nil), .punct(.rparen), .punct(.rbracket): return true
        default: return false
        }
    }

    private func range(from start: Mark) -> SourceRange {
        SourceRange(start: start.location, startOffset: start.offset, endOffset: index)
    }

    private mutating func add(_ kind: TokenKind, _ start: Mark) {
        tokens.append(Token(kind: kind, range: range(from: start)))
    }

    private mutating func addNewline(_ start: Mark) {
        if let last = tokens.last, last.kind == .newline { return }
        if tokens.isEmpty { return }
        add(.newline, start)
    }

    private func error(_ reason: Reason, _ start: Mark) -> LangError {
        LangError(reason, at: SourceRange(start: start.location, startOffset: start.offset, endOffset: start.offset + 1))
    }

    // MARK: - Token kinds

    private mutating func lexNumber(_ start: Mark) throws(LangError) {
        var text = ""
        func isDigit(_ c: Character?) -> Bool { c.map { $0.isASCII && $0.isNumber } ?? false }
        while isDigit(peek()) { text.append(chars[index]); advance() }
        // A fraction needs a digit after the dot, so `0..<n` stays a range.
        if peek() == ".", isDigit(peek(1)) {
            text.append("."); advance()
            while isDigit(peek()) { text.append(chars[index]); advance() }
        }
        if peek() == "e" || peek() == "E" {
            let signed = peek(1) == "+" || peek(1) == "-"
            if isDigit(peek(signed ? 2 : 1)) {
                text.append("e"); advance()
                if signed { text.append(chars[index]); advance() }
                while isDigit(peek()) { text.append(chars[index]); advance() }
            } else {
                throw error(.exponentNeedsDigits(text), start)
            }
        }
        if let next = peek(), next == "_" || next.isLetter {
            throw error(.numberRunsIntoName(text, next: String(next)), start)
        }
        guard let value = Double(text) else { throw error(.notANumber(text), start) }
        add(.number(value), start)
    }

    private mutating func lexIdentifier(_ start: Mark) {
        var text = ""
        while let c = peek(), c == "_" || c.isLetter || c.isNumber {
            text.append(c)
            advance()
        }
        if let keyword = Keyword(rawValue: text) {
            add(.keyword(keyword), start)
        } else {
            add(.identifier(text), start)
        }
    }

    private mutating func lexString(_ start: Mark) throws(LangError) {
        advance()  // opening quote
        var text = ""
        while true {
            guard let c = peek(), !c.isNewline else {
                throw error(.unclosedString, start)
            }
            if c == "\"" { advance(); break }
            if c == "\\" {
                let escape = mark()
                advance()
                switch peek() {
                case "\"": text.append("\"")
                case "\\": text.append("\\")
                case "n": text.append("\n")
                case "t": text.append("\t")
                case let other?:
                    throw error(.unknownEscape(String(other)), escape)
                case nil:
                    throw error(.unclosedString, start)
                }
                advance()
                continue
            }
            text.append(c)
            advance()
        }
        add(.string(text), start)
    }

    private mutating func lexPunct(_ start: Mark) throws(LangError) {
        let c = chars[index]
        let two = peek(1).map { String([c, $0]) } ?? ""
        let three = peek(2).map { two + String($0) } ?? ""
        let punct: Punct
        if three == "..<" {
            punct = .range
        } else if let p = Punct(rawValue: two), two.count == 2 {
            punct = p
        } else if let p = Punct(rawValue: String(c)) {
            punct = p
        } else if two == ".." {
            throw error(.doubleDot, start)
        } else if c == "&" || c == "|" {
            throw error(.loneOperator(String(c)), start)
        } else {
            throw error(.unexpectedCharacter(String(c)), start)
        }
        for _ in 0..<punct.rawValue.count { advance() }
        switch punct {
        case .lparen: brackets.append("(")
        case .lbracket: brackets.append("[")
        case .lbrace: brackets.append("{")
        case .rparen, .rbracket, .rbrace:
            if !brackets.isEmpty { brackets.removeLast() }
        default: break
        }
        add(.punct(punct), start)
    }
}
