import Foundation
import JSONValues
import JupyterProtocol
import Testing

@testable import AttentionKernel

/// The real interpreter behind the real dispatcher, over the in-memory transport: what a
/// front end would receive, without sockets.
final class KernelHarness: @unchecked Sendable {
    let transport = InMemoryTransport()
    let interpreter: AttentionInterpreter
    let dispatcher: KernelDispatcher

    init(maxOutputBytes: Int = 1_000_000) {
        interpreter = AttentionInterpreter(settings: Settings(output: OutputLimit(maxBytes: maxOutputBytes)))
        dispatcher = KernelDispatcher(interpreter: interpreter, transport: transport, session: "kernel", log: { _ in })
    }

    /// Runs one request and returns everything sent in answer, in order.
    func send(_ type: String, _ content: JSONObject) -> [InMemoryTransport.Sent] {
        transport.clearSent()
        transport.enqueue(Message.request(type, content: .object(content)))
        _ = dispatcher.serve(.shell)
        return transport.sent
    }

    func execute(_ code: String, _ extra: JSONObject = [:]) -> [InMemoryTransport.Sent] {
        var content: JSONObject = ["code": .string(code), "silent": false, "store_history": true, "allow_stdin": false]
        for (key, value) in extra.pairs { content[key] = value }
        return send("execute_request", content)
    }
}

extension [InMemoryTransport.Sent] {
    func messages(_ type: String) -> [Message] { filter { $0.message.msgType == type }.map(\.message) }
    func first(_ type: String) -> Message? { messages(type).first }
    var types: [String] { map(\.message.msgType) }
}

struct AttentionInterpreterTests {
    @Test func resultIsAnExecuteResultWithEveryMimeType() throws {
        let h = KernelHarness()
        let sent = h.execute("[1, 2; 3, 4] @ eye(2)")
        #expect(sent.types == ["status", "execute_input", "execute_result", "execute_reply", "status"])
        let data = try #require(sent.first("execute_result")?.content["data"])
        #expect(data["application/vnd.attention.matrix+json"] == ["shape": [2, 2], "data": [[1, 2], [3, 4]]])
        #expect(data["text/plain"]?.stringValue?.contains("2×2") == true)
        #expect(data["text/html"]?.stringValue?.contains("<table") == true)
        #expect(data["application/json"] == nil)
        #expect(h.execute("1 + 2").first("execute_result")?.content["data"]?["text/plain"] == "3")
    }

    @Test func printStreamsAndNilHasNoResult() {
        let h = KernelHarness()
        let sent = h.execute("print(\"hello\", 1 + 1)")
        #expect(sent.first("stream")?.content == ["name": "stdout", "text": "hello 2\n"])
        #expect(sent.first("execute_result") == nil)
        #expect(h.execute("warn(\"careful\")").first("stream")?.content["name"] == "stderr")
    }

    @Test func errorIsOneCaretDiagnosticAndBindingsSurvive() throws {
        let h = KernelHarness()
        _ = h.execute("let A = ones(2, 3)")
        let sent = h.execute("let B = 5\nA @ A")
        #expect(sent.messages("error").count == 1)
        #expect(sent.messages("stream").isEmpty)
        let reply = try #require(sent.first("execute_reply"))
        #expect(reply.content["status"] == "error")
        #expect(reply.content["ename"] == "ShapeError")
        let lines = try #require(reply.content["traceback"]?.arrayValue)
        let traceback = lines.compactMap { $0.stringValue }.joined(separator: "\n")
        #expect(traceback.contains("2×3") && traceback.contains("line 2") && traceback.contains("A @ A") && traceback.contains("^"))
        #expect(h.execute("A.rows + B").first("execute_result")?.content["data"]?["text/plain"] == "7")
    }

