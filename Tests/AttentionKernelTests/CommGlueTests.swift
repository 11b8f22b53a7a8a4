import AttentionLanguage
import Foundation
import JSONValues
import JupyterProtocol
import Testing

@testable import AttentionKernel

/// The glue between comms (protocol) and function values (language): a comm's handler
/// calls a function a cell defined, between cells, under a cell's rules.
@Suite struct CommGlueTests {
    /// Registers target `attn.echo`: each comm_msg calls the cell-defined `on_msg` with the
    /// message's `text` and sends its result back.
    func harness() -> KernelHarness {
        let h = KernelHarness()
        let interpreter = h.interpreter
        h.interpreter.comms?.register(target: "attn.echo") { comm, _, _ in
            comm.onMessage { comm, payload, context in
                guard let handler = interpreter.session.value(of: "on_msg") else { return .ok }
                let argument = Value.string(payload.data["text"]?.stringValue ?? "")
                let outcome = interpreter.callBetweenCells(handler, arguments: [argument], name: "on_msg", context: context)
                if case .ok = outcome { comm.send(CommPayload(data: ["done": true]), in: context) }
                return outcome
            }
            return .ok
        }
        return h
    }

    func commMessage(_ h: KernelHarness, _ text: String) -> [InMemoryTransport.Sent] {
        h.send("comm_msg", ["comm_id": "c1", "data": ["text": .string(text)]])
    }

    @Test func theInterpreterIsGivenTheDispatchersCommManager() {
        let h = KernelHarness()
        #expect(h.interpreter.comms === h.dispatcher.comms)
    }

    @Test func aCommMessageCallsTheFunctionAndItsOutputIsAChildOfTheMessage() throws {
        let h = harness()
        _ = h.execute("greeting = \"hi \"\nfunc on_msg(text) {\n  print(greeting + text)\n}")
        _ = h.send("comm_open", ["comm_id": "c1", "target_name": "attn.echo", "data": [:]])
        let sent = commMessage(h, "there")
        #expect(sent.types == ["status", "stream", "comm_msg", "status"])
        #expect(sent.first("stream")?.content == ["name": "stdout", "text": "hi there\n"])
        let parent = try #require(sent.first?.message.parentMsgID)
        #expect(sent.allSatisfy { $0.message.parentMsgID == parent })
        #expect(sent.first("comm_msg")?.content["data"] == ["done": true])
    }

    @Test func aFailingHandlerIsOneErrorAndEveryBindingSurvives() throws {
        let h = harness()
        _ = h.execute("kept = 41\nfunc on_msg(text) = text @ 2")
        _ = h.send("comm_open", ["comm_id": "c1", "target_name": "attn.echo", "data": [:]])
        let sent = commMessage(h, "x")
        #expect(sent.types == ["status", "error", "status"])
        #expect(sent.first("error")?.content["ename"] == "TypeError")
        #expect(h.execute("kept + 1").first("execute_result")?.content["data"]?["text/plain"] == "42")
    }

    @Test func anEndlessHandlerIsInterruptedLikeACell() throws {
        let h = harness()
        _ = h.execute("func on_msg(text) {\n  while true { spin = 1 }\n}")
        _ = h.send("comm_open", ["comm_id": "c1", "target_name": "attn.echo", "data": [:]])
        let dispatcher = h.dispatcher
        let stopper = Thread {
            Thread.sleep(forTimeInterval: 0.3)
            dispatcher.interrupt()
        }
        stopper.start()
        let sent = commMessage(h, "x")
        #expect(sent.first("error")?.content["ename"] == "Interrupted")
        #expect(h.execute("1 + 1").first("execute_result")?.content["data"]?["text/plain"] == "2")
    }
}
