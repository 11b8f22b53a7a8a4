import Foundation
import JSONValues
import JupyterProtocol
import Testing

@testable import JupyterZMQ

/// What the ZeroMQ transport adds to a message: the IOPub topic and the JEP 65 welcome.
@Suite struct ZMQKernelTransportTests {
    @Test func welcomeMessage() {
        let welcome = ZMQKernelTransport.welcome(subscription: Data(), session: "kernel-session")
        #expect(welcome.msgType == "iopub_welcome")
        #expect(welcome.content == ["subscription": ""])
        #expect(welcome.parentHeader == .object([:]))
        #expect(welcome.header.session == "kernel-session")
        #expect(welcome.identities == [Data()])
        let narrow = ZMQKernelTransport.welcome(subscription: Data("kernel.x.status".utf8), session: "s")
        #expect(narrow.content == ["subscription": "kernel.x.status"])
        #expect(narrow.identities == [Data("kernel.x.status".utf8)])
    }

    @Test func iopubTopicIsKernelSessionType() {
        let message = Message(header: MessageHeader(session: "kernel-session", msgType: "status"))
        #expect(ZMQKernelTransport.topic(of: message) == Data("kernel.kernel-session.status".utf8))
    }
}