    @Test func displaysAndPages() throws {
        let h = KernelHarness()
        let heatmap = h.execute("heatmap(softmax(eye(3)), rows: tokens(\"a b c\"), cols: tokens(\"a b c\"))")
        let data = try #require(heatmap.first("display_data")?.content["data"])
        #expect(data["image/png"]?.stringValue?.hasPrefix("iVBORw0KGgo") == true)  // base64 of the PNG signature
        #expect(data["text/html"]?.stringValue?.contains("<table class=\"heatmap-cells\"") == true)
        #expect(data["image/svg+xml"] == nil)
        let help = h.execute("help(softmax)")
        let payload = try #require(help.first("execute_reply")?.content["payload"]?.arrayValue?.first)
        #expect(payload["source"] == "page")
        #expect(payload["data"]?["text/plain"]?.stringValue?.contains("softmax") == true)
        #expect(h.execute("clear_output(wait: true)").first("clear_output")?.content == ["wait": true])
    }

    @Test func displayIDsAllowUpdatesInPlace() throws {
        let h = KernelHarness()
        let first = try #require(h.execute("show(1, display_id: \"step\")").first("display_data"))
        #expect(first.content["transient"] == ["display_id": "step"])
        let sent = h.execute("for i in 2..<4 { heatmap(full(2, 2, i / 4), display_id: \"step\", update: true) }")
        let updates = sent.messages("update_display_data")
        #expect(updates.count == 2 && sent.messages("display_data").isEmpty)
        #expect(updates.allSatisfy { $0.content["transient"] == ["display_id": "step"] })
        #expect(updates.first?.content["data"]?["image/png"] != nil)
    }

    @Test func completionInspectionAndCompleteness() throws {
        let h = KernelHarness()
        _ = h.execute("let block = init_block(d_model: 8, heads: 2, seed: 1)")
        let code = "let s = \"🦊\"; sof"
        let complete = h.send("complete_request", ["code": .string(code), "cursor_pos": .number(Double(code.unicodeScalars.count))])
        let reply = try #require(complete.first("complete_reply")?.content)
        #expect(reply["matches"] == ["softmax"])
        #expect(reply["cursor_start"] == .number(Double(code.unicodeScalars.count - 3)))
        let fields = h.send("complete_request", ["code": "block.W", "cursor_pos": 7]).first("complete_reply")?.content["matches"]
        #expect(fields == ["W1", "W2", "Wk", "Wo", "Wq", "Wv"])
        let inspect = h.send("inspect_request", ["code": "softmax", "cursor_pos": 3, "detail_level": 0]).first("inspect_reply")
        #expect(inspect?.content["found"] == true)
        for (code, status) in [("1 + 2", "complete"), ("func f(x) {", "incomplete"), ("1 + )", "invalid")] {
            #expect(h.send("is_complete_request", ["code": .string(code)]).first("is_complete_reply")?.content["status"] == .string(status))
        }
    }

    @Test func interruptFromAnotherThreadKeepsState() throws {
        let h = KernelHarness()
        _ = h.execute("let x = 41")
        let interpreter = h.interpreter
        // A Dispatch thread, not a Task: the cell blocks this test's thread, and Swift
        // Testing's cooperative pool may have no other thread free to run a Task.
        DispatchQueue.global().asyncAfter(deadline: .now() + 0.3) { interpreter.interrupt() }
        let sent = h.execute("let i = 0\nfor k in 0..<100000000000 { i = i + 1 }")
        #expect(sent.first("execute_reply")?.content["ename"] == "Interrupted")
        #expect(h.execute("x + 1").first("execute_result")?.content["data"]?["text/plain"] == "42")
        #expect(h.execute("i > 0").first("execute_result")?.content["data"]?["text/plain"] == "true")
    }

