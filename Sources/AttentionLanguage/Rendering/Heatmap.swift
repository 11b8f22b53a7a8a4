import AttentionCore
import Glibc
import JSONValues

extension Renderer {
    /// An attention heatmap: rows are queries, columns keys.
    ///
    /// The bundle holds a representation for every viewer (JupyterLab picks `text/html`):
    /// - `text/html`: an HTML table whose cells carry inline background colours, a
    ///   "query → key: value" `title` tooltip and (when they fit) the value, with token
    ///   labels as headers and a colour key beside it, as pandas' Styler draws a
    ///   background gradient. Only what the sanitizer of untrusted notebooks keeps
    ///   (`<table>`, inline `background-color`, `title`): it draws in trusted and
    ///   untrusted notebooks, `nbconvert --to html` and chromium's PDF print alike.
    /// - `image/png`: the same figure rasterized (cells, labels, values, colour bar), for
    ///   LaTeX/PDF export and viewers that show only images.
    /// - `text/plain` (`heatmap 4×4 "title", colour scale 0…1` and the matrix text) and,
    ///   while drawn cell for cell, the matrix JSON.
    /// No `image/svg+xml`: untrusted notebooks never render it, and nbconvert's PDF path
    /// would need Inkscape for it (the vector form is `heatmapSVG`).
    ///
    /// Colour scale: `scale` when given (finite bounds; entries outside are clamped);
    /// otherwise [0, 1] when every finite entry is in [0, 1], else the finite entries'
    /// min…max. Colours follow a viridis-like map (dark purple = low, yellow = high);
    /// non-finite entries are grey. Labels default to indices; missing labels too.
    /// Cells are 36 px, shrinking so the grid stays within 560 px; beyond 64 rows or
    /// columns, blocks of k consecutive entries (k = ⌈n / 64⌉) are averaged into one
    /// cell, so at most 64×64 cells are drawn (the image says so); the text shows the
    /// elided matrix.
    /// `raster: false` leaves out the PNG (an `interact` re-run, where only the live page
    /// sees the display and encoding the image would take most of the update's time).
    public static func heatmap(_ m: Matrix, rowLabels: [String]? = nil, colLabels: [String]? = nil,
                               title: String? = nil, scale: ClosedRange<Double>? = nil, raster: Bool = true) -> MimeBundle {
        let title = (title?.isEmpty ?? true) ? nil : title
        let figure = HeatFigure.single(m, rowLabels: rowLabels, colLabels: colLabels, title: title, scale: scale)
        let range = figure.bar.range
        var text = "heatmap \(m.shapeDescription)"
        if let title { text += " " + quoted(title) }
        text += ", colour scale \(displayNumber(range.lowerBound))…\(displayNumber(range.upperBound))"
        let labelled = rowLabels != nil || colLabels != nil
        let body = matrixBodyLines(m, rowLabels: rowLabels ?? [], colLabels: colLabels ?? [], labelled: labelled)
        if m.isEmpty { text += " (empty)" }

        var data = JSONObject()
        data["text/plain"] = .string(([text] + body).joined(separator: "\n"))
        data["text/html"] = .string(figure.html(class: "attention-heatmap"))
        if raster { data["image/png"] = .string(base64(figure.raster().png())) }
        // The exact copy only while the picture is drawn cell for cell, so a display of
        // a huge matrix stays small (its result bundle still carries it).
        if !figure.panels[0].panel.downsampled { data[matrixMimeType] = matrixJSON(m) }
        return MimeBundle(data: data)
    }

    /// The heatmap as a standalone SVG (`width`, `height` in px and a `viewBox`; per-cell
    /// `<title>` tooltips); the same layout as the PNG.
    public static func heatmapSVG(_ m: Matrix, rowLabels: [String]? = nil, colLabels: [String]? = nil,
                                  title: String? = nil, scale: ClosedRange<Double>? = nil) -> String {
        let title = (title?.isEmpty ?? true) ? nil : title
        return HeatFigure.single(m, rowLabels: rowLabels, colLabels: colLabels, title: title, scale: scale).svg()
    }

