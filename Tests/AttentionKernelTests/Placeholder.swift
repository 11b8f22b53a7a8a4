import Testing
@Test func AttentionKernelTestsBuilds() { #expect(Bool(true)) }
