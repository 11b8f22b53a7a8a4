import AttentionCore
import Foundation
import Testing

@testable import AttentionKernel

/// `Settings` is the one place the ATTN_* variables are read; docs/ROBUSTNESS.md's table
/// must name exactly its variables with its defaults.
@Suite struct SettingsTests {
    static let robustness = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("docs/ROBUSTNESS.md")

    /// `| \`ATTN_X\` | default text | … |` rows of the "## Limits" table: name → default text.
    static func documentedVariables() throws -> [(name: String, defaultText: String)] {
        let text = try String(contentsOf: robustness, encoding: .utf8)
        let section = try #require(text.components(separatedBy: "\n## Limits").dropFirst().first)
        return section.split(separator: "\n").compactMap { line in
            let cells = line.split(separator: "|", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            guard cells.count >= 4, cells[1].hasPrefix("`ATTN_") else { return nil }
            return (cells[1].trimmingCharacters(in: CharacterSet(charactersIn: "`")), cells[2])
        }
    }

    /// The first number in a table cell ("16,777,216", "8e9", "200 (≤ 5,000)"), or nil.
    static func firstNumber(_ text: String) -> Double? {
        let token = text.replacingOccurrences(of: ",", with: "").split(separator: " ").first.map(String.init) ?? ""
        return Double(token)
    }

    @Test func helpLinksFollowTheJupyterHubPrefix() {
        // JupyterHub starts each user's server under a prefix and the kernel inherits it: the
        // reference link must stay inside that server, with or without the slashes.
        let cases: [([String: String], String)] = [
            ([:], "/kernelspecs/attention/language-reference.html"),
            (["JUPYTERHUB_SERVICE_PREFIX": ""], "/kernelspecs/attention/language-reference.html"),
            (["JUPYTERHUB_SERVICE_PREFIX": "/user/ann/"], "/user/ann/kernelspecs/attention/language-reference.html"),
            (["JUPYTERHUB_SERVICE_PREFIX": "user/bo"], "/user/bo/kernelspecs/attention/language-reference.html"),
        ]
        for (environment, url) in cases {
            let interpreter = AttentionInterpreter(settings: Settings(environment: environment))
            #expect(interpreter.kernelInfo().helpLinks.map(\.url) == [url], "\(environment)")
        }
    }

    @Test func theDocsTableNamesEveryVariableWithItsDefault() throws {
        let documented = try Self.documentedVariables()
        #expect(documented.map(\.name) == Settings.variables.map(\.name))
        let defaults = Settings()
        for (variable, row) in zip(Settings.variables, documented) {
            #expect(Self.firstNumber(row.defaultText) == variable.value(defaults), "\(row.name): docs say \(row.defaultText)")
        }
    }

    @Test func everyVariableIsReadAndNonsenseFallsBackToTheDefault() {
        for variable in Settings.variables {
            #expect(variable.value(Settings(environment: [variable.name: "12"])) == 12, "\(variable.name)")
            for nonsense in ["", "abc", "0", "-5", "nan", "inf"] {
                #expect(variable.value(Settings(environment: [variable.name: nonsense])) == variable.value(Settings()),
                        "\(variable.name)=\(nonsense)")
            }
        }
        let settings = Settings(environment: ["ATTN_MAX_OUTPUT_BYTES": "5000", "ATTN_MAX_DISPLAYS": "3", "ATTN_THREADS": "2"])
        #expect(settings.output.maxBytes == 5000 && settings.output.maxDisplays == 3 && settings.workers == 2)
    }

    @Test func applyConfiguresAttentionCoresWorkers() {
        Settings(workers: 3).apply()
        #expect(CoreConfiguration.workers == 3)
        Settings().apply()
        #expect(CoreConfiguration.workers >= 1)
    }
}
