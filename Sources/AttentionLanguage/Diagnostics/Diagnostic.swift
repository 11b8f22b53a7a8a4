/// Why a cell failed, as a value: kind, a message for students, and where.
///
/// `rendered` is the form a notebook shows (pinned by the golden tests):
///
///     ShapeError: cannot multiply a 4×3 matrix by a 4×3 matrix with @: the left has 3 columns but the right has 4 rows; did you mean K.T?
///       --> line 3, column 9
///        |
///      3 | let y = Q @ K
///        |         ^
///
/// An error inside a function names it (`--> line 2, column 5, in function f`) and
/// adds one `called from line N, column M` line per call, innermost first.
public struct Diagnostic: Error, Equatable, Sendable, CustomStringConvertible {
    public let kind: DiagnosticKind
    /// One or two sentences, without the kind.
    public let message: String
    /// Where the error is (nil only for errors with no place, e.g. an interrupt before the first statement).
    public let location: SourceLocation?
    /// The source line `location` is in, for the caret display.
    public let sourceLine: String?
    /// The function the error happened in, when it is not top-level code of the cell.
    public let function: String?
    /// Call sites leading to the error, innermost first.
    public let callers: [SourceLocation]

    /// Jupyter's `ename`.
    public var ename: String { kind.rawValue }
    /// Jupyter's `evalue`.
    public var evalue: String { message }
    /// `rendered`, split into lines (Jupyter's `traceback`).
    public var traceback: [String] {
        var lines = rendered.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if lines.last == "" { lines.removeLast() }
        return lines
    }

    public var description: String { rendered }

    /// The most "called from" lines `rendered` shows.
    public static let maxCallerLines = 8

    /// The error as a notebook shows it: headline, location, source line and caret. Ends with "\n".
    public var rendered: String {
        var out = "\(kind.rawValue): \(message)\n"
        guard let location else { return out }
        out += "  --> \(location)"
        if let function { out += ", in function \(function)" }
        out += "\n"
        if let sourceLine {
            let gutter = String(location.line)
            let pad = String(repeating: " ", count: gutter.count)
            out += " \(pad) |\n"
            out += " \(gutter) | \(sourceLine)\n"
            // Keep tabs so the caret lines up under the same character.
            let prefix = sourceLine.prefix(max(0, location.column - 1)).map { $0 == "\t" ? "\t" : " " }.joined()
            out += " \(pad) | \(prefix)^\n"
        }
        // Consecutive identical call sites (recursion) are shown once with a count,
        // and at most `maxCallerLines` lines are shown.
        var groups: [(SourceLocation, Int)] = []
        for caller in callers {
            if let last = groups.last, last.0 == caller {
                groups[groups.count - 1].1 += 1
            } else {
                groups.append((caller, 1))
            }
        }
        for (location, count) in groups.prefix(Diagnostic.maxCallerLines) {
            out += "  called from \(location)" + (count > 1 ? " (\(count) times)" : "") + "\n"
        }
        if groups.count > Diagnostic.maxCallerLines {
            out += "  ... and \(groups.count - Diagnostic.maxCallerLines) more calls\n"
        }
        return out
    }
}
