import FoundationEssentials
import Glibc
import JSONValues
import Synchronization

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
/// a `Mutex`. The interpreter is only entered from one `handle` at a time per channel;
/// `interrupt()` may be called from anywhere.
public final class KernelDispatcher: Sendable {
    typealias Handler = @Sendable (KernelDispatcher, Message, Channel) -> DispatchResult

    /// This process's session id (new per start; clients detect restarts by it).
    public let session: String
    let interpreter: any KernelInterpreter
    let transport: any KernelTransport
    let log: @Sendable (String) -> Void
    /// The comms of this kernel (targets and open comms), after xeus' `xcomm_manager`.
    /// The interpreter registers its targets through `KernelInterpreter.attach(comms:)`.
    public let comms = CommManager()

    private struct State {
        var executionCount = 0
        var history: History
        var interrupted = false
        /// Requests whose failure asked to abort the queue (`stop_on_error`).
        var abortMessageIDs: Set<String> = []
        /// Shell requests taken from the transport early (see `commMessage`), handled
        /// before the next one the transport receives.
        var backlog: [Message] = []
    }

    private let state: Mutex<State>

    /// - Parameters:
    ///   - log: where diagnostics go (unknown message types, …). Never an IOPub stream.
    public init(
        interpreter: any KernelInterpreter, transport: any KernelTransport,
        session: String = UUID().uuidString.lowercased(),
        history: HistoryFile? = nil,
        log: @escaping @Sendable (String) -> Void = KernelDispatcher.standardErrorLog
    ) {
        state = Mutex(State(history: History(file: history)))
        self.interpreter = interpreter
        self.transport = transport
        self.session = session
        self.log = log
        interpreter.attach(comms: comms)
    }

    /// Writes a line to the process's stderr (the Jupyter server's log, not the notebook).
    public static let standardErrorLog: @Sendable (String) -> Void = { line in
        var text = "[attention-kernel] \(line)\n"
        text.withUTF8 { _ = write(STDERR_FILENO, $0.baseAddress, $0.count) }  // one write: lines from threads stay whole
    }

    /// The count of the last cell run with `store_history`.
    public var executionCount: Int { state.withLock { $0.executionCount } }

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
            if abortRequested(message) {
                queuedAtError = (channel == .shell ? takeBacklog() : []) + transport.takePending(on: channel)
            }
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
        state.withLock { $0.interrupted = true }
        interpreter.interrupt()
    }

    // MARK: - Internals shared by the handlers

    /// Moves the shell requests waiting in the transport to the backlog; returns the whole backlog.
    func deferPendingShell() -> [Message] {
        let taken = transport.takePending(on: .shell)
        return state.withLock { state in
            state.backlog += taken
            return state.backlog
        }
    }

    /// Removes and returns the backlog.
    func takeBacklog() -> [Message] {
        state.withLock { state in
            defer { state.backlog = [] }
            return state.backlog
        }
    }

    /// The oldest backlog request, removed.
    func nextFromBacklog() -> Message? {
        state.withLock { state in state.backlog.isEmpty ? nil : state.backlog.removeFirst() }
    }

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

    /// Publishes on IOPub as a child of `parent` (the transport adds the topic).
    func publish(_ type: String, _ content: JSONValue, parent: Message?, metadata: JSONObject = [:], buffers: [Data] = []) {
        let message = Message(
            header: MessageHeader(session: session, msgType: type), parentHeader: parent?.header.json ?? .object([:]),
            metadata: .object(metadata), content: content, buffers: buffers)
        transport.send(message, on: .iopub)
    }

    static func replyType(_ requestType: String) -> String {
        requestType.hasSuffix("_request") ? String(requestType.dropLast("_request".count)) + "_reply" : requestType + "_reply"
    }

    // MARK: - State

    /// Advances the count when `store` and returns the count this cell shows.
    func nextExecutionCount(store: Bool) -> Int {
        state.withLock { state in
            if store { state.executionCount += 1 }
            return state.executionCount
        }
    }

    func record(line: Int, input: String, output: String?) {
        state.withLock { $0.history.append(line: line, input: input, output: output) }
    }

    func historyReply(_ content: JSONValue) -> [JSONValue] { state.withLock { $0.history.reply(to: content) } }

    var isInterrupted: Bool { state.withLock { $0.interrupted } }
    func clearInterrupt() { state.withLock { $0.interrupted = false } }

    func requestAbort(after message: Message) { state.withLock { _ = $0.abortMessageIDs.insert(message.header.msgID) } }
    private func abortRequested(_ message: Message) -> Bool {
        state.withLock { $0.abortMessageIDs.remove(message.header.msgID) != nil }
    }
}
