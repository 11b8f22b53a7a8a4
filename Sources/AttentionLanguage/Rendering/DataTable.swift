import JSONValues

extension Renderer {
    /// `table(rows, header:)`: a small table of numbers and strings, as aligned text
    /// (numbers right-aligned, text left-aligned, a rule under the header) and as an HTML
    /// `<table>` with inline styles (which JupyterLab keeps in untrusted notebooks too).
    static func dataTable(_ rows: [[Value]], header: [String]?) -> MimeBundle {
        let width = max(header?.count ?? 0, rows.map(\.count).max() ?? 0)
        let cells = rows.map { row in (0..<width).map { $0 < row.count ? cellText(row[$0]) : "" } }
        let numeric = (0..<width).map { j in rows.allSatisfy { j >= $0.count || isNumber($0[j]) } }
        let columnWidths = (0..<width).map { j in
            max(displayWidth(header.map { j < $0.count ? $0[j] : "" } ?? ""), cells.map { displayWidth($0[j]) }.max() ?? 0)
        }
        func line(_ texts: [String], rightAligned: [Bool]) -> String {
            texts.indices.map { j in
                let pad = String(repeating: " ", count: columnWidths[j] - displayWidth(texts[j]))
                return rightAligned[j] ? pad + texts[j] : texts[j] + pad
            }.joined(separator: "  ").trimmingTrailingSpaces()
        }
        var text: [String] = []
        var html = "<table class=\"attention-table\" style=\"border-collapse:collapse;font-family:monospace;font-size:12px\">"
        if let header {
            let names = (0..<width).map { $0 < header.count ? header[$0] : "" }
            text.append(line(names, rightAligned: numeric))
            text.append(columnWidths.map { String(repeating: "-", count: $0) }.joined(separator: "  "))
            html += "<thead><tr>" + names.map { "<th style=\"padding:1px 8px;border-bottom:1px solid #999\">\(escapeXML($0))</th>" }.joined() + "</tr></thead>"
        }
        html += "<tbody>"
        for row in cells {
            text.append(line(row, rightAligned: numeric))
            html += "<tr>" + row.indices.map { j in
                "<td style=\"padding:1px 8px;text-align:\(numeric[j] ? "right" : "left")\">\(escapeXML(row[j]))</td>"
            }.joined() + "</tr>"
        }
        html += "</tbody></table>"
        return MimeBundle(data: ["text/plain": .string(text.joined(separator: "\n")), "text/html": .string(html)])
    }

    private static func cellText(_ v: Value) -> String {
        if case .number(let d) = v { return displayNumber(d) }
        if case .string(let s) = v { return s }
        return plainText(v)
    }

    private static func isNumber(_ v: Value) -> Bool { if case .number = v { true } else { false } }
}

extension String {
    fileprivate func trimmingTrailingSpaces() -> String {
        var s = self
        while s.last == " " { s.removeLast() }
        return s
    }
}
