/// Recursive-descent parser: tokens → statements.
///
/// Precedence, tightest first: postfix (call, `[index]`, `.field`); `**` (right
/// associative; its right operand may carry a unary sign, `2 ** -1`); unary `-` `!`;
/// `* / % @`; `+ -`; `..<`; comparisons; `&&`; `||`. Binary operators are left
/// associative except `**`.
///
/// Nesting (parentheses, brackets, blocks, unary chains, postfix chains) is limited
/// to `maxDepth`, so no input can exhaust the stack; going deeper is a `LimitError`.
struct Parser {
    private let tokens: [Token]
    private let source: SourceText
    private let maxDepth: Int
    private var position = 0
    private var depth = 0
    private var functionDepth = 0
    private var loopDepth = 0

    private let stackGuard: StackGuard

    init(tokens: [Token], source: SourceText, maxDepth: Int, stackGuard: StackGuard) {
        self.stackGuard = stackGuard
        self.tokens = tokens
        self.source = source
        self.maxDepth = maxDepth
    }

    /// Lexes and parses a whole cell.
    static func parse(_ source: SourceText, maxDepth: Int, stackGuard: StackGuard = StackGuard(budget: 256 << 10)) throws(LangError) -> [Stmt] {
        let tokens = try Lexer.tokenize(source)
        var parser = Parser(tokens: tokens, source: source, maxDepth: maxDepth, stackGuard: stackGuard)
        do {
            return try parser.parseProgram()
        } catch {
            throw parser.pythonHabit(error)
        }
    }

    /// A syntax error on or right after a Python word (`if a and b {`, `while not done {`,
    /// `} elif c {`) becomes that word's hint. An incomplete cell stays incomplete, for
    /// `is_complete`.
    private func pythonHabit(_ error: LangError) -> LangError {
        guard error.kind == .syntaxError, error.reason != .cellEndsEarly else { return error }
        let candidates = position > 0 ? [tokens[position], tokens[position - 1]] : [tokens[position]]
        for token in candidates {
            if case .identifier(let word) = token.kind, PythonHabits.words.contains(word), let hint = PythonHabits.hint(for: word) {
                return LangError(.pythonWord(word: word, hint: hint), at: token.range)
            }
        }
        return error
    }

    mutating func parseProgram() throws(LangError) -> [Stmt] {
        let statements = try parseStatements()
        if case .punct(let p) = current.kind {
            if p == .rbrace { throw LangError(.unmatchedClosingBrace, at: current.range) }
            throw LangError(.unexpectedToken(current.kind.description), at: current.range)
        }
        return statements
    }

    // MARK: - Token access

    private var current: Token { tokens[min(position, tokens.count - 1)] }

    private func peekKind(_ ahead: Int) -> TokenKind { tokens[min(position + ahead, tokens.count - 1)].kind }

    private mutating func advance() -> Token {
        let token = current
        if position < tokens.count - 1 { position += 1 }
        return token
    }

    private func check(_ p: Punct) -> Bool { current.kind == .punct(p) }
    private func check(_ k: Keyword) -> Bool { current.kind == .keyword(k) }

    private mutating func match(_ p: Punct) -> Bool {
        if check(p) { _ = advance(); return true }
        return false
    }

    private mutating func skipNewlines() {
        while current.kind == .newline { _ = advance() }
    }

    private mutating func expect(_ p: Punct, _ context: String) throws(LangError) -> Token {
        guard check(p) else {
            throw LangError(.expectedPunctuation(p.rawValue, context: context, found: current.kind.description), at: current.range)
        }
        return advance()
    }

    private mutating func expectIdentifier(_ context: String) throws(LangError) -> (String, SourceRange) {
        if case .identifier(let name) = current.kind {
            let token = advance()
            return (name, token.range)
        }
        if case .keyword(let k) = current.kind {
            throw LangError(.reservedWord(k.rawValue), at: current.range)
        }
        throw LangError(.expected(context, found: current.kind.description), at: current.range)
    }

    /// Runs `body` one nesting level deeper, failing with a `LimitError` past `maxDepth`.
    private mutating func nested<T>(_ body: (inout Parser) throws(LangError) -> T) throws(LangError) -> T {
        depth += 1
        defer { depth -= 1 }
        guard depth <= maxDepth, !stackGuard.isExhausted else {
            throw LangError(.nestedTooDeep(limit: maxDepth), at: current.range)
        }
        return try body(&self)
    }

    // MARK: - Statements

