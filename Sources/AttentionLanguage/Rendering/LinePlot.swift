import JSONValues

extension Renderer {
    /// A line plot of `values` against their index (a training loss curve, say), as a
    /// display bundle every viewer draws:
    /// - `image/png`: 480×300 px, axes with "nice" ticks (1, 2 or 5 × 10ⁿ), light grid,
    ///   the curve anti-aliased; non-finite values break the line (a gap), a lone
    ///   finite point between gaps is a dot;
    /// - `text/html`: that PNG as `<img src="data:image/png;base64,…">` with the summary
    ///   as `title` (hover) and `alt` (kept by the untrusted-notebook sanitizer);
    /// - `text/plain`: `line plot "title": n points, last v, min a at step i, max b at step j`.
    ///
    /// The y range is the finite values' min…max (± 0.5 when constant) with 5 % headroom, the x range
    /// 0…n−1. Send it again with the same `display_id` (update) to animate a live curve.
    public static func linePlot(_ values: [Double], title: String? = nil, xLabel: String = "step",
                                yLabel: String? = nil) -> MimeBundle {
        let title = (title?.isEmpty ?? true) ? nil : title
        let summary = linePlotSummary(values, title: title)
        let png = base64(linePlotRaster(values, title: title, xLabel: xLabel, yLabel: yLabel).png())
        var data = JSONObject()
        data["text/plain"] = .string(summary)
        data["image/png"] = .string(png)
        data["text/html"] = .string("<img class=\"attention-plot\" src=\"data:image/png;base64,\(png)\" "
            + "width=\"\(plotWidth)\" height=\"\(plotHeight)\" alt=\"\(escapeXML(summary))\" title=\"\(escapeXML(summary))\"/>")
        return MimeBundle(data: data)
    }

    static let plotWidth = 480, plotHeight = 300

    static func linePlotSummary(_ values: [Double], title: String?) -> String {
        var s = "line plot"
        if let title { s += " " + quoted(title) }
        s += ": \(values.count) point\(values.count == 1 ? "" : "s")"
        guard let last = values.last else { return s }
        s += ", last \(displayNumber(last))"
        let finite = values.indices.filter { values[$0].isFinite }
        if let lo = finite.min(by: { values[$0] < values[$1] }), let hi = finite.max(by: { values[$0] < values[$1] }) {
            s += ", min \(displayNumber(values[lo])) at step \(lo), max \(displayNumber(values[hi])) at step \(hi)"
        }
        return s
    }

    static func linePlotRaster(_ values: [Double], title: String?, xLabel: String, yLabel: String?) -> Raster {
        var r = Raster(width: plotWidth, height: plotHeight)
        let left = 62.0, right = 16.0, top = title == nil ? 14.0 : 30.0, bottom = 40.0
        let pw = Double(plotWidth) - left - right, ph = Double(plotHeight) - top - bottom
        if let title { r.text(BitmapFont.bold.fitting(title, maxWidth: plotWidth - 20), x: left, y: 18, font: .bold) }

        let finite = values.filter(\.isFinite)
        var lo = finite.min() ?? 0, hi = finite.max() ?? 1
        if lo == hi { lo -= 0.5; hi += 0.5 }
        if !(hi / 2 - lo / 2).isFinite || hi / 2 - lo / 2 <= 0 { lo = -1; hi = 1 }
        // 5 % headroom so the curve never runs along the frame (halves: no overflow).
        let pad = (hi / 2 - lo / 2) * 0.1
        if (lo - pad).isFinite && (hi + pad).isFinite { lo -= pad; hi += pad }
        let xHi = Double(max(values.count - 1, 1))
        func sx(_ i: Double) -> Double { left + i / xHi * pw }
        func sy(_ v: Double) -> Double { top + (1 - fraction(v, in: lo...hi)) * ph }

        let gridColour: Raster.Colour = (230, 230, 230)
        let (yTicks, yStep) = niceTicks(lo...hi)
        for t in yTicks {
            let y = sy(t).rounded(.down)
            r.fill(x: left, y: y, w: pw, h: 1, gridColour)
            r.fill(x: left - 4, y: y, w: 4, h: 1, Raster.lightGrey)
            r.text(displayNumber(abs(t) < yStep * 1e-9 ? 0 : t), x: left - 7, y: y + 4, anchor: .end)
        }
        let (xTicks, _) = niceTicks(0...xHi)
        for t in xTicks where t == t.rounded() {
            let x = sx(t).rounded(.down)
            r.fill(x: x, y: top, w: 1, h: ph, gridColour)
            r.fill(x: x, y: top + ph, w: 1, h: 4, Raster.lightGrey)
            r.text(displayNumber(t), x: x, y: top + ph + 16, anchor: .middle)
        }
        r.fill(x: left, y: top + ph, w: pw, h: 1, Raster.lightGrey)
        r.fill(x: left, y: top, w: 1, h: ph, Raster.lightGrey)
        r.text(xLabel, x: left + pw / 2, y: Double(plotHeight) - 6, Raster.grey, anchor: .middle)
        if let yLabel { r.text(yLabel, x: 14, y: top + ph / 2, Raster.grey, anchor: .middle, direction: .up) }

        let blue: Raster.Colour = (31, 119, 180)
        if values.isEmpty { r.text("no data", x: left + pw / 2, y: top + ph / 2, Raster.grey, anchor: .middle) }
        for i in values.indices where values[i].isFinite {
            let x = sx(Double(i)), y = sy(values[i])
            let prevFinite = i > 0 && values[i - 1].isFinite
            let nextFinite = i + 1 < values.count && values[i + 1].isFinite
            if prevFinite { r.line(sx(Double(i - 1)), sy(values[i - 1]), x, y, width: 2, blue) }
            if !prevFinite && !nextFinite { r.line(x, y, x, y, width: 5, blue) }
        }
        return r
    }
}
