/// The PNG form of heatmaps: the SVG layout (`HeatPanel`, `ColourBar`) drawn into a
/// `Raster` with the bitmap font. Rotated column labels are drawn vertically (reading
/// upwards) and shortened to the room the layout leaves them.
extension HeatPanel {
    func draw(at ox: Double, _ oy: Double, into r: inout Raster) {
        let gx = ox + gridX, gy = oy + gridY
        let font = BitmapFont.regular
        if let title {
            r.text(title, x: gx, y: oy + 14, font: .bold)
        }
        if let note {
            r.text(note, x: gx, y: oy + gridY - 4, Raster.grey)
        }
        for (i, row) in values.enumerated() {
            for (j, v) in row.enumerated() {
                let c = Renderer.rgb(v, in: range) ?? (180, 180, 180)
                r.fill(x: gx + Double(j) * cell, y: gy + Double(i) * cell, w: cell, h: cell, c)
            }
        }
        if annotate && cell >= 26 {
            let texts = values.map { $0.map(Renderer.cellAnnotation) }
            let widest = texts.flatMap { $0 }.map { font.width($0) }.max() ?? 0
            if Double(widest) <= cell - 3 {
                for (i, row) in values.enumerated() {
                    for j in row.indices {
                        let c = Renderer.rgb(row[j], in: range) ?? (180, 180, 180)
                        let light = 0.299 * c.0 + 0.587 * c.1 + 0.114 * c.2 > 140
                        r.text(texts[i][j], x: gx + (Double(j) + 0.5) * cell, y: gy + (Double(i) + 0.5) * cell + 4,
                               light ? Raster.black : Raster.white, anchor: .middle)
                    }
                }
            }
        }
        let lineH = Double(font.height - 2)
        if showRowLabels && !rowText.isEmpty {
            let stride = max(1, Int((lineH / cell).rounded(.up)))
            for i in Swift.stride(from: 0, to: rowText.count, by: stride) {
                r.text(rowText[i], x: gx - 4, y: gy + (Double(i) + 0.5) * cell + 4, anchor: .end)
            }
        }
        if !colText.isEmpty {
            let y = gy + gridH + 4
            if rotated {
                let stride = max(1, Int((lineH / cell).rounded(.up)))
                let room = Int(colLabelH + (axisTitles ? 4 : 0)) - 4
                for j in Swift.stride(from: 0, to: colText.count, by: stride) {
                    let x = gx + (Double(j) + 0.5) * cell + 4
                    r.text(font.fitting(colText[j], maxWidth: room), x: x, y: y, anchor: .end, direction: .up)
                }
            } else {
                for j in colText.indices {
                    r.text(colText[j], x: gx + (Double(j) + 0.5) * cell, y: y + 11, anchor: .middle)
                }
            }
        }
        if axisTitles {
            let cy = gy + gridH / 2
            r.text("keys", x: gx + gridW / 2, y: gy + gridH + colLabelH + 12, Raster.grey, anchor: .middle)
            r.text("queries", x: ox + 14, y: cy, Raster.grey, anchor: .middle, direction: .up)
        }
    }
}

extension ColourBar {
    func draw(at x: Double, _ y: Double, into r: inout Raster) {
        let top = Int(y.rounded()), rows = max(1, Int(barH.rounded()))
        for k in 0..<rows {
            let t = 1 - (Double(k) + 0.5) / Double(rows)
            r.fill(x: x, y: Double(top + k), w: Self.barW, h: 1, Renderer.rgb(t, in: 0...1) ?? Raster.white)
        }
        r.stroke(x: x, y: Double(top), w: Self.barW, h: Double(rows), Raster.lightGrey)
        for (t, label) in zip(ticks, labels) {
            let ty = y + (1 - Renderer.fraction(t, in: range)) * barH
            r.fill(x: x + Self.barW, y: ty.rounded(.down), w: 4, h: 1, Raster.lightGrey)
            r.text(label, x: x + Self.barW + 7, y: ty + 4)
        }
        if nonFinite {
            let sy = y + barH + 10
            r.fill(x: x, y: sy, w: Self.barW, h: Self.barW, (180, 180, 180))
            r.text("nan/inf", x: x + Self.barW + 7, y: sy + Self.barW / 2 + 4)
        }
    }
}
