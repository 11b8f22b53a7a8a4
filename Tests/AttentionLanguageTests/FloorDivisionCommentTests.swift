@testable import AttentionLanguage
import Testing

/// Which `//` comments read as Python's floor division (Syntax/FloorDivisionComments.swift).
@Suite struct FloorDivisionCommentTests {
    private func fires(_ cell: String, known: Set<String> = []) -> Bool {
        FloorDivisionComments.first(in: SourceText(cell), isKnown: { known.contains($0) || BuiltinTable.info($0) != nil }) != nil
    }

    @Test(arguments: [
        "x = 7 // 2",
        "x = 7 //2",
        "x = 7//2",
        "q = n // b\nn = 1",        // `b` is known from the notebook below, `n` from the cell
        "y = f(3) // (1 + 2) * 2",
        "y = [1, 2] // 3",
        "s = \"a\" // 2",
        "y = 9 // len([1])",
        "x = 7 // -2",
        "if true {\n    x = 9 // 4\n}",
    ])
    func operandAfterOperandFires(_ cell: String) {
        #expect(fires(cell, known: ["b"]), "\(cell)")
    }

    @Test(arguments: [
        "A = B  // projections",
        "y = x // see above",
        "z = 1 // 2 heads",
        "// 7 // 2",
        "x = 1\n// 2",
        "f(1, // the first\n  2)",
        "x = y + // 2",
        "x = 7 # // 2",
        "x = 7 // TODO",
        "x = 7 //",
        "x = 7 // \"2\"",
        "x = 7 // 2 +",
    ])
    func trailingCommentsStaySilent(_ cell: String) {
        #expect(!fires(cell), "\(cell)")
    }

    /// Once per cell, before it runs, as a display and never on stderr.
    @Test func theNoteIsOneDisplayPerCell() {
        let session = Session()
        let host = RecordingHost()
        let result = session.run("x = 7 // 2\ny = 9 // 4\nprint(x, y)", host: host)
        #expect(result.diagnostic == nil)
        let displays = host.outputs.compactMap { if case .display(let b, _, _) = $0 { b } else { nil } }
        #expect(displays.count == 1)
        #expect(displays.first?.plainText == "Note (line 1, column 7): `//` starts a comment here; floor division is floor(a / b)")
        #expect(displays.first?.data["text/markdown"] != nil)
        #expect(!host.outputs.contains { if case .stderr = $0 { true } else { false } })
        #expect(host.outputs.last == .stdout("7 9\n"))
    }

    /// The quick pass that spares most cells a second reading: comments on lines of their own
    /// (the notebooks' usual kind) need none; anything with `//` after code gets one.
    @Test func onlyCellsWithCodeBeforeSlashesAreReadAgain() {
        #expect(!FloorDivisionComments.mayHaveTrailingComment("// a note\n  // another // with slashes\r\nx = 1 / 2\n\t// indented"))
        #expect(!FloorDivisionComments.mayHaveTrailingComment("x = a / b / c"))
        for cell in ["x = 7 // 2", "x=7//2", "if true {\n    x = 9 // 4\n}", "y = a / b // c", "s = \"a//b\""] {
            #expect(FloorDivisionComments.mayHaveTrailingComment(cell), "\(cell)")
        }
    }
}
