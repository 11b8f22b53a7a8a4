import AttentionLanguage
import JSONValues
import JupyterProtocol
import Synchronization

/// The language's widgets as Jupyter widgets (the ipywidgets protocol 2.1, the models of
/// `@jupyter-widgets/controls` 2.0.0): each widget is a model behind a comm of target
/// `jupyter.widget`, with its layout and style as models of their own, referenced as
/// `"IPY_MODEL_<comm id>"`.
///
/// - Showing a widget opens its comms (once; a widget shown again reuses them) and
///   displays `application/vnd.jupyter.widget-view+json`.
/// - An `update` from the front end sets the widget's value (checked by the language:
///   a malformed value is logged and the view is reset), is echoed (`echo_update`), and
///   re-runs the interactions that watch the widget, unless a later message for one of
///   their widgets is already waiting (the latest value wins).
/// - `request_state` is answered with `update`; `jupyter.widget.control`'s
///   `request_states` with every model's state (a page reload).
final class WidgetComms: Sendable {
    private struct Models {
        /// Comm ids of the models of each shown widget: the widget's own, its layout's, its style's.
        var byWidget: [Int: (model: String, layout: String, style: String?)] = [:]
        /// Everything opened, for `request_states`: comm id → (model name, module, state).
        var states: [String: (name: String, module: String, state: JSONObject)] = [:]
        /// The widget behind each widget model's comm.
        var widgets: [String: Widget] = [:]
    }

    private let models = Mutex(Models())
    private let comms: CommManager
    private let session: Session
    private let outputLimit: OutputLimit
    private let log: @Sendable (String) -> Void

    static let controls = "@jupyter-widgets/controls"
    static let base = "@jupyter-widgets/base"
    static let version = "2.0.0"
    static let viewMimeType = "application/vnd.jupyter.widget-view+json"

    init(comms: CommManager, session: Session, outputLimit: OutputLimit, log: @escaping @Sendable (String) -> Void) {
        self.comms = comms
        self.session = session
        self.outputLimit = outputLimit
        self.log = log
        comms.register(target: "jupyter.widget.control") { [weak self] comm, _, _ in
            guard let self else { return .ok }
            comm.onMessage { [weak self] comm, payload, context in self?.control(comm, payload, context) ?? .ok }
            return .ok
        }
        // Models created by the front end are not supported: the comm is closed at once.
        comms.register(target: "jupyter.widget") { [log] comm, _, context in
            log("comm_open to jupyter.widget from the front end: models are made by the kernel only; closed")
            comm.close(in: context)
            return .ok
        }
    }

    // MARK: - Showing

    /// The display of `widget`: its view's mimebundle (and a text for front ends without widgets).
    func display(_ widget: Widget, in context: ExecutionContext) -> JSONObject {
        let id = open(widget, in: context)
        return [
            "text/plain": .string(widget.plainText),
            Self.viewMimeType: ["model_id": .string(id), "version_major": 2, "version_minor": 0],
        ]
    }

    /// Opens `widget`'s models unless they are open; returns the widget model's comm id.
    private func open(_ widget: Widget, in context: ExecutionContext) -> String {
        if let known = models.withLock({ $0.byWidget[widget.id] }) { return known.model }
        var children: [String] = []
        if case .box(let members) = widget.kind { children = members.map { open($0, in: context) } }
        let layout = openModel(WidgetState.layout(), in: context)
        let styleState = WidgetState.style(for: widget)
        let style = styleState.map { openModel($0, in: context) }
        let state = WidgetState.model(widget, layout: layout, style: style, children: children)
        let comm = openModel(state, in: context)
        models.withLock {
            $0.byWidget[widget.id] = (comm, layout, style)
            $0.widgets[comm] = widget
        }
        return comm
    }

    private func openModel(_ state: JSONObject, in context: ExecutionContext) -> String {
        let payload = CommPayload(data: ["state": .object(state), "buffer_paths": []], metadata: ["version": "2.1.0"])
        let comm = comms.open(target: "jupyter.widget", payload, in: context)
        models.withLock {
            $0.states[comm.id] = (state["_model_name"]?.stringValue ?? "", state["_model_module"]?.stringValue ?? "", state)
        }
        comm.onMessage { [weak self] comm, payload, context in self?.message(comm, payload, context) ?? .ok }
        comm.onClose { [weak self] comm, _, _ in
            // Forgotten, so showing the widget again opens new models.
            self?.models.withLock { models in
                models.states.removeValue(forKey: comm.id)
                if let widget = models.widgets.removeValue(forKey: comm.id) { models.byWidget.removeValue(forKey: widget.id) }
            }
            return .ok
        }
        return comm.id
    }

    // MARK: - Messages from the front end

