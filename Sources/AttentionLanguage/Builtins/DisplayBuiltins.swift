import AttentionCore
import JSONValues

extension BuiltinTable {
    /// Printing and displays: they emit outputs through the host.
    static let display: [Builtin] = [
        Builtin("print", .display, "print(values...)", "Writes the values to stdout, separated by spaces, with a newline.", example: "print(\"loss\", 0.25)", numpy: "print(...)") { a throws(LangError) in
            a.evaluator.host.emit(.stdout(DisplayBuiltins.line(a)))
            return .nil
        }.readingValues(),
        Builtin("warn", .display, "warn(values...)", "Like print, to stderr (shown in red).", example: "warn(\"careful\")") { a throws(LangError) in
            a.evaluator.host.emit(.stderr(DisplayBuiltins.line(a)))
            return .nil
        }.readingValues(),
        Builtin("show", .display, "show(x, title: nil, display_id: nil, update: false)",
            "Displays a value (a matrix as a table) right now, with an optional title. With display_id: the display can be replaced in place later by a display call with the same id and update: true (e.g. inside a loop).",
            example: "show(W, title: \"weights\")") { a throws(LangError) in
            if case .widget(let w) = try a.value("x") {
                a.evaluator.host.emit(.widget(w))
                return .nil
            }
            try DisplayBuiltins.emitDisplay(Renderer.show(a.value("x"), title: try a.optionalString("title")), a)
            return .nil
        }.readingValues(),
        Builtin("heatmap", .display, "heatmap(W, rows: nil, cols: nil, title: nil, display_id: nil, update: false)",
            "Draws W as a heatmap: rows are queries, columns keys; rows:/cols: are label lists (e.g. tokens). The colour scale is fixed to [0, 1] when every entry is in [0, 1] (attention weights, so heatmaps compare), otherwise it spans the matrix's min…max. display_id:/update: replace an earlier heatmap in place (see show).",
            example: "heatmap(W, rows: toks, cols: toks, title: \"who attends to whom\")") { a throws(LangError) in
            let m = try a.matrix("W")
            let rowLabels = try a.optionalLabels("rows", count: m.rows) { .labelCount(builtin: "heatmap", matrixHas: m.rows, axis: "row", given: $0) }
            let colLabels = try a.optionalLabels("cols", count: m.cols) { .labelCount(builtin: "heatmap", matrixHas: m.cols, axis: "column", given: $0) }
            try DisplayBuiltins.emitDisplay(Renderer.heatmap(m, rowLabels: rowLabels, colLabels: colLabels, title: try a.optionalString("title"), raster: a.evaluator.host.wantsRasterImages), a)
            return .nil
        }.readingValues(),
        Builtin("heads", .display, "heads(list, labels: nil, titles: nil, display_id: nil, update: false)",
            "A grid of heatmaps, one per head; labels: the token labels, titles: one title per head. display_id:/update: as in show.",
            example: "heads(multi_head_weights(X, Wq, Wk, heads: 2), labels: toks)") { a throws(LangError) in
            let ms = try a.matrices("list")
            guard !ms.isEmpty else { throw LangError(.needsMatrixList(builtin: "heads"), at: a.range) }
            let labels = try a.optionalLabels("labels")
            let titles = try a.optionalLabels("titles", count: ms.count) { .titleCount(matrices: ms.count, titles: $0) }
            try DisplayBuiltins.emitDisplay(Renderer.heads(ms, labels: labels, titles: titles, raster: a.evaluator.host.wantsRasterImages), a)
            return .nil
        }.readingValues(),
        Builtin("plot", .display, "plot(y, labels: nil, title: nil, xlabel: \"step\", ylabel: nil, display_id: nil, update: false)",
            "Draws y against its index as line plots: a row (or a list of numbers) is one curve, a matrix one curve per row, a list of rows several curves of any lengths (loss curves to compare); labels: one legend label per curve. A non-finite value leaves a gap. display_id:/update: replace an earlier plot in place (see show).",
            example: "plot([1, 0.6, 0.4, 0.3; 1, 0.9, 0.85, 0.8], labels: [\"fast\", \"slow\"], title: \"loss\")", numpy: "matplotlib.pyplot.plot(y.T); plt.legend(labels)") { a throws(LangError) in
            let values = try DisplayBuiltins.curves(a)
            let labels = try a.optionalLabels("labels", count: values.count) { .curveLabelCount(curves: values.count, labels: $0) }
            let curves = values.enumerated().map { k, v in Renderer.Curve(v, label: labels?[k]) }
            try DisplayBuiltins.emitDisplay(Renderer.linePlot(curves: curves, title: try a.optionalString("title"),
                xLabel: try a.string("xlabel"), yLabel: try a.optionalString("ylabel")), a)
            return .nil
        }.readingValues(),
        Builtin("table", .display, "table(rows, header: nil)",
            "Displays a small table: rows is a list of rows (each a list of numbers and strings, or a 1×C matrix) or a matrix; header: a list of column names. Numbers are right-aligned, as in a matrix table.",
            example: "table([[\"dk\", 4], [\"std\", 2.1]], header: [\"name\", \"value\"])", numpy: "pandas.DataFrame(rows, columns=header)") { a throws(LangError) in
            let rows = try DisplayBuiltins.tableRows(a)
            let header = try a.optionalLabels("header")
            a.evaluator.host.emit(.display(Renderer.dataTable(rows, header: header), displayID: nil, update: false))
            return .nil
        }.readingValues(),
        Builtin("clear_output", .display, "clear_output(wait: false)",
            "Clears this cell's output; wait: true waits until new output arrives (smooth animations).", example: "clear_output(wait: true)") { a throws(LangError) in
            a.evaluator.host.emit(.clearOutput(wait: try a.bool("wait")))
            return .nil
        },
        Builtin("help", .display, "help(topic = nil)",
            "Shows the documentation of a builtin: help(softmax) or help(\"softmax\"). Without a topic, lists all builtins; help(\"numpy\") lists each builtin beside its NumPy twin.", example: "help(attention)") { a throws(LangError) in
            let text = try DisplayBuiltins.helpText(a.value("topic"), a)
            a.evaluator.host.emit(.page(MimeBundle(data: ["text/plain": .string(text)])))
            return .nil
        }.readingValues(),
    ]
}

