import Glibc

/// Sinusoidal positions (Vaswani et al. 2017), n×d:
/// PE[pos, 2i] = sin(pos / 10000^(2i/d)), PE[pos, 2i+1] = cos(pos / 10000^(2i/d)).
public func sinusoidal(_ n: Int, _ d: Int) throws(CoreError) -> Matrix {
    _ = try checkedCount(n, d)
    return Matrix(rows: n, cols: d) { pos, j in
        let angle = Double(pos) / pow(10000, Double(j - j % 2) / Double(d))
        return j % 2 == 0 ? sin(angle) : cos(angle)
    }
}

/// Learned positions: an n×d table of parameters, initialised as in GPT-2/nanoGPT with
/// N(0, 0.02²) samples from `SeededGenerator(seed:)`. (Untrained here: the point of the
/// comparison with `sinusoidal` is that these carry no structure until trained.)
public func learnedPositions(_ n: Int, _ d: Int, seed: UInt64) throws(CoreError) -> Matrix {
    scale(try randn(n, d, seed: seed), by: 0.02)
}

/// Rotary position embedding (RoPE, Su et al.): row p (the position, from 0) has each pair
/// of columns (2i, 2i+1) rotated by the angle θ = p · base^(−2i/d):
/// (x, y) ↦ (x cos θ − y sin θ, x sin θ + y cos θ). d must be even.
/// Dot products of rotated rows depend only on the difference of their positions.
public func rope(_ x: Matrix, base: Double = 10000) throws(CoreError) -> Matrix {
    guard x.cols % 2 == 0 else { throw .invalidArgument("rope rotates pairs of columns, so it needs an even number of columns, not \(x.cols)") }
    guard base > 0, base.isFinite else { throw .invalidArgument("rope's base must be a positive number, not \(base)") }
    var out = x
    for p in 0..<x.rows {
        for i in 0..<(x.cols / 2) {
            let theta = Double(p) * pow(base, -Double(2 * i) / Double(x.cols))
            let (c, s) = (cos(theta), sin(theta))
            let a = x[p, 2 * i], b = x[p, 2 * i + 1]
            out[p, 2 * i] = a * c - b * s
            out[p, 2 * i + 1] = a * s + b * c
        }
    }
    return out
}
