import Foundation
import Testing

@testable import JupyterProtocol

@Suite struct ConnectionInfoTests {
    let file = """
        {"shell_port": 53794, "iopub_port": 53795, "stdin_port": 53796, "control_port": 53797,
         "hb_port": 53798, "ip": "127.0.0.1", "key": "a0436f6c-1916-498b-8eb9-e81ab9368e84",
         "transport": "tcp", "signature_scheme": "hmac-sha256", "kernel_name": "attention"}
        """

    @Test func parsesAllFields() throws {
        let info = try ConnectionInfo.parse(Data(file.utf8))
        #expect(info == ConnectionInfo(
            transport: "tcp", ip: "127.0.0.1", shellPort: 53794, iopubPort: 53795, stdinPort: 53796,
            controlPort: 53797, hbPort: 53798, key: "a0436f6c-1916-498b-8eb9-e81ab9368e84",
            signatureScheme: "hmac-sha256", kernelName: "attention"))
        #expect(info.endpoint(.shell) == "tcp://127.0.0.1:53794")
        #expect(info.endpoint(.heartbeat) == "tcp://127.0.0.1:53798")
        #expect(try info.signer().isEnabled)
    }

    @Test func ipcEndpointsJoinIPAndPortWithADash() throws {
        let info = ConnectionInfo(transport: "ipc", ip: "/tmp/kernel", shellPort: 1, iopubPort: 2, stdinPort: 3,
                                  controlPort: 4, hbPort: 5)
        #expect(info.endpoint(.shell) == "ipc:///tmp/kernel-1")
        #expect(info.endpoint(.iopub) == "ipc:///tmp/kernel-2")
        #expect(info.endpoint(.control) == "ipc:///tmp/kernel-4")
    }

    @Test func defaultsAndErrors() throws {
        let minimal = #"{"shell_port":1,"iopub_port":2,"stdin_port":3,"control_port":4,"hb_port":5,"ip":"0.0.0.0"}"#
        let info = try ConnectionInfo.parse(Data(minimal.utf8))
        #expect(info.transport == "tcp" && info.key == "" && info.signatureScheme == "hmac-sha256")
        #expect(!(try info.signer().isEnabled))
        #expect(throws: ConnectionError.notAnObject) { try ConnectionInfo.parse(Data("[1]".utf8)) }
        #expect(throws: ConnectionError.unreadable("invalid JSON")) { try ConnectionInfo.parse(Data([0xff])) }
        #expect(throws: ConnectionError.missingField("hb_port")) {
            try ConnectionInfo.parse(Data(minimal.replacingOccurrences(of: #""hb_port":5"#, with: #""hb_port":"5""#).utf8))
        }
        #expect(throws: ConnectionError.unsupportedTransport("udp")) {
            try ConnectionInfo.parse(Data(minimal.replacingOccurrences(of: "{", with: #"{"transport":"udp","#).utf8))
        }
        #expect(throws: ConnectionError.unreadable("/nonexistent/kernel.json")) {
            try ConnectionInfo.load(path: "/nonexistent/kernel.json")
        }
    }
}