/// Helpers shared by the Display builtins: they emit outputs through the host.
enum DisplayBuiltins {
    /// print's and warn's text: the values separated by spaces, and a newline.
    static func line(_ a: Arguments) -> String {
        a.rest.map { Renderer.plainText($0.value) }.joined(separator: " ") + "\n"
    }

    /// Emits a display with the call's `display_id:` and `update:` (an update replaces the
    /// earlier display with that id in place, Jupyter's update_display_data).
    static func emitDisplay(_ bundle: MimeBundle, _ a: Arguments) throws(LangError) {
        let displayID = try a.optionalString("display_id")
        let update = try a.bool("update")
        if update && displayID == nil { throw LangError(.updateWithoutDisplayID, at: try a.range(of: "update")) }
        a.evaluator.host.emit(.display(bundle, displayID: displayID, update: update))
    }

    /// plot's curves: one for a row, a column, a number or a list of numbers; one per row
    /// of a matrix; one per item of a list of rows (1×n or n×1 matrices, or lists of numbers).
    static func curves(_ a: Arguments) throws(LangError) -> [[Double]] {
        let v = try a.value("y")
        func notCurves(_ got: Value, inList: Bool) throws(LangError) -> LangError {
            let what = inList ? "a list holding \(got.kindDescription)" : got.kindDescription
            return LangError(.argumentType(builtin: "plot", parameter: "y", expected: "a row, a matrix or a list of rows", got: what),
                             at: try a.range(of: "y"))
        }
        func curve(_ item: Value, inList: Bool) throws(LangError) -> [Double] {
            switch item {
            case .number(let x): return [x]
            case .matrix(let m) where m.rows == 1 || m.cols == 1: return m.storage
            case .list(let xs):
                guard let row = Value.numbersRow(xs) else { throw try notCurves(item, inList: inList) }
                return row.storage
            default: throw try notCurves(item, inList: inList)
            }
        }
        switch v {
        case .matrix(let m) where m.rows > 1 && m.cols > 1:
            return (0..<m.rows).map { Array(m.row($0)) }
        case .list(let items) where Value.numbersRow(items) == nil:
            var out: [[Double]] = []
            for item in items { out.append(try curve(item, inList: true)) }
            return out
        default:
            return [try curve(v, inList: false)]
        }
    }

    /// table's rows: a matrix's rows, or a list whose items are rows (lists of values or
    /// 1×C matrices) or single values (a one-column table).
    static func tableRows(_ a: Arguments) throws(LangError) -> [[Value]] {
        switch try a.value("rows") {
        case .matrix(let m):
            return (0..<m.rows).map { i in m.row(i).map(Value.number) }
        case .list(let items):
            return items.map { item in
                switch item {
                case .list(let cells): cells
                case .matrix(let m) where m.rows == 1: m.storage.map(Value.number)
                default: [item]
                }
            }
        case let v:
            throw LangError(.argumentType(builtin: "table", parameter: "rows", expected: "a list of rows or a matrix", got: v.kindDescription), at: try a.range(of: "rows"))
        }
    }

    /// The help page for a builtin, a user function, a name, or (no topic) the overview.
    static func helpText(_ topic: Value, _ a: Arguments) throws(LangError) -> String {
        switch topic {
        case .nil:
            return BuiltinTable.overview
        case .function(.builtin(let name)):
            return BuiltinTable.info(name)?.helpText ?? name
        case .function(.user(let f)):
            return "\(f.signature)\n\nA function defined in this notebook.\n"
        case .string("numpy"):
            return BuiltinTable.numpyTable
        case .string("differentiable"):
            return BuiltinTable.differentiableList
        case .string(let name):
            if let info = BuiltinTable.info(name) { return info.helpText }
            if let value = a.evaluator.globals.values[name] {
                if case .function(.user(let f)) = value { return "\(f.signature)\n\nA function defined in this notebook.\n" }
                return "\(name): a \(value.kindDescription)\n"
            }
            throw LangError(
                .noSuchBuiltin(name: name, suggestion: Suggestions.closest(to: name, among: BuiltinTable.names)), at: try a.range(of: "topic"))
        default:
            return "a \(topic.kindDescription)\n"
        }
    }
}
