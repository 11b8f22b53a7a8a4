import Threading
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A `KernelTransport` that keeps everything in memory, for tests (after xeus'
/// `xmock_server`): queue requests with `enqueue`, run them with `KernelDispatcher.run`
/// or `handle`, then read what the kernel sent from `sent`.
///
/// `@unchecked Sendable`: all mutable state is behind `lock`.
public final class InMemoryTransport: KernelTransport, @unchecked Sendable {
    /// One message the kernel sent, and where.
    public struct Sent: Sendable, Equatable {
        public var channel: Channel
        public var message: Message
    }

    private let lock = Lock()
    private var _sent: [Sent] = []
    private var queues: [Channel: [Message]] = [:]
    private var inputResponder: (@Sendable (Message) -> Message?)?

    public init() {}

    /// Everything sent so far, in order.
    public var sent: [Sent] { lock.withLock { _sent } }

    /// What was sent on `channel`, in order.
    public func sent(on channel: Channel) -> [Message] { sent.filter { $0.channel == channel }.map(\.message) }

    /// Forgets what was sent.
    public func clearSent() { lock.withLock { _sent.removeAll() } }

    /// Queues `message` as if a client had sent it on `channel`.
    public func enqueue(_ message: Message, on channel: Channel = .shell) {
        lock.withLock { queues[channel, default: []].append(message) }
    }

    /// Removes and returns the oldest queued message on `channel`.
    public func next(on channel: Channel = .shell) -> Message? {
        lock.withLock {
            guard var q = queues[channel], !q.isEmpty else { return nil }
            let first = q.removeFirst()
            queues[channel] = q
            return first
        }
    }

    /// Answers each `input_request` with the returned `input_reply` (nil: no answer,
    /// so the wait ends only when cancelled).
    public func respondToInput(_ responder: @escaping @Sendable (Message) -> Message?) {
        lock.withLock { inputResponder = responder }
    }

    public func send(_ message: Message, on channel: Channel) {
        lock.withLock { _sent.append(Sent(channel: channel, message: message)) }
    }

    public func takePending(on channel: Channel) -> [Message] {
        lock.withLock {
            let q = queues[channel] ?? []
            queues[channel] = []
            return q
        }
    }

    public func awaitInputReply(isCancelled: () -> Bool) -> Message? {
        let (request, responder) = lock.withLock {
            (_sent.last { $0.channel == .stdin }?.message, inputResponder)
        }
        if let request, let responder, let reply = responder(request) { return reply }
        while !isCancelled() { usleep(10_000) }
        return nil
    }
}

extension InMemoryTransport {
    /// Hands every queued message on `channel` to `dispatcher`, oldest first, until the
    /// queue is empty or a shutdown is requested (what a socket loop does).
    @discardableResult
    public func run(_ dispatcher: KernelDispatcher, on channel: Channel = .shell) -> DispatchResult {
        while let message = next(on: channel) {
            let result = dispatcher.handle(message, on: channel)
            if result != .proceed { return result }
        }
        return .proceed
    }
}
