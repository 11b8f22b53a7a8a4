/// The kinds of error a cell can end with. The raw value is the name students see.
public enum DiagnosticKind: String, Sendable, CaseIterable {
    case syntaxError = "SyntaxError"
    case nameError = "NameError"
    case shapeError = "ShapeError"
    case typeError = "TypeError"
    case valueError = "ValueError"
    case indexError = "IndexError"
    case assertionError = "AssertionError"
    case limitError = "LimitError"
    case interrupted = "Interrupted"
    /// A bug in the kernel itself (never the student's fault); the cell ends, bindings survive.
    case internalError = "InternalError"
}
