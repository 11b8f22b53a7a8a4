@testable import AttentionLanguage
import Foundation
import Synchronization
import Testing

/// The numeric tier (Evaluation/NumericTier.swift): functions that compute only with numbers
/// run a second, unboxed version. Whatever it saves, every program gives what the general
/// path gives: the same printed text, the same bits of every number, the same errors with
/// the same locations and callers. Most tests run each program with the tier off and on
/// (`Limits.numericTier`) and compare the transcripts.
@Suite struct NumericTierTests {
    /// What a student sees of a run of `cells` in one session: output, the final value's bits
    /// (a number) or kind, and the diagnostic with its location and callers.
    private func transcript(_ cells: [String], tier: Bool, limits: Limits = Limits()) -> [String] {
        var limits = limits
        limits.numericTier = tier
        let session = Session(limits: limits)
        return cells.map { cell in
            let host = RecordingHost()
            let result = session.run(cell, host: host)
            var value = "none"
            switch result.value {
            case .number(let d)?: value = "number \(d) bits \(d.bitPattern)"
            case let v?: value = v.kindDescription
            case nil: break
            }
            let d = result.diagnostic
            let diagnostic = d.map { "\($0.kind) \($0.message) at \(String(describing: $0.location)) in \($0.function ?? "-") from \($0.callers)" } ?? "ok"
            return "\(host.text)|\(value)|\(diagnostic)"
        }
    }

    /// The function `name` is bound to in `session`.
    private func function(_ session: Session, _ name: String) -> UserFunction? {
        if case .function(.user(let f))? = session.value(of: name) { return f }
        return nil
    }

    private func expectSameOnBothTiers(_ cells: [String], limits: Limits = Limits(), sourceLocation: Testing.SourceLocation = #_sourceLocation) {
        let general = transcript(cells, tier: false, limits: limits)
        let numeric = transcript(cells, tier: true, limits: limits)
        #expect(general == numeric, "\(cells)", sourceLocation: sourceLocation)
    }

