import Synchronization

/// A control a cell made (`slider`, `int_slider`, `dropdown`, `text`, `checkbox`), or the
/// box an `interact` shows its controls in. It is a reference: every binding of it sees the
/// value the student set last, through `w.value`.
///
/// The language knows nothing of Jupyter: the kernel shows a widget (as an ipywidgets
/// model over a comm) when a cell emits `Output.widget`, and sets its value through
/// `set(_:)`/`select(index:)` when the front end reports a change; both check the value,
/// so a malformed message can never put a widget out of its range.
public final class Widget: Sendable {
    public enum Kind: Sendable {
        /// A number in `min...max`, moved in steps of `step`.
        case slider(min: Double, max: Double, step: Double)
        /// A whole number in `min...max`.
        case intSlider(min: Int, max: Int)
        /// One of `options` (shown by their plain text).
        case dropdown(options: [Value])
        case text
        case checkbox
        /// A vertical box of widgets (an `interact`'s controls).
        case box([Widget])

        /// The builtin that makes this kind, as a student names it.
        public var name: String {
            switch self {
            case .slider: "slider"
            case .intSlider: "int_slider"
            case .dropdown: "dropdown"
            case .text: "text"
            case .checkbox: "checkbox"
            case .box: "box"
            }
        }
    }

    /// Unique in the process, in creation order.
    public let id: Int
    public let kind: Kind
    public let description: String
    private let current: Mutex<Value>
    private let observers = Mutex<[Interaction]>([])

    private static let counter = Atomic<Int>(0)

    init(kind: Kind, description: String, value: Value) {
        id = Self.counter.wrappingAdd(1, ordering: .relaxed).newValue
        self.kind = kind
        self.description = description
        current = Mutex(value)
    }

    /// The value the student set last (a box's is nil).
    public var value: Value { current.withLock { $0 } }

    /// A dropdown's option labels (empty for other kinds).
    public var optionLabels: [String] {
        guard case .dropdown(let options) = kind else { return [] }
        return options.map { Widget.label($0) }
    }

    /// The index of a dropdown's value among its options.
    public var selectedIndex: Int? {
        guard case .dropdown(let options) = kind else { return nil }
        let v = value
        return options.firstIndex { Widget.label($0) == Widget.label(v) }
    }

    static func label(_ v: Value) -> String {
        if case .string(let s) = v { return s }
        return Renderer.plainText(v)
    }

    /// Sets the value from the front end, if the kind accepts it: a slider a finite number
    /// (clamped into its range), an int slider a whole number (clamped), text a string, a
    /// checkbox a bool. Returns false (and keeps the value) for anything else; a dropdown
    /// changes only through `select(index:)`.
    @discardableResult
    public func set(_ proposed: Value) -> Bool {
        let accepted: Value
        switch (kind, proposed) {
        case (.slider(let lo, let hi, _), .number(let x)) where x.isFinite:
            accepted = .number(Swift.min(Swift.max(x, lo), hi))
        case (.intSlider(let lo, let hi), .number(let x)) where x.isFinite && x == x.rounded() && abs(x) < 1e15:
            accepted = .number(Double(Swift.min(Swift.max(Int(x), lo), hi)))
        case (.text, .string), (.checkbox, .bool):
            accepted = proposed
        default:
            return false
        }
        current.withLock { $0 = accepted }
        return true
    }

    /// Selects a dropdown's option by index; false (nothing changes) when out of range.
    @discardableResult
    public func select(index: Int) -> Bool {
        guard case .dropdown(let options) = kind, options.indices.contains(index) else { return false }
        current.withLock { $0 = options[index] }
        return true
    }

    /// The interactions that re-run when this widget changes.
    public var interactions: [Interaction] { observers.withLock { $0 } }

    func observe(by interaction: Interaction) { observers.withLock { $0.append(interaction) } }

    /// `w.value`, `w.description`, and a slider's `min`/`max`.
    func field(_ name: String) -> Value? {
        switch (name, kind) {
        case ("value", _): value
        case ("description", _): .string(description)
        case ("min", .slider(let lo, _, _)): .number(lo)
        case ("max", .slider(_, let hi, _)): .number(hi)
        case ("min", .intSlider(let lo, _)): .number(Double(lo))
        case ("max", .intSlider(_, let hi)): .number(Double(hi))
        case ("options", .dropdown(let options)): .list(options)
        default: nil
        }
    }

    var fieldNames: [String] {
        switch kind {
        case .slider, .intSlider: ["value", "description", "min", "max"]
        case .dropdown: ["value", "description", "options"]
        default: ["value", "description"]
        }
    }

    /// What `text/plain` shows: `slider(0…1, value: 0.5)`.
    public var plainText: String {
        let v = Renderer.plainText(value)
        return switch kind {
        case .slider(let lo, let hi, _): "slider(\(Renderer.formatNumber(lo))…\(Renderer.formatNumber(hi)), value: \(v))"
        case .intSlider(let lo, let hi): "int_slider(\(lo)…\(hi), value: \(v))"
        case .dropdown: "dropdown(\(optionLabels.count) options, value: \(v))"
        case .text: "text(value: \(v))"
        case .checkbox: "checkbox(value: \(v))"
        case .box(let children): children.map(\.plainText).joined(separator: "\n")
        }
    }
}

/// An `interact(f, name: widget, ...)`: the function, its controls by parameter name, the
/// box that shows them, and the display id of `f`'s output, which each change replaces.
public final class Interaction: Sendable {
    /// What runs on every change: a function the student gave `interact`, or `explore`'s
    /// attention explorer.
    public enum Action: Sendable {
        case function(Callable)
        case explorer(Explorer)
    }

    public let action: Action
    public let controls: [(name: String, widget: Widget)]
    public let box: Widget
    /// The id of the display that holds `f`'s output (Jupyter's `display_id`).
    public let displayID: String

    /// - Parameter number: this interaction's number in its session (1, 2, ...).
    init(_ action: Action, controls: [(name: String, widget: Widget)], number: Int) {
        self.action = action
        self.controls = controls
        box = Widget(kind: .box(controls.map(\.widget)), description: "", value: .nil)
        displayID = "attention-interact-\(number)"
    }
}