    /// Statements up to `}` or the end of input (neither consumed).
    private mutating func parseStatements() throws(LangError) -> [Stmt] {
        var statements: [Stmt] = []
        while true {
            while current.kind == .newline || check(.semicolon) { _ = advance() }
            if current.kind == .eof || check(.rbrace) { return statements }
            statements.append(try parseStatement())
            switch current.kind {
            case .newline, .eof, .punct(.semicolon), .punct(.rbrace): continue
            case .punct(.assign):
                throw LangError(.notAssignable, at: current.range)
            default:
                throw LangError(.expectedEndOfStatement(found: current.kind.description), at: current.range)
            }
        }
    }

    private mutating func parseBlock(_ context: String) throws(LangError) -> [Stmt] {
        if check(.assign) {
            throw LangError(.assignmentInCondition(context: context), at: current.range)
        }
        let open = try expect(.lbrace, context)
        return try nested { (p: inout Parser) throws(LangError) -> [Stmt] in
            let body = try p.parseStatements()
            guard p.check(.rbrace) else {
                throw LangError(.unclosedBrace, at: open.range)
            }
            _ = p.advance()
            return body
        }
    }

    private mutating func parseStatement() throws(LangError) -> Stmt {
        let start = current
        switch current.kind {
        case .keyword(.let):
            _ = advance()
            let (name, nameRange) = try expectIdentifier("a name after 'let'")
            _ = try expect(.assign, "after 'let \(name)'")
            let value = try parseExpression()
            return .assign(name: Name(name), value: value, nameRange)
        case .keyword(.func):
            return .function(try parseFunction())
        case .keyword(.return):
            _ = advance()
            guard functionDepth > 0 else {
                throw LangError(.returnOutsideFunction, at: start.range)
            }
            switch current.kind {
            case .newline, .eof, .punct(.semicolon), .punct(.rbrace): return .return(nil, start.range)
            default: return .return(try parseExpression(), start.range)
            }
        case .keyword(.for):
            _ = advance()
            let (name, _) = try expectIdentifier("a loop variable after 'for'")
            guard check(.in) else {
                throw LangError(.expectedIn(variable: name, found: current.kind.description), at: current.range)
            }
            _ = advance()
            let iterable = try parseExpression()
            loopDepth += 1
            defer { loopDepth -= 1 }
            let body = try parseBlock("to start the loop body")
            return .for(name: Name(name), iterable: iterable, body: body, start.range)
        case .keyword(.while):
            _ = advance()
            let condition = try parseExpression()
            loopDepth += 1
            defer { loopDepth -= 1 }
            let body = try parseBlock("to start the loop body")
            return .while(condition: condition, body: body, start.range)
        case .keyword(.if):
            return try parseIf()
        case .keyword(.break), .keyword(.continue):
            _ = advance()
            guard loopDepth > 0 else {
                throw LangError(.outsideLoop(keyword: start.kind == .keyword(.break) ? "break" : "continue"), at: start.range)
            }
            return start.kind == .keyword(.break) ? .break(start.range) : .continue(start.range)
        case .keyword(.else):
            throw LangError(.misplacedElse, at: start.range)
        default:
            let expr = try parseExpression()
            guard check(.assign) else { return .expression(expr) }
            let equals = advance()
            switch expr {
            case .name(let name, let range):
                return .assign(name: name, value: try parseExpression(), range)
            case .index(.name(let name, _), let parts, let range):
                return .assignIndex(name: name, indices: parts, value: try parseExpression(), range)
            default:
                throw LangError(.notAssignable, at: equals.range)
            }
        }
    }

    private mutating func parseIf() throws(LangError) -> Stmt {
        let start = advance()  // 'if'
        var branches: [(condition: Expr, body: [Stmt])] = []
        var elseBody: [Stmt]?
        let condition = try parseExpression()
        branches.append((condition, try parseBlock("after the condition of 'if'")))
        while check(.else) {
            _ = advance()
            if check(.if) {
                _ = advance()
                let c = try parseExpression()
                branches.append((c, try parseBlock("after the condition of 'else if'")))
            } else {
                elseBody = try parseBlock("after 'else'")
                break
            }
        }
        return .if(branches: branches, elseBody: elseBody, start.range)
    }

