import JSONValues

extension BuiltinTable {
    /// Widgets: controls the student moves, and `interact`, which re-runs a function on
    /// every change. The language only makes them and keeps their values; the kernel shows
    /// them (Jupyter widgets over comms) and reports changes (`Session.refresh`).
    static let widgets: [Builtin] = [
        Builtin("slider", .display, "slider(min, max, value: nil, step: nil, description: \"\")",
            "A slider for a number in [min, max] (a Jupyter FloatSlider). value: where it starts (default min); step: its step (default (max − min)/100). Its current value is w.value; give it to interact to re-run a function as it moves.",
            example: "t = slider(0.1, 3, value: 1, description: \"temperature\")\nt.value") { a throws(LangError) in
            let (lo, hi, value) = try WidgetBuiltins.bounds(a, whole: false)
            let step = try WidgetBuiltins.optionalNumber(a, "step") ?? (hi - lo) / 100
            guard step > 0, step.isFinite else {
                throw LangError(.argumentOutOfRange(builtin: "slider", parameter: "step", range: "(0, max − min]"), at: try a.range(of: "step"))
            }
            return .widget(Widget(kind: .slider(min: lo, max: hi, step: step), description: try a.string("description"), value: .number(value)))
        }.readingValues(),
        Builtin("int_slider", .display, "int_slider(min, max, value: nil, description: \"\")",
            "A slider for a whole number in [min, max] (a Jupyter IntSlider), e.g. a head or layer index. value: where it starts (default min).",
            example: "h = int_slider(0, 3, value: 1, description: \"head\")\nh.value") { a throws(LangError) in
            let (lo, hi, value) = try WidgetBuiltins.bounds(a, whole: true)
            return .widget(Widget(kind: .intSlider(min: Int(lo), max: Int(hi)), description: try a.string("description"), value: .number(value)))
        }.readingValues(),
        Builtin("dropdown", .display, "dropdown(options, value: nil, description: \"\")",
            "A menu of options (a list of strings or numbers; a Jupyter Dropdown). value: the option chosen first (default the first).",
            example: "d = dropdown([\"softmax\", \"hardmax\"], description: \"weights\")\nd.value") { a throws(LangError) in
            let options = try a.list("options", expected: "a list of strings or numbers")
            guard !options.isEmpty else { throw LangError(.noOptions, at: try a.range(of: "options")) }
            for option in options {
                switch option {
                case .string, .number: continue
                default:
                    throw LangError(.argumentItemType(builtin: "dropdown", parameter: "options", expected: "strings or numbers", found: option.kindDescription), at: try a.range(of: "options"))
                }
            }
            let w = Widget(kind: .dropdown(options: options), description: try a.string("description"), value: options[0])
            let value = try a.value("value")
            if case .nil = value { return .widget(w) }
            guard let index = options.firstIndex(where: { Widget.label($0) == Widget.label(value) && $0.typeName == value.typeName }) else {
                throw LangError(.notAnOption(value: Renderer.plainText(value), options: w.optionLabels), at: try a.range(of: "value"))
            }
            w.select(index: index)
            return .widget(w)
        }.readingValues(),
        Builtin("text", .display, "text(value: \"\", description: \"\")",
            "A one-line text box (a Jupyter Text); its value changes when the student presses Enter or leaves the box.",
            example: "s = text(value: \"the cat sat\", description: \"sentence\")\ns.value") { a throws(LangError) in
            .widget(Widget(kind: .text, description: try a.string("description"), value: .string(try a.string("value"))))
        }.readingValues(),
        Builtin("checkbox", .display, "checkbox(value: false, description: \"\")",
            "A checkbox (a Jupyter Checkbox) holding true or false.",
            example: "c = checkbox(value: true, description: \"causal\")\nc.value") { a throws(LangError) in
            .widget(Widget(kind: .checkbox, description: try a.string("description"), value: .bool(try a.bool("value"))))
        }.readingValues(),
        Builtin("interact", .display, "interact(f, name: widget, ...)",
            "Shows the widgets and, below them, what f(name: widget.value, ...) shows and returns; every change re-runs f and replaces that output in place. The widgets are matched to f's parameters by name. An error inside f is shown in that output and stops nothing else.",
            example: "func show_scaled(t) { heatmap(softmax([1, 2, 3; 3, 2, 1] / t)) }\ninteract(show_scaled, t: slider(0.1, 3, value: 1))") { a throws(LangError) in
            let callable = try a.function("f")
            var controls: [(name: String, widget: Widget)] = []
            for field in a.extraLabelled {
                guard case .widget(let w) = field.value, !w.isBox else {
                    throw LangError(.notAWidget(label: field.label, got: field.value.kindDescription), at: field.range)
                }
                controls.append((field.label, w))
            }
            if case .user(let function) = callable {
                let names = controls.map(\.name)
                let missing = function.parameters.filter { !names.contains($0) }
                let extra = names.filter { !function.parameters.contains($0) }
                if !missing.isEmpty || !extra.isEmpty {
                    throw LangError(.interactParameters(signature: function.signature, missing: missing, extra: extra), at: a.range)
                }
            }
            try Interactions.start(.function(callable), controls: controls, a)
            return .nil
        }.readingValues(),
    ]
}

