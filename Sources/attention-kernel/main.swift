import ArgumentParser

/// `attention-kernel`: the Jupyter kernel for the attention language.
///
/// `attention-kernel -f CONNECTION_FILE` serves Jupyter (the default subcommand, so
/// kernel.json needs no subcommand name); `run FILE.attn` evaluates a program from the
/// command line; `install` writes the kernelspec.
struct AttentionKernelCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "attention-kernel",
        abstract: "A Jupyter kernel for a small language about attention and transformers.",
        subcommands: [KernelCommand.self, RunCommand.self, InstallCommand.self],
        defaultSubcommand: KernelCommand.self)
}

AttentionKernelCommand.main()
