import Synchronization

/// The session's top-level bindings: one optional slot per interned name, indexed by
/// `Name.id` (nil: unbound). The string-keyed subscript, `keys` and `removeAll` serve the
/// session and builtins that work with names as text.
struct Bindings {
    private var slots: [Value?] = []
    /// Changes whenever a binding that holds a function changes or a name is bound to a
    /// function, so a call site may keep the user function a global name was bound to and
    /// trust it while this is unchanged (`Evaluator.cachedCallee`). Drawn from a process-wide
    /// counter: two sessions' bindings never share a version.
    private(set) var functionVersion = Bindings.nextVersion()

    private static let versions = Atomic<Int>(0)
    private static func nextVersion() -> Int { versions.add(1, ordering: .relaxed).newValue }

    private static func holdsFunction(_ value: Value?) -> Bool {
        if case .function? = value { return true }
        return false
    }

    /// The value bound to the name with this id, or nil.
    subscript(id id: Int) -> Value? {
        get { id < slots.count ? slots[id] : nil }
        set {
            if Self.holdsFunction(newValue) || (id < slots.count && Self.holdsFunction(slots[id])) {
                functionVersion = Self.nextVersion()
            }
            if id >= slots.count {
                guard newValue != nil else { return }
                slots.append(contentsOf: repeatElement(nil, count: id - slots.count + 1))
            }
            slots[id] = newValue
        }
    }

    subscript(name: String) -> Value? {
        get { NameTable.shared.existingID(for: name).flatMap { self[id: $0] } }
        set { self[id: NameTable.shared.id(for: name)] = newValue }
    }

    /// The bound names, in no particular order.
    var keys: [String] { slots.indices.filter { slots[$0] != nil }.map { NameTable.shared.text(of: $0) } }

    mutating func removeAll() {
        slots.removeAll()
        functionVersion = Self.nextVersion()
    }

    /// Changes a bound value where it lives: the slot holds the only reference the binding
    /// has, so a matrix or list inside can be changed without a copy when nothing else shares it.
    /// Returns nil (and does nothing) when the name is unbound.
    mutating func modify<R>(id: Int, _ body: (inout Value) throws(LangError) -> R) throws(LangError) -> R? {
        guard id < slots.count, slots[id] != nil else { return nil }
        let wasFunction = Self.holdsFunction(slots[id])
        defer { if wasFunction || Self.holdsFunction(slots[id]) { functionVersion = Self.nextVersion() } }
        return try body(&slots[id]!)
    }
}
