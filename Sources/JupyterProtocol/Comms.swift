import FoundationEssentials
import JSONValues
import OrderedCollections
import Synchronization

/// What one comm message carries besides its id: `data`, `metadata` and binary `buffers`.
public struct CommPayload: Sendable, Equatable {
    public var data: JSONValue
    public var metadata: JSONValue
    public var buffers: [Data]
    /// For a `comm_msg` from the front end: the comms that have later messages already
    /// waiting on shell. A handler whose work a later message redoes (a widget's re-run)
    /// may skip it, so the latest value wins instead of stale ones queueing up.
    public var pendingComms: Set<String> = []

    public init(data: JSONValue = .object([:]), metadata: JSONValue = .object([:]), buffers: [Data] = []) {
        self.data = data
        self.metadata = metadata
        self.buffers = buffers
    }

    init(_ message: Message, pendingComms: Set<String> = []) {
        self.init(
            data: message.content["data"] ?? .object([:]), metadata: message.metadata, buffers: message.buffers)
        self.pendingComms = pendingComms
    }
}

/// One comm: a conversation between an object in the front end and one in the kernel
/// (a widget and its model), named by `id`, opened to a registered target (after xeus'
/// `xcomm`). Its handlers are set by the target's open handler; what they return follows
/// a cell's rule: an `.error` is published once as IOPub `error`, never a crash.
public final class Comm: Sendable {
    /// Handles a `comm_msg` (or, for `onClose`, the `comm_close`) from the front end.
    /// `context` publishes with that message as parent.
    public typealias Handler = @Sendable (Comm, CommPayload, ExecutionContext) -> ExecuteOutcome

    public let id: String
    public let targetName: String
    private let handlers = Mutex<(message: Handler?, close: Handler?)>((nil, nil))
    private weak let manager: CommManager?

    init(id: String, targetName: String, manager: CommManager) {
        self.id = id
        self.targetName = targetName
        self.manager = manager
    }

    /// Called for each `comm_msg` the front end sends to this comm.
    public func onMessage(_ handler: @escaping Handler) { handlers.withLock { $0.message = handler } }

    /// Called once when the front end closes this comm (it is already forgotten then).
    public func onClose(_ handler: @escaping Handler) { handlers.withLock { $0.close = handler } }

    /// Sends `comm_msg` to the front end, as a child of `context`'s request.
    public func send(_ payload: CommPayload, in context: ExecutionContext) {
        context.publishComm("comm_msg", ["comm_id": .string(id), "data": payload.data], payload)
    }

    /// Sends `comm_close` and forgets the comm (its close handler is not called: the
    /// kernel closed it).
    public func close(_ payload: CommPayload = CommPayload(), in context: ExecutionContext) {
        manager?.forget(id)
        context.publishComm("comm_close", ["comm_id": .string(id), "data": payload.data], payload)
    }

    func handleMessage(_ payload: CommPayload, context: ExecutionContext) -> ExecuteOutcome {
        handlers.withLock { $0.message }.map { $0(self, payload, context) } ?? .ok
    }

    func handleClose(_ payload: CommPayload, context: ExecutionContext) -> ExecuteOutcome {
        handlers.withLock { $0.close }.map { $0(self, payload, context) } ?? .ok
    }
}

/// The comms of one kernel (after xeus' `xcomm_manager`): targets registered by name, and
/// the comms open now. The dispatcher routes `comm_open`, `comm_msg`, `comm_close` and
/// `comm_info_request` here; an interpreter registers targets and opens comms of its own.
///
/// Everything is behind a `Mutex`: comm_info is served on control while shell handles a
/// message, and a running cell may open a comm from its evaluation thread. Handlers are
/// called without the lock held, so they may open, send and close comms themselves.
public final class CommManager: Sendable {
    /// Handles a `comm_open` to a target: `comm` is registered already; set its handlers.
    public typealias OpenHandler = @Sendable (Comm, CommPayload, ExecutionContext) -> ExecuteOutcome

    private struct State {
        var targets: [String: OpenHandler] = [:]
        /// Open comms by id, in the order they were opened.
        var comms: OrderedDictionary<String, Comm> = [:]
    }

    private let state = Mutex(State())

