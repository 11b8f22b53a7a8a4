import AttentionLanguage
import Foundation
import Testing

/// Each `Golden/*.attn` program must produce exactly its `.expected` transcript.
/// Set ATTN_UPDATE_GOLDEN=1 to (re)write the `.expected` files in the source tree.
@Suite struct GoldenTests {
    @Test func goldenFolderIsNotEmpty() {
        #expect(Golden.programNames().count >= 8)
    }

    /// Every builtin is called somewhere in the golden programs.
    @Test func everyBuiltinIsExercised() throws {
        let directory = try #require(Golden.directory)
        let sources = try Golden.programNames().map { try String(contentsOf: directory.appendingPathComponent($0), encoding: .utf8) }.joined()
        let missing = BuiltinTable.names.filter { !sources.contains("\($0)(") }
        #expect(missing.isEmpty, "builtins without a golden test: \(missing)")
    }

    /// Every error kind but `Interrupted` (which needs a second thread: see RobustnessTests)
    /// appears in some expected transcript.
    @Test func everyErrorKindIsExercised() throws {
        let directory = try #require(Golden.directory)
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".expected") }
        let transcripts = try names.map { try String(contentsOf: directory.appendingPathComponent($0), encoding: .utf8) }.joined()
        let missing = DiagnosticKind.allCases.filter { $0 != .interrupted && !transcripts.contains("\($0.rawValue): ") }
        #expect(missing.isEmpty, "error kinds without a golden test: \(missing)")
    }

    @Test(arguments: Golden.programNames())
    func program(_ name: String) throws {
        let directory = try #require(Golden.directory)
        let source = try String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8)
        let actual = Golden.transcript(of: source)
        let expectedName = String(name.dropLast(".attn".count)) + ".expected"
        if ProcessInfo.processInfo.environment["ATTN_UPDATE_GOLDEN"] == "1" {
            let sourceDir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden")
            try actual.write(to: sourceDir.appendingPathComponent(expectedName), atomically: true, encoding: .utf8)
            return
        }
        let expected = try String(contentsOf: directory.appendingPathComponent(expectedName), encoding: .utf8)
        #expect(actual == expected, "\(name): transcript differs")
    }
}
