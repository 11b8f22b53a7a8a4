import Foundation
import JSONValues
import Testing

@testable import JupyterProtocol

@Suite struct DispatcherRequestTests {
    @Test(arguments: [Channel.shell, Channel.control])
    func kernelInfoIsWrappedInBusyIdleOnBothChannels(channel: Channel) throws {
        let h = Harness()
        let sent = h.request("kernel_info_request", on: channel)
        #expect(sent.summary == ["iopub:status(busy)", "\(channel.rawValue):kernel_info_reply", "iopub:status(idle)"])
        let c = try #require(sent.first("kernel_info_reply")?.content)
        #expect(c["status"] == "ok")
        #expect(c["protocol_version"] == "5.3")
        #expect(c["implementation"] == "fake")
        #expect(c["implementation_version"] == "0.1")
        #expect(c["banner"] == "Fake kernel")
        #expect(c["help_links"] == [["text": "Docs", "url": "https://example.org"]])
        #expect(c["language_info"]?["file_extension"] == ".fake")
    }

    @Test func unknownTypeIsLoggedAndWrappedInBusyIdle() {
        let h = Harness()
        let sent = h.request("frobnicate_request")
        #expect(sent.summary == ["iopub:status(busy)", "iopub:status(idle)"])
        #expect(h.logged.all.contains { $0.contains("frobnicate_request") })
    }

    @Test func completeReplyHasAllFiveFields() throws {
        let h = Harness()
        let sent = h.request("complete_request", ["code": "é al", "cursor_pos": 4])
        #expect(sent.first("complete_reply")?.content == [
            "status": "ok", "matches": ["alpha", "alphabet"], "cursor_start": 2, "cursor_end": 4, "metadata": [:],
        ])
        // A cursor past the end (or missing) is clamped to the length in Unicode scalars.
        let clamped = h.request("complete_request", ["code": "é al", "cursor_pos": 99])
        #expect(clamped.first("complete_reply")?.content["cursor_end"] == 4)
        let missing = h.request("complete_request", ["code": "🙂al"])
        #expect(missing.first("complete_reply")?.content["cursor_end"] == 3)
    }

    @Test func inspectReply() throws {
        let h = Harness()
        let found = h.request("inspect_request", ["code": "alpha", "cursor_pos": 2, "detail_level": 1])
        #expect(found.first("inspect_reply")?.content == [
            "status": "ok", "found": true, "data": ["text/plain": "alpha: level 1"], "metadata": [:],
        ])
        let missing = h.request("inspect_request", ["code": "zzz", "cursor_pos": 1])
        #expect(missing.first("inspect_reply")?.content == ["status": "ok", "found": false, "data": [:], "metadata": [:]])
    }

    @Test func isCompleteStates() {
        let h = Harness()
        func status(_ code: String) -> JSONValue? { h.request("is_complete_request", ["code": .string(code)]).first("is_complete_reply")?.content }
        #expect(status("x = 1") == ["status": "complete"])
        #expect(status("fn f() {") == ["status": "incomplete", "indent": "  "])
        #expect(status("}") == ["status": "invalid"])
        #expect(status("") == ["status": "unknown"])
    }

    @Test func commInfoAndCommOpen() {
        let h = Harness()
        #expect(h.request("comm_info_request").first("comm_info_reply")?.content == ["status": "ok", "comms": [:]])
        let opened = h.request("comm_open", ["comm_id": "c1", "target_name": "jupyter.widget", "data": [:]])
        #expect(opened.summary == ["iopub:status(busy)", "iopub:comm_close", "iopub:status(idle)"])
        #expect(opened.first("comm_close")?.content == ["comm_id": "c1", "data": [:]])
        #expect(h.request("comm_msg", ["comm_id": "c1", "data": [:]]).summary == ["iopub:status(busy)", "iopub:status(idle)"])
        #expect(h.request("comm_close", ["comm_id": "c1", "data": [:]]).summary == ["iopub:status(busy)", "iopub:status(idle)"])
    }

    @Test func shutdownRepliesAndSignalsExit() {
        let h = Harness()
        h.transport.enqueue(Message.request("shutdown_request", content: ["restart": true]), on: .control)
        #expect(h.dispatcher.serve(.control) == .shutdown(restart: true))
        #expect(h.transport.sent.summary == ["iopub:status(busy)", "control:shutdown_reply", "iopub:status(idle)"])
        #expect(h.transport.sent.first("shutdown_reply")?.content == ["status": "ok", "restart": true])
        #expect(h.dispatcher.handle(Message.request("shutdown_request"), on: .control) == .shutdown(restart: false))
    }

    @Test func contentThatIsNotWhatWeExpectNeverCrashes() {
        let h = Harness()
        for type in ["execute_request", "complete_request", "inspect_request", "is_complete_request",
                     "history_request", "comm_open", "shutdown_request", "kernel_info_request"] {
            for content: JSONValue in [.object([:]), ["code": 5, "cursor_pos": "x", "n": -3, "restart": "yes"],
                                       ["code": "print x", "cursor_pos": -10, "user_expressions": [1, 2]]] {
                let sent = h.request(type, content)
                #expect(sent.first?.message.content["execution_state"] == "busy")
                #expect(sent.last?.message.content["execution_state"] == "idle")
            }
        }
    }
}

