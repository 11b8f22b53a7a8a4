import Glibc

extension Renderer {
    /// A number as `print` and `text/plain` write it.
    ///
    /// - `nan`, `inf`, `-inf` for the non-finite values;
    /// - integral values with |x| < 10¹⁶ as integers with no decimal point (`3`, `-12`,
    ///   `124439808`); negative zero prints as `0` (it compares equal to 0; the JSON copy
    ///   of a matrix keeps `-0`);
    /// - everything else in Swift's shortest round-trip form (`0.1`, `1e-05`, `2.5e+16`,
    ///   `0.30000000000000004`), which `Double(_:)` and the language's lexer read back to
    ///   the same value.
    public static func formatNumber(_ d: Double) -> String {
        if d.isNaN { return "nan" }
        if d.isInfinite { return d < 0 ? "-inf" : "inf" }
        if d == d.rounded(.towardZero), abs(d) < 1e16 { return String(Int64(d)) }
        return d.description
    }

    /// A matrix entry as tables and heatmap tooltips show it: rounded to 6 significant
    /// digits (`%.6g`: `0.333333`, `1.5e-07`, `1.23457e+06`), integral values with
    /// |x| < 10¹⁶ in full, non-finite as `inf`/`-inf`/`nan`, never `-0`.
    public static func displayNumber(_ d: Double) -> String {
        if !d.isFinite || (d == d.rounded(.towardZero) && abs(d) < 1e16) { return formatNumber(d) }
        let s = cFormat("%.6g", d)
        return s == "-0" ? "0" : s
    }

    /// A short number for inside a heatmap cell: two decimals for |x| < 100, else 3
    /// significant digits.
    static func cellAnnotation(_ d: Double) -> String {
        if !d.isFinite { return formatNumber(d) }
        if d == d.rounded(.towardZero), abs(d) < 1000 { return formatNumber(d) }
        let s = abs(d) < 100 ? cFormat("%.2f", d) : cFormat("%.3g", d)
        return s == "-0.00" ? "0.00" : s
    }

    /// Coordinates in SVG: at most one decimal, no trailing `.0`.
    static func px(_ d: Double) -> String {
        let r = (d * 10).rounded() / 10
        if r == r.rounded(.towardZero) { return String(Int64(r)) }
        return cFormat("%.1f", r)
    }

    /// One Double through the C library's printf `format` (`%.6g` and the like). The
    /// process never calls `setlocale`, so the decimal point is always `.`.
    static func cFormat(_ format: String, _ d: Double) -> String {
        var buffer = [CChar](repeating: 0, count: 64)
        while true {
            let needed = Int(withVaList([d]) { vsnprintf(&buffer, buffer.count, format, $0) })
            if needed < 0 { return d.description }
            if needed < buffer.count {
                return String(decoding: buffer[..<needed].map { UInt8(bitPattern: $0) }, as: UTF8.self)
            }
            buffer = [CChar](repeating: 0, count: needed + 1)
        }
    }
}