    /// One heatmap per attention head in a grid (up to 4 per row) sharing one colour
    /// bar. `labels` are the token labels for both axes of every head; `titles` default to
    /// `head 0`, `head 1`, …. The shared scale follows the `heatmap` rule over all heads.
    /// The bundle's forms are those of `heatmap` (HTML tables, PNG, text).
    public static func heads(_ ms: [Matrix], labels: [String]? = nil, titles: [String]? = nil,
                             scale: ClosedRange<Double>? = nil, raster: Bool = true) -> MimeBundle {
        let figure = HeatFigure.grid(ms, labels: labels, titles: titles, scale: scale)
        let range = figure.bar.range
        var text = ms.isEmpty ? "heads: none" :
            "heads: \(ms.count) heatmap\(ms.count == 1 ? "" : "s"), colour scale \(displayNumber(range.lowerBound))…\(displayNumber(range.upperBound))"
        for (i, m) in ms.enumerated() {
            let name = figure.panels[i].panel.title ?? "head \(i)"
            text += "\n\(name) (\(m.shapeDescription)\(m.isEmpty ? ", empty" : ""))"
            let body = matrixBodyLines(m, rowLabels: labels ?? [], colLabels: labels ?? [], labelled: labels != nil)
            if !body.isEmpty { text += "\n" + body.joined(separator: "\n") }
        }
        var data = JSONObject()
        data["text/plain"] = .string(text)
        data["text/html"] = .string(figure.html(class: "attention-heads"))
        if raster { data["image/png"] = .string(base64(figure.raster().png())) }
        return MimeBundle(data: data)
    }

    /// The head grid as a standalone SVG (see `heatmapSVG`).
    public static func headsSVG(_ ms: [Matrix], labels: [String]? = nil, titles: [String]? = nil,
                                scale: ClosedRange<Double>? = nil) -> String {
        HeatFigure.grid(ms, labels: labels, titles: titles, scale: scale).svg()
    }

    // MARK: Scale and colours

    /// Heatmaps draw at most this many cells along an axis; longer axes are averaged in blocks.
    static let maxHeatCells = 64

    /// The colour scale rule (see `heatmap`).
    static func colourRange<S: Sequence<Double>>(_ values: S, requested: ClosedRange<Double>?) -> ClosedRange<Double> {
        if let requested, requested.lowerBound.isFinite, requested.upperBound.isFinite {
            return requested.lowerBound < requested.upperBound ? requested
                : (requested.lowerBound - 0.5)...(requested.upperBound + 0.5)
        }
        var lo = Double.infinity, hi = -Double.infinity
        for v in values where v.isFinite {
            lo = min(lo, v)
            hi = max(hi, v)
        }
        if lo > hi || (lo >= 0 && hi <= 1) { return 0...1 }
        if lo == hi { return (lo - 0.5)...(hi + 0.5) }
        return lo...hi
    }

    /// Viridis-like anchors at 0, 1/8, …, 1 (dark purple → blue → green → yellow);
    /// colours between anchors are interpolated linearly in RGB.
    static let colourAnchors: [(Double, Double, Double)] = [
        (68, 1, 84), (72, 40, 120), (62, 73, 137), (49, 104, 142), (38, 130, 142),
        (31, 158, 137), (53, 183, 121), (110, 206, 88), (253, 231, 37),
    ]
    static let nonFiniteColour = "#b4b4b4"

    static func rgb(_ v: Double, in range: ClosedRange<Double>) -> (Double, Double, Double)? {
        guard v.isFinite else { return nil }
        let t = fraction(v, in: range)
        let x = t * Double(colourAnchors.count - 1)
        let k = min(Int(x), colourAnchors.count - 2)
        let f = x - Double(k)
        let a = colourAnchors[k], b = colourAnchors[k + 1]
        return (a.0 + (b.0 - a.0) * f, a.1 + (b.1 - a.1) * f, a.2 + (b.2 - a.2) * f)
    }

