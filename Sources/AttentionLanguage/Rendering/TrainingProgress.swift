import JSONValues

extension Renderer {
    /// The live display of `train`: a line of progress (step, loss, learning rate, time) over
    /// the loss curve so far (`linePlot`: a PNG, also inside the HTML, so every viewer draws it,
    /// trusted or not). Sent again with the same display id as training goes on.
    static func trainingProgress(losses: [Double], total: Int, lr: Double, seconds: Double, finished: Bool, interrupted: Bool) -> MimeBundle {
        let done = losses.count
        let last = losses.last.map { formatNumber(($0 * 10_000).rounded() / 10_000) } ?? "–"
        let state = interrupted ? "stopped by interrupt at step \(done) of \(total); the model trained so far is kept"
            : finished ? "done: \(done) steps" : "step \(done) of \(total)"
        let time = formatNumber((seconds * 10).rounded() / 10)
        let line = "\(state) · loss \(last) · lr \(formatNumber(lr)) · \(time) s"
        var bundle = linePlot(losses, title: "training loss", xLabel: "step", yLabel: "loss")
        bundle.data["text/plain"] = .string(line)
        if case .string(let image)? = bundle.data["text/html"] {
            bundle.data["text/html"] = .string("<div class=\"attention-training\"><div>\(escapeXML(line))</div>\(image)</div>")
        }
        return bundle
    }
}
