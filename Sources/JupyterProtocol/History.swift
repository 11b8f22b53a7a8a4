import FoundationEssentials
import Glibc
import JSONValues

/// The inputs (and `text/plain` outputs) of this kernel and, with a `HistoryFile`, of
/// earlier runs, for `history_request`; as IPython's SQLite history, each kernel start is
/// a new session numbered after the last one on file.
struct History {
    struct Entry: Equatable {
        var session: Int
        var line: Int
        var input: String
        var output: String?
    }

    /// This process's session number (IPython numbers sessions from 1).
    let session: Int
    private(set) var entries: [Entry]
    private let file: HistoryFile?

    /// An in-memory history, or one that continues (and appends to) `file`.
    init(file: HistoryFile? = nil) {
        self.file = file
        entries = file?.load() ?? []
        session = (entries.map(\.session).max() ?? 0) + 1
    }

    mutating func append(line: Int, input: String, output: String?) {
        let entry = Entry(session: session, line: line, input: input, output: output)
        entries.append(entry)
        file?.append(entry)
    }

    /// The reply's `history` list for a `history_request` content. `tail` and `search`
    /// look through every session kept; `range` through one (`session` 0 or absent: this
    /// one, negative: counted back from this one).
    func reply(to content: JSONValue) -> [JSONValue] {
        let output = content["output"]?.boolValue ?? false
        let selected: [Entry]
        switch content["hist_access_type"]?.stringValue ?? "tail" {
        case "range":
            let requested = content["session"]?.intValue ?? 0
            let wanted = requested <= 0 ? session + requested : requested
            let start = content["start"]?.intValue ?? 0
            let stop = content["stop"]?.intValue
            selected = entries.filter { entry in
                entry.session == wanted && entry.line >= start && (stop.map { entry.line < $0 } ?? true)
            }
        case "search":
            let pattern = content["pattern"]?.stringValue ?? "*"
            var found = entries.filter { Glob.matches(pattern, $0.input) }
            if content["unique"]?.boolValue ?? false {
                var seen = Set<String>()
                found = found.reversed().filter { seen.insert($0.input).inserted }.reversed()
            }
            selected = Self.last(content["n"]?.intValue, of: found)
        default:
            selected = Self.last(content["n"]?.intValue ?? 10, of: entries)
        }
        return selected.map { entry in
            let item: JSONValue =
                output ? [.string(entry.input), entry.output.map(JSONValue.string) ?? .null] : .string(entry.input)
            return [.number(Double(entry.session)), .number(Double(entry.line)), item]
        }
    }

    private static func last(_ n: Int?, of list: [Entry]) -> [Entry] {
        guard let n else { return list }
        return Array(list.suffix(max(0, n)))
    }
}

/// The history kept across kernel restarts: one JSON object per line
/// (`{"session", "line", "input", "output"}`), appended with one `write` per entry.
///
/// Bounded: at start only the newest `limit` entries are read, and when the file holds
/// more than that it is rewritten with just those (atomically, via a temporary file and
/// `rename`); inputs longer than `maxInputBytes` are not kept. A file that cannot be read
/// or written never stops the kernel: history then stays in memory (a log line says why).
public struct HistoryFile: Sendable {
    public let path: String
    public let limit: Int
    public static let maxInputBytes = 64 * 1024
    let log: @Sendable (String) -> Void

    public init(path: String, limit: Int = 10_000, log: @escaping @Sendable (String) -> Void = { _ in }) {
        self.path = path
        self.limit = max(1, limit)
        self.log = log
    }

