import Synchronization

/// A function the student defined with `func`. It keeps its syntax tree and the source it
/// was written in (so errors inside it point at the right line, even from a later cell).
///
/// A class, so that `Value.function` holds one reference (a `Value` stays 32 bytes without
/// `indirect`); it is immutable, so sharing it is the same as copying it.
public final class UserFunction: Sendable {
    public let name: String
    public let parameters: [String]
    let declaration: FunctionDecl
    /// The body, compiled once when the definition runs (see `Compiler`).
    let code: Code
    /// The body's numeric version, when it has one (see `NumericExit`).
    let numericBody: NumericProgram?
    /// False once a run of the numeric version bailed: it is not tried again. Only the
    /// evaluation thread of the session that defined the function changes it.
    private let numericEnabled = Atomic<Bool>(true)
    var isNumericEnabled: Bool {
        get { numericEnabled.load(ordering: .relaxed) }
        set { numericEnabled.store(newValue, ordering: .relaxed) }
    }
    /// `parameters.count` and the slots of a call's frame (`declaration.localIDs.count`),
    /// kept as plain numbers: a call reads them without reaching into the arrays.
    let parameterCount: Int
    let frameSize: Int

    init(_ declaration: FunctionDecl, code: @escaping Code, numeric: NumericProgram? = nil) {
        self.name = declaration.name
        self.parameters = declaration.parameters
        self.declaration = declaration
        self.code = code
        self.numericBody = numeric
        self.parameterCount = declaration.parameters.count
        self.frameSize = declaration.localIDs.count
    }

    /// A function with this name and parameters and an empty body (returns nil), for
    /// tests and tools that need a function value without source.
    public convenience init(name: String, parameters: [String]) {
        self.init(FunctionDecl(name: name, parameters: parameters, body: [], range: .none, source: SourceText("")), code: { _ throws(LangError) in .nil })
    }

    /// `f(a, b)`, as help and inspection show it.
    public var signature: String { "\(name)(\(parameters.joined(separator: ", ")))" }
}
