import AttentionLanguage
import Foundation

/// `attention-bench --interpreter FILE.attn ...`: times the interpreter alone on each program,
/// for bench/run_bench.py's interpreter table.
///
/// Each run is a fresh `Session` running the file as one cell, the way the kernel runs a cell
/// (on the session's evaluation thread, default limits); only `Session.run` is timed, so process
/// start-up and reading the file are not counted. One warm-up run, then `minRuns` timed runs.
/// Prints one JSON object: per file, the median and best seconds and the program's printed output
/// (so the caller can check it against the CPython twin), and the best CPU time: the time the
/// process's threads ran, which time slices lost to other processes on a loaded machine do not
/// count (the wall time of a long run loses more of them than a short run's best does).
enum InterpreterBench {
    /// Outputs are kept, not printed: the bench prints JSON only.
    final class QuietHost: CellHost {
        var text = ""
        func emit(_ output: Output) {
            if case .stdout(let s) = output { text += s }
        }
        func readInput(prompt: String) -> String? { nil }
    }

    static func run(files: [String], minRuns: Int) -> Never {
        var results: [String] = []
        for file in files {
            guard let source = try? String(contentsOfFile: file, encoding: .utf8) else {
                FileHandle.standardError.write("attention-bench: cannot read \(file)\n".data(using: .utf8)!)
                exit(2)
            }
            var times: [Double] = []
            var cpuTimes: [Double] = []
            var printed = ""
            var failure: String?
            for round in 0...max(minRuns, 1) {
                let session = Session(limits: Limits())
                let host = QuietHost()
                let c0 = cpuNow(), t0 = now()
                let result = session.run(source, host: host)
                let elapsed = now() - t0, cpu = cpuNow() - c0
                if case .failure(let diagnostic) = result { failure = diagnostic.message }
                if round > 0 {
                    times.append(elapsed)
                    cpuTimes.append(cpu)
                }
                printed = host.text
            }
            times.sort()
            let median = medianOfSorted(times)
            results.append(
                "{\"file\": \(jsonString(file)), \"runs\": \(times.count), \"median_s\": \(median), \"best_s\": \(times[0]), \"cpu_best_s\": \(cpuTimes.min() ?? 0), "
                    + "\"output\": \(jsonString(printed.trimmingCharacters(in: .whitespacesAndNewlines))), "
                    + "\"error\": \(failure.map(jsonString) ?? "null")}")
        }
        print("{\"results\": \(jsonArray(results))}")
        exit(0)
    }
}
