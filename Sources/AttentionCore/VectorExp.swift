import Foundation

/// exp over many values at once, for the softmax passes of attention.
///
/// eˣ = 2ᵏ·eʳ with k = round(x/ln 2) and r = x − k·ln 2 (|r| ≤ ln 2 / 2, ln 2 split into a
/// high part with trailing zero bits and a low part so k·ln 2 is exact), eʳ by its Taylor
/// polynomial of degree 13 (truncation error below 5·10⁻¹⁸ on that interval), 2ᵏ built
/// from its exponent bits. Lanes below −708 (where 2ᵏ or the result would be subnormal),
/// above 709, or NaN go through `Foundation.exp` instead, so the result is within a few
/// ulps of `exp` everywhere (relative error below 10⁻¹⁵), with IEEE special cases kept
/// (exp(−inf) = 0, exp(NaN) = NaN).
enum VectorExp {
    typealias Lanes = SIMD8<Double>

    @usableFromInline static let log2e = 1.4426950408889634
    // ln 2 = ln2High + ln2Low; ln2High has its last 32 bits zero so k·ln2High is exact for |k| < 2²⁰.
    @usableFromInline static let ln2High = 6.93147180369123816490e-01
    @usableFromInline static let ln2Low = 1.90821492927058770002e-10
    /// 1.5·2⁵²: adding it rounds a double of magnitude < 2⁵¹ to the nearest integer, which
    /// then sits in the low mantissa bits.
    @usableFromInline static let shifter = 6755399441055744.0

    /// eˣ for eight lanes whose values lie in [−708, 709] (checked by the caller).
    @inline(__always) static func expInRange(_ x: Lanes) -> Lanes {
        let shifted = x * Lanes(repeating: log2e) + Lanes(repeating: shifter)
        let kDouble = shifted - Lanes(repeating: shifter)
        let r = (x - kDouble * Lanes(repeating: ln2High)) - kDouble * Lanes(repeating: ln2Low)
        // Taylor series of eʳ to r¹³, Horner form.
        var p = Lanes(repeating: 1.0 / 6_227_020_800)  // 1/13!
        p = p * r + Lanes(repeating: 1.0 / 479_001_600)  // 1/12!
        p = p * r + Lanes(repeating: 1.0 / 39_916_800)
        p = p * r + Lanes(repeating: 1.0 / 3_628_800)
        p = p * r + Lanes(repeating: 1.0 / 362_880)
        p = p * r + Lanes(repeating: 1.0 / 40_320)
        p = p * r + Lanes(repeating: 1.0 / 5_040)
        p = p * r + Lanes(repeating: 1.0 / 720)
        p = p * r + Lanes(repeating: 1.0 / 120)
        p = p * r + Lanes(repeating: 1.0 / 24)
        p = p * r + Lanes(repeating: 1.0 / 6)
        p = p * r + Lanes(repeating: 0.5)
        p = p * r + Lanes(repeating: 1)
        p = p * r + Lanes(repeating: 1)
        // 2ᵏ: k is in the low bits of `shifted`; bias it and move it into the exponent field.
        let kBits = unsafeBitCast(shifted, to: SIMD8<Int64>.self) &- unsafeBitCast(Lanes(repeating: shifter), to: SIMD8<Int64>.self)
        let twoK = unsafeBitCast((kBits &+ SIMD8<Int64>(repeating: 1023)) &<< SIMD8<Int64>(repeating: 52), to: Lanes.self)
        return p * twoK
    }

    /// values[i] ← exp((values[i] − shift)·factor) for i in 0..<count; returns their sum.
    /// The sum is accumulated in eight lanes and then added lane by lane.
    static func expShiftScaleSum(_ values: UnsafeMutablePointer<Double>, count: Int, shift: Double, factor: Double) -> Double {
        var i = 0
        var sums = Lanes(repeating: 0)
        let s = Lanes(repeating: shift), f = Lanes(repeating: factor)
        let low = Lanes(repeating: -708), high = Lanes(repeating: 709)
        let raw = UnsafeMutableRawPointer(values)
        while i + 8 <= count {
            let x = (raw.loadUnaligned(fromByteOffset: i * 8, as: Lanes.self) - s) * f
            let e: Lanes
            // NaN fails both comparisons, so it also takes the scalar path.
            if all((x .>= low) .& (x .<= high)) {
                e = expInRange(x)
            } else {
                var lanes = x
                for l in 0..<8 { lanes[l] = Foundation.exp(x[l]) }
                e = lanes
            }
            raw.storeBytes(of: e, toByteOffset: i * 8, as: Lanes.self)
            sums += e
            i += 8
        }
        var total = sums.sum()
        while i < count {
            let e = Foundation.exp((values[i] - shift) * factor)
            values[i] = e
            total += e
            i += 1
        }
        return total
    }
}
