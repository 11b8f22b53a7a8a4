import Foundation
import JSONValues
import JupyterProtocol
import Testing

@testable import AttentionKernel

/// Stream output is coalesced as ipykernel does (issue 16): few messages, nothing lost,
/// the order of stdout, stderr, displays and errors kept, text shown within the interval.
struct StreamCoalescerTests {
    private func streams(_ sent: [InMemoryTransport.Sent]) -> [(name: String, text: String)] {
        sent.messages("stream").map { ($0.content["name"]?.stringValue ?? "", $0.content["text"]?.stringValue ?? "") }
    }

    @Test func thirtyThousandPrintsAreAFewMessagesWithEveryLine() {
        let h = KernelHarness()
        let sent = h.execute("for i in 0..<30000 { print(i) }")
        let messages = streams(sent)
        let expected = (0..<30000).map { "\($0)\n" }.joined()
        #expect(messages.map(\.text).joined() == expected)
        #expect(messages.allSatisfy { $0.name == "stdout" })
        // 168,890 bytes: three or four 64 KiB messages, plus one per 0.2 s the loop runs.
        #expect(messages.count >= 3 && messages.count <= 40, "\(messages.count) stream messages")
        #expect(sent.types.last == "status" && sent.types.suffix(2).first == "execute_reply")
    }

    @Test func orderOfStdoutStderrDisplaysAndResultIsKept() {
        let h = KernelHarness()
        let sent = h.execute("print(\"a\")\nprint(\"b\")\nwarn(\"w\")\nprint(\"c\")\nshow(1)\nprint(\"d\")\nclear_output()\nprint(\"e\")\n2")
        let types = sent.types.filter { $0 != "status" && $0 != "execute_input" }
        #expect(types == ["stream", "stream", "stream", "display_data", "stream", "clear_output", "stream", "execute_result", "execute_reply"])
        let texts = streams(sent)
        #expect(texts.map(\.name) == ["stdout", "stderr", "stdout", "stdout", "stdout"])
        #expect(texts.map(\.text) == ["a\nb\n", "w\n", "c\n", "d\n", "e\n"])
    }

    @Test func textPrintedBeforeAnErrorComesBeforeTheError() {
        let h = KernelHarness()
        let sent = h.execute("print(\"before\")\nundefined_name_xyz")
        let types = sent.types.filter { $0 != "status" && $0 != "execute_input" }
        #expect(types == ["stream", "error", "execute_reply"])
        #expect(streams(sent).map(\.text) == ["before\n"])
    }

    /// The output budget still applies, with its note, and the note is the last text.
    @Test func theBudgetStillCutsWithItsNote() {
        let h = KernelHarness(maxOutputBytes: 100_000)
        let sent = h.execute("for i in 0..<200000 { print(i) }")
        let text = streams(sent).map(\.text).joined()
        let note = "\n[output truncated: this cell printed more than 100000 bytes"
        guard let cut = text.range(of: note) else {
            Issue.record("no truncation note in \(text.utf8.count) bytes")
            return
        }
        let kept = text[..<cut.lowerBound]
        #expect(kept.utf8.count == 100_000)
        // Every line before the cut is there, in order (the last one may be cut short).
        let expected = (0..<200000).map { "\($0)\n" }.joined()
        #expect(expected.hasPrefix(kept))
        #expect(streams(sent).count < 20)
    }

    /// Text waits at most the interval, even when no further text or end of cell comes:
    /// the flusher thread sends it while the evaluation thread is busy.
    @Test func bufferedTextIsSentWithinTheIntervalWithoutFurtherWrites() throws {
        let log = PublishLog()
        let context = log.context()
        let coalescer = StreamCoalescer(context: context, policy: StreamPolicy(interval: 0.1, maxBytes: 1 << 20))
        let start = Date()
        coalescer.write(.stdout, "tick\n")
        #expect(log.count == 0)  // not sent at once
        Thread.sleep(forTimeInterval: 0.6)  // "a long computation"
        let first = try #require(log.entries.first)
        #expect(log.count == 1 && first.text == "tick\n")
        let delay = first.time.timeIntervalSince(start)
        #expect(delay >= 0.09 && delay < 0.5, "sent after \(delay) s")
        coalescer.write(.stdout, "tock\n")
        coalescer.finish()
        #expect(log.entries.map(\.text) == ["tick\n", "tock\n"])
        coalescer.write(.stdout, "after the end\n")
        coalescer.flush()
        Thread.sleep(forTimeInterval: 0.2)
        #expect(log.count == 2)  // nothing after finish()
    }

    @Test func sizeFlushesAndStreamNameChangesSplitMessages() {
        let log = PublishLog()
        let coalescer = StreamCoalescer(context: log.context(), policy: StreamPolicy(interval: 60, maxBytes: 10))
        for _ in 0..<7 { coalescer.write(.stdout, "abc\n") }  // 28 bytes: sent at 12 and 24
        coalescer.write(.stderr, "err\n")
        coalescer.finish()
        #expect(log.entries.map(\.text) == ["abc\nabc\nabc\n", "abc\nabc\nabc\n", "abc\n", "err\n"])
        #expect(log.entries.map(\.name) == ["stdout", "stdout", "stdout", "stderr"])
    }

    /// Many writes racing the flusher (interval 1 ms): every byte arrives once, in order.
    @Test func writesRacingTheFlusherLoseNothing() {
        let log = PublishLog()
        let coalescer = StreamCoalescer(context: log.context(), policy: StreamPolicy(interval: 0.001, maxBytes: 1 << 20))
        var expected = ""
        for i in 0..<50_000 {
            coalescer.write(.stdout, "\(i)\n")
            expected += "\(i)\n"
        }
        coalescer.finish()
        #expect(log.entries.map(\.text).joined() == expected)
        #expect(log.count > 1)
    }
}

/// Records what an `ExecutionContext` publishes, with the time, from any thread.
final class PublishLog: @unchecked Sendable {
    struct Entry { var time: Date; var name: String; var text: String }
    private let lock = NSLock()
    private var _entries: [Entry] = []

    var entries: [Entry] { lock.withLock { _entries } }
    var count: Int { entries.count }

    func context() -> ExecutionContext {
        ExecutionContext(
            silent: false, allowStdin: false, executionCount: 1,
            publish: { [self] type, content, _, _ in
                guard type == "stream" else { return }
                let entry = Entry(time: Date(), name: content["name"]?.stringValue ?? "", text: content["text"]?.stringValue ?? "")
                lock.withLock { _entries.append(entry) }
            },
            input: { _, _ in .failure(.notAllowed) })
    }
}
