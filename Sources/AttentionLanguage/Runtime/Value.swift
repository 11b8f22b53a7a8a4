import AttentionCore
import OrderedCollections

/// A runtime value of the attention language.
///
/// Evaluation is a `switch` over these cases; there is no `Any` anywhere.
///
/// Not `indirect`: a number or a bool lives inline (32 bytes, no heap allocation), which
/// is what makes `s = s + i * i` cheap. The cases that hold more own their heap storage
/// already (the arrays of a matrix or list, a record's dictionary, a string's buffer, a
/// user function's class instance), and their copy-on-write lets `A[i, j] = v` and
/// `xs = xs + [v]` change a uniquely held binding in place.
public enum Value: Sendable {
    case number(Double)
    case bool(Bool)
    case string(String)
    case `nil`
    /// Every matrix is 2-D and row-major; a row vector is 1×C.
    case matrix(Matrix)
    /// `[a, b, c]` of any values; a list of strings is how tokens are held.
    case list([Value])
    /// Named fields read with `r.name` (block and model parameters).
    case record(Record)
    case function(Callable)
    /// A matrix inside a function being differentiated by `grad`: its value and its place
    /// on the tape. Only exists while `grad` runs; operators and differentiable builtins
    /// record what they do with it, anything else reads it as a matrix or refuses it.
    case tracked(Tracked)
    /// A Jupyter control (`slider`, ...): a reference whose value the student changes.
    case widget(Widget)

    /// The kind as a student reads it in messages: "number", "matrix 4×3", ...: the
    /// `typeName`, with the shape of a matrix and the length of a list.
    public var kindDescription: String {
        switch self {
        case .matrix(let m): "matrix \(m.shapeDescription)"
        case .tracked(let t): "matrix \(t.value.shapeDescription)"
        case .list(let items): "list of \(items.count)"
        case .widget(let w): w.kind.name
        default: typeName
        }
    }

    /// The bare kind name, for type errors ("expected a matrix, got a string").
    public var typeName: String {
        switch self {
        case .number: "number"
        case .bool: "bool"
        case .string: "string"
        case .nil: "nil"
        case .matrix, .tracked: "matrix"
        case .list: "list"
        case .record: "record"
        case .function: "function"
        case .widget: "widget"
        }
    }
}

/// A matrix on the running `grad`'s tape: `value` is what it holds, `variable` where the
/// tape recorded it.
public struct Tracked: Sendable {
    public let variable: Tape.Variable
    public let value: Matrix
}

/// An insertion-ordered set of named fields: fields print and compare in the order they
/// were made (`init_block`'s Wq before Wk). swift-collections' `OrderedDictionary` keeps that
/// order; setting an existing field keeps its place, setting one to nil removes it.
public struct Record: Sendable {
    private var storage: OrderedDictionary<String, Value> = [:]

    public init() {}
    public init(_ pairs: [(String, Value)]) { for (k, v) in pairs { self[k] = v } }

    /// The field names in insertion order.
    public var keys: [String] { storage.keys.elements }

    public subscript(key: String) -> Value? {
        get { storage[key] }
        set { storage[key] = newValue }
    }

    public var fields: [(name: String, value: Value)] { storage.map { ($0.key, $0.value) } }
}

/// Something that can be called: a builtin by name, or a function the student wrote.
public enum Callable: Sendable {
    case builtin(name: String)
    case user(UserFunction)

    public var name: String {
        switch self {
        case .builtin(let name): name
        case .user(let f): f.name
        }
    }
}