@Suite struct DispatcherHistoryTests {
    func filled() -> Harness {
        let h = Harness()
        for code in ["print a", "result 1", "print b", "print a", "print c"] { _ = h.execute(code) }
        _ = h.execute("print hidden", ["store_history": false])
        return h
    }

    func history(_ h: Harness, _ content: JSONValue) -> JSONValue? {
        h.request("history_request", content).first("history_reply")?.content["history"]
    }

    @Test func tail() {
        let h = filled()
        #expect(history(h, ["hist_access_type": "tail", "n": 2, "output": false, "raw": true])
            == [[1, 4, "print a"], [1, 5, "print c"]])
        #expect(h.request("history_request", ["hist_access_type": "tail", "n": 1]).first("history_reply")?.content["status"] == "ok")
    }

    @Test func tailWithOutput() {
        let h = filled()
        #expect(history(h, ["hist_access_type": "tail", "n": 4, "output": true])
            == [[1, 2, ["result 1", "1"]], [1, 3, ["print b", nil]], [1, 4, ["print a", nil]], [1, 5, ["print c", nil]]])
    }

    @Test func range() {
        let h = filled()
        #expect(history(h, ["hist_access_type": "range", "session": 0, "start": 2, "stop": 4])
            == [[1, 2, "result 1"], [1, 3, "print b"]])
        #expect(history(h, ["hist_access_type": "range", "session": 1, "start": 4]) == [[1, 4, "print a"], [1, 5, "print c"]])
        #expect(history(h, ["hist_access_type": "range", "session": 7, "start": 1]) == [])
    }

    @Test func search() {
        let h = filled()
        #expect(history(h, ["hist_access_type": "search", "pattern": "print a*"]) == [[1, 1, "print a"], [1, 4, "print a"]])
        #expect(history(h, ["hist_access_type": "search", "pattern": "print *", "unique": true])
            == [[1, 3, "print b"], [1, 4, "print a"], [1, 5, "print c"]])
        #expect(history(h, ["hist_access_type": "search", "pattern": "print *", "n": 1]) == [[1, 5, "print c"]])
        #expect(history(h, ["hist_access_type": "search", "pattern": "nothing*"]) == [])
    }
}

@Suite struct DispatcherControlTests {
    @Test func controlServesOnlyRequestsThatLeaveTheInterpreterAlone() {
        let h = Harness()
        let sent = h.request("execute_request", ["code": "print x"], on: .control)
        #expect(sent.summary == ["iopub:status(busy)", "iopub:status(idle)"])
        #expect(h.interpreter.requests.isEmpty)
        #expect(h.request("comm_info_request", on: .control).first("comm_info_reply") != nil)
        #expect(h.request("history_request", ["hist_access_type": "tail", "n": 1], on: .control).first("history_reply") != nil)
    }
}
