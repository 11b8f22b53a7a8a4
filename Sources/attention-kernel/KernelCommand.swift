import ArgumentParser
import AttentionKernel
import FoundationEssentials
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
    /// until a shutdown request.
    static func serve(connectionFile: String) throws {
        let settings = Settings(environment: ProcessInfo.processInfo.environment)
        settings.apply()
        // A restart request is carried out by the client, which starts a new process.
        let history = historyPath(ProcessInfo.processInfo.environment).map { HistoryFile(path: $0, log: KernelDispatcher.standardErrorLog) }
        _ = try KernelServer.run(connectionFile: connectionFile, interpreter: AttentionInterpreter(settings: settings), history: history)
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