    /// Where `v` lies in `range`, clamped to [0, 1]; halved operands so that ranges as
    /// wide as ±1.8e308 do not overflow, and 0 for anything degenerate.
    static func fraction(_ v: Double, in range: ClosedRange<Double>) -> Double {
        let t = (v / 2 - range.lowerBound / 2) / (range.upperBound / 2 - range.lowerBound / 2)
        return t.isNaN ? 0 : min(max(t, 0), 1)
    }

    static func hex(_ c: (Double, Double, Double)?) -> String {
        guard let c else { return nonFiniteColour }
        let digits = Array("0123456789abcdef")
        var s = "#"
        for v in [c.0, c.1, c.2] {
            let n = Int(min(max(v.rounded(), 0), 255))
            s.append(digits[n / 16])
            s.append(digits[n % 16])
        }
        return s
    }

    // MARK: SVG pieces

    static func svgOpen(width: Double, height: Double) -> String {
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(px(width))\" height=\"\(px(height))\" "
            + "viewBox=\"0 0 \(px(width)) \(px(height))\" font-family=\"sans-serif\" font-size=\"12\">"
            + "<rect class=\"background\" x=\"0\" y=\"0\" width=\"\(px(width))\" height=\"\(px(height))\" fill=\"#ffffff\"/>"
    }

    static func cellSize(maxDim: Int, grid: Double, largest: Double, smallest: Double) -> Double {
        min(largest, max(smallest, (grid / Double(max(maxDim, 1))).rounded(.down)))
    }

    /// Estimated width in px of `s` at `fontSize` (0.6 em per character, 1.2 per wide one).
    static func textWidth(_ s: String, _ fontSize: Double) -> Double { Double(displayWidth(s)) * 0.6 * fontSize }

    /// Labels longer than 12 characters are shortened with `…` on the axes (tooltips keep them whole).
    static func axisText(_ s: String) -> String {
        let limit = 12
        return s.count <= limit ? s : String(s.prefix(limit - 1)) + "…"
    }

    /// Splits `n` indices into at most `maxHeatCells` contiguous blocks of equal size k
    /// (the smallest that is enough; the last block may be shorter).
    static func blocks(_ n: Int) -> [Range<Int>] {
        let k = max(1, (n + maxHeatCells - 1) / maxHeatCells)
        return Swift.stride(from: 0, to: n, by: k).map { $0..<min($0 + k, n) }
    }
}

/// Panels and a colour bar placed on one canvas: the layout shared by the SVG, PNG and
/// HTML forms of `heatmap` and `heads`.
struct HeatFigure {
    var panels: [(panel: HeatPanel, x: Double, y: Double)]
    let bar: ColourBar
    let barX: Double, barY: Double
    let width: Double, height: Double
    /// Panels per row (HTML layout).
    let perRow: Int

    static func single(_ m: Matrix, rowLabels: [String]?, colLabels: [String]?, title: String?,
                       scale: ClosedRange<Double>?) -> HeatFigure {
        let range = Renderer.colourRange(m.storage, requested: scale)
        let maxCells = Renderer.maxHeatCells
        let cell = Renderer.cellSize(maxDim: max(min(m.rows, maxCells), min(m.cols, maxCells)), grid: 560, largest: 36, smallest: 4)
        let panel = HeatPanel(m, rowLabels: rowLabels, colLabels: colLabels, title: title, cell: cell,
                              showRowLabels: true, axisTitles: true, annotate: true, range: range)
        let bar = ColourBar(range: range, height: max(panel.gridH, 120), nonFinite: m.storage.contains { !$0.isFinite })
        let margin = 10.0
        // The colour bar sits right of the grid; a long title may reach over it.
        let barX = margin + panel.gridX + panel.gridW + 14
        let width = (max(margin + panel.width, barX + bar.width) + margin).rounded(.up)
        let height = (margin + max(panel.height, panel.gridY + bar.height) + margin).rounded(.up)
        return HeatFigure(panels: [(panel, margin, margin)], bar: bar, barX: barX, barY: margin + panel.gridY,
                          width: width, height: height, perRow: 1)
    }

