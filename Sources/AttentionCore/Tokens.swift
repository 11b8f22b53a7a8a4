/// Character- and word-level tokenisation with an explicit vocabulary.
public enum TokenLevel: String, Sendable {
    /// Every character (Swift `Character`, a user-perceived character) is a token.
    case char
    /// Words: the text split at runs of spaces, tabs and line breaks.
    case word

    /// The tokens of `text` at this level, in order.
    public func tokens(_ text: String) -> [String] {
        switch self {
        case .char: text.map { String($0) }
        case .word: text.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" }).map(String.init)
        }
    }

    /// The text of `tokens`: characters joined with nothing, words with one space.
    public func join(_ tokens: [String]) -> String { tokens.joined(separator: self == .char ? "" : " ") }

    /// The level a vocabulary was built at when the caller does not say: word when some
    /// token is longer than one character, char otherwise.
    public static func inferred(from vocabulary: [String]) -> TokenLevel {
        vocabulary.contains { $0.count > 1 } ? .word : .char
    }
}

/// A vocabulary: the sorted unique tokens of a text; a token's id is its index.
public struct Vocabulary: Sendable {
    public let tokens: [String]
    private let ids: [String: Int]

    /// The sorted unique tokens of `text` at `level` (sorted as Swift orders strings, which
    /// for ASCII text is byte order, as Python's `sorted(set(...))`).
    public init(text: String, level: TokenLevel) {
        self.init(uncheckedTokens: Array(Set(level.tokens(text))).sorted())
    }

    /// A vocabulary from its token list; a token listed twice keeps its first id.
    public init(uncheckedTokens tokens: [String]) {
        self.tokens = tokens
        var ids: [String: Int] = [:]
        for (index, token) in tokens.enumerated() where ids[token] == nil { ids[token] = index }
        self.ids = ids
    }

    /// The ids of `text`'s tokens; a token outside the vocabulary is an error that names it.
    public func encode(_ text: String, level: TokenLevel) throws(CoreError) -> [Int] {
        var out: [Int] = []
        for token in level.tokens(text) {
            guard let id = ids[token] else {
                throw .invalidArgument("the token \(quoted(token)) is not in the vocabulary (\(tokens.count) tokens); build the vocabulary from a text that contains it")
            }
            out.append(id)
        }
        return out
    }

    /// The text of `ids`; an id outside 0..<count is an error.
    public func decode(_ ids: [Int], level: TokenLevel) throws(CoreError) -> String {
        var out: [String] = []
        for id in ids {
            guard tokens.indices.contains(id) else {
                throw .invalidArgument("token id \(id) is outside the vocabulary 0..<\(tokens.count)")
            }
            out.append(tokens[id])
        }
        return level.join(out)
    }

    private func quoted(_ token: String) -> String {
        switch token {
        case "\n": "'\\n'"
        case "\t": "'\\t'"
        default: "'\(token)'"
        }
    }
}
