import AttentionLanguage
import Foundation
import Testing

/// Each `Golden/*.attn` program must produce exactly its `.expected` transcript.
/// Set ATTN_UPDATE_GOLDEN=1 to (re)write the `.expected` files in the source tree.
@Suite struct GoldenTests {
    @Test func goldenFolderIsNotEmpty() {
        #expect(Golden.programNames().count >= 8)
    }

    /// Every entry of the builtin table runs its implementation in the golden programs
    /// (the host is told of each builtin as it runs).
    @Test func everyBuiltinRunsInTheGoldenPrograms() throws {
        let directory = try #require(Golden.directory)
        // save and load write into a fresh folder, not the package.
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("golden-all-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let host = RecordingHost(inputs: ["Ada"], folder: folder.path)
        for name in Golden.programNames() {
            _ = Golden.transcript(of: try String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8), host: host)
        }
        let missing = BuiltinTable.names.filter { !host.calledBuiltins.contains($0) }
        #expect(missing.isEmpty, "builtins that no golden program runs: \(missing)")
    }

    /// Every error kind but `Interrupted` (which needs a second thread: see RobustnessTests)
    /// and `InternalError` (a kernel bug no program can reach: see BuiltinTableTests)
    /// appears in some expected transcript.
    @Test func everyErrorKindIsExercised() throws {
        let directory = try #require(Golden.directory)
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".expected") }
        let transcripts = try names.map { try String(contentsOf: directory.appendingPathComponent($0), encoding: .utf8) }.joined()
        let missing = DiagnosticKind.allCases.filter { $0 != .interrupted && $0 != .internalError && !transcripts.contains("\($0.rawValue): ") }
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
