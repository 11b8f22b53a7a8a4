import ArgumentParser
import AttentionKernel
import Glibc

/// `attention-kernel`: the Jupyter kernel for the attention language.
///
/// `attention-kernel -f CONNECTION_FILE` serves Jupyter (the default subcommand, so
/// kernel.json needs no subcommand name); `run FILE.attn` evaluates a program from the
/// command line; `install` and `uninstall` write and remove the kernelspec; `--version`
/// prints the version.
struct AttentionKernelCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "attention-kernel",
        abstract: "A Jupyter kernel for a small language about attention and transformers.",
        version: AttentionInterpreter.version,
        subcommands: [KernelCommand.self, RunCommand.self, InstallCommand.self, UninstallCommand.self],
        defaultSubcommand: KernelCommand.self)
}

// Jupyter starts the kernel exactly as kernel.json says, `attention-kernel -f FILE`, and
// then waits for it. That one form is served at once: building ArgumentParser's command
// tree (reflection over every subcommand's properties) would delay binding the sockets
// and keep its code resident for the kernel's lifetime. Every other form is parsed as usual.
let arguments = CommandLine.arguments
if arguments.count == 3, arguments[1] == "-f" {
    do {
        try KernelCommand.serve(connectionFile: arguments[2])
    } catch {
        var message = "Error: \(error)\n"
        message.withUTF8 { _ = write(STDERR_FILENO, $0.baseAddress, $0.count) }
        exit(1)
    }
} else {
    AttentionKernelCommand.main()
}
