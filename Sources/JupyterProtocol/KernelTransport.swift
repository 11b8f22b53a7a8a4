/// How the dispatcher talks to clients: ZMQ sockets in the kernel, memory in tests
/// (`InMemoryTransport`). Everything about the wire beyond the message itself (IOPub
/// topics, the `iopub_welcome` of JEP 65, sockets) belongs to the transport.
///
/// `send` may be called from several threads at once (shell, control, and the evaluation
/// thread of a running cell, which publishes outputs and asks for input while the shell
/// thread waits for it), so implementations must serialize IOPub sends. `receive` is
/// called only by the thread serving that channel; `takePending` by the thread handling a
/// message of that channel; `awaitInputReply` by whichever thread asks for input (the
/// evaluation thread, while the shell thread that owns the request waits for the cell).
public protocol KernelTransport: AnyObject, Sendable {
    /// Sends `message`: on shell/control/stdin, routed to `message.identities`;
    /// on IOPub, published under the topic the transport gives it.
    func send(_ message: Message, on channel: Channel)

    /// The next request on `channel` (shell or control), waiting a short while for one.
    /// `.closed` ends `KernelDispatcher.serve`.
    func receive(on channel: Channel) -> Received

    /// Removes and returns, without blocking, the messages already waiting on `channel`
    /// (valid, authenticated ones, in arrival order). Used for the `stop_on_error` abort.
    func takePending(on channel: Channel) -> [Message]

    /// Blocks until a message arrives on stdin (the answer to an `input_request` just
    /// sent), or returns nil once `isCancelled()` is true or the transport closes.
    /// Implementations poll `isCancelled` every few tens of milliseconds.
    func awaitInputReply(isCancelled: () -> Bool) -> Message?
}

/// What `KernelTransport.receive` found.
public enum Received: Sendable, Equatable {
    /// A valid, authenticated request.
    case message(Message)
    /// Nothing yet (a timeout, or a message that was dropped as malformed): ask again.
    case nothing
    /// The transport stopped: serve no more on this channel.
    case closed
}

extension KernelDispatcher {
    /// The serve loop of one channel, the same for every transport: receive, handle, and
    /// stop at a `shutdown_request` (returned, so the caller stops the other channels)
    /// or when the transport closes (`.proceed`).
    @discardableResult
    public func serve(_ channel: Channel) -> DispatchResult {
        while true {
            if channel == .shell, let next = nextFromBacklog() {
                let result = handle(next, on: channel)
                if result != .proceed { return result }
                continue
            }
            switch transport.receive(on: channel) {
            case .closed: return .proceed
            case .nothing: continue
            case .message(let message):
                let result = handle(message, on: channel)
                if result != .proceed { return result }
            }
        }
    }
}
