import JSONValues

extension Renderer {
    /// One curve of a line plot: its values against their index, and its legend label.
    public struct Curve: Sendable, Equatable {
        public var label: String?
        public var values: [Double]

        public init(_ values: [Double], label: String? = nil) {
            self.values = values
            self.label = label
        }
    }

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
        linePlot(curves: [Curve(values)], title: title, xLabel: xLabel, yLabel: yLabel)
    }

    /// Several curves on one pair of axes (loss curves to compare, say): each in its own
    /// colour of a fixed palette (matplotlib's first ten, in order), with a legend of the
    /// labelled curves in the top right corner. The y range covers every curve's finite
    /// values, the x range the longest curve; the plain text gives each curve's summary.
    public static func linePlot(curves: [Curve], title: String? = nil, xLabel: String = "step",
                                yLabel: String? = nil) -> MimeBundle {
        let title = (title?.isEmpty ?? true) ? nil : title
        let summary = curves.count == 1 && curves[0].label == nil
            ? linePlotSummary(curves[0].values, title: title)
            : multiCurveSummary(curves, title: title)
        let png = base64(linePlotRaster(curves, title: title, xLabel: xLabel, yLabel: yLabel).png())
        var data = JSONObject()
        data["text/plain"] = .string(summary)
        data["image/png"] = .string(png)
        data["text/html"] = .string("<img class=\"attention-plot\" src=\"data:image/png;base64,\(png)\" "
            + "width=\"\(plotWidth)\" height=\"\(plotHeight)\" alt=\"\(escapeXML(summary))\" title=\"\(escapeXML(summary))\"/>")
        return MimeBundle(data: data)
    }

    static let plotWidth = 480, plotHeight = 300

    /// matplotlib's "tab10" colours: the first is the single curve's blue.
    static let curvePalette: [Raster.Colour] = [
        (31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40), (148, 103, 189),
        (140, 86, 75), (227, 119, 194), (127, 127, 127), (188, 189, 34), (23, 190, 207),
    ]

    static func multiCurveSummary(_ curves: [Curve], title: String?) -> String {
        var s = "line plot"
        if let title { s += " " + quoted(title) }
        s += ": \(curves.count) curve\(curves.count == 1 ? "" : "s")"
        for (k, curve) in curves.enumerated() {
            s += "; " + (curve.label.map(quoted) ?? "curve \(k)") + ": " + curveSummary(curve.values)
        }
        return s
    }

    static func linePlotSummary(_ values: [Double], title: String?) -> String {
        "line plot" + (title.map { " " + quoted($0) } ?? "") + ": " + curveSummary(values)
    }

    /// `n points, last v, min a at step i, max b at step j` (non-finite values skipped for min and max).
    static func curveSummary(_ values: [Double]) -> String {
        var s = "\(values.count) point\(values.count == 1 ? "" : "s")"
        guard let last = values.last else { return s }
        s += ", last \(displayNumber(last))"
        let finite = values.indices.filter { values[$0].isFinite }
        if let lo = finite.min(by: { values[$0] < values[$1] }), let hi = finite.max(by: { values[$0] < values[$1] }) {
            s += ", min \(displayNumber(values[lo])) at step \(lo), max \(displayNumber(values[hi])) at step \(hi)"
        }
        return s
    }

    static func linePlotRaster(_ curves: [Curve], title: String?, xLabel: String, yLabel: String?) -> Raster {
        var r = Raster(width: plotWidth, height: plotHeight)
        let left = 62.0, right = 16.0, top = title == nil ? 14.0 : 30.0, bottom = 40.0
        let pw = Double(plotWidth) - left - right, ph = Double(plotHeight) - top - bottom
        if let title { r.text(BitmapFont.bold.fitting(title, maxWidth: plotWidth - 20), x: left, y: 18, font: .bold) }

        let finite = curves.flatMap { $0.values.filter(\.isFinite) }
        var lo = finite.min() ?? 0, hi = finite.max() ?? 1
        if lo == hi { lo -= 0.5; hi += 0.5 }
        if !(hi / 2 - lo / 2).isFinite || hi / 2 - lo / 2 <= 0 { lo = -1; hi = 1 }
        // 5 % headroom so the curve never runs along the frame (halves: no overflow).
        let pad = (hi / 2 - lo / 2) * 0.1
        if (lo - pad).isFinite && (hi + pad).isFinite { lo -= pad; hi += pad }
        let longest = curves.map(\.values.count).max() ?? 0
        let xHi = Double(max(longest - 1, 1))
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

        if longest == 0 { r.text("no data", x: left + pw / 2, y: top + ph / 2, Raster.grey, anchor: .middle) }
        for (k, curve) in curves.enumerated() {
            let colour = curvePalette[k % curvePalette.count], values = curve.values
            for i in values.indices where values[i].isFinite {
                let x = sx(Double(i)), y = sy(values[i])
                let prevFinite = i > 0 && values[i - 1].isFinite
                let nextFinite = i + 1 < values.count && values[i + 1].isFinite
                if prevFinite { r.line(sx(Double(i - 1)), sy(values[i - 1]), x, y, width: 2, colour) }
                if !prevFinite && !nextFinite { r.line(x, y, x, y, width: 5, colour) }
            }
        }
        // The legend: a swatch and the label of each labelled curve, right-aligned in the plot.
        var legendY = top + 12
        for (k, curve) in curves.enumerated() {
            guard let label = curve.label, !label.isEmpty else { continue }
            let text = BitmapFont.regular.fitting(label, maxWidth: plotWidth / 3)
            let textRight = left + pw - 8
            r.text(text, x: textRight, y: legendY + 4, anchor: .end)
            let swatchRight = textRight - Double(BitmapFont.regular.width(text)) - 6
            r.line(swatchRight - 18, legendY, swatchRight, legendY, width: 2, curvePalette[k % curvePalette.count])
            legendY += 14
        }
        return r
    }
}
