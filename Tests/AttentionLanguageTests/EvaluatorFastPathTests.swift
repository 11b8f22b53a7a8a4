@testable import AttentionLanguage
import Foundation
import Synchronization
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
        let requested = Mutex<ContinuousClock.Instant?>(nil)
        Thread.detachNewThread {
            Thread.sleep(forTimeInterval: 0.2)
            requested.withLock { $0 = .now }
            session.interrupt()
        }
        let result = session.run("x = 0\nwhile true { x = x + 1 }", host: RecordingHost())
        let stopped = ContinuousClock.now
        #expect(result.diagnostic?.kind == .interrupted)
        let latency = requested.withLock { $0 }.map { stopped - $0 }
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
