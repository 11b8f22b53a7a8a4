import Dispatch
import FoundationEssentials
import Glibc
import JupyterProtocol
import Synchronization
import Threading

/// A Jupyter kernel over ZeroMQ: binds the five sockets of a connection file and runs
/// the channel threads around a `KernelDispatcher`.
///
/// Threads: shell (requests in order; waits while a cell runs on the session's evaluation
/// thread, which publishes outputs and uses stdin), control (kernel_info, interrupt,
/// shutdown while a cell runs; also turns SIGINT into an interrupt), heartbeat (echoes raw
/// bytes), IOPub (answers subscriptions with `iopub_welcome`). Shell and control run the
/// dispatcher's `serve` loop, the same one the in-memory transport's tests run.
///
/// ```swift
/// let restart = try KernelServer.run(connectionFile: path, interpreter: MyInterpreter())
/// ```
///
/// The mutable state (`restart`, `started`) is atomic; sockets follow
/// `ZMQKernelTransport`'s one-owner-per-socket rule.
public final class KernelServer: Sendable {
    /// The dispatcher (session id, `interrupt()`).
    public let dispatcher: KernelDispatcher
    /// The connection as bound: ports that were 0 are replaced by the ones chosen.
    public let connection: ConnectionInfo

    private let context: ZMQContext
    private let transport: ZMQKernelTransport
    private let log: @Sendable (String) -> Void
    private let restart = Atomic<Bool>(false)
    private let started = Atomic<Bool>(false)
    private let background = DispatchGroup()
    private let shellDone = DispatchGroup()

    /// Binds all sockets (throws `ConnectionError` or `ZMQError` when that fails).
    /// Nothing is served until `start()`.
    /// `traceMessages` logs every message received and sent (`ATTN_LOG=debug`).
    public init(
        connection: ConnectionInfo, interpreter: any KernelInterpreter, history: HistoryFile? = nil,
        log: @escaping @Sendable (String) -> Void = KernelDispatcher.standardErrorLog, traceMessages: Bool = false
    ) throws {
        context = try ZMQContext()
        transport = try ZMQKernelTransport(context: context, connection: connection, log: log, traceMessages: traceMessages)
        self.log = log
        let dispatcher = KernelDispatcher(interpreter: interpreter, transport: transport, history: history, log: log)
        transport.onInterruptSignal = { [weak dispatcher] in dispatcher?.interrupt() }
        self.dispatcher = dispatcher
        self.connection = Self.bound(connection, endpoints: transport.endpoints)
    }

    /// `connection` with the ports tcp actually bound (differs only where a port was 0).
    private static func bound(_ connection: ConnectionInfo, endpoints: [Channel: String]) -> ConnectionInfo {
        func port(_ channel: Channel) -> Int {
            guard connection.transport == "tcp", let endpoint = endpoints[channel],
                let colon = endpoint.lastIndex(of: ":"), let p = Int(endpoint[endpoint.index(after: colon)...])
            else { return connection.port(channel) }
            return p
        }
        var bound = connection
        bound.shellPort = port(.shell)
        bound.controlPort = port(.control)
        bound.stdinPort = port(.stdin)
        bound.iopubPort = port(.iopub)
        bound.hbPort = port(.heartbeat)
        return bound
    }

    /// Reads the connection file, serves until a `shutdown_request`, and returns whether
    /// the client asked for a restart. SIGINT interrupts the running cell, never the process.
    public static func run(
        connectionFile path: String, interpreter: any KernelInterpreter, history: HistoryFile? = nil,
        log: @escaping @Sendable (String) -> Void = KernelDispatcher.standardErrorLog
    ) throws -> Bool {
        let server = try KernelServer(connection: try ConnectionInfo.load(path: path), interpreter: interpreter, history: history, log: log)
        try server.start()
        return server.wait()
    }

    /// Starts the channel threads (once) and returns at once. When the system cannot
    /// create one, the threads already started are stopped and the error is thrown: a
    /// kernel missing a channel would hang its client instead of failing clearly.
    public func start() throws(ThreadError) {
        guard !started.exchange(true, ordering: .relaxed) else { return }
        _ = InterruptSignal.readFD  // installs the SIGINT handler
        do {
            try spawn("shell", group: shellDone, stackSize: 256 << 20) { $0.serve(.shell) }
            try spawn("control", group: background) { $0.serve(.control) }
            try spawn("heartbeat", group: background) { $0.heartbeatLoop() }
            try spawn("iopub", group: background) { $0.iopubLoop() }
        } catch {
            stop()
            _ = wait()
            throw error
        }
    }

    /// Asks every thread to stop (as a `shutdown_request` does) and interrupts a running cell.
    public func stop() {
        transport.stop()
        dispatcher.interrupt()
    }

    /// Blocks until the server stopped, closes the sockets and returns whether a restart
    /// was requested. A cell that ignores the interrupt is given 3 s, then abandoned.
    public func wait() -> Bool {
        background.wait()
        if shellDone.wait(timeout: .now() + 3) == .success {
            transport.closeAll()
            context.terminate()
        } else {
            log("shell thread still busy at shutdown; exiting without closing sockets")
        }
        return restart.load(ordering: .relaxed)
    }

    // MARK: - Threads

    private func spawn(_ name: String, group: DispatchGroup, stackSize: Int = 0,
                       _ body: @escaping @Sendable (KernelServer) -> Void) throws(ThreadError) {
        group.enter()
        do {
            try Threads.detach(name: "kernel-\(name)", stackSize: stackSize) { [self] in
                body(self)
                group.leave()
            }
        } catch {
            group.leave()
            throw error
        }
    }

    /// Shell or control: the dispatcher's serve loop; a shutdown request stops every thread.
    private func serve(_ channel: Channel) {
        if case .shutdown(let again) = dispatcher.serve(channel) {
            restart.store(again, ordering: .relaxed)
            stop()
        }
    }

    private func heartbeatLoop() {
        let socket = transport.heartbeat
        while !transport.isStopping {
            do {
                guard try socket.poll(timeout: 100), let frames = try socket.receive(wait: false) else { continue }
                try socket.send(frames)
            } catch {
                log("heartbeat: \(error)")
            }
        }
    }

    private func iopubLoop() {
        while !transport.isStopping {
            transport.answerSubscriptions(session: dispatcher.session)
            usleep(10_000)
        }
    }
}
