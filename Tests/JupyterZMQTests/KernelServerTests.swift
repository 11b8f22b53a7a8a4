import Foundation
import JSONValues
import JupyterProtocol
import Testing

@testable import JupyterZMQ

import Glibc

/// Sockets on real ports; serialized because SIGINT and the welcome timing are process-wide.
@Suite(.serialized) struct KernelServerTests {
    /// Starts a server and a client whose IOPub subscription has been welcomed.
    func started(_ connection: ConnectionInfo = anyPortConnection(), interpreter: SleepyInterpreter = SleepyInterpreter())
        throws -> (KernelServer, TestClient, SleepyInterpreter)
    {
        let server = try KernelServer(connection: connection, interpreter: interpreter, log: { _ in })
        try server.start()
        let client = try TestClient(server.connection)
        let welcome = try client.receive(client.iopub)
        #expect(welcome.msgType == "iopub_welcome")
        #expect(welcome.content == ["subscription": ""])
        #expect(welcome.parentHeader == .object([:]))
        return (server, client, interpreter)
    }

    func shutDown(_ server: KernelServer, _ client: TestClient) throws {
        try client.send("shutdown_request", ["restart": false], on: client.control)
        let reply = try client.receive(client.control)
        #expect(reply.content == ["status": "ok", "restart": false])
        #expect(server.wait() == false)
    }

    @Test func heartbeatEchoesRawBytes() throws {
        let (server, client, _) = try started()
        let ping = Data([0, 1, 2, 0xff]) + Data("ping".utf8)
        try client.heartbeat.send([ping])
        #expect(try client.receiveFrames(client.heartbeat) == [ping])
        try shutDown(server, client)
    }

    @Test func signedKernelInfoGetsASignedReplyAndBusyIdle() throws {
        let (server, client, _) = try started()
        #expect(server.connection.shellPort > 0)
        let id = try client.send("kernel_info_request", on: client.shell)
        let reply = try client.receive(client.shell)  // decode checks the HMAC
        #expect(reply.msgType == "kernel_info_reply")
        #expect(reply.parentMsgID == id)
        #expect(reply.content["implementation"] == "sleepy")
        #expect(reply.header.session == server.dispatcher.session)
        let iopub = try client.iopubUntil("status", state: "idle")
        #expect(iopub.map(\.msgType) == ["status", "status"])
        #expect(iopub.map { $0.content["execution_state"] } == ["busy", "idle"])
        #expect(iopub.allSatisfy { $0.parentMsgID == id })
        try shutDown(server, client)
    }

    @Test func badSignatureIsDroppedAndTheServerGoesOn() throws {
        let (server, client, _) = try started()
        var frames = WireCodec.encode(Message.request("kernel_info_request", identities: []), signer: client.signer)
        frames[1] = Data(String(repeating: "a", count: 64).utf8)
        try client.shell.send(frames)
        try client.shell.send([Data("garbage".utf8)])
        try client.shell.send([WireCodec.delimiter, Data(), Data([0xff]), Data(), Data(), Data()])
        #expect(throws: TimedOut.self) { try client.receiveFrames(client.shell, timeout: 0.3) }
        try client.send("kernel_info_request", on: client.shell)
        #expect(try client.receive(client.shell).msgType == "kernel_info_reply")
        try shutDown(server, client)
    }

