import ArgumentParser

/// `attention-kernel`: the Jupyter kernel for the attention language.
///
/// Subcommands: `run FILE.attn` evaluates a program from the command line;
/// `install` writes the kernelspec. The kernel mode (`attention-kernel -f CONNECTION_FILE`,
/// what kernel.json starts) is added here by the kernel glue: make it the default
/// subcommand (`defaultSubcommand:`) so that `-f` works without a subcommand name.
struct AttentionKernelCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "attention-kernel",
        abstract: "A Jupyter kernel for a small language about attention and transformers.",
        subcommands: [RunCommand.self, InstallCommand.self])
}

AttentionKernelCommand.main()
