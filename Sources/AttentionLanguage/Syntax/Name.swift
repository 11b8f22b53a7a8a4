import Synchronization

/// A name as written in the source (a variable, parameter or function), interned once by the
/// parser to a small integer `id`, so that evaluation finds a binding by indexing an array
/// (`Bindings`, or the running call's frame) instead of hashing a string on every use: a profile of
/// `for i in 0..<n { s = s + i * i }` spent half its time hashing names.
///
/// Ids are process-wide (`NameTable.shared`), the same for every session and cell, so a
/// global bound in one cell is found by the same id from the next one.
struct Name: Sendable, Equatable, CustomStringConvertible {
    let id: Int
    let text: String

    init(_ text: String) {
        self.text = text
        self.id = NameTable.shared.id(for: text)
    }

    var description: String { text }

    /// `case .name("a", _)` matches the name spelled `a`.
    static func ~= (pattern: String, value: Name) -> Bool { pattern == value.text }
}

/// A name as the compiler resolved it: `slot` is its place in the running call's frame when
/// the code is a function's body and the name one of its `localIDs` (a parameter or a name the
/// body assigns), nil for a name that only the session binds (all names at the top level).
/// Reading a local whose slot is still unbound falls back to the session, as it always has.
struct ResolvedName: Sendable {
    let id: Int
    let text: String
    let slot: Int?

    init(_ name: Name, slot: Int?) {
        self.id = name.id
        self.text = name.text
        self.slot = slot
    }
}

/// The process-wide interning table: text → id and back. Only the parser and `Bindings`'
/// string-keyed subscript (the session's API) use it; evaluation works with ids alone.
final class NameTable: Sendable {
    static let shared = NameTable()

    private struct State {
        var ids: [String: Int] = [:]
        var texts: [String] = []
    }
    private let state = Mutex(State())

    /// The id of `text`, making one on first sight.
    func id(for text: String) -> Int {
        state.withLock { s in
            if let id = s.ids[text] { return id }
            let id = s.texts.count
            s.ids[text] = id
            s.texts.append(text)
            return id
        }
    }

    /// The id of `text` if it was ever interned (a name never interned is bound nowhere).
    func existingID(for text: String) -> Int? { state.withLock { $0.ids[text] } }

    /// The text of an id made by `id(for:)`.
    func text(of id: Int) -> String { state.withLock { $0.texts[id] } }
}
