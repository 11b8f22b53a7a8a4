@testable import AttentionLanguage
import Foundation
import Synchronization
import Testing

@Suite struct SessionTests {
    @Test func bindingsSurviveAFailingStatementInTheSameCell() {
        let session = Session()
        let result = session.run("a = 1\nb = a @ 2\nc = 3", host: RecordingHost())
        #expect(result.diagnostic?.kind == .typeError)
        #expect(session.boundNames == ["a"])
    }

    /// No system can give a 1 PiB stack: the cell fails with a LimitError saying so, and
    /// the session's bindings are untouched.
    @Test func aCellWhoseEvaluationThreadCannotStartFailsAndKeepsEveryBinding() {
        let session = Session(evaluationStackSizes: [1 << 50, 1 << 51])
        session.bind("x", to: .number(41))
        let result = session.run("y = x + 1", host: RecordingHost())
        #expect(result.diagnostic?.kind == .limitError)
        #expect(result.diagnostic?.evalue.contains("could not start thread attention-eval") == true, "\(String(describing: result.diagnostic?.evalue))")
        #expect(result.diagnostic?.evalue.contains("every binding is kept") == true)
        #expect(session.boundNames == ["x"])
        #expect(session.evaluate(expression: "x").diagnostic?.kind == .limitError)
    }

    /// When the big stack is refused the smaller one serves: cells run, and recursion deeper
    /// than the smaller stack allows ends in the stack guard's LimitError, not a crash.
    /// (`abs` keeps `down` on the general path: a function of numbers alone runs on the
    /// numeric machine, whose calls take no native stack, and goes as deep as the limit.)
    @Test func aRefusedStackFallsBackToTheSmallerOne() {
        let session = Session(limits: Limits(maxCallDepth: 5_000), evaluationStackSizes: [1 << 50, 4 << 20])
        #expect(session.run("x = 41\nx + 1", host: RecordingHost()).resultBundle?.plainText == "42")
        let deep = session.run("func down(n) {\n  if n == 0 { return 0 }\n  return down(n - 1) + abs(1)\n}\ndown(4000)", host: RecordingHost())
        #expect(deep.diagnostic?.kind == .limitError, "\(String(describing: deep.diagnostic?.rendered))")
        #expect(session.boundNames == ["down", "x"])
        let numeric = session.run("func count(n) {\n  if n == 0 { return 0 }\n  return count(n - 1) + 1\n}\ncount(4000)", host: RecordingHost())
        #expect(numeric.resultBundle?.plainText == "4000", "\(String(describing: numeric.diagnostic?.rendered))")
    }

    @Test func resultIsTheLastExpressionUnlessNil() {
        let session = Session()
        #expect(session.run("1 + 2", host: RecordingHost()).resultBundle?.plainText == "3")
        #expect(session.run("x = 1", host: RecordingHost()).resultBundle == nil)
        #expect(session.run("print(1)", host: RecordingHost()).resultBundle == nil)
        #expect(session.run("nil", host: RecordingHost()).resultBundle == nil)
        #expect(session.run("", host: RecordingHost()).resultBundle == nil)
    }