    static func grid(_ ms: [Matrix], labels: [String]?, titles: [String]?, scale: ClosedRange<Double>?) -> HeatFigure {
        let names = ms.indices.map { i in
            if let titles, i < titles.count, !titles[i].isEmpty { return titles[i] }
            return "head \(i)"
        }
        let range = Renderer.colourRange(ms.lazy.flatMap { $0.storage }, requested: scale)
        let perRow = min(4, max(ms.count, 1))
        let maxCells = Renderer.maxHeatCells
        let maxDim = ms.map { max(min($0.rows, maxCells), min($0.cols, maxCells)) }.max() ?? 1
        let cell = Renderer.cellSize(maxDim: maxDim, grid: 160, largest: 24, smallest: 2)
        let panels = ms.enumerated().map { i, m in
            HeatPanel(m, rowLabels: labels, colLabels: labels, title: names[i], cell: cell,
                      showRowLabels: i % perRow == 0, axisTitles: false, annotate: false, range: range)
        }
        let gap = 18.0, margin = 10.0
        let gridRows = (panels.count + perRow - 1) / perRow
        var colWidths = [Double](repeating: 0, count: perRow)
        var rowHeights = [Double](repeating: 0, count: max(gridRows, 1))
        for (i, p) in panels.enumerated() {
            colWidths[i % perRow] = max(colWidths[i % perRow], p.width)
            rowHeights[i / perRow] = max(rowHeights[i / perRow], p.height)
        }
        let gridsWidth = colWidths.reduce(0, +) + gap * Double(max(perRow - 1, 0))
        let gridsHeight = rowHeights.reduce(0, +) + gap * Double(max(gridRows - 1, 0))
        let barTop = panels.first?.gridY ?? 0
        let bar = ColourBar(range: range, height: max(panels.first?.gridH ?? 0, 120),
                            nonFinite: ms.contains { $0.storage.contains { !$0.isFinite } })
        let barX = margin + gridsWidth + 14
        let width = (barX + bar.width + margin).rounded(.up)
        let height = (margin + max(gridsHeight, barTop + bar.height) + margin).rounded(.up)
        var placed: [(panel: HeatPanel, x: Double, y: Double)] = []
        var y = margin
        for r in 0..<gridRows {
            var x = margin
            for k in 0..<perRow where r * perRow + k < panels.count {
                placed.append((panels[r * perRow + k], x, y))
                x += colWidths[k] + gap
            }
            y += rowHeights[r] + gap
        }
        return HeatFigure(panels: placed, bar: bar, barX: barX, barY: margin + barTop, width: width, height: height, perRow: perRow)
    }

    func svg() -> String {
        var svg = Renderer.svgOpen(width: width, height: height)
        let grid = perRow > 1 || panels.count != 1 || panels.first?.panel.axisTitles == false
        for (panel, x, y) in panels {
            if grid { svg += "<g class=\"panel\">" }
            panel.render(at: x, y, into: &svg)
            if grid { svg += "</g>" }
        }
        if panels.isEmpty { svg += "<text x=\"10\" y=\"24\">no heads</text>" }
        bar.render(at: barX, barY, into: &svg)
        return svg + "</svg>"
    }

    func raster() -> Raster {
        var r = Raster(width: Int(width), height: Int(height))
        for (panel, x, y) in panels { panel.draw(at: x, y, into: &r) }
        if panels.isEmpty { r.text("no heads", x: 10, y: 24) }
        bar.draw(at: barX, barY, into: &r)
        return r
    }
}

/// One heatmap (grid, labels, title) laid out relative to its own top-left corner.
struct HeatPanel {
    let values: [[Double]]
    let rowText: [String], rowTip: [String]
    let colText: [String], colTip: [String]
    let title: String?
    let note: String?
    let cell: Double, font: Double
    let showRowLabels: Bool, axisTitles: Bool, annotate: Bool
    let range: ClosedRange<Double>
    let downsampled: Bool
    // Layout
    let gridX: Double, gridY: Double, gridW: Double, gridH: Double
    let rotated: Bool, colLabelH: Double
    let width: Double, height: Double

