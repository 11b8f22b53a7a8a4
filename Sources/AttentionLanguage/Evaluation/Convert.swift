import Glibc

/// Checked conversions from the language's Doubles; nothing here can trap.
enum Convert {
    /// The Int for a whole, finite number within ±2⁵³, else nil.
    static func exactInt(_ d: Double) -> Int? {
        guard d.isFinite, d == d.rounded(), abs(d) <= 9_007_199_254_740_992 else { return nil }
        return Int(d)
    }
}

/// Math on Doubles under names that do not clash with the builtins.
enum Math {
    static func pow(_ a: Double, _ b: Double) -> Double { cPow(a, b) }
}

/// The C library's `pow`, reachable from inside `Math` where `pow` names the member.
private func cPow(_ a: Double, _ b: Double) -> Double { pow(a, b) }
