import JSONValues
import AttentionCore

extension Renderer {
    /// What `print(x)` writes (without the trailing newline) and what `text/plain` shows.
    ///
    /// Numbers via `formatNumber`; `true`/`false`; strings raw at top level but quoted
    /// inside lists and records; `nil`; lists inline (`[1, 2, "x"]`) unless they hold
    /// matrices, then one block per item; records as a per-field summary
    /// (`{Wq: matrix 16×16, heads: 2}`, one field per line when longer than 80
    /// characters); functions `<function softmax>` (builtin) and
    /// `<func attend(Q, K, V)>` (user-defined); matrices as a `matrix r×c` header line and
    /// right-aligned columns, elided like numpy.
    public static func plainText(_ value: Value) -> String {
        switch value {
        case .string(let s): return s
        case .matrix(let m): return matrixText(m)
        case .list(let items) where items.contains(where: { if case .matrix = $0 { true } else { false } }):
            return listBlockText(items)
        case .record(let r): return recordText(r)
        default: return inlineText(value, depth: 0)
        }
    }

    /// About how many characters the text of one list may take: past it, the rest of
    /// the items are summarized as `… n more`. Lists share their items, so without a
    /// bound a small value (a million references to one long string) could unfold into
    /// more text than memory holds.
    public static let maxListTextLength = 1_000_000

    /// A value inside a list or record: strings quoted, matrices and deep values summarized.
    static func inlineText(_ value: Value, depth: Int) -> String {
        var budget = maxListTextLength
        return inlineText(value, depth: depth, budget: &budget)
    }

    /// `inlineText`, spending `budget` characters across the whole (nested) value.
    private static func inlineText(_ value: Value, depth: Int, budget: inout Int) -> String {
        if case .list(let items) = value, depth < 3 {
            var out = "["
            for (i, item) in items.enumerated() {
                if i > 0 { out += ", " }
                if budget <= 0 {
                    out += "… \(items.count - i) more"
                    break
                }
                let text = inlineText(item, depth: depth + 1, budget: &budget)
                budget -= text.count + 2
                out += text
            }
            return out + "]"
        }
        switch value {
        case .number(let d): return formatNumber(d)
        case .bool(let b): return b ? "true" : "false"
        case .string(let s): return quoted(s)
        case .nil: return "nil"
        case .matrix(let m): return "matrix \(m.shapeDescription)"
        case .tracked(let t): return "matrix \(t.value.shapeDescription)"
        case .list(let items):
            return "list of \(items.count)"  // depth ≥ 3 (shallower lists are handled above)
        case .record(let r):
            if depth >= 1 { return "record (\(r.keys.count) fields)" }
            return "{" + r.fields.map { "\($0.name): \(fieldSummary($0.value))" }.joined(separator: ", ") + "}"
        case .function(let f): return functionText(f)
        case .widget(let w): return w.plainText
        }
    }

    /// A string as a literal: double quotes, with `\`, `"`, newline, tab, CR escaped.
    static func quoted(_ s: String) -> String {
        let body = TextEscaping.escape(s) { scalar in
            switch scalar {
            case "\\": "\\\\"
            case "\"": "\\\""
            case "\n": "\\n"
            case "\t": "\\t"
            case "\r": "\\r"
            default: nil
            }
        }
        return "\"" + body + "\""
    }

    static func functionText(_ f: Callable) -> String {
        switch f {
        case .builtin(let name): "<function \(name)>"
        case .user(let u): "<func \(u.name)(\(u.parameters.joined(separator: ", ")))>"
        }
    }

    /// One record field, short: lists longer than 40 characters become `list of n`.
    static func fieldSummary(_ value: Value) -> String {
        switch value {
        case .list(let items):
            let inline = inlineText(value, depth: 1)
            return inline.count <= 40 ? inline : "list of \(items.count)"
        default:
            return inlineText(value, depth: 1)
        }
    }

    static func recordText(_ r: Record) -> String {
        let parts = r.fields.map { "\($0.name): \(fieldSummary($0.value))" }
        let oneLine = "{" + parts.joined(separator: ", ") + "}"
        if oneLine.count <= 80 { return oneLine }
        return "{\n" + parts.map { "  " + $0 }.joined(separator: ",\n") + "\n}"
    }

    /// A list holding matrices: `list of n`, then `[i] ` and each item's text.
    static func listBlockText(_ items: [Value]) -> String {
        var lines = ["list of \(items.count)"]
        var budget = maxListTextLength
        for (i, item) in items.enumerated() {
            if budget <= 0 {
                lines.append("… \(items.count - i) more")
                break
            }
            switch item {
            case .matrix(let m): lines.append("[\(i)] " + matrixText(m))
            default: lines.append("[\(i)] " + inlineText(item, depth: 1))
            }
            budget -= lines[lines.count - 1].count + 1
        }
        return lines.joined(separator: "\n")
    }

    // MARK: Matrices

    static func matrixHeader(_ m: Matrix) -> String {
        m.isEmpty ? "matrix \(m.shapeDescription) (empty)" : "matrix \(m.shapeDescription)"
    }

    /// `matrix r×c` and the aligned, elided rows.
    static func matrixText(_ m: Matrix) -> String {
        ([matrixHeader(m)] + matrixBodyLines(m, rowLabels: [], colLabels: [], labelled: false)).joined(separator: "\n")
    }

    /// The rows of a matrix as aligned text lines (two-space indent, two spaces between
    /// columns, each column right-aligned to its widest shown entry). With `labelled`,
    /// a header line of column labels and a left-aligned first column of row labels
    /// (indices where labels are missing).
    static func matrixBodyLines(_ m: Matrix, rowLabels: [String], colLabels: [String], labelled: Bool) -> [String] {
        guard !m.isEmpty else { return [] }
        let rows = shownRows(m.rows)
        let cols = shownCols(m.cols)
        var grid: [[String]] = []
        if labelled {
            grid.append([""] + cols.map { j in j.map { label(colLabels, $0) } ?? "…" })
        }
        for i in rows {
            var line: [String] = []
            if labelled { line.append(i.map { label(rowLabels, $0) } ?? "⋮") }
            for j in cols {
                switch (i, j) {
                case let (i?, j?): line.append(displayNumber(m[i, j]))
                case (nil, nil): line.append("⋱")
                case (nil, _): line.append("⋮")
                case (_, nil): line.append("…")
                }
            }
            grid.append(line)
        }
        var widths = [Int](repeating: 0, count: grid[0].count)
        for line in grid { for (k, cell) in line.enumerated() { widths[k] = max(widths[k], displayWidth(cell)) } }
        return grid.map { line in
            var out = "  "
            for (k, cell) in line.enumerated() {
                let pad = String(repeating: " ", count: widths[k] - displayWidth(cell))
                if k > 0 { out += "  " }
                out += (labelled && k == 0) ? cell + pad : pad + cell
            }
            while out.last == " " { out.removeLast() }
            return out
        }
    }

    /// Label `i`, or the index when the list is too short.
    static func label(_ labels: [String], _ i: Int) -> String { i < labels.count ? labels[i] : String(i) }
}
