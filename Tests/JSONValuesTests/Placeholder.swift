import Testing
@Test func JSONValuesTestsBuilds() { #expect(Bool(true)) }
