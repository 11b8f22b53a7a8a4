import ArgumentParser
import AttentionKernel
import AttentionLanguage
import FoundationEssentials
import Glibc
import JSONValues

/// Where a kernelspec goes: the flags `install` and `uninstall` share, resolved the way
/// Jupyter resolves them (`jupyter kernelspec install`, jupyter_core's `jupyter_data_dir`).
struct KernelspecLocation: ParsableArguments {
    @Flag(help: "For the current user: $JUPYTER_DATA_DIR/kernels, else $XDG_DATA_HOME/jupyter/kernels, else $HOME/.local/share/jupyter/kernels.")
    var user = false

    @Flag(name: .customLong("sys-prefix"), help: "Into the active Python environment ($VIRTUAL_ENV or $CONDA_PREFIX, then share/jupyter/kernels).")
    var sysPrefix = false

    @Option(help: "Under PREFIX/share/jupyter/kernels (e.g. a virtual environment).")
    var prefix: String?

    @Option(name: .customLong("name"), help: "Kernelspec name.")
    var name = "attention"

    func validate() throws {
        if [user, sysPrefix, prefix != nil].filter({ $0 }).count > 1 {
            throw ValidationError("choose at most one of --user, --sys-prefix and --prefix")
        }
        if name.isEmpty || name.contains("/") || name == "." || name == ".." {
            throw ValidationError("--name must be a plain folder name, not \(name.debugDescription)")
        }
    }

    /// The kernelspec's folder: `<kernels directory>/<name>`.
    func directory(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> URL {
        try Self.kernelsDirectory(user: user, sysPrefix: sysPrefix, prefix: prefix, environment: environment)
            .appendingPathComponent(name, isDirectory: true)
    }

    static func kernelsDirectory(user: Bool, sysPrefix: Bool, prefix: String?, environment: [String: String]) throws -> URL {
        func nonEmpty(_ key: String) -> String? { environment[key].flatMap { $0.isEmpty ? nil : $0 } }
        if let prefix {
            return absolute(prefix).appendingPathComponent("share/jupyter/kernels")
        }
        if sysPrefix {
            guard let venv = nonEmpty("VIRTUAL_ENV") ?? nonEmpty("CONDA_PREFIX") else {
                throw ValidationError("--sys-prefix needs an active virtual environment (VIRTUAL_ENV or CONDA_PREFIX); use --prefix PATH instead")
            }
            return absolute(venv).appendingPathComponent("share/jupyter/kernels")
        }
        if user {
            // As jupyter_core does on Linux: the home directory is $HOME (not the password
            // database's), so a JupyterHub or container user with HOME elsewhere is honoured.
            if let data = nonEmpty("JUPYTER_DATA_DIR") { return absolute(data).appendingPathComponent("kernels") }
            if let xdg = nonEmpty("XDG_DATA_HOME") { return absolute(xdg).appendingPathComponent("jupyter/kernels") }
            guard let home = nonEmpty("HOME") ?? passwordDatabaseHome() else {
                throw ValidationError("--user needs HOME (or JUPYTER_DATA_DIR) to be set")
            }
            return absolute(home).appendingPathComponent(".local/share/jupyter/kernels")
        }
        // No flag: the system-wide location, as `jupyter kernelspec install` does.
        return URL(fileURLWithPath: "/usr/local/share/jupyter/kernels")
    }

    private static func absolute(_ path: String) -> URL {
        URL(fileURLWithPath: path).standardizedFileURL
    }

    /// Only when HOME is unset, as Python's `expanduser` falls back to it.
    private static func passwordDatabaseHome() -> String? {
        guard let entry = getpwuid(getuid()), let dir = entry.pointee.pw_dir else { return nil }
        return String(cString: dir)
    }
}

/// `attention-kernel install [--user | --sys-prefix | --prefix P]`: writes the `attention`
/// kernelspec (kernel.json naming this binary by its absolute path, and the logos, all
/// built into the binary) where Jupyter looks for kernels, like `jupyter kernelspec install`.
struct InstallCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "install",
        abstract: "Install the 'attention' kernelspec so Jupyter can start this kernel.")

    @OptionGroup var location: KernelspecLocation

    func run() throws {
        let destination = try location.directory()
        try KernelSpec.install(into: destination, executable: try KernelSpec.executablePath())
        print("Installed kernelspec '\(location.name)' in \(destination.path)")
    }
}

/// `attention-kernel uninstall [--user | --sys-prefix | --prefix P]`: removes what
/// `install` wrote at the same place.
struct UninstallCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "uninstall",
        abstract: "Remove the 'attention' kernelspec that install wrote (same location flags).")

    @OptionGroup var location: KernelspecLocation

    func run() throws {
        let destination = try location.directory()
        let files = FileManager.default
        // Only a folder that holds a kernel.json is a kernelspec: never remove anything else.
        guard files.fileExists(atPath: destination.appendingPathComponent("kernel.json").path) else {
            throw ValidationError("no kernelspec '\(location.name)' in \(destination.deletingLastPathComponent().path)")
        }
        try files.removeItem(at: destination)
        print("Removed kernelspec '\(location.name)' from \(destination.path)")
    }
}

/// Writes the built-in kernelspec (`KernelSpecResources`) into a folder.
enum KernelSpec {
    static func install(into destination: URL, executable: String) throws {
        let files = FileManager.default
        try files.createDirectory(at: destination, withIntermediateDirectories: true)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let json = try encoder.encode(KernelSpecResources.kernelJSON(executable: executable))
        try json.write(to: destination.appendingPathComponent("kernel.json"))
        for logo in KernelSpecResources.logos {
            try Data(logo.png).write(to: destination.appendingPathComponent(logo.name))
        }
        // The language reference the kernel's help_links point at (AttentionInterpreter.referencePath, below the server's base URL),
        // from the copy built into the binary.
        let page = "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Attention language reference</title></head>\n"
            + "<body><pre style=\"white-space:pre-wrap;font-family:monospace;max-width:60em;margin:1em auto\">"
            + Renderer.escapeXML(LanguageReference.markdown) + "</pre></body></html>\n"
        try Data(page.utf8).write(to: destination.appendingPathComponent("language-reference.html"))
    }

    /// This executable's absolute path (via /proc/self/exe on Linux).
    static func executablePath() throws -> String {
        if let resolved = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") { return resolved }
        let argument0 = CommandLine.arguments.first ?? "attention-kernel"
        return URL(fileURLWithPath: argument0).standardizedFileURL.path
    }
}