    init(_ m: Matrix, rowLabels: [String]?, colLabels: [String]?, title: String?, cell: Double,
         showRowLabels: Bool, axisTitles: Bool, annotate: Bool, range: ClosedRange<Double>) {
        let rb = Renderer.blocks(m.rows), cb = Renderer.blocks(m.cols)
        downsampled = rb.count < m.rows || cb.count < m.cols
        func names(_ b: [Range<Int>], _ labels: [String]?) -> [String] {
            b.map { r in r.count == 1 ? Renderer.label(labels ?? [], r.lowerBound) : "\(r.lowerBound)–\(r.upperBound - 1)" }
        }
        rowTip = names(rb, rowLabels)
        colTip = names(cb, colLabels)
        // Blocks are labelled on the axes by their first index; tooltips give the range.
        rowText = zip(rb, rowTip).map { $0.count == 1 ? Renderer.axisText($1) : String($0.lowerBound) }
        colText = zip(cb, colTip).map { $0.count == 1 ? Renderer.axisText($1) : String($0.lowerBound) }
        values = rb.map { r in
            cb.map { c in
                if r.count == 1 && c.count == 1 { return m[r.lowerBound, c.lowerBound] }
                var sum = 0.0
                for i in r { for j in c { sum += m[i, j] } }
                return sum / Double(r.count * c.count)
            }
        }
        self.title = title
        note = downsampled ? "\(m.shapeDescription), shown as \(rb.count)×\(cb.count) block means" : nil
        self.cell = cell
        self.showRowLabels = showRowLabels
        self.axisTitles = axisTitles
        self.annotate = annotate && !downsampled
        self.range = range
        let fs = min(12, max(7, (cell * 0.8 * 2).rounded(.down) / 2))
        font = fs

        let rowLabelW = showRowLabels ? (rowText.map { Renderer.textWidth($0, fs) }.max() ?? 0) + 6 : 0
        let colMax = colText.map { Renderer.textWidth($0, fs) }.max() ?? 0
        rotated = colMax > cell - 2
        colLabelH = rotated ? (colMax + fs) * 0.7071 + 6 : fs + 6
        let axisW = axisTitles ? 16.0 : 0
        var x = axisW + rowLabelW
        // The first rotated column label reaches left of the grid; make room unless a
        // panel to the left leaves that space free (head grids).
        if rotated && showRowLabels { x = max(x, colMax * 0.7071 - cell / 2 + 2) }
        gridX = x
        gridY = (title != nil ? 20 : 0) + (note != nil ? 14 : 0)
        gridW = Double(cb.count) * cell
        gridH = Double(rb.count) * cell
        let titleW = x + (title.map { Renderer.textWidth($0, 13) } ?? 0)
        let noteW = x + (note.map { Renderer.textWidth($0, 10) } ?? 0)
        width = max(gridX + gridW + 2, titleW, noteW)
        height = gridY + gridH + (cb.isEmpty ? 0 : colLabelH) + (axisTitles ? 16 : 0)
    }

