@testable import AttentionLanguage
import AttentionCore
import Testing

/// Element assignment and `xs = xs + ys` change a binding in place when it alone holds its
/// value (Evaluation/Assignment.swift), and copy when another binding shares it.
@Suite struct InPlaceAssignmentTests {
    /// The address of the matrix storage bound to `name` (the value itself is dropped before
    /// returning, so the binding is again its only holder).
    private func storageAddress(_ session: Session, _ name: String) -> Int? {
        guard case .matrix(let m)? = session.value(of: name) else { return nil }
        return m.storage.withUnsafeBufferPointer { $0.baseAddress.map { Int(bitPattern: $0) } }
    }

    @Test func elementAssignmentWritesIntoTheBindingsOwnStorage() {
        let session = Session()
        _ = session.run("A = zeros(50, 50)", host: RecordingHost())
        let before = storageAddress(session, "A")
        let result = session.run("for i in 0..<50 { for j in 0..<50 { A[i, j] = i * 50 + j } }", host: RecordingHost())
        #expect(result.diagnostic == nil)
        #expect(before != nil && storageAddress(session, "A") == before, "the matrix was copied")
        guard case .matrix(let m)? = session.value(of: "A") else { Issue.record("A is not a matrix"); return }
        #expect(m.storage == (0..<2500).map(Double.init))
    }

    @Test func sharedStorageIsCopiedNotChanged() {
        let session = Session()
        let result = session.run("A = zeros(2, 2)\nB = A\nA[0, 0] = 5\nA[1, 1] = 6", host: RecordingHost())
        #expect(result.diagnostic == nil)
        guard case .matrix(let a)? = session.value(of: "A"), case .matrix(let b)? = session.value(of: "B") else {
            Issue.record("A or B is not a matrix"); return
        }
        #expect(a.storage == [5, 0, 0, 6])
        #expect(b.storage == [0, 0, 0, 0])
    }

    @Test func aFunctionsAppendDoesNotReachTheCallersList() {
        let session = Session()
        let code = """
            func grow(items) {
                items = items + ["x"]
                items[0] = "changed"
                return items
            }
            xs = ["a", "b"]
            ys = grow(xs)
            """
        #expect(session.run(code, host: RecordingHost()).diagnostic == nil)
        #expect(session.run("xs", host: RecordingHost()).resultBundle?.plainText == "[\"a\", \"b\"]")
        #expect(session.run("ys", host: RecordingHost()).resultBundle?.plainText == "[\"changed\", \"b\", \"x\"]")
    }

    /// A failing element assignment or append leaves the binding exactly as it was.
    @Test func aFailedAssignmentKeepsTheBinding() {
        let session = Session(limits: Limits(maxElements: 4))
        _ = session.run("A = [1, 2; 3, 4]\nxs = [\"a\", \"b\", \"c\"]", host: RecordingHost())
        #expect(session.run("A[2, 0] = 9", host: RecordingHost()).diagnostic?.kind == .indexError)
        #expect(session.run("A[0, 0] = [1, 2]", host: RecordingHost()).diagnostic?.kind == .shapeError)
        #expect(session.run("xs = xs + [\"d\", \"e\"]", host: RecordingHost()).diagnostic?.kind == .limitError)
        #expect(session.run("A", host: RecordingHost()).resultBundle?.plainText == "matrix 2×2\n  1  2\n  3  4")
        #expect(session.run("len(xs)", host: RecordingHost()).resultBundle?.plainText == "3")
    }

    /// The append path keeps the nesting and size limits of `+`: a list of lists that would
    /// unfold to more values than allowed is refused, as `xs + ys` is.
    @Test func appendingKeepsTheListLimits() {
        let session = Session(limits: Limits(maxElements: 20))
        _ = session.run("l = [\"a\", \"b\", \"c\", \"d\"]\nxs = [l, l]", host: RecordingHost())
        let result = session.run("for k in 0..<3 { xs = xs + [l, l] }", host: RecordingHost())
        #expect(result.diagnostic?.kind == .limitError)
        #expect(session.run("len(xs)", host: RecordingHost()).resultBundle?.plainText == "4")
    }

    // MARK: - xs = append(xs, v)

    /// The address of the list storage bound to `name`.
    private func listAddress(_ session: Session, _ name: String) -> Int? {
        guard case .list(let items)? = session.value(of: name) else { return nil }
        return items.withUnsafeBufferPointer { $0.baseAddress.map { Int(bitPattern: $0) } }
    }

    /// n appends move the storage only when the array grows its capacity (about log₂ n
    /// times), not at every append as a copy would: the cost per append is constant.
    @Test func appendExtendsTheBindingInPlace() {
        let session = Session()
        _ = session.run("xs = []\nr = [0]", host: RecordingHost())
        var listMoves = 0, rowMoves = 0
        var list = listAddress(session, "xs"), row = storageAddress(session, "r")
        for i in 1...600 {
            #expect(session.run("xs = append(xs, \(i))\nr = append(r, \(i))", host: RecordingHost()).diagnostic == nil)
            let l = listAddress(session, "xs"), m = storageAddress(session, "r")
            if l != list { listMoves += 1 }
            if m != row { rowMoves += 1 }
            (list, row) = (l, m)
        }
        #expect(listMoves < 30 && rowMoves < 30, "storage moved \(listMoves) (list) and \(rowMoves) (row) times in 600 appends")
        #expect(session.run("print(len(xs), r.cols, sum(xs), sum(r))", host: RecordingHost()).diagnostic == nil)
        guard case .list(let items)? = session.value(of: "xs"), case .matrix(let m)? = session.value(of: "r") else {
            Issue.record("xs or r changed kind"); return
        }
        #expect(items.count == 600 && m.rows == 1 && m.cols == 601)
        #expect(m.storage == (0...600).map(Double.init))
    }

    /// A second holder of the list keeps its value: the append copies instead.
    @Test func appendCopiesASharedList() {
        let session = Session()
        let result = session.run("xs = [1, 2]\nys = xs\nxs = append(xs, 3)\nas = [\"a\"]\nbs = as\nas = append(as, \"b\")", host: RecordingHost())
        #expect(result.diagnostic == nil)
        #expect(session.run("print(xs, ys, as, bs)", host: RecordingHost()).diagnostic == nil)
        #expect(session.run("ys", host: RecordingHost()).resultBundle?.plainText == "matrix 1×2\n  1  2")
        #expect(session.run("bs", host: RecordingHost()).resultBundle?.plainText == "[\"a\"]")
        #expect(session.run("as", host: RecordingHost()).resultBundle?.plainText == "[\"a\", \"b\"]")
    }

    /// A failing append (a limit, a wrong kind) leaves the binding as it was.
    @Test func aFailedAppendKeepsTheBinding() {
        let session = Session(limits: Limits(maxElements: 3))
        _ = session.run("xs = [\"a\", \"b\", \"c\"]\nr = [1, 2, 3]", host: RecordingHost())
        #expect(session.run("xs = append(xs, \"d\")", host: RecordingHost()).diagnostic?.kind == .limitError)
        #expect(session.run("r = append(r, 4)", host: RecordingHost()).diagnostic?.kind == .limitError)
        #expect(session.run("r = append(r, \"x\")", host: RecordingHost()).diagnostic?.kind == .typeError)
        #expect(session.run("len(xs)", host: RecordingHost()).resultBundle?.plainText == "3")
        #expect(session.run("r", host: RecordingHost()).resultBundle?.plainText == "matrix 1×3\n  1  2  3")
    }
}