enum WidgetBuiltins {
    /// A slider's `min`, `max` and starting `value` (default `min`), checked in that order:
    /// finite, min below max, value within; `whole` reads them as whole numbers (int_slider).
    static func bounds(_ a: Arguments, whole: Bool) throws(LangError) -> (lo: Double, hi: Double, value: Double) {
        func read(_ name: String) throws(LangError) -> Double { whole ? Double(try a.int(name)) : try a.number(name) }
        let lo = try read("min"), hi = try read("max")
        guard lo.isFinite, hi.isFinite, lo < hi else { throw LangError(.widgetRange(builtin: a.info.name, min: lo, max: hi), at: a.range) }
        let value = if case .nil = try a.value("value") { lo } else { try read("value") }
        guard value >= lo, value <= hi else {
            throw LangError(.argumentOutOfRange(builtin: a.info.name, parameter: "value", range: "[\(Renderer.formatNumber(lo)), \(Renderer.formatNumber(hi))]"),
                            at: try a.range(of: "value"))
        }
        return (lo, hi, value)
    }

    static func optionalNumber(_ a: Arguments, _ name: String) throws(LangError) -> Double? {
        if case .nil = try a.value(name) { return nil }
        return try a.number(name)
    }
}

extension Widget {
    var isBox: Bool { if case .box = kind { true } else { false } }
}

/// Runs an interaction's function and shows what it output as one display, so the next
/// change can replace it in place (one `display_id`, Jupyter's `update_display_data`).
enum Interactions {
    /// A new interaction of this cell: numbered, observing its controls, shown (the
    /// controls' box), then run once so its first output appears below them.
    static func start(_ action: Interaction.Action, controls: [(name: String, widget: Widget)], _ a: Arguments) throws(LangError) {
        a.evaluator.globals.interactions += 1
        let interaction = Interaction(action, controls: controls, number: a.evaluator.globals.interactions)
        for control in controls { control.widget.observe(by: interaction) }
        a.evaluator.host.emit(.widget(interaction.box))
        try render(interaction, a.evaluator, calledAt: a.range)
    }