    func render(at ox: Double, _ oy: Double, into svg: inout String) {
        let px = Renderer.px, esc = Renderer.escapeXML
        let gx = ox + gridX, gy = oy + gridY
        if let title {
            svg += "<text class=\"title\" x=\"\(px(gx))\" y=\"\(px(oy + 14))\" font-size=\"13\" font-weight=\"bold\">\(esc(title))</text>"
        }
        if let note {
            svg += "<text class=\"note\" x=\"\(px(gx))\" y=\"\(px(oy + gridY - 4))\" font-size=\"10\" fill=\"#666\">\(esc(note))</text>"
        }
        let fills = values.map { $0.map { Renderer.hex(Renderer.rgb($0, in: range)) } }
        svg += "<g class=\"cells\" shape-rendering=\"crispEdges\">"
        for (i, row) in values.enumerated() {
            for (j, v) in row.enumerated() {
                let value = (downsampled && (rowTip[i].contains("–") || colTip[j].contains("–")) ? "mean " : "")
                    + Renderer.displayNumber(v)
                svg += "<rect x=\"\(px(gx + Double(j) * cell))\" y=\"\(px(gy + Double(i) * cell))\" width=\"\(px(cell))\" "
                    + "height=\"\(px(cell))\" fill=\"\(fills[i][j])\"><title>\(esc("\(rowTip[i]) → \(colTip[j]): \(value)"))</title></rect>"
            }
        }
        svg += "</g>"

        if annotate && cell >= 26 {
            let texts = values.map { $0.map(Renderer.cellAnnotation) }
            let afs = min(11, (cell * 0.34).rounded(.down))
            let widest = texts.flatMap { $0 }.map { Renderer.textWidth($0, afs) }.max() ?? 0
            if widest <= cell - 3 {
                svg += "<g class=\"annotations\" font-size=\"\(px(afs))\" text-anchor=\"middle\" dominant-baseline=\"central\" pointer-events=\"none\">"
                for (i, row) in values.enumerated() {
                    for j in row.indices {
                        let c = Renderer.rgb(row[j], in: range) ?? (180, 180, 180)
                        let light = 0.299 * c.0 + 0.587 * c.1 + 0.114 * c.2 > 140
                        svg += "<text x=\"\(px(gx + (Double(j) + 0.5) * cell))\" y=\"\(px(gy + (Double(i) + 0.5) * cell))\" "
                            + "fill=\"\(light ? "#000000" : "#ffffff")\">\(esc(texts[i][j]))</text>"
                    }
                }
                svg += "</g>"
            }
        }

        if showRowLabels && !rowText.isEmpty {
            let stride = max(1, Int(((font + 1) / cell).rounded(.up)))
            svg += "<g class=\"row-labels\" font-size=\"\(px(font))\" text-anchor=\"end\" dominant-baseline=\"central\">"
            for i in Swift.stride(from: 0, to: rowText.count, by: stride) {
                svg += "<text x=\"\(px(gx - 4))\" y=\"\(px(gy + (Double(i) + 0.5) * cell))\">\(esc(rowText[i]))"
                if rowText[i] != rowTip[i] { svg += "<title>\(esc(rowTip[i]))</title>" }
                svg += "</text>"
            }
            svg += "</g>"
        }
        if !colText.isEmpty {
            let spacing = rotated ? cell * 0.7071 : cell
            let stride = rotated ? max(1, Int(((font + 1) / spacing).rounded(.up))) : 1
            let y = gy + gridH + 4
            svg += "<g class=\"col-labels\" font-size=\"\(px(font))\" text-anchor=\"\(rotated ? "end" : "middle")\">"
            for j in Swift.stride(from: 0, to: colText.count, by: stride) {
                let x = gx + (Double(j) + 0.5) * cell
                if rotated {
                    let ty = y + font * 0.35
                    svg += "<text x=\"\(px(x))\" y=\"\(px(ty))\" transform=\"rotate(-45 \(px(x)) \(px(ty)))\">\(esc(colText[j]))"
                } else {
                    svg += "<text x=\"\(px(x))\" y=\"\(px(y + font))\">\(esc(colText[j]))"
                }
                if colText[j] != colTip[j] { svg += "<title>\(esc(colTip[j]))</title>" }
                svg += "</text>"
            }
            svg += "</g>"
        }
        if axisTitles {
            let cy = gy + gridH / 2
            svg += "<text class=\"axis-title\" x=\"\(px(gx + gridW / 2))\" y=\"\(px(gy + gridH + colLabelH + 12))\" "
                + "font-size=\"11\" fill=\"#666\" text-anchor=\"middle\">keys</text>"
            svg += "<text class=\"axis-title\" x=\"\(px(ox + 10))\" y=\"\(px(cy))\" font-size=\"11\" fill=\"#666\" "
                + "text-anchor=\"middle\" transform=\"rotate(-90 \(px(ox + 10)) \(px(cy)))\">queries</text>"
        }
    }
}

/// A vertical colour bar (high at the top) with "nice" ticks, and a grey swatch for
/// non-finite entries when there are any.
struct ColourBar {
    let range: ClosedRange<Double>
    let barH: Double
    let nonFinite: Bool
    let ticks: [Double]
    let labels: [String]
    static let barW = 12.0

