import Glibc

/// ReLU: max(0, x) element-wise (NaN stays NaN).
public func relu(_ m: Matrix) -> Matrix { m.map { $0.isNaN ? $0 : Swift.max(0, $0) } }

/// GELU, exact form: x·Φ(x) = ½·x·(1 + erf(x/√2)) element-wise.
public func gelu(_ m: Matrix) -> Matrix { m.map(geluScalar) }

@inline(__always) func geluScalar(_ x: Double) -> Double { 0.5 * x * (1 + erf(x / 2.0.squareRoot())) }

/// GELU, tanh approximation (GPT-2's): ½·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))).
public func geluTanh(_ m: Matrix) -> Matrix {
    let c = (2 / Double.pi).squareRoot()
    return m.map { x in 0.5 * x * (1 + tanh(c * (x + 0.044715 * x * x * x))) }
}

/// Softmax along an axis (1 = each row, the default; 0 = each column) at temperature T:
/// softmax(x)ᵢ = exp((xᵢ − m)/T) / Σⱼ exp((xⱼ − m)/T) with m = max x, which is the same
/// function without overflow. Each row (column) sums to 1. A row whose entries are all
/// −inf (every key masked) gives a row of zeros, never NaN. T must be positive.
public func softmax(_ m: Matrix, axis: Int = 1, temperature: Double = 1) throws(CoreError) -> Matrix {
    try alongAxis(m, axis: axis, temperature: temperature, softmaxInPlace)
}

/// log softmax along an axis: xᵢ/T − m − log Σⱼ exp(xⱼ/T − m), computed stably.
/// A row of all −inf gives a row of −inf (log 0).
public func logSoftmax(_ m: Matrix, axis: Int = 1, temperature: Double = 1) throws(CoreError) -> Matrix {
    try alongAxis(m, axis: axis, temperature: temperature, logSoftmaxInPlace)
}

private func alongAxis(
    _ m: Matrix, axis: Int, temperature: Double, _ kernel: (inout ArraySlice<Double>, Double) -> Void
) throws(CoreError) -> Matrix {
    guard temperature > 0, temperature.isFinite else {
        throw .invalidArgument("temperature must be a positive number, not \(temperature)")
    }
    switch axis {
    case 1:
        var out = m
        for i in 0..<m.rows {
            let range = (i * m.cols)..<((i + 1) * m.cols)
            kernel(&out.storage[range], temperature)
        }
        return out
    case 0:
        var t = m.transposed
        for i in 0..<t.rows {
            let range = (i * t.cols)..<((i + 1) * t.cols)
            kernel(&t.storage[range], temperature)
        }
        return t.transposed
    default:
        throw .invalidArgument("axis must be 0 (down columns) or 1 (along rows), not \(axis)")
    }
}

/// Stable softmax of one row in place, with the division by the temperature fused into
/// the exponent pass.
func softmaxInPlace(_ row: inout ArraySlice<Double>, _ temperature: Double) {
    let top = row.reduce(-Double.infinity) { Swift.max($0, $1) }
    guard top != -.infinity else {
        // Every entry −inf (all masked) or the row is empty: no key to attend to.
        for k in row.indices where !row[k].isNaN { row[k] = 0 }
        return
    }
    var total = 0.0
    let inverseT = 1 / temperature
    for k in row.indices {
        let e = exp((row[k] - top) * inverseT)
        row[k] = e
        total += e
    }
    for k in row.indices { row[k] /= total }
}

func logSoftmaxInPlace(_ row: inout ArraySlice<Double>, _ temperature: Double) {
    let top = row.reduce(-Double.infinity) { Swift.max($0, $1) }
    guard top != -.infinity else { return }
    let inverseT = 1 / temperature
    var total = 0.0
    for k in row.indices { total += exp((row[k] - top) * inverseT) }
    let logTotal = log(total)
    for k in row.indices { row[k] = (row[k] - top) * inverseT - logTotal }
}
