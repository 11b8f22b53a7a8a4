/// The HTML form of heatmaps: tables with inline cell colours, as pandas' Styler draws a
/// background gradient.
///
/// Only markup that JupyterLab's sanitizer keeps for untrusted outputs: `<table>` and its
/// parts, `title` attributes, inline styles from its allow-list (`background-color`,
/// `color`, `width`, `height`, `min-width`, `padding`, `font-size`, `text-align`, …).
/// `print-color-adjust: exact` (dropped by that sanitizer, harmless) makes chromium keep
/// the colours when it prints the nbconvert HTML to PDF. Well-formed XML throughout, so
/// tests parse it.
extension HeatFigure {
    func html(class cls: String) -> String {
        let printColours = "-webkit-print-color-adjust:exact;print-color-adjust:exact"
        var out = "<div class=\"\(cls)\">"
        out += "<table class=\"attention-figure\" style=\"border-collapse:collapse;border:none;font-family:sans-serif;\(printColours)\"><tbody>"
        if panels.isEmpty {
            out += "<tr><td style=\"padding:4px\">no heads</td><td style=\"vertical-align:top;padding:4px 0 0 12px;border:none\">\(bar.html())</td></tr>"
        }
        let rows = (panels.count + perRow - 1) / max(perRow, 1)
        for r in 0..<rows {
            out += "<tr>"
            for k in 0..<perRow where r * perRow + k < panels.count {
                out += "<td style=\"vertical-align:top;padding:0 14px 10px 0;border:none;background-color:#ffffff\">"
                out += panels[r * perRow + k].panel.html()
                out += "</td>"
            }
            if r == 0 {
                out += "<td rowspan=\"\(rows)\" style=\"vertical-align:top;padding:\(Renderer.px(panels[0].panel.gridY > 0 ? 22 : 0))px 0 0 0;border:none;background-color:#ffffff\">\(bar.html())</td>"
            }
            out += "</tr>"
        }
        return out + "</tbody></table></div>"
    }
}

extension HeatPanel {
    /// The panel as a table: title (and block-means note) as caption, key labels as the
    /// header row, query labels as row headers, one coloured cell per drawn value.
    func html() -> String {
        let esc = Renderer.escapeXML, px = Renderer.px
        let labelStyle = "padding:0 4px;font-weight:normal;color:#333333;font-size:\(px(font))px;white-space:nowrap;border:none;background-color:#ffffff"
        var out = "<table class=\"heatmap-cells\" style=\"border-collapse:collapse;border:none;font-family:sans-serif;"
            + "-webkit-print-color-adjust:exact;print-color-adjust:exact\">"
        if title != nil || note != nil || axisTitles {
            out += "<caption style=\"caption-side:top;text-align:left;padding:0 0 4px 0\">"
            if let title { out += "<b style=\"font-size:13px\">\(esc(title))</b>" }
            if let note { out += "<div style=\"font-size:10px;color:#666666\">\(esc(note))</div>" }
            if axisTitles { out += "<div style=\"font-size:11px;color:#666666\">rows: queries, columns: keys</div>" }
            out += "</caption>"
        }
        let showValues = annotate && cell >= 26
        let valueFont = min(11, (cell * 0.34).rounded(.down))
        // Column widths come from the header cells and row heights from the rows, so each
        // of the (up to 64×64) cells carries only its colour, tooltip and `padding:0`
        // (JupyterLab pads table cells otherwise).
        let size = "width:\(px(cell))px;min-width:\(px(cell))px;max-width:\(px(cell))px"
        out += "<thead><tr>"
        if showRowLabels { out += "<th style=\"\(labelStyle)\"></th>" }
        for j in colText.indices {
            let tip = " title=\"\(esc(colTip[j]))\""
            out += "<th\(tip) style=\"\(labelStyle);text-align:center;vertical-align:bottom;\(size);overflow:hidden;text-overflow:ellipsis\">\(esc(colText[j]))</th>"
        }
        out += "</tr></thead><tbody>"
        for (i, row) in values.enumerated() {
            out += "<tr style=\"height:\(px(cell))px\">"
            if showRowLabels {
                let tip = rowText[i] != rowTip[i] ? " title=\"\(esc(rowTip[i]))\"" : ""
                out += "<th\(tip) style=\"\(labelStyle);text-align:right\">\(esc(rowText[i]))</th>"
            }
            for (j, v) in row.enumerated() {
                let c = Renderer.rgb(v, in: range)
                let value = (downsampled && (rowTip[i].contains("–") || colTip[j].contains("–")) ? "mean " : "")
                    + Renderer.displayNumber(v)
                out += "<td title=\"\(esc("\(rowTip[i]) → \(colTip[j]): \(value)"))\" style=\"background-color:\(Renderer.hex(c));padding:0"
                if showValues {
                    let shown = c ?? (180, 180, 180)
                    let light = 0.299 * shown.0 + 0.587 * shown.1 + 0.114 * shown.2 > 140
                    out += ";color:\(light ? "#000000" : "#ffffff");text-align:center;font-size:\(px(valueFont))px;\(size);height:\(px(cell))px\">"
                    out += esc(Renderer.cellAnnotation(v))
                } else {
                    out += "\">"
                }
                out += "</td>"
            }
            out += "</tr>"
        }
        return out + "</tbody></table>"
    }
}

extension ColourBar {
    /// A vertical key: one swatch per tick, high values at the top, then the grey
    /// swatch for non-finite entries when there are any.
    func html() -> String {
        let sw = "width:14px;min-width:14px;height:14px;padding:0;border:1px solid #888888"
        let label = "padding:0 0 0 5px;font-size:10px;border:none;background-color:#ffffff;white-space:nowrap"
        var out = "<table class=\"colour-key\" style=\"border-collapse:separate;border-spacing:0 2px;border:none;font-family:sans-serif;"
            + "-webkit-print-color-adjust:exact;print-color-adjust:exact\"><tbody>"
        for (t, text) in zip(ticks, labels).reversed() {
            let colour = Renderer.hex(Renderer.rgb(t, in: range))
            out += "<tr><td title=\"\(Renderer.escapeXML(text))\" style=\"background-color:\(colour);\(sw)\"></td>"
                + "<td style=\"\(label)\">\(Renderer.escapeXML(text))</td></tr>"
        }
        if nonFinite {
            out += "<tr><td title=\"nan/inf\" style=\"background-color:\(Renderer.nonFiniteColour);\(sw)\"></td>"
                + "<td style=\"\(label)\">nan/inf</td></tr>"
        }
        return out + "</tbody></table>"
    }
}