    /// Calls `f` with the controls' current values (by name), captures its outputs and its
    /// result, and emits them as one display with the interaction's id: a new display, or,
    /// with `update`, a replacement of the last one. An error inside `f` becomes part of
    /// that display; only an interrupt is thrown on (the cell or handler stops).
    /// `calledAt`: the `interact` call, for the first run; nil for a re-run between cells
    /// (which has no caller to name).
    static func render(_ interaction: Interaction, _ evaluator: Evaluator, calledAt: SourceRange?) throws(LangError) {
        let update = calledAt == nil
        // A re-run draws for the live page: HTML only (see `CellHost.wantsRasterImages`).
        let capture = CapturingHost(forwardingTo: evaluator.host, rasterImages: !update && evaluator.host.wantsRasterImages)
        let arguments = interaction.controls.map {
            Evaluator.EvaluatedArgument(label: $0.name, labelRange: nil, value: $0.widget.value, expr: .nil(.none))
        }
        var interrupted: LangError?
        do throws(LangError) {
            let value = try evaluator.withHost(capture) { () throws(LangError) -> Value in
                switch interaction.action {
                case .function(let f): return try evaluator.call(f, arguments, at: calledAt ?? .none, calleeRange: calledAt ?? .none)
                case .explorer(let explorer): return try explorer.draw(interaction.controls, evaluator, at: calledAt ?? .none)
                }
            }
            if case .nil = value {} else { capture.emit(.display(Renderer.bundle(for: value), displayID: nil, update: false)) }
        } catch {
            var error = error
            if update { error.callers.removeAll { $0 == SourceRange.none.start } }
            capture.fail(error.diagnostic(cell: evaluator.source))
            if error.reason == .interrupted { interrupted = error }
        }
        evaluator.host.emit(.display(capture.bundle, displayID: interaction.displayID, update: update))
        if let interrupted { throw interrupted }
    }
}

/// Collects what an interaction's function outputs, to show it as one display.
final class CapturingHost: CellHost {
    private let host: CellHost
    private var html: [String] = []
    private var plain: [String] = []
    private var images: [String] = []

    let wantsRasterImages: Bool

    init(forwardingTo host: CellHost, rasterImages: Bool) {
        self.host = host
        wantsRasterImages = rasterImages
    }

    func emit(_ output: Output) {
        switch output {
        case .stdout(let text):
            html.append("<pre>\(Renderer.escapeXML(text))</pre>")
            plain.append(text)
        case .stderr(let text):
            html.append("<pre style=\"background-color: #fdd\">\(Renderer.escapeXML(text))</pre>")
            plain.append(text)
        case .display(let bundle, _, _), .page(let bundle):
            if let h = bundle.data["text/html"]?.stringValue {
                html.append(h)
            } else if let png = bundle.data["image/png"]?.stringValue {
                html.append("<img src=\"data:image/png;base64,\(png)\">")
            } else {
                html.append("<pre>\(Renderer.escapeXML(bundle.plainText))</pre>")
            }
            if let png = bundle.data["image/png"]?.stringValue { images.append(png) }
            plain.append(bundle.plainText)
        case .widget(let w):
            html.append("<pre>\(Renderer.escapeXML(w.plainText))</pre>")
            plain.append(w.plainText)
        case .clearOutput:
            html = []
            plain = []
            images = []
        }
    }

    /// Shows a failure of the function, in the student's words.
    func fail(_ diagnostic: Diagnostic) {
        html.append("<pre class=\"attention-error\" style=\"color: #a00; background-color: #fee\">\(Renderer.escapeXML(diagnostic.rendered))</pre>")
        plain.append(diagnostic.rendered)
    }

    /// Everything captured as one bundle; a lone image also as `image/png`, for viewers
    /// that show no HTML.
    var bundle: MimeBundle {
        var data = JSONObject()
        data["text/plain"] = .string(plain.map { $0.hasSuffix("\n") ? String($0.dropLast()) : $0 }.joined(separator: "\n"))
        data["text/html"] = .string("<div class=\"attention-interact-output\">" + html.joined() + "</div>")
        if images.count == 1 { data["image/png"] = .string(images[0]) }
        return MimeBundle(data: data)
    }

    func readInput(prompt: String) -> String? { host.readInput(prompt: prompt) }
    var isInterruptRequested: Bool { host.isInterruptRequested }
    func builtinCalled(_ name: String) { host.builtinCalled(name) }
    var fileFolder: String? { host.fileFolder }
}
