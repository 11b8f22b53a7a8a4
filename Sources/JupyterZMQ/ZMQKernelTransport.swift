import CZeroMQ
import FoundationEssentials
import JSONValues
import JupyterProtocol
import Synchronization

/// The kernel's five sockets as a `KernelTransport`, and what only ZeroMQ needs: the IOPub
/// topic of each message (`kernel.<session>.<msg_type>`, as ipykernel sends it) and the
/// `iopub_welcome` (JEP 65) that answers each new subscription.
///
/// Ownership: one thread at a time per socket. Shell is used by the shell thread; stdin by
/// the thread that asks for input, which is the evaluation thread of a running cell while
/// the shell thread waits for that cell (so never two at once); control by the control
/// thread; heartbeat by its thread. IOPub is shared (the dispatcher on shell and control,
/// a running cell's outputs, the IOPub thread's welcomes), so every use of it holds
/// `iopub`'s mutex. That discipline is why this class is `@unchecked Sendable`.
final class ZMQKernelTransport: KernelTransport, @unchecked Sendable {
    let shell: ZMQSocket
    let control: ZMQSocket
    let stdin: ZMQSocket
    private let iopub: Mutex<ZMQSocket>
    let heartbeat: ZMQSocket
    let signer: MessageSigner
    let log: @Sendable (String) -> Void
    /// What each channel actually bound to (resolves port 0).
    private(set) var endpoints: [Channel: String] = [:]
    /// Called on the control thread when SIGINT arrives (the server interrupts the cell).
    var onInterruptSignal: @Sendable () -> Void = {}
    /// Logs every message received and sent (type, channel, msg_id): `ATTN_LOG=debug`.
    let traceMessages: Bool

    private let stopping = Atomic<Bool>(false)

    init(context: ZMQContext, connection: ConnectionInfo, log: @escaping @Sendable (String) -> Void,
         traceMessages: Bool = false) throws {
        signer = try connection.signer()
        self.log = log
        self.traceMessages = traceMessages
        shell = try ZMQSocket(context: context, type: .router)
        control = try ZMQSocket(context: context, type: .router)
        stdin = try ZMQSocket(context: context, type: .router)
        let iopub = try ZMQSocket(context: context, type: .xpub)
        heartbeat = try ZMQSocket(context: context, type: .rep)
        for socket in [shell, control, stdin, iopub, heartbeat] {
            try socket.setOption(ZMQ_LINGER, 1000)
        }
        for socket in [shell, control, stdin] {
            try socket.setOption(ZMQ_MAXMSGSIZE, int64: 256 << 20)
            try socket.setOption(ZMQ_ROUTER_HANDOVER, 1)
        }
        try iopub.setOption(ZMQ_XPUB_VERBOSE, 1)
        // XPUB drops messages past the high-water mark; a chatty cell must not lose output.
        try iopub.setOption(ZMQ_SNDHWM, 100_000)
        let sockets: [(Channel, ZMQSocket)] = [
            (.shell, shell), (.control, control), (.stdin, stdin), (.iopub, iopub), (.heartbeat, heartbeat),
        ]
        if let curve = connection.curve {
            // Every socket, heartbeat included, is a CURVE server (as ipykernel 7.4 does):
            // a peer must know the kernel's public key to connect, and everything on the
            // wire is encrypted. Set before binding, as libzmq requires.
            let secret = try CurveSecurity.secretKey(for: curve)
            for (_, socket) in sockets {
                try socket.setOption(ZMQ_CURVE_SERVER, 1)
                try socket.setOption(ZMQ_CURVE_SECRETKEY, secret)
            }
        }
        self.iopub = Mutex(iopub)
        for (channel, socket) in sockets {
            endpoints[channel] = try socket.bind(Self.bindEndpoint(connection, channel))
        }
    }

    /// Port 0 in a tcp connection means "any free port" (`tcp://ip:*`).
    static func bindEndpoint(_ connection: ConnectionInfo, _ channel: Channel) -> String {
        if connection.transport == "tcp" && connection.port(channel) == 0 { return "tcp://\(connection.ip):*" }
        return connection.endpoint(channel)
    }

    var isStopping: Bool { stopping.load(ordering: .relaxed) }
    func stop() { stopping.store(true, ordering: .relaxed) }

    /// The topic frame of an IOPub message, `kernel.<session>.<msg_type>` as ipykernel
    /// sends it (clients subscribe to everything, so it is for them to filter by).
    static func topic(of message: Message) -> Data {
        Data("kernel.\(message.header.session).\(message.msgType)".utf8)
    }

    /// The `iopub_welcome` message (JEP 65) for a new subscription to `subscription`
    /// ("" for everything), sent with that subscription as its topic so that exactly that
    /// subscriber receives it. It has no parent: nothing caused it but the subscription.
    static func welcome(subscription: Data, session: String) -> Message {
        Message(
            identities: [subscription], header: MessageHeader(session: session, msgType: "iopub_welcome"),
            content: ["subscription": .string(String(decoding: subscription, as: UTF8.self))])
    }

    // MARK: KernelTransport