    public init() {}

    /// Registers (or replaces) the handler for comms the front end opens to `target`.
    public func register(target: String, _ handler: @escaping OpenHandler) {
        state.withLock { $0.targets[target] = handler }
    }

    /// Removes a target: later `comm_open`s to it are refused; open comms stay open.
    public func unregister(target: String) { _ = state.withLock { $0.targets.removeValue(forKey: target) } }

    /// Opens a comm from the kernel side: registers it and publishes `comm_open` as a child
    /// of `context`'s request. The front end answers by opening its own end.
    public func open(target: String, _ payload: CommPayload = CommPayload(), in context: ExecutionContext) -> Comm {
        let comm = add(id: UUID().uuidString.lowercased(), target: target)
        context.publishComm(
            "comm_open", ["comm_id": .string(comm.id), "target_name": .string(target), "data": payload.data], payload)
        return comm
    }

    /// The open comm with this id.
    public func comm(id: String) -> Comm? { state.withLock { $0.comms[id] } }

    /// The open comms, oldest first, optionally only those of `target`.
    public func openComms(target: String? = nil) -> [Comm] {
        state.withLock { state in
            state.comms.values.filter { target == nil || $0.targetName == target }
        }
    }

    // MARK: - Requests from the front end (called by the dispatcher)

    /// `comm_open`: the target's handler sets up the comm; an unknown target gets
    /// `comm_close` back at once (the messaging spec's rule), and nothing is kept.
    func handleOpen(_ message: Message, _ context: ExecutionContext, _ log: (String) -> Void) -> ExecuteOutcome {
        guard let id = message.content["comm_id"]?.stringValue, let target = message.content["target_name"]?.stringValue
        else {
            log("comm_open without a string comm_id and target_name: ignored")
            return .ok
        }
        guard let handler = state.withLock({ $0.targets[target] }) else {
            log("comm_open to unknown target \(target): closed")
            context.publishComm("comm_close", ["comm_id": .string(id), "data": [:]], CommPayload())
            return .ok
        }
        return handler(add(id: id, target: target), CommPayload(message), context)
    }

    /// `comm_msg`: to the comm's message handler; an unknown id is logged and dropped.
    func handleMessage(
        _ message: Message, pending: Set<String>, _ context: ExecutionContext, _ log: (String) -> Void
    ) -> ExecuteOutcome {
        guard let comm = known(message, log: log) else { return .ok }
        return comm.handleMessage(CommPayload(message, pendingComms: pending), context: context)
    }

    /// `comm_close`: the comm is forgotten, then its close handler runs.
    func handleClose(_ message: Message, _ context: ExecutionContext, _ log: (String) -> Void) -> ExecuteOutcome {
        guard let comm = known(message, log: log) else { return .ok }
        forget(comm.id)
        return comm.handleClose(CommPayload(message), context: context)
    }

    /// `comm_info_reply`'s `comms`: `{id: {"target_name": …}}`, only `target_name`'s when given.
    func info(_ content: JSONValue) -> JSONObject {
        var comms = JSONObject()
        for comm in openComms(target: content["target_name"]?.stringValue) {
            comms[comm.id] = ["target_name": .string(comm.targetName)]
        }
        return comms
    }

    private func known(_ message: Message, log: (String) -> Void) -> Comm? {
        let id = message.content["comm_id"]?.stringValue ?? ""
        guard let comm = comm(id: id) else {
            log("\(message.msgType) for unknown comm \(id): ignored")
            return nil
        }
        return comm
    }

    private func add(id: String, target: String) -> Comm {
        let comm = Comm(id: id, targetName: target, manager: self)
        state.withLock { $0.comms[id] = comm }
        return comm
    }

    func forget(_ id: String) {
        _ = state.withLock { $0.comms.removeValue(forKey: id) }
    }
}

extension ExecutionContext {
    /// Publishes a comm message (`comm_open`, `comm_msg`, `comm_close`) with `payload`'s
    /// metadata and buffers.
    func publishComm(_ type: String, _ content: JSONObject, _ payload: CommPayload) {
        publish(type, .object(content), metadata: payload.metadata.objectValue ?? [:], buffers: payload.buffers)
    }
}
