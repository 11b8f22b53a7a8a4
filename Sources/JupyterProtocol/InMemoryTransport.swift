import FoundationEssentials
import Glibc
import Synchronization

/// A `KernelTransport` that keeps everything in memory, for tests (after xeus'
/// `xmock_server`): queue requests with `enqueue`, run them with `KernelDispatcher.serve`
/// or `handle`, then read what the kernel sent from `sent`. `receive` reports `.closed`
/// once a channel's queue is empty, so `serve` returns when the queued requests are done.
public final class InMemoryTransport: KernelTransport {
    /// One message the kernel sent, and where.
    public struct Sent: Sendable, Equatable {
        public var channel: Channel
        public var message: Message
    }

    private struct State {
        var sent: [Sent] = []
        var queues: [Channel: [Message]] = [:]
        var inputResponder: (@Sendable (Message) -> Message?)?
    }

    private let state = Mutex(State())

    public init() {}

    /// Everything sent so far, in order.
    public var sent: [Sent] { state.withLock { $0.sent } }

    /// What was sent on `channel`, in order.
    public func sent(on channel: Channel) -> [Message] { sent.filter { $0.channel == channel }.map(\.message) }

    /// Forgets what was sent.
    public func clearSent() { state.withLock { $0.sent.removeAll() } }

    /// Queues `message` as if a client had sent it on `channel`.
    public func enqueue(_ message: Message, on channel: Channel = .shell) {
        state.withLock { $0.queues[channel, default: []].append(message) }
    }

    /// Removes and returns the oldest queued message on `channel`.
    public func next(on channel: Channel = .shell) -> Message? {
        state.withLock { state in
            guard var q = state.queues[channel], !q.isEmpty else { return nil }
            let first = q.removeFirst()
            state.queues[channel] = q
            return first
        }
    }

    /// Answers each `input_request` with the returned `input_reply` (nil: no answer,
    /// so the wait ends only when cancelled).
    public func respondToInput(_ responder: @escaping @Sendable (Message) -> Message?) {
        state.withLock { $0.inputResponder = responder }
    }

    public func send(_ message: Message, on channel: Channel) {
        state.withLock { $0.sent.append(Sent(channel: channel, message: message)) }
    }

    public func receive(on channel: Channel) -> Received {
        next(on: channel).map(Received.message) ?? .closed
    }

    public func takePending(on channel: Channel) -> [Message] {
        state.withLock { state in
            let q = state.queues[channel] ?? []
            state.queues[channel] = []
            return q
        }
    }

    public func awaitInputReply(isCancelled: () -> Bool) -> Message? {
        let (request, responder) = state.withLock { state in
            (state.sent.last { $0.channel == .stdin }?.message, state.inputResponder)
        }
        if let request, let responder, let reply = responder(request) { return reply }
        while !isCancelled() { usleep(10_000) }
        return nil
    }
}