    func load() -> [History.Entry] {
        guard let data = FileManager.default.contents(atPath: path) else { return [] }
        var entries: [History.Entry] = []
        var malformed = 0
        for line in data.split(separator: UInt8(ascii: "\n")) where !line.isEmpty {
            guard case .object(let o)? = try? JSONValue.parse(Data(line)),
                let session = o["session"]?.intValue, let number = o["line"]?.intValue, let input = o["input"]?.stringValue
            else {
                malformed += 1
                continue
            }
            entries.append(History.Entry(session: session, line: number, input: input, output: o["output"]?.stringValue))
        }
        if malformed > 0 { log("history: skipped \(malformed) malformed line(s) in \(path)") }
        if entries.count > limit || malformed > 0 {
            entries = Array(entries.suffix(limit))
            rewrite(entries)
        }
        return entries
    }

    func append(_ entry: History.Entry) {
        guard entry.input.utf8.count <= Self.maxInputBytes else { return }
        write(Self.line(entry), append: true)
    }

    private func rewrite(_ entries: [History.Entry]) {
        let temporary = path + ".tmp\(getpid())"
        write(entries.map(Self.line).joined(), to: temporary, append: false)
        if rename(temporary, path) != 0 {
            log("history: cannot replace \(path) (errno \(errno))")
            unlink(temporary)
        }
    }

    private static func line(_ e: History.Entry) -> String {
        var o: JSONObject = ["session": .number(Double(e.session)), "line": .number(Double(e.line)), "input": .string(e.input)]
        if let output = e.output { o["output"] = .string(output) }
        return JSONValue.object(o).serialized() + "\n"
    }

    private func write(_ text: String, to target: String? = nil, append: Bool) {
        let target = target ?? path
        let directory = String(target[..<(target.lastIndex(of: "/") ?? target.startIndex)])
        if !directory.isEmpty { try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) }
        let fd = open(target, O_WRONLY | O_CREAT | O_CLOEXEC | (append ? O_APPEND : O_TRUNC), 0o600)
        guard fd >= 0 else {
            log("history: cannot open \(target) (errno \(errno))")
            return
        }
        defer { close(fd) }
        var text = text
        text.withUTF8 { bytes in
            var done = 0
            while done < bytes.count {
                let n = Glibc.write(fd, bytes.baseAddress! + done, bytes.count - done)
                if n <= 0 { break }
                done += n
            }
        }
    }
}

/// SQLite-style GLOB over Unicode scalars, as IPython's history search uses: `*` any run,
/// `?` one scalar, `[abc]`, `[a-z]`, `[^x]` classes; case-sensitive; the whole text must match.
enum Glob {
    static func matches(_ pattern: String, _ text: String) -> Bool {
        let p = Array(pattern.unicodeScalars), t = Array(text.unicodeScalars)
        var pi = 0, ti = 0
        var star: (p: Int, t: Int)? = nil
        while ti < t.count {
            if pi < p.count, p[pi] == "*" {
                star = (pi, ti)
                pi += 1
                continue
            }
            if pi < p.count, let next = single(p, pi, t[ti]) {
                pi = next
                ti += 1
                continue
            }
            guard let s = star else { return false }
            pi = s.p + 1
            ti = s.t + 1
            star = (s.p, s.t + 1)
        }
        while pi < p.count, p[pi] == "*" { pi += 1 }
        return pi == p.count
    }

    /// If the pattern element at `i` matches `c`, the index after it.
    private static func single(_ p: [Unicode.Scalar], _ i: Int, _ c: Unicode.Scalar) -> Int? {
        switch p[i] {
        case "?": return i + 1
        case "[":
            var j = i + 1
            var negate = false
            if j < p.count, p[j] == "^" { negate = true; j += 1 }
            var matched = false
            var first = true
            while j < p.count, p[j] != "]" || first {
                first = false
                if j + 2 < p.count, p[j + 1] == "-", p[j + 2] != "]" {
                    if p[j].value <= c.value && c.value <= p[j + 2].value { matched = true }
                    j += 3
                } else {
                    if p[j] == c { matched = true }
                    j += 1
                }
            }
            guard j < p.count else { return p[i] == c ? i + 1 : nil }  // no closing ]: literal [
            return matched != negate ? j + 1 : nil
        default: return p[i] == c ? i + 1 : nil
        }
    }
}
