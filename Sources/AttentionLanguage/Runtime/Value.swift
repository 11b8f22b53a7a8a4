import AttentionCore

/// A runtime value of the attention language.
///
/// Evaluation is a `switch` over these cases; there is no `Any` anywhere.
public indirect enum Value: Sendable {
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

    /// The kind as a student reads it in messages: "number", "matrix 4×3", ...
    public var kindDescription: String {
        switch self {
        case .number: "number"
        case .bool: "bool"
        case .string: "string"
        case .nil: "nil"
        case .matrix(let m): "matrix \(m.shapeDescription)"
        case .list(let items): "list of \(items.count)"
        case .record: "record"
        case .function: "function"
        }
    }

    /// The bare kind name, for type errors ("expected a matrix, got a string").
    public var typeName: String {
        switch self {
        case .number: "number"
        case .bool: "bool"
        case .string: "string"
        case .nil: "nil"
        case .matrix: "matrix"
        case .list: "list"
        case .record: "record"
        case .function: "function"
        }
    }
}

/// An insertion-ordered set of named fields.
public struct Record: Sendable {
    public private(set) var keys: [String] = []
    private var storage: [String: Value] = [:]

    public init() {}
    public init(_ pairs: [(String, Value)]) { for (k, v) in pairs { self[k] = v } }

    public subscript(key: String) -> Value? {
        get { storage[key] }
        set {
            if let newValue {
                if storage.updateValue(newValue, forKey: key) == nil { keys.append(key) }
            } else if storage.removeValue(forKey: key) != nil {
                keys.removeAll { $0 == key }
            }
        }
    }

    public var fields: [(name: String, value: Value)] { keys.map { ($0, storage[$0]!) } }
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