    private func message(_ comm: Comm, _ payload: CommPayload, _ context: ExecutionContext) -> ExecuteOutcome {
        let method = payload.data["method"]?.stringValue
        switch method {
        case "update":
            guard let state = payload.data["state"]?.objectValue else {
                log("widget \(comm.id): update without a state object: ignored")
                return .ok
            }
            return update(comm, state, payload, context)
        case "request_state":
            let state = models.withLock { $0.states[comm.id]?.state } ?? [:]
            comm.send(CommPayload(data: ["method": "update", "state": .object(state), "buffer_paths": []]), in: context)
            return .ok
        case "custom":
            return .ok
        default:
            log("widget \(comm.id): unknown method \(method ?? "(none)"): ignored")
            return .ok
        }
    }

    private func update(_ comm: Comm, _ state: JSONObject, _ payload: CommPayload, _ context: ExecutionContext) -> ExecuteOutcome {
        guard let widget = models.withLock({ $0.widgets[comm.id] }) else {
            // A layout or style model: keep what the front end says, nothing depends on it.
            models.withLock { models in
                for (key, value) in state.pairs { models.states[comm.id]?.state[key] = value }
            }
            return .ok
        }
        var accepted = JSONObject()
        var refused: [String] = []
        for (key, value) in state.pairs {
            switch (key, value) {
            case ("value", _) where WidgetState.set(widget, from: value):
                accepted[key] = WidgetState.value(widget)
            case ("index", .number(let i)) where i == i.rounded() && abs(i) < 1e9 && widget.select(index: Int(i)):
                accepted["index"] = .number(i)
            case ("value", _), ("index", _):
                refused.append("\(key) = \(value.serialized())")
            default:
                // View attributes (`_view_count`, focus, ...) change no value: kept as sent.
                accepted[key] = value
            }
        }
        models.withLock { models in
            for (key, value) in accepted.pairs { models.states[comm.id]?.state[key] = value }
        }
        if !refused.isEmpty {
            log("widget \(comm.id) (\(widget.kind.name)): refused \(refused.joined(separator: ", ")); the view is reset")
            let current = models.withLock { $0.states[comm.id]?.state } ?? [:]
            comm.send(CommPayload(data: ["method": "update", "state": .object(current), "buffer_paths": []]), in: context)
        }
        guard !accepted.isEmpty else { return .ok }
        // Protocol 2.1: the kernel echoes the state it accepted, as a child of the update.
        comm.send(CommPayload(data: ["method": "echo_update", "state": .object(accepted), "buffer_paths": []]), in: context)
        guard accepted["value"] != nil || accepted["index"] != nil else { return .ok }
        return refresh(widget, pending: payload.pendingComms, context)
    }

    /// Re-runs the interactions that watch `widget`, each unless one of its widgets has a
    /// message already waiting (that message will re-run it with newer values).
    private func refresh(_ widget: Widget, pending: Set<String>, _ context: ExecutionContext) -> ExecuteOutcome {
        for interaction in widget.interactions {
            let ids = models.withLock { models in interaction.controls.compactMap { models.byWidget[$0.widget.id]?.model } }
            if ids.contains(where: pending.contains) { continue }
            let host = JupyterHost(context: context, limit: outputLimit, widgets: self)
            let result = session.refresh(interaction, host: host)
            host.finish()
            if case .failure(let d) = result {
                return .error(ExecutionError(ename: d.ename, evalue: d.evalue, traceback: d.traceback))
            }
        }
        return .ok
    }

    /// `jupyter.widget.control`: `request_states` is answered with every open model's state.
    private func control(_ comm: Comm, _ payload: CommPayload, _ context: ExecutionContext) -> ExecuteOutcome {
        guard payload.data["method"]?.stringValue == "request_states" else {
            log("jupyter.widget.control: unknown method \(payload.data["method"]?.serialized() ?? "(none)"): ignored")
            return .ok
        }
        var states = JSONObject()
        let open = Set(comms.openComms(target: "jupyter.widget").map(\.id))
        for (id, model) in models.withLock({ $0.states }) where open.contains(id) {
            states[id] = [
                "model_name": .string(model.name), "model_module": .string(model.module),
                "model_module_version": .string(Self.version), "state": .object(model.state),
            ]
        }
        comm.send(CommPayload(data: ["method": "update_states", "states": .object(states), "buffer_paths": []]), in: context)
        return .ok
    }
}

/// The ipywidgets 8 model states of the language's widgets (`@jupyter-widgets/controls`
/// 2.0.0, `LayoutModel` of `@jupyter-widgets/base` 2.0.0).
enum WidgetState {
    static func common(_ model: String, view: String?, module: String = WidgetComms.controls, viewModule: String = WidgetComms.controls) -> JSONObject {
        [
            "_model_module": .string(module), "_model_module_version": .string(WidgetComms.version), "_model_name": .string(model),
            "_view_count": .null, "_view_module": .string(viewModule), "_view_module_version": .string(WidgetComms.version),
            "_view_name": view.map(JSONValue.string) ?? .null,
        ]
    }

