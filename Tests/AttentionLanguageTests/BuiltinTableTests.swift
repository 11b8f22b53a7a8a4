@testable import AttentionLanguage
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
        let arguments = [Evaluator.EvaluatedArgument(label: nil, labelRange: nil, value: .number(1), range: range, expr: .number(1, range))]
        do {
            _ = try faulty.implementation(try Arguments(info: faulty, evaluator: evaluator, range: range, arguments: arguments))
            Issue.record("reading an undeclared argument should fail")
        } catch {
            #expect(error.kind == .internalError)
            #expect(error.message.contains("'x'") && error.message.contains("faulty(X)"))
        }
    }
}
