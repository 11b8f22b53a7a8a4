/// The error thrown inside the lexer, parser and evaluator: a `Reason` and where. It
/// becomes a public `Diagnostic` when the cell ends.
struct LangError: Error, Sendable {
    var reason: Reason
    var range: SourceRange?
    /// The source `range` points into, when it is not the running cell's (code inside a
    /// function defined in an earlier cell). Filled in at the function-call boundary.
    var source: SourceText?
    /// Name of the function the error happened in, if any.
    var function: String?
    /// "called from line 5, column 3" lines, innermost first.
    var callers: [SourceLocation] = []

    init(_ reason: Reason, at range: SourceRange?) {
        self.reason = reason
        self.range = range
    }

    var kind: DiagnosticKind { reason.kind }
    var message: String { reason.message }

    init(_ kind: DiagnosticKind, _ message: String, at range: SourceRange?) {
        self.init(.unclassified(kind, message), at: range)
    }

    static func syntax(_ message: String, at range: SourceRange?) -> LangError { LangError(.syntaxError, message, at: range) }
    static func type(_ message: String, at range: SourceRange?) -> LangError { LangError(.typeError, message, at: range) }
    static func value(_ message: String, at range: SourceRange?) -> LangError { LangError(.valueError, message, at: range) }
    static func shape(_ message: String, at range: SourceRange?) -> LangError { LangError(.shapeError, message, at: range) }
    static func index(_ message: String, at range: SourceRange?) -> LangError { LangError(.indexError, message, at: range) }
    static func name(_ message: String, at range: SourceRange?) -> LangError { LangError(.nameError, message, at: range) }
    static func limit(_ message: String, at range: SourceRange?) -> LangError { LangError(.limitError, message, at: range) }

    /// The public form, quoting `cell` unless the error carries its own source.
    func diagnostic(cell: SourceText) -> Diagnostic {
        let text = source ?? cell
        var lineText: String?
        if let range { lineText = text.line(range.start.line) }
        return Diagnostic(
            kind: kind, message: message, location: range?.start, sourceLine: lineText,
            function: function, callers: callers)
    }
}