    private mutating func parseFunction() throws(LangError) -> FunctionDecl {
        let start = advance()  // 'func'
        let (name, _) = try expectIdentifier("a function name after 'func'")
        _ = try expect(.lparen, "after the function name")
        var parameters: [String] = []
        while !check(.rparen) {
            let (param, range) = try expectIdentifier("a parameter name")
            if parameters.contains(param) {
                throw LangError(.duplicateParameter(param), at: range)
            }
            parameters.append(param)
            if !match(.comma) { break }
        }
        _ = try expect(.rparen, "to close the parameter list")
        functionDepth += 1
        let savedLoops = loopDepth
        loopDepth = 0
        defer {
            functionDepth -= 1
            loopDepth = savedLoops
        }
        let body: [Stmt]
        if check(.assign) {
            let equals = advance()
            body = [.return(try parseExpression(), equals.range)]
        } else {
            body = try parseBlock("to start the body of \(name)")
        }
        return FunctionDecl(name: name, parameters: parameters, body: body, range: start.range, source: source)
    }

    // MARK: - Expressions

    mutating func parseExpression() throws(LangError) -> Expr {
        try nested { (p: inout Parser) throws(LangError) -> Expr in try p.parseBinary() }
    }

    private mutating func binaryOp(_ ops: [Punct: BinaryOp]) -> (BinaryOp, SourceRange)? {
        if case .punct(let p) = current.kind, let op = ops[p] {
            let token = advance()
            return (op, token.range)
        }
        return nil
    }

    /// `operand (op operand)*` for the left-associative operators `ops`, as one flat `chain`
    /// (or the operand alone): a chain of any length adds one level to the tree, so building,
    /// evaluating and freeing it never recurses along the chain.
    private mutating func parseChain(
        _ ops: [Punct: BinaryOp], _ operand: (inout Parser) throws(LangError) -> Expr
    ) throws(LangError) -> Expr {
        let leftStart = current.range.startOffset
        let first = try operand(&self)
        var links: [ChainLink] = []
        while let (op, range) = binaryOp(ops) {
            links.append(ChainLink(op: op, operand: try operand(&self), range: range, leftStart: leftStart))
        }
        return links.isEmpty ? first : .chain(first, links)
    }

    /// The binary operators by precedence, loosest first: `||`; `&&`; comparisons; `..<`;
    /// `+ -`; `* / % @`. Each level's operands are the next level's expressions.
    private static let precedence: [[Punct: BinaryOp]] = [
        [.or: .or],
        [.and: .and],
        [.equal: .equal, .notEqual: .notEqual, .less: .less, .lessEqual: .lessEqual, .greater: .greater, .greaterEqual: .greaterEqual],
        [.range: .range],
        [.plus: .add, .minus: .subtract],
        [.star: .multiply, .slash: .divide, .percent: .modulo, .at: .matmul],
    ]

    /// A run of operators of precedence `level` (0 is `||`); past the last level, a unary expression.
    private mutating func parseBinary(level: Int = 0) throws(LangError) -> Expr {
        guard level < Parser.precedence.count else { return try parseUnary() }
        return try parseChain(Parser.precedence[level]) { (p: inout Parser) throws(LangError) -> Expr in try p.parseBinary(level: level + 1) }
    }

    private mutating func parseUnary() throws(LangError) -> Expr {
        let op: UnaryOp
        switch current.kind {
        case .punct(.minus): op = .negate
        case .punct(.bang): op = .not
        default: return try parsePower()
        }
        let token = advance()
        let operand = try nested { (p: inout Parser) throws(LangError) -> Expr in try p.parseUnary() }
        // Fold `-3` into a literal so that `[-1, 2]` stays a plain matrix literal.
        if op == .negate, case .number(let v, let r) = operand {
            return .number(-v, token.range.through(r))
        }
        return .unary(op, operand, token.range)
    }

    private mutating func parsePower() throws(LangError) -> Expr {
        let base = try parsePostfix()
        guard check(.power) else { return base }
        let token = advance()
        let exponent = try nested { (p: inout Parser) throws(LangError) -> Expr in try p.parseUnary() }
        return .power(base, exponent, token.range)
    }

    private mutating func parsePostfix() throws(LangError) -> Expr {
        var expr = try parsePrimary()
        var chain = 0
        while true {
            if check(.lparen) || check(.lbracket) || check(.dot) {
                chain += 1
                guard depth + chain <= maxDepth else {
                    throw LangError(.chainTooLong(limit: maxDepth), at: current.range)
                }
            }
            if check(.lparen) {
                let open = advance()
                let (arguments, close) = try parseArguments()
                expr = .call(expr, arguments, open.range.through(close))
            } else if check(.lbracket) {
                let open = advance()
                let (parts, close) = try parseIndex()
                expr = .index(expr, parts, open.range.through(close))
            } else if check(.dot) {
                _ = advance()
                let (name, range) = try expectIdentifier("a field name after '.'")
                expr = .field(expr, name, range)
            } else {
                return expr
            }
        }
    }

