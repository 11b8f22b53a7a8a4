import ArgumentParser
import AttentionKernel
import FoundationEssentials
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
        _ = try KernelServer.run(connectionFile: connectionFile, interpreter: AttentionInterpreter(settings: settings))
    }
}
