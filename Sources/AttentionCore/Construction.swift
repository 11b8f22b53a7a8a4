/// Checks that an r×c matrix can exist: non-negative sides and an element count that
/// does not overflow. The language applies its own (smaller, configurable) size limit
/// before calling in; this is the library's last line of defence against a trap.
func checkedCount(_ rows: Int, _ cols: Int) throws(CoreError) -> Int {
    guard rows >= 0, cols >= 0 else { throw .invalidArgument("a matrix cannot have negative size \(rows)×\(cols)") }
    let (count, overflow) = rows.multipliedReportingOverflow(by: cols)
    guard !overflow else { throw .tooLarge("a \(rows)×\(cols) matrix has too many elements") }
    return count
}

/// The r×c matrix of zeros.
public func zeros(_ rows: Int, _ cols: Int) throws(CoreError) -> Matrix { try full(rows, cols, 0) }

/// The r×c matrix of ones.
public func ones(_ rows: Int, _ cols: Int) throws(CoreError) -> Matrix { try full(rows, cols, 1) }

/// The r×c matrix with every element equal to `value`.
public func full(_ rows: Int, _ cols: Int, _ value: Double) throws(CoreError) -> Matrix {
    let count = try checkedCount(rows, cols)
    return Matrix(uncheckedRows: rows, cols: cols, storage: Array(repeating: value, count: count))
}

/// The n×n identity: Iᵢⱼ = 1 when i = j, else 0.
public func eye(_ n: Int) throws(CoreError) -> Matrix {
    var m = try zeros(n, n)
    for i in 0..<n { m[i, i] = 1 }
    return m
}

/// An r×c matrix of independent standard normal samples N(0, 1), row-major, drawn from
/// `SeededGenerator(seed:)`: the same (r, c, seed) gives the same bits on every machine.
public func randn(_ rows: Int, _ cols: Int, seed: UInt64) throws(CoreError) -> Matrix {
    let count = try checkedCount(rows, cols)
    var generator = SeededGenerator(seed: seed)
    return Matrix(uncheckedRows: rows, cols: cols, storage: (0..<count).map { _ in generator.nextGaussian() })
}

/// An r×c matrix of independent samples uniform on [0, 1), drawn from `SeededGenerator(seed:)`.
public func rand(_ rows: Int, _ cols: Int, seed: UInt64) throws(CoreError) -> Matrix {
    let count = try checkedCount(rows, cols)
    var generator = SeededGenerator(seed: seed)
    return Matrix(uncheckedRows: rows, cols: cols, storage: (0..<count).map { _ in generator.nextUniform() })
}

/// The language's tokenizer: words, nothing more.
public enum Tokenizer {
    /// Splits text into tokens on runs of whitespace: `tokens("the cat sat")` is
    /// `["the", "cat", "sat"]`.
    public static func tokens(_ text: String) -> [String] {
        text.split(whereSeparator: { $0.isWhitespace }).map(String.init)
    }
}

/// One row per token, `dim` wide, each row N(0, 1) samples seeded by (`seed`, the token's
/// text): the same token string gives the same row for the same seed, wherever it appears.
/// The token seed is FNV-1a (64-bit) of the token's UTF-8 bytes, mixed with `seed` by SplitMix64.
public func embed(_ tokens: [String], dim: Int, seed: UInt64) throws(CoreError) -> Matrix {
    let count = try checkedCount(tokens.count, dim)
    var storage: [Double] = []
    storage.reserveCapacity(count)
    for token in tokens {
        var generator = SeededGenerator(seed: SeededGenerator.mix(seed, fnv1a(token)))
        for _ in 0..<dim { storage.append(generator.nextGaussian()) }
    }
    return Matrix(uncheckedRows: tokens.count, cols: dim, storage: storage)
}

/// FNV-1a, 64-bit, over UTF-8 bytes: a stable hash (Swift's `Hasher` is seeded per process).
func fnv1a(_ text: String) -> UInt64 {
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    for byte in text.utf8 {
        hash ^= UInt64(byte)
        hash = hash &* 0x0000_0100_0000_01b3
    }
    return hash
}
