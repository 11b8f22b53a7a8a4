// attention-bench: times AttentionCore's `multiHead` and prints JSON for bench/run_bench.py.
//
//     attention-bench [--sizes n,d,h;n,d,h;...] [--min-time SECONDS] [--min-runs N]
//     attention-bench --interpreter [--min-runs N] FILE.attn ...   (see Interpreter.swift)
//     attention-bench --training [--steps N]                       (see Training.swift)
//
// For each size and mask (none, causal): X n×d and W_Q, W_K, W_V, W_O d×d drawn from
// `randn` (weights scaled by 1/√d), two warm-up calls, then timed calls until both
// --min-runs calls and --min-time seconds are done. Reports the median and best wall
// time and GFLOP/s = (8·n·d² + 4·n²·d) / time, the FLOP count of the unmasked computation
// (four projections, Q·Kᵀ and weights·V), used for both masks.
import AttentionCore
import Foundation

struct Size { let n, d, heads: Int }

var sizes = [Size(n: 8, d: 16, heads: 2), Size(n: 128, d: 64, heads: 4), Size(n: 512, d: 512, heads: 8), Size(n: 2048, d: 512, heads: 8)]
var minTime = 0.5
var minRuns = 5
var arguments = CommandLine.arguments.dropFirst().makeIterator()
var interpreterFiles: [String]?
var trainingSteps: Int?
var generateBench = false
while let argument = arguments.next() {
    switch argument {
    case "--interpreter": interpreterFiles = []
    case "--training": trainingSteps = 10
    case "--steps": trainingSteps = Int(arguments.next() ?? "") ?? 10
    case _ where interpreterFiles != nil && !argument.hasPrefix("--"): interpreterFiles?.append(argument)
    case "--sizes":
        guard let text = arguments.next() else { fatalError("--sizes needs n,d,h;n,d,h") }
        sizes = text.split(separator: ";").map { part in
            let v = part.split(separator: ",").compactMap { Int($0) }
            precondition(v.count == 3, "a size is n,d,heads")
            return Size(n: v[0], d: v[1], heads: v[2])
        }
    case "--generate": generateBench = true
    case "--min-time": minTime = Double(arguments.next() ?? "") ?? minTime
    case "--min-runs": minRuns = Int(arguments.next() ?? "") ?? minRuns
    default:
        FileHandle.standardError.write("usage: attention-bench [--sizes n,d,h;...] [--min-time S] [--min-runs N]; attention-bench --interpreter [--min-runs N] FILE.attn ...\n".data(using: .utf8)!)
        exit(2)
    }
}

if let interpreterFiles { InterpreterBench.run(files: interpreterFiles, minRuns: minRuns) }
if let trainingSteps { TrainingBench.run(steps: trainingSteps) }

// --generate: 500 greedy tokens from nanoGPT's quick-start shape (vocab 65, 4 layers, 4 heads,
// d 128) after a 1-token prompt, with the KV cache (`generate`) and with a forward pass per
// step (`generateRecomputing`), at context 64 (the window slides after 63 tokens) and at
// context 512 (every step cached). Both must give the same ids.
if generateBench {
    var rows: [String] = []
    for context in [64, 512] {
        let model = try gpt(vocab: 65, dModel: 128, heads: 4, layers: 4, context: context, seed: 0)
        var timings: [(String, Double, [Int])] = []
        for (name, body) in [("kv_cache", { try model.generate(ids: [0], steps: 500, temperature: 0, seed: 0) }),
                             ("recompute", { try model.generateRecomputing(ids: [0], steps: 500, temperature: 0, seed: 0) })] as [(String, () throws -> [Int])] {
            let t0 = now()
            let ids = try body()
            timings.append((name, now() - t0, ids))
        }
        rows.append("{\"context\": \(context), \"tokens\": 500, \"kv_cache_s\": \(timings[0].1), \"recompute_s\": \(timings[1].1), "
            + "\"speedup\": \(timings[1].1 / timings[0].1), \"same_ids\": \(timings[0].2 == timings[1].2)}")
    }
    print("{\"generate\": \(jsonArray(rows))}")
    exit(0)
}

var results: [String] = []
var checksum = 0.0
for size in sizes {
    let (n, d, h) = (size.n, size.d, size.heads)
    let x = try randn(n, d, seed: 1)
    let weightScale = Matrix(scalar: 1 / Double(d).squareRoot())
    let w = try (0..<4).map { try Matrix.multiply(try randn(d, d, seed: 10 + UInt64($0)), weightScale) }
    let causal = try causalMask(n)
    for masked in [false, true] {
        let mask: Matrix? = masked ? causal : nil
        let run = { try multiHead(x, w[0], w[1], w[2], w[3], heads: h, mask: mask) }
        for _ in 0..<2 { checksum += try run()[0, 0] }
        var times: [Double] = []
        let start = now()
        while times.count < minRuns || now() - start < minTime {
            let t0 = now()
            let out = try run()
            times.append(now() - t0)
            checksum += out[0, 0]
            if times.count >= 10_000 { break }
        }
        times.sort()
        let median = medianOfSorted(times)
        let flops = 8 * Double(n) * Double(d) * Double(d) + 4 * Double(n) * Double(n) * Double(d)
        results.append(
            "{\"n\": \(n), \"d_model\": \(d), \"heads\": \(h), \"mask\": \(masked ? "\"causal\"" : "\"none\""), "
                + "\"runs\": \(times.count), \"median_s\": \(median), \"best_s\": \(times[0]), \"flops\": \(flops), "
                + "\"gflops_median\": \(flops / median / 1e9), \"gflops_best\": \(flops / times[0] / 1e9), "
                + "\"rss_kib\": \(residentKiB().map(String.init) ?? "null")}")
    }
}
// The kernel's own OpenBLAS, loaded as the kernel loads it (AttentionCore's BLASLibrary).
print("{\"blas\": \"OpenBLAS\", \"blas_core\": \(jsonString(BLASLibrary.coreName)), \"blas_threads\": \(BLASLibrary.threads), "
    + "\"cores\": \(ProcessInfo.processInfo.activeProcessorCount), \"checksum\": \(checksum), \"results\": \(jsonArray(results))}")
