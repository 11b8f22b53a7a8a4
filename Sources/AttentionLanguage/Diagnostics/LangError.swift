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

    /// What an error gains as it leaves a call of `function` made at `caller`: the source
    /// and name of the function it happened in (the innermost one), and a "called from" line.
    mutating func leave(_ function: FunctionDecl, calledFrom caller: SourceLocation) {
        if source == nil {
            source = function.source
            self.function = function.name
        }
        callers.append(caller)
    }

    var kind: DiagnosticKind { reason.kind }
    var message: String { reason.message }

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
