import JSONValues

extension Renderer {
    /// The live display of `train`: a line of progress (step, loss, learning rate, time) and
    /// the loss curve so far, drawn on a fixed step axis 0…total so the curve grows in place.
    static func trainingProgress(losses: [Double], total: Int, lr: Double, seconds: Double, finished: Bool, interrupted: Bool) -> MimeBundle {
        let done = losses.count
        let last = losses.last.map { formatNumber(($0 * 10_000).rounded() / 10_000) } ?? "–"
        let state = interrupted ? "stopped by interrupt at step \(done) of \(total); the model trained so far is kept"
            : finished ? "done: \(done) steps" : "step \(done) of \(total)"
        let time = formatNumber((seconds * 10).rounded() / 10)
        let line = "\(state) · loss \(last) · lr \(formatNumber(lr)) · \(time) s"
        var data: JSONObject = ["text/plain": .string(line)]
        data["image/svg+xml"] = .string(lossCurveSVG(losses, total: total, caption: line))
        return MimeBundle(data: data)
    }

    /// A loss curve as SVG: steps on x (0…total), loss on y (0…max seen), a polyline of the
    /// losses, and the first and last values written at the axis.
    static func lossCurveSVG(_ losses: [Double], total: Int, caption: String) -> String {
        let (width, height, left, bottom, top, right) = (480.0, 220.0, 48.0, 30.0, 12.0, 12.0)
        let finite = losses.filter(\.isFinite)
        let high = max(finite.max() ?? 1, 1e-12)
        let plotW = width - left - right, plotH = height - top - bottom
        func x(_ i: Int) -> Double { left + plotW * Double(i) / Double(max(total - 1, 1)) }
        func y(_ v: Double) -> Double { top + plotH * (1 - min(max(v / high, 0), 1)) }
        var points = ""
        // At most ~600 points: the curve is a picture, not data (the losses are returned).
        let stride = max(1, losses.count / 600)
        for i in Swift.stride(from: 0, to: losses.count, by: stride) where losses[i].isFinite {
            points += "\(format(x(i))),\(format(y(losses[i]))) "
        }
        var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" font-family=\"sans-serif\" font-size=\"11\">"
        svg += "<title>\(escapeXML(caption))</title>"
        svg += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>"
        svg += "<line x1=\"\(left)\" y1=\"\(top + plotH)\" x2=\"\(left + plotW)\" y2=\"\(top + plotH)\" stroke=\"#888\"/>"
        svg += "<line x1=\"\(left)\" y1=\"\(top)\" x2=\"\(left)\" y2=\"\(top + plotH)\" stroke=\"#888\"/>"
        svg += "<text x=\"\(left - 4)\" y=\"\(top + 4)\" text-anchor=\"end\">\(escapeXML(formatNumber((high * 1000).rounded() / 1000)))</text>"
        svg += "<text x=\"\(left - 4)\" y=\"\(top + plotH)\" text-anchor=\"end\">0</text>"
        svg += "<text x=\"\(left)\" y=\"\(height - 10)\">0</text>"
        svg += "<text x=\"\(left + plotW)\" y=\"\(height - 10)\" text-anchor=\"end\">\(total) steps</text>"
        svg += "<text x=\"\(left + plotW / 2)\" y=\"\(height - 10)\" text-anchor=\"middle\">loss</text>"
        svg += "<polyline fill=\"none\" stroke=\"#1f77b4\" stroke-width=\"1.5\" points=\"\(points)\"/>"
        svg += "</svg>"
        return svg
    }

    private static func format(_ v: Double) -> String { formatNumber((v * 10).rounded() / 10) }
}
