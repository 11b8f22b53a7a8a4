import Threading
import CZeroMQ
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import JupyterProtocol

/// The kernel's five sockets as a `KernelTransport`.
///
/// Ownership: shell and stdin are used only by the shell thread, control only by the
/// control thread, heartbeat only by its thread. IOPub is shared (any handler publishes,
/// the IOPub thread answers subscriptions), so every use of it holds `iopubLock`.
/// That discipline is why this class is `@unchecked Sendable`.
final class ZMQKernelTransport: KernelTransport, @unchecked Sendable {
    let shell: ZMQSocket
    let control: ZMQSocket
    let stdin: ZMQSocket
    let iopub: ZMQSocket
    let heartbeat: ZMQSocket
    let signer: MessageSigner
    let log: @Sendable (String) -> Void
    /// What each channel actually bound to (resolves port 0).
    private(set) var endpoints: [Channel: String] = [:]

    private let iopubLock = Lock()
    private let stateLock = Lock()
    private var _stopping = false

    init(context: ZMQContext, connection: ConnectionInfo, log: @escaping @Sendable (String) -> Void) throws {
        signer = try connection.signer()
        self.log = log
        shell = try ZMQSocket(context: context, type: .router)
        control = try ZMQSocket(context: context, type: .router)
        stdin = try ZMQSocket(context: context, type: .router)
        iopub = try ZMQSocket(context: context, type: .xpub)
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
        for (channel, socket) in sockets {
            endpoints[channel] = try socket.bind(Self.bindEndpoint(connection, channel))
        }
    }

    /// Port 0 in a tcp connection means "any free port" (`tcp://ip:*`).
    static func bindEndpoint(_ connection: ConnectionInfo, _ channel: Channel) -> String {
        if connection.transport == "tcp" && connection.port(channel) == 0 { return "tcp://\(connection.ip):*" }
        return connection.endpoint(channel)
    }

    var isStopping: Bool { stateLock.withLock { _stopping } }
    func stop() { stateLock.withLock { _stopping = true } }

    // MARK: KernelTransport

    func send(_ message: Message, on channel: Channel) {
        let frames = WireCodec.encode(message, signer: signer)
        do {
            switch channel {
            case .iopub: try iopubLock.withLock { try iopub.send(frames) }
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

    /// Drops every message waiting on stdin (shell thread only, like all stdin use).
    private func discardPendingInput() {
        var dropped = 0
        while (try? stdin.receive(wait: false)) ?? nil != nil { dropped += 1 }
        if dropped > 0 { log("dropped \(dropped) stale message(s) on stdin before input_request") }
    }

    // MARK: Helpers for the channel threads

    /// Reads and authenticates one message; logs and drops what is malformed or unsigned.
    func decode(_ frames: [Data], on channel: Channel) -> Message? {
        do {
            return try WireCodec.decode(frames, signer: signer)
        } catch {
            log("dropped message on \(channel.rawValue): \(error)")
            return nil
        }
    }

    /// Answers every pending XPUB subscription (a frame starting with byte 1) with `welcome`.
    func answerSubscriptions(welcome: (String) -> Message) {
        iopubLock.withLock {
            while (try? iopub.poll(timeout: 0)) == true {
                guard let frames = (try? iopub.receive(wait: false)) ?? nil else { break }
                guard let first = frames.first, first.first == 1 else { continue }
                var message = welcome(String(decoding: first.dropFirst(), as: UTF8.self))
                message.identities = [Data(first.dropFirst())]
                do { try iopub.send(WireCodec.encode(message, signer: signer)) } catch {
                    log("iopub_welcome failed: \(error)")
                }
            }
        }
    }

    func closeAll() {
        iopubLock.withLock {
            for socket in [shell, control, stdin, iopub, heartbeat] { socket.close() }
        }
    }
}
