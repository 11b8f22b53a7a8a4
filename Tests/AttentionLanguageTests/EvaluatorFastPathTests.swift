@testable import AttentionLanguage
import Foundation
import Testing

/// The evaluator's fast paths (Evaluation/Evaluator.swift) give what the general paths give:
/// numbers on both sides of an operator, positional calls of user functions with reused
/// bindings, and the interrupt poll that asks the host only every so often.
@Suite struct EvaluatorFastPathTests {
    private func value(_ code: String) -> Value? {
        Session().run(code, host: RecordingHost()).value
    }

    @Test func numberOperatorsAgreeWithTheGeneralRules() {
        let cases: [(String, Bool)] = [
            ("1 + 2 == 3", true), ("7 - 10 == -3", true), ("3 * 4 == 12", true), ("1 / 4 == 0.25", true),
            ("1 < 2", true), ("2 <= 2", true), ("2 > 3", false), ("3 >= 3", true),
            ("0 / 0 == 0 / 0", false), ("0 / 0 != 0 / 0", true), ("1 / 0 > 1e308", true), ("1 != 1", false),
            ("-7 % 3 == 2", true), ("7 % -3 == -2", true), ("-7.5 % 2 == 0.5", true),
        ]
        for (code, expected) in cases {
            guard case .bool(let b)? = value(code) else { Issue.record("\(code) is not a bool"); continue }
            #expect(b == expected, "\(code)")
        }
        // Operators the fast path leaves alone still give their errors and results.
        #expect(Session().run("1 @ 2", host: RecordingHost()).diagnostic?.kind == .typeError)
        if case .number(let d)? = value("2 ** 10") { #expect(d == 1024) } else { Issue.record("2 ** 10") }
        if case .list(let xs)? = value("0..<3") { #expect(xs.count == 3) } else { Issue.record("0..<3") }
        // `%` on numbers (fast path) and on 1×1 matrices (the elementwise path) agree, nan included.
        for (a, m) in [(-7.0, 3.0), (7, -3), (5.5, 2), (-6, 3), (7, 0), (-3, Double.infinity)] {
            let fast = value("\(a) % \(m)"), general = value("sum([\(a)] % [\(m)])")
            guard case .number(let x)? = fast, case .number(let y)? = general else { Issue.record("\(a) % \(m)"); continue }
            #expect(x.bitPattern == y.bitPattern && x.bitPattern == a.flooredModulo(m).bitPattern, "\(a) % \(m)")
        }
    }

    @Test func positionalAndLabelledCallsBindTheSameParameters() {
        if case .number(let d)? = value("func f(a, b) = a - b\nf(3, 1)") { #expect(d == 2) } else { Issue.record("f(3, 1)") }
        if case .number(let d)? = value("func f(a, b) = a - b\nf(b: 1, a: 3)") { #expect(d == 2) } else { Issue.record("labelled") }
        // Reused bindings never leak between calls or into the caller.
        let code = "func f(n) { if n < 1 { return 0 }\n k = n\n return f(n - 1) + k }\nfunc g(a) = a\nk = 100\nf(10) + g(1) + k"
        if case .number(let d)? = value(code) { #expect(d == 55 + 1 + 100) } else { Issue.record("recursion") }
        let session = Session()
        #expect(session.run("func f(a, b) = a\nf(1)", host: RecordingHost()).diagnostic?.message == "f(a, b) is missing the argument 'b'")
        #expect(session.run("f(1, 2, 3)", host: RecordingHost()).diagnostic?.message == "f(a, b) takes 2 arguments, got 3")
    }

    @Test func errorsInsidePositionalCallsKeepTheirCallers() throws {
        let result = Session().run("func g(x) = x + \"a\"\nfunc f(y) = g(y)\nf(1)", host: RecordingHost())
        let d = try #require(result.diagnostic)
        #expect(d.kind == .typeError)
        #expect(d.function == "g")
        #expect(d.callers.map(\.line) == [2, 3])
        // An error in an argument is the caller's, not the callee's.
        let e = try #require(Session().run("func f(y) = y\nf(1 + \"a\")", host: RecordingHost()).diagnostic)
        #expect(e.function == nil && e.callers.isEmpty)
    }

    private func number(_ code: String, limits: Limits = Limits()) -> Double? {
        if case .number(let d)? = Session(limits: limits).run(code, host: RecordingHost()).value { return d }
        return nil
    }

    /// A call's locals are frame slots resolved when the body is compiled (`FunctionDecl.localIDs`):
    /// the scoping students saw before still holds.
    @Test func frameSlotsKeepTheScopingRules() {
        // A local read before the body binds it is the session's; binding it never changes the session's.
        #expect(number("x = 5\nfunc f() { y = x\n x = 1\n return y + x }\nf() * 100 + x") == 605)
        // A parameter shadows a global of the same name; the global is untouched.
        #expect(number("n = 7\nfunc f(n) { n = n + 1\n return n }\nf(1) * 10 + n") == 27)
        // A `for` variable and a name assigned only in one branch are locals too.
        #expect(number("i = 100\nfunc f() { s = 0\n for i in 0..<4 { if i > 1 { t = i } \n s = s + i }\n return s + t }\nf() + i") == 109)  // s = 0 + 1 + 2 + 3, t = 3, the session's i
        // A matrix element assigned in a function changes a local copy, not the session's matrix.
        #expect(number("W = zeros(2, 2)\nfunc f() { W[0, 1] = 9\n return W[0, 1] }\nf() * 10 + W[0, 1]") == 90)
        // A nested function has its own frame: it does not see its definer's locals.
        let d = Session().run("func outer() { a = 1\n func inner() = a\n return inner() }\nouter()", host: RecordingHost()).diagnostic
        #expect(d?.kind == .nameError)
        // A function defined inside a function is bound there only.
        #expect(Session().run("func outer() { func inner() = 1\n return inner() }\nouter()\ninner()", host: RecordingHost()).diagnostic?.kind == .nameError)
    }

    /// Frames deeper than one segment of the frame stack (1,024 slots) keep every call's values.
    @Test func framesAcrossSegmentsKeepTheirValues() {
        // 12 slots a call, 300 calls deep: 3,600 slots, several segments, every local read back after the calls below return.
        let code = """
        func f(n) {
            if n == 0 { return 0 }
            a = n\n b = a + 1\n c = b + 1\n d = c + 1\n e = d + 1\n g = e + 1\n h = g + 1\n k = h + 1\n m = k + 1\n p = m + 1
            r = f(n - 1)
            return r + a + b + c + d + e + g + h + k + m + p - 10 * n - 45
        }
        f(300)
        """
        #expect(number(code, limits: Limits(maxCallDepth: 1_000)) == 0)
        // And again after a failing call unwound the frames mid-way: the stack is reusable.
        let session = Session(limits: Limits(maxCallDepth: 1_000))
        #expect(session.run("func bad(n) { x = n\n if n == 0 { return x + \"a\" }\n return bad(n - 1) }\nbad(500)", host: RecordingHost()).diagnostic?.kind == .typeError)
        if case .number(let v)? = session.run(code, host: RecordingHost()).value { #expect(v == 0) } else { Issue.record("f(300) after an error") }
    }

    /// `A[i, k]` and `W[i, j] = v` with two single indices give what the general index path gives.
    @Test func twoIndexFastPathsAgreeWithTheGeneralPath() {
        #expect(number("A = [1, 2; 3, 4]\nA[1, 0] + A[-1, -1] * 10") == 43)
        #expect(number("W = zeros(3, 3)\nfor i in 0..<3 { for j in 0..<3 { W[i, j] = i * 3 + j } }\nW[2, 1] + sum(W)") == 43)  // 7 + (0 + 1 + ... + 8)
        // Slices and lists through the two-index form still select.
        #expect(number("A = [1, 2; 3, 4]\nsum(A[0:2, 1])") == 6)
        #expect(number("W = zeros(2, 2)\nW[0:2, 1] = 5\nsum(W)") == 10)
        // Errors: the same kinds as the general path, in the same order (target, then row, then column).
        func kind(_ code: String) -> DiagnosticKind? { Session().run(code, host: RecordingHost()).diagnostic?.kind }
        #expect(kind("A = [1, 2; 3, 4]\nA[2, 0]") == .indexError)
        #expect(kind("A = [1, 2; 3, 4]\nA[0.5, 0]") == .indexError)
        #expect(kind("A = [1, 2; 3, 4]\nA[0, nope]") == .nameError)
        #expect(kind("A = [1, 2; 3, 4]\nA[9, nope]") == .indexError)
        // Not a matrix: the general path's error, before any index is evaluated.
        #expect(Session().run("xs = [\"a\", \"b\"]\nxs[0, nope]", host: RecordingHost()).diagnostic?.message.hasPrefix("a list takes one index") == true)
        #expect(kind("nope[0, 1]") == .nameError)
        #expect(kind("W = zeros(2, 2)\nW[0, 2] = 1") == .indexError)
        #expect(kind("W = zeros(2, 2)\nW[nope, 0] = 1") == .nameError)
        #expect(kind("W = zeros(2, 2)\nW[0, 0] = \"a\"") == .typeError)
        // A failed element assignment keeps the old binding.
        let session = Session()
        _ = session.run("W = [1, 2; 3, 4]", host: RecordingHost())
        #expect(session.run("W[0, 5] = 9", host: RecordingHost()).diagnostic != nil)
        if case .number(let v)? = session.run("sum(W)", host: RecordingHost()).value { #expect(v == 10) } else { Issue.record("W kept") }
        // Value semantics: the copy is not changed.
        #expect(number("A = zeros(2, 2)\nB = A\nA[0, 0] = 1\nsum(B)") == 0)
    }

    @Test func deepPositionalRecursionIsALimitError() {
        let session = Session(limits: Limits(maxCallDepth: 5_000))
        let d = session.run("func down(n) = down(n + 1)\ndown(0)", host: RecordingHost()).diagnostic
        #expect(d?.kind == .limitError)
        #expect(d?.message.hasPrefix("more than 5000 nested function calls; does down call itself") == true)
    }

    /// A tight loop stops well within the 10 ms an interrupt should take (the bound here is
    /// looser, for a shared machine): the session's flag is read at every poll.
    @Test func tightLoopStopsSoonAfterAnInterrupt() {
        let session = Session()
        let (result, latency) = runInterruptedOnce(session, "x = 0\nwhile true { x = x + 1 }")
        #expect(result.diagnostic?.kind == .interrupted)
        #expect(latency != nil && latency! < .milliseconds(100), "took \(String(describing: latency))")
        if case .number(let n)? = session.value(of: "x") { #expect(n > 0) } else { Issue.record("x lost") }
    }

    /// The host is asked at every builtin call, and every `hostPollInterval` polls otherwise.
    @Test func hostIsAskedAtEveryBuiltinCall() {
        final class CountingHost: CellHost {
            var asked = 0
            func emit(_ output: Output) {}
            func readInput(prompt: String) -> String? { nil }
            var isInterruptRequested: Bool { asked += 1; return asked > 3 }
        }
        let host = CountingHost()
        let result = Session().run("n = 0\nfor i in 0..<100 { n = n + abs(1) }", host: host)
        #expect(result.diagnostic?.kind == .interrupted)
        #expect(host.asked == 4)
    }
}
