import Foundation
import JSONValues
import Testing

@testable import JupyterProtocol

@Suite struct DispatcherExecuteTests {
    @Test func executeOrderAndFields() throws {
        let h = Harness()
        let sent = h.execute("print hi")
        #expect(sent.summary == [
            "iopub:status(busy)", "iopub:execute_input", "iopub:stream", "shell:execute_reply", "iopub:status(idle)",
        ])
        let input = try #require(sent.first("execute_input"))
        #expect(input.content["code"] == "print hi")
        #expect(input.content["execution_count"] == 1)
        #expect(sent.first("stream")?.content == ["name": "stdout", "text": "hi"])
        let reply = try #require(sent.first("execute_reply"))
        #expect(reply.content == ["status": "ok", "execution_count": 1, "payload": [], "user_expressions": [:]])
        // Every message has the request as parent and this kernel's session.
        let requestID = try #require(sent.first?.message.parentMsgID)
        for s in sent {
            #expect(s.message.parentMsgID == requestID)
            #expect(s.message.header.session == "kernel-session")
            #expect(s.message.header.version == "5.3")
        }
        #expect(Set(sent.map(\.message.header.msgID)).count == sent.count)
        #expect(reply.identities == [Data("client".utf8)])
        // The IOPub topic (`kernel.<session>.<type>`) is the ZeroMQ transport's: see ZMQKernelTransportTests.
        #expect(sent.first?.message.identities == [])
    }

    @Test func executionCountGrowsOnlyWithStoreHistory() throws {
        let h = Harness()
        _ = h.execute("print a")
        let noStore = h.execute("print b", ["store_history": false])
        #expect(noStore.first("execute_reply")?.content["execution_count"] == 1)
        #expect(noStore.first("execute_input")?.content["execution_count"] == 1)
        #expect(h.interpreter.requests.last?.storeHistory == false)
        let third = h.execute("print c")
        #expect(third.first("execute_reply")?.content["execution_count"] == 2)
        #expect(h.dispatcher.executionCount == 2)
    }

    @Test func silentPublishesNoInputNoResultAndDoesNotCount() throws {
        let h = Harness()
        let sent = h.execute("result 42", ["silent": true, "store_history": true])
        #expect(sent.summary == ["iopub:status(busy)", "shell:execute_reply", "iopub:status(idle)"])
        #expect(sent.first("execute_reply")?.content["execution_count"] == 0)
        #expect(h.interpreter.requests.last?.silent == true)
        #expect(h.interpreter.requests.last?.storeHistory == false)
        #expect(h.dispatcher.executionCount == 0)
    }

    @Test func executeResultCarriesTheCount() throws {
        let h = Harness()
        let sent = h.execute("result 42")
        #expect(sent.summary == [
            "iopub:status(busy)", "iopub:execute_input", "iopub:execute_result", "shell:execute_reply",
            "iopub:status(idle)",
        ])
        #expect(sent.first("execute_result")?.content == [
            "execution_count": 1, "data": ["text/plain": "42"], "metadata": [:],
        ])
    }

    @Test func errorGivesOneErrorMessageAndAnErrorReply() throws {
        let h = Harness()
        let sent = h.execute("error now")
        #expect(sent.summary == [
            "iopub:status(busy)", "iopub:execute_input", "iopub:error", "shell:execute_reply", "iopub:status(idle)",
        ])
        #expect(sent.first("error")?.content == [
            "ename": "Boom", "evalue": "bad now", "traceback": ["Boom: bad", "  at line 1"],
        ])
        #expect(sent.first("execute_reply")?.content == [
            "status": "error", "execution_count": 1, "ename": "Boom", "evalue": "bad now",
            "traceback": ["Boom: bad", "  at line 1"],
        ])
    }

    @Test func stopOnErrorAbortsTheExecutesQueuedAtTheError() throws {
        let h = Harness()
        h.transport.enqueue(Message.request("execute_request", content: ["code": "error"]))
        h.transport.enqueue(Message.request("execute_request", content: ["code": "print skipped"]))
        h.transport.enqueue(Message.request("kernel_info_request"))
        h.transport.enqueue(Message.request("execute_request", content: ["code": "print skipped too"]))
        #expect(h.dispatcher.serve(.shell) == .proceed)
        let sent = h.transport.sent
        #expect(sent.summary == [
            "iopub:status(busy)", "iopub:execute_input", "iopub:error", "shell:execute_reply", "iopub:status(idle)",
            "iopub:status(busy)", "shell:execute_reply", "iopub:status(idle)",
            "iopub:status(busy)", "shell:kernel_info_reply", "iopub:status(idle)",
            "iopub:status(busy)", "shell:execute_reply", "iopub:status(idle)",
        ])
        let replies = sent.all("execute_reply")
        #expect(replies[1].content == ["status": "aborted"])
        #expect(replies[2].content == ["status": "aborted"])
        #expect(h.interpreter.requests.count == 1)
        #expect(h.dispatcher.executionCount == 1)
        // Once drained, the next cell runs normally.
        let after = h.execute("print ok")
        #expect(after.first("execute_reply")?.content["status"] == "ok")
        #expect(after.first("execute_reply")?.content["execution_count"] == 2)
    }

    @Test func noAbortWithoutStopOnErrorOrWhenSilent() throws {
        for extra: JSONObject in [["stop_on_error": false], ["silent": true]] {
            let h = Harness()
            var first: JSONObject = ["code": "error"]
            for (k, v) in extra.pairs { first[k] = v }
            h.transport.enqueue(Message.request("execute_request", content: .object(first)))
            h.transport.enqueue(Message.request("execute_request", content: ["code": "print runs"]))
            h.dispatcher.serve(.shell)
            let replies = h.transport.sent.all("execute_reply")
            #expect(replies.map { $0.content["status"] } == ["error", "ok"])
            #expect(h.interpreter.requests.count == 2)
        }
    }

    @Test func userExpressionsAreEvaluatedAfterASuccessfulCell() throws {
        let h = Harness()
        let sent = h.execute("print x", ["user_expressions": ["a": "x", "b": "bad"]])
        let results = try #require(sent.first("execute_reply")?.content["user_expressions"])
        #expect(results["a"] == ["status": "ok", "data": ["text/plain": "value of x"], "metadata": [:]])
        #expect(results["b"]?["status"] == "error")
        #expect(results["b"]?["ename"] == "NameError")
        #expect(h.interpreter.requests.last?.userExpressions.map(\.name) == ["a", "b"])
    }

    @Test func displayUpdateAndClearOutput() throws {
        let h = Harness()
        let sent = h.execute("display")
        #expect(sent.first("display_data")?.content == [
            "data": ["text/plain": "first"], "metadata": [:], "transient": ["display_id": "d1"],
        ])
        #expect(sent.first("update_display_data")?.content["transient"] == ["display_id": "d1"])
        #expect(sent.first("clear_output")?.content == ["wait": true])
    }

    @Test func pagePayloadGoesInTheReply() throws {
        let h = Harness()
        let reply = try #require(h.execute("page").first("execute_reply"))
        #expect(reply.content["payload"] == [["source": "page", "data": ["text/plain": "help text"], "start": 0]])
    }

    @Test func inputWithoutAllowStdinFailsAtOnce() throws {
        let h = Harness()
        let sent = h.execute("input", ["allow_stdin": false])
        #expect(sent.all("input_request").isEmpty)
        #expect(sent.first("execute_reply")?.content["ename"] == "StdinNotImplemented")
    }

    @Test func inputRequestGoesToTheShellIdentitiesOnStdin() throws {
        let h = Harness()
        h.transport.respondToInput { request in
            #expect(request.content == ["prompt": "name? ", "password": false])
            return Message.request("input_reply", content: ["value": "Ada"])
        }
        let sent = h.execute("input", ["allow_stdin": true])
        let request = try #require(sent.first { $0.channel == .stdin })
        #expect(request.message.msgType == "input_request")
        #expect(request.message.identities == [Data("client".utf8)])
        #expect(sent.first("stream")?.content["text"] == "hello Ada")
    }

    @Test func interruptCancelsAWaitingInput() async throws {
        let h = Harness()
        let dispatcher = h.dispatcher
        Thread.detachNewThread {
            Thread.sleep(forTimeInterval: 0.1)
            dispatcher.interrupt()
        }
        let sent = h.execute("input", ["allow_stdin": true])
        #expect(sent.first("execute_reply")?.content["evalue"] == "input was interrupted")
    }

    @Test func interruptRequestOnControlStopsARunningCell() async throws {
        let h = Harness()
        let dispatcher = h.dispatcher
        let transport = h.transport
        Thread.detachNewThread {
            Thread.sleep(forTimeInterval: 0.1)
            dispatcher.handle(Message.request("interrupt_request"), on: .control)
        }
        let started = Date()
        let sent = h.execute("sleep")
        #expect(Date().timeIntervalSince(started) < 4)
        #expect(sent.first("execute_reply")?.content["ename"] == "Interrupted")
        #expect(h.interpreter.interruptCalls == 1)
        let control = transport.sent(on: .control)
        #expect(control.map(\.msgType) == ["interrupt_reply"])
        #expect(control.first?.content == ["status": "ok"])
    }
}
