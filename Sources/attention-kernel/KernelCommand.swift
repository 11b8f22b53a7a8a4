import ArgumentParser
import AttentionKernel
import FoundationEssentials
import Glibc
import JupyterProtocol
import JupyterZMQ

/// `attention-kernel -f CONNECTION_FILE`: serve the Jupyter protocol until shutdown.
/// This is what kernel.json starts; it is the default subcommand.
struct KernelCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kernel",
        abstract: "Run as a Jupyter kernel (what kernel.json starts).")

    @Option(name: .customShort("f"), help: "The connection file Jupyter wrote for this kernel.")
    var connectionFile: String

    func run() throws { try Self.serve(connectionFile: connectionFile) }

    /// Reads the settings (once, here), binds the sockets of `connectionFile` and serves
    /// until a shutdown request, or until the process that started the kernel is gone
    /// (`ParentWatch`: no orphan kernels after a server is killed).
    static func serve(connectionFile: String) throws {
        let environment = ProcessInfo.processInfo.environment
        let settings = Settings(environment: environment)
        settings.apply()
        let log = KernelDispatcher.standardErrorLog
        let connection = try ConnectionInfo.load(path: connectionFile)
        let history = historyPath(environment).map { HistoryFile(path: $0, log: log) }
        let server = try KernelServer(
            connection: connection, interpreter: AttentionInterpreter(settings: settings), history: history, log: log,
            traceMessages: settings.debugLog)
        try server.start()
        let watch = ParentWatch.current(environment: environment)
        if let watch {
            try watch.start {
                log("the process that started this kernel (pid \(watch.pid)) is gone; shutting down")
                server.stop()
            }
        }
        if settings.debugLog {
            let bound = server.connection
            log("""
                attention-kernel \(AttentionInterpreter.version) pid \(getpid()): \(bound.transport) on \(bound.ip), \
                shell \(bound.shellPort) iopub \(bound.iopubPort) stdin \(bound.stdinPort) control \(bound.controlPort) \
                hb \(bound.hbPort); encryption: \(bound.curve == nil ? "none" : "CurveZMQ"); \
                parent watch: \(watch.map { "pid \($0.pid)" } ?? "none"); limits: \(settings.limits.maxElements) elements, \
                \(settings.limits.maxWork) multiply-adds, call depth \(settings.limits.maxCallDepth)
                """)
        }
        // A restart request is carried out by the client, which starts a new process.
        _ = server.wait()
    }

    /// Where the input history persists across restarts: `$ATTN_HISTORY` (empty: keep
    /// none), else `attention/history.jsonl` in Jupyter's data directory
    /// (`$JUPYTER_DATA_DIR`, `$XDG_DATA_HOME/jupyter`, `~/.local/share/jupyter`).
    static func historyPath(_ env: [String: String]) -> String? {
        if let explicit = env["ATTN_HISTORY"] { return explicit.isEmpty ? nil : explicit }
        let data: String
        if let dir = env["JUPYTER_DATA_DIR"], !dir.isEmpty {
            data = dir
        } else if let xdg = env["XDG_DATA_HOME"], !xdg.isEmpty {
            data = xdg + "/jupyter"
        } else if let home = env["HOME"], !home.isEmpty {
            data = home + "/.local/share/jupyter"
        } else {
            return nil
        }
        return data + "/attention/history.jsonl"
    }
}