    static func layout() -> JSONObject {
        var s = common("LayoutModel", view: "LayoutView", module: WidgetComms.base, viewModule: WidgetComms.base)
        for key in ["align_content", "align_items", "align_self", "border_bottom", "border_left", "border_right", "border_top", "bottom",
                    "display", "flex", "flex_flow", "grid_area", "grid_auto_columns", "grid_auto_flow", "grid_auto_rows",
                    "grid_column", "grid_gap", "grid_row", "grid_template_areas", "grid_template_columns", "grid_template_rows",
                    "height", "justify_content", "justify_items", "left", "margin", "max_height", "max_width", "min_height",
                    "min_width", "object_fit", "object_position", "order", "overflow", "padding", "right", "top", "visibility", "width"] {
            s[key] = .null
        }
        return s
    }

    /// The style model a widget references (none for a box).
    static func style(for widget: Widget) -> JSONObject? {
        var s: JSONObject
        switch widget.kind {
        case .slider, .intSlider:
            s = common("SliderStyleModel", view: "StyleView", viewModule: WidgetComms.base)
            s["handle_color"] = .null
        case .text:
            s = common("TextStyleModel", view: "StyleView", viewModule: WidgetComms.base)
            for key in ["background", "font_size", "text_color"] { s[key] = .null }
        case .checkbox:
            s = common("CheckboxStyleModel", view: "StyleView", viewModule: WidgetComms.base)
            s["background"] = .null
        case .dropdown:
            s = common("DescriptionStyleModel", view: "StyleView", viewModule: WidgetComms.base)
        case .box:
            return nil
        }
        s["description_width"] = ""
        return s
    }

    static func model(_ widget: Widget, layout: String, style: String?, children: [String]) -> JSONObject {
        let (model, view): (String, String) = switch widget.kind {
        case .slider: ("FloatSliderModel", "FloatSliderView")
        case .intSlider: ("IntSliderModel", "IntSliderView")
        case .dropdown: ("DropdownModel", "DropdownView")
        case .text: ("TextModel", "TextView")
        case .checkbox: ("CheckboxModel", "CheckboxView")
        case .box: ("VBoxModel", "VBoxView")
        }
        var s = common(model, view: view)
        s["_dom_classes"] = []
        s["layout"] = .string("IPY_MODEL_" + layout)
        if let style { s["style"] = .string("IPY_MODEL_" + style) }
        s["tabbable"] = .null
        s["tooltip"] = .null
        if case .box = widget.kind {
            s["box_style"] = ""
            s["children"] = .array(children.map { .string("IPY_MODEL_" + $0) })
            return s
        }
        s["description"] = .string(widget.description)
        s["description_allow_html"] = false
        s["disabled"] = false
        switch widget.kind {
        case .slider(let lo, let hi, let step):
            s["behavior"] = "drag-tap"
            s["continuous_update"] = true
            s["max"] = .number(hi)
            s["min"] = .number(lo)
            s["orientation"] = "horizontal"
            s["readout"] = true
            s["readout_format"] = ".2f"
            s["step"] = .number(step)
        case .intSlider(let lo, let hi):
            s["behavior"] = "drag-tap"
            s["continuous_update"] = true
            s["max"] = .number(Double(hi))
            s["min"] = .number(Double(lo))
            s["orientation"] = "horizontal"
            s["readout"] = true
            s["readout_format"] = "d"
            s["step"] = 1
        case .dropdown:
            s["_options_labels"] = .array(widget.optionLabels.map(JSONValue.string))
            s["index"] = widget.selectedIndex.map { .number(Double($0)) } ?? .null
            return s
        case .text:
            s["continuous_update"] = false
            s["placeholder"] = "\u{200B}"
        case .checkbox:
            s["indent"] = true
        case .box:
            break
        }
        s["value"] = value(widget)
        return s
    }

    /// The widget's value as its model holds it.
    static func value(_ widget: Widget) -> JSONValue {
        switch widget.value {
        case .number(let d): .number(d)
        case .bool(let b): .bool(b)
        case .string(let s): .string(s)
        default: .null
        }
    }

    /// Sets the widget's value from a model's `value`; false when the kind refuses it.
    static func set(_ widget: Widget, from json: JSONValue) -> Bool {
        switch json {
        case .number(let d): widget.set(.number(d))
        case .bool(let b): widget.set(.bool(b))
        case .string(let s): widget.set(.string(s))
        default: false
        }
    }
}