    /// Programs over every construct the tier compiles, and over what it leaves to the
    /// general path, give the same transcript on both tiers.
    @Test func programsGiveTheSameTranscriptOnBothTiers() {
        let programs: [[String]] = [
            ["func fib(n) {\n if n < 2 { return n }\n return fib(n - 1) + fib(n - 2)\n}\nfib(20)"],
            ["func f(x) = x * 3.1 - 7 / x + x % 2.5 - -x\nprint(f(1.7))\nf(-0.3)"],
            // Division by zero, floored modulo of negatives, nan and inf passed in.
            ["func d(a, b) = a / b\nprint(d(1, 0), d(-1, 0), d(0, 0))\nd(1, 0)"],
            ["func m(a, b) = a % b\nprint(m(-7, 3), m(7, -3), m(5.5, 2), m(1, 0))\nm(-7, 3)"],
            ["func g(x) = x + 1\ng(nan)", "g(inf)", "g(-0.0) * -1"],
            // Loops, locals, break, continue, while, nested ifs and else-ifs.
            ["""
            func s(n) {
                t = 0
                for i in 0..<n {
                    if i % 3 == 0 { continue } else if i > 50 { break }
                    t = t + i * i
                }
                k = 0
                while k < 10 && t > 0 { k = k + 1 }
                return t + k / 7
            }
            s(100)
            """],
            ["func c(a, b) {\n if !(a < b) || a == b { return 1 }\n if a >= b { return 2 } else { return 3 }\n}\nc(1, 2) * 10 + c(2, 1) + c(3, 3) * 100"],
            // A local assigned on every path; a local that may be unbound reads the session's.
            ["func p(x) {\n if x > 0 { y = 1 } else { y = 2 }\n return y * x\n}\np(3) + p(-3)"],
            ["y = 5\nfunc q(x) {\n if x > 0 { y = 1 }\n return y + x\n}\nq(1) * 10 + q(-1)"],
            // Globals holding numbers; a global that is not a number.
            ["scale = 2.5\nfunc sc(x) = x * scale\nsc(2)", "scale = \"big\"\nsc(2)", "scale = 4\nsc(2)"],
            // Mutual recursion, several arities, a call in a range bound.
            ["func ev(n) {\n if n == 0 { return 1 }\n return od(n - 1)\n}\nfunc od(n) {\n if n == 0 { return 0 }\n return ev(n - 1)\n}\nev(17) * 10 + od(17)"],
            ["func z() = 4\nfunc two(a, b) = a - b\nfunc four(a, b, c, d) = a * 1000 + b * 100 + c * 10 + d\nfunc w(n) {\n t = 0\n for i in two(n, 1)..<z() { t = t + four(i, z(), two(9, i), 1) }\n return t\n}\nw(2)"],
            // What the general path must decide: a non-whole range bound, falling off the end,
            // a string, a bool or a matrix argument, a callee with side effects, a builtin.
            ["func r(n) {\n t = 0\n for i in 0..<n { t = t + i }\n return t\n}\nr(4.5)", "r(4)"],
            ["func none(x) { y = x }\nprint(none(1))", "func half(x) {\n if x > 0 { return x }\n}\nprint(half(1), half(-1))"],
            ["func inc(x) = x + 1\ninc(\"a\")", "inc(true)", "inc([1, 2])", "inc(1)"],
            ["func loud(x) { print(x)\n return x * 2 }\nfunc quiet(x) = loud(x) + 1\nquiet(3)", "quiet(4)"],
            ["func root(x) = sqrt(x) + 1\nroot(16)"],
            ["func cmp(x) {\n if x < \"a\" { return 1 }\n return 2\n}\ncmp(1)"],
            ["func neg(x) = -x\nneg([1, 2; 3, 4])"],
            // Rebinding between cells and inside a cell.
            ["func f(x) = x + 1\nfunc g(x) = f(x) * 2\ng(1)", "func f(x) = x + 10\ng(1)", "f = 3\ng(1)", "func f(x, y) = x\ng(1)", "func f(x) { print(x)\n return x }\ng(1)"],
            ["func a(x) = 1\nfunc b(x) = 2\nfunc call(x) = h(x)\nh = a\ns = 0\nfor i in 0..<4 {\n if i == 2 { h = b }\n s = s * 10 + call(i)\n}\ns"],
            // Errors deep in a recursion: location, function and callers.
            ["func e(n) {\n if n == 0 { return n + \"a\" }\n return e(n - 1)\n}\ne(3)"],
            ["func u(n) {\n if n == 0 { return undefinedThing }\n return u(n - 1) + 1\n}\nu(3)"],
        ]
        for cells in programs { expectSameOnBothTiers(cells) }
    }

    /// What the register machine does its own way gives the general path's transcript too:
    /// `&&`/`||` chains compiled to jumps, constants on either side (and both), `continue` and
    /// `break` in nested loops, `return` from inside loops, frames that outgrow the machine's
    /// first stack, and a recursion deeper than the machine holds.
    @Test func machineProgramsGiveTheSameTranscriptOnBothTiers() {
        let logic = ["a < b || c < d && e > f", "!(a < b) && c < d || e > f", "a < b && !(c < d || e > f) || a == f",
                     "true && a < b", "false || !(c >= d)", "a != b && b != c && c != d || false", "!true || !(a <= 2)"]
        var cells: [String] = []
        for (k, test) in logic.enumerated() {
            cells.append("func l\(k)(a, b, c, d, e, f) {\n if \(test) { return 1 }\n return 0\n}\n"
                + "t = 0\nfor i in 0..<64 { t = t * 2 + l\(k)(i % 2, i % 3, i % 5, i % 7, i % 4, i % 6) }\nt")
        }
        let programs: [[String]] = [
            cells,
            ["func k(x) = 2 + 3 * 4 - x / 2 + (1 - 7) % 4\nk(3)", "func kk(x) {\n if 2 < x { return -2 }\n if 1 < 2 && 3 >= x { return 1 % 0 }\n return -x\n}\nkk(5) * 100 + kk(1) + kk(4)"],
            ["""
            func nest(n) {
                t = 0
                for i in 0..<n {
                    if i == 3 { continue }
                    j = 0
                    while true {
                        j = j + 1
                        if j > i { break }
                        if j % 2 == 0 { continue }
                        for m in j..<i { if m > 5 { break }
                         t = t + m }
                    }
                    if t > 200 { return t + i / 1000 }
                }
                return -t
            }
            nest(4) * 1000 + nest(40)
            """],
            // Many locals and temporaries at a depth of 150: more than the first numeric stack.
            ["func wide(n) {\n a = n + 1\n b = a * 2\n c = b - a\n d = c * c\n e = d % 7\n if n == 0 { return e }\n return wide(n - 1) + a + b + c + d + e + (a + (b + (c + (d + e))))\n}\nwide(150)"],
            // A recursion 3,000 deep (the general path's stack guard decides beyond the
            // machine's own limit: `theDepthLimitIsTheSameOnBothTiers`).
            ["func down(n) {\n if n == 0 { return 0 }\n return down(n - 1) + 1\n}\ndown(3000)"],
        ]
        for cells in programs { expectSameOnBothTiers(cells, limits: Limits(maxCallDepth: 5_000)) }
        // Each of them ran on the machine (else the comparison above proves nothing).
        let session = Session(limits: Limits(maxCallDepth: 5_000))
        for cell in programs.joined() { _ = session.run(cell, host: RecordingHost()) }
        for name in (0..<logic.count).map({ "l\($0)" }) + ["k", "kk", "nest", "wide", "down"] {
            #expect(function(session, name)?.numericBody != nil, "\(name)")
            #expect(function(session, name)?.isNumericEnabled == true, "\(name)")
        }
    }

