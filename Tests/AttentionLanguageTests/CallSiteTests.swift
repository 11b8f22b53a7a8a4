@testable import AttentionLanguage
import Foundation
import Testing

/// The call path's mechanisms (Evaluation/Compiler.swift `positionalCall`, Evaluator.swift
/// `cachedCallee`, `Flow`): a call site keeps the user function a global name is bound to,
/// trusted only while no binding of a function has changed (`Bindings.functionVersion`);
/// a `return`'s value waits in the evaluator instead of travelling in `Flow`. Whatever they
/// save, rebinding, shadowing, limits and interrupts behave as before.
@Suite struct CallSiteTests {
    private func number(_ session: Session, _ code: String) -> Double? {
        if case .number(let d)? = session.run(code, host: RecordingHost()).value { return d }
        return nil
    }

    private func number(_ code: String, limits: Limits = Limits()) -> Double? {
        number(Session(limits: limits), code)
    }

    /// The call inside `g` is one call site, compiled once: each rebinding of `f` must be seen.
    @Test func rebindingAFunctionBetweenCellsIsHonoured() {
        let session = Session()
        _ = session.run("func f(x) = x + 1\nfunc g(x) = f(x)", host: RecordingHost())
        #expect(number(session, "g(1)") == 2)
        _ = session.run("func f(x) = x * 10", host: RecordingHost())
        #expect(number(session, "g(1)") == 10)
        // Bound to a function value made elsewhere.
        _ = session.run("func h(x) = x - 5\nf = h", host: RecordingHost())
        #expect(number(session, "g(1)") == -4)
        // Bound to something that is not a function: the general path's message.
        _ = session.run("f = 3", host: RecordingHost())
        let d = session.run("g(1)", host: RecordingHost()).diagnostic
        #expect(d?.kind == .typeError)
        #expect(d?.message.contains("'f'") == true)
        // A function of another arity: the general path's argument check.
        _ = session.run("func f(x, y) = x + y", host: RecordingHost())
        #expect(session.run("g(1)", host: RecordingHost()).diagnostic?.message == "f(x, y) is missing the argument 'y'")
        // Bound through the session's API (as the kernel's tools do).
        session.bind("f", to: session.value(of: "h")!)
        #expect(number(session, "g(1)") == -4)
    }

    /// A function a call site's cache replaced is not kept alive by it: once no call runs,
    /// the old function goes with its last binding.
    @Test func aReplacedFunctionIsFreed() {
        let session = Session()
        _ = session.run("func f(x) = x + 1\nfunc g(x) = f(x)", host: RecordingHost())
        #expect(number(session, "g(1)") == 2)
        weak var old: UserFunction?
        if case .function(.user(let f))? = session.value(of: "f") { old = f }
        #expect(old != nil)
        // Redefined and called again inside one cell: the replaced function is retired during
        // the call of `g` and freed when that call returns, before the cell ends (the host
        // looks when `print` runs).
        final class WatchingHost: CellHost {
            weak var watched: UserFunction?
            var aliveAtPrint: [Bool] = []
            func emit(_ output: Output) { aliveAtPrint.append(watched != nil) }
            func readInput(prompt: String) -> String? { nil }
        }
        let host = WatchingHost()
        host.watched = old
        old = nil
        _ = session.run("print(g(1))\nfunc f(x) = x + 2\nprint(g(1))", host: host)
        #expect(host.aliveAtPrint == [true, false])
        #expect(host.watched == nil)
        #expect(number(session, "g(1)") == 3)
    }

    /// Rebinding inside one cell, between two runs of the same call site.
    @Test func rebindingInsideALoopIsHonoured() {
        let code = """
        func a(x) = 1
        func b(x) = 2
        func call(x) = h(x)
        h = a
        s = 0
        for i in 0..<4 {
            if i == 2 { h = b }
            s = s * 10 + call(i)
        }
        s
        """
        #expect(number(code) == 1122)
        // A top-level call site in a loop, its callee redefined by `func` in the loop.
        #expect(number("func f() = 1\ns = 0\nfor i in 0..<3 { s = s * 10 + f()\n func f() = 2 }\ns") == 122)
    }

    /// Builtins: a call site that found a builtin finds the user function that later shadows
    /// it, and the builtin again when the user's binding is replaced by it.
    @Test func shadowingABuiltinIsHonoured() {
        let session = Session()
        _ = session.run("func g(x) = relu(x)", host: RecordingHost())
        #expect(number(session, "g(-1)") == 0)
        _ = session.run("func relu(x) = 42", host: RecordingHost())
        #expect(number(session, "g(-1)") == 42)
    }

