import Testing
@Test func JupyterProtocolTestsBuilds() { #expect(Bool(true)) }