    /// The call-depth limit ends a numeric recursion with the general path's LimitError, its
    /// function and every caller line.
    @Test func theDepthLimitIsTheSameOnBothTiers() {
        let limits = Limits(maxCallDepth: 50)
        expectSameOnBothTiers(["func down(n) = down(n + 1)\ndown(0)", "down(1) + 1"], limits: limits)
        expectSameOnBothTiers(["func two(a, b) {\n if a > 1000 { return a }\n return two(b, a + 1) + 1\n}\ntwo(0, 1)"], limits: limits)
        let d = Session(limits: limits).run("func down(n) = down(n + 1)\ndown(0)", host: RecordingHost()).diagnostic
        #expect(d?.kind == .limitError)
        #expect(d?.callers.count == 50)
        // Deeper than the stack holds: the stack guard, never a trap.
        let deep = Session(limits: Limits(maxCallDepth: 100_000_000)).run("func down(n) = down(n + 1)\ndown(0)", host: RecordingHost()).diagnostic
        #expect(deep?.kind == .limitError)
    }

    /// Functions the tier can run get a numeric version, and calls of them use it; the
    /// others get none.
    @Test func numericFunctionsAreRecognisedAndUsed() throws {
        let session = Session()
        _ = session.run("""
            func fib(n) {
                if n < 2 { return n }
                return fib(n - 1) + fib(n - 2)
            }
            func talk(x) { print(x)
             return x }
            func text(x) = "a"
            func power(x) = x ** 2
            """, host: RecordingHost())
        let fib = try #require(function(session, "fib"))
        #expect(fib.numericBody != nil)
        #expect(function(session, "talk")?.numericBody == nil)
        #expect(function(session, "text")?.numericBody == nil)
        #expect(function(session, "power")?.numericBody == nil)
        #expect(session.run("fib(15)", host: RecordingHost()).value.flatMap { if case .number(let d) = $0 { d } else { nil } } == 610)
        #expect(fib.isNumericEnabled == true)
    }

