@testable import AttentionLanguage
import Foundation
import Testing

/// The builtin table is the one registry: these hold its entries to their contract.
@Suite struct BuiltinTableTests {
    @Test func namesAreUniqueAndEverySignatureNamesItsBuiltin() {
        #expect(Set(BuiltinTable.names).count == BuiltinTable.all.count)
        for builtin in BuiltinTable.all {
            #expect(builtin.signature.hasPrefix(builtin.name + "("), "\(builtin.name)")
            #expect(!builtin.doc.isEmpty && !builtin.example.isEmpty, "\(builtin.name)")
        }
    }

    @Test func everyCategoryHasBuiltinsAndHelpListsThemInTableOrder() {
        for category in BuiltinCategory.allCases {
            #expect(BuiltinTable.all.contains { $0.category == category }, "\(category)")
        }
        let listed = BuiltinTable.overview.split(separator: "\n").filter { $0.hasPrefix("    ") }
        #expect(listed.map { $0.trimmingPrefix("    ") } == BuiltinTable.all.map { Substring($0.signature) })
    }

    /// An implementation that reads a parameter its signature does not declare ends the
    /// cell with an InternalError naming both, instead of reading nil and blaming the student.
    @Test func readingAnUndeclaredArgumentFailsLoudly() throws {
        let faulty = Builtin("faulty", .other, "faulty(X)", "Reads x, not X.", example: "faulty(1)") { a throws(LangError) in
            .matrix(try a.matrix("x"))
        }
        let source = SourceText("faulty(1)")
        let evaluator = Evaluator(
            globals: GlobalScope(), host: RecordingHost(), limits: Limits(), interruptFlag: InterruptFlag(), source: source,
            stackGuard: StackGuard(budget: 1 << 20))
        let range = SourceRange.none
        let arguments = [Evaluator.EvaluatedArgument(label: nil, labelRange: nil, value: .number(1), expr: .number(1, range))]
        do {
            _ = try faulty.implementation(try Arguments(info: faulty, evaluator: evaluator, range: range, arguments: arguments))
            Issue.record("reading an undeclared argument should fail")
        } catch {
            #expect(error.kind == .internalError)
            #expect(error.message.contains("'x'") && error.message.contains("faulty(X)"))
        }
    }
}

/// Reads the builtin files' source: every argument name an entry's implementation asks
/// for by a string literal (`a.matrix("X")`, `BuildBuiltins.tokenList(a, "toks")`) must be
/// declared by that entry's signature. The runtime check (`InternalError`) catches the
/// rest; this one needs no program to reach the line.
@Suite struct BuiltinSourceTests {
    static let builtinsFolder = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Sources/AttentionLanguage/Builtins")

    @Test func everyArgumentNameAnEntryReadsIsInItsSignature() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.builtinsFolder.path).filter { $0.hasSuffix(".swift") }
        var checked = 0
        for file in files {
            let text = try String(contentsOf: Self.builtinsFolder.appendingPathComponent(file), encoding: .utf8)
            // Each entry runs from `Builtin("name"` to the next entry or the end of the table.
            let starts = text.ranges(of: "Builtin(\"").map(\.lowerBound)
            for (index, start) in starts.enumerated() {
                let end = index + 1 < starts.count ? starts[index + 1] : (text[start...].range(of: "\n    ]")?.lowerBound ?? text.endIndex)
                let entry = text[start..<end]
                let name = String(entry.dropFirst("Builtin(\"".count).prefix { $0 != "\"" })
                let builtin = try #require(BuiltinTable.info(name), "\(file): \(name) is not in the table")
                var read = entry.matches(of: /(?:\ba\.[a-zA-Z]+\(|\(a, )"([A-Za-z_0-9]+)"/).map { String($0.output.1) }
                // Names handed to a helper as a list: `AttentionBuiltins.projectionInputs(a, ["Wq", "Wk"])`.
                for list in entry.matches(of: /\(a, \[([^\]]*)\]/) {
                    read += list.output.1.matches(of: /"([A-Za-z_0-9]+)"/).map { String($0.output.1) }
                }
                for parameter in read {
                    #expect(builtin.parsed.declares(parameter), "\(name) reads '\(parameter)', which \(builtin.signature) does not declare")
                    checked += 1
                }
            }
        }
        #expect(checked > 90, "found only \(checked) argument reads: is the pattern still right?")
    }
}