    init(range: ClosedRange<Double>, height: Double, nonFinite: Bool) {
        self.range = range
        barH = height
        self.nonFinite = nonFinite
        let (ticks, step) = Renderer.niceTicks(range)
        self.ticks = ticks
        labels = ticks.map { Renderer.displayNumber(abs($0) < step * 1e-9 ? 0 : $0) }
    }

    var width: Double {
        let widest = max(labels.map { Renderer.textWidth($0, 10) }.max() ?? 0, nonFinite ? Renderer.textWidth("nan/inf", 10) : 0)
        return Self.barW + 7 + widest + 2
    }
    var height: Double { barH + (nonFinite ? 22 : 0) }

    func render(at x: Double, _ y: Double, into svg: inout String) {
        let px = Renderer.px
        let steps = 48
        let h = barH / Double(steps)
        svg += "<g class=\"colorbar\"><g shape-rendering=\"crispEdges\">"
        for s in 0..<steps {
            let t = 1 - (Double(s) + 0.5) / Double(steps)
            svg += "<rect x=\"\(px(x))\" y=\"\(px(y + Double(s) * h))\" width=\"\(px(Self.barW))\" height=\"\(px(h + 0.5))\" "
                + "fill=\"\(Renderer.hex(Renderer.rgb(t, in: 0...1)))\"/>"
        }
        svg += "</g><rect x=\"\(px(x))\" y=\"\(px(y))\" width=\"\(px(Self.barW))\" height=\"\(px(barH))\" fill=\"none\" stroke=\"#888\"/>"
        svg += "<g class=\"ticks\" font-size=\"10\" dominant-baseline=\"central\">"
        for (t, label) in zip(ticks, labels) {
            let ty = y + (1 - Renderer.fraction(t, in: range)) * barH
            svg += "<line x1=\"\(px(x + Self.barW))\" y1=\"\(px(ty))\" x2=\"\(px(x + Self.barW + 4))\" y2=\"\(px(ty))\" stroke=\"#888\"/>"
            svg += "<text x=\"\(px(x + Self.barW + 7))\" y=\"\(px(ty))\">\(Renderer.escapeXML(label))</text>"
        }
        svg += "</g>"
        if nonFinite {
            let sy = y + barH + 10
            svg += "<rect class=\"non-finite\" x=\"\(px(x))\" y=\"\(px(sy))\" width=\"\(px(Self.barW))\" height=\"\(px(Self.barW))\" fill=\"\(Renderer.nonFiniteColour)\"/>"
            svg += "<text x=\"\(px(x + Self.barW + 7))\" y=\"\(px(sy + Self.barW / 2))\" font-size=\"10\" dominant-baseline=\"central\">nan/inf</text>"
        }
        svg += "</g>"
    }
}

extension Renderer {
    /// "Nice" ticks for an axis over `range`: multiples of a step of 1, 2 or 5 × 10ⁿ
    /// giving about five ticks; just the two ends when the range is too extreme for that.
    static func niceTicks(_ range: ClosedRange<Double>) -> (ticks: [Double], step: Double) {
        let raw = (range.upperBound / 2 - range.lowerBound / 2) / 2
        let mag = pow10(raw)
        let norm = raw / mag
        let step = (norm < 1.5 ? 1 : norm < 3 ? 2 : norm < 7 ? 5 : 10) * mag
        var ticks: [Double] = []
        let first = (range.lowerBound / step - 1e-9).rounded(.up)
        let last = (range.upperBound / step + 1e-9).rounded(.down)
        if step.isFinite, step > 0, first.isFinite, last.isFinite, last - first <= 12, last - first >= 1 {
            var k = first
            while k <= last {
                ticks.append(k * step)
                k += 1
            }
        }
        if ticks.count < 2 { ticks = [range.lowerBound, range.upperBound] }
        return (ticks, step)
    }
}

/// The power of ten at or below `x` (x > 0), 1 for anything else. `log10` rounds, so
/// next to an exact power it may land one step off either way: corrected by one step.
private func pow10(_ x: Double) -> Double {
    guard x.isFinite, x > 0 else { return 1 }
    let p = Glibc.pow(10, log10(x).rounded(.down))
    if p > x { return p / 10 }
    return p * 10 <= x ? p * 10 : p
}
