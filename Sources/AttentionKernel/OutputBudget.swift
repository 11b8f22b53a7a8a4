import AttentionLanguage
import JSONValues

/// How much a single cell may send to the front end. Front ends drop output past their
/// IOPub data-rate limit and show a confusing warning; we stop earlier and say so.
public struct OutputLimit: Sendable {
    /// Bytes of stdout/stderr text per cell.
    public var maxBytes: Int
    /// Display calls per cell (each heatmap is an SVG of up to ~1 MB).
    public var maxDisplays: Int

    public init(maxBytes: Int, maxDisplays: Int = 200) {
        self.maxBytes = max(0, maxBytes)
        self.maxDisplays = max(0, maxDisplays)
    }
}

/// The running tally for one cell: text is admitted until the byte budget is spent, then
/// cut at a character boundary with a one-time note; later text is dropped.
struct OutputBudget {
    let limit: OutputLimit
    private var bytesUsed = 0
    private var displaysUsed = 0
    private var textNoteSent = false
    private var displayNoteSent = false

    init(limit: OutputLimit) { self.limit = limit }

    /// The part of `text` that may be sent (with the note appended when the budget runs
    /// out here), or nil when nothing more may be sent.
    mutating func admit(_ text: String) -> String? {
        if textNoteSent { return nil }
        let size = text.utf8.count
        if bytesUsed + size <= limit.maxBytes {
            bytesUsed += size
            return text
        }
        var kept = ""
        var keptBytes = 0
        for character in text {
            let width = character.utf8.count
            if bytesUsed + keptBytes + width > limit.maxBytes { break }
            kept.append(character)
            keptBytes += width
        }
        bytesUsed = limit.maxBytes
        textNoteSent = true
        let note = "\n[output truncated: this cell printed more than \(limit.maxBytes) bytes; the rest is not shown. Set ATTN_MAX_OUTPUT_BYTES in the kernelspec's env to change the limit.]\n"
        return kept + note
    }

    /// Whether one more display may be sent, and the one-time note to stream when the
    /// display budget has just run out.
    mutating func admitDisplay() -> (allowed: Bool, note: String?) {
        displaysUsed += 1
        if displaysUsed <= limit.maxDisplays { return (true, nil) }
        if displayNoteSent { return (false, nil) }
        displayNoteSent = true
        return (false, "[display limit: this cell made more than \(limit.maxDisplays) displays; the rest are not shown.]\n")
    }

    // MARK: - Rich outputs

    /// The cell result's bundle, unless it would be larger than `limit.maxBytes`: then only
    /// its text (elided like every matrix text) and a note. A matrix of more than
    /// `maxBytes / 8` elements (8 bytes per element: a short number and its comma) is
    /// judged by its size alone, before its exact JSON copy (often ~20 bytes per element)
    /// is ever built; a smaller one is measured by `capped`.
    static func resultBundle(for value: Value, limit: OutputLimit) -> MimeBundle {
        if case .matrix(let m) = value, m.count > limit.maxBytes / 8 {
            return textOnly(Renderer.plainText(value), limit: limit, what: "a \(m.shapeDescription) matrix")
        }
        return capped(Renderer.bundle(for: value), limit: limit)
    }

    /// `bundle` if its content fits in `limit.maxBytes`, else its text/plain cut to fit and a note.
    static func capped(_ bundle: MimeBundle, limit: OutputLimit) -> MimeBundle {
        var budget = limit.maxBytes
        for key in bundle.data.keys {
            guard let value = bundle.data[key] else { continue }
            budget -= approximateSize(value, upTo: budget)
            if budget < 0 { return textOnly(bundle.plainText, limit: limit, what: "this output") }
        }
        return bundle
    }

    private static func textOnly(_ text: String, limit: OutputLimit, what: String) -> MimeBundle {
        var kept = ""
        var bytes = 0
        for character in text {
            bytes += character.utf8.count
            if bytes > limit.maxBytes { break }
            kept.append(character)
        }
        let note = "\n[output truncated: \(what) is larger than the \(limit.maxBytes) bytes a cell's output may send; only its text is shown. Set ATTN_MAX_OUTPUT_BYTES in the kernelspec's env to change the limit.]"
        return MimeBundle(data: ["text/plain": .string(kept + note)])
    }

    /// Roughly the bytes `value` serializes to; stops counting once past `cap`.
    private static func approximateSize(_ value: JSONValue, upTo cap: Int) -> Int {
        switch value {
        case .null, .bool: return 5
        case .number: return 20
        case .string(let s): return s.utf8.count + 2
        case .array(let items):
            var total = 2
            for item in items where total <= cap { total += approximateSize(item, upTo: cap - total) + 1 }
            return total
        case .object(let object):
            var total = 2
            for key in object.keys where total <= cap {
                total += key.utf8.count + 4 + (object[key].map { approximateSize($0, upTo: cap - total) } ?? 0)
            }
            return total
        }
    }
}