    /// The arguments up to the closing `)`, and that parenthesis's range.
    private mutating func parseArguments() throws(LangError) -> ([Argument], SourceRange) {
        var arguments: [Argument] = []
        var sawLabel = false
        while !check(.rparen) {
            if case .identifier(let label) = current.kind, peekKind(1) == .punct(.colon) {
                let labelToken = advance()
                _ = advance()
                if arguments.contains(where: { $0.label == label }) {
                    throw LangError(.duplicateLabel(label), at: labelToken.range)
                }
                arguments.append(Argument(label: label, labelRange: labelToken.range, value: try parseExpression()))
                sawLabel = true
            } else {
                let start = current
                let value = try parseExpression()
                if sawLabel {
                    throw LangError(.positionalAfterLabelled, at: start.range)
                }
                arguments.append(Argument(label: nil, labelRange: nil, value: value))
            }
            if !match(.comma) { break }
        }
        let close = try expect(.rparen, "to close the argument list")
        return (arguments, close.range)
    }

    /// The index parts up to the closing `]`, and that bracket's range.
    private mutating func parseIndex() throws(LangError) -> ([IndexPart], SourceRange) {
        var parts: [IndexPart] = []
        skipNewlines()
        while !check(.rbracket) {
            if parts.count == 2 {
                throw LangError(.tooManyIndices, at: current.range)
            }
            var lower: Expr?
            if !check(.colon) { lower = try parseExpression() }
            skipNewlines()
            if match(.colon) {
                skipNewlines()
                var upper: Expr?
                if !check(.comma), !check(.rbracket) { upper = try parseExpression() }
                parts.append(.slice(lower: lower, upper: upper))
            } else if let lower {
                parts.append(.single(lower))
            }
            skipNewlines()
            if !match(.comma) { break }
            skipNewlines()
        }
        if parts.isEmpty, check(.rbracket) {
            throw LangError(.emptyIndex, at: current.range)
        }
        let close = try expect(.rbracket, "to close the index")
        return (parts, close.range)
    }

    private mutating func parsePrimary() throws(LangError) -> Expr {
        let token = current
        switch token.kind {
        case .number(let v):
            _ = advance()
            return .number(v, token.range)
        case .string(let s):
            _ = advance()
            return .string(s, token.range)
        case .keyword(.true):
            _ = advance()
            return .bool(true, token.range)
        case .keyword(.false):
            _ = advance()
            return .bool(false, token.range)
        case .keyword(.nil):
            _ = advance()
            return .nil(token.range)
        case .identifier(let name):
            _ = advance()
            return .name(Name(name), token.range)
        case .punct(.lparen):
            _ = advance()
            let inner = try parseExpression()
            guard check(.rparen) else {
                throw LangError(.unclosedParenthesis(openedAt: token.location, found: current.kind.description), at: current.range)
            }
            _ = advance()
            return inner
        case .punct(.lbracket):
            _ = advance()
            return try nested { (p: inout Parser) throws(LangError) -> Expr in try p.parseBracket(open: token) }
        case .eof:
            throw LangError(.cellEndsEarly, at: token.range)
        case .keyword(let k):
            throw LangError(.keywordAsExpression(k.rawValue), at: token.range)
        default:
            throw LangError(.expectedExpression(found: token.kind.description), at: token.range)
        }
    }

    /// `[ ... ]` after the opening bracket: rows separated by `;` or line breaks.
    private mutating func parseBracket(open: Token) throws(LangError) -> Expr {
        var rows: [[Expr]] = []
        var row: [Expr] = []
        skipNewlines()
        while !check(.rbracket) {
            if current.kind == .eof {
                throw LangError(.unclosedBracket, at: open.range)
            }
            row.append(try parseExpression())
            if match(.comma) {
                skipNewlines()
            } else if check(.semicolon) || current.kind == .newline {
                while check(.semicolon) || current.kind == .newline { _ = advance() }
                rows.append(row)
                row = []
            } else if !check(.rbracket) {
                if current.kind == .eof {
                    throw LangError(.unclosedBracket, at: open.range)
                }
                throw LangError(.expectedCommaOrBracket(found: current.kind.description), at: current.range)
            }
        }
        let close = advance()
        if !row.isEmpty { rows.append(row) }
        return .bracket(rows: rows, open.range.through(close.range))
    }
}
