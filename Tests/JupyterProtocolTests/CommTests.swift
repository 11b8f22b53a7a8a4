import Foundation
import JSONValues
import Testing

@testable import JupyterProtocol

/// The comm manager behind the dispatcher, over the in-memory transport, with the fake
/// interpreter's `echo` target.
@Suite struct CommTests {
    func open(_ h: Harness, id: String = "c1", data: JSONValue = ["x": 1]) -> [InMemoryTransport.Sent] {
        h.request("comm_open", ["comm_id": .string(id), "target_name": "echo", "data": data])
    }

    @Test func anOpenToARegisteredTargetReachesItsHandlerAndRepliesAreChildrenOfTheOpen() throws {
        let h = Harness()
        let sent = open(h)
        #expect(sent.summary == ["iopub:status(busy)", "iopub:comm_msg", "iopub:status(idle)"])
        let reply = try #require(sent.first("comm_msg"))
        #expect(reply.content == ["comm_id": "c1", "data": ["opened": ["x": 1]]])
        let openID = try #require(sent.first?.message.parentMsgID)
        #expect(reply.parentMsgID == openID)
        #expect(reply.header.session == "kernel-session")
    }

    @Test func messagesReachTheCommAndItsRepliesCarryTheMessageAsParent() throws {
        let h = Harness()
        _ = open(h)
        let request = Message(
            identities: [Data("client".utf8)], header: MessageHeader(session: "client", msgType: "comm_msg"),
            content: ["comm_id": "c1", "data": ["n": 2]], buffers: [Data([1, 2, 3])])
        h.transport.clearSent()
        h.dispatcher.handle(request, on: .shell)
        let sent = h.transport.sent
        #expect(sent.summary == ["iopub:status(busy)", "iopub:comm_msg", "iopub:status(idle)"])
        let reply = try #require(sent.first("comm_msg"))
        #expect(reply.content == ["comm_id": "c1", "data": ["echo": ["n": 2]]])
        #expect(reply.metadata == ["m": 1])
        #expect(reply.buffers == [Data([1, 2, 3])])
        #expect(reply.parentMsgID == request.header.msgID)
    }

    @Test func commInfoListsOpenCommsFilteredByTarget() {
        let h = Harness()
        _ = open(h, id: "c1")
        _ = open(h, id: "c2")
        func comms(_ content: JSONValue, on channel: Channel = .shell) -> JSONValue? {
            h.request("comm_info_request", content, on: channel).first("comm_info_reply")?.content["comms"]
        }
        #expect(comms([:]) == ["c1": ["target_name": "echo"], "c2": ["target_name": "echo"]])
        #expect(comms(["target_name": "echo"], on: .control) == ["c1": ["target_name": "echo"], "c2": ["target_name": "echo"]])
        #expect(comms(["target_name": "jupyter.widget"]) == [:])
        #expect(h.dispatcher.comms.openComms().map(\.id) == ["c1", "c2"])
    }

    @Test func commCloseRemovesTheCommAndRunsItsCloseHandler() throws {
        let h = Harness()
        _ = open(h)
        let sent = h.request("comm_close", ["comm_id": "c1", "data": [:]])
        #expect(sent.summary == ["iopub:status(busy)", "iopub:stream", "iopub:status(idle)"])
        #expect(sent.first("stream")?.content["text"] == "closed")
        #expect(h.request("comm_info_request").first("comm_info_reply")?.content["comms"] == [:])
        // Later messages to it are logged and dropped.
        #expect(h.request("comm_msg", ["comm_id": "c1", "data": [:]]).summary == ["iopub:status(busy)", "iopub:status(idle)"])
        #expect(h.logged.all.contains { $0.contains("comm_msg for unknown comm c1") })
    }

    @Test func theKernelClosingACommForgetsIt() {
        let h = Harness()
        _ = open(h)
        let sent = h.request("comm_msg", ["comm_id": "c1", "data": ["close": true]])
        #expect(sent.summary == ["iopub:status(busy)", "iopub:comm_msg", "iopub:comm_close", "iopub:status(idle)"])
        #expect(h.dispatcher.comms.openComms().isEmpty)
    }

    @Test func anUnknownTargetIsAnsweredWithCommCloseAndKeepsNothing() {
        let h = Harness()
        let sent = h.request("comm_open", ["comm_id": "w1", "target_name": "jupyter.widget", "data": [:]])
        #expect(sent.summary == ["iopub:status(busy)", "iopub:comm_close", "iopub:status(idle)"])
        #expect(sent.first("comm_close")?.content == ["comm_id": "w1", "data": [:]])
        #expect(h.dispatcher.comms.openComms().isEmpty)
    }

    @Test func aFailingHandlerIsOneErrorOnIOPubAndTheKernelGoesOn() throws {
        let h = Harness()
        _ = open(h)
        let sent = h.request("comm_msg", ["comm_id": "c1", "data": ["fail": true]])
        #expect(sent.summary == ["iopub:status(busy)", "iopub:error", "iopub:status(idle)"])
        #expect(sent.first("error")?.content == ["ename": "Boom", "evalue": "handler failed", "traceback": ["Boom"]])
        #expect(h.request("comm_msg", ["comm_id": "c1", "data": ["n": 1]]).first("comm_msg") != nil)
    }

    @Test func theKernelOpensCommsOfItsOwnThroughACellsContext() throws {
        let h = Harness()
        let context = h.dispatcher.makeContext(
            for: Message.request("execute_request"), silent: false, allowStdin: false, executionCount: 1)
        let comm = h.dispatcher.comms.open(target: "jupyter.widget", CommPayload(data: ["state": [:]], metadata: ["version": "2.1.0"]), in: context)
        let opened = try #require(h.transport.sent.first("comm_open"))
        #expect(opened.content == ["comm_id": .string(comm.id), "target_name": "jupyter.widget", "data": ["state": [:]]])
        #expect(opened.metadata == ["version": "2.1.0"])
        #expect(h.dispatcher.comms.comm(id: comm.id) === comm)
    }
}
