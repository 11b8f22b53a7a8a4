import AttentionCore
import JSONValues

/// print warn show heatmap heads clear_output help: they emit outputs through the host.
enum DisplayBuiltins {
    static func call(_ name: String, _ a: Arguments) throws(LangError) -> Value? {
        let host = a.evaluator.host
        switch name {
        case "print", "warn":
            let text = a.rest.map { Renderer.plainText($0.value) }.joined(separator: " ") + "\n"
            host.emit(name == "print" ? .stdout(text) : .stderr(text))
            return .nil
        case "show":
            try emitDisplay(Renderer.show(a.value("x"), title: try a.optionalString("title")), a)
            return .nil
        case "heatmap":
            let m = try a.matrix("W")
            let rowLabels = try a.optionalLabels("rows"), colLabels = try a.optionalLabels("cols")
            if let rowLabels, rowLabels.count != m.rows {
                throw .value("heatmap: W has \(m.rows) rows but \(rowLabels.count) row labels were given", at: a.range(of: "rows"))
            }
            if let colLabels, colLabels.count != m.cols {
                throw .value("heatmap: W has \(m.cols) columns but \(colLabels.count) column labels were given", at: a.range(of: "cols"))
            }
            try emitDisplay(Renderer.heatmap(m, rowLabels: rowLabels, colLabels: colLabels, title: try a.optionalString("title")), a)
            return .nil
        case "heads":
            let ms = try a.matrices("list")
            guard !ms.isEmpty else { throw .value("heads needs a non-empty list of matrices", at: a.range) }
            let labels = try a.optionalLabels("labels"), titles = try a.optionalLabels("titles")
            if let titles, titles.count != ms.count {
                throw .value("heads: \(ms.count) matrices but \(titles.count) titles", at: a.range(of: "titles"))
            }
            try emitDisplay(Renderer.heads(ms, labels: labels, titles: titles), a)
            return .nil
        case "clear_output":
            host.emit(.clearOutput(wait: try a.bool("wait")))
            return .nil
        case "help":
            let text = try helpText(a.value("topic"), a)
            host.emit(.page(MimeBundle(data: ["text/plain": .string(text)])))
            return .nil
        default:
            return nil
        }
    }

    /// Emits a display with the call's `display_id:` and `update:` (an update replaces the
    /// earlier display with that id in place, Jupyter's update_display_data).
    static func emitDisplay(_ bundle: MimeBundle, _ a: Arguments) throws(LangError) {
        let displayID = try a.optionalString("display_id")
        let update = try a.bool("update")
        if update && displayID == nil {
            throw .value("update: true needs a display_id: to say which display to replace", at: a.range(of: "update"))
        }
        a.evaluator.host.emit(.display(bundle, displayID: displayID, update: update))
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
        case .string(let name):
            if let info = BuiltinTable.info(name) { return info.helpText }
            if let value = a.evaluator.globals.values[name] {
                if case .function(.user(let f)) = value { return "\(f.signature)\n\nA function defined in this notebook.\n" }
                return "\(name): a \(value.kindDescription)\n"
            }
            var message = "there is no builtin called '\(name)'"
            if let s = Suggestions.closest(to: name, among: BuiltinTable.names) { message += "; did you mean \(s)?" }
            throw .name(message, at: a.range(of: "topic"))
        default:
            return "a \(topic.kindDescription)\n"
        }
    }
}
