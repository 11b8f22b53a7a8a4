/// A function the student defined with `func`. It keeps its syntax tree and the source it
/// was written in (so errors inside it point at the right line, even from a later cell).
public struct UserFunction: Sendable {
    public let name: String
    public let parameters: [String]
    let declaration: FunctionDecl

    init(_ declaration: FunctionDecl) {
        self.name = declaration.name
        self.parameters = declaration.parameters
        self.declaration = declaration
    }

    /// A function with this name and parameters and an empty body (returns nil), for
    /// tests and tools that need a function value without source.
    public init(name: String, parameters: [String]) {
        self.init(FunctionDecl(name: name, parameters: parameters, body: [], range: .none, source: SourceText("")))
    }

    /// `f(a, b)`, as help and inspection show it.
    public var signature: String { "\(name)(\(parameters.joined(separator: ", ")))" }
}
