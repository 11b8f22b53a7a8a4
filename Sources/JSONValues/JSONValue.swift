import OrderedCollections

/// A JSON document as a value type.
///
/// Shared by the language (mimebundles) and the protocol (message content) so that
/// neither has to import the other. Numbers are `Double`; integral values within
/// ±2⁵³ serialize without a decimal point (`execution_count: 3`, never `3.0`), every
/// other finite value in the shortest form that reads back to the same bits.
public enum JSONValue: Equatable, Sendable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    /// Keys keep insertion order when serialized, which keeps messages readable
    /// and test fixtures stable.
    case object(JSONObject)
}

/// An insertion-ordered JSON object (swift-collections' `OrderedDictionary` underneath).
public struct JSONObject: Equatable, Sendable, ExpressibleByDictionaryLiteral {
    private var storage: OrderedDictionary<String, JSONValue> = [:]

    public init() {}

    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        for (key, value) in elements { self[key] = value }
    }

    public init(_ pairs: [(String, JSONValue)]) {
        for (key, value) in pairs { self[key] = value }
    }

    /// Setting nil removes the key; the other keys keep their order.
    public subscript(key: String) -> JSONValue? {
        get { storage[key] }
        set { storage[key] = newValue }
    }

    /// Keys in insertion order.
    public var keys: [String] { storage.keys.elements }
    public var count: Int { storage.count }
    public var isEmpty: Bool { storage.isEmpty }

    /// Key/value pairs in insertion order.
    public var pairs: [(key: String, value: JSONValue)] { storage.map { ($0.key, $0.value) } }

    /// Equality ignores key order, as JSON's does (`OrderedDictionary`'s own `==` would not):
    /// a reply built in another order is still the same reply.
    public static func == (lhs: JSONObject, rhs: JSONObject) -> Bool {
        lhs.count == rhs.count && lhs.storage.allSatisfy { rhs.storage[$0.key] == $0.value }
    }
}

extension JSONValue: ExpressibleByStringLiteral, ExpressibleByBooleanLiteral, ExpressibleByFloatLiteral,
    ExpressibleByIntegerLiteral, ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral, ExpressibleByNilLiteral
{
    public init(stringLiteral value: String) { self = .string(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(floatLiteral value: Double) { self = .number(value) }
    public init(integerLiteral value: Int) { self = .number(Double(value)) }
    public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, JSONValue)...) { self = .object(JSONObject(elements)) }
    public init(nilLiteral: ()) { self = .null }
}

extension JSONValue {
    public subscript(key: String) -> JSONValue? {
        if case .object(let object) = self { return object[key] }
        return nil
    }

    public var stringValue: String? { if case .string(let s) = self { return s } else { return nil } }
    public var doubleValue: Double? { if case .number(let d) = self { return d } else { return nil } }
    public var boolValue: Bool? { if case .bool(let b) = self { return b } else { return nil } }
    public var arrayValue: [JSONValue]? { if case .array(let a) = self { return a } else { return nil } }
    public var objectValue: JSONObject? { if case .object(let o) = self { return o } else { return nil } }

    /// The number as an `Int` when it is integral and representable, else nil.
    public var intValue: Int? {
        guard case .number(let d) = self, d.isFinite, d == d.rounded(), abs(d) <= 9_007_199_254_740_992 else { return nil }
        return Int(d)
    }
}
