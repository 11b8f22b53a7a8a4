import AttentionCore
import Foundation

/// `attention-bench --training`: times one AdamW training step (sample a batch, forward,
/// backward, clip, update) of `train` for nanoGPT's CPU quick-start model and a lesson-size
/// model, and trains the induction model of InductionTrainingTests to its score. Prints JSON
/// for bench/run_bench.py's training table.
enum TrainingBench {
    struct Shape {
        let name: String
        let vocab, context, layers, heads, d, batch: Int
    }

    static let shapes = [
        Shape(name: "nanoGPT quick-start", vocab: 65, context: 64, layers: 4, heads: 4, d: 128, batch: 12),
        Shape(name: "lesson size", vocab: 16, context: 32, layers: 2, heads: 2, d: 32, batch: 32),
    ]

    static func run(steps: Int) -> Never {
        var results: [String] = []
        for shape in shapes {
            let model = try! gpt(vocab: shape.vocab, dModel: shape.d, heads: shape.heads, layers: shape.layers, context: shape.context, seed: 0)
            var generator = SeededGenerator(seed: 1)
            let stream = (0..<20_000).map { _ in Int(generator.nextUniform() * Double(shape.vocab)) }
            var stamps: [Double] = []
            let options = TrainingOptions(steps: steps + 2, batch: shape.batch, lr: 1e-3, seed: 2)
            let start = now()
            let trained = try! train(model, data: .stream(stream), options: options) { _ in
                stamps.append(now())
                return true
            }
            // Steps after two warm-up steps.
            var durations: [Double] = []
            for i in 2..<stamps.count { durations.append(stamps[i] - stamps[i - 1]) }
            durations.sort()
            let median = durations[durations.count / 2]
            results.append(
                "{\"name\": \(jsonString(shape.name)), \"vocab\": \(shape.vocab), \"context\": \(shape.context), \"layers\": \(shape.layers), "
                    + "\"heads\": \(shape.heads), \"d\": \(shape.d), \"batch\": \(shape.batch), \"steps\": \(durations.count), "
                    + "\"median_step_s\": \(median), \"best_step_s\": \(durations[0]), \"total_s\": \(now() - start), "
                    + "\"first_loss\": \(trained.losses.first!), \"last_loss\": \(trained.losses.last!), \"rss_kib\": \(residentKiB() ?? 0)}")
        }
        // The induction model of the tests: attention-only, 2 layers, trained to its score.
        let (vocab, length) = (16, 8)
        let model = try! gpt(vocab: vocab, dModel: 32, heads: 2, layers: 2, context: 2 * length, seed: 0, mlp: false)
        var generator = SeededGenerator(seed: 1)
        let data = (0..<2048).map { _ -> [Int] in
            let half = (0..<length).map { _ in Int(generator.nextUniform() * Double(vocab)) }
            return half + half
        }
        let t0 = now()
        let trained = try! train(model, data: .sequences(data), options: TrainingOptions(
            steps: 150, batch: 16, lr: 1e-2, seed: 2, schedule: .warmupCosine(warmup: 20, minimum: 1e-3))) { _ in true }
        let seconds = now() - t0
        var score = 0.0, count = 0
        var heldGenerator = SeededGenerator(seed: 99)
        for _ in 0..<50 {
            let half = (0..<length).map { _ in Int(heldGenerator.nextUniform() * Double(vocab)) }
            let maps = try! trained.model.attentionMaps(ids: Array((half + half).dropLast()))
            for t in length..<(2 * length - 1) {
                score += maps.flatMap { $0 }.map { $0[t, t - length + 1] }.max()!
                count += 1
            }
        }
        let induction = "{\"seconds\": \(seconds), \"steps\": 150, \"batch\": 16, \"score\": \(score / Double(count)), \"last_loss\": \(trained.losses.last!)}"
        print("{\"threads\": \(CoreConfiguration.workers), \"models\": \(jsonArray(results)), \"induction\": \(induction)}")
        exit(0)
    }
}
