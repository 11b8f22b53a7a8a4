import JSONValues

extension Evaluator {
    /// When a `//` comment of the cell reads as Python's floor division (see
    /// `FloorDivisionComments`), one note before the cell runs.
    ///
    /// It is a display (Markdown, with a plain-text copy), not `warn`'s stderr: nbgrader
    /// gives no points to a graded cell that writes to stderr, so a correct cell that only
    /// *looks* like `7 // 2` must not lose its marks; stdout would mix the note into what
    /// the student's own `print`s write. A display stands apart from both and is not an error.
    func noteFloorDivisionComment() {
        let bindings = globals.values
        let known = { (name: String) -> Bool in
            BuiltinTable.info(name) != nil || name == "inf" || name == "nan" || bindings[name] != nil
        }
        guard let comment = FloorDivisionComments.first(in: source, isKnown: known) else { return }
        let place = "line \(comment.range.start.line), column \(comment.range.start.column)"
        let plain = "Note (\(place)): `//` starts a comment here; floor division is floor(a / b)"
        let markdown = "**Note** (\(place)): `//` starts a comment here; floor division is `floor(a / b)`"
        host.emit(.display(MimeBundle(data: ["text/plain": .string(plain), "text/markdown": .string(markdown)]), displayID: nil, update: false))
    }
}
