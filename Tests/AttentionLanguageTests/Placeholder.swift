import Testing
@Test func AttentionLanguageTestsBuilds() { #expect(Bool(true)) }
