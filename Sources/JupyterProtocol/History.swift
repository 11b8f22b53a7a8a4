import JSONValues

/// The inputs (and `text/plain` outputs) of this kernel process, for `history_request`.
/// Kept in memory only; the whole process is one history session.
struct History {
    struct Entry: Equatable {
        var line: Int
        var input: String
        var output: String?
    }

    /// The session number reported in entries (IPython numbers sessions from 1).
    static let session = 1

    private(set) var entries: [Entry] = []

    mutating func append(line: Int, input: String, output: String?) {
        entries.append(Entry(line: line, input: input, output: output))
    }

    /// The reply's `history` list for a `history_request` content.
    func reply(to content: JSONValue) -> [JSONValue] {
        let output = content["output"]?.boolValue ?? false
        let selected: [Entry]
        switch content["hist_access_type"]?.stringValue ?? "tail" {
        case "range":
            let session = content["session"]?.intValue ?? 0
            guard session <= 0 || session == Self.session else { return [] }
            let start = content["start"]?.intValue ?? 0
            let stop = content["stop"]?.intValue
            selected = entries.filter { entry in entry.line >= start && (stop.map { entry.line < $0 } ?? true) }
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
            return [.number(Double(Self.session)), .number(Double(entry.line)), item]
        }
    }

    private static func last(_ n: Int?, of list: [Entry]) -> [Entry] {
        guard let n else { return list }
        return Array(list.suffix(max(0, n)))
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
