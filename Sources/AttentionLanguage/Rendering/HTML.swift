import AttentionCore

extension Renderer {
    /// A matrix as an HTML `<table>`: the shape (and title) as caption, index or label
    /// headers, entries as in `text/plain`, the same elision. Inline styles only.
    static func htmlTable(_ m: Matrix, rowLabels: [String]?, colLabels: [String]?, title: String?) -> String {
        let head = "padding:1px 6px;color:#777;font-weight:normal;text-align:right"
        let cell = "padding:1px 6px;text-align:right"
        var out = "<table class=\"attention-matrix\" style=\"border-collapse:collapse;font-family:monospace;font-size:12px\">"
        out += "<caption style=\"caption-side:top;text-align:left;padding:2px 0\">"
        if let title { out += "<b>\(escapeXML(title))</b> " }
        out += "<span style=\"color:#777\">\(escapeXML(matrixHeader(m)))</span></caption>"
        guard !m.isEmpty else { return out + "</table>" }
        let rows = shownRows(m.rows)
        let cols = shownCols(m.cols)
        out += "<thead><tr><th></th>"
        for j in cols { out += "<th style=\"\(head)\">\(escapeXML(j.map { label(colLabels ?? [], $0) } ?? "…"))</th>" }
        out += "</tr></thead><tbody>"
        for i in rows {
            out += "<tr><th style=\"\(head)\">\(escapeXML(i.map { label(rowLabels ?? [], $0) } ?? "⋮"))</th>"
            for j in cols {
                let text: String
                switch (i, j) {
                case let (i?, j?): text = displayNumber(m[i, j])
                case (nil, nil): text = "⋱"
                case (nil, _): text = "⋮"
                case (_, nil): text = "…"
                }
                out += "<td style=\"\(cell)\">\(escapeXML(text))</td>"
            }
            out += "</tr>"
        }
        return out + "</tbody></table>"
    }
}