    /// A parameter or local with the callee's name is the callee inside that function.
    @Test func localsShadowTheGlobalCallee() {
        #expect(number("func f(x) = 100\nfunc double(x) = 2 * x\nfunc apply(f) = f(5)\napply(double) + f(0)") == 110)
        #expect(number("func f(x) = 100\nfunc g() { f = abs\n return f(-3) }\ng() + f(0)") == 103)
    }

    /// Calls of every argument count (each has its own compiled form) give their values.
    @Test func callsOfEveryArityGiveTheirValues() {
        #expect(number("func z() = 7\nz()") == 7)
        #expect(number("func two(a, b) = a - b\ntwo(5, 3)") == 2)
        #expect(number("func three(a, b, c) = a * 100 + b * 10 + c\nthree(1, 2, 3)") == 123)
        #expect(number("func four(a, b, c, d) = a * 1000 + b * 100 + c * 10 + d\nfour(1, 2, 3, 4)") == 1234)
        // Arguments run left to right, each call's before the call's own checks.
        let printed = RecordingHost()
        _ = Session().run("func show(x) { print(x)\n return x }\nfunc three(a, b, c) = a + b + c\nthree(show(1), show(2), show(3))", host: printed)
        #expect(printed.text == "1\n2\n3\n")
    }

    /// `return` carries its value out of nested loops and blocks, nothing leaks into the
    /// next call, and a bare `return` or a body without one gives nil.
    @Test func returnsCarryTheirValuesOutOfLoops() {
        let code = """
        func first(n) {
            i = 0
            while true {
                for j in 0..<n {
                    if j * i == 6 { return j * 10 + i }
                }
                i = i + 1
            }
        }
        first(4) * 1000 + first(7)
        """
        #expect(number(code) == 32_061)  // first(4) = 32 (j = 3 at i = 2), first(7) = 61 (j = 6 at i = 1)
        #expect(Session().run("func f() { return }\nf()", host: RecordingHost()).value.map { _ in false } ?? true)
        #expect(Session().run("func f() { x = 1 }\nf()", host: RecordingHost()).value.map { _ in false } ?? true)
        #expect(number("func f(n) { for i in 0..<10 { if i == n { return i } }\n return -1 }\nf(3) * 10 + f(20)") == 29)
    }

    /// Recursion through the cached call path still ends in a LimitError at the configured
    /// depth, for every argument count, and at the stack guard when the depth allows more
    /// than the stack holds (never a trap).
    @Test func recursionLimitsHoldOnTheCachedPath() {
        let limits = Limits(maxCallDepth: 3_000)
        for code in ["func r() = r()\nr()", "func r(a, b) = r(b, a)\nr(1, 2)", "func r(a, b, c, d) = r(a, b, c, d)\nr(1, 2, 3, 4)"] {
            let d = Session(limits: limits).run(code, host: RecordingHost()).diagnostic
            #expect(d?.kind == .limitError, "\(code)")
            #expect(d?.message.hasPrefix("more than 3000 nested function calls; does r call itself") == true, "\(code)")
        }
        let deep = Session(limits: Limits(maxCallDepth: 100_000_000)).run("func down(n) = down(n + 1)\ndown(0)", host: RecordingHost()).diagnostic
        #expect(deep?.kind == .limitError)
        // The session is still usable, and its bindings kept.
        let session = Session(limits: limits)
        _ = session.run("func r(n) = r(n + 1)\nkept = 1", host: RecordingHost())
        #expect(session.run("r(0)", host: RecordingHost()).diagnostic?.kind == .limitError)
        #expect(number(session, "kept + 1") == 2)
    }

    /// An exponential recursion (never deeper than 40 calls) stops on the stop button.
    @Test func recursionStopsSoonAfterAnInterrupt() {
        let session = Session()
        let code = "func fib(n) {\n if n < 2 { return n }\n return fib(n - 1) + fib(n - 2)\n}\nfib(40)"
        let (result, latency) = runInterruptedOnce(session, code)
        #expect(result.diagnostic?.kind == .interrupted)
        #expect(result.diagnostic?.function == "fib")
        #expect(latency != nil && latency! < .milliseconds(100), "took \(String(describing: latency))")
        // The next cell runs normally, through the same cached call site.
        #expect(number(session, "fib(10)") == 55)
    }

    /// An error deep in a recursion keeps its location and callers on the cached path.
    @Test func errorsInsideRecursionKeepLocationsAndCallers() throws {
        let code = "func f(n) {\n if n == 0 { return n + \"a\" }\n return f(n - 1)\n}\nf(3)"
        let d = try #require(Session().run(code, host: RecordingHost()).diagnostic)
        #expect(d.kind == .typeError)
        #expect(d.function == "f")
        #expect(d.location?.line == 2)
        #expect(d.callers.map(\.line) == [3, 3, 3, 5])
    }
}
