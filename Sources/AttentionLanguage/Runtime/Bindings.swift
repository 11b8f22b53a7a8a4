/// The session's top-level bindings: one optional slot per interned name, indexed by
/// `Name.id` (nil: unbound). The string-keyed subscript, `keys` and `removeAll` serve the
/// session and builtins that work with names as text.
struct Bindings {
    private var slots: [Value?] = []

    /// The value bound to the name with this id, or nil.
    subscript(id id: Int) -> Value? {
        get { id < slots.count ? slots[id] : nil }
        set {
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

    mutating func removeAll() { slots.removeAll() }

    /// Changes a bound value where it lives: the slot holds the only reference the binding
    /// has, so a matrix or list inside can be changed without a copy when nothing else shares it.
    /// Returns nil (and does nothing) when the name is unbound.
    mutating func modify<R>(id: Int, _ body: (inout Value) throws(LangError) -> R) throws(LangError) -> R? {
        guard id < slots.count, slots[id] != nil else { return nil }
        return try body(&slots[id]!)
    }
}
