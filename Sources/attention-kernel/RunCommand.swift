import ArgumentParser
import AttentionKernel
import AttentionLanguage
import Dispatch
import FoundationEssentials
import JSONValues
import Glibc

/// `attention-kernel run FILE.attn [--format text|json]`: evaluates a file as one cell.
/// Outputs are printed as they happen; an error is printed to stderr the way a notebook
/// shows it and the exit code is 1. Limits and workers come from the ATTN_* environment
/// variables, read once here as the kernel reads them (`Settings`).
struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run an .attn program and print its outputs.")

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case text, json
    }

    @Argument(help: "The program to run (UTF-8 text).")
    var file: String

    @Option(help: "text: outputs as a terminal shows them; json: one Jupyter-style output object per line.")
    var format: Format = .text

    func run() throws {
        let bytes: [UInt8]
        switch FileBytes.read(file) {
        case .success(let read): bytes = read
        case .failure(let reason): throw ValidationError("cannot read \(file): \(reason)")
        }
        let printer = ConsolePrinter(format: format)
        let source: String
        switch SourceDecoding.decode(bytes) {
        case .success(let text): source = text
        case .failure(let diagnostic):
            printer.error(diagnostic)
            throw ExitCode(1)
        }
        let settings = Settings(environment: ProcessInfo.processInfo.environment)
        settings.apply()
        let session = Session(limits: settings.limits)
        let interrupts = InterruptForwarder(session: session)
        let result = session.run(source, host: printer)
        withExtendedLifetime(interrupts) {}
        switch result {
        case .success:
            if let bundle = result.resultBundle { printer.result(bundle) }
        case .failure(let diagnostic):
            printer.error(diagnostic)
            throw ExitCode(1)
        }
    }
}

/// Turns Ctrl-C into `Session.interrupt()`, so an endless loop ends with `Interrupted`.
final class InterruptForwarder: @unchecked Sendable {
    private let source: any DispatchSourceSignal

    init(session: Session) {
        signal(SIGINT, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: SIGINT, queue: .global())
        source.setEventHandler { session.interrupt() }
        source.resume()
        self.source = source
    }

    deinit { source.cancel() }
}

/// Prints outputs immediately: as text, or as JSON objects shaped like notebook outputs.
final class ConsolePrinter: CellHost, @unchecked Sendable {
    let format: RunCommand.Format

    init(format: RunCommand.Format) { self.format = format }

    private enum Stream { case standardOutput, standardError }

    private func write(_ text: String, to stream: Stream) {
        var bytes = Array(text.utf8)
        let fd = stream == .standardOutput ? STDOUT_FILENO : STDERR_FILENO
        bytes.withUnsafeMutableBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = Glibc.write(fd, buffer.baseAddress! + offset, buffer.count - offset)
                if written < 0 && errno == EINTR { continue }
                if written <= 0 { return }  // a closed pipe: nothing more can be shown
                offset += written
            }
        }
    }

    private func writeJSON(_ object: JSONObject) {
        write(JSONValue.object(object).serialized() + "\n", to: .standardOutput)
    }

    func emit(_ output: Output) {
        switch (format, output) {
        case (.text, .stdout(let s)): write(s, to: .standardOutput)
        case (.text, .stderr(let s)): write(s, to: .standardError)
        case (.text, .display(let b, _, _)), (.text, .page(let b)):
            write(b.plainText + (b.plainText.hasSuffix("\n") ? "" : "\n"), to: .standardOutput)
        case (.text, .clearOutput): break
        case (.text, .widget(let w)): write(w.plainText + "\n", to: .standardOutput)
        case (.json, .widget(let w)): writeJSON(["output_type": "display_data", "data": ["text/plain": .string(w.plainText)], "metadata": [:]])
        case (.json, .stdout(let s)): writeJSON(["output_type": "stream", "name": "stdout", "text": .string(s)])
        case (.json, .stderr(let s)): writeJSON(["output_type": "stream", "name": "stderr", "text": .string(s)])
        case (.json, .display(let b, _, _)), (.json, .page(let b)):
            writeJSON(["output_type": "display_data", "data": .object(b.data), "metadata": .object(b.metadata)])
        case (.json, .clearOutput(let wait)): writeJSON(["output_type": "clear_output", "wait": .bool(wait)])
        }
    }

    func readInput(prompt: String) -> String? {
        write(prompt, to: .standardOutput)
        return readLine(strippingNewline: true)
    }

    func result(_ bundle: MimeBundle) {
        switch format {
        case .text: write(bundle.plainText + "\n", to: .standardOutput)
        case .json: writeJSON(["output_type": "execute_result", "data": .object(bundle.data), "metadata": .object(bundle.metadata)])
        }
    }

    func error(_ d: Diagnostic) {
        switch format {
        case .text: write(d.rendered, to: .standardError)
        case .json:
            writeJSON(["output_type": "error", "ename": .string(d.ename), "evalue": .string(d.evalue),
                       "traceback": .array(d.traceback.map(JSONValue.string))])
        }
    }
}

/// A whole file's bytes, with the C library's reason when it cannot be read. Reads until
/// end of file, so pipes and character devices (`/dev/stdin`, `/dev/null`) work too.
enum FileBytes {
    static func read(_ path: String) -> Result<[UInt8], Reason> {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { return .failure(Reason(errno: errno)) }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                return .failure(Reason(errno: errno))
            }
            if count == 0 { return .success(bytes) }
            bytes.append(contentsOf: chunk[..<count])
        }
    }

    struct Reason: Error, CustomStringConvertible {
        let errno: Int32
        var description: String { String(cString: strerror(errno)) }
    }
}