    @Test func executeStreamsAndReplies() throws {
        let (server, client, _) = try started()
        let id = try client.send("execute_request", ["code": "print hi", "silent": false], on: client.shell)
        let reply = try client.receive(client.shell)
        #expect(reply.content["status"] == "ok")
        #expect(reply.content["execution_count"] == 1)
        let iopub = try client.iopubUntil("status", state: "idle")
        #expect(iopub.map(\.msgType) == ["status", "execute_input", "stream", "status"])
        #expect(iopub.allSatisfy { $0.parentMsgID == id })
        #expect(iopub.first?.identities.first.map { String(decoding: $0, as: UTF8.self) }
            == "kernel.\(server.dispatcher.session).status")
        try shutDown(server, client)
    }

    @Test func controlAnswersWhileACellRunsAndInterruptStopsIt() throws {
        let (server, client, interpreter) = try started()
        try client.send("execute_request", ["code": "sleep"], on: client.shell)
        _ = try client.iopubUntil("execute_input")
        let started = Date()
        try client.send("kernel_info_request", on: client.control)
        #expect(try client.receive(client.control).msgType == "kernel_info_reply")
        #expect(Date().timeIntervalSince(started) < 1)
        try client.send("interrupt_request", on: client.control)
        #expect(try client.receive(client.control).content == ["status": "ok"])
        let reply = try client.receive(client.shell)
        #expect(reply.content["ename"] == "Interrupted")
        #expect(Date().timeIntervalSince(started) < 3)
        #expect(interpreter.interrupts >= 1)
        try shutDown(server, client)
    }

    @Test func sigintInterruptsTheCellNotTheProcess() throws {
        let (server, client, interpreter) = try started()
        try client.send("execute_request", ["code": "sleep"], on: client.shell)
        _ = try client.iopubUntil("execute_input")
        // To the process, as Jupyter does (the test thread blocks SIGINT, so raise() would stay pending).
        kill(getpid(), SIGINT)
        let reply = try client.receive(client.shell)
        #expect(reply.content["ename"] == "Interrupted")
        #expect(interpreter.interrupts >= 1)
        try client.send("kernel_info_request", on: client.shell)
        #expect(try client.receive(client.shell).msgType == "kernel_info_reply")
        try shutDown(server, client)
    }

    @Test func queuedCellsAreAbortedAfterAnError() throws {
        let interpreter = SleepyInterpreter()
        let (server, client, _) = try started(interpreter: interpreter)
        // The first cell is interrupted (an error); the two behind it are already queued.
        try client.send("execute_request", ["code": "sleep"], on: client.shell)
        try client.send("execute_request", ["code": "print a"], on: client.shell)
        try client.send("execute_request", ["code": "print b"], on: client.shell)
        _ = try client.iopubUntil("execute_input")
        Thread.sleep(forTimeInterval: 0.1)
        try client.send("interrupt_request", on: client.control)
        _ = try client.receive(client.control)
        let statuses = try (0..<3).map { _ in try client.receive(client.shell).content["status"] }
        #expect(statuses == ["error", "aborted", "aborted"])
        try shutDown(server, client)
    }

    @Test func inputRequestTravelsOverStdin() throws {
        let (server, client, _) = try started()
        let id = try client.send("execute_request", ["code": "input", "allow_stdin": true], on: client.shell)
        let request = try client.receive(client.stdin)
        #expect(request.msgType == "input_request")
        #expect(request.parentMsgID == id)
        #expect(request.content == ["prompt": "name? ", "password": false])
        var answer = Message.request("input_reply", content: ["value": "Ada"], identities: [])
        answer.parentHeader = request.header.json
        try client.stdin.send(WireCodec.encode(answer, signer: client.signer))
        #expect(try client.receive(client.shell).content["status"] == "ok")
        let stream = try client.iopubUntil("stream")
        #expect(stream.last?.content["text"] == "hello Ada")
        try shutDown(server, client)
    }

    @Test func inputWithoutAllowStdinFailsAtOnce() throws {
        let (server, client, _) = try started()
        try client.send("execute_request", ["code": "input", "allow_stdin": false], on: client.shell)
        #expect(try client.receive(client.shell).content["ename"] == "Input")
        #expect(throws: TimedOut.self) { try client.receiveFrames(client.stdin, timeout: 0.2) }
        try shutDown(server, client)
    }

    @Test func shutdownWithRestartIsReported() throws {
        let (server, client, _) = try started()
        try client.send("shutdown_request", ["restart": true], on: client.control)
        #expect(try client.receive(client.control).content == ["status": "ok", "restart": true])
        #expect(server.wait() == true)
    }

    @Test func ipcTransport() throws {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("attn-\(getpid())-\(UInt32.random(in: 0...UInt32.max))").path
        let connection = ConnectionInfo(transport: "ipc", ip: base, shellPort: 1, iopubPort: 2, stdinPort: 3,
                                        controlPort: 4, hbPort: 5, key: "")
        let (server, client, _) = try started(connection)
        try client.send("kernel_info_request", on: client.shell)
        #expect(try client.receive(client.shell).msgType == "kernel_info_reply")
        try shutDown(server, client)
    }

    @Test func curveEncryptsEverySocketAndShutsOutClientsWithoutTheKey() throws {
        let keys = try curveKeyPair()
        var connection = anyPortConnection()
        connection.curve = keys
        let server = try KernelServer(connection: connection, interpreter: SleepyInterpreter(), log: { _ in })
        try server.start()
        let client = try TestClient(server.connection, serverKey: keys.publicKey)
        #expect(try client.receive(client.iopub, timeout: 5).msgType == "iopub_welcome")
        // Eavesdroppers on IOPub: one speaking plain ZMTP, one with a wrong server key.
        let plain = try TestClient(server.connection)
        let wrong = try TestClient(server.connection, serverKey: try curveKeyPair().publicKey)
        try client.heartbeat.send([Data("ping".utf8)])
        #expect(try client.receiveFrames(client.heartbeat) == [Data("ping".utf8)])
        try client.send("execute_request", ["code": "print secret", "silent": false], on: client.shell)
        let outputs = try client.iopubUntil("status", state: "idle")
        #expect(outputs.contains { $0.msgType == "stream" && $0.content["text"] == "secret" })
        #expect(try client.receive(client.shell).msgType == "execute_reply")
        for eavesdropper in [plain, wrong] {
            #expect(throws: TimedOut.self) { try eavesdropper.receiveFrames(eavesdropper.iopub, timeout: 0.5) }
            // Once the failed handshake drops the connection, a send has nowhere to go and
            // times out (EAGAIN); before that it is queued and never answered. Either way,
            // nothing comes back.
            _ = try? eavesdropper.send("kernel_info_request", on: eavesdropper.shell)
            #expect(throws: TimedOut.self) { try eavesdropper.receiveFrames(eavesdropper.shell, timeout: 0.5) }
            _ = try? eavesdropper.heartbeat.send([Data("ping".utf8)])
            #expect(throws: TimedOut.self) { try eavesdropper.receiveFrames(eavesdropper.heartbeat, timeout: 0.5) }
        }
        try shutDown(server, client)
    }

    @Test func curveKeysThatDoNotBelongTogetherAreRefused() throws {
        var connection = anyPortConnection()
        connection.curve = CurveKeys(publicKey: try curveKeyPair().publicKey, secretKey: try curveKeyPair().secretKey)
        do {
            _ = try KernelServer(connection: connection, interpreter: SleepyInterpreter(), log: { _ in })
            Issue.record("a server started with a public key that is not its secret key's")
        } catch {
            #expect("\(error)" == "curve_publickey in the connection file is not the public key of its curve_secretkey")
        }
    }

    @Test func runReadsAConnectionFile() throws {
        // Reserve ports by binding once with port 0, then reuse them from a file.
        let probe = try KernelServer(connection: anyPortConnection(), interpreter: SleepyInterpreter(), log: { _ in })
        let c = probe.connection
        try probe.start()
        probe.stop()
        _ = probe.wait()
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("kernel-\(getpid()).json").path
        let json: JSONValue = [
            "shell_port": .number(Double(c.shellPort)), "iopub_port": .number(Double(c.iopubPort)),
            "stdin_port": .number(Double(c.stdinPort)), "control_port": .number(Double(c.controlPort)),
            "hb_port": .number(Double(c.hbPort)), "ip": "127.0.0.1", "key": "file-key", "transport": "tcp",
            "signature_scheme": "hmac-sha256", "kernel_name": "sleepy",
        ]
        try json.serializedData().write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let restarted = Box()
        let thread = Thread {
            restarted.value = (try? KernelServer.run(connectionFile: path, interpreter: SleepyInterpreter(), log: { _ in }))
        }
        thread.start()
        var file = c
        file.key = "file-key"
        let client = try TestClient(file)
        _ = try client.receive(client.iopub, timeout: 5)
        try client.send("shutdown_request", ["restart": true], on: client.control)
        #expect(try client.receive(client.control).content["restart"] == true)
        let deadline = Date().addingTimeInterval(5)
        while restarted.value == nil && Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
        #expect(restarted.value == .some(true))
    }
}

final class Box: @unchecked Sendable {
    private let lock = NSLock()
    private var _value: Bool??
    var value: Bool?? {
        get { lock.withLock { _value } }
        set { lock.withLock { _value = newValue } }
    }
}
