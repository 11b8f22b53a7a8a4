@testable import AttentionKernel
import Foundation
import Testing

/// The reference built into the binary (for the installed help page) is docs/LANGUAGE.md.
@Suite struct LanguageReferenceTests {
    @Test func theBuiltInReferenceIsDocsLanguageMD() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let docs = try String(contentsOf: root.appendingPathComponent("docs/LANGUAGE.md"), encoding: .utf8)
        #expect(LanguageReference.markdown == docs, "run scripts/embed_reference.py after editing docs/LANGUAGE.md")
    }
}
