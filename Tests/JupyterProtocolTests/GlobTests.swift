import Testing

@testable import JupyterProtocol

@Suite struct GlobTests {
    @Test(arguments: [
        ("*", "", true), ("*", "anything", true), ("a*", "abc", true), ("a*", "bac", false),
        ("*attention*", "x = attention(q, k, v)", true), ("?", "é", true), ("??", "é", false),
        ("a?c", "abc", true), ("[ab]x", "bx", true), ("[ab]x", "cx", false), ("[a-c]", "b", true),
        ("[^a-c]", "b", false), ("[^a-c]", "z", true), ("*.attn", "lesson.attn", true),
        ("A*", "a", false), ("a*b*c", "aXbYc", true), ("a*b*c", "aXbY", false), ("[", "[", true),
    ])
    func glob(pattern: String, text: String, expected: Bool) {
        #expect(Glob.matches(pattern, text) == expected)
    }
}
