// libFuzzer entry point for the attention language: bytes → UTF-8 decoding → lexer →
// parser → evaluator → renderer, plus the kernel's introspection requests (is_complete,
// complete, inspect) on the same text. Built by scripts/fuzz.sh, not by `swift build`.
//
// Each input runs in a fresh Session with small limits, and a host that asks for an
// interrupt once the input has run for `budget` (so `while true {}` ends as it would in
// the kernel after an interrupt). Outputs are rendered, as the kernel would, and dropped.
// Anything that escapes as a crash, a sanitizer report, a libFuzzer timeout (-timeout)
// or an out-of-memory report is a bug: the kernel must survive every cell.
import AttentionLanguage
import Foundation

/// Limits for fuzzing: small enough that one input stays fast, the same code paths as
/// the kernel's defaults. ATTN_* variables in the fuzzer's environment override them.
private let fuzzLimits: Limits = {
    var env = ProcessInfo.processInfo.environment
    env["ATTN_MAX_ELEMENTS"] = env["ATTN_MAX_ELEMENTS"] ?? "10000"
    env["ATTN_MAX_WORK"] = env["ATTN_MAX_WORK"] ?? "1000000"
    env["ATTN_MAX_DEPTH"] = env["ATTN_MAX_DEPTH"] ?? "200"
    env["ATTN_MAX_NESTING"] = env["ATTN_MAX_NESTING"] ?? "200"
    return Limits(environment: env)
}()

/// Time one input may run before the host requests an interrupt (ATTN_FUZZ_BUDGET_MS, default 200).
private let budgetNanoseconds: UInt64 = {
    let ms = ProcessInfo.processInfo.environment["ATTN_FUZZ_BUDGET_MS"].flatMap(UInt64.init) ?? 200
    return ms * 1_000_000
}()

/// Drops outputs after rendering what the kernel would send, answers `input()` with a
/// fixed line, and requests an interrupt once the time budget is spent.
private final class FuzzHost: CellHost {
    let deadline: UInt64
    var outputs = 0
    var bytes = 0

    init(budget: UInt64) { deadline = DispatchTime.now().uptimeNanoseconds &+ budget }

    func emit(_ output: Output) {
        outputs += 1
        switch output {
        case .stdout(let s), .stderr(let s): bytes &+= s.utf8.count
        case .display(let bundle, _, _), .page(let bundle):
            bytes &+= bundle.plainText.utf8.count
            _ = bundle.data.count
        case .clearOutput: break
        case .widget(let w): bytes &+= w.description.utf8.count
        }
    }

    func readInput(prompt: String) -> String? { outputs % 2 == 0 ? "1" : nil }

    var isInterruptRequested: Bool { DispatchTime.now().uptimeNanoseconds > deadline }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = size > 0 && data != nil ? Array(UnsafeBufferPointer(start: data, count: size)) : []
    let code: String
    switch SourceDecoding.decode(bytes) {
    case .success(let text): code = text
    case .failure(let diagnostic):
        _ = diagnostic.traceback
        _ = diagnostic.rendered
        return 0
    }

    let session = Session(limits: fuzzLimits)

    // Introspection, as the kernel answers it while the student types.
    _ = Session.isComplete(code)
    let scalars = code.unicodeScalars.count
    let cursor = scalars == 0 ? 0 : Int(bytes[0]) % (scalars + 1)
    _ = session.complete(code: code, cursorPosition: cursor)
    _ = session.inspect(code: code, cursorPosition: cursor)

    // Run the text as a cell, then (when it is short) once more in the same session, as a
    // student re-running a cell would: the second run sees the first one's bindings.
    for round in 0..<(bytes.count < 2048 ? 2 : 1) {
        let host = FuzzHost(budget: budgetNanoseconds)
        switch session.run(code, host: host) {
        case .success(let value):
            if let value {
                let bundle = Renderer.bundle(for: value)
                _ = bundle.plainText.utf8.count
            }
        case .failure(let diagnostic):
            _ = diagnostic.ename
            _ = diagnostic.evalue
            _ = diagnostic.traceback
            if round == 0 && diagnostic.ename == "Interrupted" { return 0 }
        }
    }
    for name in session.boundNames.prefix(8) {
        _ = session.summary(of: name)
        _ = session.fields(of: name)
    }
    return 0
}
