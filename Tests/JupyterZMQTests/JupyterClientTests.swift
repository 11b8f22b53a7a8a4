import Foundation
import JSONValues
import JupyterProtocol
import Testing

@testable import JupyterZMQ

/// Python that has `jupyter_client` and `jupyter_kernel_test`, if given.
let jupyterPython = ProcessInfo.processInfo.environment["JUPYTER_PYTHON"]

/// End to end with the real `jupyter_client` and jupyter_kernel_test's message schemas.
/// Runs only when `JUPYTER_PYTHON` names a Python with both installed, e.g.
/// `JUPYTER_PYTHON=/path/to/.venv/bin/python swift test --filter realJupyterClient`.
/// In the serialized `KernelServerTests` suite so no other server shares SIGINT.
extension KernelServerTests {

    static let jupyterClientScript = #"""
        import sys, json
        from jupyter_client import BlockingKernelClient
        from jupyter_kernel_test.msgspec_v5 import validate_message

        kc = BlockingKernelClient()
        kc.load_connection_file(sys.argv[1])
        kc.start_channels()
        kc.wait_for_ready(timeout=10)

        def drain(parent_id):
            out = []
            while True:
                m = kc.get_iopub_msg(timeout=5)
                validate_message(m, m["msg_type"], parent_id)
                out.append(m)
                if m["msg_type"] == "status" and m["content"]["execution_state"] == "idle" \
                        and m["parent_header"].get("msg_id") == parent_id:
                    return out

        msg_id = kc.kernel_info()
        reply = kc.get_shell_msg(timeout=5)
        validate_message(reply, "kernel_info_reply", msg_id)
        drain(msg_id)

        msg_id = kc.execute("print hello")
        reply = kc.get_shell_msg(timeout=5)
        validate_message(reply, "execute_reply", msg_id)
        assert reply["content"]["status"] == "ok", reply
        types = [m["msg_type"] for m in drain(msg_id)]
        assert types == ["status", "execute_input", "stream", "status"], types

        msg_id = kc.complete("al", 2)
        reply = kc.get_shell_msg(timeout=5)
        validate_message(reply, "complete_reply", msg_id)
        drain(msg_id)

        msg_id = kc.history(hist_access_type="tail", n=5, output=False, raw=True)
        reply = kc.get_shell_msg(timeout=5)
        validate_message(reply, "history_reply", msg_id)
        assert reply["content"]["history"] == [[1, 1, "print hello"]], reply["content"]
        drain(msg_id)

        msg_id = kc.execute("sleep")
        import time; time.sleep(0.2)
        ctl = kc.session.send(kc.control_channel.socket, "interrupt_request", {})
        creply = kc.control_channel.get_msg(timeout=5)
        assert creply["msg_type"] == "interrupt_reply", creply
        reply = kc.get_shell_msg(timeout=5)
        validate_message(reply, "execute_reply", msg_id)
        assert reply["content"]["status"] == "error" and reply["content"]["ename"] == "Interrupted", reply["content"]
        errors = [m for m in drain(msg_id) if m["msg_type"] == "error"]
        assert len(errors) == 1, errors

        # Comms: opened from the client to a registered target, a message reaches its
        # handler and the answers come back on IOPub as children of the request,
        # comm_info lists the comm, comm_close removes it, an unknown target is closed.
        from jupyter_kernel_test.msgspec_v5 import msg_structure_validator

        def send_and_drain(msg_type, content):
            msg = kc.session.msg(msg_type, content)
            kc.shell_channel.send(msg)
            parent_id = msg["header"]["msg_id"]
            out = []
            while True:
                m = kc.get_iopub_msg(timeout=5)
                msg_structure_validator.validate(m)
                assert m["parent_header"].get("msg_id") == parent_id, m
                out.append(m)
                if m["msg_type"] == "status" and m["content"]["execution_state"] == "idle":
                    return [m for m in out if m["msg_type"].startswith("comm_")]

        def comm_info(**kwargs):
            msg_id = kc.comm_info(**kwargs)
            reply = kc.get_shell_msg(timeout=5)
            validate_message(reply, "comm_info_reply", msg_id)
            drain(msg_id)
            return reply["content"]["comms"]

        opened = send_and_drain("comm_open", {"comm_id": "c1", "target_name": "echo", "data": {"x": 1}})
        assert [(m["msg_type"], m["content"]) for m in opened] == \
            [("comm_msg", {"comm_id": "c1", "data": {"opened": {"x": 1}}})], opened
        echoed = send_and_drain("comm_msg", {"comm_id": "c1", "data": {"n": 2}})
        assert [(m["msg_type"], m["content"]) for m in echoed] == \
            [("comm_msg", {"comm_id": "c1", "data": {"echo": {"n": 2}}})], echoed
        assert comm_info() == {"c1": {"target_name": "echo"}}
        assert comm_info(target_name="echo") == {"c1": {"target_name": "echo"}}
        assert comm_info(target_name="other") == {}
        assert send_and_drain("comm_close", {"comm_id": "c1", "data": {}}) == []
        assert comm_info() == {}
        refused = send_and_drain("comm_open", {"comm_id": "w1", "target_name": "nobody", "data": {}})
        assert [(m["msg_type"], m["content"]) for m in refused] == \
            [("comm_close", {"comm_id": "w1", "data": {}})], refused
        assert comm_info() == {}

        kc.shutdown()
        reply = kc.control_channel.get_msg(timeout=5)
        assert reply["content"] == {"status": "ok", "restart": False}, reply["content"]
        print("ALL OK")
        """#

    @Test(.enabled(if: jupyterPython != nil)) func realJupyterClient() throws {
        let server = try KernelServer(connection: anyPortConnection(), interpreter: SleepyInterpreter(), log: { _ in })
        let c = server.connection
        let dir = FileManager.default.temporaryDirectory
        let file = dir.appendingPathComponent("kernel-jc-\(getpid()).json")
        let scriptFile = dir.appendingPathComponent("jc-check-\(getpid()).py")
        let json: JSONValue = [
            "shell_port": .number(Double(c.shellPort)), "iopub_port": .number(Double(c.iopubPort)),
            "stdin_port": .number(Double(c.stdinPort)), "control_port": .number(Double(c.controlPort)),
            "hb_port": .number(Double(c.hbPort)), "ip": "127.0.0.1", "key": .string(c.key), "transport": "tcp",
            "signature_scheme": "hmac-sha256", "kernel_name": "sleepy",
        ]
        try json.serializedData().write(to: file)
        try Data(Self.jupyterClientScript.utf8).write(to: scriptFile)
        defer {
            try? FileManager.default.removeItem(at: file)
            try? FileManager.default.removeItem(at: scriptFile)
        }
        try server.start()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: jupyterPython ?? "python3")
        process.arguments = [scriptFile.path, file.path]
        process.environment = ["PYTHONDONTWRITEBYTECODE": "1", "PATH": "/usr/bin:/bin"]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = out
        try process.run()
        let output = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        // A failed assertion ends the script before its shutdown request: stop the server
        // here, or `wait()` below would never return.
        if process.terminationStatus != 0 { server.stop() }
        #expect(process.terminationStatus == 0, "\(output)")
        #expect(output.contains("ALL OK"), "\(output)")
        #expect(server.wait() == false)
    }
}