    func send(_ message: Message, on channel: Channel) {
        var message = message
        if channel == .iopub { message.identities = [Self.topic(of: message)] }
        if traceMessages { log("sent \(message.msgType) on \(channel.rawValue) (parent \(message.parentMsgID ?? "none"))") }
        let frames = WireCodec.encode(message, signer: signer)
        do {
            switch channel {
            case .iopub: try iopub.withLock { try $0.send(frames) }
            case .shell: try shell.send(frames)
            case .control: try control.send(frames)
            case .stdin:
                // As ipykernel does: replies already queued on stdin are stale (a client that
                // answered an earlier prompt twice, or sent an input_reply nobody asked for);
                // drop them so that this prompt's answer is the one read.
                if message.msgType == "input_request" { discardPendingInput() }
                try stdin.send(frames)
            case .heartbeat: log("refusing to send \(message.msgType) on heartbeat")
            }
        } catch {
            log("send \(message.msgType) on \(channel.rawValue) failed: \(error)")
        }
    }

    /// Shell or control: waits up to 100 ms for a message and authenticates it. Control
    /// also watches the SIGINT pipe. A socket error stops the transport.
    func receive(on channel: Channel) -> Received {
        guard !isStopping else { return .closed }
        let socket = channel == .shell ? shell : control
        do {
            let ready: Bool
            if channel == .control && InterruptSignal.readFD >= 0 {
                let (readable, signalled) = try socket.poll(timeout: 100, alsoFD: InterruptSignal.readFD)
                if signalled && InterruptSignal.consume() { onInterruptSignal() }
                ready = readable
            } else {
                ready = try socket.poll(timeout: 100)
            }
            guard ready, let frames = try socket.receive(wait: false) else { return .nothing }
            return decode(frames, on: channel).map(Received.message) ?? .nothing
        } catch {
            log("\(channel.rawValue) loop stopped: \(error)")
            stop()
            return .closed
        }
    }

    func takePending(on channel: Channel) -> [Message] {
        let socket: ZMQSocket
        switch channel {
        case .shell: socket = shell
        case .control: socket = control
        default: return []
        }
        var messages: [Message] = []
        while let frames = (try? socket.receive(wait: false)) ?? nil {
            if let message = decode(frames, on: channel) { messages.append(message) }
        }
        return messages
    }

    func awaitInputReply(isCancelled: () -> Bool) -> Message? {
        while !isCancelled() && !isStopping {
            guard (try? stdin.poll(timeout: 50)) == true else { continue }
            guard let frames = (try? stdin.receive(wait: false)) ?? nil else { continue }
            if let message = decode(frames, on: .stdin), message.msgType == "input_reply" { return message }
        }
        return nil
    }

    /// Drops every message waiting on stdin (on the thread asking for input, like all stdin use).
    private func discardPendingInput() {
        var dropped = 0
        while (try? stdin.receive(wait: false)) ?? nil != nil { dropped += 1 }
        if dropped > 0 { log("dropped \(dropped) stale message(s) on stdin before input_request") }
    }

    // MARK: Helpers for the channel threads

    /// Reads and authenticates one message; logs and drops what is malformed or unsigned.
    private func decode(_ frames: [Data], on channel: Channel) -> Message? {
        do {
            let message = try WireCodec.decode(frames, signer: signer)
            if traceMessages { log("received \(message.msgType) on \(channel.rawValue) (msg_id \(message.header.msgID))") }
            return message
        } catch {
            log("dropped message on \(channel.rawValue): \(error)")
            return nil
        }
    }

    /// Answers every pending XPUB subscription (a frame starting with byte 1) with an
    /// `iopub_welcome` of `session`.
    func answerSubscriptions(session: String) {
        iopub.withLock { iopub in
            while (try? iopub.poll(timeout: 0)) == true {
                guard let frames = (try? iopub.receive(wait: false)) ?? nil else { break }
                guard let first = frames.first, first.first == 1 else { continue }
                let welcome = Self.welcome(subscription: Data(first.dropFirst()), session: session)
                do { try iopub.send(WireCodec.encode(welcome, signer: signer)) } catch {
                    log("iopub_welcome failed: \(error)")
                }
            }
        }
    }

    func closeAll() {
        iopub.withLock { iopub in
            for socket in [shell, control, stdin, iopub, heartbeat] { socket.close() }
        }
    }
}

/// CurveZMQ set-up checks, with errors that say what to fix.
enum CurveSecurity {
    /// A connection file asked for encryption that cannot be given.
    struct Unavailable: Error, CustomStringConvertible {
        let description: String
    }

    /// The secret key's bytes for `ZMQ_CURVE_SECRETKEY` (40 bytes of Z85 text), once this
    /// libzmq is known to have CURVE and the public key is known to match the secret one
    /// (otherwise clients, which authenticate the kernel by the public key, could never connect).
    static func secretKey(for keys: CurveKeys) throws -> Data {
        guard zmq_has("curve") == 1 else {
            throw Unavailable(description: "the connection file asks for CurveZMQ encryption, but this libzmq has no CURVE support (install Debian's libzmq5, which has it)")
        }
        var derived = [CChar](repeating: 0, count: 41)
        guard zmq_curve_public(&derived, keys.secretKey) == 0 else { throw ZMQError("zmq_curve_public") }
        let publicKey = String(decoding: derived.prefix(40).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        guard publicKey == keys.publicKey else {
            throw Unavailable(description: "curve_publickey in the connection file is not the public key of its curve_secretkey")
        }
        return Data(keys.secretKey.utf8)
    }
}
