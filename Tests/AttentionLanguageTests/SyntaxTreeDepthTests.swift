import Testing

@testable import AttentionLanguage

/// The depth of a syntax tree is bounded by the parser's nesting limit, however long the
/// input: every recursive walk over a tree (evaluation, `fullRange`, and the release of the
/// tree, which Swift does recursively for an `indirect enum`) stays as shallow as the
/// nesting limit allows. A left-nested tree for `1 + 1 + ... + 1` once made those walks as
/// deep as the sum was long: a 10 MB sum overflowed the 512 MiB evaluation stack and killed
/// the kernel, and under ThreadSanitizer 100,000 terms overran its fixed 65,536-entry shadow
/// call stack.
@Suite struct SyntaxTreeDepthTests {
    private func parse(_ code: String) throws -> [Stmt] {
        try Parser.parse(SourceText(code), maxDepth: Limits().maxNestingDepth)
    }

    @Test func operatorChainsAreAsDeepWhateverTheirLength() throws {
        for op in ["||", "&&", "==", "!=", "<", "<=", ">", ">=", "..<", "+", "-", "*", "/", "@"] {
            let short = Array(repeating: "x", count: 2).joined(separator: " \(op) ")
            let long = Array(repeating: "x", count: 20_000).joined(separator: " \(op) ")
            let shortDepth = depth(try parse(short)), longDepth = depth(try parse(long))
            #expect(longDepth == shortDepth, "a chain of 20,000 '\(op)' is \(longDepth) levels deep, of 2 \(shortDepth)")
        }
        let mixed = Array(repeating: "a + b * c - d / e < f", count: 10_000).joined(separator: " && ")
        #expect(depth(try parse(mixed)) <= 6)
    }

    @Test func chainsKeepTheirOrderRangesAndMeaning() throws {
        guard case .expression(let e) = try parse("a - b + c * d - e")[0], case .chain(let first, let links) = e else {
            Issue.record("not a chain")
            return
        }
        guard case .name("a", _) = first else { Issue.record("first operand is not a"); return }
        #expect(links.map(\.op) == [.subtract, .add, .subtract])
        guard case .chain(_, let product) = links[1].operand else { Issue.record("c * d is not a chain"); return }
        #expect(product.map(\.op) == [.multiply])
        #expect(e.range.startOffset == 14)  // the last operator, the one applied last
        #expect(e.fullRange.startOffset == 0)
        #expect(e.fullRange.endOffset == 17)
    }

    private func depth(_ statements: [Stmt]) -> Int {
        statements.map(depth).max() ?? 0
    }

    private func depth(_ statement: Stmt) -> Int {
        switch statement {
        case .assign(_, let value, _), .expression(let value): 1 + depth(value)
        case .assignIndex(_, let indices, let value, _): 1 + max(depth(value), indices.map(depth).max() ?? 0)
        case .function(let decl): 1 + depth(decl.body)
        case .return(let value, _): 1 + (value.map(depth) ?? 0)
        case .for(_, let iterable, let body, _): 1 + max(depth(iterable), depth(body))
        case .while(let condition, let body, _): 1 + max(depth(condition), depth(body))
        case .if(let branches, let elseBody, _):
            1 + max(branches.map { max(depth($0.condition), depth($0.body)) }.max() ?? 0, depth(elseBody ?? []))
        case .break, .continue: 1
        }
    }

    private func depth(_ part: IndexPart) -> Int {
        switch part {
        case .single(let e): depth(e)
        case .slice(let lower, let upper): max(lower.map(depth) ?? 0, upper.map(depth) ?? 0)
        }
    }

    private func depth(_ expr: Expr) -> Int {
        switch expr {
        case .number, .string, .bool, .nil, .name: 1
        case .bracket(let rows, _): 1 + (rows.joined().map(depth).max() ?? 0)
        case .unary(_, let operand, _): 1 + depth(operand)
        case .chain(let first, let links): 1 + max(depth(first), links.map { depth($0.operand) }.max() ?? 0)
        case .power(let base, let exponent, _): 1 + max(depth(base), depth(exponent))
        case .call(let callee, let arguments, _): 1 + max(depth(callee), arguments.map { depth($0.value) }.max() ?? 0)
        case .index(let target, let parts, _): 1 + max(depth(target), parts.map(depth).max() ?? 0)
        case .field(let target, _, _): 1 + depth(target)
        }
    }
}
