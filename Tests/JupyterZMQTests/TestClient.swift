import CZeroMQ
import Foundation
import JSONValues
import JupyterProtocol

@testable import JupyterZMQ

/// A slow interpreter: `sleep` runs until interrupted (max 5 s); `print X` prints.
final class SleepyInterpreter: KernelInterpreter, @unchecked Sendable {
    private let lock = NSLock()
    private var interrupted = false
    private var _interrupts = 0
    var interrupts: Int { lock.withLock { _interrupts } }

    func kernelInfo() -> KernelInfo {
        KernelInfo(implementation: "sleepy", implementationVersion: "1", banner: "zzz",
                   languageInfo: ["name": "sleepy", "file_extension": ".zz"])
    }

    func execute(_ request: ExecuteRequest, context: ExecutionContext) -> ExecuteOutcome {
        lock.withLock { interrupted = false }
        if request.code.hasPrefix("print ") { context.stream(.stdout, String(request.code.dropFirst(6))) }
        if request.code == "input" {
            switch context.input(prompt: "name? ") {
            case .success(let text): context.stream(.stdout, "hello \(text)")
            case .failure(let error): return .error(ExecutionError(ename: "Input", evalue: error.description, traceback: []))
            }
        }
        if request.code == "sleep" {
            let deadline = Date().addingTimeInterval(5)
            while Date() < deadline {
                if lock.withLock({ interrupted }) {
                    return .error(ExecutionError(ename: "Interrupted", evalue: "interrupted", traceback: []))
                }
                Thread.sleep(forTimeInterval: 0.005)
            }
        }
        return .ok
    }

    func complete(code: String, cursorPos: Int) -> CompletionResult { CompletionResult(matches: [], cursorStart: cursorPos, cursorEnd: cursorPos) }
    func inspect(code: String, cursorPos: Int, detailLevel: Int) -> InspectResult { .notFound }
    func isComplete(code: String) -> IsCompleteResult { .complete }
    func interrupt() {
        lock.withLock {
            interrupted = true
            _interrupts += 1
        }
    }

    /// Target `echo`: the open is answered with `{"opened": data}`, each message with `{"echo": data}`.
    func attach(comms: CommManager) {
        comms.register(target: "echo") { comm, opened, context in
            comm.send(CommPayload(data: ["opened": opened.data]), in: context)
            comm.onMessage { comm, payload, context in
                comm.send(CommPayload(data: ["echo": payload.data]), in: context)
                return .ok
            }
            return .ok
        }
    }
}

struct TimedOut: Error {}

/// A front end's sockets connected to a `KernelServer`.
final class TestClient {
    let context: ZMQContext
    let shell: ZMQSocket
    let control: ZMQSocket
    let iopub: ZMQSocket
    let heartbeat: ZMQSocket
    let stdin: ZMQSocket
    let signer: MessageSigner

    /// `serverKey`: the kernel's CurveZMQ public key (Z85) when the kernel encrypts; the
    /// client then uses a key pair of its own, as any CURVE client may.
    init(_ connection: ConnectionInfo, serverKey: String? = nil) throws {
        context = try ZMQContext()
        signer = try connection.signer()
        shell = try ZMQSocket(context: context, type: .dealer)
        control = try ZMQSocket(context: context, type: .dealer)
        iopub = try ZMQSocket(context: context, type: .sub)
        heartbeat = try ZMQSocket(context: context, type: .req)
        stdin = try ZMQSocket(context: context, type: .dealer)
        // No linger, and a send gives up after 2 s instead of blocking: a client the kernel
        // shuts out (a CURVE handshake that fails) may have no pipe to queue a message on.
        for socket in [shell, control, iopub, heartbeat, stdin] {
            try socket.setOption(ZMQ_LINGER, 0)
            try socket.setOption(ZMQ_SNDTIMEO, 2000)
        }
        if let serverKey {
            let mine = try curveKeyPair()
            for socket in [shell, control, iopub, heartbeat, stdin] {
                try socket.setOption(ZMQ_CURVE_SERVERKEY, Data(serverKey.utf8))
                try socket.setOption(ZMQ_CURVE_PUBLICKEY, Data(mine.publicKey.utf8))
                try socket.setOption(ZMQ_CURVE_SECRETKEY, Data(mine.secretKey.utf8))
            }
        }
        // As jupyter_client does: shell and stdin share an identity, so input_request
        // (sent to the shell request's identity) reaches this stdin socket.
        let identity = Data("client-\(UUID().uuidString)".utf8)
        try shell.setOption(ZMQ_ROUTING_ID, identity)
        try stdin.setOption(ZMQ_ROUTING_ID, identity)
        try stdin.connect(connection.endpoint(.stdin))
        try shell.connect(connection.endpoint(.shell))
        try control.connect(connection.endpoint(.control))
        try iopub.setOption(ZMQ_SUBSCRIBE, Data())
        try iopub.connect(connection.endpoint(.iopub))
        try heartbeat.connect(connection.endpoint(.heartbeat))
    }

    deinit {
        for socket in [shell, control, iopub, heartbeat, stdin] { socket.close() }
        context.terminate()
    }

    /// Sends a signed request; returns its msg_id.
    @discardableResult
    func send(_ type: String, _ content: JSONValue = .object([:]), on socket: ZMQSocket) throws -> String {
        let message = Message.request(type, content: content, identities: [])
        try socket.send(WireCodec.encode(message, signer: signer))
        return message.header.msgID
    }

    /// The next raw multipart message on `socket`, or throws after `timeout` seconds.
    func receiveFrames(_ socket: ZMQSocket, timeout: Double = 3) throws -> [Data] {
        guard try socket.poll(timeout: Int(timeout * 1000)), let frames = try socket.receive(wait: false) else {
            throw TimedOut()
        }
        return frames
    }

    /// The next message on `socket`, authenticated with the connection's key.
    func receive(_ socket: ZMQSocket, timeout: Double = 3) throws -> Message {
        try WireCodec.decode(try receiveFrames(socket, timeout: timeout), signer: signer)
    }

    /// IOPub messages until one of `type` arrives (inclusive).
    func iopubUntil(_ type: String, state: String? = nil, timeout: Double = 3) throws -> [Message] {
        var seen: [Message] = []
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            let m = try receive(iopub, timeout: max(0.01, deadline.timeIntervalSinceNow))
            seen.append(m)
            if m.msgType == type && (state == nil || m.content["execution_state"]?.stringValue == state) { return seen }
        }
        throw TimedOut()
    }
}

/// A tcp connection on 127.0.0.1 with ports chosen by the OS.
func anyPortConnection(key: String = "test-key-123") -> ConnectionInfo {
    ConnectionInfo(ip: "127.0.0.1", shellPort: 0, iopubPort: 0, stdinPort: 0, controlPort: 0, hbPort: 0, key: key,
                   kernelName: "sleepy")
}

/// A fresh CurveZMQ key pair from libzmq (Z85 text).
func curveKeyPair() throws -> CurveKeys {
    var publicKey = [CChar](repeating: 0, count: 41)
    var secretKey = [CChar](repeating: 0, count: 41)
    guard zmq_curve_keypair(&publicKey, &secretKey) == 0 else { throw ZMQError("zmq_curve_keypair") }
    return CurveKeys(publicKey: String(cString: publicKey), secretKey: String(cString: secretKey))
}
