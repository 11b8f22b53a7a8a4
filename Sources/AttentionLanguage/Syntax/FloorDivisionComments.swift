/// A `//` comment that directly follows an operand on its line (`x = 7 // 2`, not a comment
/// on a line of its own; the lexer keeps only these): where it is, and its text after the
/// slashes.
struct LineComment: Sendable {
    let range: SourceRange
    let text: String
}

/// Python's floor division `a // b` is a comment here, so `x = 7 // 2` silently binds 7.
/// This finds the comments that read as that mistake, for a note to the student.
///
/// The rule, chosen so that ordinary trailing comments (`A = B  // projections`,
/// `y = x // see above`) never fire: the `//` follows an operand on the same line, and the
/// whole text after it is one expression (`2`, `batch`, `(n + 1) * 2`) whose names are all
/// known: a builtin, a constant, a binding of the notebook, or a name the cell itself uses.
/// Prose is rarely an expression (two words side by side are a syntax error), and a single
/// word that is no name in sight (`// projections`) is read as prose.
enum FloorDivisionComments {
    /// The first comment of `source` that reads as floor division, or nil. `isKnown` says
    /// whether a name is bound outside the cell (a builtin or a notebook binding).
    static func first(in source: SourceText, isKnown: (String) -> Bool) -> LineComment? {
        guard mayHaveTrailingComment(source.text) else { return nil }
        guard let (tokens, comments) = try? Lexer.tokenizeWithComments(source) else { return nil }
        guard !comments.isEmpty else { return nil }
        var cellNames: Set<String> = []
        for token in tokens { if case .identifier(let name) = token.kind { cellNames.insert(name) } }
        return comments.first { comment in
            guard let names = operandNames(comment.text) else { return false }
            return names.allSatisfy { cellNames.contains($0) || isKnown($0) }
        }
    }

    /// Whether some line has `//` after something other than blanks: without one there is no
    /// comment after an operand, and the cell need not be read again (every cell is checked).
    static func mayHaveTrailingComment(_ text: String) -> Bool {
        var lineHasCode = false, previousSlash = false, inComment = false
        for byte in text.utf8 {
            if byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r") {
                (lineHasCode, previousSlash, inComment) = (false, false, false)
            } else if inComment {
                continue
            } else if byte == UInt8(ascii: "/") {
                if previousSlash {
                    if lineHasCode { return true }
                    inComment = true  // a comment on a line of its own: the rest of the line is its text
                }
                previousSlash = true
            } else {
                // A lone slash is division: code, as is anything but a blank.
                if previousSlash || (byte != UInt8(ascii: " ") && byte != UInt8(ascii: "\t")) { lineHasCode = true }
                previousSlash = false
            }
        }
        return false
    }

    /// The names in `text` when it is one expression that starts with an operand (a number,
    /// a name, `(` or a minus sign: `7 // -2`); nil when it is not.
    private static func operandNames(_ text: String) -> [String]? {
        let source = SourceText(text)
        guard let tokens = try? Lexer.tokenize(source), let first = tokens.first else { return nil }
        switch first.kind {
        case .number, .identifier, .punct(.lparen), .punct(.minus): break
        default: return nil
        }
        guard let statements = try? Parser.parse(source, maxDepth: 32), statements.count == 1, case .expression = statements[0] else { return nil }
        return tokens.compactMap { if case .identifier(let name) = $0.kind { name } else { nil } }
    }
}
