// Every differentiable builtin against JAX (float64): Fixtures/gradients.json holds, per
// case, a program whose last line is grad(f, P) and JAX's gradient of the same function
// (scripts/make_gradient_fixtures.py writes it). Agreement: |a − b| ≤ 1e-9·max(1, |b|).

import AttentionCore
@testable import AttentionLanguage
import Foundation
import Testing

struct GradientCase: Decodable, Sendable, CustomTestStringConvertible {
    struct Expected: Decodable, Sendable {
        let shape: [Int]
        let data: [Double]
    }
    let name: String
    let builtins: [String]
    let program: String
    let expected: ExpectedValue

    enum ExpectedValue: Decodable, Sendable {
        case matrix(Expected)
        case list([Expected])
        init(from decoder: any Decoder) throws {
            let c = try decoder.singleValueContainer()
            if let m = try? c.decode(Expected.self) { self = .matrix(m) } else { self = .list(try c.decode([Expected].self)) }
        }
    }

    var testDescription: String { name }

    static let all: [GradientCase] = {
        guard let url = Bundle.module.url(forResource: "gradients", withExtension: "json", subdirectory: "Fixtures"),
              let data = try? Data(contentsOf: url) else { return [] }
        struct File: Decodable { let cases: [GradientCase] }
        return (try? JSONDecoder().decode(File.self, from: data).cases) ?? []
    }()
}

@Suite struct GradientFixtureTests {
    @Test func theFixturesLoad() {
        #expect(GradientCase.all.count >= 25)
    }

    @Test(arguments: GradientCase.all)
    func gradientMatchesJAX(_ c: GradientCase) throws {
        let result = Session().run(c.program, host: RecordingHost())
        guard case .success(let value?) = result else {
            Issue.record("\(c.name) failed: \(result)")
            return
        }
        func check(_ got: Value, _ expected: GradientCase.Expected, _ label: String) {
            guard case .matrix(let m) = got else {
                Issue.record("\(c.name) \(label): expected a matrix, got \(got.kindDescription)")
                return
            }
            #expect([m.rows, m.cols] == expected.shape, "\(c.name) \(label): shape")
            guard m.count == expected.data.count else { return }
            var worst = 0.0
            for (a, b) in zip(m.storage, expected.data) { worst = max(worst, abs(a - b) / max(1, abs(b))) }
            #expect(worst <= 1e-9, "\(c.name) \(label): largest relative difference \(worst)")
        }
        switch c.expected {
        case .matrix(let e): check(value, e, "gradient")
        case .list(let es):
            guard case .list(let items) = value, items.count == es.count else {
                Issue.record("\(c.name): expected a list of \(es.count) gradients, got \(value.kindDescription)")
                return
            }
            for (i, (item, e)) in zip(items, es).enumerated() { check(item, e, "gradient \(i)") }
        }
    }

    /// The fixtures cover every builtin the reference calls differentiable.
    @Test func everyDifferentiableBuiltinHasAFixture() {
        let covered = Set(GradientCase.all.flatMap(\.builtins))
        let differentiable = BuiltinTable.all.filter(\.isDifferentiable).map(\.name)
        let missing = differentiable.filter { !covered.contains($0) && !["grad", "value_and_grad", "loss", "forward", "block_attention", "transformer_block",
            // Pass values through unchanged (a record, a list): covered by learning.attn.
            "record", "with", "append"].contains($0) }
        #expect(missing.isEmpty, "differentiable builtins without a JAX fixture: \(missing)")
    }
}
