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
}
