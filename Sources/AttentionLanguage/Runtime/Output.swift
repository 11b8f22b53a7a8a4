import JSONValues

/// A mimebundle: mime type → content, in the order front ends should prefer them.
/// `text/plain` is always present.
public struct MimeBundle: Equatable, Sendable {
    public var data: JSONObject
    public var metadata: JSONObject

    public init(data: JSONObject = [:], metadata: JSONObject = [:]) {
        self.data = data
        self.metadata = metadata
    }

    /// The `text/plain` entry ("" when absent).
    public var plainText: String { data["text/plain"]?.stringValue ?? "" }
}

/// Everything a cell sends out while it runs, in order. The kernel maps these onto
/// IOPub messages; the command line prints them. The language itself never does I/O.
public enum Output: Equatable, Sendable {
    /// `print(...)`: text for stdout, newline included.
    case stdout(String)
    /// `warn(...)`: text for stderr, newline included.
    case stderr(String)
    /// A display call (`show`, `heatmap`, `heads`). `displayID` lets it be updated later;
    /// `update` is true for an update of an earlier display with the same id.
    case display(MimeBundle, displayID: String?, update: Bool)
    /// `clear_output(wait:)`.
    case clearOutput(wait: Bool)
    /// `help(...)`: a page for the front end's pager (Jupyter's `payload` with source "page").
    case page(MimeBundle)
    /// Shows a widget (`slider(...)` as a cell's result, `show(w)`, `interact`'s controls).
    /// A host without widgets shows its text.
    case widget(Widget)
}

extension Widget: Equatable {
    public static func == (a: Widget, b: Widget) -> Bool { a === b }
}
