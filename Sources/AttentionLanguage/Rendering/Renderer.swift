import AttentionCore
import JSONValues

// TEMPORARY STUB (branch `lang`): the real renderer lands from branch `render` and
// replaces this file. Only the signatures the language uses, with minimal bodies.

/// Turns values into text and mimebundles.
public enum Renderer {
    /// A cell result's mimebundle.
    public static func bundle(for value: Value) -> MimeBundle {
        var data: JSONObject = ["text/plain": .string(plainText(value))]
        if case .matrix(let m) = value {
            data["application/vnd.attention.matrix+json"] = .object([
                "shape": .array([.number(Double(m.rows)), .number(Double(m.cols))]),
                "data": .array(m.nestedRows.map { row in .array(row.map { $0.isFinite ? .number($0) : .string(formatNumber($0)) }) }),
            ])
        }
        return MimeBundle(data: data)
    }

    /// What `print` writes for a value.
    public static func plainText(_ value: Value) -> String {
        switch value {
        case .number(let d): formatNumber(d)
        case .bool(let b): b ? "true" : "false"
        case .string(let s): s
        case .nil: "nil"
        case .matrix(let m): "[" + m.nestedRows.map { $0.map(formatNumber).joined(separator: ", ") }.joined(separator: "; ") + "]"
        case .list(let items): "[" + items.map { item in
            if case .string(let s) = item { return "\"\(s)\"" }
            return plainText(item)
        }.joined(separator: ", ") + "]"
        case .record(let r): "{" + r.keys.joined(separator: ", ") + "}"
        case .function(let f): "<function \(f.name)>"
        }
    }

    /// Integral values without a decimal point, others in shortest round-trip form.
    public static func formatNumber(_ d: Double) -> String {
        if d.isNaN { return "nan" }
        if d.isInfinite { return d < 0 ? "-inf" : "inf" }
        if d == d.rounded(), abs(d) < 1e16 { return d == 0 ? "0" : String(Int64(d)) }
        return "\(d)"
    }

    /// A heatmap of `m`.
    public static func heatmap(_ m: Matrix, rowLabels: [String]?, colLabels: [String]?, title: String?) -> MimeBundle {
        MimeBundle(data: ["text/plain": .string("heatmap \(m.shapeDescription)" + (title.map { ": \($0)" } ?? ""))])
    }

    /// A grid of heatmaps, one per head.
    public static func heads(_ ms: [Matrix], labels: [String]?, titles: [String]?) -> MimeBundle {
        MimeBundle(data: ["text/plain": .string("\(ms.count) heads")])
    }
}
