import Testing
@Test func AttentionCoreTestsBuilds() { #expect(Bool(true)) }
