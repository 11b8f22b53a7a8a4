import AttentionCore
import JSONValues

/// Turns values into what students see: `print` text, cell results (mimebundles),
/// tables and attention heatmaps.
///
/// Pure functions from values to strings and bundles: no I/O, no global state, the same
/// input always gives the same bytes (tests pin them).
///
/// Decisions (the language reference documents these):
/// - Numbers (`formatNumber`): `nan`, `inf`, `-inf`; integral values with |x| < 10¹⁶ as
///   integers without a decimal point (`3`, `-7`, negative zero prints `0`); everything
///   else in the shortest form that reads back to the same `Double` (`0.1`,
///   `0.30000000000000004`, `1e-05`, `1e+16`, `1.5e+300`).
/// - Matrix entries in text and HTML are rounded for display to 6 significant digits
///   (C's `%.6g`: `0.333333`, `1.5e-07`, `1.23457e+06`), integral entries with
///   |x| < 10¹⁶ in full; the `application/vnd.attention.matrix+json` copy keeps every
///   bit.
/// - Elision: more than 12 rows shows the first 5, a `⋮` row and the last 5; more than
///   10 columns shows the first 4, a `…` column and the last 4 (`⋱` where they cross).
/// - Heatmap colour scale: an explicit `scale:` wins; otherwise [0, 1] when every finite
///   entry lies in [0, 1] (attention weights), else the finite entries' min…max (a
///   constant matrix gets value ± 0.5). Non-finite entries are drawn grey.
public enum Renderer {
    /// The mimetype of the machine-readable copy of every matrix result:
    /// `{"shape": [r, c], "data": [[...], ...]}` at full precision, non-finite entries as
    /// the strings `"inf"`, `"-inf"`, `"nan"`.
    public static let matrixMimeType = "application/vnd.attention.matrix+json"

    /// Rows shown in full up to this many; beyond, `rowHead` + `⋮` + `rowTail`.
    public static let maxFullRows = 12
    static let rowHead = 5
    static let rowTail = 5
    /// Columns shown in full up to this many; beyond, `colHead` + `…` + `colTail`.
    public static let maxFullCols = 10
    static let colHead = 4
    static let colTail = 4

    // MARK: Cell results

    /// A cell's result bundle. Always `text/plain`; matrices add `text/html` (a table)
    /// and `application/vnd.attention.matrix+json`; a non-empty list of only matrices
    /// adds `text/html` (one table per matrix). Never plain `application/json`.
    public static func bundle(for value: Value) -> MimeBundle {
        show(value, title: nil)
    }

    /// What `show(x, title:)` displays: the result bundle with the title as the first
    /// line of `text/plain` and in the table captions.
    public static func show(_ value: Value, title: String?) -> MimeBundle {
        let title = (title?.isEmpty ?? true) ? nil : title
        var data = JSONObject()
        let body = plainText(value)
        data["text/plain"] = .string(title.map { "\($0)\n\(body)" } ?? body)
        switch value {
        case .matrix(let m):
            data["text/html"] = .string(htmlTable(m, rowLabels: nil, colLabels: nil, title: title))
            data[matrixMimeType] = matrixJSON(m)
        case .list(let items) where !items.isEmpty && items.allSatisfy({ if case .matrix = $0 { true } else { false } }):
            var html = "<div class=\"attention-matrices\">"
            if let title { html += "<div style=\"font-weight:bold\">\(escapeXML(title))</div>" }
            for (i, item) in items.enumerated() {
                if html.utf8.count > maxListTextLength {  // as in the text: a bounded page
                    html += "<div>… \(items.count - i) more</div>"
                    break
                }
                if case .matrix(let m) = item { html += htmlTable(m, rowLabels: nil, colLabels: nil, title: "[\(i)]") }
            }
            html += "</div>"
            data["text/html"] = .string(html)
        default:
            break
        }
        return MimeBundle(data: data)
    }

    // MARK: Machine-readable copy

    /// `{"shape": [r, c], "data": [[...], ...]}`: every finite entry exactly (as a JSON
    /// number), non-finite entries as `"inf"`, `"-inf"`, `"nan"`.
    public static func matrixJSON(_ m: Matrix) -> JSONValue {
        var rows: [JSONValue] = []
        rows.reserveCapacity(m.rows)
        for i in 0..<m.rows {
            rows.append(.array(m.row(i).map { $0.isFinite ? .number($0) : .string(formatNumber($0)) }))
        }
        return .object(["shape": [.number(Double(m.rows)), .number(Double(m.cols))], "data": .array(rows)])
    }

    // MARK: Shared helpers

    /// Indices to show along an axis of length `n`: all of them up to `limit`, otherwise
    /// the first `head`, `nil` (the elision mark) and the last `tail`.
    static func shownIndices(_ n: Int, limit: Int, head: Int, tail: Int) -> [Int?] {
        if n <= limit { return Array(0..<n) }
        return Array(0..<head) + [nil] + Array((n - tail)..<n)
    }

    static func shownRows(_ n: Int) -> [Int?] { shownIndices(n, limit: maxFullRows, head: rowHead, tail: rowTail) }
    static func shownCols(_ n: Int) -> [Int?] { shownIndices(n, limit: maxFullCols, head: colHead, tail: colTail) }

    /// Escapes text for XML and HTML (content and attribute values alike). Characters XML
    /// cannot hold at all (most C0 controls) become U+FFFD so documents stay well formed.
    public static func escapeXML(_ s: String) -> String {
        TextEscaping.escape(s) { scalar in
            switch scalar {
            case "&": "&amp;"
            case "<": "&lt;"
            case ">": "&gt;"
            case "\"": "&quot;"
            case "'": "&#39;"
            case "\t", "\n", "\r": nil
            case _ where scalar.value < 0x20 || scalar.value == 0xFFFE || scalar.value == 0xFFFF: "\u{FFFD}"
            default: nil
            }
        }
    }

    /// Approximate rendered width in ems-ish units: 1 per ordinary character, 2 per wide
    /// (CJK, emoji) one. Used for text alignment and SVG label space.
    static func displayWidth(_ s: String) -> Int {
        var w = 0
        for ch in s {
            guard let v = ch.unicodeScalars.first?.value else { continue }
            w += (v >= 0x1100 && (v <= 0x115F || (v >= 0x2E80 && v <= 0xA4CF) || (v >= 0xAC00 && v <= 0xD7A3)
                || (v >= 0xF900 && v <= 0xFAFF) || (v >= 0xFE30 && v <= 0xFE4F) || (v >= 0xFF00 && v <= 0xFF60)
                || (v >= 0xFFE0 && v <= 0xFFE6) || (v >= 0x1F300 && v <= 0x1FAFF) || (v >= 0x20000 && v <= 0x3FFFD))) ? 2 : 1
        }
        return w
    }
}
