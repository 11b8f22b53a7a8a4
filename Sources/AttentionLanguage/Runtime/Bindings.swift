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

/// A function call's bindings: parameters and the names the body assigns. Few enough that a
/// linear search over ids beats hashing; one array, so a call allocates once.
struct LocalBindings {
    private struct Entry {
        let id: Int
        var value: Value
    }
    private var entries: [Entry] = []

    init() {}

    init(capacity: Int) { entries.reserveCapacity(capacity) }

    private func index(of id: Int) -> Int? {
        for k in entries.indices where entries[k].id == id { return k }
        return nil
    }

    subscript(id id: Int) -> Value? {
        get { index(of: id).map { entries[$0].value } }
        set {
            if let k = index(of: id) {
                if let newValue { entries[k].value = newValue } else { entries.remove(at: k) }
            } else if let newValue {
                entries.append(Entry(id: id, value: newValue))
            }
        }
    }

    var keys: [String] { entries.map { NameTable.shared.text(of: $0.id) } }

    /// Binds a name known not to be bound yet (a call's parameters, which are distinct).
    mutating func bindNew(id: Int, _ value: Value) { entries.append(Entry(id: id, value: value)) }

    /// Unbinds everything, keeping the storage for the next call.
    mutating func removeAll() { entries.removeAll(keepingCapacity: true) }

    /// As `Bindings.modify`: in place, nil when unbound.
    mutating func modify<R>(id: Int, _ body: (inout Value) throws(LangError) -> R) throws(LangError) -> R? {
        guard let k = index(of: id) else { return nil }
        return try body(&entries[k].value)
    }
}
