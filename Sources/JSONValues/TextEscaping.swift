/// The one loop behind the three escapers (JSON strings, XML/HTML text, the language's
/// string literals): each decides only what a scalar becomes.
public enum TextEscaping {
    /// `s` with each Unicode scalar for which `replacement` returns text replaced by it
    /// (nil keeps the scalar as it is).
    public static func escape(_ s: String, _ replacement: (Unicode.Scalar) -> String?) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count)
        for scalar in s.unicodeScalars {
            if let text = replacement(scalar) { out += text } else { out.unicodeScalars.append(scalar) }
        }
        return out
    }
}