    /// A callee that is not numeric ends the numeric run before its call, and the general
    /// version runs the whole call once: the side effect happens once, the numeric version
    /// is not tried again.
    @Test func aBailRunsTheGeneralVersionOnceWithoutRepeatingSideEffects() throws {
        let session = Session()
        _ = session.run("func side(x) { print(x)\n return x }\nfunc outer(n) {\n t = n * 2\n return side(t) + side(t + 1)\n}", host: RecordingHost())
        let outer = try #require(function(session, "outer"))
        #expect(outer.numericBody != nil)
        let host = RecordingHost()
        let value = session.run("outer(5)", host: host).value
        #expect(host.text == "10\n11\n")
        if case .number(let d)? = value { #expect(d == 21) } else { Issue.record("no number: \(String(describing: value))") }
        #expect(outer.isNumericEnabled == false)
        let again = RecordingHost()
        _ = session.run("outer(1)", host: again)
        #expect(again.text == "2\n3\n")
    }

    /// An argument that is not a number runs the general version from the start, and the
    /// numeric version stays in use for numbers.
    @Test func aNonNumberArgumentTakesTheGeneralPath() throws {
        let session = Session()
        _ = session.run("func twice(x) = x + x", host: RecordingHost())
        let twice = try #require(function(session, "twice"))
        let m = session.run("twice([1, 2])", host: RecordingHost())
        if case .matrix(let matrix)? = m.value { #expect(matrix.storage == [2, 4]) } else { Issue.record("no matrix") }
        let s = session.run("twice(\"ab\")", host: RecordingHost())
        #expect(s.diagnostic != nil || s.value != nil)
        #expect(twice.isNumericEnabled == true)
        if case .number(let d)? = session.run("twice(21)", host: RecordingHost()).value { #expect(d == 42) } else { Issue.record("no number") }
    }

    /// Bodies nested deeper than `NumericCompiler.maxNesting` are the general version's alone
    /// (numeric code checks the stack only at calls and loops); shallower ones compile.
    @Test func deeplyNestedBodiesAreLeftToTheGeneralPath() throws {
        let session = Session()
        func nested(_ depth: Int) -> String { String(repeating: "(", count: depth) + "x" + String(repeating: " + 1)", count: depth) }
        _ = session.run("func deep(x) = \(nested(80))\nfunc shallow(x) = \(nested(20))", host: RecordingHost())
        #expect(try #require(function(session, "deep")).numericBody == nil)
        #expect(try #require(function(session, "shallow")).numericBody != nil)
        expectSameOnBothTiers(["func deep(x) = \(nested(80))\ndeep(1)", "func shallow(x) = \(nested(20))\nshallow(1)"])
        // A long flat chain nests its closures as deeply.
        let chain = Array(repeating: "x", count: 1000).joined(separator: " + ")
        _ = session.run("func long(x) = \(chain)\nfunc short(x) = x + x + x", host: RecordingHost())
        #expect(try #require(function(session, "long")).numericBody == nil)
        #expect(try #require(function(session, "short")).numericBody != nil)
    }

    /// The stop button ends a numeric loop, with the general path's error, function and
    /// location, and the session goes on (the next cell runs through the same function).
    @Test func anInterruptStopsANumericLoopAndTheSessionGoesOn() throws {
        let session = Session()
        _ = session.run("func spin(n) {\n while n >= 0 { n = n + 1 }\n return n\n}", host: RecordingHost())
        #expect(try #require(function(session, "spin")).numericBody != nil)
        Thread.detachNewThread {
            Thread.sleep(forTimeInterval: 0.2)
            session.interrupt()
        }
        let result = session.run("spin(0)", host: RecordingHost())
        #expect(result.diagnostic?.kind == .interrupted)
        #expect(result.diagnostic?.function == "spin")
        #expect(result.diagnostic?.location?.line == 2)
        if case .number(let d)? = session.run("spin(-5)", host: RecordingHost()).value { #expect(d == -5) } else { Issue.record("no number") }
    }

    /// An interrupt two numeric calls deep carries the same function, location and callers on
    /// both tiers (the machine decorates the error with each call it leaves).
    @Test func anInterruptInsideNestedNumericCallsHasTheGeneralCallers() throws {
        func interrupted(tier: Bool) -> String {
            var limits = Limits()
            limits.numericTier = tier
            let session = Session(limits: limits)
            _ = session.run("func spin(n) {\n while n >= 0 { n = n + 1 }\n return n\n}\nfunc middle(x) = spin(x) + 1\nfunc outer(x) = 2 * middle(x)", host: RecordingHost())
            Thread.detachNewThread {
                Thread.sleep(forTimeInterval: 0.2)
                session.interrupt()
            }
            let d = session.run("outer(0)", host: RecordingHost()).diagnostic
            // The line: where in it the general path polls differs (it polls between statements too).
            return d.map { "\($0.kind) line \($0.location?.line ?? 0) in \($0.function ?? "-") from \($0.callers)" } ?? "no error"
        }
        let numeric = interrupted(tier: true)
        #expect(numeric.contains("interrupted"))
        #expect(numeric == interrupted(tier: false))
    }
}
