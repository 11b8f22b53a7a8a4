import AttentionLanguage
import Foundation

/// Runs golden programs: a `.attn` file holds one or more cells separated by a line
/// `// ---- cell`; its sibling `.expected` holds the transcript `Transcript.of` makes.
enum Golden {
    static let cellSeparator = "// ---- cell"

    /// The folder of golden files in the test bundle.
    static var directory: URL? { Bundle.module.url(forResource: "Golden", withExtension: nil) }

    /// Names of the `.attn` files, sorted.
    static func programNames() -> [String] {
        guard let directory, let names = try? FileManager.default.contentsOfDirectory(atPath: directory.path) else { return [] }
        return names.filter { $0.hasSuffix(".attn") }.sorted()
    }

    /// Runs every cell of `source` in one session and returns the transcript.
    static func transcript(
        of source: String, limits: Limits = Limits(), inputs: [String] = ["Ada"], host: RecordingHost? = nil
    ) -> String {
        let session = Session(limits: limits)
        // save and load write into a fresh folder of their own, not the package.
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("golden-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let host = host ?? RecordingHost(inputs: inputs, folder: folder.path)
        var out = ""
        let cells = source.components(separatedBy: "\n\(cellSeparator)\n")
        for (n, cell) in cells.enumerated() {
            if cells.count > 1 { out += "[cell \(n + 1)]\n" }
            let before = host.outputs.count
            let result = session.run(cell, host: host)
            for output in host.outputs.dropFirst(before) { out += Transcript.line(for: output) }
            switch result {
            case .success(let value?): out += "Out: " + Renderer.bundle(for: value).plainText + "\n"
            case .success(nil): break
            case .failure(let d): out += d.rendered
            }
        }
        return out
    }
}

enum Transcript {
    static func line(for output: Output) -> String {
        switch output {
        case .stdout(let s): return s
        case .stderr(let s): return "stderr: " + s
        case .display(let b, let id?, let update):
            return "\(update ? "update" : "display") [id \(id)]: " + b.plainText + "\n"
        case .display(let b, nil, _): return "display: " + b.plainText + "\n"
        case .page(let b): return "page: " + b.plainText + (b.plainText.hasSuffix("\n") ? "" : "\n")
        case .clearOutput(let wait): return "clear_output(wait: \(wait))\n"
        case .widget(let w): return "widget: " + w.plainText + "\n"
        }
    }
}
