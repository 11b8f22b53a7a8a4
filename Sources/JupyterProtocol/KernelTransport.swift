/// How the dispatcher talks to clients: ZMQ sockets in the kernel, memory in tests
/// (`InMemoryTransport`).
///
/// `send` may be called from the shell and control threads at once, so implementations
/// must serialize IOPub sends. `takePending` and `awaitInputReply` are called only on
/// the thread that is handling a message of that channel (shell, for both).
public protocol KernelTransport: AnyObject, Sendable {
    /// Sends `message`: on shell/control/stdin, routed to `message.identities`;
    /// on IOPub, published with `message.identities` as the topic frame(s).
    func send(_ message: Message, on channel: Channel)

    /// Removes and returns, without blocking, the messages already waiting on `channel`
    /// (valid, authenticated ones, in arrival order). Used for the `stop_on_error` abort.
    func takePending(on channel: Channel) -> [Message]

    /// Blocks until a message arrives on stdin (the answer to an `input_request` just
    /// sent), or returns nil once `isCancelled()` is true or the transport closes.
    /// Implementations poll `isCancelled` every few tens of milliseconds.
    func awaitInputReply(isCancelled: () -> Bool) -> Message?
}