    @Test func interruptWhileWaitingForInputIsAnInterrupt() throws {
        let h = KernelHarness()
        h.transport.respondToInput { _ in nil }  // the front end never answers
        let dispatcher = h.dispatcher
        DispatchQueue.global().asyncAfter(deadline: .now() + 0.3) { dispatcher.interrupt() }
        let sent = h.execute("let before = 1\nlet name = input(\"name?\")", ["allow_stdin": true])
        #expect(sent.first("execute_reply")?.content["ename"] == "Interrupted")
        #expect(h.execute("before").first("execute_result")?.content["data"]?["text/plain"] == "1")
    }

    @Test func userExpressionsAreEvaluatedButCannotBind() throws {
        let h = KernelHarness()
        _ = h.execute("let x = 41")
        let sent = h.execute("1", ["user_expressions": ["next": "x + 1", "sneaky": "y = 3"]])
        let results = try #require(sent.first("execute_reply")?.content["user_expressions"])
        #expect(results["next"]?["status"] == "ok")
        #expect(results["next"]?["data"]?["text/plain"] == "42")
        #expect(results["sneaky"]?["status"] == "error")
        #expect(h.execute("y").first("execute_reply")?.content["ename"] == "NameError")
    }

    @Test func runawayPrintingIsCutWithANote() {
        let h = KernelHarness(maxOutputBytes: 1000)
        let sent = h.execute("for i in 0..<10000 { print(\"line\", i) }")
        let text = sent.messages("stream").compactMap { $0.content["text"]?.stringValue }.joined()
        #expect(text.utf8.count < 1300)
        #expect(text.contains("output truncated"))
        #expect(sent.first("execute_reply")?.content["status"] == "ok")
    }

    /// A result or display bigger than the output budget (a big matrix's exact JSON, a
    /// long string) is sent as text cut to the budget with a note, not as many megabytes.
    @Test func oversizedResultsAndDisplaysAreCutWithANote() throws {
        let h = KernelHarness(maxOutputBytes: 10_000)
        let matrix = try #require(h.execute("zeros(300, 300)").first("execute_result")?.content["data"])
        #expect(matrix["application/vnd.attention.matrix+json"] == nil)
        #expect(matrix["text/plain"]?.stringValue?.contains("ATTN_MAX_OUTPUT_BYTES") == true)
        #expect(matrix["text/plain"]?.stringValue?.hasPrefix("matrix 300×300") == true)
        let string = try #require(h.execute("let s = \"" + String(repeating: "y", count: 50_000) + "\"\ns").first("execute_result")?.content["data"])
        #expect((string["text/plain"]?.stringValue?.utf8.count ?? .max) < 10_300)
        let shown = try #require(h.execute("show(s)").first("display_data")?.content["data"])
        #expect(shown["text/plain"]?.stringValue?.contains("output truncated") == true)
        // Small results keep every representation.
        let small = try #require(h.execute("eye(2)").first("execute_result")?.content["data"])
        #expect(small["application/vnd.attention.matrix+json"] != nil && small["text/html"] != nil)
    }

    @Test func kernelInfoNamesTheLanguage() throws {
        let h = KernelHarness()
        let info = try #require(h.send("kernel_info_request", [:]).first("kernel_info_reply")?.content)
        #expect(info["language_info"]?["name"] == "attention")
        #expect(info["language_info"]?["file_extension"] == ".attn")
        #expect(info["language_info"]?["codemirror_mode"] == "swift")
        #expect(info["implementation"] == "attention-kernel")
    }
}

struct OutputBudgetTests {
    @Test func cutsAtACharacterBoundaryOnce() {
        var budget = OutputBudget(limit: OutputLimit(maxBytes: 6, maxDisplays: 1))
        #expect(budget.admit("ab") == "ab")
        let cut = budget.admit("🦊🦊") ?? ""
        #expect(cut.hasPrefix("\n[output truncated") == false && cut.hasPrefix("🦊\n[output truncated"))
        #expect(budget.admit("more") == nil)
        #expect(budget.admitDisplay() == (true, nil))
        let second = budget.admitDisplay()
        #expect(second.allowed == false && second.note != nil)
        #expect(budget.admitDisplay() == (false, nil))
    }
}
