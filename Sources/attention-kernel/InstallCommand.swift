import ArgumentParser
import AttentionLanguage
import JSONValues
import FoundationEssentials

/// `attention-kernel install [--user | --sys-prefix | --prefix P]`: writes the `attention`
/// kernelspec (kernel.json with this binary's absolute path, and the logos) where Jupyter
/// looks for kernels, like `jupyter kernelspec install` does.
struct InstallCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "install",
        abstract: "Install the 'attention' kernelspec so Jupyter can start this kernel.")

    @Flag(help: "Install for the current user (~/.local/share/jupyter/kernels).")
    var user = false

    @Flag(name: .customLong("sys-prefix"), help: "Install into the active Python environment (sys.prefix/share/jupyter/kernels).")
    var sysPrefix = false

    @Option(help: "Install under PREFIX/share/jupyter/kernels (e.g. a virtual environment).")
    var prefix: String?

    @Option(name: .customLong("name"), help: "Kernelspec name.")
    var name = "attention"

    func validate() throws {
        if [user, sysPrefix, prefix != nil].filter({ $0 }).count > 1 {
            throw ValidationError("choose at most one of --user, --sys-prefix and --prefix")
        }
    }

    func run() throws {
        let kernels = try kernelsDirectory()
        let destination = kernels.appendingPathComponent(name, isDirectory: true)
        try KernelSpec.install(into: destination, executable: try KernelSpec.executablePath())
        print("Installed kernelspec '\(name)' in \(destination.path)")
    }

    private func kernelsDirectory() throws -> URL {
        let environment = ProcessInfo.processInfo.environment
        if let prefix {
            return URL(fileURLWithPath: prefix).standardizedFileURL.appendingPathComponent("share/jupyter/kernels")
        }
        if sysPrefix {
            guard let venv = environment["VIRTUAL_ENV"] ?? environment["CONDA_PREFIX"] else {
                throw ValidationError("--sys-prefix needs an active virtual environment (VIRTUAL_ENV or CONDA_PREFIX); use --prefix PATH instead")
            }
            return URL(fileURLWithPath: venv).appendingPathComponent("share/jupyter/kernels")
        }
        if user {
            let dataHome = environment["JUPYTER_DATA_DIR"].map { URL(fileURLWithPath: $0) }
                ?? FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".local/share/jupyter")
            return dataHome.appendingPathComponent("kernels")
        }
        // No flag: the system-wide location, as `jupyter kernelspec install` does.
        return URL(fileURLWithPath: "/usr/local/share/jupyter/kernels")
    }
}

/// The kernelspec: the repository's `kernelspec/attention/` (kernel.json and the logos),
/// with kernel.json's `argv[0]` replaced by this binary's absolute path so Jupyter can start
/// it whatever the PATH.
enum KernelSpec {
    static func install(into destination: URL, executable: String) throws {
        let files = FileManager.default
        let template = sourceSpecDirectory.appendingPathComponent("kernel.json")
        guard let data = files.contents(atPath: template.path),
            case .object(var spec)? = try? JSONValue.parse(data),
            case .array(var argv)? = spec["argv"], !argv.isEmpty
        else {
            throw ValidationError("cannot read the kernelspec template \(template.path) (kernel.json with an argv list)")
        }
        argv[0] = .string(executable)
        spec["argv"] = .array(argv)
        try files.createDirectory(at: destination, withIntermediateDirectories: true)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let json = try encoder.encode(JSONValue.object(spec))
        try json.write(to: destination.appendingPathComponent("kernel.json"))
        for logo in ["logo-32x32.png", "logo-64x64.png"] {
            let target = destination.appendingPathComponent(logo)
            try? files.removeItem(at: target)
            try files.copyItem(at: sourceSpecDirectory.appendingPathComponent(logo), to: target)
        }
        // The language reference the kernel's help_links point at (AttentionInterpreter.referenceURL).
        let reference = sourceSpecDirectory.deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("docs/LANGUAGE.md")
        guard let markdown = files.contents(atPath: reference.path) else {
            throw ValidationError("cannot read the language reference \(reference.path)")
        }
        let page = "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Attention language reference</title></head>\n"
            + "<body><pre style=\"white-space:pre-wrap;font-family:monospace;max-width:60em;margin:1em auto\">"
            + Renderer.escapeXML(String(decoding: markdown, as: UTF8.self)) + "</pre></body></html>\n"
        try Data(page.utf8).write(to: destination.appendingPathComponent("language-reference.html"))
    }

    /// `kernelspec/attention/` of the checkout this binary was built from.
    static var sourceSpecDirectory: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("kernelspec/attention")
    }

    /// This executable's absolute path (via /proc/self/exe on Linux).
    static func executablePath() throws -> String {
        if let resolved = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") { return resolved }
        let argument0 = CommandLine.arguments.first ?? "attention-kernel"
        return URL(fileURLWithPath: argument0).standardizedFileURL.path
    }
}
