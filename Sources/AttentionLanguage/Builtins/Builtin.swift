import AttentionCore

/// The sections of `help()` and of the reference, in the order they are listed.
public enum BuiltinCategory: String, CaseIterable, Sendable {
    case build = "Build", shape = "Shape", math = "Math", arrays = "Arrays", attention = "Attention", positions = "Positions"
    case models = "Blocks and models", learning = "Learning", data = "Data and files", display = "Display", grading = "Grading", other = "Other"
}

/// One builtin, whole: its name, category, signature, documentation, example and the
/// code that runs it. `BuiltinTable` is the list of these and nothing else; a builtin
/// cannot exist without its implementation.
public struct Builtin: Sendable {
    /// The name, as called: `softmax`.
    public let name: String
    public let category: BuiltinCategory
    /// `softmax(A, axis: 1, temperature: 1)`: positional parameters, then labelled ones with
    /// their defaults (`label:` alone means required; `p = v` an optional positional; `xs...` any number).
    /// Calls are checked against it (see `Signature`), and `Arguments` refuses to read a
    /// parameter it does not declare.
    public let signature: String
    /// One paragraph: what it computes, with the math where there is some.
    public let doc: String
    /// A line or two of code that uses it.
    public let example: String
    /// Its NumPy (or Python, SciPy) twin, for students who know those: `np.triu(A, k)`.
    /// `help("numpy")` and the reference's table are made from these.
    public let numpy: String?

    let parsed: Signature
    /// Runs the builtin on arguments already matched to `signature`.
    let implementation: @Sendable (Arguments) throws(LangError) -> Value
    /// How `grad` goes through this builtin; nil when it cannot (a call with a matrix that
    /// `grad` follows is then a TypeError naming the builtin).
    private(set) var differentiation: Differentiation?

    init(
        _ name: String, _ category: BuiltinCategory, _ signature: String, _ doc: String, example: String, numpy: String? = nil,
        _ implementation: @escaping @Sendable (Arguments) throws(LangError) -> Value
    ) {
        self.name = name
        self.category = category
        self.signature = signature
        self.doc = doc
        self.example = example
        self.numpy = numpy
        self.parsed = Signature(signature)
        self.implementation = implementation
    }

    /// This builtin with a gradient rule: the same computation recorded on the tape of the
    /// running `grad`, called instead of `implementation` when an argument is followed.
    func differentiable(_ rule: @escaping @Sendable (Arguments, Tape) throws(LangError) -> Value) -> Builtin {
        var copy = self
        copy.differentiation = .rule(rule)
        return copy
    }

    /// This builtin reading followed matrices as plain values: its result does not vary
    /// smoothly with them (shapes, positions, displays, comparisons), so no gradient flows.
    func readingValues() -> Builtin {
        var copy = self
        copy.differentiation = .readsValues
        return copy
    }

    /// This builtin keeping followed matrices as they are: it only places values in a
    /// structure (record, with, append), so gradients flow through what it returns.
    func passingFollowed() -> Builtin {
        var copy = self
        copy.differentiation = .rule { a, _ throws(LangError) in try a.info.implementation(a) }
        return copy
    }

    /// Whether `grad` can follow a matrix through this builtin with a nonzero gradient.
    public var isDifferentiable: Bool {
        if case .rule = differentiation { true } else { false }
    }

    /// The help page text: signature, doc, example.
    public var helpText: String {
        "\(signature)\n\n\(doc)\n" + (numpy.map { "\nNumPy: \($0)\n" } ?? "") + "\nExample:\n" + example.split(separator: "\n", omittingEmptySubsequences: false).map { "    " + $0 }.joined(separator: "\n") + "\n"
    }
}

/// How `grad` treats a builtin.
enum Differentiation: Sendable {
    /// Computes on the values and gives a constant (shape, argmax, print, show, ...).
    case readsValues
    /// Records its computation on the tape.
    case rule(@Sendable (Arguments, Tape) throws(LangError) -> Value)
}

/// A builtin's parameters, read from its signature string.
struct Signature: Sendable {
    enum Default: Sendable {
        case required
        case value(Value)
    }

    struct Parameter: Sendable {
        let name: String
        let defaultValue: Default
    }

    var positional: [Parameter] = []
    var labelled: [Parameter] = []
    /// The name of a trailing `xs...` parameter taking any number of positional values.
    var variadic: String?
    /// Whether the call takes any labelled arguments besides the declared ones (written
    /// `name: value, ...`, as in `record(name: value, ...)`); they are read in call order.
    var anyLabels = false

    init(_ signature: String) {
        guard let open = signature.firstIndex(of: "("), let close = signature.lastIndex(of: ")"), open < close else { return }
        let inside = signature[signature.index(after: open)..<close]
        for rawPiece in inside.split(separator: ",") {
            let piece = String(rawPiece).trimmingWhitespace()
            if piece.isEmpty { continue }
            if piece == "..." {
                // `name: value, ...`: any labels; the labelled piece before it shows their form.
                if !labelled.isEmpty { labelled.removeLast() }
                anyLabels = true
            } else if piece.hasSuffix("...") {
                variadic = String(piece.dropLast(3))
            } else if let colon = piece.firstIndex(of: ":") {
                let name = String(piece[..<colon])
                let text = String(piece[piece.index(after: colon)...]).trimmingWhitespace()
                labelled.append(Parameter(name: name, defaultValue: text.isEmpty ? .required : .value(Signature.literal(text))))
            } else if let eq = piece.firstRange(of: " = ") {
                positional.append(Parameter(name: String(piece[..<eq.lowerBound]), defaultValue: .value(Signature.literal(String(piece[eq.upperBound...])))))
            } else {
                positional.append(Parameter(name: piece, defaultValue: .required))
            }
        }
    }

    static func literal(_ text: String) -> Value {
        switch text {
        case "nil": return .nil
        case "true": return .bool(true)
        case "false": return .bool(false)
        default:
            if text.hasPrefix("\""), text.hasSuffix("\""), text.count >= 2 { return .string(String(text.dropFirst().dropLast())) }
            return Double(text).map(Value.number) ?? .nil
        }
    }

    /// Whether `name` is one of the parameters (positional, labelled or variadic).
    func declares(_ name: String) -> Bool {
        name == variadic || positional.contains { $0.name == name } || labelled.contains { $0.name == name }
    }
}
