/// A position in a cell's source: 1-based line and column, columns counted in
/// characters (what a student sees in the editor).
public struct SourceLocation: Equatable, Hashable, Sendable, CustomStringConvertible {
    public let line: Int
    public let column: Int

    public init(line: Int, column: Int) {
        self.line = line
        self.column = column
    }

    /// "line 3, column 5", the way diagnostics say it.
    public var description: String { "line \(line), column \(column)" }
}

/// A stretch of source: where it starts (for messages) and its character offsets
/// (to quote the source text, e.g. in "did you mean K.T?").
struct SourceRange: Equatable, Sendable {
    var start: SourceLocation
    /// Offset of the first character, counted in `Character`s from the start of the source.
    var startOffset: Int
    /// Offset one past the last character.
    var endOffset: Int

    static let none = SourceRange(start: SourceLocation(line: 1, column: 1), startOffset: 0, endOffset: 0)

    /// The range from the start of `self` to the end of `other`.
    func through(_ other: SourceRange) -> SourceRange {
        SourceRange(start: start, startOffset: startOffset, endOffset: max(endOffset, other.endOffset))
    }
}

/// The text of one cell (or file), kept with its lines so that diagnostics can quote them.
/// Functions keep a reference to the source they were defined in, so an error inside a
/// function called from a later cell still shows the right line.
final class SourceText: Sendable {
    let text: String
    let characters: [Character]

    init(_ text: String) {
        self.text = text
        self.characters = Array(text)
    }

    /// The lines (split at every `Character.isNewline`), worked out when asked: only
    /// diagnostics and completion quote lines, and most cells never fail.
    var lines: [String] {
        var lines: [String] = []
        var start = 0
        for (k, ch) in characters.enumerated() where ch.isNewline {
            lines.append(String(characters[start..<k]))
            start = k + 1
        }
        lines.append(String(characters[start...]))
        return lines
    }

    /// Line `n` (1-based), or nil when out of range.
    func line(_ n: Int) -> String? {
        let lines = self.lines
        return n >= 1 && n <= lines.count ? lines[n - 1] : nil
    }

    /// The source text of `range`, trimmed of surrounding whitespace.
    func slice(_ range: SourceRange) -> String {
        let lo = max(0, min(range.startOffset, characters.count))
        let hi = max(lo, min(range.endOffset, characters.count))
        return String(characters[lo..<hi]).trimmingWhitespace()
    }
}

extension String {
    func trimmingWhitespace() -> String {
        var s = Substring(self)
        while let f = s.first, f.isWhitespace { s.removeFirst() }
        while let l = s.last, l.isWhitespace { s.removeLast() }
        return String(s)
    }
}
