import AttentionLanguage
import Foundation
import Synchronization
import Testing

/// Inputs that must end in a clear error (or run), never a crash or a hang.
@Suite struct RobustnessTests {
    func run(_ code: String, limits: Limits = Limits(), session: Session? = nil) -> (CellResult, RecordingHost) {
        let host = RecordingHost()
        let s = session ?? Session(limits: limits)
        return (s.run(code, host: host), host)
    }

    @Test func tenThousandNestedParenthesesIsALimitError() {
        let code = String(repeating: "(", count: 10_000) + "1" + String(repeating: ")", count: 10_000)
        #expect(run(code).0.diagnostic?.kind == .limitError)
        let brackets = String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000)
        #expect(run(brackets).0.diagnostic?.kind == .limitError)
        let unary = String(repeating: "-", count: 10_000) + "1"
        #expect(run(unary).0.diagnostic?.kind == .limitError)
        let blocks = String(repeating: "if true {", count: 10_000) + String(repeating: "}", count: 10_000)
        #expect(run(blocks).0.diagnostic?.kind == .limitError)
        let fields = "x = eye(2)\nx" + String(repeating: ".T", count: 10_000)
        #expect(run(fields).0.diagnostic?.kind == .limitError)
    }

    @Test func longOperatorChainsRun() {
        let sum = Array(repeating: "1", count: 100_000).joined(separator: " + ")
        guard case .success(.number(let n)?) = run(sum).0 else { Issue.record("no number"); return }
        #expect(n == 100_000)
        let power = Array(repeating: "1", count: 150).joined(separator: " ** ")
        #expect(run(power).0.diagnostic == nil)
        let statements = Array(repeating: "x = 1", count: 50_000).joined(separator: "\n")
        #expect(run(statements).0.diagnostic == nil)
    }

    /// Long chains where they are measured (`fullRange`: statements, arguments, `for` ranges,
    /// errors), kept (a function body, freed with the session on this thread's ordinary
    /// stack) and dropped half-built (a syntax error at the end).
    @Test func longOperatorChainsEverywhere() {
        func chain(_ term: String, _ op: String, _ count: Int = 100_000) -> String {
            Array(repeating: term, count: count).joined(separator: " \(op) ")
        }
        do {
            let session = Session()
            #expect(run("func f(a) = " + chain("a", "+"), session: session).0.diagnostic == nil)
            guard case .success(.number(let n)?) = run("f(2)", session: session).0 else { Issue.record("no number"); return }
            #expect(n == 200_000)
            #expect(run("abs(" + chain("1", "-") + ")", session: session).0.diagnostic == nil)
        }
        let (loop, host) = run("for i in " + chain("0", "*") + " ..< 2 { print(i) }")
        #expect(loop.diagnostic == nil)
        #expect(host.text == "0\n1\n")
        #expect(run(chain("1 < 2", "&&")).0.diagnostic == nil)
        #expect(run(chain("1", "+") + " + \"a\"").0.diagnostic?.kind == .typeError)
        #expect(run(chain("1", "+") + " +").0.diagnostic?.kind == .syntaxError)
    }

    @Test func runawayRecursionIsALimitError() {
        let (result, _) = run("func f(n) { return f(n + 1) + 1 }\nf(0)")
        #expect(result.diagnostic?.kind == .limitError)
        let mutual = "func a(n) = b(n)\nfunc b(n) = a(n)\na(1)"
        #expect(run(mutual).0.diagnostic?.kind == .limitError)
        // A deeper configured limit still cannot overflow the stack.
        #expect(run("func f(n) = [[[[[f(n + 1)]]]]]\nf(0)", limits: Limits(maxCallDepth: 2000)).0.diagnostic?.kind == .limitError)
    }

    @Test func stackGuardHoldsUnderTheLargestConfigurableLimits() {
        let limits = Limits(environment: ["ATTN_MAX_DEPTH": "99999", "ATTN_MAX_NESTING": "99999"])
        let nested = String(repeating: "abs(", count: 1000) + "-f(k - 1) - 1" + String(repeating: ")", count: 1000)
        let code = "func f(k) { if k == 0 { return 0 }; return \(nested) }\nf(2000)"
        #expect(run(code, limits: limits).0.diagnostic?.kind == .limitError)
    }

    @Test func deeplyNestedListValuesAreALimitError() {
        let (result, _) = run("x = []\nfor i in 0..<100000 { x = [x] }")
        #expect(result.diagnostic?.kind == .limitError)
    }

    // MARK: Found while fuzzing and probing for issue #6 (each ran out of memory or never ended)

    /// `s = s + s` doubled a string until memory ran out and the process aborted.
    @Test func doublingAStringIsALimitError() {
        let (result, _) = run("let s = \"ab\"\nfor k in 0..<40 { s = s + s }")
        #expect(result.diagnostic?.kind == .limitError)
        #expect(result.diagnostic?.message.contains("ATTN_MAX_ELEMENTS") == true)
        let small = Limits(maxElements: 1000)
        #expect(run("let s = \"\" + \"" + String(repeating: "x", count: 1001) + "\"", limits: small).0.diagnostic?.kind == .limitError)
        #expect(run("let s = \"" + String(repeating: "x", count: 5000) + "\"\nlen(s)", limits: small).0.diagnostic == nil)  // literals are not limited
    }

    /// `l = [l, l]` builds a value whose unfolded size doubles each time; checking its depth
    /// walked every path, so the 25th iteration took minutes and could not be interrupted.
    @Test func sharedListsCannotUnfoldBeyondTheLimit() {
        let clock = ContinuousClock()
        let start = clock.now
        let (result, _) = run("let l = [1]\nfor k in 0..<60 { l = [l, l] }", limits: Limits(maxElements: 100_000))
        #expect(result.diagnostic?.kind == .limitError)
        #expect(result.diagnostic?.message.contains("ATTN_MAX_ELEMENTS") == true)
        let (joined, _) = run("let l = [\"a\", \"b\"]\nfor k in 0..<60 { l = l + [l] }", limits: Limits(maxElements: 100_000))
        #expect(joined.diagnostic?.kind == .limitError)
        let (assigned, _) = run("let l = [\"a\", \"b\"]\nfor k in 0..<60 { l[0] = [l, l] }", limits: Limits(maxElements: 100_000))
        #expect(assigned.diagnostic?.kind == .limitError)
        #expect(clock.now - start < .seconds(20))
    }

    /// A list of many references to one long string printed (or compared, or shown as a
    /// result) unfolds into text of count × length; the text is capped with `… n more`.
    @Test func printingAHugeSharedListIsBounded() throws {
        let code = "let s = \"" + String(repeating: "x", count: 100_000) + "\"\nlet l = [s]\nfor k in 0..<20 { l = l + l }\nprint(l)\nlen(str(l))"
        let (result, host) = run(code)
        guard case .success(.number(let n)?) = result else { Issue.record("\(result)"); return }
        #expect(n < 1_300_000)
        #expect(host.text.count < 1_300_000)
        #expect(host.text.contains("more]"))
    }

    /// One builtin call runs without interrupt checks, so the model builtins count their work.
    @Test func forwardAndGenerateAreBoundedByTheWorkLimit() {
        let session = Session(limits: Limits(maxWork: 1e6))
        #expect(run("m = gpt(vocab: 50, d_model: 16, heads: 2, layers: 1, context: 16, seed: 0)", session: session).0.diagnostic == nil)
        #expect(run("forward(m, [1, 2, 3])", session: session).0.diagnostic == nil)
        let long = run("generate(m, [1], steps: 10000)", session: session).0.diagnostic
        #expect(long?.kind == .limitError)
        #expect(long?.message.contains("ATTN_MAX_WORK") == true)
        let (big, _) = run("m = gpt(vocab: 50, d_model: 64, heads: 2, layers: 8, context: 256, seed: 0)\nforward(m, range(0, 200))", limits: Limits(maxWork: 1e6))
        #expect(big.diagnostic?.kind == .limitError)
    }

    @Test(arguments: [
        ("func f(n) = f(n + 1)\nf(0)", "ATTN_MAX_DEPTH"),
        (String(repeating: "(", count: 300) + "1" + String(repeating: ")", count: 300), "ATTN_MAX_NESTING"),
        ("x = []\nfor i in 0..<300 { x = [x] }", "ATTN_MAX_NESTING"),
        ("zeros(10000, 10000)", "ATTN_MAX_ELEMENTS"),
        ("randn(1000, 1000) @ randn(1000, 1000)", "ATTN_MAX_WORK"),
    ])
    func everyLimitErrorNamesItsSetting(_ code: String, _ setting: String) {
        let limits = Limits(maxElements: 1_000_000, maxCallDepth: 200, maxNestingDepth: 200, maxWork: 1e8)
        let diagnostic = run(code, limits: limits).0.diagnostic
        #expect(diagnostic?.kind == .limitError)
        #expect(diagnostic?.message.contains(setting) == true, "\(diagnostic?.message ?? "no error")")
    }

    @Test(arguments: [
        "zeros(100000, 100000)", "ones(1e300, 2)", "randn(1e300, 2)", "rand(2, 1e19)", "eye(1e10)",
        "full(5000, 5000, 1)", "causal_mask(1e6)", "sinusoidal(1e9, 2)", "embed(tokens(\"a b\"), dim: 1e12)",
        "ones(5000, 1) @ ones(1, 5000)", "hcat(ones(3000, 3000), ones(3000, 3000))", "vcat([ones(3000, 3000), ones(3000, 3000)])",
        "0..<1e12", "range(1e10)", "init_block(d_model: 10000, heads: 1)", "gpt(vocab: 50257, d_model: 768, heads: 12, layers: 12, context: 1024)",
        "raw_attention_weights(ones(5000, 1))", "X = ones(5000, 1)\nattention_weights(X, X)",
    ])
    func sizesOverTheLimitAreLimitErrors(_ code: String) {
        #expect(run(code).0.diagnostic?.kind == .limitError, "\(code)")
    }

    @Test(arguments: [
        "A = eye(3)\nA[3]", "A = eye(3)\nA[-4]", "A = eye(3)\nA[0, 3]", "A = eye(3)\nA[99999999999999999999]",
        "A = eye(3)\nA[1e308, 0]", "A = eye(3)\nA[0.5]", "[1, 2][0, 2]", "tokens(\"a\")[1]", "xs = [1, \"a\"]\nxs[-3]",
        "A = eye(2)\nA[[0, 5]]", "\"abc\"[3]", "A = eye(2)\nA[5, 0] = 1",
    ])
    func outOfRangeIndicesAreIndexErrors(_ code: String) {
        #expect(run(code).0.diagnostic?.kind == .indexError, "\(code)")
    }

    @Test func slicesClampLikePython() {
        guard case .success(.list(let items)?) = run("A = eye(3)\n[A[0:100].rows, A[-100:1].rows, A[2:1].rows, A[:, 5:].cols]").0 else {
            // The bracket of four numbers is a matrix.
            let (result, _) = run("A = eye(3)\n[A[0:100].rows, A[-100:1].rows, A[2:1].rows, A[:, 5:].cols] == [3, 1, 0, 0]")
            #expect({ if case .success(.bool(true)?) = result { true } else { false } }())
            return
        }
        #expect(items.count == 4)
    }

    @Test(arguments: [
        "[1, 2] + [1, 2, 3]", "ones(2, 3) @ ones(2, 3)", "hcat(ones(2, 2), ones(3, 2))", "attention(ones(2, 3), ones(2, 4), ones(2, 3))",
        "layer_norm(ones(2, 3), gamma: ones(1, 2))", "ones(2, 3) * ones(3, 2)", "[1, 2; 3]",
    ])
    func mismatchedShapesAreShapeErrors(_ code: String) {
        let d = run(code).0.diagnostic
        #expect(d?.kind == .shapeError, "\(code): \(String(describing: d))")
    }

    @Test func shapeErrorsNameBothShapesAndSuggestTranspose() throws {
        let d = try #require(run("Q = ones(4, 3)\nK = ones(5, 3)\nQ @ K").0.diagnostic)
        #expect(d.message.contains("4×3") && d.message.contains("5×3") && d.message.contains("did you mean K.T?"))
        let e = try #require(run("p = init_block(d_model: 4, heads: 2)\nX = ones(3, 4)\n(X @ p.Wq) @ (X @ p.Wk)").0.diagnostic)
        #expect(e.message.hasSuffix("did you mean (X @ p.Wk).T?"))
    }

    @Test func endlessLoopEndsWithInterruptAndKeepsBindings() async throws {
        let session = Session()
        let host = RecordingHost()
        let done = Mutex(false)
        Thread.detachNewThread {
            while !done.withLock({ $0 }) {
                Thread.sleep(forTimeInterval: 0.05)
                session.interrupt()
            }
        }
        let result = session.run("before = 1\nwhile true { spins = 1 }\nafter = 2", host: host)
        done.withLock { $0 = true }
        #expect(result.diagnostic?.kind == .interrupted)
        #expect(result.diagnostic?.location?.line == 2)
        #expect(session.value(of: "before") != nil)
        #expect(session.value(of: "spins") != nil)
        #expect(session.value(of: "after") == nil)
        // The session still works, and the interrupt does not leak into the next cell.
        if case .success(.number(let n)?) = session.run("before + 1", host: host) { #expect(n == 2) } else { Issue.record("next cell failed") }
    }

    @Test func hostInterruptIsHonouredInLoopsAndCalls() {
        final class StopHost: CellHost {
            var count = 0
            func emit(_ output: Output) {}
            func readInput(prompt: String) -> String? { nil }
            var isInterruptRequested: Bool { count += 1; return count > 1000 }
        }
        let result = Session().run("func f(n) = n + 1\nfor i in 0..<100000000 { f(i) }", host: StopHost())
        #expect(result.diagnostic?.kind == .interrupted)
    }

    @Test func invalidUTF8IsASyntaxErrorWithPosition() throws {
        var bytes = Array("print(1)\nx = \"é".utf8)
        bytes.append(0xFF)
        bytes += Array("\"\n".utf8)
        guard case .failure(let d) = SourceDecoding.decode(bytes) else { Issue.record("decoded"); return }
        #expect(d.kind == .syntaxError)
        #expect(d.location == SourceLocation(line: 2, column: 7))
        #expect(d.message.contains("0xFF"))
        #expect((try? SourceDecoding.decode(Array("ok é".utf8)).get()) == "ok é")
        // Truncated multi-byte sequence at the end.
        guard case .failure(let t) = SourceDecoding.decode([0x61, 0xC3]) else { Issue.record("decoded"); return }
        #expect(t.location == SourceLocation(line: 1, column: 2))
    }

    @Test func oddInputsNeverCrash() {
        let inputs = ["", "\n\n", ";;;", "(", ")", "[", "]", "{", "}", "\"", "\\", "..<", "1..<", "a.", "f(", "f(,)", "f(a:)",
                      "[,]", "[;]", "A[]", "A[:]", "let", "func", "func f(", "func f() {", "for", "for x in", "if", "else",
                      "1e", "1e+", "0x10", "1.", ".5", "€", "\u{0}", "x = = 1", "[1, 2][", "print(1,, 2)", "\r\n", "x\r\ny",
                      "-", "!", "**", "@", "a @", "--1", "!!true", "[[[]]]", "[[1], 2]", "[[1, 2], [3]]", "[]", "[].T", "len([])",
                      "sum([])", "max(zeros(0, 3))", "softmax(zeros(0, 0))", "mean(zeros(0, 2), axis: 0)", "split_heads(eye(3), 0)",
                      "split_heads(eye(3), 2)", "causal_mask(0)", "eye(0) @ eye(0)", "generate(gpt(vocab: 3, d_model: 2, heads: 1, layers: 1, context: 2), [], steps: 3)",
                      "forward(gpt(vocab: 3, d_model: 2, heads: 1, layers: 0, context: 2), [7])", "rope(ones(2, 3))", "tokens(\"\")", "embed([], dim: 3)",
                      "randn(2, 2, seed: -1)", "randn(2, 2, seed: 0.5)", "multi_head_weights(eye(4), eye(4), eye(4), heads: 3)",
                      "help(1)", "help(\"nope\")", "str(nil)", "range(-5)", "close(eye(2), \"a\")", "x = 1; x[0] = 2", "heads([])"]
        let session = Session()
        for code in inputs {
            _ = session.run(code, host: RecordingHost())
        }
        #expect(session.run("1 + 1", host: RecordingHost()).value != nil)
    }

    @Test func limitsReadFromTheEnvironment() {
        let limits = Limits(environment: ["ATTN_MAX_ELEMENTS": "100", "ATTN_MAX_DEPTH": "10", "ATTN_MAX_NESTING": "50", "ATTN_MAX_WORK": "junk"])
        #expect(limits.maxElements == 100 && limits.maxCallDepth == 10 && limits.maxNestingDepth == 50 && limits.maxWork == Limits().maxWork)
        #expect(run("zeros(20, 20)", limits: limits).0.diagnostic?.kind == .limitError)
        #expect(run("zeros(10, 10)", limits: limits).0.diagnostic == nil)
    }
}
