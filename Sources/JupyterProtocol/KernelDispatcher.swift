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
import JSONValues

/// What the transport should do after a message was handled.
public enum DispatchResult: Sendable, Equatable {
    case proceed
    /// A `shutdown_request` was answered: stop serving; restart if asked.
    case shutdown(restart: Bool)
}

/// The kernel core (after xeus' `xkernel_core` and ipykernel's `kernelbase`): one table
/// keyed by `msg_type`, `busy`/`idle` on IOPub around every request, execution counts,
/// history, and the `stop_on_error` abort of queued cells.
///
/// `handle` may run on the shell and control threads at once; the mutable state is behind
/// a lock (hence `@unchecked Sendable`). The interpreter is only entered from one
/// `handle` at a time per channel; `interrupt()` may be called from anywhere.
public final class KernelDispatcher: @unchecked Sendable {
    typealias Handler = @Sendable (KernelDispatcher, Message, Channel) -> DispatchResult

    /// This process's session id (new per start; clients detect restarts by it).
    public let session: String
    let interpreter: any KernelInterpreter
    let transport: any KernelTransport
    let log: @Sendable (String) -> Void

    private let lock = Lock()
    private var _executionCount = 0
    private var _history = History()
    private var _interrupted = false

    /// - Parameters:
    ///   - log: where diagnostics go (unknown message types, …). Never an IOPub stream.
    public init(
        interpreter: any KernelInterpreter, transport: any KernelTransport,
        session: String = UUID().uuidString.lowercased(),
        log: @escaping @Sendable (String) -> Void = KernelDispatcher.standardErrorLog
    ) {
        self.interpreter = interpreter
        self.transport = transport
        self.session = session
        self.log = log
    }

    /// Writes a line to the process's stderr (the Jupyter server's log, not the notebook).
    public static let standardErrorLog: @Sendable (String) -> Void = { line in
        var text = "[attention-kernel] \(line)\n"
        text.withUTF8 { _ = write(STDERR_FILENO, $0.baseAddress, $0.count) }  // one write: lines from threads stay whole
    }

    /// The count of the last cell run with `store_history`.
    public var executionCount: Int { lock.withLock { _executionCount } }

    /// Handles one request that arrived on `channel` (shell or control): `busy`, the
    /// handler, `idle`. After a failing cell with `stop_on_error`, the requests already
    /// queued on that channel are taken before this request's `idle` (as ipykernel flushes
    /// its queue) and then handled in order, each in its own busy/idle, with every
    /// execute_request answered `aborted`. A request sent after the client saw the failing
    /// cell's `idle` is never among them, so it runs normally.
    @discardableResult
    public func handle(_ message: Message, on channel: Channel) -> DispatchResult {
        var queuedAtError: [Message] = []
        var result = withStatus(message) {
            let result = route(message, on: channel)
            if abortRequested(message) { queuedAtError = transport.takePending(on: channel) }
            return result
        }
        for queued in queuedAtError where result == .proceed {
            if queued.msgType == "execute_request" {
                withStatus(queued) { reply(to: queued, on: channel, ["status": "aborted"]) }
            } else {
                result = withStatus(queued) { route(queued, on: channel) }
            }
        }
        return result
    }

    /// Interrupts the running cell: sets the flag that cancels a pending `input` and calls
    /// `interpreter.interrupt()`. Safe from any thread (control, a signal watcher).
    public func interrupt() {
        lock.withLock { _interrupted = true }
        interpreter.interrupt()
    }

    /// The `iopub_welcome` message (JEP 65) the transport publishes on each subscription;
    /// `subscription` is the topic the client subscribed to ("" for everything), also used
    /// as the topic frame so that exactly that subscriber receives it.
    public func welcomeMessage(subscription: String = "") -> Message {
        var message = iopubMessage("iopub_welcome", content: ["subscription": .string(subscription)], parent: nil)
        message.identities = [Data(subscription.utf8)]
        return message
    }

    // MARK: - Internals shared by the handlers

    /// Runs the handler for `message` (without the status messages around it).
    private func route(_ message: Message, on channel: Channel) -> DispatchResult {
        guard let handler = Self.handlers[message.msgType] else {
            log("ignoring unknown message type \(message.msgType) on \(channel.rawValue)")
            return .proceed
        }
        guard channel != .control || Self.controlTypes.contains(message.msgType) else {
            log("ignoring \(message.msgType) on control (only \(Self.controlTypes.sorted()) are served there)")
            return .proceed
        }
        return handler(self, message, channel)
    }

    @discardableResult
    func withStatus<T>(_ parent: Message, _ body: () -> T) -> T {
        publish("status", ["execution_state": "busy"], parent: parent)
        defer { publish("status", ["execution_state": "idle"], parent: parent) }
        return body()
    }

    /// Sends `<request>_reply` (or `type`) with `content` back to the request's identities.
    func reply(to request: Message, on channel: Channel, type: String? = nil, _ content: JSONValue) {
        let replyType = type ?? Self.replyType(request.msgType)
        transport.send(request.reply(type: replyType, content: content, session: session), on: channel)
    }

    /// Publishes on IOPub with topic `kernel.<session>.<msg_type>`.
    func publish(_ type: String, _ content: JSONValue, parent: Message?) {
        transport.send(iopubMessage(type, content: content, parent: parent), on: .iopub)
    }

    private func iopubMessage(_ type: String, content: JSONValue, parent: Message?) -> Message {
        Message(
            identities: [Data("kernel.\(session).\(type)".utf8)],
            header: MessageHeader(session: session, msgType: type),
            parentHeader: parent?.header.json ?? .object([:]), content: content)
    }

    static func replyType(_ requestType: String) -> String {
        requestType.hasSuffix("_request") ? String(requestType.dropLast("_request".count)) + "_reply" : requestType + "_reply"
    }

    // MARK: - State

    /// Advances the count when `store` and returns the count this cell shows.
    func nextExecutionCount(store: Bool) -> Int {
        lock.withLock {
            if store { _executionCount += 1 }
            return _executionCount
        }
    }

    func record(line: Int, input: String, output: String?) {
        lock.withLock { _history.append(line: line, input: input, output: output) }
    }

    func historyReply(_ content: JSONValue) -> [JSONValue] { lock.withLock { _history.reply(to: content) } }

    var isInterrupted: Bool { lock.withLock { _interrupted } }
    func clearInterrupt() { lock.withLock { _interrupted = false } }

    private var abortMessageIDs: Set<String> = []
    func requestAbort(after message: Message) { lock.withLock { _ = abortMessageIDs.insert(message.header.msgID) } }
    private func abortRequested(_ message: Message) -> Bool {
        lock.withLock { abortMessageIDs.remove(message.header.msgID) != nil }
    }
}