    @Test func outputsStreamInOrder() {
        let host = RecordingHost()
        _ = Session().run("print(\"a\")\nwarn(\"b\")\nshow(1)\nclear_output()\nhelp(relu)", host: host)
        let outputs = host.outputs
        #expect(outputs.count == 5)
        #expect(outputs.first == .stdout("a\n"))
        #expect(outputs.dropFirst().first == .stderr("b\n"))
        if case .page(let bundle) = outputs.last { #expect(bundle.plainText.hasPrefix("relu(x)")) } else { Issue.record("no page") }
    }

    @Test func diagnosticRenderingIsPinned() throws {
        let d = try #require(Session().run("x = 1\n\tlet y = x @ W", host: RecordingHost()).diagnostic)
        #expect(d.rendered == """
            NameError: 'W' is not defined; run the cell that defines it first
              --> line 2, column 14
               |
             2 | \tlet y = x @ W
               | \t            ^

            """)
        #expect(d.ename == "NameError")
        #expect(d.traceback.count == 5)
    }

    @Test func isComplete() {
        #expect(Session.isComplete("x = 1") == .complete)
        #expect(Session.isComplete("") == .complete)
        #expect(Session.isComplete("for i in 0..<3 {") == .incomplete(indent: "    "))
        #expect(Session.isComplete("f(1,") == .incomplete(indent: "    "))
        #expect(Session.isComplete("x = 1 +") == .incomplete(indent: ""))
        #expect(Session.isComplete("A = [1, 2\n3, 4") == .incomplete(indent: "    "))
        #expect(Session.isComplete("x = (1))") == .invalid)
        #expect(Session.isComplete("x = \"open") == .invalid)
        #expect(Session.isComplete("let = 3") == .invalid)
    }

    @Test func completionAndInspection() {
        let session = Session()
        _ = session.run("p = init_block(d_model: 4, heads: 2)\nsoft = 1\nfunc score(q, k) = q @ k.T", host: RecordingHost())
        let c = session.complete(code: "x = sof", cursorPosition: 7)
        #expect(c.matches == ["soft", "softmax"])
        #expect(c.cursorStart == 4 && c.cursorEnd == 7)
        let f = session.complete(code: "é = p.ln1", cursorPosition: 9)
        #expect(f.matches == ["ln1_beta", "ln1_gamma"])
        #expect(f.cursorStart == 6)
        #expect(session.complete(code: "fo", cursorPosition: 2).matches.contains("for"))
        // Each item says what it names; functions carry their signature.
        #expect(c.items == [CompletionItem(text: "soft", kind: .variable, signature: ""),
                            CompletionItem(text: "softmax", kind: .function, signature: "softmax(A, axis: 1, temperature: 1)")])
        #expect(session.complete(code: "sco", cursorPosition: 3).items == [CompletionItem(text: "score", kind: .function, signature: "score(q, k)")])
        #expect(session.complete(code: "fo", cursorPosition: 2).items.first { $0.text == "for" }?.kind == .keyword)
        #expect(f.items.allSatisfy { $0.kind == .property })
        #expect(session.complete(code: "p.W1.", cursorPosition: 5).matches == [])  // only plain names before the dot
        _ = session.run("M = eye(2)", host: RecordingHost())
        #expect(session.complete(code: "M.", cursorPosition: 2).matches == ["T", "cols", "rows", "shape"])
        #expect(session.inspect(code: "softmax(", cursorPosition: 8)?.plainText.hasPrefix("softmax(A, axis: 1, temperature: 1)") == true)
        #expect(session.inspect(code: "score", cursorPosition: 2)?.plainText.hasPrefix("score(q, k)") == true)
        #expect(session.inspect(code: "p", cursorPosition: 1)?.plainText.hasPrefix("p: record") == true)
        #expect(session.inspect(code: "   ", cursorPosition: 1) == nil)
        #expect(session.summary(of: "p")?.kind == "record")
        #expect(session.fields(of: "soft") == [])
        #expect(session.namesInScope.contains("softmax") && session.namesInScope.contains("score"))
    }

    @Test func everyBuiltinIsImplementedAndDocumented() {
        let session = Session()
        for info in BuiltinTable.all {
            #expect(!info.doc.isEmpty && !info.example.isEmpty && info.signature.hasPrefix(info.name + "("))
            let result = session.run("\(info.name)(nil, nil, nil, nil, nil, nil, nil, nil)", host: RecordingHost(allowInput: false))
            #expect(result.diagnostic?.kind != .internalError, "\(info.name)")
        }
        let contract = """
            zeros ones eye full randn rand tokens embed rows cols shape transpose hcat vcat split_heads concat_heads
            sqrt exp log abs tanh relu gelu gelu_tanh sum mean max min argmax norm softmax log_softmax
            raw_attention_weights raw_attention attention_weights attention single_head multi_head multi_head_weights causal_mask
            sinusoidal learned_positions rope layer_norm ffn init_block transformer_block gpt forward param_count generate
            print warn show heatmap heads clear_output help assert close expect_close expect_shape input
            """
        for name in contract.split(whereSeparator: \.isWhitespace) {
            #expect(BuiltinTable.info(String(name)) != nil, "\(name)")
        }
    }

    @Test func unknownLabelNamesTheAllowedOnes() throws {
        let d = try #require(Session().run("randn(2, 2, sed: 1)", host: RecordingHost()).diagnostic)
        #expect(d.kind == .typeError && d.message.contains("seed:") && d.message.contains("did you mean seed:?"))
    }
}

/// `Session.call`: a function a cell made, called between cells (what a comm's handler
/// does), under a cell's rules.
@Suite struct SessionCallTests {
    @Test func aCallbackRunsWithTheSessionsBindingsAndItsOutputGoesToItsHost() throws {
        let session = Session()
        #expect(session.run("scale = 2\nfunc on_change(v) {\n  print(\"got \" + str(v))\n  return v * scale\n}", host: RecordingHost()).diagnostic == nil)
        let handler = try #require(session.value(of: "on_change"))
        let host = RecordingHost()
        let result = session.call(handler, arguments: [.number(21)], host: host)
        #expect(result.value.map { Renderer.plainText($0) } == "42")
        #expect(host.outputs == [.stdout("got 21\n")])
    }

    @Test func aFailingCallbackIsADiagnosticAndEveryBindingSurvives() throws {
        let session = Session()
        _ = session.run("before = 1\nfunc bad(v) {\n  local = v\n  return v @ 2\n}", host: RecordingHost())
        let result = session.call(try #require(session.value(of: "bad")), arguments: [.number(1)], host: RecordingHost())
        #expect(result.diagnostic?.kind == .typeError)
        #expect(session.boundNames == ["bad", "before"])
        // The next cell runs as usual.
        #expect(session.run("before + 1", host: RecordingHost()).resultBundle?.plainText == "2")
    }

    @Test func callingSomethingThatIsNotAFunctionIsATypeError() {
        let session = Session()
        let result = session.call(.number(3), arguments: [], name: "comm handler", host: RecordingHost())
        #expect(result.diagnostic?.kind == .typeError)
        #expect(result.diagnostic?.evalue.contains("comm handler is a number") == true)
    }

    @Test func anEndlessCallbackIsInterrupted() throws {
        let session = Session()
        _ = session.run("kept = 1\nfunc spin() {\n  while true { spins = 1 }\n}", host: RecordingHost())
        let spin = try #require(session.value(of: "spin"))
        let done = Mutex(false)
        Thread.detachNewThread {
            while !done.withLock({ $0 }) {
                Thread.sleep(forTimeInterval: 0.05)
                session.interrupt()
            }
        }
        let result = session.call(spin, arguments: [], host: RecordingHost())
        done.withLock { $0 = true }
        #expect(result.diagnostic?.kind == .interrupted)
        #expect(session.boundNames == ["kept", "spin"])
    }
}
