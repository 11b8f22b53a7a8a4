import JSONValues

/// Completions for the text before a cursor.
public struct Completions: Equatable, Sendable {
    /// Candidate names, sorted.
    public var matches: [String] { items.map(\.text) }
    /// The candidates with what they are, sorted by text (one per text).
    public let items: [CompletionItem]
    /// Start and end of the text the matches replace, in Unicode scalars (Jupyter's `cursor_start`/`cursor_end`).
    public let cursorStart: Int
    public let cursorEnd: Int
}

/// One completion candidate: its text, what it names and, for functions, the signature
/// (what ipykernel sends per item in `metadata._jupyter_types_experimental`).
public struct CompletionItem: Equatable, Sendable {
    public enum Kind: String, Sendable {
        case function, variable, keyword
        /// A matrix's `T`, `shape`, `rows`, `cols` or a record's field, after `.`.
        case property
    }
    public let text: String
    public let kind: Kind
    /// `softmax(M, axis: 1)` for builtins, `f(a, b)` for functions defined in the notebook; empty otherwise.
    public let signature: String
}

/// What a binding holds, for inspection and variable views.
public struct BindingSummary: Equatable, Sendable {
    public let name: String
    /// "number", "matrix", "list", ...
    public let kind: String
    /// "4×3" for matrices, "5 items" for lists, nil otherwise.
    public let shape: String?
    /// The start of its printed form (at most 200 characters).
    public let preview: String
}

/// Whether a cell is ready to run (Jupyter's `is_complete_request`).
public enum CompletenessStatus: Equatable, Sendable {
    case complete
    /// Open brackets or a trailing operator: the console should continue with this indent.
    case incomplete(indent: String)
    /// It will fail to parse however it continues (e.g. an unmatched `)`).
    case invalid
}

extension Session {
    /// Names in scope: bindings, then builtins (each once), then keywords.
    public var namesInScope: [String] {
        let bound = boundNames
        let builtins = BuiltinTable.names.filter { !bound.contains($0) }
        return bound + builtins
    }

    /// Names the code itself binds (`let x`, `x =`, `func f`, `for t in`), so completion
    /// offers them before the cell has run. Code that does not lex gives none.
    static func namesBound(in code: String) -> [String] {
        guard let tokens = try? Lexer.tokenize(SourceText(code)) else { return [] }
        var names: [String] = []
        for (index, token) in tokens.enumerated() {
            guard case .identifier(let name) = token.kind else { continue }
            if index > 0, case .keyword(let k) = tokens[index - 1].kind, [.let, .func, .for].contains(k) {
                names.append(name)
            } else if index + 1 < tokens.count, tokens[index + 1].kind == .punct(.assign) {
                names.append(name)
            }
        }
        return names
    }

    /// Fields that can follow `name.`: a record's fields, or a matrix's T, shape, rows, cols.
    public func fields(of name: String) -> [String] {
        switch value(of: name) {
        case .record(let r)?: r.keys
        case .matrix?: ["T", "cols", "rows", "shape"]
        default: []
        }
    }

    /// The kind, shape and a preview of a binding.
    public func summary(of name: String) -> BindingSummary? {
        guard let v = value(of: name) else { return nil }
        var shape: String?
        switch v {
        case .matrix(let m): shape = m.shapeDescription
        case .list(let items): shape = "\(items.count) item\(items.count == 1 ? "" : "s")"
        default: break
        }
        var preview = Renderer.plainText(v)
        if preview.count > 200 { preview = String(preview.prefix(200)) + "…" }
        return BindingSummary(name: name, kind: v.typeName, shape: shape, preview: preview)
    }

    /// Completions at `cursorPosition` (Unicode scalars into `code`): names in scope and
    /// keywords for a word, fields after `name.`; each with its kind and signature.
    public func complete(code: String, cursorPosition: Int) -> Completions {
        let scalars = Array(code.unicodeScalars)
        let cursor = max(0, min(cursorPosition, scalars.count))
        func isWord(_ s: Unicode.Scalar) -> Bool { s == "_" || s.properties.isAlphabetic || ("0"..."9").contains(s) }
        var start = cursor
        while start > 0, isWord(scalars[start - 1]) { start -= 1 }
        let prefix = String(String.UnicodeScalarView(scalars[start..<cursor]))
        var candidates: [String: CompletionItem] = [:]
        func add(_ text: String, _ kind: CompletionItem.Kind, _ signature: String = "") {
            guard text.hasPrefix(prefix), candidates[text] == nil else { return }
            candidates[text] = CompletionItem(text: text, kind: kind, signature: signature)
        }
        if start > 0, scalars[start - 1] == "." {
            var objectStart = start - 1
            while objectStart > 0, isWord(scalars[objectStart - 1]) { objectStart -= 1 }
            let object = String(String.UnicodeScalarView(scalars[objectStart..<(start - 1)]))
            for field in fields(of: object) { add(field, .property) }
        } else {
            // Bindings first: a binding shadows a builtin of the same name.
            for name in boundNames {
                switch value(of: name) {
                case .function(.user(let f))?: add(name, .function, f.signature)
                case .function(.builtin(let b))?: add(name, .function, BuiltinTable.info(b)?.signature ?? "")
                default: add(name, .variable)
                }
            }
            for name in BuiltinTable.names { add(name, .function, BuiltinTable.info(name)?.signature ?? "") }
            for name in Self.namesBound(in: code) { add(name, .variable) }
            for k in Keyword.allCases { add(k.rawValue, .keyword) }
        }
        let items = candidates.values.sorted { $0.text < $1.text }
        return Completions(items: items, cursorStart: start, cursorEnd: cursor)
    }

