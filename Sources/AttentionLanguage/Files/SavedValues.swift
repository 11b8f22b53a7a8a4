import AttentionCore
import JSONValues

/// A value as safetensors: its matrices become tensors named by field path (`wte`,
/// `blocks.0.Wq`), and the whole shape of the value (records with their field order,
/// lists, and the numbers, bools and strings among the matrices, such as a model's
/// `heads` and `mlp`) goes into `__metadata__` as `attention.layout`, so that `load`
/// gives back the same value. Each number, bool and string is also written under its
/// own path in `__metadata__` for readers in Python.
///
/// A file without `attention.layout` (written by Python) loads as records nested by the
/// dots of its tensor names; a level whose names are exactly 0, 1, ..., k−1 is a list.
enum SavedValues {
    static let layoutKey = "attention.layout"

    enum Failure: Error {
        case notSavable(path: String, got: String)
        case problem(SafetensorsProblem)
    }

    /// The tensors and metadata of `value`.
    static func flatten(_ value: Value) throws(Failure) -> (tensors: [(name: String, matrix: Matrix)], metadata: [(String, String)]) {
        var tensors: [(name: String, matrix: Matrix)] = []
        var scalars: [(String, String)] = []
        func leafName(_ path: [String]) -> String { path.isEmpty ? "value" : path.joined(separator: ".") }
        func walk(_ v: Value, _ path: [String]) throws(Failure) -> JSONValue {
            switch v {
            case .matrix(let m):
                let name = path.isEmpty ? "matrix" : path.joined(separator: ".")
                tensors.append((name, m))
                return .object(JSONObject([("tensor", .string(name))]))
            case .number(let d):
                scalars.append((leafName(path), numberText(d)))
                return .object(JSONObject([("number", .string(numberText(d)))]))
            case .bool(let b):
                scalars.append((leafName(path), b ? "true" : "false"))
                return .object(JSONObject([("bool", .bool(b))]))
            case .string(let s):
                scalars.append((leafName(path), s))
                return .object(JSONObject([("string", .string(s))]))
            case .nil:
                return .object(JSONObject([("nil", .bool(true))]))
            case .list(let items):
                var out: [JSONValue] = []
                for (index, item) in items.enumerated() { out.append(try walk(item, path + [String(index)])) }
                return .object(JSONObject([("list", .array(out))]))
            case .record(let r):
                var out: [JSONValue] = []
                for (name, field) in r.fields { out.append(.array([.string(name), try walk(field, path + [name])])) }
                return .object(JSONObject([("record", .array(out))]))
            case .function, .tracked, .widget:  // a followed matrix never reaches save: grad stops at it first
                throw .notSavable(path: path.joined(separator: "."), got: v.kindDescription)
            }
        }
        let layout = try walk(value, [])
        return (tensors, scalars + [(layoutKey, layout.serialized())])
    }

    /// The value of a decoded file. `maxDepth` bounds the nesting of what is rebuilt.
    static func rebuild(tensors: [(name: String, matrix: Matrix)], metadata: [(String, String)], maxDepth: Int) throws(Failure) -> Value {
        var byName: [String: Matrix] = [:]
        for tensor in tensors { byName[tensor.name] = tensor.matrix }
        if let text = metadata.last(where: { $0.0 == layoutKey })?.1 {
            guard let layout = try? JSONValue.parse(text) else { throw .problem(.layout("it is not JSON")) }
            return try fromLayout(layout, byName, depth: 0, maxDepth: maxDepth)
        }
        return try fromNames(tensors, maxDepth: maxDepth)
    }

    private static func fromLayout(_ layout: JSONValue, _ tensors: [String: Matrix], depth: Int, maxDepth: Int) throws(Failure) -> Value {
        guard depth <= maxDepth else { throw .problem(.layout("nested more than \(maxDepth) levels")) }
        guard let object = layout.objectValue, object.count == 1, let (kind, content) = object.pairs.first else {
            throw .problem(.layout("an entry is not an object with one key"))
        }
        switch kind {
        case "tensor":
            guard let name = content.stringValue, let m = tensors[name] else { throw .problem(.layout("it names a tensor the file does not hold")) }
            return .matrix(m)
        case "number":
            guard let text = content.stringValue, let d = Double(text) else { throw .problem(.layout("a number is not a number")) }
            return .number(d)
        case "bool":
            guard let b = content.boolValue else { throw .problem(.layout("a bool is not true or false")) }
            return .bool(b)
        case "string":
            guard let s = content.stringValue else { throw .problem(.layout("a string is not a string")) }
            return .string(s)
        case "nil":
            return .nil
        case "list":
            guard let items = content.arrayValue else { throw .problem(.layout("a list is not a list")) }
            var out: [Value] = []
            for item in items { out.append(try fromLayout(item, tensors, depth: depth + 1, maxDepth: maxDepth)) }
            return .list(out)
        case "record":
            guard let items = content.arrayValue else { throw .problem(.layout("a record is not a list of fields")) }
            var record = Record()
            for item in items {
                guard let pair = item.arrayValue, pair.count == 2, let name = pair[0].stringValue else {
                    throw .problem(.layout("a field is not a [name, value] pair"))
                }
                record[name] = try fromLayout(pair[1], tensors, depth: depth + 1, maxDepth: maxDepth)
            }
            return .record(record)
        default:
            throw .problem(.layout("unknown kind '\(kind)'"))
        }
    }

    /// Records nested by the dots of the names (lists where the names are 0..<k).
    private static func fromNames(_ tensors: [(name: String, matrix: Matrix)], maxDepth: Int) throws(Failure) -> Value {
        final class Node {
            var matrix: Matrix?
            var children: [(String, Node)] = []
            func child(_ key: String) -> Node {
                if let found = children.first(where: { $0.0 == key }) { return found.1 }
                let node = Node()
                children.append((key, node))
                return node
            }
        }
        let root = Node()
        for tensor in tensors {
            let parts = tensor.name.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
            guard parts.count <= maxDepth else { throw .problem(.layout("the tensor name '\(tensor.name)' nests more than \(maxDepth) levels")) }
            var node = root
            for part in parts {
                if node.matrix != nil { throw .problem(.conflictingNames(tensor.name)) }
                node = node.child(part)
            }
            if node.matrix != nil || !node.children.isEmpty { throw .problem(.conflictingNames(tensor.name)) }
            node.matrix = tensor.matrix
        }
        func value(_ node: Node) -> Value {
            if let m = node.matrix { return .matrix(m) }
            let indices = node.children.compactMap { Int($0.0) }
            if !node.children.isEmpty, indices.count == node.children.count, Set(indices) == Set(0..<indices.count),
               node.children.allSatisfy({ Int($0.0).map(String.init) == $0.0 }) {
                return .list(node.children.sorted { (Int($0.0) ?? 0) < (Int($1.0) ?? 0) }.map { value($0.1) })
            }
            return .record(Record(node.children.map { ($0.0, value($0.1)) }))
        }
        return value(root)
    }

    /// A whole number without ".0"; other numbers as Swift writes them (round-trips, nan and inf included).
    static func numberText(_ d: Double) -> String {
        if d.isFinite, d == d.rounded(), abs(d) < 9_007_199_254_740_992 { return String(Int(d)) }
        return d.description
    }
}
