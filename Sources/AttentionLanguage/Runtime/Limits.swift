/// Resource limits for one session. Every limit ends a cell with a `LimitError`,
/// never a crash. The defaults suit a teaching notebook; a caller can read overrides
/// from the environment with `init(environment:)`.
public struct Limits: Sendable, Equatable {
    /// The most elements one matrix (or list) may hold. `ATTN_MAX_ELEMENTS`.
    public var maxElements: Int
    /// The deepest chain of function calls. `ATTN_MAX_DEPTH`.
    public var maxCallDepth: Int
    /// The deepest nesting of brackets, blocks and operators the parser accepts,
    /// and the deepest nesting of list values. `ATTN_MAX_NESTING`.
    public var maxNestingDepth: Int
    /// The most multiply-adds one matrix product may take (so that a single `@`
    /// cannot stall the kernel beyond the reach of an interrupt). `ATTN_MAX_WORK`.
    public var maxWork: Double
    /// Whether functions that compute only with numbers run their numeric version (see
    /// `NumericExit`). Not a setting: tests turn it off to compare the two tiers.
    var numericTier = true

    public init(maxElements: Int = 16_777_216, maxCallDepth: Int = 200, maxNestingDepth: Int = 200, maxWork: Double = 8e9) {
        self.maxElements = max(1, maxElements)
        self.maxCallDepth = max(1, maxCallDepth)
        self.maxNestingDepth = max(8, maxNestingDepth)
        self.maxWork = max(1, maxWork)
    }

    /// The defaults, overridden by `ATTN_MAX_ELEMENTS`, `ATTN_MAX_DEPTH`, `ATTN_MAX_NESTING`
    /// and `ATTN_MAX_WORK` where they hold positive numbers (others are ignored).
    /// Nesting is capped at 10,000 and call depth at 5,000, so that the evaluation
    /// thread's stack always suffices.
    public init(environment: [String: String]) {
        self.init()
        func read(_ key: String) -> Double? { Limits.positiveSetting(key, in: environment) }
        if let v = read("ATTN_MAX_ELEMENTS") { maxElements = Int(min(v, 1e15)) }
        if let v = read("ATTN_MAX_DEPTH") { maxCallDepth = Int(min(v, 5_000)) }
        if let v = read("ATTN_MAX_NESTING") { maxNestingDepth = Int(min(max(v, 8), 10_000)) }
        if let v = read("ATTN_MAX_WORK") { maxWork = v }
    }

    /// A setting that holds a finite number ≥ 1 (`1e6` and ` 42 ` included), or nil when
    /// it is absent or anything else (so a typo falls back to the default, never to 0).
    public static func positiveSetting(_ key: String, in environment: [String: String]) -> Double? {
        guard let text = environment[key], let v = Double(text.trimmingWhitespace()), v.isFinite, v >= 1 else { return nil }
        return v
    }
}