    /// Help for the name at (or just before) `cursorPosition`: a builtin's documentation,
    /// a function's signature, or a binding's kind, shape and preview. Nil when there is no name.
    public func inspect(code: String, cursorPosition: Int) -> MimeBundle? {
        let scalars = Array(code.unicodeScalars)
        let cursor = max(0, min(cursorPosition, scalars.count))
        func isWord(_ s: Unicode.Scalar) -> Bool { s == "_" || s.properties.isAlphabetic || ("0"..."9").contains(s) }
        var start = cursor, end = cursor
        while start > 0, isWord(scalars[start - 1]) { start -= 1 }
        while end < scalars.count, isWord(scalars[end]) { end += 1 }
        // On "softmax(|": the name before the parenthesis.
        if start == end, start > 0, scalars[start - 1] == "(" {
            end = start - 1
            start = end
            while start > 0, isWord(scalars[start - 1]) { start -= 1 }
        }
        guard start < end else { return nil }
        let name = String(String.UnicodeScalarView(scalars[start..<end]))
        let text: String
        if let v = value(of: name) {
            if case .function(.user(let f)) = v {
                text = "\(f.signature)\n\nA function defined in this notebook.\n"
            } else if let s = summary(of: name) {
                text = "\(name): \(s.kind)\(s.shape.map { " \($0)" } ?? "")\n\n\(s.preview)\n"
            } else {
                return nil
            }
        } else if let info = BuiltinTable.info(name) {
            text = info.helpText
        } else {
            return nil
        }
        return MimeBundle(data: ["text/plain": .string(text)])
    }

    /// Whether `code` is complete (see `CompletenessStatus`).
    public static func isComplete(_ code: String) -> CompletenessStatus {
        let source = SourceText(code)
        let tokens: [Token]
        do {
            tokens = try Lexer.tokenize(source)
        } catch {
            return .invalid
        }
        var open: [Punct] = []
        for token in tokens {
            guard case .punct(let p) = token.kind else { continue }
            switch p {
            case .lparen, .lbracket, .lbrace: open.append(p)
            case .rparen, .rbracket, .rbrace:
                let expected: Punct = p == .rparen ? .lparen : (p == .rbracket ? .lbracket : .lbrace)
                guard open.last == expected else { return .invalid }
                open.removeLast()
            default: break
            }
        }
        let indent = String(repeating: "    ", count: open.filter { $0 == .lbrace }.count)
        if !open.isEmpty { return .incomplete(indent: indent.isEmpty ? "    " : indent) }
        let significant = tokens.last { $0.kind != .newline && $0.kind != .eof }
        if case .punct(let p)? = significant?.kind {
            let continuing: Set<Punct> = [.comma, .assign, .plus, .minus, .star, .slash, .at, .power, .bang, .equal, .notEqual,
                                          .less, .lessEqual, .greater, .greaterEqual, .and, .or, .range, .dot, .colon]
            if continuing.contains(p) { return .incomplete(indent: "") }
        }
        if case .keyword(let k)? = significant?.kind, [.let, .func, .return, .for, .in, .if, .else, .while].contains(k), k != .return {
            return .incomplete(indent: "")
        }
        do {
            _ = try Parser.parse(source, maxDepth: Limits().maxNestingDepth)
            return .complete
        } catch {
            if error.kind == .limitError { return .complete }  // let the run report it
            if case .cellEndsEarly = error.reason { return .incomplete(indent: "") }
            return .invalid
        }
    }
}

/// Decoding of program files.
public enum SourceDecoding {
    /// The text of UTF-8 `bytes`, or a SyntaxError pointing at the first invalid byte
    /// (line and column of the character where decoding failed).
    public static func decode(_ bytes: [UInt8]) -> Result<String, Diagnostic> {
        if let text = String(validating: bytes, as: UTF8.self) { return .success(text) }
        // Find the first invalid sequence and the position of the character it is at.
        var iterator = bytes.makeIterator()
        var decoder = UTF8()
        var valid = String.UnicodeScalarView()
        var offset = 0
        loop: while true {
            switch decoder.decode(&iterator) {
            case .scalarValue(let s):
                valid.append(s)
                offset += UTF8.width(s)
            case .emptyInput:
                break loop
            case .error:
                break loop
            }
        }
        let prefix = String(valid)
        let lines = SourceText(prefix).lines
        let line = lines.count
        let column = (lines.last?.count ?? 0) + 1
        let byte = offset < bytes.count ? bytes[offset] : 0
        let reason = Reason.invalidUTF8(byte: byte, offset: offset)
        return .failure(Diagnostic(
            kind: reason.kind, message: reason.message, location: SourceLocation(line: line, column: column), sourceLine: lines.last,
            function: nil, callers: []))
    }
}
