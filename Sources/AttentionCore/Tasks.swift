/// Seeded synthetic sequence tasks for training small transformers.
///
/// Every random choice is ⌊u·k⌋ for one uniform u of `SeededGenerator(seed:)` (k choices),
/// drawn sequence by sequence, token by token in order, so a seed fixes every sequence on
/// every machine. With vocab V, the tasks other than induction use the token V − 1 as their
/// separator ("=") and draw their content from 0..<V−1.
public enum SequenceTask: String, CaseIterable, Sendable {
    /// x₁ … x_L x₁ … x_L: L tokens from 0..<V, then the same L again (2L ids). From the
    /// second half on, each token is predictable by finding its previous occurrence and
    /// copying the token after it: what an induction head does.
    case induction
    /// x₁ … x_L = x₁ … x_L (2L + 1 ids).
    case copy
    /// x₁ … x_L = x_L … x₁ (2L + 1 ids).
    case reverse
    /// x₁ … x_L = the same tokens in ascending order (2L + 1 ids).
    case sort
    /// a₁ … a_L = (a₁ + … + a_L) mod p with p = V − 1 and each aᵢ in 0..<p (L + 2 ids);
    /// L = 2 is the "a b = c" of modular-arithmetic experiments.
    case modadd
    /// x₁ … x_p x₁ … x_p x₁ … cut to L ids: p distinct tokens from 0..<V repeated, the period p
    /// drawn for each sequence from 2…min(V, ⌊L/2⌋) (so x appears at least twice). As in
    /// induction, every token of the second period on is the token after the previous
    /// occurrence of the one before it; but that occurrence is p back and p varies, so no
    /// head that looks a fixed distance back can find it: only matching content can (the
    /// two-layer induction circuit). The tokens are drawn without replacement (a partial
    /// Fisher–Yates shuffle: the k-th is ⌊u·(V − k)⌋ among those left), so the previous
    /// occurrence is unique.
    case periodic
    /// k₁ v₁ k₂ v₂ … k_L v_L, then the same L pairs again in a shuffled order (4L ids):
    /// associative recall. The keys are L distinct tokens of 0..<K with K = ⌊V/2⌋ (a partial
    /// Fisher–Yates shuffle), the values any of K..<V; then the order of the repeat (a
    /// Fisher–Yates shuffle of the L pairs). Each value of the repeat is the token after the
    /// earlier occurrence of the key before it, which stands wherever the shuffle put it: an
    /// induction head finds it by content (its key), and nothing else predicts it. The keys of
    /// the repeat are unpredictable beyond "one not yet repeated", so the task scores the values.
    case recall

    /// The length of one sequence for `length` L.
    public func sequenceLength(_ length: Int) -> Int {
        switch self {
        case .induction: 2 * length
        case .copy, .reverse, .sort: 2 * length + 1
        case .modadd: length + 2
        case .periodic: length
        case .recall: 4 * length
        }
    }

    /// The smallest vocabulary the task can use with `length`: 1 token for induction; recall
    /// draws `length` distinct keys from the lower half, so 2·length; the others a separator
    /// and one more (periodic: two distinct tokens).
    public func minimumVocab(length: Int) -> Int {
        switch self {
        case .induction: 1
        case .recall: max(2, 2 * length)
        default: 2
        }
    }

    /// The shortest `length` the task accepts (periodic: two periods of 2).
    public var minimumLength: Int { self == .periodic ? 4 : 1 }

    /// `n` sequences of the task with `length` tokens of input and vocabulary `vocab`.
    public func sequences(n: Int, length: Int, vocab: Int, seed: UInt64) throws(CoreError) -> [[Int]] {
        guard n >= 0 else { throw .invalidArgument("n must not be negative, not \(n)") }
        guard length >= minimumLength else { throw .invalidArgument("the \(rawValue) task needs length ≥ \(minimumLength), not \(length)") }
        guard vocab >= minimumVocab(length: length) else {
            switch self {
            case .induction: throw .invalidArgument("the induction task needs vocab ≥ 1, not \(vocab)")
            case .periodic: throw .invalidArgument("the periodic task needs vocab ≥ 2 (a period of two distinct tokens), not \(vocab)")
            case .recall: throw .invalidArgument("the recall task needs vocab ≥ 2·length = \(2 * length) (length distinct keys in the lower half, values in the upper), not \(vocab)")
            default: throw .invalidArgument("the \(rawValue) task needs vocab ≥ 2 (the last token, vocab − 1, is its separator '='), not \(vocab)")
            }
        }
        let (_, overflow) = n.multipliedReportingOverflow(by: sequenceLength(length))
        guard !overflow, length < Int.max / 8 else { throw .tooLarge("\(n) sequences of length \(length) are too many ids") }
        var generator = SeededGenerator(seed: seed)
        func draw(_ k: Int) -> Int { min(Int(generator.nextUniform() * Double(k)), k - 1) }
        let separator = vocab - 1
        var out: [[Int]] = []
        out.reserveCapacity(n)
        for _ in 0..<n {
            switch self {
            case .induction:
                let x = (0..<length).map { _ in draw(vocab) }
                out.append(x + x)
            case .copy, .reverse, .sort:
                let x = (0..<length).map { _ in draw(vocab - 1) }
                let answer = self == .copy ? x : self == .reverse ? Array(x.reversed()) : x.sorted()
                out.append(x + [separator] + answer)
            case .modadd:
                let p = vocab - 1
                let x = (0..<length).map { _ in draw(p) }
                out.append(x + [separator, x.reduce(0) { ($0 + $1) % p }])
            case .periodic:
                let longest = min(vocab, length / 2)
                let p = 2 + draw(longest - 1)
                var pool = Array(0..<vocab)
                for k in 0..<p { pool.swapAt(k, k + draw(vocab - k)) }
                out.append((0..<length).map { pool[$0 % p] })
            case .recall:
                let half = vocab / 2
                var pool = Array(0..<half)
                for k in 0..<length { pool.swapAt(k, k + draw(half - k)) }
                let values = (0..<length).map { _ in half + draw(vocab - half) }
                var order = Array(0..<length)
                for k in 0..<length { order.swapAt(k, k + draw(length - k)) }
                var x: [Int] = []
                x.reserveCapacity(4 * length)
                for k in 0..<length { x += [pool[k], values[k]] }
                for k in order { x += [pool[k], values[k]] }
                out.append(x)
            }
        }
        return out
    }
}
